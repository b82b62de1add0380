/* quality.c -- flags extracted text a reader could not use: mojibake,
 * glyphs without a Unicode mapping, text that is mostly not letters.  The
 * indexer's coverage report counts them so curators see what the index
 * cannot read; nothing here changes the text. */
#include "extract.h"

static const char *const suspect_names[] = {
#define EXTRACT__SUSPECT_NAME(name, label) label,
    EXTRACT_SUSPECT_LIST(EXTRACT__SUSPECT_NAME)
#undef EXTRACT__SUSPECT_NAME
};

const char *
extract_suspect_name(extract_suspect_t bit)
{
    return (guint)bit < EXTRACT_SUSPECT_N ? suspect_names[bit] : "";
}

/* Under this many non-space characters there is too little to judge. */
#define MIN_CHARS 200

/* What Windows-1252 makes of the bytes 80-9F that Latin-1 leaves as C1
 * controls. */
static gboolean
cp1252_high(gunichar b)
{
    static const gunichar high[] = {
        0x20AC, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6,
        0x2030, 0x0160, 0x2039, 0x0152, 0x017D, 0x2018, 0x2019, 0x201C,
        0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A,
        0x0153, 0x017E, 0x0178,
    };

    for (gsize i = 0; i < G_N_ELEMENTS(high); i++)
        if (high[i] == b)
            return TRUE;
    return FALSE;
}

/* Whether the pair @a @b is a UTF-8 lead byte and continuation byte read
 * as single bytes.  Latin-1 and Windows-1252: "Ã"/"Â"/"Ð"/"Ñ" then
 * U+0080-U+00BF.  Windows-1251: "Р"/"С" (the leads D0/D1 of Cyrillic)
 * then a character that continuation bytes 80-BF map to and that Russian
 * words never put there: U+0400-U+040F, U+0450-U+045F, the typographic
 * quotes and dashes, or U+00A0-U+00BF. */
static gboolean
misread_pair(gunichar a, gunichar b)
{
    if (a == 0xC3 || a == 0xC2 || a == 0xD0 || a == 0xD1)
        return (b >= 0x80 && b <= 0xBF) || cp1252_high(b);
    if (a == 0x0420 || a == 0x0421)
        return (b >= 0x0400 && b <= 0x040F) || (b >= 0x0450 && b <= 0x045F)
               || (b >= 0x2013 && b <= 0x203A) || (b >= 0xA0 && b <= 0xBF)
               || b == 0x2116 || b == 0x2122;
    return FALSE;
}

guint
extract_text_suspect(const char *text)
{
    guint chars = 0, letters = 0, unmapped = 0, misread = 0;
    gunichar prev = 0;
    guint bits = 0;

    for (const char *p = text; p && *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);

        if (g_unichar_isspace(c)) {
            prev = 0;
            continue;
        }
        chars++;
        if (g_unichar_isalpha(c))
            letters++;
        if (c == 0xFFFD || (c >= 0xE000 && c <= 0xF8FF) ||
            g_unichar_iscntrl(c))
            unmapped++;
        if (prev && misread_pair(prev, c))
            misread++;
        prev = c;
    }
    if (chars < MIN_CHARS)
        return 0;
    /* One misread pair per 100 letters is far beyond what names such as
     * "Ã…land" leave in real text. */
    if (misread >= 3 && misread * 100 >= letters)
        bits |= 1u << EXTRACT_SUSPECT_MOJIBAKE_BIT;
    if (unmapped * 10 >= chars)
        bits |= 1u << EXTRACT_SUSPECT_UNMAPPED_BIT;
    if (letters * 2 < chars)
        bits |= 1u << EXTRACT_SUSPECT_NON_LETTERS_BIT;
    return bits;
}
