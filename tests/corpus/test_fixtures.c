/* test_fixtures.c -- the data-driven parser cases: every
 * tests/fixtures/corpus/NNN-name.txt is parsed and checked against
 * NNN-name.expected.json.  See 001-later-edition.expected.json for the
 * keys; each is optional.
 */
#include <json-glib/json-glib.h>

#include "corpus-test.h"

#define FIXTURES CTMAP_TEST_DATA "/corpus"

static const corpus_entry_t *
by_id(const corpus_mapping_t *m, const char *id)
{
    for (guint i = 0; i < m->entries->len; i++) {
        const corpus_entry_t *e = g_ptr_array_index(m->entries, i);

        if (strcmp(e->id, id) == 0)
            return e;
    }
    return NULL;
}

/* Expects every id of @want's array @member to be among @m's entries
 * (@present) or absent from them; @name is the fixture's. */
static void
expect_ids(const corpus_mapping_t *m, JsonObject *want, const char *member,
           gboolean present, const char *name)
{
    JsonArray *a;

    if (!json_object_has_member(want, member))
        return;
    a = json_object_get_array_member(want, member);
    for (guint i = 0; i < json_array_get_length(a); i++) {
        const char *id = json_array_get_string_element(a, i);

        cr_expect_eq(by_id(m, id) != NULL, present, "%s: id %s %s", name, id,
                     present ? "missing" : "present");
    }
}

static guint
count_section(const corpus_mapping_t *m, char section)
{
    guint n = 0;

    for (guint i = 0; i < m->entries->len; i++) {
        const corpus_entry_t *e = g_ptr_array_index(m->entries, i);

        n += e->section == section;
    }
    return n;
}

static void
check_entry(const char *name, const corpus_mapping_t *m, guint line,
            JsonObject *want)
{
    const corpus_entry_t *e = entry_at(m, line);

    cr_assert_not_null(e, "%s: line %u has no entry", name, line);
    if (json_object_has_member(want, "same_as"))
        cr_expect_eq(e, entry_at(m, json_object_get_int_member(want,
                                                               "same_as")),
                     "%s: line %u", name, line);
    if (json_object_has_member(want, "theme"))
        cr_expect_str_eq(e->theme ? e->theme : "",
                         json_object_get_string_member(want, "theme"),
                         "%s: line %u", name, line);
    if (json_object_has_member(want, "kind"))
        cr_expect_str_eq(e->kind, json_object_get_string_member(want,
                                                                "kind"),
                         "%s: line %u", name, line);
    if (json_object_has_member(want, "title"))
        cr_expect(strstr(e->title, json_object_get_string_member(want,
                                                                 "title")),
                  "%s: line %u: title \"%s\"", name, line, e->title);
    if (json_object_has_member(want, "text_contains"))
        cr_expect(strstr(e->text, json_object_get_string_member(
                             want, "text_contains")),
                  "%s: line %u: text \"%s\"", name, line, e->text);
    if (json_object_has_member(want, "orgs")) {
        JsonArray *orgs = json_object_get_array_member(want, "orgs");

        cr_expect_eq(e->orgs->len, json_array_get_length(orgs),
                     "%s: line %u", name, line);
        for (guint i = 0; i < json_array_get_length(orgs); i++)
            cr_expect(strv_has(e->orgs, json_array_get_string_element(
                                   orgs, i)), "%s: line %u", name, line);
    }
    if (json_object_has_member(want, "years")) {
        JsonArray *years = json_object_get_array_member(want, "years");

        for (guint i = 0; i < json_array_get_length(years); i++)
            cr_expect(strv_has(e->years, json_array_get_string_element(
                                   years, i)), "%s: line %u", name, line);
    }
}

static void
check_case(const corpus_vocab_t *vocab, const char *name)
{
    g_autofree char *txt = g_build_filename(FIXTURES, name, NULL);
    g_autofree char *stem = g_strndup(name, strlen(name) - 4);
    g_autofree char *json_name = g_strconcat(stem, ".expected.json", NULL);
    g_autofree char *json = g_build_filename(FIXTURES, json_name, NULL);
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(corpus_mapping_t) m = corpus_mapping_load(txt, vocab, &error);
    JsonObject *want;

    cr_assert_not_null(m, "%s: %s", name, error ? error->message : "");
    cr_assert(json_parser_load_from_file(parser, json, &error), "%s: %s",
              json_name, error ? error->message : "");
    want = json_node_get_object(json_parser_get_root(parser));

    if (json_object_has_member(want, "entries"))
        cr_expect_eq(m->entries->len,
                     json_object_get_int_member(want, "entries"),
                     "%s: entries", name);
    if (json_object_has_member(want, "warnings"))
        cr_expect_eq(m->warnings->len,
                     json_object_get_int_member(want, "warnings"),
                     "%s: warnings", name);
    if (json_object_has_member(want, "sections")) {
        JsonObject *s = json_object_get_object_member(want, "sections");
        g_autoptr(GList) keys = json_object_get_members(s);

        for (GList *k = keys; k; k = k->next) {
            const char *key = k->data;
            char section = strcmp(key, "0") == 0 ? 0 : key[0];

            cr_expect_eq(count_section(m, section),
                         json_object_get_int_member(s, key),
                         "%s: section %s", name, key);
        }
    }
    if (json_object_has_member(want, "themes")) {
        JsonObject *t = json_object_get_object_member(want, "themes");
        g_autoptr(GList) keys = json_object_get_members(t);

        for (GList *k = keys; k; k = k->next)
            cr_expect_eq(count_theme(m, k->data),
                         json_object_get_int_member(t, k->data),
                         "%s: theme %s", name, (char *)k->data);
    }
    expect_ids(m, want, "ids_present", TRUE, name);
    expect_ids(m, want, "ids_absent", FALSE, name);
    if (json_object_has_member(want, "warnings_at")) {
        JsonArray *a = json_object_get_array_member(want, "warnings_at");

        for (guint i = 0; i < json_array_get_length(a); i++) {
            guint line = json_array_get_int_element(a, i);
            gboolean found = FALSE;

            for (guint w = 0; w < m->warnings->len; w++)
                found |= ((corpus_warning_t *)g_ptr_array_index(
                              m->warnings, w))->line == line;
            cr_expect(found, "%s: no warning at line %u", name, line);
        }
    }
    if (json_object_has_member(want, "no_entry")) {
        JsonArray *a = json_object_get_array_member(want, "no_entry");

        for (guint i = 0; i < json_array_get_length(a); i++)
            cr_expect_null(entry_at(m, json_array_get_int_element(a, i)),
                           "%s: line %u has an entry", name,
                           (guint)json_array_get_int_element(a, i));
    }
    if (json_object_has_member(want, "entry_at")) {
        JsonObject *at = json_object_get_object_member(want, "entry_at");
        g_autoptr(GList) keys = json_object_get_members(at);

        for (GList *k = keys; k; k = k->next)
            check_entry(name, m, (guint)g_ascii_strtoull(k->data, NULL, 10),
                        json_object_get_object_member(at, k->data));
    }
}

static gint
cmp_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

Test(fixtures, parser_cases_match_expectations)
{
    g_autoptr(corpus_vocab_t) vocab = test_vocab();
    g_autoptr(GError) error = NULL;
    g_autoptr(GDir) dir = g_dir_open(FIXTURES, 0, &error);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;

    cr_assert_not_null(dir, "%s", error ? error->message : "");
    for (name = g_dir_read_name(dir); name; name = g_dir_read_name(dir))
        if (g_str_has_suffix(name, ".txt"))
            g_ptr_array_add(names, g_strdup(name));
    g_ptr_array_sort(names, cmp_names);
    cr_assert_gt(names->len, 0, "no cases in %s", FIXTURES);
    for (guint i = 0; i < names->len; i++)
        check_case(vocab, g_ptr_array_index(names, i));
}
