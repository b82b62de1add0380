/* test_pdf.c -- the PDF backend over mkpdf's fixtures and the hand-broken
 * files. */
#include "extract-test.h"

static et_doc_t *
pdf(const char *name)
{
    return et_file(et_pdf(name), "application/pdf", NULL);
}

static et_doc_t *
broken(const char *name)
{
    return et_file(et_fixture(name), "application/pdf", NULL);
}

Test(pdf, text_has_generated_words_in_order)
{
    et_doc_t *d = pdf("english.pdf");
    static const char *const words[] = {
        "Introduction", "Page one introduces the prevention of violent",
        "extremism in Central Asia", "Community engagement",
        "Page two describes community engagement in Kyrgyzstan",
        "Recommendations", "Page three lists the recommendations",
        "foreign terrorist fighters", NULL
    };

    et_assert_ok(d);
    cr_assert(et_in_order(d->text, words), "text: %s", d->text);
    et_free(d);
}

Test(pdf, one_result_page_per_pdf_page)
{
    et_doc_t *d = pdf("english.pdf");

    et_assert_ok(d);
    cr_assert_eq(d->r.n_pages, 3);
    cr_assert_eq(d->r.pages->len, 3);
    cr_assert(strstr(d->r.pages->pdata[1], "Page two"));
    cr_assert_null(strstr(d->r.pages->pdata[1], "Page one"));
    cr_assert_str_eq(d->r.media_type, "application/pdf");
    et_free(d);
}

Test(pdf, metadata_title_author_dates)
{
    et_doc_t *d = pdf("english.pdf");

    et_assert_ok(d);
    cr_assert_str_eq(d->r.title, "Preventing Violent Extremism in "
                     "Central Asia: A Handbook");
    cr_assert_str_eq(d->r.author, "UNRCCA");
    cr_assert(g_str_has_prefix(d->r.created, "2020-07-15T09:30:00"),
              "created %s", d->r.created);
    cr_assert(g_str_has_prefix(d->r.modified, "2020-08-01T12:00:00"),
              "modified %s", d->r.modified);
    et_free(d);
}

Test(pdf, first_heading_is_title_without_metadata)
{
    et_doc_t *d = pdf("heading.pdf");

    et_assert_ok(d);
    cr_assert_str_eq(d->r.title, "Annual Report on Prevention Programmes");
    cr_assert_null(d->r.author);
    et_free(d);
}

Test(pdf, paragraph_line_is_not_a_title)
{
    et_doc_t *d = pdf("two-column.pdf");

    et_assert_ok(d);
    cr_assert_null(d->r.title, "title %s", d->r.title);
    et_free(d);
}

Test(pdf, two_columns_read_column_by_column)
{
    et_doc_t *d = pdf("two-column.pdf");
    static const char *const words[] = {
        "Alpha column begins", "debate", "Alpha column ends here",
        "Omega column starts", "Khujand", "Omega column finishes", NULL
    };

    et_assert_ok(d);
    cr_assert(et_in_order(d->text, words), "text: %s", d->text);
    et_free(d);
}

/* @word stands in @text between white space or the text's ends. */
static gboolean
has_word(const char *text, const char *word)
{
    gsize len = strlen(word);

    for (const char *p = strstr(text, word); p; p = strstr(p + 1, word))
        if ((p == text || g_ascii_isspace(p[-1])) &&
            (!p[len] || g_ascii_isspace(p[len])))
            return TRUE;
    return FALSE;
}

Test(pdf, table_cells_close_together_are_separate_words)
{
    et_doc_t *d = pdf("table.pdf");
    static const char *const cells[] = {
        "U+02983", "lBrace", "white curly bracket", "U+02985", "lParen",
        "U+027E6", "lBrack", "white square bracket", "U+027EA", "lAngle",
        "double angle bracket", NULL
    };
    static const char *const words[] = {
        "U+02983", "lBrace", "white", "U+02985", "lParen", "parenthesis",
        "U+027E6", "lBrack", "bracket", "U+027EA", "lAngle", "double", NULL
    };

    et_assert_ok(d);
    cr_assert(et_in_order(d->text, cells), "text: %s", d->text);
    for (guint i = 0; words[i]; i++)
        cr_assert(has_word(d->text, words[i]), "no word %s in: %s",
                  words[i], d->text);
    et_free(d);
}

Test(pdf, hyphenated_words_joined_and_prefixes_kept)
{
    static const char *const words[] = {
        "countering violent", "counter-terrorism", "anti-corruption",
        "the region", "UN-led", NULL
    };
    et_doc_t *d = pdf("hyphenated.pdf");

    et_assert_ok(d);
    et_assert_contains(d->text, words);
    et_free(d);
}

Test(pdf, ligatures_normalised)
{
    static const char *const words[] = {
        "financial flows", "difficult", "Officials", "office", NULL
    };
    et_doc_t *d = pdf("ligatures.pdf");

    et_assert_ok(d);
    et_assert_contains(d->text, words);
    cr_assert_null(strstr(d->text, "\xef\xac"), "a ligature survived");
    et_free(d);
}

Test(pdf, russian_text_and_language)
{
    et_doc_t *d = pdf("russian.pdf");

    et_assert_ok(d);
    cr_assert(strstr(d->text,
        "насильственного экстремизма в "
        "Центральной"));
    cr_assert(strstr(d->text, "вооружённых конфликтов"));
    cr_assert_str_eq(d->r.lang, "ru");
    cr_assert_str_eq(d->r.title,
        "Предупреждение насильственного "
        "экстремизма");
    et_free(d);
}

Test(pdf, kazakh_language)
{
    et_doc_t *d = pdf("kazakh.pdf");

    et_assert_ok(d);
    cr_assert(strstr(d->text, "Қазақстан Республикасы"));
    cr_assert_str_eq(d->r.lang, "kk");
    et_free(d);
}

Test(pdf, english_language)
{
    et_doc_t *d = pdf("english.pdf");

    et_assert_ok(d);
    cr_assert_str_eq(d->r.lang, "en");
    et_free(d);
}

Test(pdf, page_limit_reads_first_pages_with_warning)
{
    extract_limits_t l;
    et_doc_t *d;

    extract_limits_init(&l);
    l.max_pages = 20;
    d = et_file(et_pdf("many-pages.pdf"), NULL, &l);
    et_assert_ok(d);
    cr_assert_eq(d->r.n_pages, 500);
    cr_assert_eq(d->r.pages->len, 20);
    cr_assert_str_eq(d->r.pages->pdata[19], "Page 20 of the long annex.");
    cr_assert(et_has(d->r.warnings, "page limit: read 20 of 500 pages"));
    et_free(d);
}

Test(pdf, all_pages_read_under_the_limit)
{
    et_doc_t *d = pdf("many-pages.pdf");

    et_assert_ok(d);
    cr_assert_eq(d->r.pages->len, 500);
    cr_assert_str_eq(d->r.pages->pdata[499], "Page 500 of the long annex.");
    cr_assert_eq(d->r.warnings->len, 0);
    et_free(d);
}

Test(pdf, image_only_is_success_with_warning)
{
    et_doc_t *d = pdf("image-only.pdf");

    et_assert_ok(d);
    cr_assert_eq(d->r.n_pages, 2);
    cr_assert_str_eq(d->text, "\n\n");         /* two empty pages */
    cr_assert(et_has(d->r.warnings, "no text layer: image-only PDF"));
    cr_assert_str_eq(d->r.lang, "");
    et_free(d);
}

/* Broken PDFs and the error each one is, by file. */
Test(pdf, broken_files_fail_with_their_error)
{
    static const struct {
        const char *file;
        extract_error_t error;
    } cases[] = {
        { "truncated.pdf", EXTRACT_ERROR_CORRUPT },
        { "zero-byte.pdf", EXTRACT_ERROR_CORRUPT },
        { "garbage-after-header.pdf", EXTRACT_ERROR_CORRUPT },
        { "encrypted.pdf", EXTRACT_ERROR_ENCRYPTED },
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        et_doc_t *d = broken(cases[i].file);

        cr_assert(!d->ok && d->error, "%s: no error", cases[i].file);
        cr_assert_eq(d->error->domain, EXTRACT_ERROR);
        cr_assert_eq(d->error->code, cases[i].error, "%s: %s",
                     cases[i].file, d->error->message);
        et_free(d);
    }
    /* A corrupt file's status is the "broken" of DESIGN.md. */
    cr_assert_str_eq(extract_error_status(EXTRACT_ERROR_CORRUPT), "broken");
}

Test(pdf, every_prefix_of_a_pdf_fails_cleanly_or_succeeds)
{
    g_autofree char *path = et_pdf("heading.pdf");
    g_autofree char *data = NULL;
    gsize len;

    cr_assert(g_file_get_contents(path, &data, &len, NULL));
    for (gsize cut = 0; cut < len; cut += len / 23 + 1) {
        et_doc_t *d = et_bytes(data, cut, "application/pdf", NULL, NULL,
                               NULL);
        if (!d->ok)
            cr_assert_eq(d->error->domain, EXTRACT_ERROR);
        et_free(d);
    }
}

Test(pdf, pdf_labelled_html_extracted_as_pdf)
{
    g_autofree char *path = et_pdf("english.pdf");
    g_autofree char *data = NULL;
    gsize len;
    et_doc_t *d;

    cr_assert(g_file_get_contents(path, &data, &len, NULL));
    d = et_bytes(data, len, "text/html", NULL, NULL, NULL);
    et_assert_ok(d);
    cr_assert_str_eq(d->r.media_type, "application/pdf");
    cr_assert(strstr(d->text, "Page one introduces"));
    et_free(d);
}
