/* test_api.c -- the HTTP API of a running ctmap-searchd over a small real
 * index: ranking, filters, browsing, pages, snippets, errors. */
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "helpers.h"

static void
setup(void)
{
    fx_init();
    fx_index(fx_corpus, fx_corpus_len);
    fx_start(NULL);
}

TestSuite(api, .init = setup, .fini = fx_fini, .timeout = 60);

static gint64
member_int(JsonObject *o, const char *name)
{
    cr_assert(json_object_has_member(o, name), "no member %s", name);
    return json_object_get_int_member(o, name);
}

/* Asserts a /search reply of @n hits out of @total. */
static void
assert_hits(fx_http_t *r, guint n, gint64 total)
{
    JsonObject *o;

    cr_assert_eq(r->status, 200, "%ld: %s", r->status, r->body);
    o = fx_obj(r->json);
    cr_assert_eq(json_array_get_length(fx_member_arr(o, "hits")), n,
                 "%s", r->body);
    cr_assert_eq(member_int(o, "total"), total, "%s", r->body);
}

/* GETs @target and asserts @n hits of @total, the first being @first_id
 * (NULL: any). */
static void
expect_search(const char *target, guint n, gint64 total,
              const char *first_id)
{
    fx_http_t r;

    fx_get(target, &r);
    assert_hits(&r, n, total);
    if (first_id)
        cr_assert_str_eq(fx_hit_id(&r, 0), first_id, "%s", target);
    fx_http_clear(&r);
}

static void
assert_error(fx_http_t *r, long status, const char *code)
{
    JsonObject *e;

    cr_assert_eq(r->status, status, "%ld: %s", r->status, r->body);
    cr_assert_str_eq(r->content_type, "application/json; charset=utf-8");
    e = fx_member_obj(fx_obj(r->json), "error");
    fx_assert_str_member(e, "code", code);
    cr_assert_gt(strlen(json_object_get_string_member(e, "message")), 0);
}

Test(api, search_ranks_expected_document_first)
{
    fx_http_t r;
    JsonObject *o, *hit;

    fx_get("/search?q=violent+extremist+prisoners", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(r.content_type, "application/json; charset=utf-8");
    o = fx_obj(r.json);
    fx_assert_str_member(o, "query", "violent extremist prisoners");
    cr_assert(json_node_is_null(json_object_get_member(o, "corrected")));
    cr_assert_eq(member_int(o, "offset"), 0);
    cr_assert_eq(member_int(o, "limit"), 10);
    cr_assert(json_object_has_member(o, "took_ms"));
    cr_assert(json_object_has_member(o, "total_exact"));
    cr_assert_str_eq(fx_hit_id(&r, 0), "e-0000000000000001");
    hit = fx_hit(&r, 0);
    cr_assert_eq(member_int(hit, "rank"), 1);
    cr_assert_gt(json_object_get_double_member(hit, "score"), 0.0);
    /* The stored record passes through, unknown members included. */
    fx_assert_str_member(hit, "extra", "kept");
    fx_assert_str_member(hit, "kind", "project");
    fx_assert_str_member(hit, "edition", "mapping-2020-07");
    cr_assert(strstr(json_object_get_string_member(hit, "snippet"),
                     "<mark>"), "%s", r.body);
    /* An entry is not paged. */
    cr_assert_not(json_object_has_member(hit, "page"));
    fx_http_clear(&r);
}

Test(api, filters_or_within_and_across_fields)
{
    expect_search("/search?org=unodc", 2, 2, NULL);
    expect_search("/search?org=unodc&org=osce", 4, 4, NULL);
    expect_search("/search?org=unodc&org=osce&country=kazakhstan", 2, 2,
                  NULL);
    expect_search("/search?org=unodc&country=kazakhstan&type=document", 1,
                  1, "d-0000000000000003");
    /* Values are slugged as the indexer slugs them. */
    expect_search("/search?org=UNODC&country=Kazakhstan&section=E", 1, 1,
                  NULL);
    expect_search("/search?q=prisoners&year=2020", 0, 0, NULL);
    expect_search("/search?status=unreachable", 1, 1, "d-0000000000000005");
}

Test(api, empty_query_browses_newest_first)
{
    static const char *const order[] = {
        "d-0000000000000003", "e-0000000000000001", "d-0000000000000002",
        "e-0000000000000004", "d-0000000000000005",
    };
    fx_http_t r;
    guint i;

    fx_get("/search", &r);
    assert_hits(&r, 5, 5);
    for (i = 0; i < G_N_ELEMENTS(order); i++)
        cr_assert_str_eq(fx_hit_id(&r, i), order[i], "hit %u: %s", i,
                         r.body);
    cr_assert(json_object_get_boolean_member(fx_obj(r.json), "total_exact"));
    fx_http_clear(&r);
    expect_search("/search?q=&type=entry", 2, 2, "e-0000000000000001");
}

Test(api, pagination_offsets_and_limits)
{
    fx_http_t r;
    JsonObject *o;

    fx_get("/search?offset=2&limit=2", &r);
    assert_hits(&r, 2, 5);
    o = fx_obj(r.json);
    cr_assert_eq(member_int(o, "offset"), 2);
    cr_assert_eq(member_int(o, "limit"), 2);
    cr_assert_str_eq(fx_hit_id(&r, 0), "d-0000000000000002");
    cr_assert_eq(member_int(fx_hit(&r, 0), "rank"), 3);
    cr_assert_eq(member_int(fx_hit(&r, 1), "rank"), 4);
    fx_http_clear(&r);
    expect_search("/search?offset=4&limit=10", 1, 5, NULL);
    expect_search("/search?offset=50", 0, 5, NULL);
    expect_search("/search?limit=0", 0, 5, NULL);
}

/* A limit above 100 is capped, not refused; "limit" shows the cap. */
Test(api, limit_above_maximum_is_capped)
{
    fx_http_t r;

    fx_get("/search?limit=1000", &r);
    assert_hits(&r, 5, 5);
    cr_assert_eq(member_int(fx_obj(r.json), "limit"), 100);
    fx_http_clear(&r);
}

Test(api, snippet_marks_matches_and_escapes_text)
{
    fx_http_t r;
    const char *snippet;

    fx_get("/search?q=radicalization", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(fx_hit_id(&r, 0), "d-0000000000000003");
    snippet = json_object_get_string_member(fx_hit(&r, 0), "snippet");
    cr_assert(strstr(snippet, "<mark>"), "%s", snippet);
    cr_assert(strstr(snippet, "&lt;script&gt;"), "%s", snippet);
    cr_assert_null(strstr(snippet, "<script>"), "%s", snippet);
    cr_assert(strstr(snippet, "&amp;"), "%s", snippet);
    fx_http_clear(&r);
    /* Browsing has no terms to mark: the start of the text, escaped. */
    fx_get("/search?org=unodc&country=kazakhstan", &r);
    snippet = json_object_get_string_member(fx_hit(&r, 0), "snippet");
    cr_assert(g_str_has_prefix(snippet, "&lt;script&gt;alert(1)"), "%s",
              snippet);
    cr_assert_null(strstr(snippet, "<mark>"), "%s", snippet);
    fx_http_clear(&r);
}

Test(api, snippet_comes_from_the_matching_page)
{
    fx_http_t r;
    JsonObject *hit;
    const char *snippet;

    fx_get("/search?q=reintegration", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(fx_hit_id(&r, 0), "d-0000000000000002");
    hit = fx_hit(&r, 0);
    cr_assert_eq(member_int(hit, "page"), 2, "%s", r.body);
    fx_assert_str_member(hit, "page_url",
                         "https://example.org/files/handbook.pdf#page=2");
    snippet = json_object_get_string_member(hit, "snippet");
    cr_assert(strstr(snippet, "<mark>reintegration</mark>"), "%s", snippet);
    cr_assert_null(strstr(snippet, "Introduction"), "%s", snippet);
    cr_assert_null(strstr(snippet, "Annex"), "%s", snippet);
    fx_http_clear(&r);
}

/* snippets=0: the same hits in the same order, none with a snippet, a
 * page or a page_url; the default and snippets=1 keep them. */
Test(api, snippets_0_leaves_snippets_out)
{
    fx_http_t with, without, one;
    JsonArray *a, *b;
    guint i;

    fx_get("/search?q=reintegration+OR+prisoners", &with);
    fx_get("/search?q=reintegration+OR+prisoners&snippets=0", &without);
    fx_get("/search?q=reintegration+OR+prisoners&snippets=1", &one);
    cr_assert_eq(with.status, 200, "%s", with.body);
    cr_assert_eq(without.status, 200, "%s", without.body);
    cr_assert_eq(one.status, 200, "%s", one.body);
    a = fx_member_arr(fx_obj(with.json), "hits");
    b = fx_member_arr(fx_obj(without.json), "hits");
    cr_assert_geq(json_array_get_length(a), 2, "%s", with.body);
    cr_assert_eq(json_array_get_length(a), json_array_get_length(b));
    for (i = 0; i < json_array_get_length(a); i++) {
        JsonObject *h = fx_hit(&with, i), *n = fx_hit(&without, i);

        cr_assert_str_eq(fx_hit_id(&with, i), fx_hit_id(&without, i));
        cr_assert_str_eq(fx_hit_id(&with, i), fx_hit_id(&one, i));
        cr_assert(json_object_has_member(h, "snippet"), "%s", with.body);
        cr_assert(json_object_has_member(fx_hit(&one, i), "snippet"));
        cr_assert_not(json_object_has_member(n, "snippet"), "%s",
                      without.body);
        cr_assert_not(json_object_has_member(n, "page"), "%s", without.body);
        cr_assert_not(json_object_has_member(n, "page_url"));
        cr_assert(json_object_has_member(n, "rank"));
        cr_assert(json_object_has_member(n, "score"));
        cr_assert(json_object_has_member(n, "label"));
    }
    /* The handbook's snippet names its page; without snippets no page. */
    cr_assert(strstr(with.body, "#page=2"), "%s", with.body);
    cr_assert_null(strstr(without.body, "#page="), "%s", without.body);
    fx_http_clear(&with);
    fx_http_clear(&without);
    fx_http_clear(&one);
}

Test(api, doc_returns_record_and_text)
{
    fx_http_t r;
    JsonObject *o;

    o = fx_get_ok("/doc/d-0000000000000002", &r);
    fx_assert_str_member(o, "id", "d-0000000000000002");
    fx_assert_str_member(o, "url", "https://example.org/files/handbook.pdf");
    cr_assert_eq(member_int(o, "pages"), 3);
    cr_assert(strstr(json_object_get_string_member(o, "text"),
                     "policy makers.\n\nChapter two."), "%s", r.body);
    {
        JsonArray *pages = fx_member_arr(o, "text_pages");

        cr_assert_eq(json_array_get_length(pages), 3, "%s", r.body);
        cr_assert(g_str_has_prefix(json_array_get_string_element(pages, 1),
                                   "Chapter two."), "%s", r.body);
        cr_assert(g_str_has_suffix(json_array_get_string_element(pages, 0),
                                   "policy makers."), "%s", r.body);
    }
    fx_http_clear(&r);
    /* One page: the text alone. */
    fx_get("/doc/e-0000000000000001", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_not(json_object_has_member(fx_obj(r.json), "text_pages"),
                  "%s", r.body);
    fx_http_clear(&r);
    fx_get("/doc/d-ffffffffffffffff", &r);
    assert_error(&r, 404, "not-found");
    fx_http_clear(&r);
    fx_get("/doc/", &r);
    assert_error(&r, 404, "not-found");
    fx_http_clear(&r);
}

Test(api, stats_count_types_and_statuses)
{
    fx_http_t r;
    JsonObject *o, *types, *statuses, *last;

    o = fx_get_ok("/stats", &r);
    cr_assert_eq(member_int(o, "documents"), 5);
    types = fx_member_obj(o, "by_type");
    cr_assert_eq(member_int(types, "entry"), 2);
    cr_assert_eq(member_int(types, "document"), 3);
    statuses = fx_member_obj(o, "by_status");
    cr_assert_eq(member_int(statuses, "indexed"), 4);
    cr_assert_eq(member_int(statuses, "unreachable"), 1);
    cr_assert_eq(member_int(statuses, "broken"), 0);
    cr_assert_eq(json_object_get_size(statuses), 8);
    cr_assert_geq(member_int(o, "revision"), 1);
    last = fx_member_obj(o, "last_run");
    cr_assert_eq(member_int(last, "added"), 5);
    fx_http_clear(&r);
}

Test(api, health_reports_index)
{
    fx_http_t r;
    JsonObject *o;

    fx_get("/health", &r);
    cr_assert_eq(r.status, 200);
    o = fx_obj(r.json);
    fx_assert_str_member(o, "status", "ok");
    cr_assert(json_object_get_boolean_member(o, "index"));
    fx_http_clear(&r);
    cr_assert(fx_http(fx.sock, "HEAD", "/health", &r));
    cr_assert_eq(r.status, 200);
    fx_http_clear(&r);
}

Test(api, errors_are_json)
{
    fx_http_t r;
    g_autofree char *long_uri = NULL;
    GString *s = g_string_new("/search?q=");
    const char *msg;

    fx_get("/nothing-here", &r);
    assert_error(&r, 404, "not-found");
    fx_http_clear(&r);

    cr_assert(fx_http(fx.sock, "POST", "/search?q=x", &r));
    assert_error(&r, 405, "method-not-allowed");
    cr_assert_str_eq(r.allow, "GET, HEAD");
    fx_http_clear(&r);
    cr_assert(fx_http(fx.sock, "DELETE", "/doc/e-0000000000000001", &r));
    assert_error(&r, 405, "method-not-allowed");
    fx_http_clear(&r);

    fx_get("/search?offset=-1", &r);
    assert_error(&r, 400, "bad-parameter");
    fx_http_clear(&r);
    fx_get("/search?offset=abc", &r);
    assert_error(&r, 400, "bad-parameter");
    fx_http_clear(&r);
    fx_get("/search?offset=20000", &r);
    assert_error(&r, 400, "bad-parameter");
    fx_http_clear(&r);
    fx_get("/search?limit=ten", &r);
    assert_error(&r, 400, "bad-parameter");
    fx_http_clear(&r);
    fx_get("/search?sort=random", &r);
    assert_error(&r, 400, "bad-parameter");
    fx_http_clear(&r);
    fx_get("/search?q=a&q=b", &r);
    assert_error(&r, 400, "bad-parameter");
    fx_http_clear(&r);
    fx_get("/search?q=x&snippets=abc", &r);
    assert_error(&r, 400, "bad-parameter");
    msg = json_object_get_string_member(
        fx_member_obj(fx_obj(r.json), "error"), "message");
    cr_assert(strstr(msg, "snippets") && strstr(msg, "abc"), "%s", msg);
    fx_http_clear(&r);

    fx_get("/search?q=x&colour=red", &r);
    assert_error(&r, 400, "bad-parameter");
    msg = json_object_get_string_member(
        fx_member_obj(fx_obj(r.json), "error"), "message");
    cr_assert(strstr(msg, "colour"), "%s", msg);
    fx_http_clear(&r);

    fx_get("/search?q=%FF", &r);
    assert_error(&r, 400, "bad-parameter");
    fx_http_clear(&r);
    fx_get("/search?q=%ZZ", &r);
    assert_error(&r, 400, "bad-parameter");
    fx_http_clear(&r);
    fx_get("/suggest?q=%C3%28", &r);
    assert_error(&r, 400, "bad-parameter");
    fx_http_clear(&r);
    fx_get("/search?q=x%", &r);
    assert_error(&r, 400, "bad-parameter");
    fx_http_clear(&r);
    fx_get("/search?offset=99999999999999999999999", &r);
    assert_error(&r, 400, "bad-parameter");
    fx_http_clear(&r);
    fx_get("/search?limit=-5", &r);
    assert_error(&r, 400, "bad-parameter");
    fx_http_clear(&r);

    fx_get("/search?q=year:2020..abc", &r);
    assert_error(&r, 400, "bad-query");
    fx_http_clear(&r);

    while (s->len <= 9000)
        g_string_append(s, "abcdefgh+");
    long_uri = g_string_free(s, FALSE);
    fx_get(long_uri, &r);
    assert_error(&r, 414, "uri-too-long");
    fx_http_clear(&r);

    /* The daemon still serves after all that. */
    fx_expect_status("/health", 200);
}

Test(api, awkward_queries_answer_200)
{
    fx_http_t r;

    /* An unbalanced quote is parsed leniently. */
    fx_get("/search?q=%22extremist+prisoners", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_gt(json_object_get_int_member(fx_obj(r.json), "total"), 0);
    fx_http_clear(&r);
    /* No usable terms: nothing matches, rather than everything. */
    expect_search("/search?q=%2B%2B%2B+...", 0, 0, NULL);
    expect_search("/search?q=the", 0, 0, NULL);
    fx_expect_status("/search?q=AND+OR+(", 200);
    /* Unbalanced brackets still find what the words find. */
    fx_get("/search?q=(prisoners+OR+(extremist", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_gt(json_object_get_int_member(fx_obj(r.json), "total"), 0);
    fx_http_clear(&r);
    fx_get("/search?q=prisoners)+%5B%5D%22%22)", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_gt(json_object_get_int_member(fx_obj(r.json), "total"), 0);
    fx_http_clear(&r);
    fx_expect_status("/suggest?q=(pri%22", 200);
    fx_expect_status("/search?q=%D0%BF%D1%80%D0%B8%D0%B2%D0%B5%D1%82"
                     "&sort=date", 200);
}

Test(api, search_page_is_served)
{
    fx_http_t r;

    fx_get("/", &r);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.content_type, "text/html; charset=utf-8");
    cr_assert(strstr(r.body, "<script src=\"app.js\">"));
    fx_http_clear(&r);
    /* The page asks for facets and suggestions. */
    fx_get("/app.js", &r);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.content_type, "text/javascript; charset=utf-8");
    cr_assert(strstr(r.body, "\"suggest?\""));
    cr_assert(strstr(r.body, "p.set(\"facets\""));
    fx_http_clear(&r);
    fx_expect_status("/../CMakeLists.txt", 404);
    fx_expect_status("/%2e%2e/CMakeLists.txt", 404);
}

/* Returns: (transfer full): the raw reply to GET @target with the extra
 * header lines @headers ("" for none), on a connection of its own. */
static char *
raw_get(const char *target, const char *headers)
{
    g_autofree char *req = g_strdup_printf(
        "GET %s HTTP/1.1\r\nHost: ctmap\r\n%sConnection: close\r\n\r\n",
        target, headers);
    int fd = fx_raw_connect();
    char *reply;

    cr_assert(fx_raw_send(fd, req, strlen(req)));
    reply = fx_raw_read(fd, 5000, NULL);
    close(fd);
    return reply;
}

/* Returns: (transfer full) (nullable): the value of header @name in the
 * raw reply @reply. */
static char *
raw_header(const char *reply, const char *name)
{
    g_auto(GStrv) lines = g_strsplit(reply, "\r\n", -1);
    size_t n = strlen(name);

    for (size_t i = 1; lines[i] && *lines[i]; i++)
        if (g_ascii_strncasecmp(lines[i], name, n) == 0 && lines[i][n] == ':')
            return g_strstrip(g_strdup(lines[i] + n + 1));
    return NULL;
}

/* ETag and Cache-Control on API answers and files; If-None-Match with
 * the same tag gets a bodiless 304, another tag the answer; a new index
 * revision changes the tag. */
Test(api, etag_and_not_modified)
{
    static const fx_doc_t extra[] = {
        {"e-00000000000000ab", "entry", "Prison reform workshop", NULL,
         {"iom"}, {"IOM"}, {"prisons"}, {"turkmenistan"}, {"2021"},
         "workshop", "A", "en", "indexed", 1, {"Prison reform."}},
    };
    static const char *const targets[] = {"/search?q=prisons", "/suggest?q=pri",
                                          "/app.js", "/"};
    g_autofree char *first = NULL;

    for (size_t i = 0; i < G_N_ELEMENTS(targets); i++) {
        g_autofree char *a = raw_get(targets[i], "");
        g_autofree char *etag = raw_header(a, "ETag");
        g_autofree char *cc = raw_header(a, "Cache-Control");
        g_autofree char *inm = NULL;
        g_autofree char *b = NULL;
        g_autofree char *c = NULL;
        g_autofree char *etag_b = NULL;

        cr_assert_eq(fx_raw_status(a), 200, "%s: %s", targets[i], a);
        cr_assert_not_null(etag, "%s: no ETag: %s", targets[i], a);
        cr_assert(etag[0] == '"' && g_str_has_suffix(etag, "\""), "%s", etag);
        cr_assert_not_null(cc, "%s: no Cache-Control", targets[i]);
        inm = g_strdup_printf("If-None-Match: \"x\", %s\r\n", etag);
        b = raw_get(targets[i], inm);
        cr_assert_eq(fx_raw_status(b), 304, "%s: %s", targets[i], b);
        cr_assert(g_str_has_suffix(b, "\r\n\r\n"), "304 has a body: %s", b);
        etag_b = raw_header(b, "ETag");
        cr_assert_str_eq(etag_b, etag);
        c = raw_get(targets[i], "If-None-Match: \"r0-other\"\r\n");
        cr_assert_eq(fx_raw_status(c), 200, "%s: %s", targets[i], c);
        if (i == 0)
            first = g_steal_pointer(&etag);
    }
    {
        g_autofree char *e = raw_get("/search?q=%FF", "");
        g_autofree char *cc = raw_header(e, "Cache-Control");

        cr_assert_eq(fx_raw_status(e), 400);
        cr_assert_null(raw_header(e, "ETag"), "an error has no ETag");
        cr_assert_str_eq(cc, "no-store");
    }
    {
        g_autofree char *st = raw_get("/stats", "");
        g_autofree char *tag = raw_header(st, "ETag");
        g_autofree char *cc = raw_header(st, "Cache-Control");

        cr_assert_eq(fx_raw_status(st), 200);
        cr_assert_null(tag, "/stats changes without a new revision");
        cr_assert_str_eq(cc, "no-cache");
    }
    fx_index(extra, G_N_ELEMENTS(extra));
    cr_assert(fx_wait_total("/search", (gint64)fx_corpus_len + 1, 2000));
    {
        g_autofree char *a = raw_get(targets[0], "");
        g_autofree char *etag = raw_header(a, "ETag");

        cr_assert_str_neq(etag, first, "a new revision keeps the ETag");
    }
}

/* Every endpoint and error path, then a clean stop: in a sanitizer build
 * the daemon exits non-zero on any leak or memory error it met. */
Test(api, daemon_stops_cleanly_after_every_endpoint)
{
    static const char *const targets[] = {
        "/search?q=reintegration", "/search?q=radicalization&org=unodc",
        "/search", "/search?q=the", "/search?q=year:2020..abc",
        "/search?q=%FF", "/search?bogus=1", "/doc/d-0000000000000002",
        "/doc/nope", "/stats", "/health", "/", "/missing",
        "/search?q=%22unbalanced", "/search?limit=1000&sort=date",
        "/search?q=prisoners&org=unodc&country=kazakhstan&facets=org,"
        "country,type,lang,year,theme,kind,section,status",
        "/search?q=reintegraton&facets=org", "/search?facets=nope",
        "/search?q=radicalization&offset=2&limit=2",
        "/suggest?q=re", "/suggest?q=unodc+pri&limit=50", "/suggest",
    };
    g_autofree char *log = NULL;
    fx_http_t r;
    size_t i;
    int status;

    for (i = 0; i < G_N_ELEMENTS(targets); i++) {
        fx_get(targets[i], &r);
        cr_assert_lt(r.status, 500, "%s: %s", targets[i], r.body);
        fx_http_clear(&r);
    }
    cr_assert(fx_http(fx.sock, "POST", "/search", &r));
    fx_http_clear(&r);
    status = fx_stop();
    g_file_get_contents(fx.log, &log, NULL, NULL);
    cr_assert_eq(status, 0, "exit %d: %s", status, log);
}
