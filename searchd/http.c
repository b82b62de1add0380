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
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "searchd-int.h"

/* Per-connection memory: the request line and headers, and a record
 * for each header and query parameter.  Large enough that a target of
 * about 60 KB (seven times SD_MAX_URI), or headers of about 30 KB (twice
 * SD_MAX_HEADER_BYTES), still reach the checks here, which answer in
 * JSON; only beyond does libmicrohttpd answer 414 or 431 by itself (an
 * HTML body, the connection closed).  libmicrohttpd zeroes the whole
 * pool between two requests of a kept-alive connection, so this is what
 * each such connection costs: 64 MB at --max-connections 1024. */
#define CONNECTION_MEMORY   (64 * 1024)
/* Bytes of a reply the kernel may buffer per connection (it doubles
 * this): what a slow client can still receive after it is cut off. */
#define SEND_BUFFER         (64 * 1024)
/* How often replies past their deadline are looked for. */
#define REAP_MS             250

typedef struct request request_t;

/* One connection, from libmicrohttpd's NOTIFY_CONNECTION "started" to
 * "closed" (which it sends before it closes the socket, and whatever
 * happened to the request on it). */
typedef struct {
    request_t *req;             /* the request begun on it, or NULL */
    int fd;                     /* its socket */
    gint64 deadline;            /* monotonic us by which the reply must
                                 * be read; 0: none pending.  Under
                                 * sd_http.lock. */
} conn_t;

struct sd_http {
    struct MHD_Daemon *daemon;
    GThreadPool *workers;       /* answer requests; own the Xapian handles */
    int fd;                     /* ours to close once quiesced, else -1 */
    sd_app_t *app;
    sd_http_opts_t opts;
    gint in_flight;             /* atomic: requests begun, not completed */
    gint working;               /* atomic: of those, held by a worker */
    gint closing;               /* atomic: the drain is over; no request
                                 * goes to a worker any more */
    GMutex lock;                /* guards conns and each conn's deadline */
    GHashTable *conns;          /* conn_t set, owned */
    guint reaper;               /* GSource id */
};

/* Bytes of reply bodies queued and not yet sent, over every listener:
 * the memory that clients who do not read can make the daemon hold. */
static gsize reply_bytes;

/* What one request keeps between the callbacks of libmicrohttpd. */
struct request {
    conn_t *conn_ctx;           /* its connection's record */
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
    gint working;               /* atomic: a worker holds it */
};

/* A reply body queued for sending: counted in reply_bytes until
 * libmicrohttpd frees it. */
typedef struct {
    char *body;
    size_t len;
} queued_t;

static void
queued_free(void *data)
{
    queued_t *q = data;

    g_atomic_pointer_add(&reply_bytes, -(gssize)q->len);
    g_free(q->body);
    g_free(q);
}

static conn_t *
conn_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(
        conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return info ? info->socket_context : NULL;
}

/* Ends @req: frees it and returns its slot.  Called once, from
 * on_completed() or, when libmicrohttpd dropped the request without
 * saying so (it does after some of its own errors), from the
 * connection's close. */
static void
request_end(sd_http_t *h, request_t *req)
{
    if (req->conn_ctx) {
        g_mutex_lock(&h->lock);
        req->conn_ctx->req = NULL;
        req->conn_ctx->deadline = 0;
        g_mutex_unlock(&h->lock);
    }
    g_free(req->uri);
    g_free(req->method);
    g_free(req->if_none_match);
    sd_reply_clear(&req->reply);
    g_free(req);
    g_atomic_int_dec_and_test(&h->in_flight);
}

static void
on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
              enum MHD_ConnectionNotificationCode toe)
{
    sd_http_t *h = cls;
    conn_t *c = *socket_context;
    int sndbuf = SEND_BUFFER;

    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *info = MHD_get_connection_info(
            conn, MHD_CONNECTION_INFO_CONNECTION_FD);

        c = g_new0(conn_t, 1);
        c->fd = info ? info->connect_fd : -1;
        /* A fixed send buffer: left to autotuning, the kernel took
         * 2.7 MB of a reply for a client with a 4 KB window, and went
         * on trickling it out for minutes after the connection was
         * closed for being slow. */
        if (c->fd >= 0)
            (void)setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
                             sizeof(sndbuf));
        g_mutex_lock(&h->lock);
        g_hash_table_add(h->conns, c);
        g_mutex_unlock(&h->lock);
        *socket_context = c;
        return;
    }
    if (!c)
        return;
    if (c->req)
        request_end(h, c->req);
    g_mutex_lock(&h->lock);
    g_hash_table_remove(h->conns, c);
    g_mutex_unlock(&h->lock);
    g_free(c);
    *socket_context = NULL;
}

/* Shuts down the sockets of replies not read by their deadline; the
 * I/O thread then sees the error and closes the connection.  The lock
 * is the one on_connection() takes before libmicrohttpd closes a
 * socket, so a descriptor shut down here is always still the
 * connection's. */
static gboolean
reap(gpointer data)
{
    sd_http_t *h = data;
    gint64 now = g_get_monotonic_time();
    GHashTableIter it;
    gpointer key;

    g_mutex_lock(&h->lock);
    g_hash_table_iter_init(&it, h->conns);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        conn_t *c = key;

        if (c->deadline && now > c->deadline && c->fd >= 0) {
            /* Linger 0: libmicrohttpd's close() then resets the
             * connection, dropping what the kernel still buffers for
             * this client (megabytes over TCP) instead of trickling it
             * out after a FIN. */
            struct linger off = {1, 0};

            g_debug("reply not read within %u s; closing", h->opts.timeout);
            (void)setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &off,
                             sizeof(off));
            (void)shutdown(c->fd, SHUT_RDWR);
            c->deadline = 0;
        }
    }
    g_mutex_unlock(&h->lock);
    return G_SOURCE_CONTINUE;
}

/* libmicrohttpd hands the access handler an unescaped path and parses
 * the query string its own way; the raw target, seen here before that,
 * lets the API decode it with its own rules ('+', %XX, UTF-8 checks) and
 * measure its length.
 *
 * libmicrohttpd then stores a record per query parameter in the
 * connection's memory; a thousand of them in a 2 KB target exhaust it,
 * and libmicrohttpd 0.9.75 drops the request half-way (no reply, no
 * NOTIFY_COMPLETED).  Past SD_MAX_PARAMS the query string is cut off
 * before it parses it: @uri points into its own request buffer, where
 * the query string follows the '?' that it is about to overwrite.  The
 * API, which reads the copy made here, answers 400. */
static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    sd_http_t *h = cls;
    request_t *req = g_new0(request_t, 1);
    conn_t *c = conn_of(conn);

    req->uri = g_strdup(uri);
    req->started = g_get_monotonic_time();
    if (sd_limits_count_params(uri) > SD_MAX_PARAMS)
        ((char *)strchr(uri, '?'))[1] = '\0';
    if (c) {
        if (c->req)             /* never seen; belt and braces */
            request_end(h, c->req);
        c->req = req;
        req->conn_ctx = c;
    }
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
    *con_cls = NULL;
    request_end(h, req);
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

static enum MHD_Result
add_header_bytes(void *cls, enum MHD_ValueKind kind, const char *key,
                 const char *value)
{
    size_t *n = cls;

    (void)kind;
    *n += strlen(key) + (value ? strlen(value) : 0) + 4;
    return MHD_YES;
}

/* Returns the error that refuses the request before the API sees it
 * (0: none), its message in *@why: a peer not allowed, a foreign Host,
 * a method or target form not served, a transfer coding not understood,
 * an HTTP/1.1 request without Host, headers or a body too large, the
 * server too busy. */
static int
refusal(sd_http_t *h, struct MHD_Connection *conn, const request_t *req,
        const char *method, const char *version, const char **why)
{
    const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                   MHD_HTTP_HEADER_HOST);
    const char *length;
    size_t header_bytes = 0;

    if (!peer_allowed(h, conn)) {
        *why = "this user may not query the daemon";
        return SD_ERROR_FORBIDDEN;
    }
    /* RFC 9112, 3.2; libmicrohttpd checks it only with
     * MHD_USE_PEDANTIC_CHECKS, and then answers with its own HTML. */
    if (!host && g_str_equal(version, MHD_HTTP_VERSION_1_1)) {
        *why = "an HTTP/1.1 request needs a Host header";
        return SD_ERROR_BAD_REQUEST;
    }
    if (!sd_limits_host_allowed(h->opts.hosts, host)) {
        *why = "this server does not answer for that Host";
        return SD_ERROR_MISDIRECTED;
    }
    if (!g_str_equal(method, MHD_HTTP_METHOD_GET)
        && !g_str_equal(method, MHD_HTTP_METHOD_HEAD)) {
        *why = "method not allowed; use GET";
        return SD_ERROR_METHOD_NOT_ALLOWED;
    }
    if (!sd_limits_target_ok(req->uri)) {
        *why = "the request target must be a path";
        return SD_ERROR_BAD_REQUEST;
    }
    if (!sd_limits_coding_ok(MHD_lookup_connection_value(
                                 conn, MHD_HEADER_KIND,
                                 MHD_HTTP_HEADER_TRANSFER_ENCODING))) {
        *why = "transfer coding not implemented; use chunked or none";
        return SD_ERROR_NOT_IMPLEMENTED;
    }
    MHD_get_connection_values(conn, MHD_HEADER_KIND, add_header_bytes,
                              &header_bytes);
    if (header_bytes > SD_MAX_HEADER_BYTES) {
        *why = "request headers too large";
        return SD_ERROR_HEADERS_TOO_LARGE;
    }
    length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                         MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (req->body > SD_MAX_BODY
        || (length && g_ascii_strtoull(length, NULL, 10) > SD_MAX_BODY)) {
        *why = "request body too large";
        return SD_ERROR_TOO_LARGE;
    }
    if (g_atomic_int_get(&h->closing)) {
        *why = "the daemon is stopping; retry";
        return SD_ERROR_BUSY;
    }
    if ((unsigned)g_atomic_int_get(&h->in_flight) + SD_BUSY_MARGIN
        > h->opts.max_connections) {
        *why = "too many requests at once; retry";
        return SD_ERROR_BUSY;
    }
    return 0;
}

/* Counts @reply among the replies waiting to be read, or turns it into
 * a 503 when holding it would take them past --max-reply-memory. */
static void
reserve_reply(sd_http_t *h, sd_reply_t *reply)
{
    gsize limit = h->opts.max_reply_bytes;
    gsize before = (gsize)g_atomic_pointer_add(&reply_bytes,
                                               (gssize)reply->len);

    if (limit && before + reply->len > limit) {
        g_autoptr(GError) error = g_error_new(
            SD_ERROR, SD_ERROR_BUSY, "%s",
            "too many replies waiting to be read; retry");

        g_atomic_pointer_add(&reply_bytes, -(gssize)reply->len);
        sd_reply_clear(reply);
        sd_json_error_reply(error, reply);
        reply->allow = NULL;
        reply->cache_control = "no-store";  /* not the answer's policy */
        /* Small: counted, never refused. */
        g_atomic_pointer_add(&reply_bytes, (gssize)reply->len);
    }
}

/* Queues @reply, counted by reserve_reply() here, in libmicrohttpd's
 * thread, so that a reply never queued (its client hung up while a
 * worker answered) is never counted.  Every reply carries a
 * Content-Security-Policy and nosniff, and must be read by the client
 * within --timeout seconds. */
static enum MHD_Result
queue_reply(sd_http_t *h, struct MHD_Connection *conn, sd_reply_t *reply,
            gint64 started)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;
    queued_t *q = g_new(queued_t, 1);
    conn_t *c = conn_of(conn);

    reserve_reply(h, reply);
    /* Counted before it is sent, so a client that reads /metrics after
     * its reply always finds its request there; after reserve_reply(),
     * so a reply turned into a 503 counts as one. */
    sd_metrics_observe(reply, (g_get_monotonic_time() - started) / 1e6);
    q->body = reply->body;
    q->len = reply->len;
    reply->body = NULL;         /* q owns it now */
    reply->len = 0;
    resp = MHD_create_response_from_buffer_with_free_callback_cls(
        q->len, q->body, queued_free, q);
    if (!resp) {
        queued_free(q);
        return MHD_NO;
    }
    if (reply->status != 304)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                reply->content_type);
    if (reply->etag)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, reply->etag);
    if (reply->cache_control)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
                                reply->cache_control);
    MHD_add_response_header(resp, "Content-Security-Policy",
                            sd_limits_csp(reply->content_type));
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (reply->allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, reply->allow);
    if (reply->status == 503)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    ret = MHD_queue_response(conn, reply->status, resp);
    MHD_destroy_response(resp);
    if (c) {
        g_mutex_lock(&h->lock);
        c->deadline = g_get_monotonic_time()
            + (gint64)h->opts.timeout * G_USEC_PER_SEC;
        g_mutex_unlock(&h->lock);
    }
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
    const char *why = NULL;
    int refused;

    (void)url;
    (void)upload_data;
    /* on_uri() made it; libmicrohttpd calls that before this, always. */
    if (!req)
        return MHD_NO;
    if (!req->seen) {
        req->seen = TRUE;
        refused = refusal(h, conn, req, method, version, &why);
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
        return queue_reply(h, conn, &req->reply, req->started);
    }
    if (req->answered || *upload_data_size) {
        req->body += *upload_data_size;
        *upload_data_size = 0;
        if (req->answered || req->body <= SD_MAX_BODY)
            return MHD_YES;
        refused = SD_ERROR_TOO_LARGE;
        why = "request body too large";
    }
    req->answered = TRUE;
    if (refused) {
        g_autoptr(GError) error = g_error_new(SD_ERROR, refused, "%s", why);

        sd_json_error_reply(error, &reply);
        reply.endpoint = "refused";     /* no route saw it */
        if (refused == SD_ERROR_METHOD_NOT_ALLOWED)
            reply.allow = "GET, HEAD";
        return queue_reply(h, conn, &reply, req->started);
    }
    /* To a worker; on_request() is called again once it resumes the
     * connection, and sends the reply then. */
    req->conn = conn;
    req->method = g_strdup(method);
    req->if_none_match = g_strdup(MHD_lookup_connection_value(
        conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH));
    MHD_suspend_connection(conn);
    g_atomic_int_set(&req->working, 1);
    g_atomic_int_inc(&h->working);
    g_thread_pool_push(h->workers, req, NULL);
    return MHD_YES;
}

#ifdef CTMAP_TESTING
/* CTMAP_TEST_STALL=TEXT: in a test build, a worker given a target that
 * holds TEXT sleeps for ten minutes before it answers, as one stuck in a
 * long Enquire::get_mset would, so that a test can send SIGTERM with it
 * in flight. */
static void
stall_hook(const char *uri)
{
    const char *text = g_getenv("CTMAP_TEST_STALL");

    if (text && *text && strstr(uri, text)) {
        g_message("test stall: %s", uri);
        g_usleep(600 * G_USEC_PER_SEC);
    }
}
#else
#define stall_hook(uri) ((void)0)
#endif

static void
work(gpointer data, gpointer user_data)
{
    request_t *req = data;
    sd_http_t *h = user_data;

    stall_hook(req->uri);
    sd_api_handle(h->app, req->method, req->uri, &req->reply);
    sd_reply_revalidate(&req->reply, req->if_none_match);
    g_atomic_int_set(&req->working, 0);
    g_atomic_int_dec_and_test(&h->working);
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
    g_mutex_init(&h->lock);
    h->conns = g_hash_table_new(NULL, NULL);
    h->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, h,
        MHD_OPTION_EXTERNAL_LOGGER, on_log, NULL,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)opts->timeout,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)opts->max_connections,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, h,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
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
        g_hash_table_unref(h->conns);
        g_mutex_clear(&h->lock);
        g_free(h);
        return NULL;
    }
    h->reaper = g_timeout_add(REAP_MS, reap, h);
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

guint
sd_http_report_stuck(sd_http_t *h)
{
    gint64 now = g_get_monotonic_time();
    GHashTableIter it;
    gpointer key;
    guint n = 0;

    if (!h)
        return 0;
    /* A kept-alive client's next request, from now on, would hold up
     * sd_http_free() in turn. */
    g_atomic_int_set(&h->closing, 1);
    if (!g_atomic_int_get(&h->working))
        return 0;
    /* request_end() takes this lock to unlink a request before freeing
     * it, so each one seen here stays whole while it is read. */
    g_mutex_lock(&h->lock);
    g_hash_table_iter_init(&it, h->conns);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        const request_t *req = ((const conn_t *)key)->req;

        if (!req || !g_atomic_int_get(&req->working))
            continue;
        g_warning("still answering %s %.200s, begun %.1f s ago",
                  req->method, req->uri, (now - req->started) / 1e6);
        n++;
    }
    g_mutex_unlock(&h->lock);
    /* Between a worker's last counting and its request's end. */
    return MAX(n, (guint)g_atomic_int_get(&h->working));
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
    if (h->reaper)
        g_source_remove(h->reaper);
    g_hash_table_unref(h->conns);
    g_mutex_clear(&h->lock);
    g_free(h);
}
