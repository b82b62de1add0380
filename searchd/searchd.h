/* searchd.h -- ctmap-searchd's configuration, errors and server lifecycle,
 * the surface main.c and the test suites use. */
#ifndef CTMAP_SEARCHD_SEARCHD_H
#define CTMAP_SEARCHD_SEARCHD_H

#include <glib.h>

G_BEGIN_DECLS

/* ---------------------------------------------------------------- Errors */

/* One list generates the error enum, the "code" string of the JSON error
 * body and the HTTP status an error maps to.  The codes that only occur
 * at start-up carry the status 500, which is never sent. */
#define SD_ERROR_LIST(X)                                                \
    X(SD_ERROR_BAD_ARGUMENT, "bad-argument", 500)                       \
    X(SD_ERROR_CANNOT_START, "cannot-start", 500)                       \
    X(SD_ERROR_BAD_PARAMETER, "bad-parameter", 400)                     \
    X(SD_ERROR_BAD_QUERY, "bad-query", 400)                             \
    X(SD_ERROR_BAD_REQUEST, "bad-request", 400)                         \
    X(SD_ERROR_MISDIRECTED, "misdirected", 421)                         \
    X(SD_ERROR_HEADERS_TOO_LARGE, "headers-too-large", 431)             \
    X(SD_ERROR_NOT_IMPLEMENTED, "not-implemented", 501)                 \
    X(SD_ERROR_NOT_FOUND, "not-found", 404)                             \
    X(SD_ERROR_FORBIDDEN, "forbidden", 403)                             \
    X(SD_ERROR_METHOD_NOT_ALLOWED, "method-not-allowed", 405)           \
    X(SD_ERROR_TOO_LARGE, "request-too-large", 413)                     \
    X(SD_ERROR_URI_TOO_LONG, "uri-too-long", 414)                       \
    X(SD_ERROR_NO_INDEX, "no-index", 503)                               \
    X(SD_ERROR_BUSY, "busy", 503)                                       \
    X(SD_ERROR_INDEX_MODIFIED, "index-modified", 503)                   \
    X(SD_ERROR_TIMEOUT, "timeout", 503)                                 \
    X(SD_ERROR_INDEX, "index-error", 500)                               \
    X(SD_ERROR_INTERNAL, "internal", 500)

typedef enum {
#define SD__ENUM(name, code, status) name,
    SD_ERROR_LIST(SD__ENUM)
#undef SD__ENUM
} sd_error_t;

#define SD_ERROR (sd_error_quark())
GQuark sd_error_quark(void);

/* Returns: (transfer none): the API's name for @code ("bad-query"). */
const char *sd_error_code(int code);
/* Returns: the HTTP status that @code maps to. */
unsigned sd_error_http_status(int code);

/* ---------------------------------------------------------------- Config */

#define SD_DEFAULT_DATA_DIR     "var"
#define SD_DEFAULT_SOCKET_MODE  "0660"
#define SD_MAX_THREADS          256
#define SD_DEFAULT_TIMEOUT      10      /* seconds a connection may idle */
#define SD_MAX_TIMEOUT          3600
#define SD_DEFAULT_CONNECTIONS  1024
#define SD_MAX_CONNECTIONS      65536
#define SD_MAX_REPLY_MB         65536
/* --max-reply-memory: MB of reply bodies waiting to be read by their
 * clients, past which new replies are 503 "busy". */
#define SD_DEFAULT_REPLY_MB     256

/* The command line, parsed.  Strings are owned by the struct and freed by
 * sd_config_clear(); the ones derived from --data-dir are NULL until
 * sd_config_validate() fills them in. */
typedef struct {
    char *data_dir;             /* --data-dir, default "var" */
    char *index_dir;            /* --index, default DATA_DIR/index */
    char *index_opt;            /* --index STUB as given, or NULL */
    char *query_db;             /* with --index: DATA_DIR/shards/query */
    char *socket_path;          /* --socket, default DATA_DIR/searchd.sock */
    char *socket_mode_text;     /* --socket-mode, octal */
    unsigned socket_mode;       /* parsed from socket_mode_text */
    char *listen;               /* --listen HOST:PORT on loopback, or NULL */
    char *www_dir;              /* --www, default the source tree's www */
    int threads;                /* --threads, default number of cores */
    gboolean foreground;        /* --foreground, accepted; always true */
    char *socket_group;         /* --socket-group NAME|GID, or NULL */
    int socket_gid;             /* resolved from socket_group, or -1 */
    char **allow_uid_text;      /* --allow-uid USER|UID, repeatable */
    char **allow_gid_text;      /* --allow-gid GROUP|GID, repeatable */
    GArray *allow_uids;         /* (element-type guint) resolved; NULL: */
    GArray *allow_gids;         /* no allow-list (the socket mode rules) */
    int timeout;                /* --timeout, seconds a connection idles */
    int max_connections;        /* --max-connections */
    int max_reply_mb;           /* --max-reply-memory, MB; 0: no bound */
    char **allow_hosts;         /* --allow-host NAME, repeatable */
} sd_config_t;

/* Sets every default that does not depend on another option. */
void sd_config_init(sd_config_t *cfg);
/* Parses the command line with GOptionContext, removing what it parsed
 * from @argv.  SD_ERROR_BAD_ARGUMENT (or a GOptionError) on bad usage. */
gboolean sd_config_parse(sd_config_t *cfg, int *argc, char ***argv,
                         GError **error);
/* Fills the derived defaults in and checks bounds and cross-constraints;
 * SD_ERROR_BAD_ARGUMENT with a one-line message when one fails. */
gboolean sd_config_validate(sd_config_t *cfg, GError **error);
/* Frees the strings of @cfg (not @cfg itself). */
void sd_config_clear(sd_config_t *cfg);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(sd_config_t, sd_config_clear)

/* Parses a --listen value into a native socket address.  @addr must hold
 * a struct sockaddr_storage; *@len receives its length.
 * Fails with SD_ERROR_BAD_ARGUMENT when @spec is malformed or not a
 * loopback address. */
gboolean sd_config_listen_address(const char *spec, void *addr,
                                  size_t *len, GError **error);

/* ---------------------------------------------------------------- Server */

typedef struct sd_server sd_server_t;

/* Binds the Unix socket (and the --listen one), installs the signal
 * handlers and starts the HTTP thread pool.  @cfg must have been
 * validated; it is copied.  SD_ERROR_CANNOT_START when a socket cannot be
 * bound or another daemon serves the path.
 * Returns: (transfer full) (nullable): free with sd_server_free(). */
sd_server_t *sd_server_new(const sd_config_t *cfg, GError **error);
/* Runs the main loop until SIGTERM or SIGINT, then stops serving and
 * removes the socket, waiting --timeout seconds at most for the requests
 * in flight.  Returns 0 when it stopped cleanly, else the number of
 * requests workers were still answering (each logged): their threads
 * cannot be stopped, so @srv must then not be freed, and the process
 * should end with _exit() (see main.c). */
guint sd_server_run(sd_server_t *srv);
/* Stops the server if it still runs and frees it; accepts NULL. */
void sd_server_free(sd_server_t *srv);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(sd_server_t, sd_server_free)

G_END_DECLS

#endif /* CTMAP_SEARCHD_SEARCHD_H */
