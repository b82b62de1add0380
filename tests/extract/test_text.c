/* test_text.c -- plain text in every encoding the repository meets. */
#include "extract-test.h"

static const char ru_words[] =
    "Предупреждение насильственного "
    "экстремизма в Центральной Азии";

static et_doc_t *
text_file(const char *name)
{
    return et_file(et_fixture(name), NULL, NULL);
}

static void
assert_russian(const char *name, const char *charset)
{
    et_doc_t *d = text_file(name);

    et_assert_ok(d);
    cr_assert_str_eq(d->r.media_type, "text/plain");
    cr_assert_str_eq(d->r.charset, charset);
    cr_assert(strstr(d->text, ru_words), "%s: %s", name, d->text);
    cr_assert(strstr(d->text,
        "вооружённых конфликтов"), "%s", d->text);
    cr_assert_str_eq(d->r.lang, "ru");
    et_free(d);
}

Test(text, utf8)
{
    assert_russian("utf8.txt", "utf-8");
}

Test(text, utf8_bom_stripped)
{
    et_doc_t *d = text_file("utf8-bom.txt");

    et_assert_ok(d);
    cr_assert(g_str_has_prefix(d->text,
        "Предупреждение"), "%s", d->text);
    et_free(d);
    assert_russian("utf8-bom.txt", "utf-8");
}

Test(text, windows_1251_detected)
{
    assert_russian("cp1251.txt", "windows-1251");
}

Test(text, koi8_r_detected)
{
    assert_russian("koi8r.txt", "koi8-r");
}

Test(text, utf16le_with_bom)
{
    assert_russian("utf16le-bom.txt", "utf-16le");
}

Test(text, windows_1252_for_western_text)
{
    et_doc_t *d = text_file("latin1.txt");

    et_assert_ok(d);
    cr_assert_str_eq(d->r.charset, "windows-1252");
    cr_assert(strstr(d->text, "La coopération régionale"), "%s", d->text);
    cr_assert_str_eq(d->r.lang, "fr");
    et_free(d);
}

Test(text, invalid_utf8_kept_as_utf8_with_bad_bytes_replaced)
{
    et_doc_t *d = text_file("invalid-utf8.txt");

    et_assert_ok(d);
    cr_assert_str_eq(d->r.charset, "utf-8");
    cr_assert(g_utf8_validate(d->text, -1, NULL));
    cr_assert(strstr(d->text, "Региональное "
                     "сотрудничество — café"), "%s", d->text);
    cr_assert(strstr(d->text, "remains essential."), "%s", d->text);
    et_free(d);
}

Test(text, binary_is_unsupported)
{
    et_doc_t *d = text_file("binary.bin");

    et_assert_error(d, EXTRACT_ERROR_UNSUPPORTED);
    et_free(d);
}

Test(text, binary_labelled_text_is_unsupported)
{
    g_autofree char *path = et_fixture("binary.bin");
    et_doc_t *d = et_file(g_strdup(path), "text/plain", NULL);

    et_assert_error(d, EXTRACT_ERROR_UNSUPPORTED);
    et_free(d);
}

Test(text, passages_split_at_blank_lines)
{
    g_autoptr(GString) s = g_string_new(NULL);
    et_doc_t *d;

    for (int i = 0; i < 60; i++)
        g_string_append_printf(s, "Paragraph %d of a plain text report on "
                               "border management.\n\n", i);
    d = et_bytes(s->str, s->len, NULL, NULL, NULL, NULL);
    et_assert_ok(d);
    cr_assert_gt(d->r.pages->len, 1);
    cr_assert_eq(d->r.n_pages, 1);
    cr_assert(g_str_has_suffix(d->r.pages->pdata[0], "border management."));
    et_free(d);
}

Test(text, empty_text_is_empty_success)
{
    et_doc_t *d = et_bytes("", 0, "text/plain", NULL, NULL, NULL);

    et_assert_ok(d);
    cr_assert_eq(d->r.pages->len, 0);
    cr_assert_str_eq(d->r.lang, "");
    et_free(d);
}
