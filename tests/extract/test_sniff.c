/* test_sniff.c -- media types from content, the hint only as a fallback. */
#include "extract-test.h"

/* One case: @bytes (a literal; its length from sizeof, so NULs count)
 * with the hint @hint sniffs as @want. */
typedef struct {
    const char *why;
    const char *bytes;
    size_t len;
    const char *hint;
    const char *want;
} sniff_case_t;

#define CASE(why, s, hint, want) { why, s, sizeof(s) - 1, hint, want }

static const sniff_case_t cases[] = {
    CASE("pdf labelled html is pdf", "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
         "text/html", "application/pdf"),
    CASE("html labelled pdf is html", "  <!DOCTYPE html><html><body>x",
         "application/pdf", "text/html"),
    /* HTML markers are case-insensitive, after a BOM and a comment. */
    CASE("bom, comment, HTML", "\xef\xbb\xbf<!-- c -->\n<HTML lang=en>", NULL,
         "text/html"),
    CASE("head", "<head><title>t</title>", NULL, "text/html"),
    CASE("body", "<body>text", NULL, "text/html"),
    CASE("xhtml", "<?xml version=\"1.0\"?>\n<html xmlns="
         "\"http://www.w3.org/1999/xhtml\">", NULL, "text/html"),
    CASE("plain xml is not html", "<?xml version=\"1.0\"?><feed></feed>",
         NULL, "text/plain"),
    CASE("zip is unsupported", "PK\x03\x04\x14\x00\x06\x00",
         "application/pdf", "application/octet-stream"),
    /* Images and executables are unsupported. */
    CASE("png", "\x89PNG\r\n\x1a\n\0\0", NULL, "application/octet-stream"),
    CASE("jpeg", "\xff\xd8\xff\xe0", NULL, "application/octet-stream"),
    CASE("gif", "GIF89a", NULL, "application/octet-stream"),
    CASE("ole", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", NULL,
         "application/octet-stream"),
    CASE("elf", "\x7f" "ELF\x02\x01", NULL, "application/octet-stream"),
    CASE("utf-16 bom is text", "\xff\xfeH\0i\0", NULL, "text/plain"),
    CASE("single-byte cyrillic is text",
         "\xcf\xf0\xe8\xe2\xe5\xf2 \xec\xe8\xf0", NULL, "text/plain"),
    CASE("nul bytes are binary", "abc\0def\0", "text/plain",
         "application/octet-stream"),
    /* An HTML fragment trusts an HTML hint. */
    CASE("fragment, html hint", "<p>Only a paragraph</p>", "text/html",
         "text/html"),
    CASE("fragment, no hint", "<p>Only a paragraph</p>", NULL, "text/plain"),
    /* Empty input follows the hint. */
    CASE("empty, pdf hint", "", "application/pdf", "application/pdf"),
    CASE("empty, no hint", "", NULL, "text/plain"),
};

Test(sniff, cases)
{
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const sniff_case_t *c = &cases[i];

        cr_assert_str_eq(extract_sniff((const guint8 *)c->bytes, c->len,
                                       c->hint), c->want, "%s", c->why);
    }
}

Test(sniff, pdf_after_leading_garbage)
{
    char buf[600];

    memset(buf, 'x', sizeof(buf));
    memcpy(buf + 500, "%PDF-1.4\n", 9);
    cr_assert_str_eq(extract_sniff((guint8 *)buf, sizeof(buf), NULL),
                     "application/pdf");
}

Test(sniff, zip_document_is_unsupported_error)
{
    et_doc_t *d = et_bytes("PK\x03\x04\x14\x00\x06\x00\x08\x00", 10,
                           "application/zip", NULL, NULL, NULL);

    et_assert_error(d, EXTRACT_ERROR_UNSUPPORTED);
    et_free(d);
}
