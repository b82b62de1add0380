/* genpdf.c -- writes many text PDFs in one process, from a spec on stdin,
 * for scripts/bench/gen-corpus: one process for thousands of files saves a
 * start-up and a font lookup per file.
 *
 * Usage: genpdf < SPEC
 *
 * SPEC is a sequence of records, each ended by a NUL byte:
 *
 *   OUTPUT-PATH \n TITLE \n LINE \n LINE \n ... \f LINE \n ...
 *
 * Every LINE is drawn as one line of text (the caller wraps the words);
 * a form feed starts a new page, and so does a page that runs out of room.
 * Parent folders are created.  Prints the number of files written.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <glib.h>
#include <glib/gstdio.h>

#define PAGE_W 595.0            /* A4 in points */
#define PAGE_H 842.0
#define MARGIN 56.0
#define FONT_SIZE 10.0
#define LEADING 13.0
#define TITLE_SIZE 16.0

/* Draws one record.  Returns FALSE with a message on stderr if the file
 * could not be written. */
static gboolean
write_pdf(char *rec)
{
    char *path = rec;
    char *title;
    char *body;
    g_autofree char *dir = NULL;
    cairo_surface_t *surface;
    cairo_t *cr;
    cairo_status_t status;
    double y = MARGIN + TITLE_SIZE;

    title = strchr(path, '\n');
    if (!title)
        return FALSE;
    *title++ = '\0';
    body = strchr(title, '\n');
    if (body)
        *body++ = '\0';
    else
        body = title + strlen(title);

    dir = g_path_get_dirname(path);
    if (g_mkdir_with_parents(dir, 0755) != 0) {
        fprintf(stderr, "genpdf: %s: %s\n", dir, g_strerror(errno));
        return FALSE;
    }
    surface = cairo_pdf_surface_create(path, PAGE_W, PAGE_H);
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title);
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR,
                                   "ctmap genpdf");
    cr = cairo_create(surface);
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                           CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, TITLE_SIZE);
    cairo_move_to(cr, MARGIN, y);
    cairo_show_text(cr, title);
    cairo_set_font_size(cr, FONT_SIZE);
    y += 2 * LEADING;

    while (*body) {
        char *end = body + strcspn(body, "\n\f");
        char sep = *end;

        *end = '\0';
        if (*body) {
            if (y > PAGE_H - MARGIN) {
                cairo_show_page(cr);
                y = MARGIN;
            }
            cairo_move_to(cr, MARGIN, y);
            cairo_show_text(cr, body);
        }
        y += LEADING;
        if (sep == '\f') {
            cairo_show_page(cr);
            y = MARGIN;
        }
        body = sep ? end + 1 : end;
    }
    cairo_show_page(cr);
    cairo_destroy(cr);
    cairo_surface_finish(surface);
    status = cairo_surface_status(surface);
    cairo_surface_destroy(surface);
    if (status != CAIRO_STATUS_SUCCESS) {
        fprintf(stderr, "genpdf: %s: %s\n", path,
                cairo_status_to_string(status));
        return FALSE;
    }
    return TRUE;
}

int
main(void)
{
    char *rec = NULL;
    size_t cap = 0;
    ssize_t n;
    guint written = 0, failed = 0;

    for (n = getdelim(&rec, &cap, '\0', stdin); n > 0;
         n = getdelim(&rec, &cap, '\0', stdin)) {
        if (rec[n - 1] == '\0')
            n--;
        rec[n] = '\0';
        if (n == 0)
            continue;
        if (write_pdf(rec))
            written++;
        else
            failed++;
    }
    free(rec);
    /* Releases cairo's font caches, so a leak checker sees none. */
    cairo_debug_reset_static_data();
    printf("genpdf: %u PDFs written, %u failed\n", written, failed);
    return failed ? 1 : 0;
}
