/* sniff.c -- the media type from the content: magic numbers, BOMs, markup,
 * text statistics; the caller's hint only where the content does not
 * tell. */
#include <string.h>

#include "extract-int.h"

#define PDF "application/pdf"
#define HTML "text/html"
#define TEXT "text/plain"
#define OTHER "application/octet-stream"

/* Readers accept "%PDF-" anywhere in the first 1024 bytes (PDF 1.7,
 * implementation note 13), and real files carry mail headers or a
 * MacBinary block before it. */
#define PDF_WINDOW 1024

/* How far into a document markup is looked for. */
#define MARKUP_WINDOW 1024

static gboolean
has_prefix(const guint8 *data, gsize len, const char *magic, gsize mlen)
{
    return len >= mlen && memcmp(data, magic, mlen) == 0;
}

static gboolean
is_binary_magic(const guint8 *d, gsize len)
{
    static const struct { const char *magic; gsize len; } magics[] = {
        { "PK\x03\x04", 4 },                    /* zip, docx, epub */
        { "PK\x05\x06", 4 },                    /* empty zip */
        { "\x89PNG\r\n\x1a\n", 8 },
        { "\xff\xd8\xff", 3 },                  /* JPEG */
        { "GIF87a", 6 },
        { "GIF89a", 6 },
        { "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8 }, /* OLE: doc, xls */
        { "\x7f" "ELF", 4 },
        { "\x1f\x8b", 2 },                      /* gzip */
        { "BZh", 3 },
        { "\xfd" "7zXZ", 5 },
        { "7z\xbc\xaf\x27\x1c", 6 },
        { "Rar!", 4 },
        { "II*\0", 4 },                         /* TIFF */
        { "MM\0*", 4 },
        { "RIFF", 4 },                          /* WebP, AVI, WAV */
        { "\0\0\0\x18" "ftyp", 8 },             /* MP4 */
        { "\0\0\0\x20" "ftyp", 8 },
        { "{\\rtf", 5 },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(magics); i++)
        if (has_prefix(d, len, magics[i].magic, magics[i].len))
            return TRUE;
    return FALSE;
}

/* "%PDF-" followed by a version ("1.7", "2.0"), so that a text that
 * merely mentions the marker is not taken for a PDF. */
static gboolean
find_pdf_header(const guint8 *d, gsize len)
{
    gsize n = MIN(len, PDF_WINDOW + 8);
    const guint8 *p = d, *end = d + n;

    while (p + 7 <= end) {
        const guint8 *m = memmem(p, (gsize)(end - p), "%PDF-", 5);
        if (!m || m + 7 > end)
            return FALSE;
        if (g_ascii_isdigit(m[5]) && m[6] == '.')
            return TRUE;
        p = m + 1;
    }
    return FALSE;
}

/* Whether the text (ASCII-compatible, after any BOM) starts with markup
 * that makes it HTML: after white space and comments, "<!DOCTYPE html",
 * "<html", "<head", "<body", or "<?xml" followed by an XHTML namespace or
 * doctype within the window. */
static gboolean
looks_like_html(const guint8 *d, gsize len)
{
    static const char *const tags[] = {
        "<!doctype html", "<html", "<head", "<body", "<title", "<meta",
        NULL
    };
    gsize n = MIN(len, MARKUP_WINDOW), i = 0;

    for (;;) {
        while (i < n && g_ascii_isspace(d[i]))
            i++;
        if (i + 4 <= n && memcmp(d + i, "<!--", 4) == 0) {
            const guint8 *e = memmem(d + i + 4, n - i - 4, "-->", 3);
            if (!e)
                return FALSE;
            i = (gsize)(e - d) + 3;
            continue;
        }
        break;
    }
    if (i >= n || d[i] != '<')
        return FALSE;
    for (guint t = 0; tags[t]; t++) {
        gsize tl = strlen(tags[t]);
        if (i + tl < n && g_ascii_strncasecmp((const char *)d + i, tags[t],
                                              tl) == 0) {
            guint8 after = d[i + tl];
            if (g_ascii_isspace(after) || after == '>' || after == '/')
                return TRUE;
        }
    }
    if (i + 5 <= n && g_ascii_strncasecmp((const char *)d + i, "<?xml", 5) == 0)
        return g_strstr_len((const char *)d + i, (gssize)(n - i),
                            "http://www.w3.org/1999/xhtml") != NULL ||
               g_strstr_len((const char *)d + i, (gssize)(n - i),
                            "<!DOCTYPE html") != NULL ||
               g_strstr_len((const char *)d + i, (gssize)(n - i),
                            "<html") != NULL;
    return FALSE;
}

/* UTF-16 text in ASCII range, as little-endian (@odd: NULs at odd offsets)
 * or big-endian; the markup check only needs the ASCII letters. */
static gsize
utf16_to_ascii(const guint8 *d, gsize len, gboolean le, guint8 *buf,
               gsize size)
{
    gsize n = 0;

    for (gsize i = 0; i + 1 < len && n < size; i += 2) {
        guint8 lo = le ? d[i] : d[i + 1], hi = le ? d[i + 1] : d[i];
        buf[n++] = hi == 0 ? lo : '?';
    }
    return n;
}

/* Text: no NUL, and control bytes other than white space and ESC make up
 * less than 1% of the first 8 KB.  Single-byte Cyrillic and Latin text
 * passes; binary formats nobody listed above do not. */
static gboolean
looks_like_text(const guint8 *d, gsize len)
{
    gsize n = MIN(len, 8192), bad = 0;

    for (gsize i = 0; i < n; i++) {
        guint8 c = d[i];
        if (c == 0)
            return FALSE;
        if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' &&
            c != '\v' && c != 0x1b)
            bad++;
    }
    return bad * 100 <= n;
}

static gboolean
hint_is(const char *hint, const char *type)
{
    return hint && g_ascii_strcasecmp(hint, type) == 0;
}

const char *
extract_sniff(const guint8 *data, gsize len, const char *hint)
{
    guint8 ascii[MARKUP_WINDOW];

    if (len == 0) {
        /* Nothing to look at: believe the hint, so that an empty .pdf is
         * a broken PDF rather than an empty text. */
        if (hint_is(hint, PDF))
            return PDF;
        if (hint_is(hint, HTML) || hint_is(hint, "application/xhtml+xml"))
            return HTML;
        return TEXT;
    }
    if (find_pdf_header(data, len))
        return PDF;
    if (has_prefix(data, len, "\xef\xbb\xbf", 3))
        return looks_like_html(data + 3, len - 3) ? HTML : TEXT;
    if (has_prefix(data, len, "\xff\xfe", 2) ||
        has_prefix(data, len, "\xfe\xff", 2)) {
        gsize n = utf16_to_ascii(data + 2, len - 2, data[0] == 0xff, ascii,
                                 sizeof(ascii));
        return looks_like_html(ascii, n) ? HTML : TEXT;
    }
    if (is_binary_magic(data, len))
        return OTHER;
    if (looks_like_html(data, len))
        return HTML;
    if (!looks_like_text(data, len))
        return OTHER;
    /* Text that does not open with markup: an HTML fragment served as
     * text/html (no <html>, just <p>s) is still best read as HTML, and an
     * XHTML page served as such is HTML too. */
    if (hint_is(hint, HTML) || hint_is(hint, "application/xhtml+xml")) {
        gsize n = MIN(len, MARKUP_WINDOW);
        if (memchr(data, '<', n))
            return HTML;
    }
    return TEXT;
}
