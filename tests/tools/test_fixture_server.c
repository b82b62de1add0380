/* test_fixture_server.c -- the fixture server's resources, validators and
 * every fault, as libcurl's easy interface sees them.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "fixture-server.h"

static fx_server_t *srv;
static char *root;

/* ---------------------------------------------------------------- */
/* Helpers                                                          */
/* ---------------------------------------------------------------- */

typedef struct {
    CURLcode code;
    long status;
    GString *body;
    GString *headers;           /* header block, names lower-cased */
    curl_off_t declared;        /* Content-Length, -1 if none */
    char *location;             /* CURLINFO_REDIRECT_URL, nullable */
    gsize abort_after;          /* 0: read everything */
} reply_t;

static void
reply_free(reply_t *r)
{
    if (!r)
        return;
    g_string_free(r->body, TRUE);
    g_string_free(r->headers, TRUE);
    g_free(r->location);
    g_free(r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(reply_t, reply_free)

static size_t
on_body(char *data, size_t size, size_t n, void *cls)
{
    reply_t *r = cls;

    g_string_append_len(r->body, data, (gssize)(size * n));
    if (r->abort_after && r->body->len >= r->abort_after)
        return 0;               /* makes curl stop with CURLE_WRITE_ERROR */
    return size * n;
}

static size_t
on_header(char *data, size_t size, size_t n, void *cls)
{
    reply_t *r = cls;
    gsize len = size * n;
    const char *colon = memchr(data, ':', len);
    gsize name_len = colon ? (gsize)(colon - data) : len;
    g_autofree char *name = g_ascii_strdown(data, (gssize)name_len);

    /* Names lower-cased for lookup; values kept as sent. */
    g_string_append(r->headers, name);
    g_string_append_len(r->headers, data + name_len,
                        (gssize)(len - name_len));
    return size * n;
}

/* Options for get(). */
typedef struct {
    const char *header;         /* one extra request header, nullable */
    const char *accept_encoding;    /* CURLOPT_ACCEPT_ENCODING, nullable */
    long follow;                /* > 0: follow up to this many redirects */
    long timeout_ms;            /* 0: 10 s */
    gsize abort_after;
    curl_off_t max_size;
} opts_t;

/* GETs @path from the fixture server.  Returns: (transfer full). */
static reply_t *
get_with(const char *path, const opts_t *o)
{
    g_autofree char *url = fx_server_url(srv, path);
    reply_t *r = g_new0(reply_t, 1);
    CURL *h = curl_easy_init();
    struct curl_slist *hdrs = NULL;
    char *loc = NULL;

    r->body = g_string_new(NULL);
    r->headers = g_string_new(NULL);
    r->abort_after = o->abort_after;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "ctmap-test/1");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                     o->timeout_ms ? o->timeout_ms : 10000L);
    if (o->header) {
        hdrs = curl_slist_append(hdrs, o->header);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    }
    if (o->accept_encoding)
        curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, o->accept_encoding);
    if (o->follow) {
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(h, CURLOPT_MAXREDIRS, o->follow);
    }
    if (o->max_size)
        curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, o->max_size);
    r->code = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &r->declared);
    curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &loc);
    r->location = g_strdup(loc);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    return r;
}

static reply_t *
get(const char *path)
{
    opts_t o = { 0 };

    return get_with(path, &o);
}

/* Returns: (transfer full) (nullable): header @name of @r's last
 * response. */
static char *
header_of(reply_t *r, const char *name)
{
    g_autofree char *key = g_strdup_printf("\n%s: ", name);
    const char *last = NULL;
    const char *p = r->headers->str;

    for (p = strstr(p, key); p; p = strstr(last, key))
        last = p + strlen(key);
    if (!last)
        return NULL;
    return g_strndup(last, strcspn(last, "\r\n"));
}

static void
write_file(const char *rel, const char *text)
{
    g_autofree char *path = g_build_filename(root, rel, NULL);
    g_autofree char *dir = g_path_get_dirname(path);

    cr_assert_eq(g_mkdir_with_parents(dir, 0755), 0);
    cr_assert(g_file_set_contents(path, text, -1, NULL));
}

static void
rm_rf(const char *path)
{
    GDir *d = g_dir_open(path, 0, NULL);
    const char *name;

    if (d) {
        for (name = g_dir_read_name(d); name; name = g_dir_read_name(d)) {
            g_autofree char *child = g_build_filename(path, name, NULL);

            rm_rf(child);
        }
        g_dir_close(d);
    }
    g_remove(path);
}

static void
setup(void)
{
    g_autoptr(GError) error = NULL;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    root = g_dir_make_tmp("ctmap-fx-XXXXXX", &error);
    cr_assert_not_null(root, "%s", error ? error->message : "");
    srv = fx_server_start(root, &error);
    cr_assert_not_null(srv, "%s", error ? error->message : "");
    cr_assert_gt(fx_server_port(srv), 0);
}

static void
teardown(void)
{
    fx_server_stop(srv);
    srv = NULL;
    rm_rf(root);
    g_free(root);
    root = NULL;
    curl_global_cleanup();
}

TestSuite(fixture_server, .init = setup, .fini = teardown, .timeout = 60);

/* ---------------------------------------------------------------- */
/* Resources and validators                                         */
/* ---------------------------------------------------------------- */

Test(fixture_server, serves_root_files_with_type_and_validators)
{
    write_file("docs/report.pdf", "%PDF-1.4 not really\n");
    write_file("index.html", "<a href=\"docs/report.pdf\">r</a>");
    g_autoptr(reply_t) r = get("/docs/report.pdf");
    g_autofree char *type = header_of(r, "content-type");
    g_autofree char *etag = header_of(r, "etag");
    g_autofree char *lm = header_of(r, "last-modified");
    g_autoptr(reply_t) idx = get("/");
    g_autofree char *idx_type = header_of(idx, "content-type");
    g_autoptr(reply_t) missing = get("/docs/none.pdf");
    g_autoptr(reply_t) climb = get("/../etc/passwd");

    cr_assert_eq(r->code, CURLE_OK);
    cr_assert_eq(r->status, 200);
    cr_assert_str_eq(r->body->str, "%PDF-1.4 not really\n");
    cr_assert_str_eq(type, "application/pdf");
    cr_assert(etag && etag[0] == '"' && !g_str_has_prefix(etag, "W/"));
    cr_assert(lm && g_str_has_suffix(lm, " GMT"), "%s", lm);
    cr_assert_eq(idx->status, 200);
    cr_assert_str_eq(idx_type, "text/html; charset=utf-8");
    cr_assert_eq(missing->status, 404);
    cr_assert_neq(climb->status, 200);
    cr_assert_eq(fx_server_hits(srv, "/docs/report.pdf"), 1);
}

Test(fixture_server, conditional_requests_get_304)
{
    write_file("a.txt", "alpha\n");
    g_autoptr(reply_t) first = get("/a.txt");
    g_autofree char *etag = header_of(first, "etag");
    g_autofree char *lm = header_of(first, "last-modified");
    g_autofree char *inm = g_strdup_printf("If-None-Match: %s", etag);
    g_autofree char *ims = g_strdup_printf("If-Modified-Since: %s", lm);
    opts_t o_inm = { .header = inm };
    opts_t o_ims = { .header = ims };
    opts_t o_old = { .header = "If-Modified-Since: "
                               "Mon, 01 Jan 1990 00:00:00 GMT" };
    opts_t o_other = { .header = "If-None-Match: \"other\"" };
    g_autoptr(reply_t) by_etag = get_with("/a.txt", &o_inm);
    g_autofree char *seen = fx_server_last_header(srv, "/a.txt",
                                                  "if-none-match");
    g_autoptr(reply_t) by_date = get_with("/a.txt", &o_ims);
    g_autoptr(reply_t) old = get_with("/a.txt", &o_old);
    g_autoptr(reply_t) other = get_with("/a.txt", &o_other);

    cr_assert_eq(by_etag->status, 304);
    cr_assert_eq(by_etag->body->len, 0);
    cr_assert_str_eq(seen, etag);
    cr_assert_eq(by_date->status, 304);
    cr_assert_eq(old->status, 200);
    cr_assert_eq(other->status, 200);
    cr_assert_str_eq(other->body->str, "alpha\n");
    cr_assert_eq(fx_server_hits(srv, "/a.txt"), 5);
}

Test(fixture_server, records_request_headers_per_path)
{
    g_autoptr(reply_t) r = get("/fault/404/x.pdf");
    g_autofree char *ua = fx_server_last_header(srv, "/fault/404/x.pdf",
                                                "User-Agent");
    g_autofree char *none = fx_server_last_header(srv, "/fault/404/x.pdf",
                                                  "If-None-Match");
    g_autofree char *other = fx_server_last_header(srv, "/elsewhere",
                                                   "User-Agent");

    cr_assert_str_eq(ua, "ctmap-test/1");
    cr_assert_null(none);
    cr_assert_null(other);
    cr_assert_eq(fx_server_total_hits(srv), 1);
}

Test(fixture_server, gzip_only_when_accepted)
{
    GString *text = g_string_new(NULL);
    int i;

    for (i = 0; i < 200; i++)
        g_string_append(text, "counter terrorism strategy ");
    write_file("big.txt", text->str);
    opts_t gz = { .accept_encoding = "gzip" };
    g_autoptr(reply_t) zipped = get_with("/gzip/big.txt", &gz);
    g_autofree char *enc = header_of(zipped, "content-encoding");
    g_autofree char *ae = fx_server_last_header(srv, "/gzip/big.txt",
                                                "Accept-Encoding");
    g_autofree char *zetag = header_of(zipped, "etag");
    g_autoptr(reply_t) plain = get("/gzip/big.txt");
    g_autofree char *penc = header_of(plain, "content-encoding");
    g_autofree char *petag = header_of(plain, "etag");

    cr_assert_eq(zipped->status, 200);
    cr_assert_str_eq(enc, "gzip");
    cr_assert_str_eq(ae, "gzip");
    cr_assert_lt(zipped->declared, (curl_off_t)text->len / 4);
    cr_assert_str_eq(zipped->body->str, text->str);
    cr_assert_null(penc);
    cr_assert_str_eq(plain->body->str, text->str);
    cr_assert_str_neq(zetag, petag);
    g_string_free(text, TRUE);
}

Test(fixture_server, set_file_adds_replaces_and_removes)
{
    g_autoptr(reply_t) before = get("/docs/new.pdf");
    fx_server_set_file(srv, "/docs/new.pdf", "%PDF-one", 8, NULL);
    g_autoptr(reply_t) one = get("/docs/new.pdf");
    g_autofree char *type = header_of(one, "content-type");
    g_autofree char *etag1 = header_of(one, "etag");
    fx_server_set_file(srv, "/docs/new.pdf", "%PDF-two", 8, "text/plain");
    g_autoptr(reply_t) two = get("/docs/new.pdf");
    g_autofree char *type2 = header_of(two, "content-type");
    g_autofree char *etag2 = header_of(two, "etag");
    fx_server_remove_file(srv, "/docs/new.pdf");
    g_autoptr(reply_t) after = get("/docs/new.pdf");

    cr_assert_eq(before->status, 404);
    cr_assert_eq(one->status, 200);
    cr_assert_str_eq(one->body->str, "%PDF-one");
    cr_assert_str_eq(type, "application/pdf");
    cr_assert_str_eq(two->body->str, "%PDF-two");
    cr_assert_str_eq(type2, "text/plain");
    cr_assert_str_neq(etag1, etag2);
    cr_assert_eq(after->status, 404);
    cr_assert_eq(fx_server_hits(srv, "/docs/new.pdf"), 4);
}

Test(fixture_server, page_links_every_document_three_ways)
{
    g_autofree char *abs = NULL;
    g_autoptr(reply_t) page = NULL;
    g_autoptr(reply_t) again = NULL;
    g_autoptr(reply_t) rel = NULL;

    write_file("docs/a.pdf", "%PDF-a");
    write_file("docs/b.pdf", "%PDF-b");
    write_file("docs/sub/c.html", "<p>c</p>");
    page = get("/page/docs/");
    abs = g_strdup_printf("href=\"http://127.0.0.1:%u/docs/sub/c.html\"",
                          fx_server_port(srv));
    cr_assert_eq(page->status, 200);
    cr_assert(strstr(page->body->str, "href=\"a.pdf\""), "%s",
              page->body->str);
    cr_assert(strstr(page->body->str, "href=\"/docs/b.pdf\""));
    cr_assert(strstr(page->body->str, abs), "%s", page->body->str);
    rel = get("/page/docs/a.pdf");
    cr_assert_str_eq(rel->body->str, "%PDF-a");

    /* A document added between two runs shows up on the next visit. */
    fx_server_set_file(srv, "/docs/d.pdf", "%PDF-d", 6, NULL);
    again = get("/page/docs/");
    cr_assert(strstr(again->body->str, "d.pdf"), "%s", again->body->str);
}

/* ---------------------------------------------------------------- */
/* Faults                                                           */
/* ---------------------------------------------------------------- */

Test(fixture_server, status_faults)
{
    g_autoptr(reply_t) nf = get("/fault/404/unodc.org/doc.pdf");
    g_autoptr(reply_t) ise = get("/fault/500/doc.pdf");
    g_autoptr(reply_t) forbidden = get("/fault/403/doc.pdf");

    cr_assert_eq(nf->code, CURLE_OK);
    cr_assert_eq(nf->status, 404);
    cr_assert_eq(ise->status, 500);
    cr_assert_eq(forbidden->status, 403);
}

Test(fixture_server, fault_503_then_200_counts_per_path)
{
    write_file("docs/a.pdf", "%PDF-from-root");
    g_autoptr(reply_t) r1 = get("/fault/503-then-200/docs/a.pdf");
    g_autoptr(reply_t) r2 = get("/fault/503-then-200/docs/a.pdf");
    g_autoptr(reply_t) r3 = get("/fault/503-then-200/docs/a.pdf");
    g_autoptr(reply_t) o1 = get("/fault/503-then-200/gen.pdf");
    g_autoptr(reply_t) o2 = get("/fault/503-then-200/gen.pdf");
    g_autofree char *type = header_of(o2, "content-type");

    cr_assert_eq(r1->status, 503);
    cr_assert_eq(r2->status, 200);
    cr_assert_eq(r3->status, 200);
    cr_assert_str_eq(r2->body->str, "%PDF-from-root");
    cr_assert_eq(o1->status, 503);
    cr_assert_eq(o2->status, 200);
    cr_assert_str_eq(type, "application/pdf");
    cr_assert(g_str_has_prefix(o2->body->str, "%PDF-1.4"));
    cr_assert(strstr(o2->body->str, "%%EOF"));
    cr_assert_eq(fx_server_hits(srv, "/fault/503-then-200/docs/a.pdf"), 3);
    cr_assert_eq(fx_server_hits(srv, "/fault/503-then-200/gen.pdf"), 2);
}

Test(fixture_server, redirect_chain_of_n)
{
    opts_t five = { .follow = 5 };
    g_autoptr(reply_t) ok = get_with("/fault/redirect/5/doc.html", &five);
    g_autoptr(reply_t) over = get_with("/fault/redirect/6/doc.html", &five);
    g_autoptr(reply_t) one = get("/fault/redirect/1/doc.html");

    cr_assert_eq(ok->code, CURLE_OK);
    cr_assert_eq(ok->status, 200);
    cr_assert(strstr(ok->body->str, "Fixture document doc.html"));
    cr_assert_eq(over->code, CURLE_TOO_MANY_REDIRECTS);
    cr_assert_eq(one->status, 302);
    cr_assert(g_str_has_suffix(one->location, "/fault/redirect/0/doc.html"),
              "%s", one->location);
    cr_assert_eq(fx_server_hits(srv, "/fault/redirect/0/doc.html"), 1);
}

Test(fixture_server, redirect_loop_alternates_two_paths)
{
    opts_t follow = { .follow = 20 };
    g_autoptr(reply_t) loop = get_with("/fault/redirect-loop/x.pdf",
                                       &follow);
    g_autoptr(reply_t) start = get("/fault/redirect-loop/x.pdf");
    g_autoptr(reply_t) a = get("/fault/redirect-loop/a/x.pdf");
    g_autoptr(reply_t) b = get("/fault/redirect-loop/b/x.pdf");

    cr_assert_eq(loop->code, CURLE_TOO_MANY_REDIRECTS);
    cr_assert(g_str_has_suffix(start->location,
                               "/fault/redirect-loop/a/x.pdf"));
    cr_assert(g_str_has_suffix(a->location, "/fault/redirect-loop/b/x.pdf"));
    cr_assert(g_str_has_suffix(b->location, "/fault/redirect-loop/a/x.pdf"));
    cr_assert_geq(fx_server_hits(srv, "/fault/redirect-loop/a/x.pdf"), 10);
}

Test(fixture_server, redirect_to_any_url)
{
    g_autoptr(reply_t) meta = get("/fault/redirect-to/"
                                  "http%3A%2F%2F169.254.169.254%2Flatest");
    g_autoptr(reply_t) priv = get("/fault/redirect-to/http://10.0.0.1/x");

    cr_assert_eq(meta->status, 302);
    cr_assert_str_eq(meta->location, "http://169.254.169.254/latest");
    cr_assert_str_eq(priv->location, "http://10.0.0.1/x");
}

Test(fixture_server, pdf_labelled_as_html)
{
    g_autoptr(reply_t) r = get("/fault/pdf-as-html/report.pdf");
    g_autofree char *type = header_of(r, "content-type");

    cr_assert_eq(r->status, 200);
    cr_assert_str_eq(type, "text/html; charset=utf-8");
    cr_assert(g_str_has_prefix(r->body->str, "%PDF-"));
}

Test(fixture_server, truncated_and_wrong_length_end_short)
{
    g_autoptr(reply_t) cut = get("/fault/truncated/doc.pdf");
    g_autoptr(reply_t) wrong = get("/fault/wrong-length/doc.pdf");
    g_autoptr(reply_t) whole = get("/fault/503-then-200/doc.pdf");
    g_autoptr(reply_t) whole2 = get("/fault/503-then-200/doc.pdf");

    cr_assert_eq(cut->code, CURLE_PARTIAL_FILE);
    cr_assert_eq(cut->status, 200);
    cr_assert_eq(cut->declared, 1000);
    cr_assert_eq(cut->body->len, 100);
    cr_assert_eq(wrong->code, CURLE_PARTIAL_FILE);
    cr_assert_eq(wrong->body->len, whole2->body->len);
    cr_assert_eq(wrong->declared, (curl_off_t)whole2->body->len + 1000);
    (void)whole;
}

/* A slow transfer runs in a thread while the main thread is served
 * promptly: one connection's trickle holds up no other. */
static gpointer
slow_fetch(gpointer path)
{
    opts_t o = { .timeout_ms = 2500 };

    return get_with(path, &o);
}

Test(fixture_server, slow_trickles_without_blocking_others)
{
    GThread *t = g_thread_new("slow", slow_fetch, "/fault/slow/doc.pdf");
    g_autoptr(reply_t) slow = NULL;
    g_autoptr(reply_t) quick = NULL;
    gint64 t0;

    g_usleep(300 * 1000);
    t0 = g_get_monotonic_time();
    quick = get("/fault/404/other");
    cr_assert_lt(g_get_monotonic_time() - t0, 1000 * 1000);
    cr_assert_eq(quick->status, 404);
    slow = g_thread_join(t);
    cr_assert_eq(slow->code, CURLE_OPERATION_TIMEDOUT);
    cr_assert_eq(slow->status, 200);
    cr_assert_geq(slow->body->len, 1);
    cr_assert_leq(slow->body->len, 3);
    cr_assert_gt(slow->declared, 100);
}

Test(fixture_server, stall_sends_half_then_nothing)
{
    opts_t o = { .timeout_ms = 1500 };
    g_autoptr(reply_t) r = get_with("/fault/stall/doc.pdf", &o);

    cr_assert_eq(r->code, CURLE_OPERATION_TIMEDOUT);
    cr_assert_eq(r->status, 200);
    cr_assert_eq(r->body->len, (gsize)r->declared / 2);
}

Test(fixture_server, stop_cuts_a_stalled_transfer)
{
    GThread *t = g_thread_new("stall", slow_fetch, "/fault/stall/x.pdf");
    g_autoptr(reply_t) r = NULL;
    gint64 t0;

    g_usleep(300 * 1000);
    t0 = g_get_monotonic_time();
    fx_server_stop(srv);
    srv = NULL;
    cr_assert_lt(g_get_monotonic_time() - t0, 1000 * 1000);
    r = g_thread_join(t);
    cr_assert_neq(r->code, CURLE_OK);
    cr_assert_neq(r->code, CURLE_OPERATION_TIMEDOUT);
}

Test(fixture_server, huge_is_endless_and_chunked)
{
    opts_t o = { .abort_after = 8 * 1024 * 1024 };
    g_autoptr(reply_t) r = get_with("/fault/huge/big.pdf", &o);
    g_autofree char *te = header_of(r, "transfer-encoding");

    cr_assert_eq(r->code, CURLE_WRITE_ERROR);
    cr_assert_eq(r->declared, -1);
    cr_assert_str_eq(te, "chunked");
    cr_assert_geq(r->body->len, 8 * 1024 * 1024);
}

Test(fixture_server, huge_length_declares_200_mib)
{
    opts_t limit = { .max_size = 100 * 1024 * 1024 };
    opts_t part = { .abort_after = 1024 * 1024 };
    g_autoptr(reply_t) refused = get_with("/fault/huge-length/big.pdf",
                                          &limit);
    g_autoptr(reply_t) r = get_with("/fault/huge-length/big.pdf", &part);

    cr_assert_eq(refused->code, CURLE_FILESIZE_EXCEEDED);
    cr_assert_eq(r->code, CURLE_WRITE_ERROR);
    cr_assert_eq(r->declared, (curl_off_t)FX_SERVER_HUGE_LENGTH);
}

Test(fixture_server, reset_closes_without_a_response)
{
    g_autoptr(reply_t) r = get("/fault/reset/doc.pdf");

    cr_assert_eq(r->code, CURLE_GOT_NOTHING, "%s",
                 curl_easy_strerror(r->code));
    cr_assert_eq(fx_server_hits(srv, "/fault/reset/doc.pdf"), 1);
}
