/* pdf.c -- PDF through poppler-glib, from memory: text by page in
 * poppler's reading order, title, author and dates; pages without a text
 * layer rendered for OCR (ocr.c). */
#include <math.h>
#include <string.h>

#include <cairo.h>
#include <poppler.h>

#include "extract-int.h"

/* ---------------------------------------------------------------- Title */

/* The first heading-like line of the first page, for documents without a
 * title in their metadata: the first line, among the first few, that has
 * at least two letters, is at most 150 bytes and 20 words, does not end a
 * sentence or a broken word ('.' ',' ';' ':' '-'), is not continued by a
 * next line starting in lower case (then it is a paragraph's first line),
 * and is not a running header such as a page number or a year alone. */
#define TITLE_LINES 8
#define TITLE_MAX 150

static gboolean
heading_like(const char *line, gsize len)
{
    guint letters = 0, words = 0;
    gboolean in_word = FALSE;
    const char *end = line + len;
    const char *last;

    if (len == 0 || len > TITLE_MAX)
        return FALSE;
    for (const char *p = line; p < end; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (g_unichar_isalpha(c))
            letters++;
        if (g_unichar_isspace(c)) {
            in_word = FALSE;
        } else if (!in_word) {
            in_word = TRUE;
            words++;
        }
    }
    last = g_utf8_find_prev_char(line, end);
    return letters >= 2 && words <= 20 && last &&
           !strchr(".,;:-", *last);
}

static char *
title_from_text(const char *text)
{
    const char *p = text;

    for (guint n = 0; *p && n < TITLE_LINES; n++) {
        const char *nl = strchr(p, '\n');
        const char *end = nl ? nl : p + strlen(p);
        const char *s = p;
        while (s < end && g_ascii_isspace(*s))
            s++;
        while (end > s && g_ascii_isspace(end[-1]))
            end--;
        if (end > s && heading_like(s, (gsize)(end - s)) &&
            !(nl && g_unichar_islower(g_utf8_get_char(nl + 1))))
            return g_strndup(s, (gsize)(end - s));
        if (!nl)
            break;
        p = nl + 1;
    }
    return NULL;
}

/* ---------------------------------------------------------------- Metadata */

static char *
iso_date(GDateTime *dt)
{
    char *s;

    if (!dt)
        return NULL;
    s = g_date_time_format_iso8601(dt);
    g_date_time_unref(dt);
    return s;
}

/* A metadata string worth keeping: not empty, not white space alone.
 * Takes @s over. */
static char *
nonblank(char *s)
{
    if (s && !*g_strstrip(s)) {
        g_free(s);
        return NULL;
    }
    return s;
}

/* ---------------------------------------------------------------- Page text
 *
 * poppler_page_get_text() puts a space between two words only when the
 * first has poppler's space-after flag, and its selection dumper merges
 * the lines of a table's cells that share a baseline into one line.  The
 * last word of a cell has no space after it, so neighbouring cells come
 * out glued: "\lBrack" and "mathematical" as "\lBrackmathematical",
 * a column of numbers as one long number.  pdftotext keeps them apart.
 *
 * poppler_page_get_text_layout() gives one rectangle per character of
 * that text, in the same order, the separators included; it reuses the
 * page's cached text layout, so it costs a walk over the words and no
 * second pass over the content stream.  Two characters that follow each
 * other with no separator between them, yet whose boxes lie apart by more
 * than GAP_RATIO of the smaller box's size, belong to different words,
 * and a space goes between them.  The size of a box is its larger side,
 * which for a line of text in any rotation is about the font's line
 * height; the distance is the gap along x or y, whichever is larger, so
 * rotated text and a jump to another column or line count too.  Letters
 * of one word touch or overlap (poppler itself starts a new word at a
 * much smaller gap), and so do a letter and its superscript, which are
 * thus left joined, as pdftotext leaves them.  On the Debian TeX manuals
 * any ratio from 0.15 to 0.6 agrees as well with pdftotext, give or take
 * 0.01 percentage points. */
#define GAP_RATIO 0.3

static gboolean
boxes_apart(const PopplerRectangle *a, const PopplerRectangle *b)
{
    double gap_x = MAX(a->x1, b->x1) - MIN(a->x2, b->x2);
    double gap_y = MAX(a->y1, b->y1) - MIN(a->y2, b->y2);
    double size_a = MAX(a->x2 - a->x1, a->y2 - a->y1);
    double size_b = MAX(b->x2 - b->x1, b->y2 - b->y1);

    return MAX(gap_x, gap_y) > GAP_RATIO * MIN(size_a, size_b);
}

/* The text of @page with a space between characters that are apart on the
 * page but adjacent in poppler's text.  Returns: (transfer full)
 * (nullable): NULL when poppler has no text for the page. */
static char *
page_text(PopplerPage *page)
{
    char *text = poppler_page_get_text(page);
    PopplerRectangle *rects = NULL;
    guint n_rects = 0;
    const PopplerRectangle *prev = NULL;
    GString *out;
    const char *p;
    guint i;

    if (!text || !*text)
        return text;
    /* A rectangle count that does not match the characters (a code point
     * poppler could not encode, say) leaves no way to pair them up; the
     * text then goes out as poppler gave it.  The text is checked first
     * because counting and stepping through invalid UTF-8 could run past
     * its end. */
    if (!g_utf8_validate(text, -1, NULL) ||
        !poppler_page_get_text_layout(page, &rects, &n_rects) ||
        n_rects != (guint)g_utf8_strlen(text, -1)) {
        g_free(rects);
        return text;
    }
    out = g_string_sized_new(strlen(text) + 64);
    for (p = text, i = 0; *p; p = g_utf8_next_char(p), i++) {
        if (*p == ' ' || *p == '\n') {
            prev = NULL;
        } else {
            if (prev && boxes_apart(prev, &rects[i]))
                g_string_append_c(out, ' ');
            prev = &rects[i];
        }
        g_string_append_len(out, p, g_utf8_next_char(p) - p);
    }
    g_free(rects);
    g_free(text);
    return g_string_free(out, FALSE);
}

/* ---------------------------------------------------------------- OCR
 *
 * A page goes to Tesseract as a 300-dpi greyscale image, the resolution
 * its models are trained for.  An oversized page (a poster, or a scan
 * whose page box is metres wide) is rendered at a lower resolution so
 * that it stays under OCR_MAX_PIXELS, about a 300-dpi A2 sheet, rather
 * than failing the memory limit; cairo cannot go past 32767 pixels a
 * side anyway. */
#define OCR_DPI 300.0
#define OCR_MAX_PIXELS (36.0 * 1000 * 1000)
#define OCR_MAX_SIDE 32767.0

/* Renders @page and recognises it.  Returns: (transfer full) (nullable):
 * the raw text, with @info filled; NULL with @error as
 * extract__ocr_image() sets it, or EXTRACT_ERROR_TOO_LARGE /
 * EXTRACT_ERROR_CORRUPT for a page that cannot be rendered. */
static char *
ocr_page(PopplerPage *page, const extract_limits_t *limits,
         guint deadline_ms, extract_ocr_page_t *info, GError **error)
{
    double w_pt = 0, h_pt = 0, dpi = OCR_DPI, px;
    cairo_surface_t *surface;
    cairo_t *cr;
    extract__ocr_image_t img;
    g_autofree guint8 *grey = NULL;
    const guint8 *rgb;
    int rgb_stride;
    char *text;

    poppler_page_get_size(page, &w_pt, &h_pt);
    if (!(w_pt > 0 && h_pt > 0)) {
        g_set_error_literal(error, EXTRACT_ERROR, EXTRACT_ERROR_CORRUPT,
                            "page has no size");
        return NULL;
    }
    px = (w_pt / 72.0 * dpi) * (h_pt / 72.0 * dpi);
    if (px > OCR_MAX_PIXELS)
        dpi *= sqrt(OCR_MAX_PIXELS / px);
    dpi = MIN(dpi, OCR_MAX_SIDE * 72.0 / MAX(w_pt, h_pt));
    img.dpi = (guint)floor(dpi);
    img.width = (guint)ceil(w_pt / 72.0 * img.dpi);
    img.height = (guint)ceil(h_pt / 72.0 * img.dpi);
    if (img.dpi < 50 || img.width == 0 || img.height == 0) {
        g_set_error(error, EXTRACT_ERROR, EXTRACT_ERROR_TOO_LARGE,
                    "page of %.0f x %.0f pt is too large to recognise",
                    w_pt, h_pt);
        return NULL;
    }

    surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24,
                                         (int)img.width, (int)img.height);
    if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
        g_set_error(error, EXTRACT_ERROR, EXTRACT_ERROR_TOO_LARGE,
                    "cannot render a %u x %u page image: %s", img.width,
                    img.height,
                    cairo_status_to_string(cairo_surface_status(surface)));
        cairo_surface_destroy(surface);
        return NULL;
    }
    cr = cairo_create(surface);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_scale(cr, img.dpi / 72.0, img.dpi / 72.0);
    /* For printing: the page as it would print, without the annotations
     * and form widgets that are drawn only on screen. */
    poppler_page_render_for_printing(page, cr);
    cairo_destroy(cr);
    cairo_surface_flush(surface);

    /* Cairo's RGB24 is one 32-bit word per pixel, 0x00RRGGBB in native
     * byte order; Tesseract wants one byte of luminance (Rec. 601). */
    rgb = cairo_image_surface_get_data(surface);
    rgb_stride = cairo_image_surface_get_stride(surface);
    grey = g_malloc((gsize)img.width * img.height);
    for (guint y = 0; y < img.height; y++) {
        const guint32 *row = (const guint32 *)(const void *)
                             (rgb + (gsize)y * (gsize)rgb_stride);
        guint8 *g = grey + (gsize)y * img.width;

        for (guint x = 0; x < img.width; x++) {
            guint32 v = row[x];

            g[x] = (guint8)((((v >> 16) & 0xff) * 299 +
                             ((v >> 8) & 0xff) * 587 +
                             (v & 0xff) * 114) / 1000);
        }
    }
    cairo_surface_destroy(surface);
    img.pixels = grey;
    img.stride = img.width;
    text = extract__ocr_image(&img, limits->ocr_cache, deadline_ms, info,
                              error);
    return text;
}

/* Whether poppler's text for a page is no text layer at all: white space
 * or nothing. */
static gboolean
blank(const char *text)
{
    for (const char *p = text; *p; p++)
        if (!g_ascii_isspace(*p))
            return FALSE;
    return TRUE;
}

/* The time OCR may still take on this document, in ms (G_MAXUINT: no
 * limit): what is left of limits.timeout_ms less a tenth, so that a
 * document of many scanned pages ends with the pages read so far instead
 * of being killed by the pool with nothing. */
static guint
ocr_budget(const extract_limits_t *limits, gint64 started)
{
    gint64 spent, left;

    if (limits->timeout_ms == 0)
        return G_MAXUINT;
    spent = (g_get_monotonic_time() - started) / 1000;
    left = (gint64)limits->timeout_ms * 9 / 10 - spent;
    return left > 0 ? (guint)left : 0;
}

/* Runs OCR over the pages @limits ask for, replacing their text.  Page
 * failures become warnings and leave the page as it was; a timeout stops
 * OCR for the rest of the document, as does OCR being unusable. */
static void
ocr_pages(PopplerDocument *doc, const extract_limits_t *limits,
          gint64 started, extract_result_t *out)
{
    gboolean tried = FALSE;
    guint i;

    if (limits->ocr == EXTRACT_OCR_OFF)
        return;
    for (i = 0; i < out->pages->len; i++) {
        g_autoptr(GError) error = NULL;
        char **slot = (char **)&out->pages->pdata[i];
        extract_ocr_page_t info = { i + 1, 0, FALSE };
        guint budget, deadline;
        PopplerPage *page;
        char *text;

        if (limits->ocr == EXTRACT_OCR_AUTO && !blank(*slot))
            continue;
        budget = ocr_budget(limits, started);
        if (budget == 0) {
            g_ptr_array_add(out->warnings, g_strdup_printf(
                "ocr: time limit: pages from %u on not recognised", i + 1));
            break;
        }
        deadline = limits->ocr_page_ms ? MIN(limits->ocr_page_ms, budget)
                                       : budget;
        page = poppler_document_get_page(doc, (int)i);
        if (!page)
            continue;
        tried = TRUE;
        text = ocr_page(page, limits, deadline == G_MAXUINT ? 0 : deadline,
                        &info, &error);
        g_object_unref(page);
        if (!text) {
            g_ptr_array_add(out->warnings, g_strdup_printf(
                "ocr: page %u: %s", i + 1, error->message));
            if (g_error_matches(error, EXTRACT_ERROR, EXTRACT_ERROR_BACKEND))
                break;
            continue;
        }
        if (blank(text)) {
            g_free(text);
            continue;
        }
        g_free(*slot);
        *slot = text;
        g_array_append_val(out->ocr, info);
    }
    if (tried && extract__ocr_warning())
        g_ptr_array_add(out->warnings, g_strdup(extract__ocr_warning()));
}

/* ---------------------------------------------------------------- Backend */

static gboolean read_document(PopplerDocument *doc,
                              const extract_limits_t *limits,
                              extract_result_t *out, GError **error);

static gboolean
pdf_run(const extract_input_t *in, const extract_limits_t *limits,
        extract_result_t *out, GError **error)
{
    g_autoptr(GBytes) bytes = NULL;
    PopplerDocument *doc;
    g_autoptr(GError) perr = NULL;
    gboolean ok;

    if (in->len == 0) {
        g_set_error(error, EXTRACT_ERROR, EXTRACT_ERROR_CORRUPT,
                    "empty file");
        return FALSE;
    }
    /* The caller keeps the bytes alive for the whole call, and the
     * document (which holds a reference) dies before it returns. */
    bytes = g_bytes_new_static(in->data, in->len);
    doc = poppler_document_new_from_bytes(bytes, NULL, &perr);
    if (!doc) {
        gboolean enc = perr && g_error_matches(perr, POPPLER_ERROR,
                                               POPPLER_ERROR_ENCRYPTED);
        g_set_error(error, EXTRACT_ERROR,
                    enc ? EXTRACT_ERROR_ENCRYPTED : EXTRACT_ERROR_CORRUPT,
                    "%s", enc ? "encrypted: a password is needed"
                    : perr ? perr->message : "cannot open the PDF");
        return FALSE;
    }
    ok = read_document(doc, limits, out, error);
    g_object_unref(doc);
    return ok;
}

/* Pages, then metadata.  Poppler's GObjects have no autoptr cleanup
 * functions in 22.12, hence the explicit unrefs. */
static gboolean
read_document(PopplerDocument *doc, const extract_limits_t *limits,
              extract_result_t *out, GError **error)
{
    guint n_pages, n_read, with_text = 0;
    gint64 started = g_get_monotonic_time();

    n_pages = (guint)MAX(poppler_document_get_n_pages(doc), 0);
    if (n_pages == 0) {
        g_set_error(error, EXTRACT_ERROR, EXTRACT_ERROR_CORRUPT,
                    "no pages");
        return FALSE;
    }
    out->n_pages = n_pages;
    n_read = n_pages;
    if (limits->max_pages && n_pages > limits->max_pages) {
        n_read = limits->max_pages;
        g_ptr_array_add(out->warnings,
                        g_strdup_printf("page limit: read %u of %u pages",
                                        n_read, n_pages));
    }
    g_ptr_array_set_size(out->pages, 0);
    for (guint i = 0; i < n_read; i++) {
        PopplerPage *page = poppler_document_get_page(doc, (int)i);
        char *text = NULL;
        if (page) {
            text = page_text(page);
            g_object_unref(page);
        }
        if (!text)
            text = g_strdup("");
        g_ptr_array_add(out->pages, text);
    }
    ocr_pages(doc, limits, started, out);
    for (guint i = 0; i < out->pages->len; i++)
        if (!blank(out->pages->pdata[i]))
            with_text++;
    if (with_text == 0)
        g_ptr_array_add(out->warnings,
                        g_strdup("no text layer: image-only PDF"));

    out->title = nonblank(poppler_document_get_title(doc));
    if (!out->title)
        out->title = title_from_text(out->pages->pdata[0]);
    out->author = nonblank(poppler_document_get_author(doc));
    out->created = iso_date(poppler_document_get_creation_date_time(doc));
    out->modified =
        iso_date(poppler_document_get_modification_date_time(doc));
    return TRUE;
}

static const char *const pdf_types[] = {
    "application/pdf", "application/x-pdf", NULL
};

const extract_backend_t extract__backend_pdf = {
    "pdf", pdf_types, pdf_run,
};
