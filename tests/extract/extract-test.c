/* extract-test.c -- the helpers of extract-test.h. */
#include "extract-test.h"

char *
et_pdf(const char *name)
{
    char *path = g_build_filename(CTMAP_PDF_DIR, name, NULL);
    const char *argv[] = { CTMAP_MKPDF, CTMAP_PDF_DIR, NULL };
    int status = 0;

    if (g_file_test(path, G_FILE_TEST_EXISTS))
        return path;
    cr_assert(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL,
                           NULL, NULL, NULL, &status, NULL),
              "cannot run %s", CTMAP_MKPDF);
    cr_assert(g_spawn_check_wait_status(status, NULL), "mkpdf failed");
    cr_assert(g_file_test(path, G_FILE_TEST_EXISTS), "mkpdf made no %s",
              name);
    return path;
}

char *
et_fixture(const char *name)
{
    return g_build_filename(CTMAP_TEST_DATA, "extract", name, NULL);
}

et_doc_t *
et_bytes(const void *data, gsize len, const char *media_type,
         const char *charset, const char *url,
         const extract_limits_t *limits)
{
    et_doc_t *d = g_new0(et_doc_t, 1);
    extract_input_t in = { 0 };

    d->bytes = g_bytes_new(data, len);
    in.data = g_bytes_get_data(d->bytes, &in.len);
    in.media_type = media_type;
    in.charset = charset;
    in.url = url;
    d->ok = extract_document(&in, limits, &d->r, &d->error);
    if (d->ok)
        d->text = extract_result_text(&d->r);
    return d;
}

et_doc_t *
et_file(char *path, const char *media_type, const extract_limits_t *limits)
{
    g_autofree char *data = NULL;
    gsize len = 0;
    g_autoptr(GError) error = NULL;
    et_doc_t *d;

    cr_assert(g_file_get_contents(path, &data, &len, &error), "%s: %s", path,
              error ? error->message : "?");
    d = et_bytes(data, len, media_type, NULL, NULL, limits);
    g_free(path);
    return d;
}

void
et_free(et_doc_t *d)
{
    if (!d)
        return;
    if (d->ok)
        extract_result_clear(&d->r);
    g_clear_error(&d->error);
    g_free(d->text);
    g_bytes_unref(d->bytes);
    g_free(d);
}

gboolean
et_in_order(const char *text, const char *const *words)
{
    const char *p = text;

    for (guint i = 0; words[i]; i++) {
        const char *hit = strstr(p, words[i]);
        if (!hit)
            return FALSE;
        p = hit + strlen(words[i]);
    }
    return TRUE;
}

void
et_assert_contains(const char *text, const char *const *words)
{
    for (guint i = 0; words[i]; i++)
        cr_assert(strstr(text, words[i]), "no %s in: %s", words[i], text);
}

gboolean
et_has(const GPtrArray *list, const char *s)
{
    for (guint i = 0; list && i < list->len; i++)
        if (strcmp(list->pdata[i], s) == 0)
            return TRUE;
    return FALSE;
}
