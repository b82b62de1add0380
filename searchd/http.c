/* http.c -- libmicrohttpd glue: one daemon per listening socket, whose
 * single thread does the I/O of every connection, and a pool of worker
 * threads (--threads, one per core by default) that answer the requests.
 *
 * A request is handed to the pool with its connection suspended, and the
 * worker resumes the connection with the reply.  Answering in
 * libmicrohttpd's own thread pool tied each connection to the thread that
 * happened to accept it: two kept-alive clients landed on one thread about
 * half the time and waited on each other while the other core idled
 * (scripts/bench/query: 2 clients gave 269 or 332 queries/s from one run
 * to the next). */
#include <stdarg.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "searchd-int.h"

/* Per-connection memory; large enough that a request target somewhat
 * over SD_MAX_URI still reaches the API, which answers 414 in JSON.
 * Beyond it libmicrohttpd answers 414 by itself. */
#define CONNECTION_MEMORY   (64 * 1024)

struct sd_http {
    struct MHD_Daemon *daemon;
    GThreadPool *workers;       /* answer requests; own the Xapian handles */
    int fd;                     /* ours to close once quiesced, else -1 */
    sd_app_t *app;
    sd_http_opts_t opts;
    gint in_flight;             /* atomic: requests begun, not completed */
};

/* What one request keeps between the callbacks of libmicrohttpd. */
typedef struct {
    char *uri;                  /* raw request target, still escaped */
    gint64 started;             /* monotonic us of the request line */
    gboolean seen;              /* the handler was called once */
    gboolean answered;
    size_t body;                /* bytes of request body received */
    /* Handed to a worker: the connection is suspended until it is done. */
    struct MHD_Connection *conn;
    char *method;
    char *if_none_match;        /* the header, for the worker; or NULL */
    sd_reply_t reply;
    gint done;                  /* atomic: reply is ready */
} request_t;

/* libmicrohttpd hands the access handler an unescaped path and parses
 * the query string its own way; the raw target, seen here before that,
 * lets the API decode it with its own rules ('+', %XX, UTF-8 checks) and
 * measure its length. */
static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    sd_http_t *h = cls;
    request_t *req = g_new0(request_t, 1);

    (void)conn;
    req->uri = g_strdup(uri);
    req->started = g_get_monotonic_time();
    g_atomic_int_inc(&h->in_flight);
    return req;
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    sd_http_t *h = cls;
    request_t *req = *con_cls;

    (void)conn;
    (void)toe;
    if (!req)
        return;
    g_free(req->uri);
    g_free(req->method);
    g_free(req->if_none_match);
    sd_reply_clear(&req->reply);
    g_free(req);
    *con_cls = NULL;
    g_atomic_int_dec_and_test(&h->in_flight);
}

static gboolean
id_listed(const GArray *ids, guint id)
{
    guint i;

    for (i = 0; ids && i < ids->len; i++)
        if (g_array_index(ids, guint, i) == id)
            return TRUE;
    return FALSE;
}

/* SO_PEERCRED names the process that connected, as the kernel saw it:
 * nothing a client sends can forge it.  A connection whose credentials
 * cannot be read is refused. */
static gboolean
peer_allowed(const sd_http_t *h, struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info;
    struct ucred cred;
    socklen_t len = sizeof(cred);

    if (!h->opts.allow_uids && !h->opts.allow_gids)
        return TRUE;
    info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!info || getsockopt(info->connect_fd, SOL_SOCKET, SO_PEERCRED,
                            &cred, &len) != 0)
        return FALSE;
    return id_listed(h->opts.allow_uids, (guint)cred.uid)
        || id_listed(h->opts.allow_gids, (guint)cred.gid);
}

/* Returns the error that refuses the request before the API sees it
 * (0: none): a peer not allowed, a body too large, the server too busy. */
static int
refusal(sd_http_t *h, struct MHD_Connection *conn, const request_t *req)
{
    const char *length;

    if (!peer_allowed(h, conn))
        return SD_ERROR_FORBIDDEN;
    length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                         MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (req->body > SD_MAX_BODY
        || (length && g_ascii_strtoull(length, NULL, 10) > SD_MAX_BODY))
        return SD_ERROR_TOO_LARGE;
    if ((unsigned)g_atomic_int_get(&h->in_flight) + SD_BUSY_MARGIN
        > h->opts.max_connections)
        return SD_ERROR_BUSY;
    return 0;
}

static enum MHD_Result
queue_reply(struct MHD_Connection *conn, sd_reply_t *reply, gint64 started)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;

    /* Counted before it is sent, so a client that reads /metrics after
     * its reply always finds its request there. */
    sd_metrics_observe(reply, (g_get_monotonic_time() - started) / 1e6);
    resp = MHD_create_response_from_buffer_with_free_callback(
        reply->len, reply->body, g_free);
    if (!resp) {
        sd_reply_clear(reply);
        return MHD_NO;
    }
    reply->body = NULL;         /* the response owns it now */
    reply->len = 0;
    if (reply->status != 304)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                reply->content_type);
    if (reply->etag)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, reply->etag);
    if (reply->cache_control)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
                                reply->cache_control);
    if (reply->allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, reply->allow);
    if (reply->status == 503)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    ret = MHD_queue_response(conn, reply->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
           const char *method, const char *version, const char *upload_data,
           size_t *upload_data_size, void **con_cls)
{
    sd_http_t *h = cls;
    request_t *req = *con_cls;
    sd_reply_t reply = {0};
    int refused;

    (void)url;
    (void)version;
    (void)upload_data;
    /* on_uri() made it; libmicrohttpd calls that before this, always. */
    if (!req)
        return MHD_NO;
    if (!req->seen) {
        req->seen = TRUE;
        refused = refusal(h, conn, req);
        /* GET and HEAD are answered once the request is complete (the
         * second call), since a reply queued earlier makes
         * libmicrohttpd close the connection instead of keeping it
         * alive.  Other methods and refusals are answered at once, so
         * that their body is never read. */
        if (!refused && (g_str_equal(method, MHD_HTTP_METHOD_GET)
                         || g_str_equal(method, MHD_HTTP_METHOD_HEAD)))
            return MHD_YES;
    } else {
        refused = 0;
    }
    if (g_atomic_int_get(&req->done)) {
        /* Resumed: the worker's reply, sent once. */
        g_atomic_int_set(&req->done, 0);
        return queue_reply(conn, &req->reply, req->started);
    }
    if (req->answered || *upload_data_size) {
        req->body += *upload_data_size;
        *upload_data_size = 0;
        if (req->answered || req->body <= SD_MAX_BODY)
            return MHD_YES;
        refused = SD_ERROR_TOO_LARGE;
    }
    req->answered = TRUE;
    if (refused) {
        g_autoptr(GError) error = g_error_new(
            SD_ERROR, refused, "%s",
            refused == SD_ERROR_FORBIDDEN
                ? "this user may not query the daemon"
            : refused == SD_ERROR_TOO_LARGE
                ? "request body too large"
                : "too many requests at once; retry");

        sd_json_error_reply(error, &reply);
        reply.endpoint = "refused";     /* no route saw it */
        return queue_reply(conn, &reply, req->started);
    }
    /* To a worker; on_request() is called again once it resumes the
     * connection, and sends the reply then. */
    req->conn = conn;
    req->method = g_strdup(method);
    req->if_none_match = g_strdup(MHD_lookup_connection_value(
        conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH));
    MHD_suspend_connection(conn);
    g_thread_pool_push(h->workers, req, NULL);
    return MHD_YES;
}

static void
work(gpointer data, gpointer user_data)
{
    request_t *req = data;
    sd_http_t *h = user_data;

    sd_api_handle(h->app, req->method, req->uri, &req->reply);
    sd_reply_revalidate(&req->reply, req->if_none_match);
    g_atomic_int_set(&req->done, 1);
    MHD_resume_connection(req->conn);
}

/* libmicrohttpd's own messages (a client that hung up, say) are of
 * interest when debugging only. */
static void
on_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    g_logv(G_LOG_DOMAIN, G_LOG_LEVEL_DEBUG, fmt, ap);
}

sd_http_t *
sd_http_start(int fd, const sd_http_opts_t *opts, sd_app_t *app,
              GError **error)
{
    /* MHD_USE_ITC (part of MHD_ALLOW_SUSPEND_RESUME) is also what
     * MHD_quiesce_daemon() needs; MHD_USE_AUTO picks epoll on Linux. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO
        | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    sd_http_t *h = g_new0(sd_http_t, 1);

    h->fd = -1;
    h->app = app;
    h->opts = *opts;
    /* Exclusive: the threads start now and live as long as the pool, so
     * each keeps its Xapian handle and caches. */
    h->workers = g_thread_pool_new(work, h, opts->threads, TRUE, error);
    if (!h->workers) {
        close(fd);
        g_free(h);
        return NULL;
    }
    h->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, h,
        MHD_OPTION_EXTERNAL_LOGGER, on_log, NULL,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)opts->timeout,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)opts->max_connections,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, h,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
        MHD_OPTION_END);
    if (!h->daemon) {
        g_set_error(error, SD_ERROR, SD_ERROR_CANNOT_START,
                    "cannot start the HTTP server (libmicrohttpd %s)",
                    MHD_get_version());
        /* Whether libmicrohttpd closed the socket it was handed is not
         * documented for failures; closing it here is harmless when it
         * did, as no other thread opens files at start-up. */
        close(fd);
        g_thread_pool_free(h->workers, TRUE, TRUE);
        g_free(h);
        return NULL;
    }
    return h;
}

void
sd_http_quiesce(sd_http_t *h)
{
    MHD_socket fd;

    if (!h || !h->daemon || h->fd >= 0)
        return;
    fd = MHD_quiesce_daemon(h->daemon);
    h->fd = fd == MHD_INVALID_SOCKET ? -1 : fd;
}

/* A request counts from its request line to the end of its reply, so
 * idle keep-alive connections do not hold the shutdown up. */
gboolean
sd_http_drain(sd_http_t *h, unsigned ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)ms * 1000;

    if (!h)
        return TRUE;
    while (g_atomic_int_get(&h->in_flight) > 0) {
        if (g_get_monotonic_time() >= deadline)
            return FALSE;
        g_usleep(5000);
    }
    return TRUE;
}

void
sd_http_free(sd_http_t *h)
{
    if (!h)
        return;
    /* Workers finish what they hold and resume its connections first:
     * libmicrohttpd must not be stopped with a connection suspended. */
    if (h->workers)
        g_thread_pool_free(h->workers, FALSE, TRUE);
    if (h->daemon)
        MHD_stop_daemon(h->daemon);
    /* After MHD_quiesce_daemon() the listening socket is ours again;
     * otherwise MHD_stop_daemon() has closed it. */
    if (h->fd >= 0)
        close(h->fd);
    g_free(h);
}
