/* fetch.c -- libcurl multi driver: parallel transfers under a global and
 * a per-host limit, conditional GET against the cache, retries with
 * backoff, redirects followed by hand, and the address check that keeps a
 * cited link off loopback, private and link-local networks.
 *
 * One run is one curl multi handle driven from the caller's thread.  Each
 * URL is a job; a job makes one request per "hop" (redirects) and per
 * attempt (retries).  Jobs wait in a ready queue until a slot is free
 * overall and on their host; a job backing off before a retry waits in a
 * separate list with its retry time, and curl_multi_poll() sleeps no
 * longer than the nearest one, so a retry never blocks other transfers.
 * What a finished request means -- a stored body, a 304, a failure's
 * wording, a retry or the next hop -- is decided in fetch-result.c.
 *
 * Redirects are followed here rather than by CURLOPT_FOLLOWLOCATION so
 * that every hop gets the same treatment as the first: --mirror
 * rewriting, the scheme check, the address check, loop detection.
 *
 * The address check runs on the address actually connected to, twice:
 * CURLOPT_OPENSOCKETFUNCTION refuses a socket to a forbidden address before
 * any packet is sent, and CURLOPT_PREREQFUNCTION (curl 7.80) refuses a
 * request that would ride on a connection already open (connection reuse
 * skips the socket callback).  Host names that are literal addresses are
 * also checked before the transfer starts, which is what catches them when
 * a proxy is in use.
 *
 * Proxies: libcurl reads the proxy environment (http_proxy, HTTPS_PROXY,
 * ALL_PROXY, NO_PROXY) itself and we leave that alone.  Through a proxy
 * the address connected to is the proxy's, which the operator configured:
 * it is trusted like a --mirror target (so a proxy on 10.0.0.8 works
 * without --allow-private).  The limitation: through a proxy, a host
 * *name* that resolves to a private address is not caught here -- the
 * proxy resolves it; literal addresses still are.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "corpus.h"
#include "indexer-int.h"

#define USER_AGENT \
    "ctmap/" CTMAP_VERSION " (+search over the PCVE/CT mapping)"
#define LOW_SPEED_BYTES 1024
/* The longest curl_multi_poll() sleep, so a slow clock or a missed wakeup
 * costs at most this. */
#define POLL_MAX_MS 1000
/* Longer URLs are refused before any request: no server takes them (most
 * stop at 8 KB), and libcurl fails on a few MB with "Out of memory". */
#define MAX_URL_BYTES (64 * 1024)

/* ---------------------------------------------------------------- Runs */

void
ix__fetch_job_free(ix_fetch_job_t *j)
{
    if (!j)
        return;
    if (j->easy)
        curl_easy_cleanup(j->easy);
    curl_slist_free_all(j->headers);
    if (j->fd >= 0)
        close(j->fd);
    if (j->tmp_path)
        g_unlink(j->tmp_path);
    g_free(j->tmp_path);
    if (j->sum)
        g_checksum_free(j->sum);
    g_free(j->target);
    g_free(j->shown);
    g_free(j->host);
    g_free(j->refused);
    g_free(j->protocol);
    g_hash_table_unref(j->visited);
    ix_cache_meta_free(j->meta);
    ix_fetch_result_clear(&j->res);
    g_free(j);
}

/* The scheme of @url, lower-cased ("www.x.org" is http).
 * Returns: (transfer full) (nullable). */
char *
ix__url_scheme(const char *url)
{
    const char *sep = strstr(url, "://");

    if (g_ascii_strncasecmp(url, "www.", 4) == 0)
        return g_strdup("http");
    if (!sep || !ix__has_scheme(url))
        return NULL;
    return g_ascii_strdown(url, sep - url);
}

/* The local path of a file:// URL, percent-decoded; NULL when it names
 * another machine.  Spaces and other characters a repaired link may hold
 * are taken as written. */
static char *
file_url_path(const char *url)
{
    const char *p = url + strlen("file://");

    if (g_ascii_strncasecmp(p, "localhost/", 10) == 0)
        p += strlen("localhost");
    if (*p != '/')
        return NULL;
    return g_uri_unescape_segment(p, p + strcspn(p, "?#"), NULL);
}

/* TRUE when @path (canonical) is @root or below it. */
static gboolean
path_below(const char *path, const char *root)
{
    gsize n = strlen(root);

    if (n > 0 && root[n - 1] == '/')
        n--;
    return strncmp(path, root, n) == 0 && (path[n] == '/' || !path[n]);
}

/* Decides whether a file:// hop may be read.  Both the file and each
 * repository are canonicalised with realpath(), so ".." and symbolic
 * links cannot lead outside a repository.  Sets @canon (transfer full) to
 * the real path on success; otherwise @status and @reason. */
static gboolean
file_allowed(const ix_fetch_opts_t *o, const char *url, gboolean trusted,
             char **canon, ix_status_t *status, char **reason)
{
    g_autofree char *path = file_url_path(url);
    g_autofree char *real = NULL;
    g_autofree char *dir = NULL;
    g_autofree char *real_dir = NULL;
    gboolean inside = FALSE;

    if (!path) {
        *status = IX_STATUS_UNSUPPORTED;
        *reason = g_strdup("file:// on another machine");
        return FALSE;
    }
    real = realpath(path, NULL);
    if (!real) {
        /* A missing file inside a repository says so; anywhere else it
         * is simply outside. */
        dir = g_path_get_dirname(path);
        real_dir = realpath(dir, NULL);
    }
    for (guint i = 0; o->repositories && i < o->repositories->len; i++) {
        g_autofree char *root = realpath(g_ptr_array_index(o->repositories,
                                                           i), NULL);

        if (root && path_below(real ? real : real_dir ? real_dir : "", root))
            inside = TRUE;
    }
    if (!inside && !trusted) {
        *status = IX_STATUS_UNSUPPORTED;
        *reason = g_strdup("file:// outside the repository");
        return FALSE;
    }
    if (!real) {
        *status = IX_STATUS_UNREACHABLE;
        *reason = g_strdup_printf("file not found: %s", path);
        return FALSE;
    }
    *canon = g_steal_pointer(&real);
    return TRUE;
}

/* Points job @j at @url for its next hop: applies --mirror, checks the
 * scheme, and for http(s) the host (literal addresses are judged here, at
 * once; names when connecting).  FALSE with @status and @reason when the
 * hop must not be made. */
gboolean
ix__fetch_hop_set(ix_fetch_job_t *j, const char *url, ix_status_t *status,
                  char **reason)
{
    const ix_fetch_opts_t *o = j->run->o;
    g_autofree char *target = NULL;
    g_autofree char *scheme = NULL;
    g_autofree char *host = NULL;
    char *shown = NULL;
    CURLU *u;
    CURLUcode uc;

    if (strlen(url) > MAX_URL_BYTES) {
        *status = IX_STATUS_UNREACHABLE;
        *reason = g_strdup_printf("URL too long (%" G_GSIZE_FORMAT
                                  " bytes, over %u KB)", strlen(url),
                                  MAX_URL_BYTES / 1024);
        return FALSE;
    }
    if (ix__mirror_find(o, url, FALSE, &target)) {
        j->trusted = TRUE;
    } else {
        target = g_strdup(url);
        j->trusted = ix__mirror_find(o, url, TRUE, NULL) != NULL;
    }
    g_clear_pointer(&j->shown, g_free);
    /* What the result shows never holds a password, even when a
     * redirect's Location does. */
    j->shown = ix__mirror_find(o, target, TRUE, &shown)
        ? shown : corpus_url_strip_userinfo(url);
    scheme = ix__url_scheme(target);
    j->is_file = g_strcmp0(scheme, "file") == 0;
    if (j->is_file) {
        g_autofree char *canon = NULL;

        if (!file_allowed(o, target, j->trusted, &canon, status, reason))
            return FALSE;
        g_free(j->target);
        j->target = g_filename_to_uri(canon, NULL, NULL);
        g_free(j->host);
        j->host = g_strdup("");
        return TRUE;
    }
    if (!scheme || (strcmp(scheme, "http") != 0
                    && strcmp(scheme, "https") != 0)) {
        *status = IX_STATUS_UNSUPPORTED;
        *reason = scheme ? g_strdup_printf("unsupported scheme: %s", scheme)
                         : g_strdup("not a URL");
        return FALSE;
    }

    /* curl's own parser gives the host as curl will see it, and the URL
     * with spaces and non-ASCII percent-encoded. */
    u = curl_url();
    uc = curl_url_set(u, CURLUPART_URL, target,
                      CURLU_GUESS_SCHEME | CURLU_URLENCODE);
    if (uc == CURLUE_OK) {
        char *s = NULL;

        /* A user name or password (a redirect may add one) is never sent:
         * credentials do not belong in a public citation. */
        curl_url_set(u, CURLUPART_USER, NULL, 0);
        curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
        if (curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK) {
            g_free(target);
            target = g_strdup(s);
            curl_free(s);
        }
        s = NULL;
        if (curl_url_get(u, CURLUPART_HOST, &s, 0) == CURLUE_OK) {
            host = g_ascii_strdown(s, -1);
            curl_free(s);
        }
    }
    curl_url_cleanup(u);
    if (!host || !*host) {
        *status = IX_STATUS_UNREACHABLE;
        *reason = g_strdup_printf("malformed URL: %s",
                                  uc == CURLUE_OK ? "no host"
                                                  : curl_url_strerror(uc));
        return FALSE;
    }
    if (!j->trusted && !o->allow_private) {
        g_autofree char *bare = host[0] == '['
            ? g_strndup(host + 1, strcspn(host + 1, "]%")) : g_strdup(host);
        struct sockaddr_storage ss;
        const char *kind;

        if (ix__parse_address(bare, &ss)
            && (kind = ix_fetch_address_kind((struct sockaddr *)&ss))) {
            *status = IX_STATUS_UNREACHABLE;
            *reason = ix__refusal(bare, kind);
            return FALSE;
        }
    }
    g_free(j->target);
    j->target = g_steal_pointer(&target);
    g_free(j->host);
    j->host = g_steal_pointer(&host);
    return TRUE;
}

/* ---------------------------------------------------------------- Callbacks */

/* Judges an address about to be connected to (or, for a reused
 * connection, already connected to).  The proxies' addresses are trusted.
 * Sets @j->refused and returns FALSE when forbidden. */
static gboolean
address_ok(ix_fetch_job_t *j, const struct sockaddr *sa, const char *when)
{
    g_autofree char *text = ix__address_text(sa);
    const char *kind = ix_fetch_address_kind(sa);

    if (!kind)
        return TRUE;
    if (j->run->proxy_ips && g_hash_table_contains(j->run->proxy_ips, text))
        return TRUE;
    g_free(j->refused);
    j->refused = ix__refusal(text, kind);
    g_debug("%s: %s (%s)", j->target, j->refused, when);
    return FALSE;
}

static curl_socket_t
on_open_socket(void *clientp, curlsocktype purpose,
               struct curl_sockaddr *address)
{
    ix_fetch_job_t *j = clientp;

    (void)purpose;
    if (!address_ok(j, &address->addr, "connecting"))
        return CURL_SOCKET_BAD;
    return socket(address->family, address->socktype | SOCK_CLOEXEC,
                  address->protocol);
}

static int
on_prereq(void *clientp, char *primary_ip, char *local_ip, int primary_port,
          int local_port)
{
    ix_fetch_job_t *j = clientp;
    struct sockaddr_storage ss;

    (void)local_ip;
    (void)primary_port;
    (void)local_port;
    if (ix__parse_address(primary_ip, &ss)
        && !address_ok(j, (struct sockaddr *)&ss, "before the request"))
        return CURL_PREREQFUNC_ABORT;
    return CURL_PREREQFUNC_OK;
}

/* Receives the body.  Only a 2xx body (or a file's) is kept, hashed as it
 * arrives; the byte limit is enforced here because Content-Length may be
 * absent or compressed (CURLOPT_MAXFILESIZE_LARGE catches a declared
 * length early).  Returning less than @n aborts the transfer. */
static size_t
on_body(char *data, size_t size, size_t nmemb, void *p)
{
    ix_fetch_job_t *j = p;
    size_t n = size * nmemb;
    long code = 0;
    size_t done = 0;

    curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &code);
    if (!j->is_file && (code < 200 || code > 299)) {
        j->discarded += n;
        return j->discarded > IX_FETCH_DISCARD_MAX ? 0 : n;
    }
    if (j->run->o->max_bytes && j->bytes + n > j->run->o->max_bytes) {
        j->too_large = TRUE;
        return 0;
    }
    while (done < n) {
        ssize_t w = write(j->fd, data + done, n - done);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            j->write_errno = errno;
            return 0;
        }
        done += (size_t)w;
    }
    g_checksum_update(j->sum, (const guchar *)data, (gssize)n);
    j->bytes += n;
    return n;
}

/* Sees each response's headers whole (at the blank line that ends
 * them): Content-Length headers that disagree make the body's end
 * unknowable -- libcurl would take one and wait for bytes that never come,
 * a "stall" retried for minutes -- so the transfer stops there. */
static size_t
on_header(char *data, size_t size, size_t nmemb, void *p)
{
    ix_fetch_job_t *j = p;
    size_t n = size * nmemb;
    struct curl_header *first = NULL, *h = NULL;
    g_autofree char *value = NULL;

    if (n > 2 || (n == 2 && data[0] != '\r') || (n == 1 && data[0] != '\n'))
        return n;
    if (curl_easy_header(j->easy, "Content-Length", 0, CURLH_HEADER, -1,
                         &first) != CURLHE_OK || first->amount < 2)
        return n;
    value = g_strdup(first->value);

    for (size_t i = 1; i < first->amount; i++)
        if (curl_easy_header(j->easy, "Content-Length", i, CURLH_HEADER, -1,
                             &h) == CURLHE_OK
            && strcmp(g_strstrip(value), g_strstrip(h->value)) != 0) {
            g_free(j->protocol);
            j->protocol = g_strdup_printf(
                "protocol error: conflicting Content-Length headers (%s "
                "and %s)", value, h->value);
            return 0;
        }
    return n;
}

/* ---------------------------------------------------------------- Hops */

/* A body that cannot be staged in the cache (a full or read-only disk) is
 * this machine's failure, not the document's: the URL's result says so,
 * and the run as a whole fails with IX_ERROR_IO, so that the index keeps
 * the text it has rather than losing it to a document marked
 * unreachable.  Returns @reason. */
char *
ix__fetch_local_failure(ix_fetch_run_t *run, char *reason)
{
    if (!run->io_error)
        run->io_error = g_error_new(IX_ERROR, IX_ERROR_IO, "%s", reason);
    return reason;
}

/* The conditional headers, sent only to the URL the cached validators
 * came from: a 304 is then about the very bytes we hold. */
static void
add_conditions(ix_fetch_job_t *j)
{
    g_autofree char *a = NULL;
    g_autofree char *b = NULL;
    const ix_cache_meta_t *m = j->meta;

    if (!m || !m->content_hash || j->is_file)
        return;
    a = corpus_url_normalize(j->shown);
    b = corpus_url_normalize(m->final_url ? m->final_url : m->url);
    if (strcmp(a, b) != 0)
        return;
    if (m->etag) {
        g_autofree char *h = g_strconcat("If-None-Match: ", m->etag, NULL);

        j->headers = curl_slist_append(j->headers, h);
    }
    if (m->last_modified) {
        g_autofree char *h = g_strconcat("If-Modified-Since: ",
                                         m->last_modified, NULL);

        j->headers = curl_slist_append(j->headers, h);
    }
}

static guint
host_load(ix_fetch_run_t *run, const char *host)
{
    return GPOINTER_TO_UINT(g_hash_table_lookup(run->per_host, host));
}

void
ix__fetch_host_add(ix_fetch_run_t *run, const char *host, int delta)
{
    guint n = host_load(run, host) + delta;

    if (n)
        g_hash_table_insert(run->per_host, g_strdup(host),
                            GUINT_TO_POINTER(n));
    else
        g_hash_table_remove(run->per_host, host);
}

/* Starts the request of @j's current hop.  FALSE (with @reason) when the
 * cache cannot take the body. */
static gboolean
hop_start(ix_fetch_job_t *j, char **reason)
{
    ix_fetch_run_t *run = j->run;
    const ix_fetch_opts_t *o = run->o;
    g_autoptr(GError) error = NULL;
    CURL *e;

    if (j->tmp_path) {
        g_unlink(j->tmp_path);
        g_clear_pointer(&j->tmp_path, g_free);
    }
    j->fd = ix_cache_tmp_open(run->cache, &j->tmp_path, &error);
    if (j->fd < 0) {
        *reason = ix__fetch_local_failure(run, g_strdup(error->message));
        return FALSE;
    }
    if (j->sum)
        g_checksum_reset(j->sum);
    else
        j->sum = g_checksum_new(G_CHECKSUM_SHA256);
    j->bytes = 0;
    j->discarded = 0;
    j->too_large = FALSE;
    j->write_errno = 0;
    j->errbuf[0] = '\0';
    g_clear_pointer(&j->refused, g_free);
    g_clear_pointer(&j->protocol, g_free);
    g_clear_pointer(&j->headers, curl_slist_free_all);

    if (!j->easy)
        j->easy = curl_easy_init();
    else
        curl_easy_reset(j->easy);
    e = j->easy;
    curl_easy_setopt(e, CURLOPT_URL, j->target);
    curl_easy_setopt(e, CURLOPT_PRIVATE, j);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, j);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, j);
    curl_easy_setopt(e, CURLOPT_USERAGENT, USER_AGENT);
    /* "" asks for every encoding this libcurl can decode. */
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)o->connect_timeout_s);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)o->timeout_s);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, (long)LOW_SPEED_BYTES);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)o->low_speed_time_s);
    if (o->max_bytes)
        curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
                         (curl_off_t)o->max_bytes);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR,
                     j->is_file ? "file" : "http,https");
    if (!j->trusted && !o->allow_private && !j->is_file) {
        curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
        curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, j);
        curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, on_prereq);
        curl_easy_setopt(e, CURLOPT_PREREQDATA, j);
    }
    add_conditions(j);
    if (j->headers)
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, j->headers);

    curl_multi_add_handle(run->multi, e);
    run->in_flight++;
    ix__fetch_host_add(run, j->host, +1);
    j->res.attempts++;
    return TRUE;
}

/* ---------------------------------------------------------------- Driver */

/* Starts what the limits allow, in queue order.  A job whose host is busy
 * keeps its place; the scan runs only when something changed (@dirty), so
 * a long queue blocked on one host costs nothing per wakeup. */
static void
start_ready(ix_fetch_run_t *run)
{
    const ix_fetch_opts_t *o = run->o;
    guint jobs = MAX(o->jobs, 1);
    guint per_host = MAX(o->per_host, 1);
    GList *l = run->ready.head;

    if (!run->dirty)
        return;
    run->dirty = FALSE;
    while (l && run->in_flight < jobs) {
        GList *next = l->next;
        ix_fetch_job_t *j = l->data;
        char *reason = NULL;

        if (host_load(run, j->host) < per_host) {
            g_queue_delete_link(&run->ready, l);
            if (!hop_start(j, &reason))
                ix__fetch_fail(j, IX_STATUS_UNREACHABLE, reason, FALSE);
        }
        l = next;
    }
}

/* Moves the jobs whose backoff is over to the front of the queue, and
 * returns how long until the next one is due (ms, at most POLL_MAX_MS). */
static int
wake_waiting(ix_fetch_run_t *run)
{
    gint64 now = g_get_monotonic_time();
    gint64 next = now + (gint64)POLL_MAX_MS * 1000;

    for (guint i = 0; i < run->waiting->len;) {
        ix_fetch_job_t *j = g_ptr_array_index(run->waiting, i);

        if (j->retry_at <= now) {
            g_ptr_array_remove_index(run->waiting, i);
            g_queue_push_head(&run->ready, j);
            run->dirty = TRUE;
            continue;
        }
        next = MIN(next, j->retry_at);
        i++;
    }
    return (int)MAX((next - now + 999) / 1000, 0);
}

static void
drain(ix_fetch_run_t *run)
{
    CURLMsg *msg;
    int left;

    for (msg = curl_multi_info_read(run->multi, &left); msg;
         msg = curl_multi_info_read(run->multi, &left)) {
        ix_fetch_job_t *j;
        void *p = NULL;

        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &p);
        j = p;
        ix__fetch_hop_done(j, msg->data.result);
    }
}

/* The addresses of the proxies in the environment, which the address
 * check trusts (see the top of the file).  One blocking lookup per proxy
 * per run.  Returns: (transfer full) (nullable). */
static GHashTable *
proxy_addresses(void)
{
    static const char *const vars[] = {
        "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY",
        "all_proxy", NULL
    };
    GHashTable *ips = NULL;

    for (guint i = 0; vars[i]; i++) {
        const char *v = g_getenv(vars[i]);
        CURLU *u;
        char *host = NULL;
        struct addrinfo hints = { 0 };
        struct addrinfo *res = NULL;

        if (!v || !*v)
            continue;
        u = curl_url();
        if (curl_url_set(u, CURLUPART_URL, v, CURLU_GUESS_SCHEME)
            == CURLUE_OK)
            curl_url_get(u, CURLUPART_HOST, &host, 0);
        curl_url_cleanup(u);
        if (!host)
            continue;
        if (!ips)
            ips = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                        NULL);
        hints.ai_socktype = SOCK_STREAM;
        if (getaddrinfo(host[0] == '[' ? host + 1 : host, NULL, &hints,
                        &res) == 0) {
            for (struct addrinfo *a = res; a; a = a->ai_next)
                g_hash_table_add(ips, ix__address_text(a->ai_addr));
            freeaddrinfo(res);
        }
        curl_free(host);
    }
    return ips;
}

static gpointer
global_init(gpointer unused)
{
    (void)unused;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return NULL;
}

static ix_fetch_job_t *
job_new(ix_fetch_run_t *run, guint index, const char *url)
{
    ix_fetch_job_t *j = g_new0(ix_fetch_job_t, 1);

    j->run = run;
    j->index = index;
    j->url = url;
    j->fd = -1;
    j->visited = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                       NULL);
    j->res.url = g_strdup(url);
    j->res.status = IX_STATUS_UNREACHABLE;
    return j;
}

/* --offline: the cache alone. */
static void
run_offline(ix_fetch_run_t *run, const char *const *urls, guint n)
{
    for (guint i = 0; i < n; i++) {
        ix_fetch_job_t *j = job_new(run, i, urls[i]);

        j->meta = ix_cache_lookup(run->cache, urls[i]);
        if (j->meta && j->meta->content_hash) {
            j->res.status = IX_STATUS_UNCHANGED;
            j->res.from_cache = TRUE;
            j->res.http_status = j->meta->http_status;
            ix__fetch_result_from_meta(run->cache, &j->res, j->meta);
            ix__fetch_finish(j);
        } else {
            ix__fetch_fail(j, IX_STATUS_UNREACHABLE,
                           g_strdup("offline: not in the cache"), FALSE);
        }
    }
}

gboolean
ix_fetch_run(const ix_fetch_opts_t *o, const char *const *urls, guint n,
             ix_fetch_done_cb done, gpointer rock, GError **error)
{
    static GOnce once = G_ONCE_INIT;
    ix_fetch_run_t run = { 0 };

    g_once(&once, global_init, NULL);
    if (!o->cache_dir) {
        g_set_error(error, IX_ERROR, IX_ERROR_IO, "no cache folder");
        return FALSE;
    }
    run.cache = ix_cache_open(o->cache_dir, o->notes, error);
    if (!run.cache)
        return FALSE;
    run.o = o;
    run.done = done;
    run.rock = rock;
    run.limit = ix__limit_text(o->max_bytes);
    if (o->offline) {
        run_offline(&run, urls, n);
        goto out;
    }

    run.multi = curl_multi_init();
    g_queue_init(&run.ready);
    run.waiting = g_ptr_array_new();
    run.per_host = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                         NULL);
    run.proxy_ips = proxy_addresses();
    for (guint i = 0; i < n; i++) {
        ix_fetch_job_t *j = job_new(&run, i, urls[i]);
        ix_status_t status;
        char *reason = NULL;

        if (!ix__fetch_hop_set(j, urls[i], &status, &reason)) {
            ix__fetch_fail(j, status, reason, TRUE);
            continue;
        }
        j->meta = ix_cache_lookup(run.cache, urls[i]);
        g_hash_table_add(j->visited, g_strdup(j->target));
        g_queue_push_tail(&run.ready, j);
    }
    run.dirty = TRUE;

    for (;;) {
        int timeout_ms = wake_waiting(&run);
        int running = 0;

        start_ready(&run);
        if (!run.in_flight && g_queue_is_empty(&run.ready)
            && !run.waiting->len)
            break;
        curl_multi_perform(run.multi, &running);
        drain(&run);
        /* Something ended: start its successors before sleeping. */
        if (run.dirty)
            continue;
        curl_multi_poll(run.multi, NULL, 0, timeout_ms, NULL);
    }

    curl_multi_cleanup(run.multi);
    g_ptr_array_unref(run.waiting);
    g_hash_table_unref(run.per_host);
    if (run.proxy_ips)
        g_hash_table_unref(run.proxy_ips);
out:
    g_free(run.limit);
    ix_cache_close(run.cache);
    if (run.io_error) {
        g_propagate_error(error, run.io_error);
        return FALSE;
    }
    return TRUE;
}
