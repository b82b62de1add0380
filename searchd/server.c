/* server.c -- the daemon's life: binding its sockets, the HTTP thread
 * pools, and the main loop with its signals and index tick. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib-unix.h>
#include <glib/gstdio.h>

#include "searchd-int.h"

#define LISTEN_BACKLOG  128
#define TICK_MS         500

struct sd_server {
    char *socket_path;
    char *www_dir;
    sd_index_t *index;
    sd_app_t app;
    sd_http_t *http_unix;
    sd_http_t *http_tcp;        /* --listen, or NULL */
    GArray *allow_uids;         /* the HTTP daemons borrow these */
    GArray *allow_gids;
    sd_hosts_t *hosts;          /* --listen's Host names; http_tcp borrows */
    GMainLoop *loop;
    guint sources[4];           /* signals and the tick */
    dev_t sock_dev;             /* identity of the socket file we bound, */
    ino_t sock_ino;             /* so that we only ever unlink our own */
    /* Where we listen, for the start-up log line; a socket passed by
     * systemd is described by its address and never unlinked (sock_ino
     * stays 0): its unit owns the file. */
    char *listening;
    unsigned drain_ms;          /* how long SIGTERM waits for requests in
                                 * flight: --timeout */
    gboolean stopped;
    guint stuck;                /* requests workers still held when the
                                 * drain ended: the HTTP daemons are left
                                 * running, and the server is not freed */
};

static gboolean
fail_errno(GError **error, int err, const char *what, const char *path)
{
    g_set_error(error, SD_ERROR, SD_ERROR_CANNOT_START, "%s %s: %s", what,
                path, g_strerror(err));
    return FALSE;
}

/* Clears the way for binding @path: refuses when a daemon answers there
 * or when it is not a socket, and removes a socket left behind by one
 * that died. */
static gboolean
clear_stale_socket(const struct sockaddr_un *sun, GError **error)
{
    const char *path = sun->sun_path;
    struct stat st;
    int probe, rc, err;

    if (lstat(path, &st) != 0)
        return errno == ENOENT ? TRUE
            : fail_errno(error, errno, "cannot inspect", path);
    if (!S_ISSOCK(st.st_mode)) {
        g_set_error(error, SD_ERROR, SD_ERROR_CANNOT_START,
                    "%s exists and is not a socket", path);
        return FALSE;
    }
    probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe < 0)
        return fail_errno(error, errno, "cannot probe", path);
    rc = connect(probe, (const struct sockaddr *)sun, sizeof(*sun));
    err = errno;
    close(probe);
    if (rc == 0) {
        g_set_error(error, SD_ERROR, SD_ERROR_CANNOT_START,
                    "another ctmap-searchd is serving %s", path);
        return FALSE;
    }
    if (err != ECONNREFUSED && err != ENOENT)
        return fail_errno(error, err, "cannot probe", path);
    if (unlink(path) != 0 && errno != ENOENT)
        return fail_errno(error, errno, "cannot remove stale socket", path);
    return TRUE;
}

/* Returns the listening Unix socket at @path with permissions @mode, or
 * -1. */
static int
bind_unix(sd_server_t *srv, unsigned mode, int gid, GError **error)
{
    struct sockaddr_un sun;
    struct stat st;
    mode_t old_mask;
    int fd, rc, err;

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    g_strlcpy(sun.sun_path, srv->socket_path, sizeof(sun.sun_path));
    if (!clear_stale_socket(&sun, error))
        return -1;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        fail_errno(error, errno, "cannot create socket", srv->socket_path);
        return -1;
    }
    /* Bind with a strict umask so the socket is never reachable by
     * others before chmod() sets the requested mode; nothing else runs
     * yet that could create files meanwhile. */
    old_mask = umask(0177);
    rc = bind(fd, (const struct sockaddr *)&sun, sizeof(sun));
    err = errno;
    umask(old_mask);
    if (rc != 0) {
        close(fd);
        fail_errno(error, err, "cannot bind", srv->socket_path);
        return -1;
    }
    if ((gid >= 0 && chown(srv->socket_path, (uid_t)-1, (gid_t)gid) != 0)
        || chmod(srv->socket_path, (mode_t)mode) != 0
        || listen(fd, LISTEN_BACKLOG) != 0
        || stat(srv->socket_path, &st) != 0) {
        err = errno;
        close(fd);
        unlink(srv->socket_path);
        fail_errno(error, err, "cannot listen on", srv->socket_path);
        return -1;
    }
    srv->sock_dev = st.st_dev;
    srv->sock_ino = st.st_ino;
    return fd;
}

/* Returns the listening TCP socket for --listen (loopback only, checked
 * by sd_config_validate()), or -1. */
static int
bind_tcp(const char *spec, GError **error)
{
    struct sockaddr_storage addr;
    size_t len = 0;
    int one = 1;
    int fd;

    if (!sd_config_listen_address(spec, &addr, &len, error))
        return -1;
    fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
                0);
    if (fd < 0) {
        fail_errno(error, errno, "cannot create socket for", spec);
        return -1;
    }
    /* A restarted daemon must not wait for old TIME_WAIT connections. */
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (const struct sockaddr *)&addr, (socklen_t)len) != 0
        || listen(fd, LISTEN_BACKLOG) != 0) {
        int err = errno;

        close(fd);
        fail_errno(error, err, "cannot listen on", spec);
        return -1;
    }
    return fd;
}

static gboolean
on_quit(gpointer data)
{
    sd_server_t *srv = data;

    sd_notify_stopping();
    g_message("stopping: answering the requests in flight");
    g_main_loop_quit(srv->loop);
    return G_SOURCE_CONTINUE;
}

/* SIGHUP: every thread reopens its handle before its next query, in
 * case a change went unnoticed (an index replaced by another). */
static gboolean
on_hup(gpointer data)
{
    sd_server_t *srv = data;

    sd_notify_reloading();
    g_message("SIGHUP: every thread reopens the index");
    sd_index_bump(srv->index);
    sd_index_tick(srv->index);
    sd_notify_ready(srv->index);
    return G_SOURCE_CONTINUE;
}

/* The tick, twice a second; its duties:
 * - reopen the main thread's own index handle (or open it once the
 *   indexer has created the index),
 * - read the index revision,
 * - when it changed, bump the generation counter so that each HTTP
 *   thread reopens its own handle before its next query.
 * This is how a commit by the indexer is served within half a second
 * (DESIGN.md asks for one). */
static gboolean
on_tick(gpointer data)
{
    sd_server_t *srv = data;
    uint64_t rev = 0;

    if (sd_index_tick(srv->index) && sd_index_revision(srv->index, &rev)) {
        g_message("index revision %" G_GUINT64_FORMAT ": threads reopen",
                  (guint64)rev);
        sd_notify_status(srv->index);
    }
    return G_SOURCE_CONTINUE;
}

/* Stops accepting, removes the socket so clients see at once that the
 * daemon is gone, lets requests in flight finish within the drain time,
 * and stops the threads.  Requests still being received then (a client
 * that sent half its headers) are closed; a request a worker still
 * answers (stuck in a long Xapian call, which nothing can interrupt)
 * cannot be, since stopping the pool waits for its threads: those are
 * logged and counted in srv->stuck, and the HTTP daemons left as they
 * are for main() to exit past them.  Idempotent. */
static void
server_stop(sd_server_t *srv)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)srv->drain_ms * 1000;
    gint64 left;
    struct stat st;
    gboolean drained;
    size_t i;

    if (srv->stopped)
        return;
    srv->stopped = TRUE;
    for (i = 0; i < G_N_ELEMENTS(srv->sources); i++)
        if (srv->sources[i])
            g_source_remove(srv->sources[i]);
    memset(srv->sources, 0, sizeof(srv->sources));
    sd_http_quiesce(srv->http_unix);
    sd_http_quiesce(srv->http_tcp);
    drained = sd_http_drain(srv->http_unix, srv->drain_ms);
    left = (deadline - g_get_monotonic_time()) / 1000;
    drained = sd_http_drain(srv->http_tcp, (unsigned)MAX(left, 0))
        && drained;
    if (srv->sock_ino && lstat(srv->socket_path, &st) == 0
        && st.st_dev == srv->sock_dev && st.st_ino == srv->sock_ino)
        unlink(srv->socket_path);
    if (!drained) {
        srv->stuck = sd_http_report_stuck(srv->http_unix)
            + sd_http_report_stuck(srv->http_tcp);
        if (srv->stuck)
            return;
        g_warning("stopping with requests still in flight after %u s",
                  srv->drain_ms / 1000);
    }
    g_clear_pointer(&srv->http_unix, sd_http_free);
    g_clear_pointer(&srv->http_tcp, sd_http_free);
}

/* Each connection is a descriptor: the soft limit (often 1024) would
 * make --max-connections a lie, so it is raised to the hard one. */
static void
raise_fd_limit(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

sd_server_t *
sd_server_new(const sd_config_t *cfg, GError **error)
{
    g_autoptr(sd_server_t) srv = g_new0(sd_server_t, 1);
    sd_http_opts_t opts = {
        .threads = (unsigned)cfg->threads,
        .timeout = (unsigned)cfg->timeout,
        .max_connections = (unsigned)cfg->max_connections,
        .max_reply_bytes = (gsize)cfg->max_reply_mb * 1024 * 1024,
    };
    int fd, tcp_fd = -1;

    srv->socket_path = g_strdup(cfg->socket_path);
    srv->drain_ms = (unsigned)cfg->timeout * 1000;
    srv->www_dir = g_strdup(cfg->www_dir);
    srv->index = sd_index_new(cfg->index_dir, cfg->query_db);
    srv->app.index = srv->index;
    srv->app.www_dir = srv->www_dir;
    srv->loop = g_main_loop_new(NULL, FALSE);
    if (cfg->allow_uids)
        srv->allow_uids = g_array_ref(cfg->allow_uids);
    if (cfg->allow_gids)
        srv->allow_gids = g_array_ref(cfg->allow_gids);
    raise_fd_limit();
    /* The default socket lives in the data directory, which may not
     * exist before the first indexer run; a failure here shows up as a
     * failure to bind. */
    (void)g_mkdir_with_parents(cfg->data_dir, 0755);
    /* libmicrohttpd sends with MSG_NOSIGNAL; this is for any other
     * write to a peer that went away. */
    signal(SIGPIPE, SIG_IGN);
    /* Handlers go in before the HTTP threads start, so that a SIGTERM
     * arriving early still stops the daemon cleanly. */
    srv->sources[0] = g_unix_signal_add(SIGTERM, on_quit, srv);
    srv->sources[1] = g_unix_signal_add(SIGINT, on_quit, srv);
    srv->sources[2] = g_unix_signal_add(SIGHUP, on_hup, srv);

    /* Every listener is bound before any is served: a client that finds
     * the Unix socket answering may rely on --listen being up too. */
    if (cfg->listen) {
        tcp_fd = bind_tcp(cfg->listen, error);
        if (tcp_fd < 0)
            return NULL;
    }
    /* Socket-activated, the unit's socket replaces --socket, its mode
     * and group (SocketMode=, SocketGroup=). */
    if (!sd_notify_listen_fd(&fd, error)) {
        if (tcp_fd >= 0)
            close(tcp_fd);
        return NULL;
    }
    if (fd >= 0) {
        g_autofree char *where = sd_notify_describe_fd(fd);

        srv->listening = g_strdup_printf("%s (passed by systemd)", where);
    } else {
        fd = bind_unix(srv, cfg->socket_mode, cfg->socket_gid, error);
        if (fd < 0) {
            if (tcp_fd >= 0)
                close(tcp_fd);
            return NULL;
        }
        srv->listening = g_strdup_printf("%s (mode %04o)", srv->socket_path,
                                         cfg->socket_mode);
    }
    if (cfg->listen) {
        char *both = g_strdup_printf("%s and %s", srv->listening,
                                     cfg->listen);

        g_free(srv->listening);
        srv->listening = both;
    }
    if (tcp_fd >= 0) {
        srv->hosts = sd_limits_hosts_new(
            cfg->listen, (const char *const *)cfg->allow_hosts);
        opts.hosts = srv->hosts;
        srv->http_tcp = sd_http_start(tcp_fd, &opts, &srv->app, error);
        opts.hosts = NULL;
        if (!srv->http_tcp) {
            close(fd);
            return NULL;
        }
    }
    opts.allow_uids = srv->allow_uids;
    opts.allow_gids = srv->allow_gids;
    srv->http_unix = sd_http_start(fd, &opts, &srv->app, error);
    if (!srv->http_unix)
        return NULL;
    sd_index_tick(srv->index);
    srv->sources[3] = g_timeout_add(TICK_MS, on_tick, srv);
    return g_steal_pointer(&srv);
}

guint
sd_server_run(sd_server_t *srv)
{
    uint64_t rev = 0;

    if (sd_index_revision(srv->index, &rev))
        g_message("ctmap-searchd %s: listening on %s; index revision %"
                  G_GUINT64_FORMAT, CTMAP_VERSION, srv->listening,
                  (guint64)rev);
    else
        g_message("ctmap-searchd %s: listening on %s; no index yet",
                  CTMAP_VERSION, srv->listening);
    /* Every listener is up and the index opened (or known absent): a
     * client systemd queued on the socket is answered from now on. */
    sd_notify_ready(srv->index);
    g_main_loop_run(srv->loop);
    server_stop(srv);
    return srv->stuck;
}

void
sd_server_free(sd_server_t *srv)
{
    if (!srv)
        return;
    server_stop(srv);
    /* A worker still runs inside Xapian with the index and the app. */
    g_return_if_fail(srv->stuck == 0);
    sd_index_free(srv->index);
    g_main_loop_unref(srv->loop);
    g_free(srv->socket_path);
    g_free(srv->www_dir);
    g_free(srv->listening);
    if (srv->allow_uids)
        g_array_unref(srv->allow_uids);
    if (srv->allow_gids)
        g_array_unref(srv->allow_gids);
    sd_limits_hosts_free(srv->hosts);
    g_free(srv);
}
