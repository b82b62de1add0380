/* extract-int.h -- the backend table and the helpers shared by the files of
 * libctmap_extract only; never included from outside extract/.
 */
#ifndef CTMAP_EXTRACT_EXTRACT_INT_H
#define CTMAP_EXTRACT_EXTRACT_INT_H

#include <glib.h>

#include "extract.h"

G_BEGIN_DECLS

/* -------------------------------------------------------------- Backends */

/* One format.  run() fills @out (initialised, media_type already set) with
 * raw text: pages in the backend's own sense, possibly with control
 * characters, hyphenated line ends and ligatures; extract_document() then
 * cleans every page, the title, author and description alike.  On failure
 * run() sets @error in EXTRACT_ERROR and may leave @out partly filled (the
 * caller clears it). */
typedef struct {
    const char *name;                   /* "pdf" */
    const char *const *media_types;     /* NULL-terminated */
    gboolean (*run)(const extract_input_t *in, const extract_limits_t *limits,
                    extract_result_t *out, GError **error);
} extract_backend_t;

extern const extract_backend_t extract__backend_pdf;
extern const extract_backend_t extract__backend_html;
extern const extract_backend_t extract__backend_text;

/* -------------------------------------------------------------- OCR */

/* A page image for Tesseract: 8-bit grey, one byte per pixel, rows
 * @stride bytes apart. */
typedef struct {
    const guint8 *pixels;       /* (transfer none) */
    guint width;
    guint height;
    guint stride;
    guint dpi;
} extract__ocr_image_t;

/* Recognises @img with EXTRACT_OCR_LANGS, giving up after @deadline_ms
 * (0: no limit), or reads the answer from @cache_dir (nullable) when the
 * same pixels were recognised before; a fresh answer is stored there.
 * Fills @info's confidence and cached (not page).  Errors:
 * EXTRACT_ERROR_TIMEOUT for this page; EXTRACT_ERROR_BACKEND when OCR is
 * unusable in this process (no language data), which stays so.  Returns:
 * (transfer full) (nullable): the raw text, "" when none was found.
 * Implemented in ocr.c; thread-safe (one handle, one page at a time). */
char *extract__ocr_image(const extract__ocr_image_t *img,
                         const char *cache_dir, guint deadline_ms,
                         extract_ocr_page_t *info, GError **error);

/* Returns: (transfer none) (nullable): once OCR has been tried, the one
 * warning about languages whose data is missing, else NULL. */
const char *extract__ocr_warning(void);

/* -------------------------------------------------------------- Helpers */

/* Passages of HTML and plain text aim at this many bytes: big enough for a
 * snippet with context, small enough that a snippet over one passage costs
 * little (DESIGN.md, index schema). */
#define EXTRACT__PASSAGE_BYTES 1500

/* Splits @text at blank lines and appends passages of about
 * EXTRACT__PASSAGE_BYTES to @pages (g_strdup'd).  A paragraph longer than
 * twice that is cut at a line end or a space.  Implemented in extract.c. */
void extract__passages_split(const char *text, gsize len, GPtrArray *pages);

/* Cleans raw backend text (see extract.c for the rules).  Returns:
 * (transfer full): valid UTF-8, NFC, no control characters but '\n'. */
char *extract__text_clean(const char *raw, gssize len);

/* Guesses the single-byte charset of @data, which is not valid UTF-8:
 * "windows-1251", "koi8-r" or "windows-1252".  Implemented in text.c.
 * Returns: (transfer none). */
const char *extract__charset_guess(const guint8 *data, gsize len);

/* Converts @data from @charset to UTF-8, replacing bytes that are invalid
 * in it with U+FFFD.  Returns: (transfer full) (nullable): NULL when GLib
 * has no converter for @charset. */
char *extract__charset_convert(const guint8 *data, gsize len,
                               const char *charset, gsize *out_len);

/* Whether @data, which g_utf8_validate() rejects, is still UTF-8 with a
 * few stray bytes rather than a single-byte charset: at least 80% of its
 * non-ASCII sequences are well-formed UTF-8.  Single-byte Cyrillic or
 * Latin text almost never forms a well-formed multi-byte sequence, so even
 * a few of them outweigh the bad bytes.  Implemented in text.c. */
gboolean extract__utf8_mostly(const guint8 *data, gsize len);

/* Picks the charset to read @data (no BOM) in: @declared (nullable, from
 * HTTP or <meta>) when the bytes fit it, except that bytes which are valid
 * UTF-8 with non-ASCII in them are UTF-8 whatever the label says, and
 * bytes a declared UTF-8 does not fit get extract__charset_guess().
 * Implemented in text.c.  Returns: (transfer none): a lower-case name. */
const char *extract__charset_choose(const guint8 *data, gsize len,
                                    const char *declared);

G_END_DECLS

#endif /* CTMAP_EXTRACT_EXTRACT_INT_H */
