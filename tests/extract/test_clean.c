/* test_clean.c -- the clean-up every backend's text goes through, the
 * passages, the error names and the limits. */
#include "extract-test.h"

static void
assert_clean(const char *raw, const char *want)
{
    g_autofree char *got = extract__text_clean(raw, -1);

    cr_assert_str_eq(got, want);
}

Test(clean, joins_word_hyphenated_at_line_end)
{
    assert_clean("for coun-\ntering extremism", "for countering extremism");
}

Test(clean, keeps_hyphen_after_known_prefix)
{
    assert_clean("counter-\nterrorism and anti-\ncorruption and self-\n"
                 "reliance",
                 "counter-terrorism and anti-corruption and self-reliance");
}

Test(clean, keeps_line_break_before_capital)
{
    assert_clean("Central-\nAsia", "Central-\nAsia");
}

Test(clean, keeps_hyphen_after_acronym)
{
    assert_clean("the UN-\nled mechanism", "the UN-led mechanism");
}

Test(clean, joins_russian_hyphenated_word)
{
    assert_clean("проти-\nводействие и социально-\n"
                 "экономический",
                 "противодействие и "
                 "социально-экономический");
}

Test(clean, soft_hyphen_removed_and_joins_lines)
{
    assert_clean("pre\xc2\xadven\xc2\xadtion and coun\xc2\xad\ntering",
                 "prevention and countering");
}

Test(clean, ligatures_folded)
{
    assert_clean("\xef\xac\x81nancial \xef\xac\x82ows o\xef\xac\x83\x63\x65",
                 "financial flows office");
}

Test(clean, fullwidth_folded_but_superscripts_kept)
{
    /* "ＵＮ" (full-width) -> "UN"; "extremism¹" keeps its superscript. */
    assert_clean("\xef\xbc\xb5\xef\xbc\xae extremism\xc2\xb9",
                 "UN extremism\xc2\xb9");
}

Test(clean, composes_to_nfc)
{
    /* "e" + U+0301 -> U+00E9. */
    assert_clean("e\xcc\x81t\x65\xcc\x81", "\xc3\xa9t\xc3\xa9");
}

Test(clean, control_characters_removed)
{
    assert_clean("a\x01\x02z\tb\x7f\xc2\x85" "c\fd\r\ne",
                 "az b\nc\nd\ne");
}

Test(clean, spaces_collapsed_and_lines_trimmed)
{
    assert_clean("  one   two \xc2\xa0 three  \n   four\n\n\n\nfive  ",
                 "one two three\nfour\n\nfive");
}

Test(clean, invalid_utf8_made_valid)
{
    g_autofree char *got = extract__text_clean("ab\xff\xfe" "cd\xc3", -1);

    cr_assert(g_utf8_validate(got, -1, NULL));
    cr_assert_str_eq(got, "ab cd");
}

Test(passages, grouped_at_blank_lines_up_to_size)
{
    g_autoptr(GString) text = g_string_new(NULL);
    g_autoptr(GPtrArray) pages = g_ptr_array_new_with_free_func(g_free);

    for (int i = 0; i < 40; i++)
        g_string_append_printf(text, "Paragraph %d has some words in it "
                               "to fill the passage up nicely.\n\n", i);
    extract__passages_split(text->str, text->len, pages);
    cr_assert_gt(pages->len, 1);
    for (guint i = 0; i < pages->len; i++)
        cr_assert_leq(strlen(pages->pdata[i]), EXTRACT__PASSAGE_BYTES);
    cr_assert(g_str_has_prefix(pages->pdata[0], "Paragraph 0 "));
}

Test(passages, long_paragraph_cut_at_spaces)
{
    g_autoptr(GString) text = g_string_new(NULL);
    g_autoptr(GPtrArray) pages = g_ptr_array_new_with_free_func(g_free);

    for (int i = 0; i < 2000; i++)
        g_string_append(text, "word ");
    extract__passages_split(text->str, text->len, pages);
    cr_assert_gt(pages->len, 2);
    for (guint i = 0; i < pages->len; i++) {
        const char *p = pages->pdata[i];
        cr_assert_leq(strlen(p), 2 * EXTRACT__PASSAGE_BYTES);
        cr_assert(!g_str_has_suffix(p, "wor"), "cut inside a word");
    }
}

Test(errors, kinds_and_statuses_from_the_list)
{
    cr_assert_str_eq(extract_error_kind(EXTRACT_ERROR_CORRUPT), "corrupt");
    cr_assert_str_eq(extract_error_status(EXTRACT_ERROR_CORRUPT), "broken");
    cr_assert_str_eq(extract_error_status(EXTRACT_ERROR_ENCRYPTED), "broken");
    cr_assert_str_eq(extract_error_status(EXTRACT_ERROR_UNSUPPORTED),
                     "unsupported");
    cr_assert_str_eq(extract_error_kind(EXTRACT_ERROR_TOO_LARGE),
                     "too-large");
    cr_assert_str_eq(extract_error_status(EXTRACT_ERROR_TOO_LARGE),
                     "too-large");
    cr_assert_str_eq(extract_error_kind(EXTRACT_ERROR_TIMEOUT), "timeout");
    cr_assert_str_eq(extract_error_status(EXTRACT_ERROR_N), "broken");
}

Test(limits, defaults)
{
    extract_limits_t l;

    extract_limits_init(&l);
    cr_assert_eq(l.max_bytes, (gsize)100 * 1024 * 1024);
    cr_assert_eq(l.max_pages, 2000);
    cr_assert_eq(l.max_text, (gsize)20 * 1024 * 1024);
    cr_assert_eq(l.timeout_ms, 60000);
    cr_assert_eq(l.memory_mb, 1024);
}

Test(limits, input_over_max_bytes_is_too_large)
{
    extract_limits_t l;
    et_doc_t *d;

    extract_limits_init(&l);
    l.max_bytes = 10;
    d = et_bytes("hello world, more than ten", 26, "text/plain", NULL, NULL,
                 &l);
    et_assert_error(d, EXTRACT_ERROR_TOO_LARGE);
    et_free(d);
}

Test(limits, text_over_max_text_truncated_with_warning)
{
    extract_limits_t l;
    g_autoptr(GString) s = g_string_new(NULL);
    et_doc_t *d;

    extract_limits_init(&l);
    l.max_text = 1001;
    for (int i = 0; i < 1000; i++)
        g_string_append(s, "жж ");             /* two-byte letters */
    d = et_bytes(s->str, s->len, "text/plain", NULL, NULL, &l);
    et_assert_ok(d);
    cr_assert_leq(strlen(d->text), 1001);
    cr_assert(g_utf8_validate(d->text, -1, NULL));
    cr_assert_eq(d->r.warnings->len, 1);
    cr_assert(g_str_has_prefix(d->r.warnings->pdata[0], "text truncated"));
    et_free(d);
}
