/* test_ocr.c -- OCR of scanned PDF pages through the real Tesseract, in
 * process and through the worker pool: mkpdf draws known English and
 * Russian text into 300-dpi images and wraps them into image-only PDFs,
 * and the words must come back out. */
#include <dirent.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "extract-test.h"

static et_doc_t *
scan(const char *name, const extract_limits_t *limits)
{
    return et_file(et_pdf(name), "application/pdf", limits);
}

static void
assert_words(const char *text, const char *const *words)
{
    for (guint i = 0; words[i]; i++)
        cr_assert(strstr(text, words[i]), "no '%s' in OCR text: %s",
                  words[i], text);
}

static const extract_ocr_page_t *
ocr_at(const et_doc_t *d, guint i)
{
    return &g_array_index(d->r.ocr, extract_ocr_page_t, i);
}

Test(ocr, english_scan_words_come_back)
{
    static const char *const words[] = {
        "Introduction", "practitioners", "Kyrgyzstan", "Tajikistan",
        "Recommendations", "reintegration", "foreign terrorist fighters",
        NULL
    };
    et_doc_t *d = scan("scan-english.pdf", NULL);

    et_assert_ok(d);
    assert_words(d->text, words);
    cr_assert_eq(d->r.ocr->len, 3);
    for (guint i = 0; i < 3; i++) {
        cr_assert_eq(ocr_at(d, i)->page, i + 1);
        cr_assert_geq(ocr_at(d, i)->confidence, 80);
        cr_assert_not(ocr_at(d, i)->cached);
    }
    cr_assert(strstr(d->r.pages->pdata[1], "Community engagement"));
    cr_assert_str_eq(d->r.lang, "en");
    cr_assert_not(et_has(d->r.warnings, "no text layer: image-only PDF"));
    et_free(d);
}

Test(ocr, russian_scan_words_and_language)
{
    static const char *const words[] = {
        "Предупреждение", "насильственного", "экстремизма",
        "Кыргызстане", "реинтеграции", "медленно", NULL
    };
    et_doc_t *d = scan("scan-russian.pdf", NULL);

    et_assert_ok(d);
    assert_words(d->text, words);
    cr_assert_eq(d->r.ocr->len, 1);
    cr_assert_str_eq(d->r.lang, "ru");
    et_free(d);
}

/* Only the page without a text layer is recognised; the others keep
 * poppler's text. */
Test(ocr, mixed_document_ocrs_the_scan_only)
{
    et_doc_t *d = scan("scan-mixed.pdf", NULL);

    et_assert_ok(d);
    cr_assert_eq(d->r.pages->len, 3);
    cr_assert_eq(d->r.ocr->len, 1);
    cr_assert_eq(ocr_at(d, 0)->page, 2);
    cr_assert(strstr(d->r.pages->pdata[0], "regional cooperation"));
    cr_assert(strstr(d->r.pages->pdata[1], "Таджикистане"), "page 2: %s",
              (char *)d->r.pages->pdata[1]);
    cr_assert(strstr(d->r.pages->pdata[2], "the annex"));
    et_free(d);
}

Test(ocr, off_leaves_the_scan_empty)
{
    extract_limits_t limits;
    et_doc_t *d;

    extract_limits_init(&limits);
    limits.ocr = EXTRACT_OCR_OFF;
    d = scan("scan-english.pdf", &limits);
    et_assert_ok(d);
    cr_assert_eq(d->r.ocr->len, 0);
    cr_assert_null(strstr(d->text, "Introduction"));
    cr_assert(et_has(d->r.warnings, "no text layer: image-only PDF"));
    et_free(d);
}

/* force recognises pages that have a text layer too. */
Test(ocr, force_recognises_text_pages)
{
    extract_limits_t limits;
    et_doc_t *d;

    extract_limits_init(&limits);
    limits.ocr = EXTRACT_OCR_FORCE;
    d = et_file(et_pdf("heading.pdf"), "application/pdf", &limits);
    et_assert_ok(d);
    cr_assert_eq(d->r.ocr->len, 1);
    cr_assert(strstr(d->text, "Annual Report on Prevention Programmes"),
              "text: %s", d->text);
    et_free(d);
}

Test(ocr, mode_names_parse)
{
    extract_ocr_mode_t m = EXTRACT_OCR_AUTO;
    g_autoptr(GError) error = NULL;

    cr_assert(extract_ocr_mode_parse("force", &m, NULL));
    cr_assert_eq(m, EXTRACT_OCR_FORCE);
    cr_assert_str_eq(extract_ocr_mode_name(EXTRACT_OCR_OFF), "off");
    cr_assert_not(extract_ocr_mode_parse("sometimes", &m, &error));
    cr_assert(strstr(error->message, "auto, off or force"));
}

/* ---------------------------------------------------------------- Cache */

static guint
count_files(const char *dir)
{
    g_autoptr(GDir) top = g_dir_open(dir, 0, NULL);
    const char *name;
    guint n = 0;

    for (name = top ? g_dir_read_name(top) : NULL; name;
         name = g_dir_read_name(top)) {
        g_autofree char *sub = g_build_filename(dir, name, NULL);
        g_autoptr(GDir) d = g_dir_open(sub, 0, NULL);

        while (d && g_dir_read_name(d))
            n++;
    }
    return n;
}

/* The first run stores one answer per page; the second reads them back.
 * The stored answer is then altered by hand, and the third run must
 * return the altered text, which proves it came from the cache and was
 * not recognised again. */
Test(ocr, cache_by_page_image)
{
    g_autofree char *dir = g_dir_make_tmp("ocr-cache-XXXXXX", NULL);
    extract_limits_t limits;
    et_doc_t *d;
    g_autoptr(GDir) top = NULL;
    g_autofree char *sub = NULL, *file = NULL;
    const char *name;

    extract_limits_init(&limits);
    limits.ocr_cache = dir;
    d = scan("scan-russian.pdf", &limits);
    et_assert_ok(d);
    cr_assert_not(ocr_at(d, 0)->cached);
    et_free(d);
    cr_assert_eq(count_files(dir), 1);

    d = scan("scan-russian.pdf", &limits);
    et_assert_ok(d);
    cr_assert(ocr_at(d, 0)->cached);
    cr_assert(strstr(d->text, "экстремизма"));
    et_free(d);

    top = g_dir_open(dir, 0, NULL);
    name = g_dir_read_name(top);
    sub = g_build_filename(dir, name, NULL);
    {
        g_autoptr(GDir) s = g_dir_open(sub, 0, NULL);
        file = g_build_filename(sub, g_dir_read_name(s), NULL);
    }
    cr_assert(g_file_set_contents(file, "{\"text\":\"cachedmarker\","
                                  "\"confidence\":77}", -1, NULL));
    d = scan("scan-russian.pdf", &limits);
    et_assert_ok(d);
    cr_assert(strstr(d->text, "cachedmarker"), "text: %s", d->text);
    cr_assert_eq(ocr_at(d, 0)->confidence, 77);
    et_free(d);

    g_unlink(file);
    g_rmdir(sub);
    g_rmdir(dir);
}

/* ---------------------------------------------------------------- Limits */

/* Scans @file with the per-page and the document time limits set to
 * @page_ms and @timeout_ms (0: the default); asserts that the document
 * still succeeds, without OCR text.  The caller frees the result. */
static et_doc_t *
scan_out_of_time(const char *file, guint page_ms, guint timeout_ms)
{
    extract_limits_t limits;
    et_doc_t *d;

    extract_limits_init(&limits);
    if (page_ms)
        limits.ocr_page_ms = page_ms;
    if (timeout_ms)
        limits.timeout_ms = timeout_ms;
    d = scan(file, &limits);
    et_assert_ok(d);
    cr_assert_eq(d->r.ocr->len, 0);
    return d;
}

/* A page that takes longer than the per-page limit keeps no OCR text and
 * says why; the document is still a success. */
Test(ocr, page_time_limit_is_a_page_warning)
{
    et_doc_t *d = scan_out_of_time("scan-russian.pdf", 1, 0);

    cr_assert(d->r.warnings->len >= 1);
    cr_assert(g_str_has_prefix(d->r.warnings->pdata[0],
                               "ocr: page 1: OCR took longer than"),
              "warning: %s", (char *)d->r.warnings->pdata[0]);
    et_free(d);
}

/* With the document's time nearly spent, OCR stops and says from which
 * page on, rather than run into the pool's kill. */
Test(ocr, document_time_limit_stops_ocr)
{
    et_doc_t *d = scan_out_of_time("scan-english.pdf", 0, 1);

    cr_assert(et_has(d->r.warnings,
                     "ocr: time limit: pages from 1 on not recognised"));
    et_free(d);
}

/* 14400 pt a side is 3.6 gigapixels at 300 dpi: refused with a reason. */
Test(ocr, huge_page_is_refused_with_a_reason)
{
    et_doc_t *d = scan("scan-huge.pdf", NULL);

    et_assert_ok(d);
    cr_assert_eq(d->r.ocr->len, 0);
    cr_assert(et_has(d->r.warnings, "ocr: page 1: page of 14400 x 14400 pt "
                                    "is too large to recognise"));
    et_free(d);
}

/* The scan's image stream overwritten with junk: poppler draws nothing
 * (or what it can), OCR finds nothing, and the document is an image-only
 * PDF, not a crash. */
Test(ocr, corrupt_image_stream_is_survived)
{
    g_autofree char *path = et_pdf("scan-russian.pdf");
    g_autofree char *data = NULL;
    gsize len = 0;
    char *stream;
    et_doc_t *d;

    cr_assert(g_file_get_contents(path, &data, &len, NULL));
    /* memmem, not g_strstr_len: the file has NUL bytes before it. */
    stream = memmem(data, len, "/Subtype /Image", 15);
    cr_assert_not_null(stream);
    stream = memmem(stream, len - (gsize)(stream - data), "stream\n", 7);
    cr_assert_not_null(stream);
    for (gsize i = 7; i < 4000 && stream + i < data + len; i++)
        stream[i] = (char)(i * 37);
    d = et_bytes(data, len, "application/pdf", NULL, NULL, NULL);
    et_assert_ok(d);
    cr_assert_null(strstr(d->text, "экстремизма"));
    et_free(d);
}

/* ---------------------------------------------------------------- Pool */

typedef struct {
    extract_result_t r;
    GError *error;
    gboolean done;
} got_t;

static void
on_done(guint index, extract_result_t *result, const GError *error,
        gpointer rock)
{
    got_t *g = rock;

    (void)index;
    g->done = TRUE;
    if (error) {
        g->error = g_error_copy(error);
        return;
    }
    g->r = *result;
    extract_result_init(result);
}

/* Whether a child of this process has OMP_THREAD_LIMIT=1 in its
 * environment, from /proc. */
static gboolean
child_has_thread_limit(void)
{
    g_autoptr(GDir) proc = g_dir_open("/proc", 0, NULL);
    const char *name;
    gboolean found = FALSE;

    for (name = proc ? g_dir_read_name(proc) : NULL; name && !found;
         name = g_dir_read_name(proc)) {
        g_autofree char *stat = g_strdup_printf("/proc/%s/stat", name);
        g_autofree char *env = g_strdup_printf("/proc/%s/environ", name);
        g_autofree char *s = NULL, *e = NULL;
        gsize elen = 0;
        const char *paren;
        int ppid = 0;

        if (!g_ascii_isdigit(name[0]) ||
            !g_file_get_contents(stat, &s, NULL, NULL))
            continue;
        paren = strrchr(s, ')');
        if (!paren || sscanf(paren + 2, "%*c %d", &ppid) != 1 ||
            ppid != (int)getpid())
            continue;
        if (!g_file_get_contents(env, &e, &elen, NULL))
            continue;
        for (gsize i = 0; i < elen; i += strlen(e + i) + 1)
            if (strcmp(e + i, "OMP_THREAD_LIMIT=1") == 0)
                found = TRUE;
    }
    return found;
}

static void
pool_extract(const char *name, got_t *g)
{
    g_autofree char *path = et_pdf(name);
    g_autofree char *data = NULL;
    extract_input_t in = { 0 };
    const extract_input_t *inputs[1] = { &in };
    g_autoptr(extract_pool_t) pool = NULL;
    g_autoptr(GError) error = NULL;
    gsize len = 0;

    cr_assert(g_file_get_contents(path, &data, &len, NULL));
    in.data = (const guint8 *)data;
    in.len = len;
    in.media_type = "application/pdf";
    pool = extract_pool_new(1, NULL, CTMAP_EXTRACT_WORKER_PATH, &error);
    cr_assert_not_null(pool, "pool: %s", error ? error->message : "");
    cr_assert(child_has_thread_limit(),
              "the worker has no OMP_THREAD_LIMIT=1");
    cr_assert(extract_pool_run(pool, inputs, 1, on_done, g, &error));
    cr_assert(g->done);
}

Test(ocr, pool_workers_ocr_with_one_thread, .timeout = 120)
{
    got_t g = { 0 };
    g_autofree char *text = NULL;

    pool_extract("scan-mixed.pdf", &g);
    cr_assert_null(g.error, "%s", g.error ? g.error->message : "");
    text = extract_result_text(&g.r);
    cr_assert(strstr(text, "Кыргызстане"), "text: %s", text);
    cr_assert_eq(g.r.ocr->len, 1);
    cr_assert_eq(g_array_index(g.r.ocr, extract_ocr_page_t, 0).page, 2);
    extract_result_clear(&g.r);
}

/* Without the Russian data file the worker reads English alone and says
 * so once for the document, not once per page. */
Test(ocr, missing_language_is_one_warning, .timeout = 120)
{
    g_autofree char *dir = g_dir_make_tmp("tessdata-XXXXXX", NULL);
    g_autofree char *eng = g_build_filename(dir, "eng.traineddata", NULL);
    const char *src = "/usr/share/tesseract-ocr/5/tessdata/eng.traineddata";
    got_t g = { 0 };
    guint n = 0;

    cr_assert_eq(symlink(src, eng), 0);
    g_setenv("TESSDATA_PREFIX", dir, TRUE);
    pool_extract("scan-noisy.pdf", &g);
    g_unsetenv("TESSDATA_PREFIX");
    cr_assert_null(g.error, "%s", g.error ? g.error->message : "");
    cr_assert_eq(g.r.ocr->len, 4);
    for (guint i = 0; i < g.r.warnings->len; i++)
        if (strstr(g.r.warnings->pdata[i], "no Tesseract data for rus"))
            n++;
    cr_assert_eq(n, 1, "warnings about rus: %u", n);
    extract_result_clear(&g.r);
    g_unlink(eng);
    g_rmdir(dir);
}
