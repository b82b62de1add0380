/* fixture-server.c -- the fault-injecting HTTP server of the fetch suites
 * and the ingest benchmark, over libmicrohttpd (see fixture-server.h).
 *
 * The static library ctmap_fixture_server, which Criterion suites start
 * in-process and the fixture-server program (fixture-server-main.c) that
 * scripts start links, so both serve through exactly this code.
 */
#include <errno.h>
#include <unistd.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <microhttpd.h>
#include <zlib.h>

#include "fixture-server.h"

/* How often a blocked transfer looks for a hang-up or a stop, in ms. */
#define POLL_SLICE_MS 100
/* Block size MHD asks the content readers for. */
#define READER_BLOCK (32 * 1024)
#define TRUNCATED_DECLARED 1000
#define TRUNCATED_SENT 100
#define WRONG_LENGTH_EXTRA 1000

struct fx_server {
    struct MHD_Daemon *daemon;
    char *root;                 /* nullable */
    guint port;
    gint stopping;              /* atomic: cut blocked transfers */
    GMutex lock;                /* guards the three tables and total */
    GHashTable *files;          /* path -> resource_t, set at run time */
    GHashTable *hits;           /* path -> count (GUINT_TO_POINTER) */
    GHashTable *headers;        /* path -> (lower-case name -> value) */
    guint total;
};

/* ---------------------------------------------------------------- */
/* Resources                                                        */
/* ---------------------------------------------------------------- */

/* A served body with its validators.  Reference-counted (g_rc_box), so a
 * request keeps serving the bytes it looked up while fx_server_set_file()
 * replaces them for the next one. */
typedef struct {
    GBytes *data;
    char *type;
    char *etag;                 /* quoted, strong */
    gint64 mtime;               /* seconds since the epoch */
} resource_t;

static void
resource_clear(gpointer p)
{
    resource_t *r = p;

    g_bytes_unref(r->data);
    g_free(r->type);
    g_free(r->etag);
}

static void
resource_unref(resource_t *r)
{
    if (r)
        g_rc_box_release_full(r, resource_clear);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(resource_t, resource_unref)

static const char *
type_for(const char *path)
{
    if (g_str_has_suffix(path, ".pdf") || g_str_has_suffix(path, ".PDF"))
        return "application/pdf";
    if (g_str_has_suffix(path, ".html") || g_str_has_suffix(path, ".htm"))
        return "text/html; charset=utf-8";
    if (g_str_has_suffix(path, ".txt"))
        return "text/plain; charset=utf-8";
    return "application/octet-stream";
}

/* @data: (transfer full). */
static resource_t *
resource_new(GBytes *data, const char *type, gint64 mtime)
{
    resource_t *r = g_rc_box_new0(resource_t);
    g_autofree char *sum = g_compute_checksum_for_bytes(G_CHECKSUM_SHA1,
                                                        data);

    r->data = data;
    r->type = g_strdup(type);
    /* 20 hex digits are plenty to tell versions of a fixture apart. */
    r->etag = g_strdup_printf("\"%.20s\"", sum);
    r->mtime = mtime;
    return r;
}

/* A one-page PDF saying @text, built by hand with exact xref offsets so
 * that poppler reads it without repair.  Only printable ASCII survives;
 * the rest becomes spaces. */
static GBytes *
make_pdf(const char *text)
{
    GString *pdf = g_string_new("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n");
    GString *content = g_string_new("BT /F1 12 Tf 72 770 Td (");
    gsize offsets[6];
    gsize xref;
    int i;

    for (const char *p = text; *p; p++) {
        unsigned char c = (unsigned char)*p;

        if (c == '(' || c == ')' || c == '\\')
            g_string_append_c(content, '\\');
        g_string_append_c(content, c >= 0x20 && c < 0x7f ? (char)c : ' ');
    }
    g_string_append(content, ") Tj ET\n");

    offsets[1] = pdf->len;
    g_string_append(pdf, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\n"
                    "endobj\n");
    offsets[2] = pdf->len;
    g_string_append(pdf, "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1"
                    " >>\nendobj\n");
    offsets[3] = pdf->len;
    g_string_append(pdf, "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox"
                    " [0 0 595 842] /Resources << /Font << /F1 4 0 R >>"
                    " >> /Contents 5 0 R >>\nendobj\n");
    offsets[4] = pdf->len;
    g_string_append(pdf, "4 0 obj\n<< /Type /Font /Subtype /Type1"
                    " /BaseFont /Helvetica >>\nendobj\n");
    offsets[5] = pdf->len;
    g_string_append_printf(pdf, "5 0 obj\n<< /Length %" G_GSIZE_FORMAT
                           " >>\nstream\n%s", content->len, content->str);
    g_string_append(pdf, "endstream\nendobj\n");
    xref = pdf->len;
    g_string_append(pdf, "xref\n0 6\n0000000000 65535 f \n");
    for (i = 1; i <= 5; i++)
        g_string_append_printf(pdf, "%010" G_GSIZE_FORMAT " 00000 n \n",
                               offsets[i]);
    g_string_append_printf(pdf, "trailer\n<< /Size 6 /Root 1 0 R >>\n"
                           "startxref\n%" G_GSIZE_FORMAT "\n%%%%EOF\n",
                           xref);
    g_string_free(content, TRUE);
    return g_string_free_to_bytes(pdf);
}

/* The stand-in body for a fault path whose REST names no resource: a
 * small document of the type REST's extension gives, naming REST, with a
 * fixed date so that its validators are stable across runs. */
static resource_t *
resource_generated(const char *rest)
{
    const char *type = type_for(rest);
    g_autofree char *text = g_strdup_printf("Fixture document %s", rest);
    GBytes *data;

    if (g_str_has_prefix(type, "application/pdf")) {
        data = make_pdf(text);
    } else if (g_str_has_prefix(type, "text/html")) {
        g_autofree char *esc = g_markup_escape_text(text, -1);
        char *html = g_strdup_printf("<!DOCTYPE html>\n<html><head><title>"
                                     "%s</title></head><body><p>%s</p>"
                                     "</body></html>\n", esc, esc);

        data = g_bytes_new_take(html, strlen(html));
        type = "text/html; charset=utf-8";
    } else {
        char *plain = g_strdup_printf("%s\n", text);

        data = g_bytes_new_take(plain, strlen(plain));
        type = "text/plain; charset=utf-8";
    }
    return resource_new(data, type, 1577836800);  /* 2020-01-01 */
}

/* A path is served from the root only if no segment climbs out of it. */
static gboolean
path_is_safe(const char *path)
{
    g_auto(GStrv) parts = g_strsplit(path, "/", -1);

    for (char **p = parts; *p; p++)
        if (strcmp(*p, "..") == 0)
            return FALSE;
    return TRUE;
}

/* The resource at @path: one set at run time, else the root's file (with
 * @allow_index, a folder's index.html).  Returns: (transfer full)
 * (nullable). */
static resource_t *
resource_lookup(fx_server_t *srv, const char *path, gboolean allow_index)
{
    resource_t *r;
    g_autofree char *full = NULL;
    char *contents;
    gsize len;
    GStatBuf st;

    g_mutex_lock(&srv->lock);
    r = g_hash_table_lookup(srv->files, path);
    if (r)
        g_rc_box_acquire(r);
    g_mutex_unlock(&srv->lock);
    if (r || !srv->root || !path_is_safe(path))
        return r;

    full = g_build_filename(srv->root, path, NULL);
    if (g_stat(full, &st) != 0)
        return NULL;
    if (S_ISDIR(st.st_mode)) {
        char *index;

        if (!allow_index)
            return NULL;
        index = g_build_filename(full, "index.html", NULL);
        g_free(full);
        full = index;
        if (g_stat(full, &st) != 0)
            return NULL;
    }
    if (!S_ISREG(st.st_mode) || !g_file_get_contents(full, &contents, &len,
                                                      NULL))
        return NULL;
    return resource_new(g_bytes_new_take(contents, len), type_for(full),
                        st.st_mtime);
}

/* REST's body for a fault: the resource at /REST, else a generated one. */
static resource_t *
resource_for_rest(fx_server_t *srv, const char *rest)
{
    g_autofree char *path = g_strconcat("/", rest, NULL);
    resource_t *r = resource_lookup(srv, path, TRUE);

    return r ? r : resource_generated(rest);
}

/* ---------------------------------------------------------------- */
/* HTTP dates and validators                                        */
/* ---------------------------------------------------------------- */

static const char *const wdays[] = {
    "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const months[] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* RFC 7231 IMF-fixdate, written by hand: strftime's names follow the
 * locale. */
static char *
http_date(gint64 t)
{
    time_t tt = (time_t)t;
    struct tm tm;

    gmtime_r(&tt, &tm);
    return g_strdup_printf("%s, %02d %s %04d %02d:%02d:%02d GMT",
                           wdays[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
                           tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                           tm.tm_sec);
}

/* Parses an IMF-fixdate; returns -1 if @s is not one (the header is then
 * ignored, as RFC 7232 asks). */
static gint64
http_date_parse(const char *s)
{
    char mon[4] = "";
    struct tm tm = { 0 };
    int i;

    if (sscanf(s, "%*3s, %d %3s %d %d:%d:%d GMT", &tm.tm_mday, mon,
               &tm.tm_year, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        return -1;
    for (i = 0; i < 12 && g_ascii_strcasecmp(mon, months[i]) != 0; i++)
        ;
    if (i == 12)
        return -1;
    tm.tm_mon = i;
    tm.tm_year -= 1900;
    return (gint64)timegm(&tm);
}

/* If-None-Match takes precedence over If-Modified-Since (RFC 7232 3.3);
 * the weak comparison applies, so W/"x" matches "x". */
static gboolean
not_modified(struct MHD_Connection *conn, const char *etag, gint64 mtime)
{
    const char *inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                  "If-None-Match");
    const char *ims;
    gint64 since;

    if (inm)
        return strcmp(inm, "*") == 0 || strstr(inm, etag) != NULL;
    ims = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                      "If-Modified-Since");
    if (!ims)
        return FALSE;
    since = http_date_parse(ims);
    return since >= 0 && mtime <= since;
}

static GBytes *
gzip_bytes(GBytes *in)
{
    z_stream zs = { 0 };
    gsize len;
    const guint8 *data = g_bytes_get_data(in, &len);
    guint8 *out;
    gsize cap;

    /* 15 + 16: a gzip wrapper, not zlib's. */
    /* zlib fails here only without memory or with bad parameters; a test
     * tool may abort on either. */
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        g_error("fixture-server: deflateInit2 failed");
    cap = deflateBound(&zs, len) + 32;
    out = g_malloc(cap);
    zs.next_in = (Bytef *)data;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
        g_error("fixture-server: deflate did not finish");
    len = zs.total_out;
    deflateEnd(&zs);
    return g_bytes_new_take(out, len);
}

/* ---------------------------------------------------------------- */
/* Responses                                                        */
/* ---------------------------------------------------------------- */

static enum MHD_Result
queue(struct MHD_Connection *conn, unsigned int status,
      struct MHD_Response *resp)
{
    enum MHD_Result ret = MHD_queue_response(conn, status, resp);

    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result
serve_text(struct MHD_Connection *conn, unsigned int status,
           const char *text)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);

    MHD_add_response_header(resp, "Content-Type",
                            "text/plain; charset=utf-8");
    return queue(conn, status, resp);
}

/* A resource with its validators, 304 when the request's match.
 * @type: (nullable): overrides the resource's Content-Type.
 * @gzip_variant: encode with gzip if the client accepts it. */
static enum MHD_Result
serve_resource(struct MHD_Connection *conn, resource_t *res,
               const char *type, gboolean gzip_variant)
{
    const char *ae = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 "Accept-Encoding");
    gboolean gz = gzip_variant && ae && strstr(ae, "gzip");
    g_autofree char *etag = NULL;
    g_autofree char *date = http_date(res->mtime);
    g_autoptr(GBytes) body = NULL;
    struct MHD_Response *resp;
    unsigned int status = MHD_HTTP_OK;
    gsize len;
    const void *data;

    /* A strong ETag names one representation, so the encoded one differs
     * from the identity one. */
    if (gz)
        etag = g_strdup_printf("%.*s-gz\"", (int)strlen(res->etag) - 1,
                               res->etag);
    else
        etag = g_strdup(res->etag);

    if (not_modified(conn, etag, res->mtime)) {
        resp = MHD_create_response_from_buffer(0, NULL,
                                               MHD_RESPMEM_PERSISTENT);
        status = MHD_HTTP_NOT_MODIFIED;
    } else {
        body = gz ? gzip_bytes(res->data) : g_bytes_ref(res->data);
        data = g_bytes_get_data(body, &len);
        resp = MHD_create_response_from_buffer(len, (void *)data,
                                               MHD_RESPMEM_MUST_COPY);
        MHD_add_response_header(resp, "Content-Type",
                                type ? type : res->type);
        if (gz)
            MHD_add_response_header(resp, "Content-Encoding", "gzip");
    }
    MHD_add_response_header(resp, "ETag", etag);
    MHD_add_response_header(resp, "Last-Modified", date);
    if (gzip_variant)
        MHD_add_response_header(resp, "Vary", "Accept-Encoding");
    return queue(conn, status, resp);
}

/* Percent-encodes a path for a Location or an href, keeping its slashes. */
static char *
escape_path(const char *path)
{
    return g_uri_escape_string(path, G_URI_RESERVED_CHARS_ALLOWED_IN_PATH,
                               FALSE);
}

static enum MHD_Result
serve_redirect(struct MHD_Connection *conn, const char *location)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        0, NULL, MHD_RESPMEM_PERSISTENT);

    MHD_add_response_header(resp, "Location", location);
    return queue(conn, MHD_HTTP_FOUND, resp);
}

/* ---------------------------------------------------------------- */
/* Streamed faults                                                  */
/* ---------------------------------------------------------------- */

typedef enum {
    STREAM_SLOW,                /* body, one byte a second */
    STREAM_STALL,               /* half the body, then silence */
    STREAM_TRUNCATED,           /* 100 bytes of a declared 1000, close */
    STREAM_WRONG_LENGTH,        /* body, 1000 bytes short of declared */
    STREAM_ENDLESS,             /* pseudo-random bytes, chunked, no end */
    STREAM_HUGE_LENGTH          /* pseudo-random bytes, 200 MiB declared */
} stream_kind_t;

/* Per-connection state of a streamed response; MHD frees it through
 * stream_free() when the connection ends, however it ends. */
typedef struct {
    fx_server_t *srv;
    int fd;
    stream_kind_t kind;
    GBytes *body;
    gsize cut;                  /* body bytes to send, <= its length */
    guint64 limit;              /* declared length or MHD_SIZE_UNKNOWN */
    guint32 rng;
} stream_t;

static void
stream_free(void *cls)
{
    stream_t *s = cls;

    if (s->body)
        g_bytes_unref(s->body);
    g_free(s);
}

/* Waits @ms milliseconds (< 0: for ever) without sending anything.
 * Returns FALSE as soon as the client hangs up or the server stops, so a
 * stalled transfer never outlives either.  Each connection has its own
 * thread, so blocking here holds up no other request. */
static gboolean
stream_wait(stream_t *s, int ms)
{
    gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

    for (;;) {
        struct pollfd pfd = { .fd = s->fd, .events = POLLRDHUP };
        int slice = POLL_SLICE_MS;

        if (g_atomic_int_get(&s->srv->stopping))
            return FALSE;
        if (ms >= 0) {
            gint64 left = (end - g_get_monotonic_time()) / 1000;

            if (left <= 0)
                return TRUE;
            slice = (int)MIN(left, POLL_SLICE_MS);
        }
        if (s->fd < 0) {
            g_usleep((gulong)slice * 1000);
            continue;
        }
        if (poll(&pfd, 1, slice) > 0) {
            if (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))
                return FALSE;
            /* Pipelined bytes keep POLLIN up: sleep instead of spinning. */
            g_usleep((gulong)slice * 1000);
        }
    }
}

static ssize_t
stream_copy(stream_t *s, uint64_t pos, char *buf, size_t max, gsize upto)
{
    gsize len;
    const char *data = g_bytes_get_data(s->body, &len);
    size_t n = MIN(max, upto - pos);

    memcpy(buf, data + pos, n);
    return (ssize_t)n;
}

static ssize_t
stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    stream_t *s = cls;
    gsize len = s->body ? g_bytes_get_size(s->body) : 0;
    size_t i;

    switch (s->kind) {
    case STREAM_SLOW:
        if (!stream_wait(s, 1000))
            return MHD_CONTENT_READER_END_WITH_ERROR;
        if (pos >= len)
            return MHD_CONTENT_READER_END_OF_STREAM;
        return stream_copy(s, pos, buf, 1, len);
    case STREAM_STALL:
        if (pos < s->cut)
            return stream_copy(s, pos, buf, max, s->cut);
        stream_wait(s, -1);
        return MHD_CONTENT_READER_END_WITH_ERROR;
    case STREAM_TRUNCATED:
    case STREAM_WRONG_LENGTH:
        /* Ending with an error makes MHD close the connection short of
         * the declared Content-Length. */
        if (pos < s->cut)
            return stream_copy(s, pos, buf, max, s->cut);
        return MHD_CONTENT_READER_END_WITH_ERROR;
    case STREAM_ENDLESS:
    case STREAM_HUGE_LENGTH:
        if (g_atomic_int_get(&s->srv->stopping))
            return MHD_CONTENT_READER_END_WITH_ERROR;
        if (s->limit != MHD_SIZE_UNKNOWN) {
            if (pos >= s->limit)
                return MHD_CONTENT_READER_END_OF_STREAM;
            max = (size_t)MIN((uint64_t)max, s->limit - pos);
        }
        /* xorshift32: cheap, and random enough that no encoding or
         * compression shortens it. */
        for (i = 0; i < max; i++) {
            s->rng ^= s->rng << 13;
            s->rng ^= s->rng >> 17;
            s->rng ^= s->rng << 5;
            buf[i] = (char)(s->rng & 0xff);
        }
        return (ssize_t)max;
    }
    /* Every kind returns above; no default, so -Wswitch flags a new one. */
    return MHD_CONTENT_READER_END_WITH_ERROR;
}

/* Starts a streamed response of @kind over @body (nullable for the
 * random kinds); what is sent and declared follows from the kind and the
 * body's length alone, so the reader never runs past the body. */
static enum MHD_Result
serve_stream(fx_server_t *srv, struct MHD_Connection *conn,
             stream_kind_t kind, GBytes *body, const char *type)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(
        conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    gsize len = body ? g_bytes_get_size(body) : 0;
    stream_t *s = g_new0(stream_t, 1);
    struct MHD_Response *resp;

    s->srv = srv;
    s->fd = info ? info->connect_fd : -1;
    s->kind = kind;
    s->body = body ? g_bytes_ref(body) : NULL;
    s->rng = 2463534242u;
    /* No default: -Wswitch flags a kind added without its shape. */
    switch (kind) {
    case STREAM_SLOW:
        s->cut = len;
        s->limit = len;
        break;
    case STREAM_STALL:
        s->cut = len / 2;
        s->limit = len;
        break;
    case STREAM_TRUNCATED:
        s->cut = MIN(len, TRUNCATED_SENT);
        s->limit = TRUNCATED_DECLARED;
        break;
    case STREAM_WRONG_LENGTH:
        s->cut = len;
        s->limit = (uint64_t)len + WRONG_LENGTH_EXTRA;
        break;
    case STREAM_ENDLESS:
        s->limit = MHD_SIZE_UNKNOWN;
        break;
    case STREAM_HUGE_LENGTH:
        s->limit = FX_SERVER_HUGE_LENGTH;
        break;
    }
    resp = MHD_create_response_from_callback(s->limit, READER_BLOCK,
                                             stream_read, s, stream_free);
    if (!resp) {
        stream_free(s);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", type);
    return queue(conn, MHD_HTTP_OK, resp);
}

/* ---------------------------------------------------------------- */
/* Pages of links                                                   */
/* ---------------------------------------------------------------- */

/* Adds the paths of the root's regular files below @dir (a path starting
 * with '/').  Symbolic links are not followed, so a loop cannot recurse. */
static void
collect_files(const char *root, const char *dir, GPtrArray *out)
{
    g_autofree char *full = g_build_filename(root, dir, NULL);
    g_autoptr(GDir) d = g_dir_open(full, 0, NULL);
    const char *name;

    if (!d)
        return;
    for (name = g_dir_read_name(d); name; name = g_dir_read_name(d)) {
        g_autofree char *path = g_strconcat(dir, g_str_has_suffix(dir, "/")
                                            ? "" : "/", name, NULL);
        g_autofree char *file = g_build_filename(full, name, NULL);
        GStatBuf st;

        if (g_lstat(file, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            collect_files(root, path, out);
        else if (S_ISREG(st.st_mode))
            g_ptr_array_add(out, g_steal_pointer(&path));
    }
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The page at @page_path lists every resource under @dir, each link in
 * turn relative to the page (resolving below /page/, which serves the
 * file again), root-relative and absolute, as repository pages mix
 * them. */
static enum MHD_Result
serve_page(fx_server_t *srv, struct MHD_Connection *conn,
           const char *page_path, const char *dir)
{
    g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
    GString *html = g_string_new("<!DOCTYPE html>\n<html><head><meta "
                                 "charset=\"utf-8\"><title>Repository"
                                 "</title></head><body>\n<ul>\n");
    const char *base_end = strrchr(page_path, '/');
    gsize base_len = (gsize)(base_end - page_path) + 1;
    GHashTableIter it;
    gpointer key;
    guint i;
    struct MHD_Response *resp;
    gsize len;

    if (srv->root)
        collect_files(srv->root, dir, paths);
    g_mutex_lock(&srv->lock);
    g_hash_table_iter_init(&it, srv->files);
    while (g_hash_table_iter_next(&it, &key, NULL))
        if (g_str_has_prefix(key, dir))
            g_ptr_array_add(paths, g_strdup(key));
    g_mutex_unlock(&srv->lock);
    g_ptr_array_sort(paths, compare_strings);

    for (i = 0; i < paths->len; i++) {
        const char *path = g_ptr_array_index(paths, i);
        g_autofree char *under_page = g_strconcat("/page", path, NULL);
        g_autofree char *escaped = escape_path(path);
        g_autofree char *href = NULL;
        g_autofree char *esc = NULL;
        g_autofree char *name = g_path_get_basename(path);
        g_autofree char *name_esc = g_markup_escape_text(name, -1);

        if (i > 0 && strcmp(path, g_ptr_array_index(paths, i - 1)) == 0)
            continue;           /* a root file shadowed by a set one */
        if (i % 3 == 0 && g_str_has_prefix(under_page, page_path))
            href = escape_path(under_page + base_len);
        else if (i % 3 == 2)
            href = g_strdup_printf("http://127.0.0.1:%u%s", srv->port,
                                   escaped);
        else
            href = g_strdup(escaped);
        esc = g_markup_escape_text(href, -1);
        g_string_append_printf(html, "<li><a href=\"%s\">%s</a></li>\n",
                               esc, name_esc);
    }
    g_string_append(html, "</ul>\n</body></html>\n");
    len = html->len;
    resp = MHD_create_response_from_buffer(len, g_string_free(html, FALSE),
                                           MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(resp, "Content-Type",
                            "text/html; charset=utf-8");
    return queue(conn, MHD_HTTP_OK, resp);
}

/* ---------------------------------------------------------------- */
/* Dispatch                                                         */
/* ---------------------------------------------------------------- */

static enum MHD_Result
copy_header(void *cls, enum MHD_ValueKind kind, const char *key,
            const char *value)
{
    GHashTable *t = cls;
    char *name = g_ascii_strdown(key, -1);
    const char *old = g_hash_table_lookup(t, name);

    (void)kind;
    if (old)
        g_hash_table_replace(t, name, g_strdup_printf("%s, %s", old,
                                                      value ? value : ""));
    else
        g_hash_table_insert(t, name, g_strdup(value ? value : ""));
    return MHD_YES;
}

/* Counts the request and keeps its headers.  Returns the count for @path,
 * this request included. */
static guint
record_request(fx_server_t *srv, struct MHD_Connection *conn,
               const char *path)
{
    GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                          g_free);
    guint n;

    MHD_get_connection_values(conn, MHD_HEADER_KIND, copy_header, t);
    g_mutex_lock(&srv->lock);
    n = GPOINTER_TO_UINT(g_hash_table_lookup(srv->hits, path)) + 1;
    g_hash_table_replace(srv->hits, g_strdup(path), GUINT_TO_POINTER(n));
    g_hash_table_replace(srv->headers, g_strdup(path), t);
    srv->total++;
    g_mutex_unlock(&srv->lock);
    return n;
}

/* The part of @url after @prefix, or NULL if @url does not start so. */
static const char *
after(const char *url, const char *prefix)
{
    return g_str_has_prefix(url, prefix) ? url + strlen(prefix) : NULL;
}

/* Each fault answers a request to /fault/KIND/REST.  @rest is REST, and
 * @hits the number of requests to this exact path so far, this one
 * included. */
typedef enum MHD_Result (*fault_fn)(fx_server_t *srv,
                                    struct MHD_Connection *conn,
                                    const char *rest, guint hits);

static enum MHD_Result
fault_503_then_200(fx_server_t *srv, struct MHD_Connection *conn,
                   const char *rest, guint hits)
{
    g_autoptr(resource_t) res = NULL;

    if (hits == 1)
        return serve_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "HTTP 503\n");
    res = resource_for_rest(srv, rest);
    return serve_resource(conn, res, NULL, FALSE);
}

/* /fault/redirect/N/REST: N more redirects, then REST. */
static enum MHD_Result
fault_redirect(fx_server_t *srv, struct MHD_Connection *conn,
               const char *rest, guint hits)
{
    char *end;
    guint64 n = g_ascii_strtoull(rest, &end, 10);
    g_autoptr(resource_t) res = NULL;
    g_autofree char *next = NULL;
    g_autofree char *loc = NULL;

    (void)hits;
    if (end == rest || (*end != '/' && *end != '\0'))
        return serve_text(conn, MHD_HTTP_NOT_FOUND, "HTTP 404\n");
    if (*end == '/')
        end++;
    if (n == 0) {
        res = resource_for_rest(srv, end);
        return serve_resource(conn, res, NULL, FALSE);
    }
    next = g_strdup_printf("/fault/redirect/%" G_GUINT64_FORMAT "/%s",
                           n - 1, end);
    loc = escape_path(next);
    return serve_redirect(conn, loc);
}

static enum MHD_Result
fault_redirect_loop(fx_server_t *srv, struct MHD_Connection *conn,
                    const char *rest, guint hits)
{
    g_autofree char *next = NULL;
    g_autofree char *loc = NULL;

    (void)srv;
    (void)hits;
    if (g_str_has_prefix(rest, "a/"))
        next = g_strconcat("/fault/redirect-loop/b/", rest + 2, NULL);
    else if (g_str_has_prefix(rest, "b/"))
        next = g_strconcat("/fault/redirect-loop/a/", rest + 2, NULL);
    else
        next = g_strconcat("/fault/redirect-loop/a/", rest, NULL);
    loc = escape_path(next);
    return serve_redirect(conn, loc);
}

/* MHD has already percent-decoded the path, so REST is the URL itself. */
static enum MHD_Result
fault_redirect_to(fx_server_t *srv, struct MHD_Connection *conn,
                  const char *rest, guint hits)
{
    (void)srv;
    (void)hits;
    return serve_redirect(conn, rest);
}

static enum MHD_Result
fault_reset(fx_server_t *srv, struct MHD_Connection *conn,
            const char *rest, guint hits)
{
    (void)srv;
    (void)conn;
    (void)rest;
    (void)hits;
    return MHD_NO;              /* MHD closes the connection, no reply */
}

/* Two Content-Length headers that disagree (20 and 5000), written to the
 * socket by hand since libmicrohttpd never sends such a thing, then 20
 * bytes and the close: a protocol error, not something to wait for. */
static enum MHD_Result
fault_two_lengths(fx_server_t *srv, struct MHD_Connection *conn,
                  const char *rest, guint hits)
{
    static const char reply[] =
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
        "Content-Length: 20\r\nContent-Length: 5000\r\n\r\n"
        "Twenty bytes of text";
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(
        conn, MHD_CONNECTION_INFO_CONNECTION_FD);

    (void)srv;
    (void)rest;
    (void)hits;
    if (info && write(info->connect_fd, reply, sizeof(reply) - 1) < 0)
        g_debug("two-lengths: %s", g_strerror(errno));
    return MHD_NO;
}

/* A status line and one header line of a megabyte, by hand like
 * two-lengths, then the close. */
static enum MHD_Result
fault_huge_header(fx_server_t *srv, struct MHD_Connection *conn,
                  const char *rest, guint hits)
{
    static const char start[] = "HTTP/1.1 200 OK\r\nX-Filler: ";
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(
        conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    char chunk[65536];

    (void)srv;
    (void)rest;
    (void)hits;
    memset(chunk, 'a', sizeof(chunk));
    if (!info || send(info->connect_fd, start, sizeof(start) - 1,
                      MSG_NOSIGNAL) < 0)
        return MHD_NO;
    /* The client hangs up once past its limit: stop at the first error. */
    for (guint i = 0; i < 16; i++)
        if (send(info->connect_fd, chunk, sizeof(chunk), MSG_NOSIGNAL) < 0)
            break;
    return MHD_NO;
}

static enum MHD_Result
fault_huge(fx_server_t *srv, struct MHD_Connection *conn,
           const char *rest, guint hits)
{
    (void)rest;
    (void)hits;
    return serve_stream(srv, conn, STREAM_ENDLESS, NULL, "application/pdf");
}

static enum MHD_Result
fault_huge_length(fx_server_t *srv, struct MHD_Connection *conn,
                  const char *rest, guint hits)
{
    (void)rest;
    (void)hits;
    return serve_stream(srv, conn, STREAM_HUGE_LENGTH, NULL,
                        "application/pdf");
}

static enum MHD_Result
fault_pdf_as_html(fx_server_t *srv, struct MHD_Connection *conn,
                  const char *rest, guint hits)
{
    g_autoptr(resource_t) res = resource_for_rest(srv, rest);

    (void)hits;
    return serve_resource(conn, res, "text/html; charset=utf-8", FALSE);
}

/* The faults that send REST's body, or part of it, through
 * stream_read(). */
static enum MHD_Result
fault_stream(fx_server_t *srv, struct MHD_Connection *conn,
             const char *rest, stream_kind_t kind)
{
    g_autoptr(resource_t) res = resource_for_rest(srv, rest);

    return serve_stream(srv, conn, kind, res->data, res->type);
}

static enum MHD_Result
fault_slow(fx_server_t *srv, struct MHD_Connection *conn,
           const char *rest, guint hits)
{
    (void)hits;
    return fault_stream(srv, conn, rest, STREAM_SLOW);
}

static enum MHD_Result
fault_stall(fx_server_t *srv, struct MHD_Connection *conn,
            const char *rest, guint hits)
{
    (void)hits;
    return fault_stream(srv, conn, rest, STREAM_STALL);
}

static enum MHD_Result
fault_truncated(fx_server_t *srv, struct MHD_Connection *conn,
                const char *rest, guint hits)
{
    (void)hits;
    return fault_stream(srv, conn, rest, STREAM_TRUNCATED);
}

static enum MHD_Result
fault_wrong_length(fx_server_t *srv, struct MHD_Connection *conn,
                   const char *rest, guint hits)
{
    (void)hits;
    return fault_stream(srv, conn, rest, STREAM_WRONG_LENGTH);
}

/* The faults by KIND; /fault/NNN/ (any three digits) is handled before. */
static const struct {
    const char *kind;           /* with its trailing slash */
    fault_fn run;
} faults[] = {
    { "503-then-200/", fault_503_then_200 },
    { "redirect/", fault_redirect },
    { "redirect-loop/", fault_redirect_loop },
    { "redirect-to/", fault_redirect_to },
    { "reset/", fault_reset },
    { "huge/", fault_huge },
    { "huge-length/", fault_huge_length },
    { "huge-header/", fault_huge_header },
    { "pdf-as-html/", fault_pdf_as_html },
    { "slow/", fault_slow },
    { "stall/", fault_stall },
    { "truncated/", fault_truncated },
    { "two-lengths/", fault_two_lengths },
    { "wrong-length/", fault_wrong_length },
};

/* @f: the path after /fault/. */
static enum MHD_Result
serve_fault(fx_server_t *srv, struct MHD_Connection *conn, const char *f,
            guint hits)
{
    gsize i;

    if (g_ascii_isdigit(f[0]) && g_ascii_isdigit(f[1])
        && g_ascii_isdigit(f[2]) && (f[3] == '/' || f[3] == '\0')) {
        unsigned int status = (unsigned int)((f[0] - '0') * 100
                                             + (f[1] - '0') * 10
                                             + (f[2] - '0'));
        g_autofree char *text = g_strdup_printf("HTTP %u\n", status);

        return serve_text(conn, status, text);
    }
    for (i = 0; i < G_N_ELEMENTS(faults); i++)
        if (g_str_has_prefix(f, faults[i].kind))
            return faults[i].run(srv, conn, f + strlen(faults[i].kind),
                                 hits);
    return serve_text(conn, MHD_HTTP_NOT_FOUND, "HTTP 404\n");
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url,
       const char *method, const char *version, const char *upload_data,
       size_t *upload_data_size, void **con_cls)
{
    static int seen;
    fx_server_t *srv = cls;
    const char *page = after(url, "/page");
    guint hits;
    g_autoptr(resource_t) res = NULL;

    (void)version;
    (void)upload_data;
    /* The first call only announces the headers; answering then would
     * race a request body.  The second call has them all. */
    if (*con_cls != &seen) {
        *con_cls = &seen;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0;  /* discard request bodies */
        return MHD_YES;
    }
    hits = record_request(srv, conn, url);
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return serve_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "HTTP 405\n");

    if (g_str_has_prefix(url, "/fault/"))
        return serve_fault(srv, conn, url + strlen("/fault/"), hits);
    if (g_str_has_prefix(url, "/gzip/")) {
        res = resource_for_rest(srv, url + strlen("/gzip/"));
        return serve_resource(conn, res, NULL, TRUE);
    }
    if (page && (*page == '/' || *page == '\0')) {
        res = resource_lookup(srv, *page ? page : "/", FALSE);
        if (res)
            return serve_resource(conn, res, NULL, FALSE);
        return serve_page(srv, conn, url, *page ? page : "/");
    }
    res = resource_lookup(srv, url, TRUE);
    if (!res)
        return serve_text(conn, MHD_HTTP_NOT_FOUND, "HTTP 404\n");
    return serve_resource(conn, res, NULL, FALSE);
}

/* ---------------------------------------------------------------- */
/* Public API                                                       */
/* ---------------------------------------------------------------- */

fx_server_t *
fx_server_start(const char *root, GError **error)
{
    return fx_server_start_port(root, 0, error);
}

fx_server_t *
fx_server_start_port(const char *root, guint port, GError **error)
{
    fx_server_t *srv = g_new0(fx_server_t, 1);
    struct sockaddr_in addr = { 0 };
    const union MHD_DaemonInfo *info;

    g_return_val_if_fail(port <= 65535, NULL);
    srv->root = g_strdup(root);
    g_mutex_init(&srv->lock);
    srv->files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify)resource_unref);
    srv->hits = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                      NULL);
    srv->headers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify)
                                         g_hash_table_unref);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    /* One thread per connection: a trickling or stalled transfer blocks
     * its own thread only.  No connection timeout, so a stall lasts until
     * the client gives up. */
    srv->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
        (uint16_t)port, NULL, NULL, handle, srv,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)0,
        MHD_OPTION_END);
    if (!srv->daemon) {
        int err = errno;

        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err),
                    "cannot listen on 127.0.0.1:%u: %s", port,
                    g_strerror(err));
        fx_server_stop(srv);
        return NULL;
    }
    info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : port;
    return srv;
}

void
fx_server_stop(fx_server_t *srv)
{
    if (!srv)
        return;
    g_atomic_int_set(&srv->stopping, 1);
    if (srv->daemon)
        MHD_stop_daemon(srv->daemon);
    g_hash_table_destroy(srv->files);
    g_hash_table_destroy(srv->hits);
    g_hash_table_destroy(srv->headers);
    g_mutex_clear(&srv->lock);
    g_free(srv->root);
    g_free(srv);
}

guint
fx_server_port(fx_server_t *srv)
{
    return srv->port;
}

char *
fx_server_url(fx_server_t *srv, const char *path)
{
    return g_strdup_printf("http://127.0.0.1:%u%s", srv->port, path);
}

guint
fx_server_hits(fx_server_t *srv, const char *path)
{
    guint n;

    g_mutex_lock(&srv->lock);
    n = GPOINTER_TO_UINT(g_hash_table_lookup(srv->hits, path));
    g_mutex_unlock(&srv->lock);
    return n;
}

guint
fx_server_total_hits(fx_server_t *srv)
{
    guint n;

    g_mutex_lock(&srv->lock);
    n = srv->total;
    g_mutex_unlock(&srv->lock);
    return n;
}

char *
fx_server_last_header(fx_server_t *srv, const char *path, const char *name)
{
    g_autofree char *key = g_ascii_strdown(name, -1);
    GHashTable *t;
    char *value = NULL;

    g_mutex_lock(&srv->lock);
    t = g_hash_table_lookup(srv->headers, path);
    if (t)
        value = g_strdup(g_hash_table_lookup(t, key));
    g_mutex_unlock(&srv->lock);
    return value;
}

void
fx_server_set_file(fx_server_t *srv, const char *path, const void *data,
                   gsize len, const char *content_type)
{
    resource_t *r = resource_new(g_bytes_new(data, len),
                                 content_type ? content_type
                                 : type_for(path),
                                 g_get_real_time() / G_USEC_PER_SEC);

    g_return_if_fail(path[0] == '/');
    g_mutex_lock(&srv->lock);
    g_hash_table_replace(srv->files, g_strdup(path), r);
    g_mutex_unlock(&srv->lock);
}

void
fx_server_remove_file(fx_server_t *srv, const char *path)
{
    g_mutex_lock(&srv->lock);
    g_hash_table_remove(srv->files, path);
    g_mutex_unlock(&srv->lock);
}
