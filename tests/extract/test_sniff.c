/* test_sniff.c -- media types from content, the hint only as a fallback. */
#include "extract-test.h"

#define SNIFF(s, hint) extract_sniff((const guint8 *)(s), sizeof(s) - 1, hint)

Test(sniff, pdf_labelled_html_is_pdf)
{
    cr_assert_str_eq(SNIFF("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "text/html"),
                     "application/pdf");
}

Test(sniff, pdf_after_leading_garbage)
{
    char buf[600];

    memset(buf, 'x', sizeof(buf));
    memcpy(buf + 500, "%PDF-1.4\n", 9);
    cr_assert_str_eq(extract_sniff((guint8 *)buf, sizeof(buf), NULL),
                     "application/pdf");
}

Test(sniff, html_labelled_pdf_is_html)
{
    cr_assert_str_eq(SNIFF("  <!DOCTYPE html><html><body>x", "application/pdf"),
                     "text/html");
}

Test(sniff, html_markers_case_insensitive_after_bom_and_comment)
{
    cr_assert_str_eq(SNIFF("\xef\xbb\xbf<!-- c -->\n<HTML lang=en>", NULL),
                     "text/html");
    cr_assert_str_eq(SNIFF("<head><title>t</title>", NULL), "text/html");
    cr_assert_str_eq(SNIFF("<body>text", NULL), "text/html");
    cr_assert_str_eq(SNIFF("<?xml version=\"1.0\"?>\n<html xmlns="
                           "\"http://www.w3.org/1999/xhtml\">", NULL),
                     "text/html");
}

Test(sniff, plain_xml_is_not_html)
{
    cr_assert_str_eq(SNIFF("<?xml version=\"1.0\"?><feed></feed>", NULL),
                     "text/plain");
}

Test(sniff, zip_is_unsupported)
{
    cr_assert_str_eq(SNIFF("PK\x03\x04\x14\x00\x06\x00", "application/pdf"),
                     "application/octet-stream");
}

Test(sniff, images_and_executables_are_unsupported)
{
    cr_assert_str_eq(SNIFF("\x89PNG\r\n\x1a\n\0\0", NULL),
                     "application/octet-stream");
    cr_assert_str_eq(SNIFF("\xff\xd8\xff\xe0", NULL),
                     "application/octet-stream");
    cr_assert_str_eq(SNIFF("GIF89a", NULL), "application/octet-stream");
    cr_assert_str_eq(SNIFF("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", NULL),
                     "application/octet-stream");
    cr_assert_str_eq(SNIFF("\x7f" "ELF\x02\x01", NULL),
                     "application/octet-stream");
}

Test(sniff, utf16_bom_is_text)
{
    cr_assert_str_eq(SNIFF("\xff\xfeH\0i\0", NULL), "text/plain");
}

Test(sniff, single_byte_cyrillic_is_text)
{
    cr_assert_str_eq(SNIFF("\xcf\xf0\xe8\xe2\xe5\xf2 \xec\xe8\xf0", NULL),
                     "text/plain");
}

Test(sniff, nul_bytes_are_binary)
{
    cr_assert_str_eq(SNIFF("abc\0def\0", "text/plain"),
                     "application/octet-stream");
}

Test(sniff, html_fragment_trusts_html_hint)
{
    cr_assert_str_eq(SNIFF("<p>Only a paragraph</p>", "text/html"),
                     "text/html");
    cr_assert_str_eq(SNIFF("<p>Only a paragraph</p>", NULL), "text/plain");
}

Test(sniff, empty_input_follows_hint)
{
    cr_assert_str_eq(extract_sniff((const guint8 *)"", 0, "application/pdf"),
                     "application/pdf");
    cr_assert_str_eq(extract_sniff((const guint8 *)"", 0, NULL),
                     "text/plain");
}

Test(sniff, zip_document_is_unsupported_error)
{
    et_doc_t *d = et_bytes("PK\x03\x04\x14\x00\x06\x00\x08\x00", 10,
                           "application/zip", NULL, NULL, NULL);

    et_assert_error(d, EXTRACT_ERROR_UNSUPPORTED);
    et_free(d);
}
