/* fetch-result.c -- what the end of one request means for its URL: a
 * body stored in the cache, a 304 that keeps the copy held, or a failure
 * worded for a researcher; and whether to retry (transient failures, with
 * backoff) or follow a redirect (loops, limits and schemes checked).
 * fetch.c owns the jobs and the transfers; ix__fetch_hop_done() is where
 * it hands a finished request over.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <gio/gio.h>

#include "indexer-int.h"

/* ---------------------------------------------------------------- Results */

void
ix_fetch_result_clear(ix_fetch_result_t *r)
{
    if (!r)
        return;
    g_free(r->url);
    g_free(r->final_url);
    g_free(r->reason);
    g_free(r->media_type);
    g_free(r->charset);
    g_free(r->etag);
    g_free(r->last_modified);
    g_free(r->body_path);
    g_free(r->content_hash);
    memset(r, 0, sizeof(*r));
}

void
ix_fetch_result_copy(ix_fetch_result_t *dst, const ix_fetch_result_t *src)
{
    *dst = *src;
    dst->url = g_strdup(src->url);
    dst->final_url = g_strdup(src->final_url);
    dst->reason = g_strdup(src->reason);
    dst->media_type = g_strdup(src->media_type);
    dst->charset = g_strdup(src->charset);
    dst->etag = g_strdup(src->etag);
    dst->last_modified = g_strdup(src->last_modified);
    dst->body_path = g_strdup(src->body_path);
    dst->content_hash = g_strdup(src->content_hash);
}

/* Fills @r's cached-copy fields from @m, whose body is present. */
void
ix__fetch_result_from_meta(ix_cache_t *c, ix_fetch_result_t *r,
                           const ix_cache_meta_t *m)
{
    g_free(r->body_path);
    r->body_path = ix_cache_body_path(c, m->content_hash);
    g_free(r->content_hash);
    r->content_hash = g_strdup(m->content_hash);
    g_free(r->media_type);
    r->media_type = g_strdup(m->media_type);
    g_free(r->charset);
    r->charset = g_strdup(m->charset);
    g_free(r->etag);
    r->etag = g_strdup(m->etag);
    g_free(r->last_modified);
    r->last_modified = g_strdup(m->last_modified);
    if (!r->final_url)
        r->final_url = g_strdup(m->final_url ? m->final_url : m->url);
    r->fetched_at = m->last_ok_at ? m->last_ok_at : m->fetched_at;
}

/* Saves @j's record.  A record that cannot be written costs the next run
 * its conditional request, not this run its result, so the error is only
 * logged. */
static void
save_meta(ix_fetch_job_t *j)
{
    g_autoptr(GError) error = NULL;

    if (!ix_cache_save(j->run->cache, j->meta, &error))
        g_debug("%s: %s", j->url, error->message);
}

void
ix__fetch_finish(ix_fetch_job_t *j)
{
    ix_fetch_run_t *run = j->run;

    run->done(j->index, &j->res, run->rock);
    ix__fetch_job_free(j);
}

/* Ends @j in failure.  When an earlier run left a good copy, the result
 * still points at it (body_path, from_cache) with the failure's status
 * and reason, and the record keeps the copy and its validators. */
void
ix__fetch_fail(ix_fetch_job_t *j, ix_status_t status, char *reason,
               gboolean save)
{
    ix_fetch_result_t *r = &j->res;

    r->status = status;
    g_free(r->reason);
    r->reason = reason;
    if (!r->final_url && j->shown)
        r->final_url = g_strdup(j->shown);
    if (j->meta && j->meta->content_hash) {
        g_clear_pointer(&r->final_url, g_free);
        ix__fetch_result_from_meta(j->run->cache, r, j->meta);
        r->from_cache = TRUE;
    }
    if (save) {
        if (!j->meta)
            j->meta = ix_cache_meta_new(j->url);
        g_free(j->meta->last_status);
        j->meta->last_status = g_strdup(ix_status_name(status));
        g_free(j->meta->last_reason);
        j->meta->last_reason = g_strdup(reason);
        save_meta(j);
    }
    ix__fetch_finish(j);
}

/* A 304: the copy we hold is current.  The response may carry a fresher
 * ETag or Last-Modified, which replaces the stored one. */
static void
finish_not_modified(ix_fetch_job_t *j)
{
    ix_fetch_result_t *r = &j->res;
    ix_cache_meta_t *m = j->meta;
    char *v;
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;

    v = ix__header_value(j->easy, "ETag");
    if (v) {
        g_free(m->etag);
        m->etag = v;
    }
    v = ix__header_value(j->easy, "Last-Modified");
    if (v) {
        g_free(m->last_modified);
        m->last_modified = v;
    }
    m->last_ok_at = now;
    g_free(m->last_status);
    m->last_status = g_strdup(ix_status_name(IX_STATUS_UNCHANGED));
    g_clear_pointer(&m->last_reason, g_free);
    save_meta(j);

    r->status = IX_STATUS_UNCHANGED;
    r->from_cache = TRUE;
    g_clear_pointer(&r->reason, g_free);
    ix__fetch_result_from_meta(j->run->cache, r, m);
    ix__fetch_finish(j);
}

/* A 2xx (or a file read): the body goes into the store, and the record
 * takes the response's validators.  The same bytes as last time make the
 * result unchanged. */
static void
finish_ok(ix_fetch_job_t *j, long code)
{
    ix_fetch_run_t *run = j->run;
    ix_fetch_result_t *r = &j->res;
    g_autoptr(GError) error = NULL;
    const char *hash = g_checksum_get_string(j->sum);
    const char *ct = NULL;
    g_autofree char *body = NULL;
    ix_cache_meta_t *m;
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;

    body = ix_cache_store_body(run->cache, j->tmp_path, hash, &error);
    g_clear_pointer(&j->tmp_path, g_free);
    if (!body) {
        ix__fetch_fail(j, IX_STATUS_UNREACHABLE,
                       ix__fetch_local_failure(run,
                                               g_strdup(error->message)),
                       FALSE);
        return;
    }
    r->status = j->meta && g_strcmp0(j->meta->content_hash, hash) == 0
        ? IX_STATUS_UNCHANGED : IX_STATUS_INDEXED;
    if (!j->meta)
        j->meta = ix_cache_meta_new(j->url);
    m = j->meta;
    g_free(m->final_url);
    m->final_url = g_strdup(j->shown);
    m->http_status = code;
    g_free(m->etag);
    g_free(m->last_modified);
    g_free(m->media_type);
    g_free(m->charset);
    if (j->is_file) {
        /* file:// has no Content-Type: a guess from the name, which the
         * extractor's sniffing overrides anyway. */
        g_autofree char *ct_guess = g_content_type_guess(j->target, NULL, 0,
                                                         NULL);

        m->etag = NULL;
        m->last_modified = NULL;
        m->media_type = g_content_type_get_mime_type(ct_guess);
        m->charset = NULL;
    } else {
        m->etag = ix__header_value(j->easy, "ETag");
        m->last_modified = ix__header_value(j->easy, "Last-Modified");
        curl_easy_getinfo(j->easy, CURLINFO_CONTENT_TYPE, &ct);
        ix__split_content_type(ct, &m->media_type, &m->charset);
    }
    g_free(m->content_hash);
    m->content_hash = g_strdup(hash);
    m->fetched_at = now;
    m->last_ok_at = now;
    g_free(m->last_status);
    m->last_status = g_strdup(ix_status_name(r->status));
    g_clear_pointer(&m->last_reason, g_free);
    save_meta(j);

    /* A retry that succeeded leaves no reason behind. */
    g_clear_pointer(&r->reason, g_free);
    ix__fetch_result_from_meta(run->cache, r, m);
    ix__fetch_finish(j);
}

/* ---------------------------------------------------------------- Reasons */

static char *
timeout_reason(ix_fetch_job_t *j)
{
    const ix_fetch_opts_t *o = j->run->o;

    if (g_str_has_prefix(j->errbuf, "Operation too slow"))
        return g_strdup_printf("stalled: under 1 KB/s for %u s",
                               o->low_speed_time_s);
    if (g_str_has_prefix(j->errbuf, "Connection timed out")
        || g_str_has_prefix(j->errbuf, "Failed to connect"))
        return g_strdup_printf("connection timed out after %u s",
                               o->connect_timeout_s);
    if (g_str_has_prefix(j->errbuf, "Resolving timed out"))
        return g_strdup_printf("DNS lookup timed out after %u s",
                               o->connect_timeout_s);
    return g_strdup_printf("timeout after %u s", o->timeout_s);
}

/* Words a failed transfer as a researcher would want to read it, and says
 * whether it is worth another try (@transient) and which status it is. */
static char *
describe(ix_fetch_job_t *j, CURLcode rc, gboolean *transient,
         ix_status_t *status)
{
    const char *eb = j->errbuf[0] ? j->errbuf : curl_easy_strerror(rc);
    long os_errno = 0;

    curl_easy_getinfo(j->easy, CURLINFO_OS_ERRNO, &os_errno);
    *transient = FALSE;
    *status = IX_STATUS_UNREACHABLE;
    if (j->refused)
        return g_strdup(j->refused);
    if (j->protocol)
        return g_strdup(j->protocol);
    if (j->too_large || rc == CURLE_FILESIZE_EXCEEDED) {
        *status = IX_STATUS_TOO_LARGE;
        return g_strdup_printf("over the %s limit", j->run->limit);
    }
    if (j->write_errno)
        return ix__fetch_local_failure(j->run, g_strdup_printf(
            "cache: cannot write the body: %s", g_strerror(j->write_errno)));
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
        return g_strdup_printf("DNS lookup failed: %s", eb);
    case CURLE_COULDNT_RESOLVE_PROXY:
        return g_strdup_printf("proxy DNS lookup failed: %s", eb);
    case CURLE_COULDNT_CONNECT:
        /* curl's message no longer names the cause; the errno does. */
        *transient = TRUE;
        if (os_errno == ECONNREFUSED || strstr(eb, "refused"))
            return g_strdup("connection refused");
        if (os_errno == EHOSTUNREACH)
            return g_strdup("host unreachable");
        if (os_errno == ENETUNREACH)
            return g_strdup("network unreachable");
        return g_strdup_printf("could not connect: %s", eb);
    case CURLE_OPERATION_TIMEDOUT:
        *transient = TRUE;
        return timeout_reason(j);
    case CURLE_PARTIAL_FILE:
        *transient = TRUE;
        return g_strdup("body shorter than Content-Length (truncated)");
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
        *transient = TRUE;
        if (os_errno == ECONNRESET || strstr(eb, "reset"))
            return g_strdup("connection reset");
        return g_strdup_printf("network error: %s", eb);
    case CURLE_GOT_NOTHING:
        *transient = TRUE;
        return g_strdup("empty reply from server");
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        *transient = TRUE;
        return g_strdup_printf("network error: %s", eb);
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
        return g_strdup_printf("TLS: %s", eb);
    case CURLE_BAD_CONTENT_ENCODING:
        return g_strdup_printf("bad compressed body: %s", eb);
    case CURLE_FILE_COULDNT_READ_FILE:
        return g_strdup_printf("cannot read the file: %s", eb);
    case CURLE_OUT_OF_MEMORY:
        /* libcurl 7.x's word for a response header line over its 100 KB
         * limit (8.x says CURLE_TOO_LARGE): our URLs are capped below
         * its limits (MAX_URL_BYTES), and a real allocation failure
         * would not end only this transfer. */
        return g_strdup_printf("response headers over libcurl's limit "
                               "(%s, curl 27)", eb);
#if LIBCURL_VERSION_NUM >= 0x080600
    case CURLE_TOO_LARGE:
        return g_strdup_printf("response headers over libcurl's limit "
                               "(%s, curl 100)", eb);
#endif
    case CURLE_UNSUPPORTED_PROTOCOL:
        *status = IX_STATUS_UNSUPPORTED;
        return g_strdup_printf("%s (curl %d)", eb, (int)rc);
    default:
        return g_strdup_printf("%s (curl %d)", eb, (int)rc);
    }
}

static gboolean
http_transient(long code)
{
    return code >= 500 || code == 408 || code == 429;
}

/* A transient failure: try again after a doubling delay with up to a
 * quarter of jitter (so many URLs failing together do not return
 * together), or give up, naming the retries in the reason. */
static void
retry_or_fail(ix_fetch_job_t *j, ix_status_t status, char *reason,
              gboolean transient)
{
    ix_fetch_run_t *run = j->run;
    const ix_fetch_opts_t *o = run->o;

    if (transient && j->retries < o->retries) {
        guint64 delay = (guint64)o->backoff_ms << MIN(j->retries, 20u);
        guint64 jitter = delay / 4
            ? (guint64)g_random_int_range(0, (gint32)MIN(delay / 4,
                                                         G_MAXINT32))
            : 0;

        j->retries++;
        j->retry_at = g_get_monotonic_time() + (gint64)(delay + jitter)
            * 1000;
        g_free(j->res.reason);
        j->res.reason = reason;
        g_ptr_array_add(run->waiting, j);
        return;
    }
    if (j->retries) {
        char *r = g_strdup_printf("%s (after %u %s)", reason, j->retries,
                                  j->retries == 1 ? "retry" : "retries");

        g_free(reason);
        reason = r;
    }
    ix__fetch_fail(j, status, reason, TRUE);
}

static gboolean
is_redirect(long code)
{
    return code == 301 || code == 302 || code == 303 || code == 307
        || code == 308;
}

/* A 3xx: the next hop, unless it loops, goes too far, or leaves http. */
static void
follow(ix_fetch_job_t *j, long code)
{
    ix_fetch_run_t *run = j->run;
    char *loc = NULL;
    g_autofree char *next = NULL;
    g_autofree char *scheme = NULL;
    ix_status_t status = IX_STATUS_UNREACHABLE;
    char *reason = NULL;

    curl_easy_getinfo(j->easy, CURLINFO_REDIRECT_URL, &loc);
    if (!loc) {
        ix__fetch_fail(j, IX_STATUS_UNREACHABLE,
                       g_strdup_printf("HTTP %ld without a Location", code),
                       TRUE);
        return;
    }
    next = g_strdup(loc);
    scheme = ix__url_scheme(next);
    if (!scheme || (strcmp(scheme, "http") != 0
                    && strcmp(scheme, "https") != 0)) {
        ix__fetch_fail(j, IX_STATUS_UNREACHABLE,
                       g_strdup_printf("redirect to an unsupported scheme: %s",
                                      scheme ? scheme : next), TRUE);
        return;
    }
    if (!ix__fetch_hop_set(j, next, &status, &reason)) {
        ix__fetch_fail(j, status, reason, TRUE);
        return;
    }
    if (g_hash_table_contains(j->visited, j->target)) {
        ix__fetch_fail(j, IX_STATUS_UNREACHABLE, g_strdup("redirect loop"),
                       TRUE);
        return;
    }
    if (j->redirects >= run->o->max_redirects) {
        ix__fetch_fail(j, IX_STATUS_UNREACHABLE,
                       g_strdup_printf("too many redirects (over %u)",
                                      run->o->max_redirects), TRUE);
        return;
    }
    j->redirects++;
    g_hash_table_add(j->visited, g_strdup(j->target));
    g_queue_push_head(&run->ready, j);
    run->dirty = TRUE;
}

/* One request of @j ended with @rc. */
void
ix__fetch_hop_done(ix_fetch_job_t *j, CURLcode rc)
{
    ix_fetch_run_t *run = j->run;
    long code = 0;
    gboolean transient = FALSE;
    ix_status_t status = IX_STATUS_UNREACHABLE;
    char *reason;

    curl_multi_remove_handle(run->multi, j->easy);
    run->in_flight--;
    ix__fetch_host_add(run, j->host, -1);
    run->dirty = TRUE;
    if (j->fd >= 0) {
        close(j->fd);
        j->fd = -1;
    }
    curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &code);
    j->res.http_status = code;

    /* A discarded error page or redirect body that ran long was cut on
     * purpose: the status line is all that matters. */
    if (rc == CURLE_WRITE_ERROR && j->discarded > IX_FETCH_DISCARD_MAX)
        rc = CURLE_OK;
    if (rc != CURLE_OK) {
        reason = describe(j, rc, &transient, &status);
        retry_or_fail(j, status, reason, transient);
        return;
    }
    if (j->is_file || (code >= 200 && code <= 299)) {
        finish_ok(j, code);
        return;
    }
    if (is_redirect(code)) {
        follow(j, code);
        return;
    }
    if (code == 304 && j->meta && j->meta->content_hash) {
        finish_not_modified(j);
        return;
    }
    retry_or_fail(j, IX_STATUS_UNREACHABLE,
                  g_strdup_printf("HTTP %ld", code), http_transient(code));
}

