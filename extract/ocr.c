/* ocr.c -- Tesseract through its C API: a greyscale page image in, its text
 * and mean confidence out, with results kept on disk by the image's hash.
 *
 * pdf.c renders the page (poppler into a cairo image) and hands the pixels
 * here, so poppler stays in pdf.c and Tesseract in this file.  One
 * Tesseract handle serves the whole process: loading eng+rus costs about
 * half a second, and a worker lives for many documents.  Tesseract's
 * OpenMP threads are no help with one page per worker (about 7 times
 * slower on 2 cores, issue 15); the pool starts its workers with
 * OMP_THREAD_LIMIT=1, which OpenMP reads before main() runs.
 */
#include <string.h>

#include <json-glib/json-glib.h>
#include <tesseract/capi.h>

#include "extract-int.h"

/* ---------------------------------------------------------------- Handle
 *
 * Loaded once, on the first page that needs it.  A language whose data
 * file is missing (no tesseract-ocr-rus, say) is left out with one warning
 * for the process, rather than failing every page; no language at all
 * makes OCR unusable for the process, which is the backend's hard
 * failure (STYLE.md, rule 5). */
typedef enum { TESS_UNTRIED, TESS_READY, TESS_FAILED } tess_state_t;

static struct {
    GMutex lock;                /* the handle is not thread-safe */
    tess_state_t state;
    TessBaseAPI *api;
    char *langs;                /* the languages loaded, "eng+rus" */
    char *missing;              /* (nullable) the warning about the rest */
    char *failure;              /* why OCR is unusable */
} tess;

/* Whether Tesseract loads @langs; keeps the handle in *@api when so. */
static gboolean
tess_try(const char *langs, TessBaseAPI **api)
{
    TessBaseAPI *a = TessBaseAPICreate();

    if (TessBaseAPIInit3(a, NULL, langs) != 0) {
        TessBaseAPIDelete(a);
        return FALSE;
    }
    /* Tesseract's own diagnostics would go to the worker's stderr for
     * every page ("Detected 12 diacritics"); the page status says what
     * matters. */
    TessBaseAPISetVariable(a, "debug_file", "/dev/null");
    *api = a;
    return TRUE;
}

/* Tesseract loads what it can of "eng+rus" and succeeds when at least
 * one language loaded, so the languages it did load are compared with
 * those asked for. */
static void
tess_load(void)
{
    g_auto(GStrv) want = g_strsplit(EXTRACT_OCR_LANGS, "+", -1);
    g_autoptr(GPtrArray) lost = g_ptr_array_new();
    char **loaded;

    if (!tess_try(EXTRACT_OCR_LANGS, &tess.api)) {
        tess.failure = g_strdup_printf("ocr unavailable: no Tesseract "
                                       "language data for %s",
                                       EXTRACT_OCR_LANGS);
        tess.state = TESS_FAILED;
        return;
    }
    loaded = TessBaseAPIGetLoadedLanguagesAsVector(tess.api);
    for (guint i = 0; want[i]; i++)
        if (!loaded || !g_strv_contains((const char *const *)loaded,
                                        want[i]))
            g_ptr_array_add(lost, want[i]);
    tess.langs = loaded ? g_strjoinv("+", loaded) : g_strdup("");
    TessDeleteTextArray(loaded);
    if (lost->len > 0) {
        g_ptr_array_add(lost, NULL);
        g_autofree char *names = g_strjoinv(", ", (char **)lost->pdata);
        tess.missing = g_strdup_printf(
            "ocr: no Tesseract data for %s (install tesseract-ocr-%s); "
            "reading %s only", names, (char *)lost->pdata[0], tess.langs);
    }
    tess.state = TESS_READY;
}

/* ---------------------------------------------------------------- Cache
 *
 * Keyed by SHA-256 over the Tesseract version, the languages, the
 * resolution and the pixels, so a different engine or language set never
 * reuses an answer, and the same scan reached by another URL, another file
 * name or another document does.  One JSON file per page under a two-hex
 * fan-out directory. */
static char *
cache_path(const char *dir, const extract__ocr_image_t *img)
{
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    g_autofree char *head = g_strdup_printf("%s\n%s\n%u %u %u\n",
                                            TessVersion(), tess.langs,
                                            img->dpi, img->width,
                                            img->height);
    const char *hex;

    g_checksum_update(sum, (const guchar *)head, (gssize)strlen(head));
    for (guint y = 0; y < img->height; y++)
        g_checksum_update(sum, img->pixels + (gsize)y * img->stride,
                          img->width);
    hex = g_checksum_get_string(sum);
    return g_strdup_printf("%s/%.2s/%s.json", dir, hex, hex);
}

/* Returns: (transfer full) (nullable): the cached text, NULL when there is
 * none or it is unreadable (then the page is recognised again). */
static char *
cache_read(const char *path, gint *confidence)
{
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    JsonObject *o;
    JsonNode *root;

    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR) ||
        !json_parser_load_from_file(parser, path, NULL))
        return NULL;
    root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root))
        return NULL;
    o = json_node_get_object(root);
    if (!json_object_has_member(o, "text") ||
        !json_object_has_member(o, "confidence"))
        return NULL;
    *confidence = (gint)json_object_get_int_member(o, "confidence");
    return g_strdup(json_object_get_string_member(o, "text"));
}

/* The cache only saves time: a write that fails (a full disk, a read-only
 * folder) costs the next run a recognition, never this page its text, so
 * its errors are dropped on purpose. */
static void
cache_write(const char *path, const char *text, gint confidence)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *data = NULL;
    gsize len;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "text");
    json_builder_add_string_value(b, text);
    json_builder_set_member_name(b, "confidence");
    json_builder_add_int_value(b, confidence);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    data = json_generator_to_data(gen, &len);
    if (g_mkdir_with_parents(dir, 0755) == 0)
        (void)g_file_set_contents(path, data, (gssize)len, NULL);
}

/* ---------------------------------------------------------------- Recognise */

static char *
recognise(const extract__ocr_image_t *img, guint deadline_ms,
          gint *confidence, GError **error)
{
    ETEXT_DESC *monitor = TessMonitorCreate();
    gint64 started = g_get_monotonic_time();
    gboolean late;
    char *raw;
    char *text = NULL;
    int rc;

    TessBaseAPISetImage(tess.api, img->pixels, (int)img->width,
                        (int)img->height, 1, (int)img->stride);
    TessBaseAPISetSourceResolution(tess.api, (int)img->dpi);
    if (deadline_ms > 0)
        TessMonitorSetDeadlineMSecs(monitor, (int)MIN(deadline_ms,
                                                      (guint)G_MAXINT));
    rc = TessBaseAPIRecognize(tess.api, monitor);
    TessMonitorDelete(monitor);
    /* The deadline is checked between words only, so layout analysis can
     * overrun it; the clock decides, not just Tesseract's answer. */
    late = deadline_ms > 0 &&
           g_get_monotonic_time() - started > (gint64)deadline_ms * 1000;
    if (rc != 0 || late) {
        TessBaseAPIClear(tess.api);
        if (late || deadline_ms > 0)
            g_set_error(error, EXTRACT_ERROR, EXTRACT_ERROR_TIMEOUT,
                        "OCR took longer than %.1f s",
                        deadline_ms / 1000.0);
        else
            g_set_error_literal(error, EXTRACT_ERROR, EXTRACT_ERROR_BACKEND,
                                "Tesseract could not recognise the page");
        return NULL;
    }
    raw = TessBaseAPIGetUTF8Text(tess.api);
    *confidence = TessBaseAPIMeanTextConf(tess.api);
    if (raw)
        text = g_strdup(raw);
    TessDeleteText(raw);
    TessBaseAPIClear(tess.api);
    return text ? text : g_strdup("");
}

const char *
extract__ocr_warning(void)
{
    return tess.missing;
}

char *
extract__ocr_image(const extract__ocr_image_t *img, const char *cache_dir,
                   guint deadline_ms, extract_ocr_page_t *info,
                   GError **error)
{
    g_autofree char *path = NULL;
    char *text = NULL;

    g_mutex_lock(&tess.lock);
    if (tess.state == TESS_UNTRIED)
        tess_load();
    if (tess.state == TESS_FAILED) {
        g_set_error_literal(error, EXTRACT_ERROR, EXTRACT_ERROR_BACKEND,
                            tess.failure);
        g_mutex_unlock(&tess.lock);
        return NULL;
    }
    info->cached = FALSE;
    if (cache_dir) {
        path = cache_path(cache_dir, img);
        text = cache_read(path, &info->confidence);
        info->cached = text != NULL;
    }
    if (!text) {
        text = recognise(img, deadline_ms, &info->confidence, error);
        if (text && path)
            cache_write(path, text, info->confidence);
    }
    g_mutex_unlock(&tess.lock);
    return text;
}
