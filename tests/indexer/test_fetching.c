/* test_fetching.c -- the indexer end to end against the fixture HTTP
 * server: a small mapping citing http://repo.example.org/ URLs, mirrored to
 * the server on 127.0.0.1; every status, the cache on a second run,
 * discovery of a document added to the repository page between runs, and
 * de-duplication of the same PDF at two URLs.
 */
#include <criterion/criterion.h>
#include <glib.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/wait.h>

#include "fixture-server.h"

static char *tmp;
static char *root;
static fx_server_t *srv;

static const char mapping[] =
    "E. THEMATIC AREAS: 2) COUNTERING TERRORISM\n"
    "\n"
    "Countering the Financing of Terrorism\t\t\n"
    "Publications\tUNODC\tHandbook on countering the financing of "
    "terrorism (2019). http://repo.example.org/docs/english.pdf\n"
    "Publications\tOSCE\tThe same handbook, mirrored by the OSCE (2019). "
    "http://repo.example.org/copy/english-copy.pdf\n"
    "Publications\tUNODC\tA report that was taken down. "
    "http://repo.example.org/fault/404/gone.pdf\n"
    "Publications\tUNODC\tA server that fails once. "
    "http://repo.example.org/fault/503-then-200/flaky.txt\n"
    "Publications\tCSTO\tA redirect loop. "
    "http://repo.example.org/fault/redirect-loop/a.pdf\n"
    "Publications\tCSTO\tA PDF labelled as a web page. "
    "http://repo.example.org/fault/pdf-as-html/russian.pdf\n"
    "Workshops\tUNRCCA\tDocuments are shared on the repository page "
    "http://repo.example.org/repository/index.html\n";

static int
run(char **err_out, const char *const *argv)
{
    g_autoptr(GError) error = NULL;
    char *err = NULL;
    int status = 0;

    cr_assert(g_spawn_sync(NULL, (char **)argv, NULL, 0, NULL, NULL, NULL,
                           &err, &status, &error), "%s",
              error ? error->message : "");
    if (err_out)
        *err_out = err;
    else
        g_free(err);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
write_file(const char *rel, const char *data, gssize len)
{
    g_autofree char *path = g_build_filename(root, rel, NULL);
    g_autofree char *dir = g_path_get_dirname(path);

    cr_assert_eq(g_mkdir_with_parents(dir, 0755), 0);
    cr_assert(g_file_set_contents(path, data, len, NULL));
}

static void
copy_pdf(const char *pdfdir, const char *name, const char *rel)
{
    g_autofree char *src = g_build_filename(pdfdir, name, NULL);
    g_autofree char *bytes = NULL;
    gsize len = 0;

    cr_assert(g_file_get_contents(src, &bytes, &len, NULL));
    write_file(rel, bytes, len);
}

static void
setup(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *pdfdir = NULL, *err = NULL;

    tmp = g_dir_make_tmp("ctmap-fetching-XXXXXX", NULL);
    root = g_build_filename(tmp, "www", NULL);
    pdfdir = g_build_filename(tmp, "pdf", NULL);
    {
        const char *argv[] = { CTMAP_MKPDF, pdfdir, NULL };

        cr_assert_eq(run(&err, argv), 0, "mkpdf: %s", err);
    }
    copy_pdf(pdfdir, "english.pdf", "docs/english.pdf");
    copy_pdf(pdfdir, "english.pdf", "copy/english-copy.pdf");
    copy_pdf(pdfdir, "kazakh.pdf", "repository/kazakh.pdf");
    copy_pdf(pdfdir, "russian.pdf", "russian.pdf");
    copy_pdf(pdfdir, "heading.pdf", "repository/annual-report.pdf");
    write_file("flaky.txt", "Flaky server notes on border security.\n", -1);
    write_file("repository/index.html",
               "<html><head><title>UNRCCA counter-terrorism documents"
               "</title></head><body><ul>"
               "<li><a href=\"kazakh.pdf\">Kazakh handbook</a></li>"
               "<li><a href=\"https://elsewhere.example.com/x.pdf\">"
               "Another site</a></li>"
               "</ul></body></html>", -1);
    write_file("mapping.txt", mapping, -1);
    srv = fx_server_start(root, &error);
    cr_assert_not_null(srv, "%s", error ? error->message : "");
}

static void
teardown(void)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmp);

    fx_server_stop(srv);
    cr_assert_eq(system(cmd), 0);
    g_free(root);
    g_free(tmp);
}

TestSuite(fetching, .init = setup, .fini = teardown, .timeout = 120);

/* Runs the indexer on mapping.txt with the mirror; returns the report. */
static JsonParser *
index_once(void)
{
    g_autofree char *data = g_build_filename(tmp, "var", NULL);
    g_autofree char *map = g_build_filename(root, "mapping.txt", NULL);
    g_autofree char *report = g_build_filename(data, "report.json", NULL);
    g_autofree char *base = fx_server_url(srv, "/");
    g_autofree char *mirror = g_strconcat("http://repo.example.org/=", base,
                                          NULL);
    g_autofree char *err = NULL;
    const char *argv[] = { CTMAP_INDEXER, "--quiet", "--data-dir", data,
                           "--mapping", map, "--mirror", mirror,
                           "--follow", "1", NULL };
    JsonParser *parser = json_parser_new();

    cr_assert_eq(run(&err, argv), 0, "indexer: %s", err);
    cr_assert(json_parser_load_from_file(parser, report, NULL));
    return parser;
}

static JsonObject *
source_with_url(JsonParser *parser, const char *part)
{
    JsonObject *root_obj = json_node_get_object(json_parser_get_root(parser));
    JsonArray *sources = json_object_get_array_member(root_obj, "sources");

    for (guint i = 0; i < json_array_get_length(sources); i++) {
        JsonObject *s = json_array_get_object_element(sources, i);
        JsonArray *urls;

        if (!json_object_has_member(s, "urls"))
            continue;
        urls = json_object_get_array_member(s, "urls");
        for (guint u = 0; u < json_array_get_length(urls); u++)
            if (strstr(json_array_get_string_element(urls, u), part))
                return s;
    }
    return NULL;
}

static void
assert_status(JsonParser *p, const char *part, const char *status,
              const char *reason_part)
{
    JsonObject *s = source_with_url(p, part);
    const char *reason;

    cr_assert_not_null(s, "no source for %s", part);
    cr_assert_str_eq(json_object_get_string_member(s, "status"), status,
                     "%s: %s (%s)", part,
                     json_object_get_string_member(s, "status"),
                     json_object_get_string_member_with_default(
                         s, "reason", ""));
    if (!reason_part)
        return;
    reason = json_object_get_string_member_with_default(s, "reason", NULL);
    cr_assert(reason && strstr(reason, reason_part), "%s: reason '%s'",
              part, reason ? reason : "(null)");
}

Test(fetching, every_cited_url_gets_a_status_and_reason)
{
    g_autoptr(JsonParser) p = index_once();

    assert_status(p, "docs/english.pdf", "indexed", NULL);
    assert_status(p, "fault/404/gone.pdf", "unreachable", "404");
    assert_status(p, "fault/503-then-200/flaky.txt", "indexed", NULL);
    assert_status(p, "fault/redirect-loop/a.pdf", "unreachable",
                  "redirect loop");
    assert_status(p, "fault/pdf-as-html/russian.pdf", "indexed", NULL);
    /* The original URL stays the document's URL, not the mirror's. */
    cr_assert_not_null(source_with_url(p, "http://repo.example.org/docs/"));
    cr_assert_eq(fx_server_hits(srv, "/fault/404/gone.pdf"), 1,
                 "4xx is never retried");
    cr_assert_eq(fx_server_hits(srv, "/fault/503-then-200/flaky.txt"), 2,
                 "a 5xx is retried");
}

Test(fetching, the_same_pdf_at_two_urls_is_one_document)
{
    g_autoptr(JsonParser) p = index_once();
    JsonObject *a = source_with_url(p, "docs/english.pdf");
    JsonObject *b = source_with_url(p, "copy/english-copy.pdf");

    cr_assert_not_null(a);
    cr_assert_eq(a, b, "two records for the same bytes");
    cr_assert_eq(json_array_get_length(
        json_object_get_array_member(a, "cited_by")), 2);
}

Test(fetching, the_repository_page_is_followed_on_the_same_site_only)
{
    g_autoptr(JsonParser) p = index_once();
    JsonObject *k = source_with_url(p, "repository/kazakh.pdf");

    cr_assert_not_null(k, "the PDF linked from the page was not found");
    cr_assert_str_eq(json_object_get_string_member(k, "status"), "indexed");
    cr_assert_null(source_with_url(p, "elsewhere.example.com"),
                   "a link to another site was followed");
}

Test(fetching, second_run_uses_conditional_requests_and_finds_new_pdf)
{
    g_autoptr(JsonParser) first = index_once();
    g_autoptr(JsonParser) second = NULL;
    JsonObject *summary;
    guint hits = fx_server_hits(srv, "/docs/english.pdf");
    g_autofree char *inm = NULL;

    cr_assert_null(source_with_url(first, "annual-report.pdf"));
    /* The curator adds a PDF to the repository page between runs. */
    write_file("repository/index.html",
               "<html><head><title>UNRCCA counter-terrorism documents"
               "</title></head><body><ul>"
               "<li><a href=\"kazakh.pdf\">Kazakh handbook</a></li>"
               "<li><a href=\"/repository/annual-report.pdf\">Annual "
               "report</a></li></ul></body></html>", -1);
    second = index_once();
    inm = fx_server_last_header(srv, "/docs/english.pdf", "If-None-Match");
    cr_assert_not_null(inm, "the second run sent no conditional request");
    cr_assert_eq(fx_server_hits(srv, "/docs/english.pdf"), hits + 1);
    assert_status(second, "docs/english.pdf", "unchanged", NULL);
    assert_status(second, "repository/annual-report.pdf", "indexed", NULL);
    summary = json_object_get_object_member(
        json_node_get_object(json_parser_get_root(second)), "summary");
    cr_assert_eq(json_object_get_int_member(summary, "deleted"), 0);
}

/* ---------------------------------------------------------------- Real */

/* The embedded mapping itself, its real URLs mirrored to the server: the
 * UN sites become folders on it.  Two of the cited PDFs are there, the
 * repository page links a third, and everything else is missing. */
static JsonParser *
index_embedded(void)
{
    g_autofree char *data = g_build_filename(tmp, "var-real", NULL);
    g_autofree char *report = g_build_filename(data, "report.json", NULL);
    g_autofree char *base = fx_server_url(srv, "/");
    g_autofree char *m1 = g_strconcat("http://osce-academy.net/=", base,
                                      "osce-academy/", NULL);
    g_autofree char *m2 = g_strconcat("https://www.unodc.org/=", base,
                                      "unodc/", NULL);
    g_autofree char *m3 = g_strconcat("https://unrcca.unmissions.org/=",
                                      base, "unrcca/", NULL);
    g_autofree char *err = NULL;
    const char *argv[] = { CTMAP_INDEXER, "--quiet", "--data-dir", data,
                           "--mirror", m1, "--mirror", m2, "--mirror", m3,
                           NULL };
    JsonParser *parser = json_parser_new();

    cr_assert_eq(run(&err, argv), 0, "indexer: %s", err);
    cr_assert(json_parser_load_from_file(parser, report, NULL));
    return parser;
}

Test(fetching, the_mappings_real_urls_through_mirrors)
{
    g_autofree char *pdfdir = g_build_filename(tmp, "pdf", NULL);
    g_autoptr(JsonParser) p = NULL;
    JsonObject *found;

    copy_pdf(pdfdir, "english.pdf",
             "osce-academy/upload/file/policy_brief_56_final.pdf");
    copy_pdf(pdfdir, "russian.pdf", "unodc/documents/terrorism/"
             "Publications/GENDER/19-01530_R_ebook.pdf");
    copy_pdf(pdfdir, "kazakh.pdf", "unrcca/files/new-handbook.pdf");
    write_file("unrcca/counter-terrorism",
               "<html><head><title>Counter-terrorism | UNRCCA</title>"
               "</head><body><a href=\"/files/new-handbook.pdf\">New "
               "handbook</a></body></html>", -1);
    p = index_embedded();

    assert_status(p, "policy_brief_56_final.pdf", "indexed", NULL);
    assert_status(p, "19-01530_R_ebook.pdf", "indexed", NULL);
    assert_status(p, "policy_brief_54_final.pdf", "unreachable", "HTTP 404");
    assert_status(p, "Module_HR_and_CJ_responses_to_terrorism_ebook.pdf",
                  "unreachable", "HTTP 404");
    /* Not mirrored, and there is no network here. */
    assert_status(p, "444340_0.pdf", "unreachable", "DNS");
    /* The mapping's file:///D:/ links stay someone's disk. */
    assert_status(p, "file:///D:/", "local-path", NULL);
    found = source_with_url(p, "unrcca.unmissions.org/files/new-handbook");
    cr_assert_not_null(found, "the repository page was not followed");
    cr_assert_str_eq(json_object_get_string_member(found, "status"),
                     "indexed");
}
