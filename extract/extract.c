/* extract.c -- the error domain, the limits, dispatch to a backend by the
 * sniffed media type, and the text clean-up every backend's output goes
 * through. */
#include <string.h>

#include "extract-int.h"

/* ---------------------------------------------------------------- Errors */

G_DEFINE_QUARK(ctmap-extract-error-quark, extract_error)

typedef struct {
    const char *kind;
    const char *status;
} error_name_t;

static const error_name_t error_names[] = {
#define EXTRACT__NAME(name, kind, status) { kind, status },
    EXTRACT_ERROR_LIST(EXTRACT__NAME)
#undef EXTRACT__NAME
};

const char *
extract_error_kind(int code)
{
    if (code < 0 || code >= EXTRACT_ERROR_N)
        return "unknown";
    return error_names[code].kind;
}

/* An unknown code is a programming error somewhere; "broken" is the status
 * that keeps such a document out of the index without hiding it. */
const char *
extract_error_status(int code)
{
    if (code < 0 || code >= EXTRACT_ERROR_N)
        return "broken";
    return error_names[code].status;
}

void
extract_limits_init(extract_limits_t *limits)
{
    limits->max_bytes = (gsize)100 * 1024 * 1024;
    limits->max_pages = 2000;
    limits->max_text = (gsize)20 * 1024 * 1024;
    limits->timeout_ms = 60 * 1000;
    limits->memory_mb = 1024;
    limits->ocr = EXTRACT_OCR_AUTO;
    limits->ocr_page_ms = 30 * 1000;
    limits->ocr_cache = NULL;
}

static const char *const ocr_names[] = {
#define EXTRACT__OCR_NAME(name, label) label,
    EXTRACT_OCR_LIST(EXTRACT__OCR_NAME)
#undef EXTRACT__OCR_NAME
};

const char *
extract_ocr_mode_name(extract_ocr_mode_t mode)
{
    return (guint)mode < EXTRACT_OCR_N ? ocr_names[mode] : "auto";
}

gboolean
extract_ocr_mode_parse(const char *s, extract_ocr_mode_t *mode,
                       GError **error)
{
    for (guint i = 0; i < EXTRACT_OCR_N; i++) {
        if (g_strcmp0(s, ocr_names[i]) == 0) {
            *mode = (extract_ocr_mode_t)i;
            return TRUE;
        }
    }
    g_set_error(error, EXTRACT_ERROR, EXTRACT_ERROR_UNSUPPORTED,
                "OCR mode '%s': expected auto, off or force", s ? s : "");
    return FALSE;
}

/* ---------------------------------------------------------------- Clean-up
 *
 * The rules, in the order a character meets them:
 *
 * - Invalid UTF-8 becomes U+FFFD (g_utf8_make_valid), and U+FFFD a space,
 *   so that a bad byte splits words instead of gluing them.
 * - Compatibility characters are folded (NFKC) one at a time, and only in
 *   the presentation-form blocks: U+FB00-FB4F (the Latin ligatures ﬁ ﬂ ﬀ
 *   ﬃ ﬄ ﬅ ﬆ, Armenian and Hebrew forms), U+FB50-FDFF and U+FE70-FEFE
 *   (Arabic contextual forms, which PDFs often carry instead of letters),
 *   U+FE10-FE6F (vertical and small forms) and U+FF01-FFEE (half- and
 *   full-width forms).  Every character there is a typographic variant of
 *   ordinary text, so folding it loses nothing a reader sees.  NFKC over
 *   the whole text would also turn superscript footnote digits into
 *   ordinary ones glued to the word ("extremism¹" -> "extremism1"), "½"
 *   into "1⁄2", "№" into "No" and "™" into "TM", which changes what the
 *   words are; so the rest of the text only gets NFC.
 * - NFC is applied at the end when the text holds anything that NFC can
 *   change: a combining mark, a CJK compatibility ideograph or one of the
 *   few singletons (Ohm, Kelvin, Angstrom signs, Greek tonos forms).  Text
 *   without them is already NFC, which spares the common case a second
 *   pass over every character.
 * - Control characters go, except '\n'; '\t' becomes a space; '\f', '\v',
 *   '\r', U+0085, U+2028 and U+2029 become '\n'.  The soft hyphen U+00AD,
 *   zero-width space, word joiner and BOM go.  No-break and typographic
 *   spaces become ' '.
 * - Runs of spaces become one space; spaces at either end of a line go;
 *   more than one blank line becomes one; the text is trimmed.
 * - Hyphenation: a '-' (or U+2010) that ends a line, follows a letter and
 *   is followed on the next line by a lower-case letter is a word broken by
 *   the typesetter: "coun-\ntering" -> "countering".  Two exceptions keep
 *   the hyphen (and drop only the line break): when the part before it is
 *   a prefix that English and Russian write with a hyphen (hyphen_prefixes
 *   below: "counter-\nterrorism" -> "counter-terrorism"), and when it holds
 *   a digit or a capital after its first letter ("UN-\nled", "COVID-\n19"
 *   is not lower-case anyway).  A soft hyphen before a line break joins
 *   the two parts without a hyphen.  The rule errs toward joining: a
 *   compound not in the list loses its hyphen, which costs a search for
 *   the compound little, while a word left split costs a search for it
 *   everything.
 */

static const char *const hyphen_prefixes[] = {
    "anti", "co", "counter", "cross", "cyber", "e", "ex", "inter", "intra",
    "multi", "non", "post", "pre", "self", "semi", "socio", "well",
    "военно", "информационно", "историко",
    "культурно", "научно", "общественно",
    "политико", "северо", "социально",
    "уголовно", "финансово", "экономико", "юго",
    NULL
};

static gboolean
is_prefix_word(const char *word, gsize len)
{
    g_autofree char *lower = g_utf8_strdown(word, (gssize)len);

    for (guint i = 0; hyphen_prefixes[i]; i++)
        if (strcmp(lower, hyphen_prefixes[i]) == 0)
            return TRUE;
    return FALSE;
}

static gboolean
is_hyphen(gunichar c)
{
    return c == '-' || c == 0x2010;
}

/* Characters whose presence means NFC might change the text. */
static gboolean
needs_nfc(gunichar c)
{
    if (c < 0x300)
        return FALSE;
    if (g_unichar_ismark(c))
        return TRUE;
    return (c >= 0x1100 && c <= 0x11FF) || (c >= 0x1F00 && c <= 0x1FFF) ||
           (c >= 0xF900 && c <= 0xFAFF) || c == 0x2126 || c == 0x212A ||
           c == 0x212B || c == 0x0340 || c == 0x0341 || c == 0x0343 ||
           c == 0x0344 || c == 0x0374 || c == 0x037E || c == 0x0387;
}

static gboolean
is_presentation_form(gunichar c)
{
    return (c >= 0xFB00 && c <= 0xFDFF) || (c >= 0xFE10 && c <= 0xFE6F) ||
           (c >= 0xFE70 && c <= 0xFEFE) || (c >= 0xFF01 && c <= 0xFFEE);
}

typedef enum { CH_DROP, CH_SPACE, CH_NEWLINE, CH_SHY, CH_TEXT } ch_class_t;

static ch_class_t
classify(gunichar c)
{
    if (c < 0x20) {
        if (c == '\n' || c == '\f' || c == '\v' || c == '\r')
            return CH_NEWLINE;
        return c == '\t' ? CH_SPACE : CH_DROP;
    }
    if (c < 0x7F)
        return c == ' ' ? CH_SPACE : CH_TEXT;
    if (c <= 0x9F)
        return c == 0x85 ? CH_NEWLINE : CH_DROP;
    switch (c) {
    case 0x00A0: case 0x1680: case 0x202F: case 0x205F: case 0x3000:
    case 0xFFFD:
        return CH_SPACE;
    case 0x00AD:
        return CH_SHY;
    case 0x200B: case 0x2060: case 0xFEFF:
        return CH_DROP;
    case 0x2028: case 0x2029:
        return CH_NEWLINE;
    default:
        break;
    }
    if (c >= 0x2000 && c <= 0x200A)
        return CH_SPACE;
    return CH_TEXT;
}

typedef struct {
    GString *out;
    guint pending_nl;           /* line breaks seen since the last text */
    gboolean pending_space;
    gboolean shy;               /* a soft hyphen since the last text */
    gboolean nfc;               /* the text needs an NFC pass */
} cleaner_t;

/* Decides how a single line break before @next is written, given what the
 * output ends with: joined without the hyphen, joined with it, or kept. */
static void
join_line(cleaner_t *cl, gunichar next)
{
    GString *o = cl->out;
    const char *end = o->str + o->len;
    const char *hy = g_utf8_find_prev_char(o->str, end);
    const char *p, *word;
    gboolean caps_or_digit = FALSE;

    if (cl->shy && g_unichar_isalpha(g_utf8_get_char(hy)) &&
        g_unichar_isalpha(next))
        return;                                 /* "coun\u00AD\ntering" */
    if (!hy || !is_hyphen(g_utf8_get_char(hy)) || !g_unichar_islower(next))
        goto keep;
    /* The word before the hyphen: letters back to the previous non-letter
     * (at most 32 characters, a bound for pathological input). */
    word = hy;
    for (int i = 0; i < 32; i++) {
        p = g_utf8_find_prev_char(o->str, word);
        if (!p)
            break;
        gunichar c = g_utf8_get_char(p);
        if (g_unichar_isdigit(c)) {
            caps_or_digit = TRUE;
        } else if (!g_unichar_isalpha(c)) {
            break;
        }
        word = p;
    }
    if (word == hy)
        goto keep;                              /* " -\nfoo": a dash */
    for (p = g_utf8_next_char(word); p < hy; p = g_utf8_next_char(p))
        if (g_unichar_isupper(g_utf8_get_char(p)))
            caps_or_digit = TRUE;
    if (caps_or_digit || is_prefix_word(word, (gsize)(hy - word)))
        return;                                 /* "counter-terrorism" */
    g_string_truncate(o, (gsize)(hy - o->str)); /* "countering" */
    return;
keep:
    g_string_append_c(o, '\n');
}

static void
emit(cleaner_t *cl, gunichar c)
{
    if (cl->pending_nl == 1) {
        join_line(cl, c);
    } else if (cl->pending_nl > 1) {
        g_string_append(cl->out, "\n\n");
    } else if (cl->pending_space) {
        g_string_append_c(cl->out, ' ');
    }
    cl->pending_nl = 0;
    cl->pending_space = FALSE;
    cl->shy = FALSE;
    if (c < 0x80) {
        g_string_append_c(cl->out, (char)c);
        return;
    }
    if (needs_nfc(c))
        cl->nfc = TRUE;
    g_string_append_unichar(cl->out, c);
}

char *
extract__text_clean(const char *raw, gssize len)
{
    g_autofree char *valid = NULL;
    cleaner_t cl = { 0 };
    const char *p, *end;
    gsize n = len < 0 ? strlen(raw) : (gsize)len;

    if (!g_utf8_validate(raw, (gssize)n, NULL)) {
        valid = g_utf8_make_valid(raw, (gssize)n);
        raw = valid;
        n = strlen(valid);
    }
    cl.out = g_string_sized_new(n + 1);
    end = raw + n;
    for (p = raw; p < end;) {
        gunichar c;
        if ((guchar)*p < 0x80) {
            c = (guchar)*p++;
            if (c == '\r' && p < end && *p == '\n')
                continue;                       /* CRLF: one break */
        } else {
            c = g_utf8_get_char(p);
            p = g_utf8_next_char(p);
        }
        switch (classify(c)) {
        case CH_DROP:
            break;
        case CH_SHY:
            cl.shy = TRUE;
            break;
        case CH_SPACE:
            if (cl.out->len > 0 && cl.pending_nl == 0)
                cl.pending_space = TRUE;
            break;
        case CH_NEWLINE:
            cl.pending_space = FALSE;
            if (cl.out->len > 0)
                cl.pending_nl++;
            break;
        case CH_TEXT:
            if (is_presentation_form(c)) {
                gunichar dec[G_UNICHAR_MAX_DECOMPOSITION_LENGTH];
                gsize nd = g_unichar_fully_decompose(c, TRUE, dec,
                                                     G_N_ELEMENTS(dec));
                for (gsize i = 0; i < nd; i++)
                    if (classify(dec[i]) == CH_TEXT)
                        emit(&cl, dec[i]);
            } else {
                emit(&cl, c);
            }
            break;
        }
    }
    if (cl.nfc) {
        char *nfc = g_utf8_normalize(cl.out->str, (gssize)cl.out->len,
                                     G_NORMALIZE_DEFAULT_COMPOSE);
        g_string_free(cl.out, TRUE);
        return nfc;
    }
    return g_string_free(cl.out, FALSE);
}

/* A title, author or description: cleaned, on one line. */
static char *
clean_line(const char *raw)
{
    char *s = extract__text_clean(raw, -1);
    char *w = s;

    for (const char *r = s; *r; r++) {
        char c = *r == '\n' ? ' ' : *r;
        if (c == ' ' && w > s && w[-1] == ' ')
            continue;
        *w++ = c;
    }
    *w = '\0';
    if (!*s) {
        g_free(s);
        return NULL;
    }
    return s;
}

/* ---------------------------------------------------------------- Passages */

/* Appends @len bytes of @text to @pages, cut into pieces of at most about
 * twice the passage size at a line end, else a space, else any UTF-8
 * boundary. */
static void
add_long(const char *text, gsize len, GPtrArray *pages)
{
    while (len > 2 * EXTRACT__PASSAGE_BYTES) {
        const char *lim = text + EXTRACT__PASSAGE_BYTES;
        const char *cut = NULL;
        for (const char *q = lim; q > text + EXTRACT__PASSAGE_BYTES / 2; q--)
            if (*q == '\n') {
                cut = q;
                break;
            }
        for (const char *q = lim; !cut && q > text; q--)
            if (*q == ' ')
                cut = q;
        if (!cut) {
            cut = lim;
            while (cut > text && ((guchar)*cut & 0xC0) == 0x80)
                cut--;
            if (cut == text)
                cut = lim;
        }
        g_ptr_array_add(pages, g_strndup(text, (gsize)(cut - text)));
        len -= (gsize)(cut - text);
        text = cut;
    }
    if (len > 0)
        g_ptr_array_add(pages, g_strndup(text, len));
}

void
extract__passages_split(const char *text, gsize len, GPtrArray *pages)
{
    g_autoptr(GString) cur = g_string_new(NULL);
    const char *p = text, *end = text + len;

    while (p < end) {
        /* One paragraph: up to a line that holds only white space. */
        const char *para = p, *q = p, *pend = end, *next = end;
        while (q < end) {
            const char *nl = memchr(q, '\n', (gsize)(end - q));
            if (!nl)
                break;
            const char *r = nl + 1;
            while (r < end && (*r == ' ' || *r == '\t' || *r == '\r'))
                r++;
            if (r < end && *r == '\n') {
                pend = nl;
                next = r + 1;
                break;
            }
            q = nl + 1;
        }
        p = next;
        gsize plen = (gsize)(pend - para);
        gboolean blank = TRUE;
        for (gsize i = 0; i < plen && blank; i++)
            blank = g_ascii_isspace(para[i]);
        if (blank)
            continue;
        if (cur->len > 0 && cur->len + plen > EXTRACT__PASSAGE_BYTES) {
            g_ptr_array_add(pages, g_strndup(cur->str, cur->len));
            g_string_truncate(cur, 0);
        }
        if (plen > 2 * EXTRACT__PASSAGE_BYTES) {
            add_long(para, plen, pages);
            continue;
        }
        if (cur->len > 0)
            g_string_append(cur, "\n\n");
        g_string_append_len(cur, para, (gssize)plen);
    }
    if (cur->len > 0)
        g_ptr_array_add(pages, g_strndup(cur->str, cur->len));
}

/* ---------------------------------------------------------------- Dispatch */

static const extract_backend_t *const backends[] = {
    &extract__backend_pdf,
    &extract__backend_html,
    &extract__backend_text,
};

static const extract_backend_t *
backend_for(const char *media_type)
{
    for (gsize i = 0; i < G_N_ELEMENTS(backends); i++)
        for (const char *const *m = backends[i]->media_types; *m; m++)
            if (strcmp(*m, media_type) == 0)
                return backends[i];
    return NULL;
}

/* A media-type hint from a file name, for when the input has none. */
static const char *
hint_from_name(const char *filename)
{
    static const struct { const char *ext, *type; } ext_types[] = {
        { ".pdf", "application/pdf" },
        { ".html", "text/html" },
        { ".htm", "text/html" },
        { ".xhtml", "application/xhtml+xml" },
        { ".txt", "text/plain" },
    };
    const char *dot = filename ? strrchr(filename, '.') : NULL;

    if (!dot)
        return NULL;
    for (gsize i = 0; i < G_N_ELEMENTS(ext_types); i++)
        if (g_ascii_strcasecmp(dot, ext_types[i].ext) == 0)
            return ext_types[i].type;
    return NULL;
}

static void
set_str(char **field, char *value)
{
    g_free(*field);
    *field = value;
}

static void
clean_field(char **field)
{
    if (*field)
        set_str(field, clean_line(*field));
}

/* Language samples come from the middle of the text: the first pages of a
 * report are its cover, contents and acronyms, which say least about the
 * language it is written in. */
#define LANG_SAMPLE 4096

static const char *
identify(const extract_result_t *r)
{
    g_autoptr(GString) sample = g_string_sized_new(LANG_SAMPLE + 8);
    gsize total = 0, skip;
    guint i;

    for (i = 0; i < r->pages->len; i++)
        total += strlen(r->pages->pdata[i]) + 1;
    skip = total > LANG_SAMPLE ? (total - LANG_SAMPLE) / 2 : 0;
    for (i = 0; i < r->pages->len && sample->len < LANG_SAMPLE; i++) {
        const char *page = r->pages->pdata[i];
        gsize plen = strlen(page);
        if (skip >= plen + 1) {
            skip -= plen + 1;
            continue;
        }
        const char *from = page + skip;
        skip = 0;
        while (from > page && ((guchar)*from & 0xC0) == 0x80)
            from--;
        gsize take = MIN((gsize)(page + plen - from),
                         LANG_SAMPLE - sample->len);
        g_string_append_len(sample, from, (gssize)take);
        g_string_append_c(sample, '\n');
    }
    /* The sample may end inside a character; the identifier only needs
     * valid UTF-8 up to there. */
    const char *valid_end;
    g_utf8_validate(sample->str, (gssize)sample->len, &valid_end);
    return extract_language(sample->str, (gsize)(valid_end - sample->str));
}

/* Cleans every page and enforces @max_text over their sum. */
static void
clean_pages(extract_result_t *r, gsize max_text)
{
    gsize total = 0;
    guint i;

    for (i = 0; i < r->pages->len; i++) {
        char *clean = extract__text_clean(r->pages->pdata[i], -1);
        gsize len = strlen(clean);
        g_free(r->pages->pdata[i]);
        r->pages->pdata[i] = clean;
        if (max_text && total + len > max_text) {
            const char *cut = clean + (max_text - total);
            while (cut > clean && ((guchar)*cut & 0xC0) == 0x80)
                cut--;
            *(char *)cut = '\0';
            g_ptr_array_add(r->warnings,
                            g_strdup_printf("text truncated at %" G_GSIZE_FORMAT
                                            " bytes", max_text));
            g_ptr_array_set_size(r->pages, i + 1);
            return;
        }
        total += len;
    }
}

gboolean
extract_document(const extract_input_t *in, const extract_limits_t *limits,
                 extract_result_t *out, GError **error)
{
    extract_limits_t defaults;
    const extract_backend_t *backend;
    const char *hint, *media;

    if (!limits) {
        extract_limits_init(&defaults);
        limits = &defaults;
    }
    extract_result_init(out);
    if (!out->pages)
        out->pages = g_ptr_array_new_with_free_func(g_free);
    if (!out->links)
        out->links = g_ptr_array_new_with_free_func(g_free);
    if (!out->warnings)
        out->warnings = g_ptr_array_new_with_free_func(g_free);
    if (!out->ocr)
        out->ocr = g_array_new(FALSE, TRUE, sizeof(extract_ocr_page_t));

    if (limits->max_bytes && in->len > limits->max_bytes) {
        g_set_error(error, EXTRACT_ERROR, EXTRACT_ERROR_TOO_LARGE,
                    "%" G_GSIZE_FORMAT " bytes, more than the limit of %"
                    G_GSIZE_FORMAT, in->len, limits->max_bytes);
        extract_result_clear(out);
        return FALSE;
    }
    hint = in->media_type ? in->media_type : hint_from_name(in->filename);
    media = extract_sniff(in->data, in->len, hint);
    backend = backend_for(media);
    if (!backend) {
        g_set_error(error, EXTRACT_ERROR, EXTRACT_ERROR_UNSUPPORTED,
                    "unsupported content (%s)", hint ? hint : media);
        extract_result_clear(out);
        return FALSE;
    }
    set_str(&out->media_type, g_strdup(media));
    out->n_pages = 1;
    if (!backend->run(in, limits, out, error)) {
        extract_result_clear(out);
        return FALSE;
    }
    clean_pages(out, limits->max_text);
    clean_field(&out->title);
    clean_field(&out->author);
    clean_field(&out->description);

    /* A backend may leave a declared language (HTML lang="...") in lang;
     * the identifier's answer wins when it has one. */
    const char *lang = identify(out);
    if (*lang || !out->lang)
        set_str(&out->lang, g_strdup(lang));
    return TRUE;
}
