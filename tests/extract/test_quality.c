/* test_quality.c -- extract_text_suspect() on real mojibake (made with
 * GLib's converters from known text), unmapped glyphs, digit dumps, and
 * clean English and Russian that must pass. */
#include "extract-test.h"

static const char russian[] =
    "Предупреждение насильственного экстремизма в Центральной Азии требует "
    "совместных усилий государства и гражданского общества. Программа "
    "поддерживает молодёжь, женщин и местные сообщества в Казахстане, "
    "Кыргызстане, Таджикистане, Туркменистане и Узбекистане. Особое "
    "внимание уделяется реабилитации и реинтеграции лиц, вернувшихся из "
    "зон вооружённых конфликтов.";

static const char english[] =
    "Page one introduces the prevention of violent extremism in Central "
    "Asia. The handbook was written for practitioners who work with young "
    "people, teachers, religious leaders and local government officials. "
    "It explains why prevention works best when communities themselves "
    "take part in the design of every programme.";

#define BIT(name) (1u << EXTRACT_SUSPECT_##name##_BIT)

/* @text's UTF-8 bytes read as @charset, as a PDF without a proper
 * encoding or a mislabelled page would give them. */
static char *
misread(const char *text, const char *charset)
{
    GError *error = NULL;
    char *out = g_convert(text, -1, "UTF-8", charset, NULL, NULL, &error);

    cr_assert_not_null(out, "%s", error ? error->message : "");
    return out;
}

Test(quality, clean_text_is_not_suspect)
{
    cr_assert_eq(extract_text_suspect(english), 0);
    cr_assert_eq(extract_text_suspect(russian), 0);
    cr_assert_eq(extract_text_suspect("Ð¿Ñ€Ð¸"), 0, "too short to judge");
}

Test(quality, utf8_read_as_windows_1251_is_mojibake)
{
    g_autofree char *m = misread(russian, "WINDOWS-1251");

    cr_assert(extract_text_suspect(m) & BIT(MOJIBAKE), "%s", m);
}

Test(quality, utf8_read_as_latin_1_is_mojibake)
{
    g_autofree char *m = misread(russian, "ISO-8859-1");

    cr_assert(extract_text_suspect(m) & BIT(MOJIBAKE), "%s", m);
}

Test(quality, private_use_glyphs_are_unmapped)
{
    GString *s = g_string_new(english);

    for (int i = 0; i < 60; i++)
        g_string_append_unichar(s, 0xE000 + (gunichar)i);
    cr_assert(extract_text_suspect(s->str) & BIT(UNMAPPED));
    cr_assert_eq(extract_text_suspect(english) & BIT(UNMAPPED), 0);
    g_string_free(s, TRUE);
}

Test(quality, digit_dump_is_mostly_non_letters)
{
    GString *s = g_string_new(NULL);

    for (int i = 0; i < 100; i++)
        g_string_append_printf(s, "%d.%02d %% ", i * 37, i);
    cr_assert_eq(extract_text_suspect(s->str), BIT(NON_LETTERS));
    cr_assert_str_eq(extract_suspect_name(EXTRACT_SUSPECT_NON_LETTERS_BIT),
                     "mostly non-letters");
    g_string_free(s, TRUE);
}
