/* test_links.c -- finding links in plain text and repairing the damage
 * the mapping's layout did to them; URL normalisation.
 */
#include "corpus-test.h"

/* Finds the links of @text and returns the one at @index. */
static corpus_link_t *
nth_link(GPtrArray *links, guint index)
{
    cr_assert_gt(links->len, index, "only %u links", links->len);
    return g_ptr_array_index(links, index);
}

Test(links, space_inside_path_is_repaired)
{
    g_autoptr(GPtrArray) links = corpus_links_find(
        "The Use of the Internet for Terrorist Purposes (2013). Available "
        "in Russian: https://www.unodc.org/documents/terrorism/"
        "Publications/Use_of_ Internet_for_Terrorist_Purposes/"
        "Use_of_the_internet_for_terrorist_purposes_Russian.pdf");
    corpus_link_t *l = nth_link(links, 0);

    cr_assert_eq(links->len, 1);
    cr_assert_str_eq(l->url, "https://www.unodc.org/documents/terrorism/"
                     "Publications/Use_of_Internet_for_Terrorist_Purposes/"
                     "Use_of_the_internet_for_terrorist_purposes_"
                     "Russian.pdf");
    cr_assert(strstr(l->written, "Use_of_ Internet"), "%s", l->written);
    cr_assert_eq(l->kind, CORPUS_LINK_HTTP);
    cr_assert_str_eq(l->host, "unodc.org");
}

Test(links, space_after_escaped_space_is_repaired)
{
    g_autoptr(GPtrArray) links = corpus_links_find(
        "see http://example.org/a%20 b/c.pdf now");

    cr_assert_str_eq(nth_link(links, 0)->url,
                     "http://example.org/a%20b/c.pdf");
}

Test(links, following_words_are_not_glued)
{
    g_autoptr(GPtrArray) a = corpus_links_find(
        "See http://example.org/ and then read on.");
    g_autoptr(GPtrArray) b = corpus_links_find(
        "At https://example.org/path_ the end");

    cr_assert_str_eq(nth_link(a, 0)->url, "http://example.org/");
    cr_assert_str_eq(nth_link(b, 0)->url, "https://example.org/path_");
}

Test(links, glued_angle_bracket_is_dropped)
{
    g_autoptr(GPtrArray) links = corpus_links_find(
        "on the share drive <https://drive.google.com/drive/folders/"
        "1LvH3EO--ZeWBv2bR1oQe5JswaHtJ1Nv4?usp=sharing>");
    corpus_link_t *l = nth_link(links, 0);

    cr_assert_str_eq(l->url, "https://drive.google.com/drive/folders/"
                     "1LvH3EO--ZeWBv2bR1oQe5JswaHtJ1Nv4?usp=sharing");
    cr_assert_str_eq(l->written, l->url);
    cr_assert_str_eq(l->host, "drive.google.com");
}

Test(links, trailing_punctuation_is_dropped)
{
    g_autoptr(GPtrArray) links = corpus_links_find(
        "course https://book.iuk.edu.kg. Then (www.counterextremismhub.org)"
        ". Also https://x.org/a_(b) and https://x.org/c), "
        "https://x.org/d; and https://x.org/e:");

    cr_assert_eq(links->len, 6);
    cr_assert_str_eq(nth_link(links, 0)->url, "https://book.iuk.edu.kg");
    cr_assert_str_eq(nth_link(links, 0)->written, "https://book.iuk.edu.kg");
    cr_assert_str_eq(nth_link(links, 1)->url,
                     "http://www.counterextremismhub.org");
    cr_assert_str_eq(nth_link(links, 2)->url, "https://x.org/a_(b)");
    cr_assert_str_eq(nth_link(links, 3)->url, "https://x.org/c");
    cr_assert_str_eq(nth_link(links, 4)->url, "https://x.org/d");
    cr_assert_str_eq(nth_link(links, 5)->url, "https://x.org/e");
}

Test(links, www_gets_http_and_keeps_written)
{
    g_autoptr(GPtrArray) links = corpus_links_find(
        "The Network's website www.capve.org was launched");
    corpus_link_t *l = nth_link(links, 0);

    cr_assert_eq(l->kind, CORPUS_LINK_WWW);
    cr_assert_str_eq(l->url, "http://www.capve.org");
    cr_assert_str_eq(l->written, "www.capve.org");
    cr_assert_str_eq(l->host, "capve.org");
}

Test(links, file_links_are_local_paths)
{
    g_autoptr(GPtrArray) links = corpus_links_find(
        "COMMUNITIES (2017.20) file:///D:/Recovery/Disk_C/Desktop/"
        "PB%20and%20PVE/ap-pve-UNW19290_BROCHURE_002_WEB-compressed.pdf");
    corpus_link_t *l = nth_link(links, 0);

    cr_assert_eq(l->kind, CORPUS_LINK_FILE);
    cr_assert_null(l->host);
    cr_assert(g_str_has_suffix(l->url, "WEB-compressed.pdf"));
}

Test(links, host_is_lower_case_without_www)
{
    g_autoptr(GPtrArray) links = corpus_links_find(
        "HTTPS://WWW.OSCE.ORG:443/files/A.pdf and "
        "http://user@Example.COM:8080/");

    cr_assert_str_eq(nth_link(links, 0)->host, "osce.org");
    cr_assert_str_eq(nth_link(links, 1)->host, "example.com");
}

Test(links, words_that_merely_contain_www_are_not_links)
{
    g_autoptr(GPtrArray) a = corpus_links_find("awww. nothing, http:// x");
    g_autoptr(GPtrArray) b = corpus_links_find("");
    g_autoptr(GPtrArray) c = corpus_links_find(NULL);
    g_autoptr(GPtrArray) d = corpus_links_find("bad \xff utf-8 www.x.org");

    cr_assert_eq(a->len, 0);
    cr_assert_eq(b->len, 0);
    cr_assert_eq(c->len, 0);
    cr_assert_eq(d->len, 0);
}

Test(links, normalize_for_identity)
{
    static const char *const cases[][2] = {
        { "HTTPS://WWW.UNODC.ORG:443/documents/A%2fb.PDF#page=2",
          "https://www.unodc.org/documents/A%2Fb.PDF" },
        { "http://Example.org:80", "http://example.org/" },
        { "http://example.org:8080/x?q=A", "http://example.org:8080/x?q=A" },
        { "www.capve.org/ru", "http://www.capve.org/ru" },
        { "https://x.org/Good%20practices%20on%20victims/R.pdf",
          "https://x.org/Good%20practices%20on%20victims/R.pdf" },
        { "file:///D:/Recovery/PB%20and%20PVE/a.pdf",
          "file:///D:/Recovery/PB%20and%20PVE/a.pdf" },
        { "https://golearn.unodc.org/lms/course/view.php?id=436",
          "https://golearn.unodc.org/lms/course/view.php?id=436" },
        { "http://User:Secret@Example.org/x", "http://example.org/x" },
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *got = corpus_url_normalize(cases[i][0]);

        cr_expect_str_eq(got, cases[i][1], "normalize(%s)", cases[i][0]);
    }
}

/* A password in a cited URL never leaves the parser, whichever '@' it
 * holds; an '@' after the authority is the path's, and stays. */
Test(links, userinfo_is_stripped)
{
    static const char *const cases[][2] = {
        { "http://user:secret@host.org/a.pdf", "http://host.org/a.pdf" },
        { "https://u:p@ss@host.org:8443/a?x=1", "https://host.org:8443/a?x=1" },
        { "http://host.org/people/@me", "http://host.org/people/@me" },
        { "http://host.org?mail=a@b.org", "http://host.org?mail=a@b.org" },
        { "mailto:a@b.org", "mailto:a@b.org" },
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *got = corpus_url_strip_userinfo(cases[i][0]);

        cr_expect_str_eq(got, cases[i][1], "strip(%s)", cases[i][0]);
    }
    {
        g_autoptr(GPtrArray) links = corpus_links_find(
            "See http://curator:hunter2@www.unodc.org/doc.pdf for it.");

        cr_assert_eq(links->len, 1);
        cr_expect_str_eq(((corpus_link_t *)g_ptr_array_index(links, 0))->url,
                         "http://www.unodc.org/doc.pdf");
    }
}
