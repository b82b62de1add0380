/* extract.h -- libctmap_extract: bytes + a media-type hint + the source URL
 * in; text by page, title, author, language, dates and links out; or an
 * error whose kind becomes the document's status.
 *
 * Two ways in.  extract_document() runs the backends in the calling
 * process: fast, but a crash or hang in poppler takes the caller with it.
 * extract_pool_*() runs the same code in supervised, long-lived worker
 * processes (ctmap-extract-worker) under a time and memory limit, so a
 * hostile file costs that file alone; the indexer uses the pool.
 *
 * The library never prints and never exits.
 */
#ifndef CTMAP_EXTRACT_EXTRACT_H
#define CTMAP_EXTRACT_EXTRACT_H

#include <glib.h>

G_BEGIN_DECLS

/* ---------------------------------------------------------------- Errors */

#define EXTRACT_ERROR (extract_error_quark())
GQuark extract_error_quark(void);

/* Each kind with the document status (DESIGN.md) it maps to. */
#define EXTRACT_ERROR_LIST(X)                                          \
    X(EXTRACT_ERROR_CORRUPT, "corrupt", "broken")                      \
    X(EXTRACT_ERROR_ENCRYPTED, "encrypted", "broken")                  \
    X(EXTRACT_ERROR_UNSUPPORTED, "unsupported", "unsupported")         \
    X(EXTRACT_ERROR_TOO_LARGE, "too-large", "too-large")               \
    X(EXTRACT_ERROR_TIMEOUT, "timeout", "broken")                      \
    X(EXTRACT_ERROR_CRASHED, "crashed", "broken")                      \
    X(EXTRACT_ERROR_BACKEND, "backend", "broken")

typedef enum {
#define EXTRACT__ENUM(name, kind, status) name,
    EXTRACT_ERROR_LIST(EXTRACT__ENUM)
#undef EXTRACT__ENUM
    EXTRACT_ERROR_N
} extract_error_t;

/* Returns: (transfer none): "corrupt", "encrypted", ... */
const char *extract_error_kind(int code);
/* Returns: (transfer none): the document status: "broken", "unsupported",
 * "too-large". */
const char *extract_error_status(int code);

/* ---------------------------------------------------------------- OCR */

/* When PDF pages go through Tesseract (ocr.c): auto, the pages without a
 * text layer; off, none; force, every page, its OCR text replacing the
 * text layer when OCR finds any (for text layers that are garbage). */
#define EXTRACT_OCR_LIST(X)                                            \
    X(EXTRACT_OCR_AUTO, "auto")                                        \
    X(EXTRACT_OCR_OFF, "off")                                          \
    X(EXTRACT_OCR_FORCE, "force")

typedef enum {
#define EXTRACT__OCR_ENUM(name, label) name,
    EXTRACT_OCR_LIST(EXTRACT__OCR_ENUM)
#undef EXTRACT__OCR_ENUM
    EXTRACT_OCR_N
} extract_ocr_mode_t;

/* Returns: (transfer none): "auto", "off", "force". */
const char *extract_ocr_mode_name(extract_ocr_mode_t mode);
/* Parses @s ("auto", "off", "force") into *@mode; FALSE for anything
 * else, with EXTRACT_ERROR_UNSUPPORTED naming the choices. */
gboolean extract_ocr_mode_parse(const char *s, extract_ocr_mode_t *mode,
                                GError **error);

/* The languages Tesseract reads, in its "+" form.  Both at once: mixed
 * pages score a mean confidence of 95 with eng+rus against 64-69 with
 * either alone (issue 15). */
#define EXTRACT_OCR_LANGS "eng+rus"

/* ---------------------------------------------------------------- Input */

typedef struct {
    gsize max_bytes;            /* input larger than this: too-large */
    guint max_pages;            /* PDF pages read (the rest are skipped,
                                 * with a warning); 0 = no limit */
    gsize max_text;             /* bytes of text kept; 0 = no limit */
    guint timeout_ms;           /* per document, enforced by the pool */
    gsize memory_mb;            /* per worker address space, by the pool */
    extract_ocr_mode_t ocr;     /* which PDF pages are recognised */
    guint ocr_page_ms;          /* per OCR'd page; OCR also stops short of
                                 * timeout_ms so the text layer's pages and
                                 * the pages already read are kept */
    const char *ocr_cache;      /* (nullable) (transfer none) directory of
                                 * OCR results by page-image hash; must
                                 * outlive every call and pool given it */
} extract_limits_t;

/* Defaults: 100 MB input, 2000 pages, 20 MB text, 60 s, 1024 MB, OCR
 * auto with 30 s per page, no OCR cache. */
void extract_limits_init(extract_limits_t *limits);

typedef struct {
    const guint8 *data;         /* (transfer none) */
    gsize len;
    const char *media_type;     /* (nullable) hint: HTTP Content-Type
                                 * without parameters, or from the name */
    const char *charset;        /* (nullable) from the HTTP header */
    const char *url;            /* (nullable) base for relative links */
    const char *filename;       /* (nullable) for the extension hint */
} extract_input_t;

/* Sniffs the media type from the first bytes (magic numbers, BOMs, markup,
 * UTF-8/Cyrillic text), falling back to @hint only where the content does
 * not tell: a PDF labelled text/html is still a PDF.  Returns: (transfer
 * none): "application/pdf", "text/html", "text/plain", or
 * "application/octet-stream" for anything else. */
const char *extract_sniff(const guint8 *data, gsize len, const char *hint);

/* ---------------------------------------------------------------- Result */

/* One page whose text Tesseract recognised. */
typedef struct {
    guint page;                 /* 1-based */
    gint confidence;            /* Tesseract's mean word confidence, 0-100 */
    gboolean cached;            /* read from limits.ocr_cache, not run */
} extract_ocr_page_t;

typedef struct {
    char *media_type;           /* as sniffed */
    char *title;                /* (nullable) */
    char *author;               /* (nullable) */
    char *description;          /* (nullable) HTML meta description */
    char *lang;                 /* "en", "ru", "kk", "ky", "tg", "uz", ...
                                 * or "" when unknown */
    char *charset;              /* (nullable) the charset the text was in */
    char *created;              /* (nullable) ISO 8601 */
    char *modified;             /* (nullable) ISO 8601 */
    guint n_pages;              /* pages in the document (PDF), else 1 */
    GPtrArray *pages;           /* (element-type utf8) the text: one element
                                 * per PDF page, or per passage of HTML and
                                 * plain text; valid UTF-8, NFC, no control
                                 * characters but '\n' */
    GPtrArray *links;           /* (element-type utf8) HTML: absolute
                                 * http(s) links, in order, distinct */
    GPtrArray *warnings;        /* (element-type utf8) e.g. "no text layer:
                                 * image-only PDF" */
    GArray *ocr;                /* (element-type extract_ocr_page_t) the
                                 * pages whose text came from OCR */
} extract_result_t;

void extract_result_init(extract_result_t *r);
void extract_result_clear(extract_result_t *r);     /* accepts cleared */
/* Returns: (transfer full): the pages joined by "\n\n". */
char *extract_result_text(const extract_result_t *r);

/* Serialises @r for the worker protocol.  Returns: (transfer full). */
char *extract_result_to_json(const extract_result_t *r, gsize *len);
/* Fills @r (initialised) from JSON made by extract_result_to_json(). */
gboolean extract_result_from_json(extract_result_t *r, const char *json,
                                  gsize len, GError **error);

/* ------------------------------------------------------------ Text quality */

/* What can be wrong with extracted text that a reader would notice and
 * the index cannot fix, each a bit of extract_text_suspect()'s answer:
 * UTF-8 read as Latin-1 or Windows-1251 ("Ð¿Ñ€Ð¸", "РїСЂРё"); glyphs
 * without a ToUnicode map (private-use code points, U+FFFD, controls);
 * text that is mostly digits and symbols (a table dump, a font with a
 * shifted encoding). */
#define EXTRACT_SUSPECT_LIST(X)                                        \
    X(EXTRACT_SUSPECT_MOJIBAKE, "mojibake")                            \
    X(EXTRACT_SUSPECT_UNMAPPED, "no ToUnicode map")                    \
    X(EXTRACT_SUSPECT_NON_LETTERS, "mostly non-letters")

typedef enum {
#define EXTRACT__SUSPECT_ENUM(name, label) name##_BIT,
    EXTRACT_SUSPECT_LIST(EXTRACT__SUSPECT_ENUM)
#undef EXTRACT__SUSPECT_ENUM
    EXTRACT_SUSPECT_N
} extract_suspect_t;

/* Returns: a bit set, 1 << EXTRACT_SUSPECT_*_BIT for each problem found in
 * @text (valid UTF-8); 0 for text that reads as text, and for text too
 * short to judge. */
guint extract_text_suspect(const char *text);

/* Returns: (transfer none): "mojibake", ... for @bit (an _BIT value). */
const char *extract_suspect_name(extract_suspect_t bit);

/* -------------------------------------------------------------- In process */

/* Extracts @in in this process.  @limits may be NULL for the defaults
 * (timeout_ms and memory_mb are ignored here).  On failure @out is left
 * cleared and @error says why, in one line. */
gboolean extract_document(const extract_input_t *in,
                          const extract_limits_t *limits,
                          extract_result_t *out, GError **error);

/* Identifies the language of @text (a sample is enough).  Returns:
 * (transfer none): a code as in extract_result_t.lang, or "". */
const char *extract_language(const char *text, gsize len);

/* ---------------------------------------------------------------- Pool */

typedef struct extract_pool extract_pool_t;

/* Starts @workers worker processes running @worker_path (NULL: the
 * ctmap-extract-worker installed beside the running program, or
 * $CTMAP_EXTRACT_WORKER).  Returns: (transfer full) (nullable). */
extract_pool_t *extract_pool_new(guint workers, const extract_limits_t *limits,
                                 const char *worker_path, GError **error);
void extract_pool_free(extract_pool_t *pool);      /* accepts NULL */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(extract_pool_t, extract_pool_free)

/* Called once per input, in the thread that called extract_pool_run(), as
 * each finishes (in any order).  @result is valid only during the call
 * (steal what you keep); @error is NULL on success. */
typedef void (*extract_done_cb)(guint index, extract_result_t *result,
                                const GError *error, gpointer rock);

/* Extracts @n inputs, up to one per worker at a time.  A worker that
 * crashes, exceeds the time limit (killed) or the memory limit yields
 * EXTRACT_ERROR_CRASHED / _TIMEOUT for that input and is restarted; the
 * others go on.  Returns FALSE only when no worker can be started at all
 * (the backend is unusable). */
gboolean extract_pool_run(extract_pool_t *pool,
                          const extract_input_t *const *inputs, guint n,
                          extract_done_cb done, gpointer rock,
                          GError **error);

typedef struct {
    guint started;              /* worker processes started (restarts too) */
    guint crashed;
    guint timed_out;
    guint documents;
} extract_pool_stats_t;

void extract_pool_stats(const extract_pool_t *pool,
                        extract_pool_stats_t *stats);

/* ------------------------------------------------------ Worker protocol */

/* The worker's side of the frames it exchanges with the pool; only
 * ctmap-extract-worker calls these.  The pool side lives in pool.c too, so
 * the wire format is in one file. */

/* Exit status of a worker that ran out of its address space (a failed
 * allocation), so the pool can say "memory limit" rather than "crashed". */
#define EXTRACT_WORKER_EXIT_NOMEM 86

typedef struct extract_request extract_request_t;

/* Writes the frame a worker sends once when it is ready for requests. */
gboolean extract_worker_write_ready(int fd, GError **error);

/* Reads one request from @fd, blocking.  Returns: (transfer full)
 * (nullable): the request; NULL with no error set at a clean end of
 * input, NULL with EXTRACT_ERROR_BACKEND on a broken frame. */
extract_request_t *extract_worker_read_request(int fd, GError **error);
/* Returns: (transfer none): valid while @req lives. */
const extract_input_t *extract_request_input(const extract_request_t *req);
/* Returns: (transfer none): valid while @req lives. */
const extract_limits_t *extract_request_limits(const extract_request_t *req);
void extract_request_free(extract_request_t *req);   /* accepts NULL */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(extract_request_t, extract_request_free)

/* Writes the reply to one request: @result when @failure is NULL, else
 * @failure's code and message. */
gboolean extract_worker_write_reply(int fd, const extract_result_t *result,
                                    const GError *failure, GError **error);

G_END_DECLS

#endif /* CTMAP_EXTRACT_EXTRACT_H */
