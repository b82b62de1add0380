/* lang.c -- language identification: libexttextcat's n-gram fingerprints,
 * then a letter check that tells the Cyrillic Central Asian languages from
 * Russian.
 *
 * What it can tell apart: English, Russian, Ukrainian, Belarusian, French,
 * German, Spanish, Turkish, Arabic, Persian, Chinese reliably on a few
 * hundred bytes; Kazakh, Kyrgyz, Tajik and Uzbek in Cyrillic by their own
 * letters, which n-grams alone confuse with Russian on short samples.
 * What it cannot: Uzbek or Turkmen in Latin script against each other or
 * against Turkish on short samples (fingerprints only); Tajik against
 * Persian when written in Arabic script; mixed-language documents (a
 * Russian report with a Kazakh annex is whatever its middle is written
 * in); and anything under a few dozen letters, which is "".
 */
#include <string.h>

#include <libexttextcat/textcat.h>

#include "extract-int.h"

#ifndef CTMAP_FPDB_DIR
#define CTMAP_FPDB_DIR "/usr/share/libexttextcat/"
#endif

/* The identifier is built once per process.  textcat_Classify() writes
 * into a buffer inside the handle, so calls are serialised. */
static GOnce init_once = G_ONCE_INIT;
static GMutex classify_lock;

/* The configuration: $CTMAP_FPDB_CONF, else the one shipped in the tree
 * (extract/fpdb.conf, whose path the build passes as CTMAP_FPDB_CONF),
 * else the full list the system ships, which is slower and confuses more
 * languages but works. */
static gpointer
init_textcat(gpointer unused)
{
    const char *env = g_getenv("CTMAP_FPDB_CONF");
    const char *candidates[3];
    guint n = 0;

    (void)unused;
    if (env && *env)
        candidates[n++] = env;
#ifdef CTMAP_FPDB_CONF
    candidates[n++] = CTMAP_FPDB_CONF;
#endif
    candidates[n++] = CTMAP_FPDB_DIR "fpdb.conf";
    for (guint i = 0; i < n; i++) {
        void *h;
        if (!g_file_test(candidates[i], G_FILE_TEST_IS_REGULAR))
            continue;
        h = special_textcat_Init(candidates[i], CTMAP_FPDB_DIR);
        if (h)
            return h;
        g_debug("language fingerprints: cannot load %s", candidates[i]);
    }
    return NULL;
}

/* ---------------------------------------------------------------- Letters */

typedef struct {
    guint cyrillic;             /* Cyrillic letters in all */
    guint kk;                   /* ә ұ і: Kazakh and no other here */
    guint shared_kk_ky;         /* ң ө ү: Kazakh and Kyrgyz */
    guint gh_q;                 /* ғ қ: Kazakh, Tajik, Uzbek */
    guint h;                    /* ҳ: Tajik and Uzbek */
    guint tg;                   /* ӣ ӯ ҷ: Tajik only */
    guint short_u;              /* ў: Uzbek (and Belarusian) */
    guint uk;                   /* ї є ґ: Ukrainian */
} letters_t;

static void
count_letters(const char *text, gsize len, letters_t *n)
{
    const char *end = text + len;

    memset(n, 0, sizeof(*n));
    for (const char *p = text; p < end; p = g_utf8_next_char(p)) {
        if ((guchar)*p < 0x80)
            continue;
        gunichar c = g_unichar_tolower(g_utf8_get_char(p));
        if (c < 0x0400 || c > 0x04FF)
            continue;
        n->cyrillic++;
        switch (c) {
        case 0x04D9: case 0x04B1: case 0x0456:          /* ә ұ і */
            n->kk++;
            break;
        case 0x04A3: case 0x04E9: case 0x04AF:          /* ң ө ү */
            n->shared_kk_ky++;
            break;
        case 0x0493: case 0x049B:                       /* ғ қ */
            n->gh_q++;
            break;
        case 0x04B3:                                    /* ҳ */
            n->h++;
            break;
        case 0x04E3: case 0x04EF: case 0x04B7:          /* ӣ ӯ ҷ */
            n->tg++;
            break;
        case 0x045E:                                    /* ў */
            n->short_u++;
            break;
        case 0x0457: case 0x0454: case 0x0491:          /* ї є ґ */
            n->uk++;
            break;
        default:
            break;
        }
    }
}

/* Letters that make up at least 1 in 50 Cyrillic letters are the text's
 * own, not a quoted name ("Қазақстан" once in a Russian report). */
static gboolean
frequent(guint count, guint total)
{
    return count >= 3 && count * 50 >= total;
}

/* The Cyrillic decision, or NULL to keep the fingerprints' answer.
 * Kazakh writes ә ұ і all the time; Tajik alone has ӣ ӯ ҷ;
 * Uzbek has ў with қ ғ ҳ (Belarusian has ў without them);
 * Kyrgyz has ң ө ү but none of the Kazakh letters. */
static const char *
cyrillic_language(const letters_t *n)
{
    guint t = n->cyrillic;

    if (t < 20)
        return NULL;
    if (frequent(n->tg, t))
        return "tg";
    /* ў is rarer than the others (one letter in a hundred in Uzbek) but
     * no language here except Belarusian, which writes і, has it. */
    if (n->short_u >= 2 && frequent(n->gh_q + n->h, t) && !frequent(n->kk, t))
        return "uz";
    if (frequent(n->kk, t) && (frequent(n->gh_q, t) ||
                               frequent(n->shared_kk_ky, t)))
        return "kk";
    if (frequent(n->shared_kk_ky, t) && !frequent(n->gh_q, t) &&
        !frequent(n->kk, t))
        return "ky";
    if (frequent(n->h, t) && frequent(n->gh_q, t))
        return "tg";
    return NULL;
}

/* Below this many letters the n-gram statistics say nothing: "ok" comes
 * out Slovak. */
#define MIN_LETTERS 16

static gboolean
enough_letters(const char *text, gsize len)
{
    const char *end = text + len;
    guint n = 0;

    for (const char *p = text; p < end && n < MIN_LETTERS;
         p = g_utf8_next_char(p))
        if (g_unichar_isalpha(g_utf8_get_char(p)))
            n++;
    return n >= MIN_LETTERS;
}

/* "[ru][uk]" -> "ru"; "[uz-Cyrl]" -> "uz"; "[en--utf8]" (the system list's
 * names) -> "en"; anything else -> "". */
static void
first_code(const char *answer, char *code, gsize size)
{
    gsize i = 0;

    code[0] = '\0';
    if (!answer || answer[0] != '[')
        return;
    for (const char *p = answer + 1; *p && *p != ']' && *p != '-' &&
         i + 1 < size; p++)
        code[i++] = *p;
    code[i] = '\0';
}

static const char *const known_codes[] = {
    "en", "ru", "kk", "ky", "tg", "uz", "tk", "uk", "be", "fr", "de", "es",
    "ar", "fa", "tr", "zh", NULL
};

/* The codes are returned as static strings so that the result is
 * (transfer none) without any per-call storage.  A code outside the list
 * (from the system configuration) is returned from a small interned
 * table. */
static const char *
intern_code(const char *code)
{
    for (guint i = 0; known_codes[i]; i++)
        if (strcmp(code, known_codes[i]) == 0)
            return known_codes[i];
    return g_intern_string(code);
}

const char *
extract_language(const char *text, gsize len)
{
    void *h = g_once(&init_once, init_textcat, NULL);
    letters_t letters;
    const char *script;
    char code[16];

    if (!text || len == 0)
        return "";
    count_letters(text, len, &letters);
    if (!enough_letters(text, len))
        return "";
    script = cyrillic_language(&letters);
    if (script)
        return script;
    if (!h)
        return "";
    g_mutex_lock(&classify_lock);
    first_code(textcat_Classify(h, text, len), code, sizeof(code));
    g_mutex_unlock(&classify_lock);
    if (!code[0])
        return "";
    /* The fingerprints call a Cyrillic text Kazakh, Kyrgyz, Tajik or Uzbek
     * on the strength of n-grams alone; without the letters those
     * languages cannot be written without, it is Russian. */
    if (letters.cyrillic * 2 > len / 2 &&
        (strcmp(code, "kk") == 0 || strcmp(code, "ky") == 0 ||
         strcmp(code, "tg") == 0 || strcmp(code, "uz") == 0) &&
        letters.uk == 0)
        return "ru";
    return intern_code(code);
}
