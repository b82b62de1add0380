/* config.c -- ctmap-searchd's command line: one option table, its
 * defaults and its checks. */
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <gio/gio.h>

#include "searchd.h"

G_DEFINE_QUARK(ctmap-searchd-error-quark, sd_error)

/* ---------------------------------------------------------------- Errors */

static const struct {
    const char *code;
    unsigned status;
} error_table[] = {
#define SD__ROW(name, code, status) {code, status},
    SD_ERROR_LIST(SD__ROW)
#undef SD__ROW
};

const char *
sd_error_code(int code)
{
    if (code < 0 || (size_t)code >= G_N_ELEMENTS(error_table))
        return "internal";
    return error_table[code].code;
}

unsigned
sd_error_http_status(int code)
{
    if (code < 0 || (size_t)code >= G_N_ELEMENTS(error_table))
        return 500;
    return error_table[code].status;
}

/* ---------------------------------------------------------------- Options */

/* Defaults that depend on no other option live here; the ones derived
 * from --data-dir are filled in by sd_config_validate().  String options
 * start NULL because GOptionContext does not free the value it
 * replaces. */
void
sd_config_init(sd_config_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->threads = (int)MIN(g_get_num_processors(), SD_MAX_THREADS);
    cfg->socket_mode = 0660;
    cfg->socket_gid = -1;
    cfg->foreground = TRUE;
    cfg->timeout = SD_DEFAULT_TIMEOUT;
    cfg->max_connections = SD_DEFAULT_CONNECTIONS;
    cfg->max_reply_mb = SD_DEFAULT_REPLY_MB;
}

gboolean
sd_config_parse(sd_config_t *cfg, int *argc, char ***argv, GError **error)
{
    /* The daemon never forks: --foreground is accepted for service
     * managers and scripts that pass it. */
    const GOptionEntry entries[] = {
        {"data-dir", 'd', 0, G_OPTION_ARG_FILENAME, &cfg->data_dir,
         "Data directory (default: var); the index is DIR/index", "DIR"},
        {"index", 0, 0, G_OPTION_ARG_FILENAME, &cfg->index_opt,
         "Index or Xapian stub file to serve (default: DIR/index); a "
         "stub's spelling, synonyms and metadata come from "
         "DIR/shards/query", "STUB"},
        {"socket", 's', 0, G_OPTION_ARG_FILENAME, &cfg->socket_path,
         "Unix socket to serve on (default: DIR/searchd.sock)", "PATH"},
        {"socket-mode", 'm', 0, G_OPTION_ARG_STRING, &cfg->socket_mode_text,
         "Permissions of the socket, octal (default: 0660)", "MODE"},
        {"listen", 'l', 0, G_OPTION_ARG_STRING, &cfg->listen,
         "Also serve TCP on a loopback address", "127.0.0.1:PORT"},
        {"threads", 't', 0, G_OPTION_ARG_INT, &cfg->threads,
         "Worker threads, 1-256 (default: number of cores)", "N"},
        {"socket-group", 'g', 0, G_OPTION_ARG_STRING, &cfg->socket_group,
         "Group owning the socket (default: the daemon's)", "GROUP"},
        {"allow-uid", 0, 0, G_OPTION_ARG_STRING_ARRAY, &cfg->allow_uid_text,
         "Only answer peers of this user (repeatable; with --allow-gid, "
         "either may match)", "USER"},
        {"allow-gid", 0, 0, G_OPTION_ARG_STRING_ARRAY, &cfg->allow_gid_text,
         "Only answer peers of this primary group (repeatable)", "GROUP"},
        {"timeout", 0, 0, G_OPTION_ARG_INT, &cfg->timeout,
         "Seconds a connection may stay idle or half-sent, and SIGTERM "
         "waits for requests in flight (default: 10)", "S"},
        {"max-connections", 0, 0, G_OPTION_ARG_INT, &cfg->max_connections,
         "Connections served at once (default: 1024)", "N"},
        {"max-reply-memory", 0, 0, G_OPTION_ARG_INT, &cfg->max_reply_mb,
         "MB of replies waiting to be read by their clients; past it "
         "new replies are 503 (default: 256; 0: no bound)", "MB"},
        {"allow-host", 0, 0, G_OPTION_ARG_STRING_ARRAY, &cfg->allow_hosts,
         "A Host name --listen answers for besides its address and "
         "localhost (repeatable; others get 421)", "NAME"},
        {"www", 0, 0, G_OPTION_ARG_FILENAME, &cfg->www_dir,
         "Directory of the search page served at / (default: "
         CTMAP_SEARCHD_WWW ")", "DIR"},
        {"foreground", 'f', 0, G_OPTION_ARG_NONE, &cfg->foreground,
         "Stay in the foreground (this version always does)", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL}
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);

    g_option_context_set_summary(ctx,
        "Serves the ctmap index as HTTP+JSON over a Unix socket.\n"
        "It always runs in the foreground; stop it with SIGTERM, and\n"
        "SIGHUP makes it reopen the index.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, argc, argv, error))
        return FALSE;
    if (*argc > 1) {
        g_set_error(error, SD_ERROR, SD_ERROR_BAD_ARGUMENT,
                    "unexpected argument '%s'", (*argv)[1]);
        return FALSE;
    }
    return TRUE;
}

gboolean
sd_config_listen_address(const char *spec, void *addr, size_t *len,
                         GError **error)
{
    const char *colon = strrchr(spec, ':');
    g_autofree char *host = NULL;
    g_autoptr(GInetAddress) inet = NULL;
    g_autoptr(GSocketAddress) sa = NULL;
    gint64 port;
    char *end = NULL;

    if (!colon || colon == spec || !colon[1])
        goto bad;
    port = g_ascii_strtoll(colon + 1, &end, 10);
    if (*end || port < 1 || port > 65535)
        goto bad;
    host = g_strndup(spec, (gsize)(colon - spec));
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        char *inner = g_strndup(host + 1, strlen(host) - 2);

        g_free(host);
        host = inner;
    }
    if (g_str_equal(host, "localhost")) {
        g_free(host);
        host = g_strdup("127.0.0.1");
    }
    inet = g_inet_address_new_from_string(host);
    if (!inet)
        goto bad;
    if (!g_inet_address_get_is_loopback(inet)) {
        g_set_error(error, SD_ERROR, SD_ERROR_BAD_ARGUMENT,
                    "--listen %s: only loopback addresses are allowed",
                    spec);
        return FALSE;
    }
    sa = g_inet_socket_address_new(inet, (guint16)port);
    *len = (size_t)g_socket_address_get_native_size(sa);
    return g_socket_address_to_native(sa, addr, *len, error);

bad:
    g_set_error(error, SD_ERROR, SD_ERROR_BAD_ARGUMENT,
                "--listen %s: expected HOST:PORT, e.g. 127.0.0.1:8080",
                spec);
    return FALSE;
}

/* Resolves @text, a name or a number, to a user (@group FALSE) or group
 * id; -1 when there is no such one. */
static gint64
resolve_id(const char *text, gboolean group)
{
    char *end = NULL;
    gint64 id;

    if (g_ascii_isdigit(text[0])) {
        id = g_ascii_strtoll(text, &end, 10);
        return *end || id > G_MAXUINT32 - 1 ? -1 : id;
    }
    if (group) {
        struct group *gr = getgrnam(text);

        return gr ? (gint64)gr->gr_gid : -1;
    } else {
        struct passwd *pw = getpwnam(text);

        return pw ? (gint64)pw->pw_uid : -1;
    }
}

/* Fills *@out with the ids of @texts; NULL @texts leaves it NULL. */
static gboolean
resolve_ids(char **texts, gboolean group, GArray **out, GError **error)
{
    size_t i;

    g_clear_pointer(out, g_array_unref);
    if (!texts)
        return TRUE;
    *out = g_array_new(FALSE, FALSE, sizeof(guint));
    for (i = 0; texts[i]; i++) {
        gint64 id = resolve_id(texts[i], group);
        guint v = (guint)id;

        if (id < 0) {
            g_set_error(error, SD_ERROR, SD_ERROR_BAD_ARGUMENT,
                        "--allow-%s %s: no such %s", group ? "gid" : "uid",
                        texts[i], group ? "group" : "user");
            return FALSE;
        }
        g_array_append_val(*out, v);
    }
    return TRUE;
}

gboolean
sd_config_validate(sd_config_t *cfg, GError **error)
{
    struct sockaddr_un sun;
    struct sockaddr_storage sin6;
    size_t sin_len;

    if (!cfg->data_dir)
        cfg->data_dir = g_strdup(SD_DEFAULT_DATA_DIR);
    if (!*cfg->data_dir) {
        g_set_error(error, SD_ERROR, SD_ERROR_BAD_ARGUMENT,
                    "--data-dir must not be empty");
        return FALSE;
    }
    g_free(cfg->index_dir);
    cfg->index_dir = cfg->index_opt
        ? g_strdup(cfg->index_opt)
        : g_build_filename(cfg->data_dir, "index", NULL);
    g_free(cfg->query_db);
    cfg->query_db = cfg->index_opt
        ? g_build_filename(cfg->data_dir, "shards", "query", NULL) : NULL;
    if (!cfg->socket_path)
        cfg->socket_path = g_build_filename(cfg->data_dir, "searchd.sock",
                                            NULL);
    if (!*cfg->socket_path) {
        g_set_error(error, SD_ERROR, SD_ERROR_BAD_ARGUMENT,
                    "--socket must not be empty");
        return FALSE;
    }
    /* sun_path must hold the path and its terminating NUL. */
    if (strlen(cfg->socket_path) >= sizeof(sun.sun_path)) {
        g_set_error(error, SD_ERROR, SD_ERROR_BAD_ARGUMENT,
                    "--socket %s: path longer than %zu bytes",
                    cfg->socket_path, sizeof(sun.sun_path) - 1);
        return FALSE;
    }
    if (cfg->socket_mode_text) {
        char *end = NULL;
        guint64 mode = g_ascii_strtoull(cfg->socket_mode_text, &end, 8);

        if (!*cfg->socket_mode_text || *end || mode > 0777) {
            g_set_error(error, SD_ERROR, SD_ERROR_BAD_ARGUMENT,
                        "--socket-mode %s: expected an octal mode such as "
                        "0660", cfg->socket_mode_text);
            return FALSE;
        }
        cfg->socket_mode = (unsigned)mode;
    }
    if (cfg->threads < 1 || cfg->threads > SD_MAX_THREADS) {
        g_set_error(error, SD_ERROR, SD_ERROR_BAD_ARGUMENT,
                    "--threads %d: must be between 1 and %d", cfg->threads,
                    SD_MAX_THREADS);
        return FALSE;
    }
    if (cfg->listen
        && !sd_config_listen_address(cfg->listen, &sin6, &sin_len, error))
        return FALSE;
    if (cfg->socket_group) {
        gint64 gid = resolve_id(cfg->socket_group, TRUE);

        if (gid < 0) {
            g_set_error(error, SD_ERROR, SD_ERROR_BAD_ARGUMENT,
                        "--socket-group %s: no such group",
                        cfg->socket_group);
            return FALSE;
        }
        cfg->socket_gid = (int)gid;
    }
    if (!resolve_ids(cfg->allow_uid_text, FALSE, &cfg->allow_uids, error)
        || !resolve_ids(cfg->allow_gid_text, TRUE, &cfg->allow_gids, error))
        return FALSE;
    /* Peer credentials exist for Unix sockets only: an allow-list with a
     * TCP listener would be a hole. */
    if (cfg->listen && (cfg->allow_uids || cfg->allow_gids)) {
        g_set_error(error, SD_ERROR, SD_ERROR_BAD_ARGUMENT,
                    "--allow-uid/--allow-gid cannot be checked on --listen "
                    "(TCP has no peer credentials)");
        return FALSE;
    }
    if (cfg->timeout < 1 || cfg->timeout > SD_MAX_TIMEOUT) {
        g_set_error(error, SD_ERROR, SD_ERROR_BAD_ARGUMENT,
                    "--timeout %d: must be between 1 and %d", cfg->timeout,
                    SD_MAX_TIMEOUT);
        return FALSE;
    }
    if (cfg->max_connections < 1
        || cfg->max_connections > SD_MAX_CONNECTIONS) {
        g_set_error(error, SD_ERROR, SD_ERROR_BAD_ARGUMENT,
                    "--max-connections %d: must be between 1 and %d",
                    cfg->max_connections, SD_MAX_CONNECTIONS);
        return FALSE;
    }
    if (cfg->max_reply_mb < 0 || cfg->max_reply_mb > SD_MAX_REPLY_MB) {
        g_set_error(error, SD_ERROR, SD_ERROR_BAD_ARGUMENT,
                    "--max-reply-memory %d: must be between 0 and %d",
                    cfg->max_reply_mb, SD_MAX_REPLY_MB);
        return FALSE;
    }
    if (!cfg->www_dir)
        cfg->www_dir = g_strdup(CTMAP_SEARCHD_WWW);
    return TRUE;
}

void
sd_config_clear(sd_config_t *cfg)
{
    g_clear_pointer(&cfg->data_dir, g_free);
    g_clear_pointer(&cfg->index_dir, g_free);
    g_clear_pointer(&cfg->index_opt, g_free);
    g_clear_pointer(&cfg->query_db, g_free);
    g_clear_pointer(&cfg->socket_path, g_free);
    g_clear_pointer(&cfg->socket_mode_text, g_free);
    g_clear_pointer(&cfg->listen, g_free);
    g_clear_pointer(&cfg->www_dir, g_free);
    g_clear_pointer(&cfg->socket_group, g_free);
    g_clear_pointer(&cfg->allow_uid_text, g_strfreev);
    g_clear_pointer(&cfg->allow_gid_text, g_strfreev);
    g_clear_pointer(&cfg->allow_hosts, g_strfreev);
    g_clear_pointer(&cfg->allow_uids, g_array_unref);
    g_clear_pointer(&cfg->allow_gids, g_array_unref);
}
