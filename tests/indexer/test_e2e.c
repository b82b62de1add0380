/* test_e2e.c -- end to end: index the embedded mapping into a temporary
 * data dir with the real ctmap-indexer, serve it with the real
 * ctmap-searchd on a temporary socket, and ask it real questions over HTTP.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <glib.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

static char *tmp;
static char *sock;
static GPid daemon_pid;

static int
run(char **err_out, char **out_out, const char *const *argv)
{
    g_autoptr(GError) error = NULL;
    char *out = NULL, *err = NULL;
    int status = 0;

    cr_assert(g_spawn_sync(NULL, (char **)argv, NULL, 0, NULL, NULL, &out,
                           &err, &status, &error), "%s",
              error ? error->message : "");
    if (out_out)
        *out_out = out;
    else
        g_free(out);
    if (err_out)
        *err_out = err;
    else
        g_free(err);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static size_t
collect(char *data, size_t size, size_t n, void *rock)
{
    g_string_append_len(rock, data, size * n);
    return size * n;
}

/* GETs @path over the daemon's Unix socket; returns the HTTP status. */
static long
get(const char *path, GString *body)
{
    CURL *c = curl_easy_init();
    g_autofree char *url = g_strconcat("http://ctmap", path, NULL);
    long code = 0;

    g_string_truncate(body, 0);
    curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    return code;
}

static void
start(gboolean with_repository)
{
    g_autofree char *data = NULL, *err = NULL, *repo = NULL;
    g_autoptr(GString) body = g_string_new(NULL);
    g_autoptr(GError) error = NULL;
    gint64 deadline;

    tmp = g_dir_make_tmp("ctmap-e2e-XXXXXX", NULL);
    cr_assert_not_null(tmp);
    data = g_build_filename(tmp, "var", NULL);
    sock = g_build_filename(tmp, "s.sock", NULL);
    repo = g_build_filename(tmp, "repo", "Prisons", NULL);
    if (with_repository) {
        const char *argv[] = { CTMAP_MKPDF, repo, NULL };

        cr_assert_eq(run(&err, NULL, argv), 0, "mkpdf: %s", err);
        g_clear_pointer(&err, g_free);
    }
    /* Every test of the repository suite indexes the same scans; the OCR
     * cache of the first is lent to the others (it is keyed by the page
     * images, so a stale one cannot give a wrong answer), which saves
     * about 10 s of Tesseract per test on a shared machine.  The first
     * test of a fresh build tree, and scanned_pdf_words_are_searchable
     * whenever it runs first, recognise for real. */
    if (with_repository &&
        g_file_test(CTMAP_E2E_OCR_CACHE, G_FILE_TEST_IS_DIR)) {
        g_autofree char *cmd = g_strdup_printf(
            "mkdir -p '%s/cache' && cp -r '%s' '%s/cache/ocr'", data,
            CTMAP_E2E_OCR_CACHE, data);

        cr_assert_eq(system(cmd), 0);
    }
    {
        g_autofree char *root = g_path_get_dirname(repo);
        /* Offline: this suite is about searching; fetching has its own
         * suites, and each setup here would wait on the resolver. */
        const char *argv[] = { CTMAP_INDEXER, "--quiet", "--offline",
                               "--data-dir", data, "--mapping",
                               CTMAP_CORPUS_DIR "/mapping-2020-07.txt",
                               with_repository ? "--repository" : NULL,
                               root, NULL };

        cr_assert_eq(run(&err, NULL, argv), 0, "indexer: %s", err);
    }
    if (with_repository &&
        !g_file_test(CTMAP_E2E_OCR_CACHE, G_FILE_TEST_IS_DIR)) {
        g_autofree char *cmd = g_strdup_printf(
            "cp -r '%s/cache/ocr' '%s.tmp.%d' && mv -T '%s.tmp.%d' '%s' "
            "|| rm -rf '%s.tmp.%d'", data, CTMAP_E2E_OCR_CACHE,
            (int)getpid(), CTMAP_E2E_OCR_CACHE, (int)getpid(),
            CTMAP_E2E_OCR_CACHE, CTMAP_E2E_OCR_CACHE, (int)getpid());

        cr_assert_eq(system(cmd), 0);
    }
    {
        const char *argv[] = { CTMAP_SEARCHD, "--data-dir", data,
                               "--socket", sock, "--threads", "2", NULL };

        cr_assert(g_spawn_async(NULL, (char **)argv, NULL,
                                G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                &daemon_pid, &error));
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    while (get("/health", body) != 200) {
        cr_assert_lt(g_get_monotonic_time(), deadline,
                     "searchd did not answer /health within 10 s");
        g_usleep(20000);
    }
}

static void
setup(void)
{
    start(FALSE);
}

static void
setup_repository(void)
{
    start(TRUE);
}

static void
teardown(void)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmp);
    int status = 0;

    if (daemon_pid > 0) {
        kill(daemon_pid, SIGTERM);
        waitpid(daemon_pid, &status, 0);
    }
    curl_global_cleanup();
    cr_assert_eq(system(cmd), 0);
    g_free(tmp);
    g_free(sock);
}

TestSuite(e2e, .init = setup, .fini = teardown, .timeout = 120);

static JsonObject *
search(JsonParser *parser, const char *query_string)
{
    g_autoptr(GString) body = g_string_new(NULL);
    g_autofree char *path = g_strconcat("/search?", query_string, NULL);
    long code = get(path, body);

    cr_assert_eq(code, 200, "%s -> %ld %s", path, code, body->str);
    cr_assert(json_parser_load_from_data(parser, body->str, -1, NULL));
    return json_node_get_object(json_parser_get_root(parser));
}

static gboolean
array_has(JsonObject *hit, const char *member, const char *value)
{
    JsonArray *a = json_object_get_array_member(hit, member);

    for (guint i = 0; a && i < json_array_get_length(a); i++)
        if (strcmp(json_array_get_string_element(a, i), value) == 0)
            return TRUE;
    return FALSE;
}

/* Asserts that one of the first three hits is an entry of @theme (any
 * theme when NULL) whose title or snippet mentions @word: the question a
 * researcher asks is answered on the first screen. */
static void
assert_top3(const char *q, const char *theme, const char *word)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autofree char *esc = g_uri_escape_string(q, NULL, FALSE);
    g_autofree char *qs = g_strdup_printf("q=%s&limit=3", esc);
    JsonObject *res = search(parser, qs);
    JsonArray *hits = json_object_get_array_member(res, "hits");
    GString *seen = g_string_new(NULL);
    gboolean found = FALSE;

    for (guint i = 0; i < json_array_get_length(hits); i++) {
        JsonObject *h = json_array_get_object_element(hits, i);
        const char *title = json_object_get_string_member(h, "title");
        const char *snip = json_object_get_string_member_with_default(
            h, "snippet", "");
        g_autofree char *both = g_strconcat(title, " ", snip, NULL);
        g_autofree char *hay = g_utf8_strdown(both, -1);

        g_string_append_printf(seen, "\n  %s [%s]", title,
                               json_object_get_string_member(h, "type"));
        if ((!theme || array_has(h, "theme", theme)) && strstr(hay, word)
            && strcmp(json_object_get_string_member(h, "type"), "entry")
                   == 0)
            found = TRUE;
    }
    cr_assert(found, "'%s': no %s entry mentioning '%s' in the top 3:%s", q,
              theme ? theme : "", word, seen->str);
    g_string_free(seen, TRUE);
}

Test(e2e, prisons_and_radicalization)
{
    assert_top3("prisons and radicalization", "prisons", "prison");
}

Test(e2e, financing_of_terrorism_training)
{
    assert_top3("financing of terrorism training", "financing", "financ");
}

Test(e2e, returning_foreign_terrorist_fighters)
{
    /* The RFTF detention programme is filed under prisons, not under the
     * FTF theme: the entry is what matters, wherever it is filed. */
    assert_top3("returning foreign terrorist fighters", NULL,
                "returning foreign terrorist fighters");
}

Test(e2e, victims_of_terrorism_support)
{
    assert_top3("support to victims of terrorism", "victims", "victim");
}

Test(e2e, border_management)
{
    assert_top3("border management programme", "border", "border");
}

Test(e2e, filters_narrow_the_results)
{
    g_autoptr(JsonParser) p1 = json_parser_new();
    g_autoptr(JsonParser) p2 = json_parser_new();
    JsonObject *all = search(p1, "q=prisons");
    JsonObject *unodc = search(p2, "q=prisons&org=unodc&type=entry");
    JsonArray *hits = json_object_get_array_member(unodc, "hits");

    cr_assert_gt(json_object_get_int_member(all, "total"),
                 json_object_get_int_member(unodc, "total"));
    cr_assert_gt(json_array_get_length(hits), 0);
    for (guint i = 0; i < json_array_get_length(hits); i++) {
        JsonObject *h = json_array_get_object_element(hits, i);

        cr_assert(array_has(h, "org", "unodc"));
        cr_assert_str_eq(json_object_get_string_member(h, "type"), "entry");
    }
}

Test(e2e, documents_are_searchable_with_their_status)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *res = search(parser, "q=&type=document&status=local-path");
    JsonArray *hits = json_object_get_array_member(res, "hits");

    cr_assert_eq(json_object_get_int_member(res, "total"), 2);
    for (guint i = 0; i < json_array_get_length(hits); i++) {
        JsonObject *h = json_array_get_object_element(hits, i);

        cr_assert_str_eq(json_object_get_string_member(h, "status"),
                         "local-path");
        cr_assert(g_str_has_prefix(json_object_get_string_member(h, "url"),
                                   "file:///"));
        cr_assert_gt(json_array_get_length(
            json_object_get_array_member(h, "cited_by")), 0);
    }
}

Test(e2e, doc_returns_the_whole_record)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(JsonParser) dp = json_parser_new();
    g_autoptr(GString) body = g_string_new(NULL);
    JsonObject *res = search(parser, "q=SHERLOC&type=entry");
    JsonArray *hits = json_object_get_array_member(res, "hits");
    JsonObject *doc;
    g_autofree char *path = NULL;

    cr_assert_gt(json_array_get_length(hits), 0);
    path = g_strconcat("/doc/", json_object_get_string_member(
        json_array_get_object_element(hits, 0), "id"), NULL);
    cr_assert_eq(get(path, body), 200);
    cr_assert(json_parser_load_from_data(dp, body->str, -1, NULL));
    doc = json_node_get_object(json_parser_get_root(dp));
    cr_assert(strstr(json_object_get_string_member(doc, "text"),
                     "SHERLOC"));
}

Test(e2e, stats_count_entries_and_documents)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GString) body = g_string_new(NULL);
    JsonObject *stats, *by_type;

    cr_assert_eq(get("/stats", body), 200);
    cr_assert(json_parser_load_from_data(parser, body->str, -1, NULL));
    stats = json_node_get_object(json_parser_get_root(parser));
    by_type = json_object_get_object_member(stats, "by_type");
    cr_assert_gt(json_object_get_int_member(by_type, "entry"), 200);
    cr_assert_gt(json_object_get_int_member(by_type, "document"), 20);
    cr_assert_eq(json_object_get_int_member(stats, "documents"),
                 json_object_get_int_member(by_type, "entry")
                 + json_object_get_int_member(by_type, "document"));
}

/* The revision and document count /stats reports. */
static void
stats_now(gint64 *revision, gint64 *documents)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GString) body = g_string_new(NULL);
    JsonObject *stats;

    cr_assert_eq(get("/stats", body), 200, "%s", body->str);
    cr_assert(json_parser_load_from_data(parser, body->str, -1, NULL));
    stats = json_node_get_object(json_parser_get_root(parser));
    *revision = json_object_get_int_member(stats, "revision");
    *documents = json_object_get_int_member(stats, "documents");
}

/* searchd answers every query, with every document, all through two
 * --full rebuilds (each swapped in whole), and serves the new index
 * within a few seconds of each. */
Test(e2e, searchd_answers_throughout_full_rebuilds)
{
    g_autofree char *data = g_build_filename(tmp, "var", NULL);
    const char *argv[] = { CTMAP_INDEXER, "--quiet", "--offline", "--full",
                           "--data-dir", data, "--mapping",
                           CTMAP_CORPUS_DIR "/mapping-2020-07.txt", NULL };
    gint64 rev = 0, docs = 0, total = 0;
    guint queries = 0;

    stats_now(&rev, &docs);
    {
        g_autoptr(JsonParser) parser = json_parser_new();

        total = json_object_get_int_member(search(parser, "q=prisons"),
                                           "total");
        cr_assert_gt(total, 0);
    }
    for (int round = 0; round < 2; round++) {
        g_autoptr(GError) error = NULL;
        GPid pid;
        int status = 0;
        gboolean running = TRUE;
        gint64 deadline, new_rev = 0, n = 0;

        cr_assert(g_spawn_async(NULL, (char **)argv, NULL,
                                G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid,
                                &error));
        while (running) {
            g_autoptr(JsonParser) parser = json_parser_new();
            JsonObject *res;

            running = waitpid(pid, &status, WNOHANG) == 0;
            res = search(parser, "q=prisons");
            cr_assert_eq(json_object_get_int_member(res, "total"), total,
                         "a query during the rebuild saw another index");
            stats_now(&new_rev, &n);
            cr_assert_eq(n, docs);
            queries++;
        }
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
        do {
            g_usleep(50000);
            stats_now(&new_rev, &n);
        } while (new_rev == rev && g_get_monotonic_time() < deadline);
        cr_assert_gt(new_rev, rev, "searchd still serves the old index");
        rev = new_rev;
    }
    cr_assert_gt(queries, 2);
}

Test(e2e, command_line_client_prints_ranked_entries)
{
    g_autofree char *out = NULL, *err = NULL;
    const char *argv[] = { CTMAP_SEARCH, "--socket", sock, "--limit", "3",
                           "returning", "foreign", "terrorist", "fighters",
                           NULL };

    cr_assert_eq(run(&err, &out, argv), 0, "%s", err);
    cr_assert(g_str_has_prefix(out, "1. "), "%s", out);
    cr_assert(strstr(out, "\n2. "), "%s", out);
    cr_assert(strstr(out, " · "), "no organizations/themes line: %s", out);
}

/* ---------------------------------------------------------------- Folders */

TestSuite(repository, .init = setup_repository, .fini = teardown,
          .timeout = 120);

/* The handbook's second page talks of community engagement; the hit must
 * send the reader to that page. */
Test(repository, pdf_hit_links_to_the_page_of_the_passage)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *res = search(parser, "q=community+engagement+councils"
                                     "&type=document&limit=1");
    JsonArray *hits = json_object_get_array_member(res, "hits");
    JsonObject *h;

    cr_assert_eq(json_array_get_length(hits), 1);
    h = json_array_get_object_element(hits, 0);
    cr_assert_str_eq(json_object_get_string_member(h, "status"), "indexed");
    cr_assert_eq(json_object_get_int_member(h, "page"), 2);
    cr_assert(g_str_has_suffix(json_object_get_string_member(h, "page_url"),
                               "english.pdf#page=2"));
    cr_assert(strstr(json_object_get_string_member(h, "snippet"),
                     "<mark>"));
    cr_assert_eq(json_object_get_int_member(h, "pages"), 3);
}

Test(repository, russian_pdf_is_found_by_a_russian_word_form)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *res = search(parser, "q=%D1%8D%D0%BA%D1%81%D1%82%D1%80%D0%B5"
                                     "%D0%BC%D0%B8%D0%B7%D0%BC%D0%B0"
                                     "&lang=ru&type=document");
    JsonArray *hits = json_object_get_array_member(res, "hits");

    /* "экстремизма" (genitive) finds the Russian handbook by its stem. */
    cr_assert_geq(json_array_get_length(hits), 1);
    cr_assert_str_eq(json_object_get_string_member(
        json_array_get_object_element(hits, 0), "lang"), "ru");
}

Test(repository, image_only_pdf_is_indexed_with_its_warning)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *res = search(parser, "q=title:image&type=document");
    JsonArray *hits = json_object_get_array_member(res, "hits");
    JsonObject *h;

    cr_assert_eq(json_array_get_length(hits), 1);
    h = json_array_get_object_element(hits, 0);
    cr_assert_str_eq(json_object_get_string_member(h, "status"), "indexed");
    cr_assert(strstr(json_object_get_string_member(h, "reason"),
                     "no text layer"));
}

/* The first hit of @qs whose url ends in @suffix, or NULL. */
static JsonObject *
hit_ending(JsonObject *res, const char *suffix)
{
    JsonArray *hits = json_object_get_array_member(res, "hits");

    for (guint i = 0; i < json_array_get_length(hits); i++) {
        JsonObject *h = json_array_get_object_element(hits, i);
        const char *url = json_object_get_string_member_with_default(
            h, "url", "");

        if (g_str_has_suffix(url, suffix))
            return h;
    }
    return NULL;
}

/* mkpdf's scans have no text layer: their words can only come from OCR
 * during indexing, and the hit says which pages were recognised. */
Test(repository, scanned_pdf_words_are_searchable)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(JsonParser) parser_ru = json_parser_new();
    JsonObject *res = search(parser, "q=practitioners&type=document"
                                     "&limit=50");
    JsonObject *h = hit_ending(res, "/scan-english.pdf");
    JsonArray *ocr;

    cr_assert_not_null(h, "no hit for the scanned English PDF");
    ocr = json_object_get_array_member(h, "ocr");
    cr_assert_not_null(ocr, "the hit has no ocr pages");
    cr_assert_eq(json_array_get_length(ocr), 3);
    cr_assert_geq(json_object_get_int_member(
        json_array_get_object_element(ocr, 0), "confidence"), 80);
    cr_assert_str_eq(json_object_get_string_member(h, "lang"), "en");

    /* "Кыргызстане", only on the scanned page of scan-mixed.pdf among
     * that file's pages; its hit points at page 2. */
    res = search(parser_ru, "q=%D0%9A%D1%8B%D1%80%D0%B3%D1%8B%D0%B7%D1%81"
                            "%D1%82%D0%B0%D0%BD%D0%B5&type=document"
                            "&limit=50");
    h = hit_ending(res, "/scan-mixed.pdf");
    cr_assert_not_null(h, "no hit for the scan inside a text PDF");
    cr_assert_eq(json_object_get_int_member(h, "page"), 2);
}

/* --ocr off indexes the scans without text, and says why; a bad mode is a
 * usage error.  The OCR results of the suite's own run are in its cache,
 * so they are there to be ignored. */
Test(repository, ocr_off_and_bad_mode)
{
    g_autofree char *data = g_build_filename(tmp, "var-off", NULL);
    g_autofree char *root = g_build_filename(tmp, "repo", NULL);
    g_autofree char *report = NULL, *err = NULL;
    g_autofree char *path = NULL;
    const char *argv[] = { CTMAP_INDEXER, "--quiet", "--offline",
                           "--data-dir", data, "--repository", root,
                           "--ocr", "off", NULL };
    const char *bad[] = { CTMAP_INDEXER, "--ocr", "sometimes", NULL };

    cr_assert_eq(run(&err, NULL, argv), 0, "indexer: %s", err);
    path = g_build_filename(data, "report.json", NULL);
    cr_assert(g_file_get_contents(path, &report, NULL, NULL));
    {
        g_autoptr(JsonParser) p = json_parser_new();
        JsonArray *srcs;
        gboolean seen = FALSE;

        cr_assert(json_parser_load_from_data(p, report, -1, NULL));
        srcs = json_object_get_array_member(
            json_node_get_object(json_parser_get_root(p)), "sources");
        for (guint i = 0; i < json_array_get_length(srcs); i++) {
            JsonObject *s = json_array_get_object_element(srcs, i);
            const char *url = json_object_get_string_member_with_default(
                s, "url", "");

            if (!g_str_has_suffix(url, "/scan-english.pdf"))
                continue;
            seen = TRUE;
            cr_assert(strstr(json_object_get_string_member(s, "reason"),
                             "no text layer"));
        }
        cr_assert(seen, "scan-english.pdf is not in the report");
    }
    g_clear_pointer(&err, g_free);
    cr_assert_eq(run(&err, NULL, bad), 2);
    cr_assert(strstr(err, "--ocr must be auto, off or force"), "%s", err);
}

/* --repository DIR=URL publishes DIR/a/b.pdf as URL + "a/b.pdf",
 * percent-encoded, and the page link builds on it; a folder that does not
 * exist is a usage error. */
Test(repository, published_folder_has_public_urls)
{
    g_autofree char *data = g_build_filename(tmp, "var-pub", NULL);
    g_autofree char *root = g_build_filename(tmp, "pub", NULL);
    g_autofree char *sub = g_build_filename(root, "Prisons", NULL);
    g_autofree char *src = g_build_filename(tmp, "repo", "Prisons",
                                            "english.pdf", NULL);
    g_autofree char *dst = g_build_filename(sub, "Hand book é.pdf", NULL);
    g_autofree char *spec = g_strconcat(root, "=https://docs.example.org/"
                                        "pcve", NULL);
    g_autofree char *missing = g_build_filename(tmp, "nowhere", NULL);
    g_autofree char *bad_spec = g_strconcat(missing, "=https://x.org/",
                                            NULL);
    g_autofree char *err = NULL, *out = NULL, *bytes = NULL;
    gsize len = 0;
    const char *argv[] = { CTMAP_INDEXER, "--quiet", "--offline",
                           "--ocr", "off", "--data-dir", data,
                           "--repository", spec, NULL };
    const char *bad[] = { CTMAP_INDEXER, "--repository", bad_spec, NULL };

    cr_assert_eq(g_mkdir_with_parents(sub, 0755), 0);
    cr_assert(g_file_get_contents(src, &bytes, &len, NULL));
    cr_assert(g_file_set_contents(dst, bytes, (gssize)len, NULL));
    cr_assert_eq(run(&err, NULL, argv), 0, "indexer: %s", err);
    {
        g_autofree char *report = NULL;
        g_autofree char *path = g_build_filename(data, "report.json", NULL);
        g_autoptr(JsonParser) p = json_parser_new();
        JsonArray *srcs;
        const char *url;

        cr_assert(g_file_get_contents(path, &report, NULL, NULL));
        cr_assert(json_parser_load_from_data(p, report, -1, NULL));
        srcs = json_object_get_array_member(
            json_node_get_object(json_parser_get_root(p)), "sources");
        cr_assert_eq(json_array_get_length(srcs), 1);
        url = json_object_get_string_member(
            json_array_get_object_element(srcs, 0), "url");
        cr_assert_str_eq(url, "https://docs.example.org/pcve/Prisons/"
                              "Hand%20book%20%C3%A9.pdf");
    }
    g_clear_pointer(&err, g_free);
    cr_assert_eq(run(&err, NULL, bad), 2);
    cr_assert(strstr(err, "no such folder"), "%s", err);
}

/* The report's source whose url ends in @suffix, from @data's
 * report.json parsed into @p. */
static JsonObject *
report_source(JsonParser *p, const char *data, const char *suffix)
{
    g_autofree char *path = g_build_filename(data, "report.json", NULL);
    JsonArray *srcs;

    cr_assert(json_parser_load_from_file(p, path, NULL), "%s", path);
    srcs = json_object_get_array_member(
        json_node_get_object(json_parser_get_root(p)), "sources");
    for (guint i = 0; i < json_array_get_length(srcs); i++) {
        JsonObject *s = json_array_get_object_element(srcs, i);

        if (g_str_has_suffix(json_object_get_string_member_with_default(
                                 s, "url", ""), suffix))
            return s;
    }
    cr_assert_fail("no %s in %s", suffix, path);
    return NULL;
}

/* The coverage report: pages, pages with text, pages OCR'd, language,
 * per document and summed in the summary. */
Test(repository, report_has_extraction_coverage)
{
    g_autoptr(JsonParser) p = json_parser_new();
    g_autofree char *data = g_build_filename(tmp, "var", NULL);
    JsonObject *s = report_source(p, data, "/scan-mixed.pdf");
    JsonObject *c = json_object_get_object_member(s, "coverage");
    JsonObject *sum;

    cr_assert_not_null(c);
    cr_assert_eq(json_object_get_int_member(c, "pages"), 3);
    cr_assert_eq(json_object_get_int_member(c, "pages_with_text"), 3);
    cr_assert_eq(json_object_get_int_member(c, "pages_ocr"), 1);
    cr_assert_eq(json_array_get_length(
        json_object_get_array_member(c, "suspect")), 0);
    s = report_source(p, data, "/image-only.pdf");
    c = json_object_get_object_member(s, "coverage");
    cr_assert_eq(json_object_get_int_member(c, "pages"), 2);
    cr_assert_eq(json_object_get_int_member(c, "pages_with_text"), 0);
    sum = json_object_get_object_member(json_object_get_object_member(
        json_node_get_object(json_parser_get_root(p)), "summary"),
        "coverage");
    /* english 3 + russian 1 + noisy 4 + mixed 1 scanned pages. */
    cr_assert_eq(json_object_get_int_member(sum, "pages_ocr"), 9);
    cr_assert_geq(json_object_get_int_member(sum, "without_text"), 2,
                  "image-only.pdf and scan-huge.pdf have no text");
}

/* Indexes the mapping and the repository again, as the suite's setup
 * did. */
static void
reindex_repository(void)
{
    g_autofree char *data = g_build_filename(tmp, "var", NULL);
    g_autofree char *root = g_build_filename(tmp, "repo", NULL);
    g_autofree char *err = NULL;
    const char *argv[] = { CTMAP_INDEXER, "--quiet", "--offline",
                           "--data-dir", data, "--mapping",
                           CTMAP_CORPUS_DIR "/mapping-2020-07.txt",
                           "--repository", root, NULL };

    cr_assert_eq(run(&err, NULL, argv), 0, "indexer: %s", err);
}

/* reindex_repository(), asserting from its report that it added and
 * updated nothing. */
static void
reindex_repository_unchanged(void)
{
    g_autofree char *data = g_build_filename(tmp, "var", NULL);

    reindex_repository();
    cr_assert_eq(it_json_int(data, "report.json", "summary", "updated"), 0);
    cr_assert_eq(it_json_int(data, "report.json", "summary", "added"), 0);
}

/* A re-run over the same scans rewrites nothing: the OCR'd pages of an
 * unchanged document come back from its record, so its record and hash
 * are as before, and the hit still says which pages were recognised. */
Test(repository, rerun_keeps_ocr_pages_unchanged)
{
    g_autoptr(JsonParser) q = json_parser_new();
    JsonObject *h;

    reindex_repository_unchanged();
    h = hit_ending(search(q, "q=practitioners&type=document&limit=50"),
                   "/scan-english.pdf");
    cr_assert_not_null(h);
    cr_assert_eq(json_array_get_length(
        json_object_get_array_member(h, "ocr")), 3);
}

/* A repository file that keeps naming Kazakhstan and 2019 gets them as
 * tags from its text, on top of its folder's theme, and says which came
 * from where. */
Test(repository, text_tags_with_their_sources)
{
    g_autofree char *data = g_build_filename(tmp, "var", NULL);
    g_autofree char *root = g_build_filename(tmp, "repo", NULL);
    g_autofree char *file = g_build_filename(root, "Prisons",
                                             "kazakhstan-notes.txt", NULL);
    g_autoptr(GString) text = g_string_new("Prison reform notes\n\n");
    g_autofree char *err = NULL;
    const char *argv[] = { CTMAP_INDEXER, "--quiet", "--offline",
                           "--data-dir", data, "--mapping",
                           CTMAP_CORPUS_DIR "/mapping-2020-07.txt",
                           "--repository", root, NULL };
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    JsonObject *h = NULL, *src;

    for (int i = 0; i < 4; i++)
        g_string_append_printf(text, "In %d Kazakhstan opened probation "
                               "office number %d.\n\n", 2019, i + 1);
    g_string_append(text, "See also a report on Uzbekistan.\n");
    cr_assert(g_file_set_contents(file, text->str, -1, NULL));
    cr_assert_eq(run(&err, NULL, argv), 0, "indexer: %s", err);
    /* The daemon reopens the index within half a second of a commit. */
    while (!h) {
        g_autoptr(JsonParser) p = json_parser_new();
        JsonObject *res = search(p, "q=probation&type=document");

        h = hit_ending(res, "/kazakhstan-notes.txt");
        if (h) {
            cr_assert(array_has(h, "country", "kazakhstan"));
            cr_assert_not(array_has(h, "country", "uzbekistan"));
            cr_assert(array_has(h, "year", "2019"));
            src = json_object_get_object_member(h, "tag_sources");
            cr_assert_not_null(src, "no tag_sources");
            cr_assert_str_eq(json_array_get_string_element(
                json_object_get_array_member(json_object_get_object_member(
                    src, "country"), "kazakhstan"), 0), "text");
            cr_assert_str_eq(json_array_get_string_element(
                json_object_get_array_member(json_object_get_object_member(
                    src, "theme"), "prisons"), 0), "folder");
            break;
        }
        cr_assert_lt(g_get_monotonic_time(), deadline,
                     "the new file was not found");
        g_usleep(100000);
    }
}

/* The translation of @h into @lang, or NULL. */
static JsonObject *
translation_in(JsonObject *h, const char *lang)
{
    JsonArray *a = json_object_has_member(h, "translations")
                   ? json_object_get_array_member(h, "translations") : NULL;

    for (guint i = 0; a && i < json_array_get_length(a); i++) {
        JsonObject *t = json_array_get_object_element(a, i);

        if (g_strcmp0(json_object_get_string_member(t, "lang"), lang) == 0)
            return t;
    }
    return NULL;
}

/* The hit of @q whose url ends in @suffix, waiting for the daemon to
 * reopen the index (within half a second of a commit). */
static JsonObject *
wait_hit(JsonParser *p, const char *q, const char *suffix)
{
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

    for (;;) {
        JsonObject *h = hit_ending(search(p, q), suffix);

        if (h)
            return h;
        cr_assert_lt(g_get_monotonic_time(), deadline, "%s: no %s", q,
                     suffix);
        g_usleep(100000);
    }
}

/* Versions whose names have nothing in common are linked by the UN
 * symbol at their head or by the ISBN they share (ISBN-10 in one,
 * ISBN-13 in the other); a document that only cites the symbol, or has
 * an ISBN whose check digit is wrong, is not a version. */
Test(repository, language_versions_linked_by_symbol_and_isbn)
{
    g_autofree char *data = g_build_filename(tmp, "var", NULL);
    g_autofree char *root = g_build_filename(tmp, "repo", NULL);
    g_autoptr(GString) cites = g_string_new(
        "Review of probation practice in the region.\n\n");
    g_autoptr(JsonParser) p1 = json_parser_new();
    g_autoptr(JsonParser) p2 = json_parser_new();
    g_autoptr(JsonParser) p3 = json_parser_new();
    g_autoptr(JsonParser) p4 = json_parser_new();
    g_autoptr(JsonParser) p5 = json_parser_new();
    g_autoptr(JsonParser) dp = json_parser_new();
    g_autoptr(GString) body = g_string_new(NULL);
    g_autofree char *path = NULL;
    JsonObject *en, *ru, *book_en, *book_ru, *other, *t;

    it_write_file(root, "Letters/sg-letter.txt",
                  "United Nations S/2017/375\n\nSecurity Council\n\n"
                  "Letter dated 2 May 2017 from the Secretary-General on "
                  "zebrafinch cooperation in Central Asia. The "
                  "Secretary-General "
                  "reports on the joint plan of action and its implementation "
                  "by the States of the region.\n");
    it_write_file(root, "Letters/pismo.txt",
                  "Организация Объединенных Наций S/2017/375\n\n"
                  "Совет Безопасности\n\nПисьмо Генерального секретаря "
                  "от 2 мая "
                  "2017 года о сотрудничестве zebrafinch в Центральной Азии. "
                  "Генеральный секретарь сообщает о совместном плане "
                  "действий и "
                  "о том, как государства региона его осуществляют.\n");
    while (cites->len < 2000)
        g_string_append(cites, "The mission reviewed zebrafinch probation "
                               "offices and their staff. ");
    g_string_append(cites, "\n\nSee the letter S/2017/375.\n");
    it_write_file(root, "Letters/review.txt", cites->str);
    it_write_file(root, "Books/handbook.html",
                  "<html><head><title>Handbook on zebrafinch prisons</title>"
                  "</head><body><h1>Handbook on zebrafinch prisons</h1>"
                  "<p>ISBN 978-92-1-130335-3</p><p>This handbook describes how "
                  "prison staff manage violent extremist prisoners and how the "
                  "administration keeps them apart from others.</p></body>"
                  "</html>");
    it_write_file(root, "Books/rukovodstvo.html",
                  "<html><head><title>Руководство zebrafinch по тюрьмам</title>"
                  "</head><body><h1>Руководство zebrafinch по тюрьмам</h1>"
                  "<p>ISBN: 92-1-130335-4</p><p>Это руководство описывает, как "
                  "сотрудники тюрем работают с заключенными, склонными к "
                  "насильственному экстремизму, и как администрация "
                  "отделяет их "
                  "от других.</p></body></html>");
    it_write_file(root, "Books/misprint.html",
                  "<html><head><title>Zebrafinch leaflet</title></head><body>"
                  "<p>ISBN 978-92-1-130335-4</p><p>Руководство zebrafinch: "
                  "краткая памятка для сотрудников тюрем и учреждений "
                  "пробации о работе с заключенными.</p></body></html>");
    reindex_repository();

    en = wait_hit(p1, "q=secretary-general&type=document&limit=50",
                  "/sg-letter.txt");
    ru = hit_ending(search(p2, "q=%D0%93%D0%B5%D0%BD%D0%B5%D1%80%D0%B0"
                               "%D0%BB%D1%8C%D0%BD%D1%8B%D0%B9"
                               "&type=document&limit=50"), "/pismo.txt");
    cr_assert_not_null(ru);
    cr_assert_str_eq(json_object_get_string_member(ru, "lang"), "ru");
    t = translation_in(en, "ru");
    cr_assert_not_null(t, "the English letter lists no Russian version");
    cr_assert_str_eq(json_object_get_string_member(t, "id"),
                     json_object_get_string_member(ru, "id"));
    cr_assert(g_str_has_suffix(json_object_get_string_member(t, "url"),
                               "/pismo.txt"));
    cr_assert_not_null(translation_in(ru, "en"));
    cr_assert(array_has(en, "identifiers", "un:S/2017/375"));

    other = hit_ending(search(p3, "q=mission&type=document&limit=50"),
                       "/review.txt");
    cr_assert_not_null(other);
    cr_assert_null(translation_in(other, "ru"),
                   "citing a symbol is not being its version");

    book_en = hit_ending(search(p4, "q=handbook&type=document&limit=50"),
                         "/handbook.html");
    cr_assert_not_null(book_en);
    t = translation_in(book_en, "ru");
    cr_assert_not_null(t, "the handbook lists no Russian version");
    cr_assert(g_str_has_suffix(json_object_get_string_member(t, "url"),
                               "/rukovodstvo.html"));
    cr_assert_str_eq(json_object_get_string_member(t, "title"),
                     "Руководство zebrafinch по тюрьмам");
    book_ru = hit_ending(search(p5, "q=leaflet&type=document&limit=50"),
                         "/misprint.html");
    cr_assert_not_null(book_ru);
    cr_assert_null(translation_in(book_ru, "en"),
                   "an ISBN with a wrong check digit links nothing");

    /* /doc/ID says the same. */
    path = g_strconcat("/doc/", json_object_get_string_member(ru, "id"),
                       NULL);
    cr_assert_eq(get(path, body), 200);
    cr_assert(json_parser_load_from_data(dp, body->str, -1, NULL));
    cr_assert_not_null(translation_in(
        json_node_get_object(json_parser_get_root(dp)), "en"));

    /* A re-run reads the identifiers back from the records: the links
     * stay and nothing is rewritten. */
    {
        g_autoptr(JsonParser) p6 = json_parser_new();

        reindex_repository_unchanged();
        cr_assert_not_null(translation_in(hit_ending(search(
            p6, "q=secretary-general&type=document&limit=50"),
            "/sg-letter.txt"), "ru"));
    }
}

/* The number of hits of @qs whose url ends in @suffix (0 or 1). */
static guint
hits_ending(const char *qs, const char *suffix)
{
    g_autoptr(JsonParser) p = json_parser_new();

    return hit_ending(search(p, qs), suffix) != NULL;
}

/* tag_source keeps the tags of one origin: the notes are about
 * Kazakhstan by their text and about prisons by their folder, and the
 * mapping's entries are tagged by the mapping. */
Test(repository, tag_source_filters_on_where_a_tag_came_from)
{
    g_autofree char *root = g_build_filename(tmp, "repo", NULL);
    g_autoptr(GString) text = g_string_new("Prison reform notes\n\n");
    g_autoptr(JsonParser) p = json_parser_new();
    g_autoptr(JsonParser) q = json_parser_new();
    g_autoptr(GString) body = g_string_new(NULL);
    const char *base = "q=probation&type=document&limit=50";
    g_autofree char *kz_text = g_strconcat(
        base, "&country=kazakhstan&tag_source=text", NULL);
    g_autofree char *kz_mapping = g_strconcat(
        base, "&country=kazakhstan&tag_source=mapping", NULL);
    g_autofree char *prisons_text = g_strconcat(
        base, "&theme=prisons&tag_source=text", NULL);
    g_autofree char *prisons_folder = g_strconcat(
        base, "&theme=prisons&tag_source=folder", NULL);
    g_autofree char *prisons_either = g_strconcat(
        base, "&theme=prisons&tag_source=text&tag_source=folder", NULL);
    g_autofree char *any_text = g_strconcat(base, "&tag_source=text", NULL);
    JsonObject *res;

    for (int i = 0; i < 4; i++)
        g_string_append_printf(text, "In %d Kazakhstan opened probation "
                               "office number %d.\n\n", 2019, i + 1);
    it_write_file(root, "Prisons/kazakhstan-notes.txt", text->str);
    reindex_repository();
    wait_hit(p, kz_text, "/kazakhstan-notes.txt");
    cr_assert_eq(hits_ending(kz_mapping, "/kazakhstan-notes.txt"), 0,
                 "Kazakhstan is not the notes' mapping tag");
    cr_assert_eq(hits_ending(prisons_text, "/kazakhstan-notes.txt"), 0,
                 "prisons is not a tag of the notes' text");
    cr_assert_eq(hits_ending(prisons_folder, "/kazakhstan-notes.txt"), 1);
    cr_assert_eq(hits_ending(prisons_either, "/kazakhstan-notes.txt"), 1);
    cr_assert_eq(hits_ending(any_text, "/kazakhstan-notes.txt"), 1);
    res = search(q, "type=entry&country=kazakhstan&tag_source=mapping");
    cr_assert_gt(json_object_get_int_member(res, "total"), 0,
                 "entries' tags are the mapping's");
    cr_assert_eq(get("/search?q=probation&tag_source=bogus", body), 400);
    cr_assert(strstr(body->str, "tag_source"), "%s", body->str);
}

/* Versions a query finds in both languages are one result: the first
 * ranked stays, the other is listed under it as "matched"; a Russian
 * query gets the Russian version listed first. */
Test(repository, search_folds_language_versions_into_one_result)
{
    g_autofree char *root = g_build_filename(tmp, "repo", NULL);
    g_autoptr(JsonParser) p = json_parser_new();
    g_autoptr(JsonParser) q = json_parser_new();
    JsonObject *res, *h = NULL, *t;
    JsonArray *hits, *tr;
    guint versions = 0;

    it_write_file(root, "Guides/guide-en.txt",
                  "Quokkaware guide\n\nThe quokkaware guide explains how "
                  "probation officers work with returnees.\n");
    it_write_file(root, "Guides/guide-ru.txt",
                  "Руководство quokkaware\n\nРуководство quokkaware объясняет, "
                  "как сотрудники пробации работают с вернувшимися.\n");
    it_write_file(root, "Guides/guide-kk.txt",
                  "Quokkaware nusqaulyq\n\nQuokkaware nusqaulyq.\n");
    reindex_repository();
    wait_hit(p, "q=quokkaware&type=document&lang=ru", "/guide-ru.txt");
    res = search(q, "q=quokkaware&type=document&limit=50");
    hits = json_object_get_array_member(res, "hits");
    for (guint i = 0; i < json_array_get_length(hits); i++) {
        JsonObject *o = json_array_get_object_element(hits, i);
        const char *url = json_object_get_string_member(o, "url");

        if (g_str_has_suffix(url, "/guide-en.txt")
            || g_str_has_suffix(url, "/guide-ru.txt")
            || g_str_has_suffix(url, "/guide-kk.txt")) {
            versions++;
            h = o;
        }
    }
    cr_assert_eq(versions, 1, "three versions, %u results", versions);
    tr = json_object_get_array_member(h, "translations");
    cr_assert_eq(json_array_get_length(tr), 2);
    for (guint i = 0; i < 2; i++)
        cr_assert(json_object_get_boolean_member_with_default(
            json_array_get_object_element(tr, i), "matched", FALSE));
    /* An English query: the English version first under another one. */
    if (!g_str_has_suffix(json_object_get_string_member(h, "url"),
                          "/guide-en.txt"))
        cr_assert_str_eq(json_object_get_string_member(
            json_array_get_object_element(tr, 0), "lang"), "en");
    /* A Russian query: the Russian version first under whichever hit
     * stands for the group, unless it is that hit. */
    {
        g_autoptr(JsonParser) r = json_parser_new();

        res = search(r, "q=%D1%80%D1%83%D0%BA%D0%BE%D0%B2%D0%BE%D0%B4%D1"
                        "%81%D1%82%D0%B2%D0%BE+OR+quokkaware&type=document"
                        "&limit=50");
        h = hit_ending(res, "/guide-en.txt");
        if (!h)
            h = hit_ending(res, "/guide-kk.txt");
        if (h) {
            t = json_array_get_object_element(
                json_object_get_array_member(h, "translations"), 0);
            cr_assert_str_eq(json_object_get_string_member(t, "lang"),
                             "ru");
        } else {
            cr_assert_not_null(hit_ending(res, "/guide-ru.txt"));
        }
    }
}
