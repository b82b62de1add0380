/* text.c -- plain text: UTF-8, UTF-16 with a BOM, and the single-byte
 * Cyrillic and Latin charsets told apart by letter statistics. */
#include <errno.h>
#include <string.h>

#include "extract-int.h"

/* ---------------------------------------------------------------- Charsets */

/* Bytes examined when guessing a charset: enough for a stable statistic,
 * little enough to stay cheap on a large file. */
#define GUESS_SAMPLE 65536

char *
extract__charset_convert(const guint8 *data, gsize len, const char *charset,
                         gsize *out_len)
{
    GIConv cd = g_iconv_open("UTF-8", charset);
    GString *out;
    gchar *in = (gchar *)data;
    gsize in_left = len;
    gsize step = g_ascii_strncasecmp(charset, "utf-16", 6) == 0 ? 2 : 1;
    char buf[8192];

    if (cd == (GIConv)-1)
        return NULL;
    out = g_string_sized_new(len + len / 2 + 1);
    /* g_convert() gives up on the first byte the charset does not define
     * (0x98 in windows-1251, say); a document with one stray byte is still
     * a document, so each such byte becomes U+FFFD and conversion goes
     * on. */
    while (in_left > 0) {
        gchar *o = buf;
        gsize o_left = sizeof(buf);
        gsize r = g_iconv(cd, &in, &in_left, &o, &o_left);
        g_string_append_len(out, buf, (gssize)(sizeof(buf) - o_left));
        if (r != (gsize)-1)
            continue;
        if (errno == E2BIG)
            continue;
        if (errno == EINVAL)
            break;                      /* incomplete sequence at the end */
        g_string_append(out, "\xef\xbf\xbd");
        gsize skip = MIN(step, in_left);
        in += skip;
        in_left -= skip;
    }
    g_iconv_close(cd);
    if (out_len)
        *out_len = out->len;
    return g_string_free(out, FALSE);
}

gboolean
extract__utf8_mostly(const guint8 *data, gsize len)
{
    gsize good = 0, bad = 0;
    const char *p = (const char *)data, *end = p + len;

    while (p < end) {
        const char *stop;
        if (g_utf8_validate(p, end - p, &stop))
            break;
        /* Count the well-formed multi-byte characters before the bad
         * byte, then step over it. */
        for (const char *q = p; q < stop; q++)
            if (((guchar)*q & 0xC0) == 0xC0)
                good++;
        if (*stop == '\0') {
            p = stop + 1;               /* a NUL: neither good nor bad */
            continue;
        }
        bad++;
        p = stop + 1;
    }
    for (; p < end; p++)
        if (((guchar)*p & 0xC0) == 0xC0)
            good++;
    return good > 0 && bad * 4 <= good;
}

/* Russian letters by frequency (о е а и н т с р в л first). */
static const char russian_common[] = "оеаинтсрвл";

/* Scores @text as Russian: common lower-case letters count two, other
 * lower-case Cyrillic one; an upper-case Cyrillic letter right after a
 * lower-case one (what KOI8-R read as windows-1251 looks like, and the
 * reverse) costs four, and characters no Russian text uses (box drawing,
 * the odd Serbian or Macedonian letters) cost two. */
static glong
russian_score(const char *text)
{
    glong score = 0;
    gboolean prev_lower = FALSE;

    for (const char *p = text; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        gboolean lower = FALSE;
        if (c < 0x80) {
            prev_lower = FALSE;
            continue;
        }
        if (c >= 0x0430 && c <= 0x044F) {
            char u[8];
            u[g_unichar_to_utf8(c, u)] = '\0';
            score += strstr(russian_common, u) ? 2 : 1;
            lower = TRUE;
        } else if (c >= 0x0410 && c <= 0x042F) {
            if (prev_lower)
                score -= 4;
        } else if (c != 0x0451 && c != 0x0401 && c != 0x2116 &&
                   !(c >= 0x2010 && c <= 0x2030) && c != 0xAB &&
                   c != 0xBB && c != 0xA0 && c != 0xFFFD) {
            score -= 2;
        }
        prev_lower = lower;
    }
    return score;
}

const char *
extract__charset_guess(const guint8 *data, gsize len)
{
    static const char *const cyrillic[] = { "windows-1251", "koi8-r" };
    gsize n = MIN(len, GUESS_SAMPLE), hi = 0, hi_adjacent = 0;
    const char *best = "windows-1252";
    glong best_score = 0;

    /* Cyrillic words are runs of bytes >= 0xC0 in both Cyrillic charsets;
     * in Western European text such bytes are accented letters between
     * ASCII ones.  Mostly isolated high letters mean windows-1252. */
    for (gsize i = 0; i < n; i++) {
        if (data[i] < 0xC0)
            continue;
        hi++;
        if ((i > 0 && data[i - 1] >= 0xC0) ||
            (i + 1 < n && data[i + 1] >= 0xC0))
            hi_adjacent++;
    }
    if (hi == 0 || hi_adjacent * 2 < hi)
        return best;
    for (gsize i = 0; i < G_N_ELEMENTS(cyrillic); i++) {
        g_autofree char *text = extract__charset_convert(data, n, cyrillic[i],
                                                         NULL);
        glong score = text ? russian_score(text) : G_MINLONG;
        if (score > best_score) {
            best_score = score;
            best = cyrillic[i];
        }
    }
    return best;
}

static gboolean
is_utf8_name(const char *charset)
{
    return g_ascii_strcasecmp(charset, "utf-8") == 0 ||
           g_ascii_strcasecmp(charset, "utf8") == 0;
}

static gboolean
has_high_bytes(const guint8 *data, gsize len)
{
    for (gsize i = 0; i < len; i++)
        if (data[i] >= 0x80)
            return TRUE;
    return FALSE;
}

const char *
extract__charset_choose(const guint8 *data, gsize len, const char *declared)
{
    gboolean valid = g_utf8_validate((const char *)data, (gssize)len, NULL);

    if (declared && *declared && !is_utf8_name(declared)) {
        GIConv cd;
        /* Pure ASCII fits every charset anyone declares; otherwise bytes
         * that are well-formed UTF-8 are UTF-8, as a single-byte text
         * almost never is by accident. */
        if (valid && has_high_bytes(data, len))
            return "utf-8";
        cd = g_iconv_open("UTF-8", declared);
        if (cd != (GIConv)-1) {
            g_iconv_close(cd);
            return declared;
        }
    }
    if (valid || extract__utf8_mostly(data, len))
        return "utf-8";
    return extract__charset_guess(data, len);
}

/* ---------------------------------------------------------------- Backend */

/* Binary: control bytes other than white space (NUL included) are more
 * than 1% of the whole. */
static gboolean
is_binary(const guint8 *data, gsize len)
{
    gsize bad = 0;

    for (gsize i = 0; i < len; i++) {
        guint8 c = data[i];
        if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' &&
            c != '\v' && c != 0x1b)
            bad++;
    }
    return bad * 100 > len;
}

static gboolean
text_run(const extract_input_t *in, const extract_limits_t *limits,
         extract_result_t *out, GError **error)
{
    const guint8 *d = in->data;
    gsize len = in->len, tlen;
    const char *charset = NULL;
    g_autofree char *converted = NULL;
    const char *text;

    (void)limits;
    if (len >= 3 && memcmp(d, "\xef\xbb\xbf", 3) == 0) {
        d += 3;
        len -= 3;
        charset = "utf-8";
    } else if (len >= 2 && (memcmp(d, "\xff\xfe", 2) == 0 ||
                            memcmp(d, "\xfe\xff", 2) == 0)) {
        charset = d[0] == 0xff ? "utf-16le" : "utf-16be";
        d += 2;
        len -= 2;
    } else if (is_binary(d, len)) {
        g_set_error(error, EXTRACT_ERROR, EXTRACT_ERROR_UNSUPPORTED,
                    "binary content, not text");
        return FALSE;
    } else {
        charset = extract__charset_choose(d, len, in->charset);
    }
    if (is_utf8_name(charset)) {
        text = (const char *)d;         /* invalid bytes: the clean-up */
        tlen = len;
    } else {
        converted = extract__charset_convert(d, len, charset, &tlen);
        if (!converted) {
            g_set_error(error, EXTRACT_ERROR, EXTRACT_ERROR_UNSUPPORTED,
                        "unknown charset %s", charset);
            return FALSE;
        }
        text = converted;
    }
    out->charset = g_ascii_strdown(charset, -1);
    extract__passages_split(text, tlen, out->pages);
    return TRUE;
}

static const char *const text_types[] = { "text/plain", NULL };

const extract_backend_t extract__backend_text = {
    "text", text_types, text_run,
};
