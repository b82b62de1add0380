/* http.c -- libmicrohttpd glue: one daemon per listening socket, each
 * request handed to the API and its reply sent back. */
#include <stdarg.h>
#include <unistd.h>

#include <microhttpd.h>

#include "searchd-int.h"

/* Per-connection memory; large enough that a request target somewhat
 * over SD_MAX_URI still reaches the API, which answers 414 in JSON.
 * Beyond it libmicrohttpd answers 414 by itself. */
#define CONNECTION_MEMORY   (64 * 1024)
#define CONNECTION_TIMEOUT  10      /* seconds of inactivity */
#define CONNECTION_LIMIT    1024

struct sd_http {
    struct MHD_Daemon *daemon;
    int fd;                     /* ours to close once quiesced, else -1 */
};

/* What one request keeps between the callbacks of libmicrohttpd. */
typedef struct {
    char *uri;                  /* raw request target, still escaped */
    gboolean seen;              /* the handler was called once */
    gboolean answered;
} request_t;

/* libmicrohttpd hands the access handler an unescaped path and parses
 * the query string its own way; the raw target, seen here before that,
 * lets the API decode it with its own rules ('+', %XX, UTF-8 checks) and
 * measure its length. */
static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    request_t *req = g_new0(request_t, 1);

    (void)cls;
    (void)conn;
    req->uri = g_strdup(uri);
    return req;
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    request_t *req = *con_cls;

    (void)cls;
    (void)conn;
    (void)toe;
    if (!req)
        return;
    g_free(req->uri);
    g_free(req);
    *con_cls = NULL;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
           const char *method, const char *version, const char *upload_data,
           size_t *upload_data_size, void **con_cls)
{
    sd_app_t *app = cls;
    request_t *req = *con_cls;
    struct MHD_Response *resp;
    sd_reply_t reply;
    enum MHD_Result ret;

    (void)version;
    (void)upload_data;
    if (!req) {
        req = on_uri(NULL, url, conn);
        *con_cls = req;
    }
    /* GET and HEAD are answered once the request is complete (the second
     * call), since a reply queued earlier makes libmicrohttpd close the
     * connection instead of keeping it alive.  Other methods are refused
     * at once, so that their body is never read. */
    if (!req->seen) {
        req->seen = TRUE;
        if (g_str_equal(method, MHD_HTTP_METHOD_GET)
            || g_str_equal(method, MHD_HTTP_METHOD_HEAD))
            return MHD_YES;
    }
    if (req->answered || *upload_data_size) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    req->answered = TRUE;
    sd_api_handle(app, method, req->uri, &reply);
    resp = MHD_create_response_from_buffer_with_free_callback(
        reply.len, reply.body, g_free);
    if (!resp) {
        sd_reply_clear(&reply);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            reply.content_type);
    if (reply.allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, reply.allow);
    ret = MHD_queue_response(conn, reply.status, resp);
    MHD_destroy_response(resp);
    return ret;
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
sd_http_start(int fd, unsigned threads, sd_app_t *app, GError **error)
{
    /* MHD_USE_ITC is what MHD_quiesce_daemon() needs with a thread pool;
     * MHD_USE_AUTO picks epoll on Linux. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO
        | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    sd_http_t *h = g_new0(sd_http_t, 1);

    h->fd = -1;
    h->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, app,
        MHD_OPTION_EXTERNAL_LOGGER, on_log, NULL,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)threads,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONNECTION_TIMEOUT,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)CONNECTION_LIMIT,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_END);
    if (!h->daemon) {
        g_set_error(error, SD_ERROR, SD_ERROR_CANNOT_START,
                    "cannot start the HTTP server (libmicrohttpd %s)",
                    MHD_get_version());
        /* Whether libmicrohttpd closed the socket it was handed is not
         * documented for failures; closing it here is harmless when it
         * did, as no other thread opens files at start-up. */
        close(fd);
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

void
sd_http_free(sd_http_t *h)
{
    if (!h)
        return;
    if (h->daemon)
        MHD_stop_daemon(h->daemon);
    /* After MHD_quiesce_daemon() the listening socket is ours again;
     * otherwise MHD_stop_daemon() has closed it. */
    if (h->fd >= 0)
        close(h->fd);
    g_free(h);
}
