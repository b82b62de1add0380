/* mkpdf.c -- writes the fixture PDFs of the extraction suite with cairo and
 * the DejaVu fonts: text whose content the tests know word for word.
 *
 * Usage: mkpdf OUTDIR      (creates OUTDIR; writes every fixture there)
 *
 * Each file is written under a temporary name and renamed, so suites that
 * start it in parallel never read half a file.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <glib.h>
#include <glib/gstdio.h>

#define PAGE_W 595.0            /* A4 in points */
#define PAGE_H 842.0
#define MARGIN 56.0
#define FONT "DejaVu Sans"

typedef struct {
    cairo_surface_t *surface;
    cairo_t *cr;
    char *path;
    char *tmp;
    double y;
    cairo_t *pdf_cr;            /* while a scan is drawn: the page's */
    cairo_surface_t *scan;      /* while a scan is drawn: its image */
    GString *source;            /* (nullable) the text drawn, for .txt */
} doc_t;

static void
doc_open(doc_t *d, const char *dir, const char *name)
{
    memset(d, 0, sizeof(*d));
    d->path = g_build_filename(dir, name, NULL);
    d->tmp = g_strdup_printf("%s.%d.tmp", d->path, (int)getpid());
    d->surface = cairo_pdf_surface_create(d->tmp, PAGE_W, PAGE_H);
    d->cr = cairo_create(d->surface);
    cairo_select_font_face(d->cr, FONT, CAIRO_FONT_SLANT_NORMAL,
                           CAIRO_FONT_WEIGHT_NORMAL);
    d->y = MARGIN;
}

static void
doc_meta(doc_t *d, cairo_pdf_metadata_t key, const char *value)
{
    cairo_pdf_surface_set_metadata(d->surface, key, value);
}

static void
doc_page(doc_t *d)
{
    cairo_show_page(d->cr);
    d->y = MARGIN;
}

static int
doc_close(doc_t *d)
{
    int rc = 0;

    cairo_destroy(d->cr);
    cairo_surface_finish(d->surface);
    if (cairo_surface_status(d->surface) != CAIRO_STATUS_SUCCESS) {
        fprintf(stderr, "mkpdf: %s: %s\n", d->path,
                cairo_status_to_string(cairo_surface_status(d->surface)));
        rc = 1;
    }
    cairo_surface_destroy(d->surface);
    if (!rc && g_rename(d->tmp, d->path) != 0) {
        fprintf(stderr, "mkpdf: rename %s: %s\n", d->path, g_strerror(errno));
        rc = 1;
    }
    g_free(d->path);
    g_free(d->tmp);
    return rc;
}

/* One line at (@x, current y), then the next line. */
static void
line_at(doc_t *d, double x, double size, const char *text)
{
    if (d->source)
        g_string_append_printf(d->source, "%s\n", text);
    cairo_set_font_size(d->cr, size);
    cairo_move_to(d->cr, x, d->y + size);
    cairo_show_text(d->cr, text);
    d->y += size * 1.5;
}

/* A paragraph wrapped at word boundaries to @width, from @x. */
static void
para_at(doc_t *d, double x, double width, double size, const char *text)
{
    g_auto(GStrv) words = g_strsplit(text, " ", -1);
    g_autoptr(GString) line = g_string_new(NULL);

    cairo_set_font_size(d->cr, size);
    for (guint i = 0; words[i]; i++) {
        cairo_text_extents_t ext;
        g_autofree char *trial = line->len
            ? g_strconcat(line->str, " ", words[i], NULL)
            : g_strdup(words[i]);
        cairo_text_extents(d->cr, trial, &ext);
        if (line->len && ext.x_advance > width) {
            line_at(d, x, size, line->str);
            g_string_assign(line, words[i]);
        } else {
            g_string_assign(line, trial);
        }
    }
    if (line->len)
        line_at(d, x, size, line->str);
    d->y += size * 0.8;
}

static void
para(doc_t *d, const char *text)
{
    para_at(d, MARGIN, PAGE_W - 2 * MARGIN, 11, text);
}

/* ---------------------------------------------------------------- Scans
 *
 * A scanned page: the text drawn into a 300-dpi greyscale image, and only
 * the image put on the PDF page, so the PDF has no text layer at all, as
 * a scanner's output has none.  A noisy scan is turned by @skew degrees
 * and sprinkled with @noise dark and light specks per thousand pixels,
 * from a fixed seed so every run makes the same file. */
#define SCAN_DPI 300.0

static void
scan_begin(doc_t *d)
{
    double k = SCAN_DPI / 72.0;

    d->pdf_cr = d->cr;
    d->scan = cairo_image_surface_create(CAIRO_FORMAT_A8,
                                         (int)(PAGE_W * k),
                                         (int)(PAGE_H * k));
    d->cr = cairo_create(d->scan);
    /* A8 holds coverage: 255 is ink.  The page is drawn as ink on an
     * empty surface and painted through as a mask below. */
    cairo_scale(d->cr, k, k);
    cairo_select_font_face(d->cr, FONT, CAIRO_FONT_SLANT_NORMAL,
                           CAIRO_FONT_WEIGHT_NORMAL);
}

static void
scan_end(doc_t *d, double skew, int noise)
{
    double k = SCAN_DPI / 72.0;
    cairo_surface_t *img = d->scan;

    cairo_destroy(d->cr);
    cairo_surface_flush(img);
    if (noise > 0) {
        g_autoptr(GRand) rnd = g_rand_new_with_seed(15);
        guint8 *px = cairo_image_surface_get_data(img);
        int w = cairo_image_surface_get_width(img);
        int h = cairo_image_surface_get_height(img);
        int stride = cairo_image_surface_get_stride(img);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if (g_rand_int_range(rnd, 0, 1000) < noise)
                    px[y * stride + x] = px[y * stride + x] ? 0 : 255;
        cairo_surface_mark_dirty(img);
    }
    d->cr = d->pdf_cr;
    cairo_save(d->cr);
    cairo_set_source_rgb(d->cr, 1, 1, 1);
    cairo_paint(d->cr);
    cairo_translate(d->cr, PAGE_W / 2, PAGE_H / 2);
    cairo_rotate(d->cr, skew * G_PI / 180.0);
    cairo_translate(d->cr, -PAGE_W / 2, -PAGE_H / 2);
    cairo_scale(d->cr, 1 / k, 1 / k);
    cairo_set_source_rgb(d->cr, 0, 0, 0);
    cairo_mask_surface(d->cr, img, 0, 0);
    cairo_restore(d->cr);
    cairo_surface_destroy(img);
    d->scan = NULL;
    d->pdf_cr = NULL;
}

/* Writes the text drawn into @d's scans beside its PDF, as NAME.txt, for
 * scripts/bench/ocr's word accuracy; frees it. */
static int
scan_source_write(doc_t *d)
{
    g_autofree char *txt = g_strdup(d->path);
    g_autoptr(GError) error = NULL;
    char *dot = strrchr(txt, '.');

    g_strlcpy(dot, ".txt", 5);
    if (!g_file_set_contents(txt, d->source->str, (gssize)d->source->len,
                             &error)) {
        fprintf(stderr, "mkpdf: %s\n", error->message);
        return 1;
    }
    g_string_free(d->source, TRUE);
    d->source = NULL;
    return 0;
}

/* ---------------------------------------------------------------- Texts */

static const char *const english_pages[][3] = {
    { "Introduction",
      "Page one introduces the prevention of violent extremism in Central "
      "Asia. The handbook was written for practitioners who work with young "
      "people, teachers, religious leaders and local government officials.",
      "It explains why prevention works best when communities themselves "
      "take part in the design of every programme and when their concerns "
      "are heard by the authorities." },
    { "Community engagement",
      "Page two describes community engagement in Kyrgyzstan and Tajikistan. "
      "Local councils organised dialogue between police officers and "
      "residents of the border districts.",
      "The results show that trust grows slowly and that small grants for "
      "youth initiatives have a lasting effect on social cohesion." },
    { "Recommendations",
      "Page three lists the recommendations for policy makers. Governments "
      "should support civil society organisations and protect human rights "
      "while countering terrorism.",
      "Regional cooperation between the five countries remains essential for "
      "the return and reintegration of foreign terrorist fighters." },
};

static const char russian_heading[] =
    "Предупреждение насильственного "
    "экстремизма";
static const char *const russian_paras[] = {
    "Предупреждение насильственного "
    "экстремизма в Центральной Азии требует "
    "совместных усилий государства и "
    "гражданского общества. Программа "
    "поддерживает молодёжь, женщин и местные "
    "сообщества в Казахстане, "
    "Кыргызстане, Таджикистане, "
    "Туркменистане и Узбекистане.",
    "Особое внимание уделяется реабилитации "
    "и реинтеграции лиц, вернувшихся "
    "из зон вооружённых конфликтов, а также "
    "работе с их семьями. Опыт "
    "региона показывает, что доверие между "
    "населением и властями растёт "
    "медленно.",
};

static const char *const kazakh_paras[] = {
    "Қазақстан Республикасы зорлық-зомбылық "
    "экстремизмнің алдын алу "
    "жөніндегі мемлекеттік бағдарламаны "
    "қабылдады. Бұл құжат жастардың "
    "әлеуметтік белсенділігін арттыруға, "
    "діни сауаттылықты көтеруге және "
    "қоғамдағы төзімділікті нығайтуға "
    "бағытталған.",
    "Жергілікті атқарушы органдар азаматтық "
    "қоғам ұйымдарымен бірлесіп "
    "жұмыс істейді. Мұғалімдер мен "
    "ата-аналар балалардың интернеттегі "
    "қауіпсіздігіне ерекше көңіл бөледі.",
};

/* ---------------------------------------------------------------- Files */

static int
make_english(const char *dir)
{
    doc_t d;

    doc_open(&d, dir, "english.pdf");
    doc_meta(&d, CAIRO_PDF_METADATA_TITLE,
             "Preventing Violent Extremism in Central Asia: A Handbook");
    doc_meta(&d, CAIRO_PDF_METADATA_AUTHOR, "UNRCCA");
    doc_meta(&d, CAIRO_PDF_METADATA_CREATE_DATE, "2020-07-15T09:30:00Z");
    doc_meta(&d, CAIRO_PDF_METADATA_MOD_DATE, "2020-08-01T12:00:00Z");
    for (guint p = 0; p < G_N_ELEMENTS(english_pages); p++) {
        line_at(&d, MARGIN, 18, english_pages[p][0]);
        para(&d, english_pages[p][1]);
        para(&d, english_pages[p][2]);
        doc_page(&d);
    }
    return doc_close(&d);
}

static int
make_russian(const char *dir)
{
    doc_t d;

    doc_open(&d, dir, "russian.pdf");
    line_at(&d, MARGIN, 18, russian_heading);
    for (guint i = 0; i < G_N_ELEMENTS(russian_paras); i++)
        para(&d, russian_paras[i]);
    doc_page(&d);
    return doc_close(&d);
}

static int
make_kazakh(const char *dir)
{
    doc_t d;

    doc_open(&d, dir, "kazakh.pdf");
    line_at(&d, MARGIN, 18, "Экстремизмнің алдын алу");
    for (guint i = 0; i < G_N_ELEMENTS(kazakh_paras); i++)
        para(&d, kazakh_paras[i]);
    doc_page(&d);
    return doc_close(&d);
}

/* No title in the metadata; the first line is a bare page number, which
 * the heading fallback must pass over. */
static int
make_heading(const char *dir)
{
    doc_t d;

    doc_open(&d, dir, "heading.pdf");
    line_at(&d, MARGIN, 9, "2020");
    line_at(&d, MARGIN, 18, "Annual Report on Prevention Programmes");
    para(&d, "This report summarises the activities of the year. It covers "
             "training, research and regional conferences.");
    doc_page(&d);
    return doc_close(&d);
}

static int
make_two_column(const char *dir)
{
    doc_t d;
    double col = (PAGE_W - 3 * MARGIN) / 2;

    doc_open(&d, dir, "two-column.pdf");
    para_at(&d, MARGIN, col, 11,
            "Alpha column begins with the story of a teacher in Osh who "
            "started a debate club for pupils from both communities after "
            "the events of that summer. Alpha column ends here.");
    d.y = MARGIN;
    para_at(&d, 2 * MARGIN + col, col, 11,
            "Omega column starts with the findings of the survey in Khujand "
            "where most respondents named unemployment as the main driver of "
            "migration. Omega column finishes here.");
    doc_page(&d);
    return doc_close(&d);
}

static int
make_hyphenated(const char *dir)
{
    doc_t d;

    doc_open(&d, dir, "hyphenated.pdf");
    line_at(&d, MARGIN, 11, "Programmes for coun-");
    line_at(&d, MARGIN, 11, "tering violent extremism need counter-");
    line_at(&d, MARGIN, 11, "terrorism experts, anti-");
    line_at(&d, MARGIN, 11, "corruption work across the re-");
    line_at(&d, MARGIN, 11, "gion and support from the UN-");
    line_at(&d, MARGIN, 11, "led coordination mechanism.");
    doc_page(&d);
    return doc_close(&d);
}

static int
make_ligatures(const char *dir)
{
    doc_t d;

    doc_open(&d, dir, "ligatures.pdf");
    line_at(&d, MARGIN, 11,
            "The \xef\xac\x81nancial \xef\xac\x82ows of terrorist groups are "
            "di\xef\xac\x83\x63ult to trace.");
    line_at(&d, MARGIN, 11, "O\xef\xac\x80icials met in the o\xef\xac\x83\x63"
                            "e of the mission.");
    doc_page(&d);
    return doc_close(&d);
}

static int
make_image_only(const char *dir)
{
    doc_t d;

    doc_open(&d, dir, "image-only.pdf");
    for (int p = 0; p < 2; p++) {
        for (int i = 0; i < 10; i++) {
            cairo_set_source_rgb(d.cr, 0.1 * i, 0.2, 0.5);
            cairo_rectangle(d.cr, MARGIN + 20 * i, MARGIN + 30 * i, 200, 20);
            cairo_fill(d.cr);
        }
        doc_page(&d);
    }
    return doc_close(&d);
}

/* The English handbook's pages and the Russian page, scanned: clean, and
 * turned and specked as a photocopy is. */
static void
scan_english_pages(doc_t *d, double skew, int noise)
{
    for (guint p = 0; p < G_N_ELEMENTS(english_pages); p++) {
        scan_begin(d);
        line_at(d, MARGIN, 18, english_pages[p][0]);
        para(d, english_pages[p][1]);
        para(d, english_pages[p][2]);
        scan_end(d, skew, noise);
        doc_page(d);
    }
}

static void
scan_russian_page(doc_t *d, double skew, int noise)
{
    scan_begin(d);
    line_at(d, MARGIN, 18, russian_heading);
    for (guint i = 0; i < G_N_ELEMENTS(russian_paras); i++)
        para(d, russian_paras[i]);
    scan_end(d, skew, noise);
    doc_page(d);
}

static int
make_scans(const char *dir)
{
    static const struct {
        const char *name;
        gboolean english, russian;
        double skew;
        int noise;
    } scans[] = {
        { "scan-english.pdf", TRUE, FALSE, 0, 0 },
        { "scan-russian.pdf", FALSE, TRUE, 0, 0 },
        { "scan-noisy.pdf", TRUE, TRUE, 1.5, 4 },
    };
    int rc = 0;

    for (gsize i = 0; i < G_N_ELEMENTS(scans); i++) {
        doc_t d;

        doc_open(&d, dir, scans[i].name);
        d.source = g_string_new(NULL);
        if (scans[i].english)
            scan_english_pages(&d, scans[i].skew, scans[i].noise);
        if (scans[i].russian)
            scan_russian_page(&d, scans[i].skew, scans[i].noise);
        rc |= scan_source_write(&d);
        rc |= doc_close(&d);
    }
    return rc;
}

/* A text page, then a scanned page, then a text page: the scan alone is
 * recognised. */
static int
make_scan_mixed(const char *dir)
{
    doc_t d;

    doc_open(&d, dir, "scan-mixed.pdf");
    line_at(&d, MARGIN, 18, "Mixed document");
    para(&d, "The first page has a text layer about regional cooperation.");
    doc_page(&d);
    scan_russian_page(&d, 0, 0);
    line_at(&d, MARGIN, 18, "Annex");
    para(&d, "The third page has a text layer about the annex.");
    doc_page(&d);
    return doc_close(&d);
}

/* One page of 14400 x 14400 pt, the largest a PDF allows (200 inches a
 * side): 3.6 gigapixels at 300 dpi, which OCR must refuse, not render. */
static int
make_scan_huge(const char *dir)
{
    g_autofree char *path = g_build_filename(dir, "scan-huge.pdf", NULL);
    g_autofree char *tmp = g_strdup_printf("%s.%d.tmp", path, (int)getpid());
    cairo_surface_t *surface = cairo_pdf_surface_create(tmp, 14400, 14400);
    cairo_t *cr = cairo_create(surface);
    int rc = 0;

    cairo_rectangle(cr, 100, 100, 5000, 5000);
    cairo_fill(cr);
    cairo_show_page(cr);
    cairo_destroy(cr);
    cairo_surface_finish(surface);
    if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS ||
        g_rename(tmp, path) != 0) {
        fprintf(stderr, "mkpdf: %s: cannot write\n", path);
        rc = 1;
    }
    cairo_surface_destroy(surface);
    return rc;
}

/* A table as TeX sets one: each cell drawn on its own, one em of white
 * between two columns and no space character, rows two lines apart.
 * poppler takes every cell for a block of a table, and its page text
 * glues the cells of a row: "U+02983lBracewhite curly bracket". */
static const char *const table_rows[][3] = {
    { "U+02983", "lBrace", "white curly bracket" },
    { "U+02985", "lParen", "white parenthesis" },
    { "U+027E6", "lBrack", "white square bracket" },
    { "U+027EA", "lAngle", "double angle bracket" },
};

static int
make_table(const char *dir)
{
    doc_t d;
    double x[G_N_ELEMENTS(table_rows[0])];

    doc_open(&d, dir, "table.pdf");
    line_at(&d, MARGIN, 14, "Opening symbols");
    cairo_set_font_size(d.cr, 10);
    /* Each column starts 10 points after the widest cell of the one
     * before it. */
    x[0] = MARGIN;
    for (guint c = 1; c < G_N_ELEMENTS(x); c++) {
        double widest = 0;
        for (guint r = 0; r < G_N_ELEMENTS(table_rows); r++) {
            cairo_text_extents_t ext;
            cairo_text_extents(d.cr, table_rows[r][c - 1], &ext);
            widest = MAX(widest, ext.x_advance);
        }
        x[c] = x[c - 1] + widest + 10;
    }
    for (guint r = 0; r < G_N_ELEMENTS(table_rows); r++) {
        for (guint c = 0; c < G_N_ELEMENTS(x); c++) {
            cairo_move_to(d.cr, x[c], d.y + 10);
            cairo_show_text(d.cr, table_rows[r][c]);
        }
        d.y += 20;
    }
    doc_page(&d);
    return doc_close(&d);
}

#define MANY_PAGES 500

static int
make_many_pages(const char *dir)
{
    doc_t d;

    doc_open(&d, dir, "many-pages.pdf");
    for (int p = 1; p <= MANY_PAGES; p++) {
        char text[64];
        g_snprintf(text, sizeof(text), "Page %d of the long annex.", p);
        line_at(&d, MARGIN, 11, text);
        doc_page(&d);
    }
    return doc_close(&d);
}

int
main(int argc, char **argv)
{
    static int (*const makers[])(const char *) = {
        make_english, make_russian, make_kazakh, make_heading,
        make_two_column, make_hyphenated, make_ligatures, make_image_only,
        make_many_pages, make_table, make_scans, make_scan_mixed,
        make_scan_huge,
    };
    int rc = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: mkpdf OUTDIR\n");
        return 2;
    }
    if (g_mkdir_with_parents(argv[1], 0755) != 0) {
        fprintf(stderr, "mkpdf: %s: %s\n", argv[1], g_strerror(errno));
        return 1;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(makers); i++)
        rc |= makers[i](argv[1]);
    /* Cairo's toy font API loads fontconfig; both caches are dropped so
     * that the sanitizer build of the suite sees no leak from this tool. */
    cairo_debug_reset_static_data();
    FcFini();
    return rc;
}
