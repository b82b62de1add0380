/* test_fetch.c -- the fetcher and its cache against the fault-injecting
 * fixture server: every fault's status and reason, retries, limits,
 * redirects, the address check, conditional GET, offline runs and a
 * damaged cache.
 *
 * The server is on 127.0.0.1, which the address check refuses, so most
 * tests reach it through --mirror from a made-up public prefix
 * (http://repo.example.org/ -> the server): the mirror is trusted, and
 * whatever it redirects to is judged as a cited link would be.
 */
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <netinet/in.h>

#include "fixture-server.h"
#include "indexer-int.h"
#include "indexer.h"

#define PUB "http://repo.example.org"

static fx_server_t *srv;
static char *tmp;
static char *cache_dir;
/* Every test's options, from opts_init(); a test changes what it needs. */
static ix_fetch_opts_t opts;

static void opts_init(ix_fetch_opts_t *o);

static void
setup(void)
{
    g_autoptr(GError) error = NULL;

    /* The suite talks to 127.0.0.1 directly; a proxy from the
     * environment would only get in the way. */
    g_unsetenv("http_proxy");
    g_unsetenv("HTTPS_PROXY");
    g_unsetenv("https_proxy");
    g_unsetenv("ALL_PROXY");
    g_unsetenv("all_proxy");
    tmp = g_dir_make_tmp("ctmap-fetch-XXXXXX", NULL);
    cr_assert_not_null(tmp);
    cache_dir = g_build_filename(tmp, "cache", NULL);
    srv = fx_server_start(NULL, &error);
    cr_assert_not_null(srv, "fixture server: %s",
                       error ? error->message : "?");
    opts_init(&opts);
}

static void
teardown(void)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmp);

    ix_fetch_opts_clear(&opts);
    fx_server_stop(srv);
    cr_assert_eq(system(cmd), 0);
    g_free(cache_dir);
    g_free(tmp);
}

TestSuite(fetch, .init = setup, .fini = teardown, .timeout = 60);

/* ---------------------------------------------------------------- Helpers */

/* A copy of one result, and when it arrived. */
typedef struct {
    gboolean seen;
    ix_fetch_result_t res;
    guint order;                /* 0 for the first result */
    guint hits_then;            /* server requests when it arrived */
} got_t;

typedef struct {
    got_t *got;
    guint n;
    guint next;
} results_t;

static void
results_free(results_t *r)
{
    if (!r)
        return;
    for (guint i = 0; i < r->n; i++)
        ix_fetch_result_clear(&r->got[i].res);
    g_free(r->got);
    g_free(r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(results_t, results_free)

static void
on_done(guint index, const ix_fetch_result_t *r, gpointer rock)
{
    results_t *res = rock;
    got_t *g;

    cr_assert_lt(index, res->n);
    g = &res->got[index];
    cr_assert_not(g->seen, "result %u delivered twice", index);
    g->seen = TRUE;
    ix_fetch_result_copy(&g->res, r);
    g->order = res->next++;
    g->hits_then = fx_server_total_hits(srv);
}

/* Options for the tests: short timeouts, no retries unless a test asks,
 * the cache in the test's folder, and the mirror onto the server. */
static void
opts_init(ix_fetch_opts_t *o)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *to = fx_server_url(srv, "/");
    g_autofree char *spec = g_strconcat(PUB "/=", to, NULL);

    ix_fetch_opts_init(o);
    o->cache_dir = g_strdup(cache_dir);
    o->connect_timeout_s = 5;
    o->timeout_s = 20;
    o->low_speed_time_s = 10;
    o->retries = 0;
    o->backoff_ms = 20;
    cr_assert(ix_fetch_add_mirror(o, spec, &error), "mirror: %s",
              error ? error->message : "?");
}

static results_t *
fetch_urls(const ix_fetch_opts_t *o, const char *const *urls, guint n)
{
    g_autoptr(GError) error = NULL;
    results_t *r = g_new0(results_t, 1);

    r->n = n;
    r->got = g_new0(got_t, n);
    cr_assert(ix_fetch_run(o, urls, n, on_done, r, &error), "run: %s",
              error ? error->message : "?");
    for (guint i = 0; i < n; i++)
        cr_assert(r->got[i].seen, "no result for %s", urls[i]);
    return r;
}

/* Fetches one URL; the result is @r->got[0]. */
static results_t *
fetch_one(const ix_fetch_opts_t *o, const char *url)
{
    return fetch_urls(o, &url, 1);
}

static void
assert_status(const got_t *g, ix_status_t status, const char *reason)
{
    const ix_fetch_result_t *r = &g->res;

    cr_assert_eq(r->status, status, "%s: status %s, wanted %s (%s)",
                 r->url, ix_status_name(r->status), ix_status_name(status),
                 r->reason ? r->reason : "no reason");
    if (reason)
        cr_assert_str_eq(r->reason ? r->reason : "(null)", reason,
                         "%s: reason \"%s\", wanted \"%s\"", r->url,
                         r->reason ? r->reason : "(null)", reason);
}

static char *
file_text(const char *path)
{
    char *text = NULL;

    cr_assert(g_file_get_contents(path, &text, NULL, NULL), "read %s",
              path);
    return text;
}

/* Serves a small HTML page at each @path. */
static void
put(const char *const *paths, guint n)
{
    for (guint i = 0; i < n; i++) {
        g_autofree char *html = g_strdup_printf(
            "<html><title>%s</title><p>Text of %s.</p></html>", paths[i],
            paths[i]);

        fx_server_set_file(srv, paths[i], html, strlen(html), NULL);
    }
}

#define PUT(...)                                                   \
    do {                                                           \
        const char *const paths_[] = { __VA_ARGS__ };              \
        put(paths_, G_N_ELEMENTS(paths_));                         \
    } while (0)

/* ---------------------------------------------------------------- Basics */

Test(fetch, mirrored_document_is_indexed_under_its_own_url)
{
    g_autoptr(results_t) r = NULL;
    g_autofree char *body = NULL;
    const char *html = "<html><title>Prisons</title><p>Text</p></html>";

    fx_server_set_file(srv, "/docs/a.html", html, strlen(html), NULL);
    r = fetch_one(&opts, PUB "/docs/a.html");
    assert_status(&r->got[0], IX_STATUS_INDEXED, NULL);
    cr_assert_null(r->got[0].res.reason);
    cr_assert_str_eq(r->got[0].res.url, PUB "/docs/a.html");
    cr_assert_str_eq(r->got[0].res.final_url, PUB "/docs/a.html");
    cr_assert_eq(r->got[0].res.http_status, 200);
    cr_assert_str_eq(r->got[0].res.media_type, "text/html");
    cr_assert_eq(r->got[0].res.attempts, 1);
    cr_assert_not(r->got[0].res.from_cache);
    cr_assert_eq(strlen(r->got[0].res.content_hash), 64);
    body = file_text(r->got[0].res.body_path);
    cr_assert_str_eq(body, html);
    cr_assert(g_str_has_prefix(r->got[0].res.body_path, cache_dir));
}

/* Links repaired from the mapping's layout may keep a space. */
Test(fetch, space_in_a_link_is_encoded)
{
    g_autoptr(results_t) r = NULL;

    PUT("/Annual Report.html");
    r = fetch_one(&opts, PUB "/Annual Report.html");
    assert_status(&r->got[0], IX_STATUS_INDEXED, NULL);
    cr_assert_str_eq(r->got[0].res.url, PUB "/Annual Report.html");
    cr_assert_eq(fx_server_hits(srv, "/Annual Report.html"), 1);
}

Test(fetch, user_agent_names_ctmap_and_its_version)
{
    g_autoptr(results_t) r = NULL;
    g_autofree char *ua = NULL;

    PUT("/ua.html");
    r = fetch_one(&opts, PUB "/ua.html");
    ua = fx_server_last_header(srv, "/ua.html", "User-Agent");
    cr_assert_str_eq(ua, "ctmap/" CTMAP_VERSION
                     " (+search over the PCVE/CT mapping)");
}

Test(fetch, the_same_body_at_two_urls_is_stored_once)
{
    g_autoptr(results_t) r = NULL;
    const char *urls[] = { PUB "/one.txt", PUB "/two.txt" };
    const char *text = "the same bytes\n";

    fx_server_set_file(srv, "/one.txt", text, strlen(text), NULL);
    fx_server_set_file(srv, "/two.txt", text, strlen(text), NULL);
    r = fetch_urls(&opts, urls, 2);
    assert_status(&r->got[0], IX_STATUS_INDEXED, NULL);
    assert_status(&r->got[1], IX_STATUS_INDEXED, NULL);
    cr_assert_str_eq(r->got[0].res.body_path, r->got[1].res.body_path);
    cr_assert_str_eq(r->got[0].res.content_hash, r->got[1].res.content_hash);
}

Test(fetch, gzip_body_is_decoded)
{
    g_autoptr(results_t) r = NULL;
    g_autoptr(GString) text = g_string_new(NULL);
    g_autofree char *body = NULL;
    g_autofree char *ae = NULL;

    for (guint i = 0; i < 200; i++)
        g_string_append(text, "compressible line of text\n");
    fx_server_set_file(srv, "/plain.txt", text->str, text->len, NULL);
    r = fetch_one(&opts, PUB "/gzip/plain.txt");
    assert_status(&r->got[0], IX_STATUS_INDEXED, NULL);
    ae = fx_server_last_header(srv, "/gzip/plain.txt", "Accept-Encoding");
    cr_assert_not_null(ae);
    cr_assert_not_null(strstr(ae, "gzip"), "Accept-Encoding: %s", ae);
    body = file_text(r->got[0].res.body_path);
    cr_assert_str_eq(body, text->str);
}

Test(fetch, pdf_labelled_html_keeps_bytes_and_declared_type)
{
    g_autoptr(results_t) r = NULL;
    g_autofree char *body = NULL;

    r = fetch_one(&opts, PUB "/fault/pdf-as-html/report.pdf");
    assert_status(&r->got[0], IX_STATUS_INDEXED, NULL);
    cr_assert_str_eq(r->got[0].res.media_type, "text/html");
    cr_assert_str_eq(r->got[0].res.charset, "utf-8");
    body = file_text(r->got[0].res.body_path);
    cr_assert(g_str_has_prefix(body, "%PDF"), "not a PDF");
}

Test(fetch, unsupported_scheme_and_bad_mirror_spec)
{
    g_autoptr(results_t) r = NULL;
    g_autoptr(GError) error = NULL;
    const char *urls[] = { "ftp://ftp.example.org/a.pdf", "mailto:x@y.z" };

    r = fetch_urls(&opts, urls, 2);
    assert_status(&r->got[0], IX_STATUS_UNSUPPORTED,
                  "unsupported scheme: ftp");
    assert_status(&r->got[1], IX_STATUS_UNSUPPORTED, "not a URL");
    cr_assert_not(ix_fetch_add_mirror(&opts, "no-equals-sign", &error));
    cr_assert_eq(error->code, IX_ERROR_USAGE);
    g_clear_error(&error);
    cr_assert_not(ix_fetch_add_mirror(&opts, "=http://x/", &error));
    g_clear_error(&error);
    /* A query in FROM holds '=': the split is before the second URL. */
    cr_assert(ix_fetch_add_mirror(&opts, "http://a/?x=1=http://b/", &error));
    cr_assert_str_eq(((ix_mirror_t *)g_ptr_array_index(
                          opts.mirrors, opts.mirrors->len - 1))->from,
                     "http://a/?x=1");
}

/* ---------------------------------------------------------------- Failures */

/* Faults that one URL meets on its own, under the options the case
 * names: the status and reason it ends with (NULL: none), and how many
 * requests the server saw and the result counts (0: not checked).  A
 * failed fetch with nothing cached leaves no body behind. */
typedef struct {
    const char *behaviour;
    const char *path;           /* below PUB */
    guint retries;
    guint low_speed_time_s;     /* 0: opts_init()'s */
    gsize max_bytes;            /* 0: opts_init()'s */
    ix_status_t status;
    const char *reason;
    long http_status;
    guint hits;
    guint attempts;
} fault_case_t;

static const fault_case_t fault_cases[] = {
    { "not found is HTTP 404 and never retried", "/fault/404/gone.pdf",
      3, 0, 0, IX_STATUS_UNREACHABLE, "HTTP 404", 404, 1, 1 },
    { "a server error is retried and the reason says so",
      "/fault/500/x.html", 2, 0, 0, IX_STATUS_UNREACHABLE,
      "HTTP 500 (after 2 retries)", 500, 3, 3 },
    { "unavailable then OK succeeds after one retry",
      "/fault/503-then-200/doc.pdf", 3, 0, 0, IX_STATUS_INDEXED, NULL,
      200, 2, 2 },
    { "a stalled body ends as stalled", "/fault/stall/doc.pdf", 0, 1, 0,
      IX_STATUS_UNREACHABLE, "stalled: under 1 KB/s for 1 s", 0, 0, 0 },
    /* Too large is not transient: one request each. */
    { "an endless body is too large", "/fault/huge/endless.pdf", 2, 0,
      1024 * 1024, IX_STATUS_TOO_LARGE, "over the 1 MB limit", 0, 1, 1 },
    { "a Content-Length over the limit is too large",
      "/fault/huge-length/big.pdf", 2, 0, 1024 * 1024,
      IX_STATUS_TOO_LARGE, "over the 1 MB limit", 0, 1, 1 },
    { "a body cut short is truncated", "/fault/truncated/a.pdf", 0, 0, 0,
      IX_STATUS_UNREACHABLE, "body shorter than Content-Length (truncated)",
      0, 1, 1 },
    { "a body under its Content-Length is truncated",
      "/fault/wrong-length/b.html", 0, 0, 0, IX_STATUS_UNREACHABLE,
      "body shorter than Content-Length (truncated)", 0, 1, 1 },
    { "a redirect loop is detected", "/fault/redirect-loop/x.html", 0, 0,
      0, IX_STATUS_UNREACHABLE, "redirect loop", 0, 0, 0 },
};

Test(fetch, faults_of_one_url_end_as_the_table_says)
{
    for (guint i = 0; i < G_N_ELEMENTS(fault_cases); i++) {
        const fault_case_t *c = &fault_cases[i];
        g_autofree char *url = g_strconcat(PUB, c->path, NULL);
        g_autoptr(results_t) r = NULL;
        const got_t *g;
        ix_fetch_opts_t o;

        opts_init(&o);
        o.retries = c->retries;
        if (c->low_speed_time_s)
            o.low_speed_time_s = c->low_speed_time_s;
        if (c->max_bytes)
            o.max_bytes = c->max_bytes;
        r = fetch_one(&o, url);
        g = &r->got[0];
        cr_assert_eq(g->res.status, c->status, "%s: status %s (%s)",
                     c->behaviour, ix_status_name(g->res.status),
                     g->res.reason ? g->res.reason : "no reason");
        cr_assert_str_eq(g->res.reason ? g->res.reason : "(none)",
                         c->reason ? c->reason : "(none)", "%s",
                         c->behaviour);
        if (c->http_status)
            cr_assert_eq(g->res.http_status, c->http_status, "%s: HTTP %ld",
                         c->behaviour, g->res.http_status);
        if (c->hits)
            cr_assert_eq(fx_server_hits(srv, c->path), c->hits,
                         "%s: %u requests", c->behaviour,
                         fx_server_hits(srv, c->path));
        if (c->attempts)
            cr_assert_eq(g->res.attempts, c->attempts, "%s: %u attempts",
                         c->behaviour, g->res.attempts);
        if (c->status != IX_STATUS_INDEXED)
            cr_assert_null(g->res.body_path, "%s: a body was left behind",
                           c->behaviour);
        ix_fetch_opts_clear(&o);
    }
}

Test(fetch, a_retry_backing_off_holds_up_nothing_else)
{
    g_autoptr(results_t) r = NULL;
    const char *urls[] = {
        PUB "/fault/503-then-200/first.html", PUB "/a.html", PUB "/b.html",
        PUB "/c.html"
    };

    PUT("/a.html", "/b.html", "/c.html");
    opts.retries = 1;
    opts.backoff_ms = 1500;
    opts.jobs = 1;
    r = fetch_urls(&opts, urls, G_N_ELEMENTS(urls));
    assert_status(&r->got[0], IX_STATUS_INDEXED, NULL);
    /* One slot: the others ran while the first waited for its retry. */
    for (guint i = 1; i < G_N_ELEMENTS(urls); i++) {
        assert_status(&r->got[i], IX_STATUS_INDEXED, NULL);
        cr_assert_lt(r->got[i].order, r->got[0].order);
    }
}

Test(fetch, slow_body_times_out_while_the_others_finish_first)
{
    g_autoptr(results_t) r = NULL;
    const char *urls[] = {
        PUB "/fault/slow/big.html", PUB "/a.html", PUB "/b.html",
        PUB "/c.html", PUB "/d.html"
    };

    PUT("/a.html", "/b.html", "/c.html", "/d.html");
    opts.timeout_s = 2;
    opts.per_host = 8;
    r = fetch_urls(&opts, urls, G_N_ELEMENTS(urls));
    assert_status(&r->got[0], IX_STATUS_UNREACHABLE, "timeout after 2 s");
    for (guint i = 1; i < G_N_ELEMENTS(urls); i++) {
        assert_status(&r->got[i], IX_STATUS_INDEXED, NULL);
        cr_assert_lt(r->got[i].order, r->got[0].order,
                     "%s waited for the slow transfer", urls[i]);
    }
}

Test(fetch, per_host_limit_holds_back_the_third_transfer)
{
    g_autoptr(results_t) r = NULL;
    const char *urls[] = {
        PUB "/fault/stall/1.pdf", PUB "/fault/stall/2.pdf",
        PUB "/fault/stall/3.pdf", PUB "/quick.html"
    };

    PUT("/quick.html");
    opts.low_speed_time_s = 1;
    opts.per_host = 2;
    opts.jobs = 8;
    r = fetch_urls(&opts, urls, G_N_ELEMENTS(urls));
    for (guint i = 0; i < 3; i++)
        cr_assert_eq(r->got[i].res.status, IX_STATUS_UNREACHABLE);
    assert_status(&r->got[3], IX_STATUS_INDEXED, NULL);
    /* When the first stall ended, only two requests had reached the
     * server although eight slots were free overall. */
    for (guint i = 0; i < G_N_ELEMENTS(urls); i++)
        if (r->got[i].order == 0)
            cr_assert_eq(r->got[i].hits_then, 2, "%s came first with %u "
                         "requests made", urls[i], r->got[i].hits_then);
    cr_assert_gt(r->got[3].order, 0, "the quick one was not held back");
}

Test(fetch, connection_closed_without_reply_is_unreachable)
{
    g_autoptr(results_t) r = NULL;
    const char *why;

    opts.retries = 1;
    r = fetch_one(&opts, PUB "/fault/reset/x.html");
    why = r->got[0].res.reason;
    cr_assert_eq(r->got[0].res.status, IX_STATUS_UNREACHABLE);
    cr_assert(g_strcmp0(why, "empty reply from server (after 1 retry)") == 0
              || g_strcmp0(why, "connection reset (after 1 retry)") == 0,
              "reason: %s", why);
    cr_assert_eq(fx_server_hits(srv, "/fault/reset/x.html"), 2);
}

Test(fetch, unknown_host_and_refused_port_read_plainly)
{
    g_autoptr(results_t) r = NULL;
    const char *urls[] = {
        "http://x.invalid/doc.pdf", "http://127.0.0.1:1/doc.pdf"
    };

    opts.allow_private = TRUE;
    r = fetch_urls(&opts, urls, 2);
    assert_status(&r->got[0], IX_STATUS_UNREACHABLE,
                  "DNS lookup failed: Could not resolve host: x.invalid");
    assert_status(&r->got[1], IX_STATUS_UNREACHABLE, "connection refused");
}

/* ---------------------------------------------------------------- Redirects */

Test(fetch, five_redirects_are_followed_and_six_are_too_many)
{
    g_autoptr(results_t) r = NULL;
    const char *urls[] = {
        PUB "/fault/redirect/5/doc.html", PUB "/fault/redirect/6/doc.html"
    };

    PUT("/doc.html");
    r = fetch_urls(&opts, urls, 2);
    assert_status(&r->got[0], IX_STATUS_INDEXED, NULL);
    cr_assert_str_eq(r->got[0].res.url, urls[0]);
    /* The redirects stayed on the mirror: the final URL is shown under
     * the public prefix again. */
    cr_assert_str_eq(r->got[0].res.final_url, PUB "/fault/redirect/0/doc.html");
    cr_assert_eq(r->got[0].res.attempts, 6);
    assert_status(&r->got[1], IX_STATUS_UNREACHABLE,
                  "too many redirects (over 5)");
}

Test(fetch, redirects_to_internal_addresses_are_refused)
{
    g_autoptr(results_t) r = NULL;
    const char *urls[] = {
        PUB "/fault/redirect-to/"
            "http%3A%2F%2F169.254.169.254%2Flatest%2Fmeta-data%2F",
        PUB "/fault/redirect-to/http%3A%2F%2F10.0.0.1%2Fadmin",
        PUB "/fault/redirect-to/http%3A%2F%2F%5B%3A%3Affff%3A127.0.0.1%5D%2F",
        PUB "/fault/redirect-to/file%3A%2F%2F%2Fetc%2Fpasswd",
    };

    r = fetch_urls(&opts, urls, G_N_ELEMENTS(urls));
    assert_status(&r->got[0], IX_STATUS_UNREACHABLE,
                  "refused: 169.254.169.254 is a link-local address");
    assert_status(&r->got[1], IX_STATUS_UNREACHABLE,
                  "refused: 10.0.0.1 is a private address");
    assert_status(&r->got[2], IX_STATUS_UNREACHABLE,
                  "refused: ::ffff:127.0.0.1 is a loopback address");
    assert_status(&r->got[3], IX_STATUS_UNREACHABLE,
                  "redirect to an unsupported scheme: file");
}

/* A name, not a literal address: the check happens on the address
 * connected to (the socket callback, or the pre-request callback when
 * the mirror's connection to the same name is reused). */
Test(fetch, redirect_to_a_name_on_loopback_is_refused_when_connecting)
{
    g_autoptr(results_t) r = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *spec = g_strdup_printf(
        "http://names.example.org/=http://localhost:%u/fault/redirect-to/",
        fx_server_port(srv));
    g_autofree char *url = g_strdup_printf(
        "http://names.example.org/http%%3A%%2F%%2Flocalhost%%3A%u%%2Fsecret",
        fx_server_port(srv));

    cr_assert(ix_fetch_add_mirror(&opts, spec, &error));
    r = fetch_one(&opts, url);
    cr_assert_eq(r->got[0].res.status, IX_STATUS_UNREACHABLE);
    cr_assert(g_str_has_prefix(r->got[0].res.reason, "refused: ")
              && g_str_has_suffix(r->got[0].res.reason,
                                  " is a loopback address"),
              "reason: %s", r->got[0].res.reason);
    cr_assert_eq(fx_server_hits(srv, "/secret"), 0);
}

Test(fetch, loopback_without_a_mirror_needs_allow_private)
{
    g_autoptr(results_t) r = NULL;
    g_autoptr(results_t) r2 = NULL;
    g_autofree char *direct = fx_server_url(srv, "/direct.html");
    g_autofree char *by_name = g_strdup_printf(
        "http://localhost:%u/by-name.html", fx_server_port(srv));
    const char *urls[] = { direct, by_name };

    PUT("/direct.html", "/by-name.html");
    /* No mirror: a mirror's target is trusted, and that is the server. */
    g_clear_pointer(&opts.mirrors, g_ptr_array_unref);
    r = fetch_urls(&opts, urls, 2);
    assert_status(&r->got[0], IX_STATUS_UNREACHABLE,
                  "refused: 127.0.0.1 is a loopback address");
    cr_assert_eq(r->got[1].res.status, IX_STATUS_UNREACHABLE);
    cr_assert(g_str_has_suffix(r->got[1].res.reason, " is a loopback address"),
              "reason: %s", r->got[1].res.reason);
    cr_assert_eq(fx_server_total_hits(srv), 0, "a request got through");

    opts.allow_private = TRUE;
    r2 = fetch_urls(&opts, urls, 2);
    assert_status(&r2->got[0], IX_STATUS_INDEXED, NULL);
    assert_status(&r2->got[1], IX_STATUS_INDEXED, NULL);
}

Test(fetch, address_kinds)
{
    static const struct {
        const char *address;
        const char *kind;
    } cases[] = {
        { "127.0.0.1", "loopback" }, { "127.255.0.9", "loopback" },
        { "::1", "loopback" }, { "10.1.2.3", "private" },
        { "172.16.0.1", "private" }, { "172.31.255.255", "private" },
        { "172.32.0.1", NULL }, { "192.168.1.1", "private" },
        { "100.64.0.1", "private" }, { "fc00::1", "private" },
        { "fd12:3456::1", "private" }, { "169.254.169.254", "link-local" },
        { "fe80::1", "link-local" }, { "0.0.0.0", "unspecified" },
        { "::", "unspecified" }, { "224.0.0.1", "multicast" },
        { "ff02::1", "multicast" }, { "255.255.255.255", "broadcast" },
        { "240.0.0.1", "reserved" },
        { "::ffff:169.254.169.254", "link-local" },
        { "::ffff:10.0.0.1", "private" }, { "::ffff:8.8.8.8", NULL },
        { "64:ff9b::7f00:1", "loopback" }, { "8.8.8.8", NULL },
        { "2001:4860:4860::8888", NULL }, { "151.101.1.1", NULL },
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        struct sockaddr_storage ss = { 0 };
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        const char *kind;

        if (inet_pton(AF_INET, cases[i].address, &in->sin_addr) == 1) {
            in->sin_family = AF_INET;
        } else {
            cr_assert_eq(inet_pton(AF_INET6, cases[i].address,
                                   &in6->sin6_addr), 1);
            in6->sin6_family = AF_INET6;
        }
        kind = ix_fetch_address_kind((struct sockaddr *)&ss);
        cr_assert_str_eq(kind ? kind : "public",
                         cases[i].kind ? cases[i].kind : "public",
                         "%s", cases[i].address);
    }
}

/* ---------------------------------------------------------------- Cache */

Test(fetch, second_run_asks_conditionally_and_is_unchanged)
{
    g_autoptr(results_t) r1 = NULL;
    g_autoptr(results_t) r2 = NULL;
    g_autoptr(results_t) r3 = NULL;
    g_autofree char *inm = NULL;
    g_autofree char *ims = NULL;
    g_autofree char *body = NULL;
    const char *v1 = "<p>first edition</p>";
    const char *v2 = "<p>second edition</p>";

    fx_server_set_file(srv, "/c.html", v1, strlen(v1), NULL);
    r1 = fetch_one(&opts, PUB "/c.html");
    assert_status(&r1->got[0], IX_STATUS_INDEXED, NULL);
    cr_assert_not_null(r1->got[0].res.etag);

    r2 = fetch_one(&opts, PUB "/c.html");
    assert_status(&r2->got[0], IX_STATUS_UNCHANGED, NULL);
    cr_assert(r2->got[0].res.from_cache);
    cr_assert_eq(r2->got[0].res.http_status, 304);
    cr_assert_str_eq(r2->got[0].res.body_path, r1->got[0].res.body_path);
    cr_assert_str_eq(r2->got[0].res.content_hash, r1->got[0].res.content_hash);
    cr_assert_str_eq(r2->got[0].res.media_type, "text/html");
    inm = fx_server_last_header(srv, "/c.html", "If-None-Match");
    ims = fx_server_last_header(srv, "/c.html", "If-Modified-Since");
    cr_assert_str_eq(inm, r1->got[0].res.etag);
    cr_assert_not_null(ims);
    cr_assert_eq(fx_server_hits(srv, "/c.html"), 2);

    fx_server_set_file(srv, "/c.html", v2, strlen(v2), NULL);
    r3 = fetch_one(&opts, PUB "/c.html");
    assert_status(&r3->got[0], IX_STATUS_INDEXED, NULL);
    cr_assert_str_neq(r3->got[0].res.content_hash, r1->got[0].res.content_hash);
    body = file_text(r3->got[0].res.body_path);
    cr_assert_str_eq(body, v2);
}

Test(fetch, same_bytes_without_validators_are_unchanged)
{
    g_autoptr(results_t) r1 = NULL;
    g_autoptr(results_t) r2 = NULL;
    g_autoptr(ix_cache_t) c = NULL;
    g_autoptr(ix_cache_meta_t) m = NULL;
    g_autofree char *inm = NULL;

    PUT("/v.html");
    r1 = fetch_one(&opts, PUB "/v.html");
    assert_status(&r1->got[0], IX_STATUS_INDEXED, NULL);
    /* Forget the validators: the server must answer 200 again. */
    c = ix_cache_open(cache_dir, NULL, NULL);
    m = ix_cache_lookup(c, PUB "/v.html");
    cr_assert_not_null(m);
    g_clear_pointer(&m->etag, g_free);
    g_clear_pointer(&m->last_modified, g_free);
    cr_assert(ix_cache_save(c, m, NULL));

    r2 = fetch_one(&opts, PUB "/v.html");
    inm = fx_server_last_header(srv, "/v.html", "If-None-Match");
    cr_assert_null(inm);
    cr_assert_eq(r2->got[0].res.http_status, 200);
    assert_status(&r2->got[0], IX_STATUS_UNCHANGED, NULL);
    cr_assert_not(r2->got[0].res.from_cache);
}

Test(fetch, failure_after_success_keeps_the_last_good_copy)
{
    g_autoptr(results_t) r1 = NULL;
    g_autoptr(results_t) r2 = NULL;
    g_autoptr(results_t) r3 = NULL;
    const char *text = "<p>soon gone</p>";

    fx_server_set_file(srv, "/k.html", text, strlen(text), NULL);
    r1 = fetch_one(&opts, PUB "/k.html");
    assert_status(&r1->got[0], IX_STATUS_INDEXED, NULL);
    fx_server_remove_file(srv, "/k.html");

    r2 = fetch_one(&opts, PUB "/k.html");
    assert_status(&r2->got[0], IX_STATUS_UNREACHABLE, "HTTP 404");
    cr_assert_str_eq(r2->got[0].res.body_path, r1->got[0].res.body_path);
    cr_assert_str_eq(r2->got[0].res.content_hash, r1->got[0].res.content_hash);
    cr_assert(r2->got[0].res.from_cache);

    /* The record still holds the copy: offline, it is there. */
    opts.offline = TRUE;
    r3 = fetch_one(&opts, PUB "/k.html");
    assert_status(&r3->got[0], IX_STATUS_UNCHANGED, NULL);
    cr_assert_str_eq(r3->got[0].res.body_path, r1->got[0].res.body_path);
}

Test(fetch, offline_uses_the_cache_alone)
{
    g_autoptr(results_t) r1 = NULL;
    g_autoptr(results_t) r2 = NULL;
    const char *urls[] = { PUB "/off.pdf", PUB "/never-fetched.pdf" };
    guint hits;

    fx_server_set_file(srv, "/off.pdf", "%PDF-1.4 tiny", 13, NULL);
    r1 = fetch_one(&opts, urls[0]);
    assert_status(&r1->got[0], IX_STATUS_INDEXED, NULL);
    hits = fx_server_total_hits(srv);

    opts.offline = TRUE;
    r2 = fetch_urls(&opts, urls, 2);
    assert_status(&r2->got[0], IX_STATUS_UNCHANGED, NULL);
    cr_assert(r2->got[0].res.from_cache);
    cr_assert_str_eq(r2->got[0].res.body_path, r1->got[0].res.body_path);
    cr_assert_str_eq(r2->got[0].res.media_type, "application/pdf");
    cr_assert_eq(r2->got[0].res.attempts, 0);
    assert_status(&r2->got[1], IX_STATUS_UNREACHABLE,
                  "offline: not in the cache");
    cr_assert_eq(fx_server_total_hits(srv), hits, "offline used network");
}

Test(fetch, corrupt_record_or_missing_body_is_not_cached)
{
    g_autoptr(results_t) r1 = NULL;
    g_autoptr(results_t) r2 = NULL;
    g_autoptr(results_t) r3 = NULL;
    g_autoptr(results_t) r4 = NULL;
    g_autoptr(ix_cache_t) c = NULL;
    g_autofree char *meta = NULL;
    g_autofree char *inm = NULL;
    static const char *const garbage[] = {
        "", "{", "[1,2]", "{\"url\": 5, \"content_hash\": []}",
        "{\"url\": \"http://elsewhere.org/\"}",
        "{\"url\": \"" PUB "/m.html\", \"content_hash\": \"../../etc\"}",
    };

    PUT("/m.html");
    r1 = fetch_one(&opts, PUB "/m.html");
    assert_status(&r1->got[0], IX_STATUS_INDEXED, NULL);
    c = ix_cache_open(cache_dir, NULL, NULL);
    meta = ix_cache_meta_path(c, PUB "/m.html");
    for (guint i = 0; i < G_N_ELEMENTS(garbage); i++) {
        g_autoptr(results_t) r = NULL;
        g_autoptr(ix_cache_meta_t) m = NULL;

        cr_assert(g_file_set_contents(meta, garbage[i], -1, NULL));
        m = ix_cache_lookup(c, PUB "/m.html");
        cr_assert(!m || !m->content_hash, "garbage %u taken", i);
        r = fetch_one(&opts, PUB "/m.html");
        assert_status(&r->got[0], IX_STATUS_INDEXED, NULL);
    }
    /* Rewritten: the next run is conditional again. */
    r2 = fetch_one(&opts, PUB "/m.html");
    assert_status(&r2->got[0], IX_STATUS_UNCHANGED, NULL);
    cr_assert_eq(r2->got[0].res.http_status, 304);

    /* A body gone from the store: fetched again, unconditionally. */
    cr_assert_eq(g_unlink(r1->got[0].res.body_path), 0);
    r3 = fetch_one(&opts, PUB "/m.html");
    inm = fx_server_last_header(srv, "/m.html", "If-None-Match");
    cr_assert_null(inm);
    assert_status(&r3->got[0], IX_STATUS_INDEXED, NULL);
    cr_assert(g_file_test(r3->got[0].res.body_path, G_FILE_TEST_IS_REGULAR));

    opts.offline = TRUE;
    cr_assert_eq(g_unlink(r3->got[0].res.body_path), 0);
    r4 = fetch_one(&opts, PUB "/m.html");
    assert_status(&r4->got[0], IX_STATUS_UNREACHABLE,
                  "offline: not in the cache");
}

Test(fetch, cache_of_another_format_is_rebuilt_with_a_note)
{
    g_autoptr(results_t) r1 = NULL;
    g_autoptr(results_t) r2 = NULL;
    g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *version = g_build_filename(cache_dir, "VERSION", NULL);
    g_autofree char *text = NULL;

    PUT("/f.html");
    opts.notes = notes;
    r1 = fetch_one(&opts, PUB "/f.html");
    cr_assert_eq(notes->len, 0);
    cr_assert(g_file_set_contents(version, "0\n", -1, NULL));
    r2 = fetch_one(&opts, PUB "/f.html");
    cr_assert_eq(notes->len, 1);
    cr_assert_not_null(strstr(g_ptr_array_index(notes, 0),
                              "format 0 found, rebuilt as format 1"),
                       "%s", (char *)g_ptr_array_index(notes, 0));
    /* Nothing of the old cache was trusted: a fresh, full request. */
    assert_status(&r2->got[0], IX_STATUS_INDEXED, NULL);
    cr_assert_eq(r2->got[0].res.http_status, 200);
    text = file_text(version);
    cr_assert_str_eq(text, "1\n");
}

/* ---------------------------------------------------------------- file:// */

Test(fetch, file_urls_only_inside_a_repository)
{
    g_autoptr(results_t) r = NULL;
    g_autofree char *repo = g_build_filename(tmp, "repo", NULL);
    g_autofree char *inside = g_build_filename(repo, "in side.txt", NULL);
    g_autofree char *outside = g_build_filename(tmp, "secret.txt", NULL);
    g_autofree char *link = g_build_filename(repo, "escape.txt", NULL);
    g_autofree char *u_inside = g_strconcat("file://", inside, NULL);
    g_autofree char *u_outside = g_strconcat("file://", outside, NULL);
    g_autofree char *u_link = g_strconcat("file://", link, NULL);
    g_autofree char *u_dots = g_strconcat("file://", repo,
                                          "/../secret.txt", NULL);
    g_autofree char *u_missing = g_strconcat("file://", repo,
                                             "/missing.txt", NULL);
    const char *urls[] = {
        u_inside, u_outside, u_link, u_dots, "file:///D:/Docs/a.pdf",
        u_missing
    };
    g_autofree char *body = NULL;

    cr_assert_eq(g_mkdir(repo, 0755), 0);
    cr_assert(g_file_set_contents(inside, "repository text", -1, NULL));
    cr_assert(g_file_set_contents(outside, "not yours", -1, NULL));
    cr_assert_eq(symlink(outside, link), 0);
    opts.repositories = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(opts.repositories, g_strdup(repo));
    r = fetch_urls(&opts, urls, G_N_ELEMENTS(urls));
    /* A repaired link may keep its space unencoded. */
    assert_status(&r->got[0], IX_STATUS_INDEXED, NULL);
    body = file_text(r->got[0].res.body_path);
    cr_assert_str_eq(body, "repository text");
    cr_assert_str_eq(r->got[0].res.media_type, "text/plain");
    for (guint i = 1; i <= 4; i++)
        assert_status(&r->got[i], IX_STATUS_UNSUPPORTED,
                      "file:// outside the repository");
    cr_assert_eq(r->got[5].res.status, IX_STATUS_UNREACHABLE);
    cr_assert(g_str_has_prefix(r->got[5].res.reason, "file not found: "),
              "reason: %s", r->got[5].res.reason);
}
