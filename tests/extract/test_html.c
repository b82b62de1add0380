/* test_html.c -- the HTML backend: charset, title, description, main text
 * without boilerplate, links, and hostile pages. */
#include "extract-test.h"

static et_doc_t *
html_file(const char *name, const char *charset, const char *url)
{
    g_autofree char *path = et_fixture(name);
    g_autofree char *data = NULL;
    gsize len;

    cr_assert(g_file_get_contents(path, &data, &len, NULL), "%s", path);
    return et_bytes(data, len, "text/html", charset, url, NULL);
}

static const char ru_sentence[] =
    "Предупреждение насильственного "
    "экстремизма в Центральной Азии";

Test(html, title_and_description)
{
    et_doc_t *d = html_file("boilerplate.html", NULL, NULL);

    et_assert_ok(d);
    cr_assert_str_eq(d->r.media_type, "text/html");
    cr_assert_str_eq(d->r.title, "Youth and Resilience | UNRCCA");
    cr_assert_str_eq(d->r.description,
                     "How youth programmes build resilience to violent "
                     "extremism.");
    cr_assert_str_eq(d->r.lang, "en");
    et_free(d);
}

Test(html, og_title_then_h1_when_no_title)
{
    static const char og[] =
        "<html><head><meta property=\"og:title\" content=\"From OG\">"
        "</head><body><h1>From H1</h1><p>text</p></body></html>";
    static const char h1[] =
        "<html><head></head><body><h1>From  H1</h1><p>text</p></body></html>";
    et_doc_t *d = et_bytes(og, sizeof(og) - 1, "text/html", NULL, NULL, NULL);

    et_assert_ok(d);
    cr_assert_str_eq(d->r.title, "From OG");
    et_free(d);
    d = et_bytes(h1, sizeof(h1) - 1, "text/html", NULL, NULL, NULL);
    et_assert_ok(d);
    cr_assert_str_eq(d->r.title, "From H1");
    et_free(d);
}

Test(html, boilerplate_removed_main_text_kept)
{
    static const char *const gone[] = {
        "scriptword", "stylesheetword", "Headerword", "Navword",
        "Breadcrumbword", "Cookieword", "Roleword", "Sidebarword",
        "Noscriptword", "Formword", "Asideword", "Footerword", NULL
    };
    static const char *const kept[] = {
        "Youth and Resilience", "Programmes for young people",
        "unemployed youth in rural districts",
        "Evaluation found lasting gains", NULL
    };
    et_doc_t *d = html_file("boilerplate.html", NULL, NULL);

    et_assert_ok(d);
    for (guint i = 0; gone[i]; i++)
        cr_assert_null(strstr(d->text, gone[i]), "%s in: %s", gone[i],
                       d->text);
    cr_assert(et_in_order(d->text, kept), "text: %s", d->text);
    et_free(d);
}

Test(html, blocks_become_separate_paragraphs)
{
    et_doc_t *d = html_file("boilerplate.html", NULL, NULL);

    et_assert_ok(d);
    cr_assert(strstr(d->text, "community leaders.\n\nThey reach"), "%s",
              d->text);
    et_free(d);
}

Test(html, broken_nesting_still_yields_text)
{
    static const char *const words[] = {
        "First paragraph with bold and italic", "Second paragraph",
        "cell one cell two", "Unclosed span and div",
        "Third paragraph & an entity \xc3\xa9t\xc3\xa9 \xe2\x80\x94 done",
        NULL
    };
    et_doc_t *d = html_file("broken-nesting.html", NULL, NULL);

    et_assert_ok(d);
    cr_assert(et_in_order(d->text, words), "text: %s", d->text);
    cr_assert_str_eq(d->r.title, "Broken nesting");
    et_free(d);
}

Test(html, links_resolved_against_base_http_only_distinct)
{
    static const char *const want[] = {
        "https://www.un.org/counterterrorism/reports/2020.pdf",
        "https://www.un.org/en/about",
        "https://www.un.org/cct/index.html?lang=ru",
        "https://unrcca.unmissions.org/",
        "https://example.org/x",
        "https://www.un.org/counterterrorism/reports/2021.pdf",
    };
    et_doc_t *d = html_file("links-base.html", NULL,
                            "http://mirror.example/page.html");

    et_assert_ok(d);
    cr_assert_eq(d->r.links->len, G_N_ELEMENTS(want));
    for (guint i = 0; i < G_N_ELEMENTS(want); i++)
        cr_assert_str_eq(d->r.links->pdata[i], want[i]);
    et_free(d);
}

Test(html, links_resolved_against_input_url_without_base)
{
    static const char page[] =
        "<html><body><a href=\"next.html\">n</a> <a href=\"/top\">t</a>"
        "</body></html>";
    et_doc_t *d = et_bytes(page, sizeof(page) - 1, "text/html", NULL,
                           "http://example.org/dir/page.html", NULL);

    et_assert_ok(d);
    cr_assert_eq(d->r.links->len, 2);
    cr_assert_str_eq(d->r.links->pdata[0], "http://example.org/dir/next.html");
    cr_assert_str_eq(d->r.links->pdata[1], "http://example.org/top");
    et_free(d);
}

Test(html, relative_links_dropped_without_any_base)
{
    static const char page[] =
        "<html><body><a href=\"next.html\">n</a>"
        "<a href=\"https://a.example/\">a</a></body></html>";
    et_doc_t *d = et_bytes(page, sizeof(page) - 1, "text/html", NULL, NULL,
                           NULL);

    et_assert_ok(d);
    cr_assert_eq(d->r.links->len, 1);
    cr_assert_str_eq(d->r.links->pdata[0], "https://a.example/");
    et_free(d);
}

/* The charset read for a file: its declaration when the bytes agree, what
 * the bytes are when they do not, and the HTTP header's over the page's
 * (@http).  Each file holds ru_sentence. */
Test(html, charset_from_declarations_and_bytes)
{
    static const char ru_title[] = "Профилактика экстремизма";
    static const struct {
        const char *file;
        const char *http;       /* Content-Type charset, or NULL */
        const char *charset;    /* the one read */
        const char *title;      /* NULL: not checked */
        const char *lang;       /* NULL: not checked */
    } cases[] = {
        { "cp1251.html", NULL, "windows-1251", ru_title, "ru" },
        { "declared-cp1251-is-utf8.html", NULL, "utf-8", ru_title, NULL },
        { "declared-utf8-is-cp1251.html", NULL, "windows-1251", NULL, NULL },
        { "declared-utf8-is-cp1251.html", "windows-1251", "windows-1251",
          NULL, NULL },
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        et_doc_t *d = html_file(cases[i].file, cases[i].http, NULL);

        et_assert_ok(d);
        cr_assert_str_eq(d->r.charset, cases[i].charset, "%s",
                         cases[i].file);
        cr_assert(strstr(d->text, ru_sentence), "%s: %s", cases[i].file,
                  d->text);
        if (cases[i].title)
            cr_assert_str_eq(d->r.title, cases[i].title, "%s",
                             cases[i].file);
        if (cases[i].lang)
            cr_assert_str_eq(d->r.lang, cases[i].lang, "%s", cases[i].file);
        et_free(d);
    }
}

Test(html, bom_wins_over_declarations)
{
    static const char page[] =
        "\xef\xbb\xbf<html><head><meta charset=\"koi8-r\"></head>"
        "<body><p>\xd0\x9c\xd0\xb8\xd1\x80</p></body></html>";
    et_doc_t *d = et_bytes(page, sizeof(page) - 1, "text/html",
                           "windows-1251", NULL, NULL);

    et_assert_ok(d);
    cr_assert_str_eq(d->r.charset, "utf-8");
    cr_assert_str_eq(d->text, "Мир");
    et_free(d);
}

Test(html, ten_megabytes_of_inline_script)
{
    g_autoptr(GString) page = g_string_new("<!DOCTYPE html><html><head>"
                                           "<title>Big</title><script>");
    et_doc_t *d;

    while (page->len < 10 * 1024 * 1024)
        g_string_append(page, "var hiddenscriptword = 'a < b && c > d';\n");
    g_string_append(page, "</script></head><body><p>Visible text after the "
                          "script.</p></body></html>");
    d = et_bytes(page->str, page->len, "text/html", NULL, NULL, NULL);
    et_assert_ok(d);
    cr_assert_str_eq(d->r.title, "Big");
    cr_assert_str_eq(d->text, "Visible text after the script.");
    et_free(d);
}

Test(html, deep_nesting_does_not_crash)
{
    g_autoptr(GString) page = g_string_new("<html><body>");
    et_doc_t *d;

    for (int i = 0; i < 20000; i++)
        g_string_append(page, "<div>");
    g_string_append(page, "deep text");
    d = et_bytes(page->str, page->len, "text/html", NULL, NULL, NULL);
    et_assert_ok(d);
    et_free(d);
}

Test(html, long_page_split_into_passages)
{
    g_autoptr(GString) page = g_string_new("<html><body>");
    et_doc_t *d;

    for (int i = 0; i < 100; i++)
        g_string_append_printf(page, "<p>Paragraph %d of a long page about "
                               "regional cooperation.</p>", i);
    g_string_append(page, "</body></html>");
    d = et_bytes(page->str, page->len, "text/html", NULL, NULL, NULL);
    et_assert_ok(d);
    cr_assert_gt(d->r.pages->len, 1);
    for (guint i = 0; i < d->r.pages->len; i++)
        cr_assert_leq(strlen(d->r.pages->pdata[i]), EXTRACT__PASSAGE_BYTES);
    et_free(d);
}
