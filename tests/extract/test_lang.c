/* test_lang.c -- language identification, and the letters that tell the
 * Central Asian languages from Russian. */
#include "extract-test.h"

static void
assert_lang(const char *text, const char *want)
{
    cr_assert_str_eq(extract_language(text, strlen(text)), want, "%s", text);
}

Test(lang, english)
{
    assert_lang("Regional cooperation between the five countries remains "
        "essential for the return and reintegration of foreign "
        "terrorist fighters and their families.", "en");
}

Test(lang, russian)
{
    assert_lang(
        "Особое внимание уделяется "
        "реабилитации и реинтеграции лиц, "
        "вернувшихся из зон вооружённых "
        "конфликтов, а также работе с "
        "их семьями.", "ru");
}

Test(lang, kazakh_by_letters)
{
    assert_lang(
        "Жергілікті атқарушы органдар "
        "азаматтық қоғам ұйымдарымен "
        "бірлесіп жұмыс істейді.", "kk");
}

Test(lang, kyrgyz_by_letters)
{
    assert_lang(
        "Кыргыз Республикасы зомбулук "
        "экстремизмдин алдын алуу "
        "боюнча мамлекеттик программаны "
        "кабыл алды. Бул документ "
        "жаштардын коомдук активдүүлүгүн "
        "жогорулатууга, диний "
        "сабаттуулукту өнүктүрүүгө жана "
        "коомдогу толеранттуулукту "
        "бекемдөөгө багытталган.", "ky");
}

Test(lang, tajik_by_letters)
{
    assert_lang(
        "Ҷумҳурии Тоҷикистон барномаи "
        "давлатии пешгирии ифротгароии "
        "хушунатомезро қабул кард. Ин "
        "ҳуҷҷат ба баланд бардоштани "
        "фаъолнокии иҷтимоии ҷавонон, "
        "рушди саводнокии динӣ ва "
        "таҳкими таҳаммулпазирӣ дар ҷомеа "
        "нигаронида шудааст.", "tg");
}

Test(lang, uzbek_cyrillic_by_letters)
{
    assert_lang(
        "Ўзбекистон Республикаси зўравон "
        "экстремизмнинг олдини олиш "
        "бўйича давлат дастурини қабул "
        "қилди. Ушбу ҳужжат ёшларнинг "
        "ижтимоий фаоллигини оширишга, "
        "диний саводхонликни "
        "ривожлантиришга ва жамиятда "
        "бағрикенгликни мустаҳкамлашга "
        "қаратилган.", "uz");
}

Test(lang, russian_quoting_a_kazakh_name_stays_russian)
{
    assert_lang(
        "В докладе упоминается Қазақстан, "
        "однако основное внимание "
        "уделяется сотрудничеству "
        "государств региона в сфере "
        "предупреждения насильственного "
        "экстремизма и поддержки "
        "местных сообществ.", "ru");
}

Test(lang, french)
{
    assert_lang("La coopération régionale entre les cinq pays reste "
        "essentielle pour la réintégration des combattants "
        "étrangers et de leurs familles.", "fr");
}

Test(lang, empty_and_short_are_unknown)
{
    cr_assert_str_eq(extract_language("", 0), "");
    cr_assert_str_eq(extract_language("ok", 2), "");
    cr_assert_str_eq(extract_language("1234 5678", 9), "");
}

Test(lang, document_language_from_text)
{
    static const char kk[] =
        "Қазақстан Республикасы "
        "зорлық-зомбылық экстремизмнің алдын "
        "алу "
        "жөніндегі мемлекеттік бағдарламаны "
        "қабылдады.";
    et_doc_t *d = et_bytes(kk, sizeof(kk) - 1, "text/plain", NULL, NULL,
                           NULL);

    et_assert_ok(d);
    cr_assert_str_eq(d->r.lang, "kk");
    et_free(d);
}
