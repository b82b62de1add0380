/* test_golden.c -- the JSON contract: replies compared with
 * the files in tests/searchd/golden (documented in searchd/API.md).  Set
 * CTMAP_UPDATE_GOLDEN=1 to rewrite the files after a deliberate change. */
#include <string.h>

#include <criterion/criterion.h>

#include "helpers.h"

static void
setup(void)
{
    fx_init();
    fx_index(fx_corpus, fx_corpus_len);
    fx_start(NULL);
}

TestSuite(golden, .init = setup, .fini = fx_fini, .timeout = 60);

/* Timing and BM25 weights vary with the machine and Xapian's version;
 * they are checked elsewhere, and zeroed here. */
static void
normalize(JsonNode *node)
{
    JsonObject *o;
    JsonNode *hits;
    guint i;

    if (!JSON_NODE_HOLDS_OBJECT(node))
        return;
    o = json_node_get_object(node);
    if (json_object_has_member(o, "took_ms"))
        json_object_set_double_member(o, "took_ms", 0.0);
    hits = json_object_get_member(o, "hits");
    if (!hits || !JSON_NODE_HOLDS_ARRAY(hits))
        return;
    for (i = 0; i < json_array_get_length(json_node_get_array(hits)); i++) {
        JsonObject *h = json_array_get_object_element(
            json_node_get_array(hits), i);

        json_object_set_double_member(h, "score", 0.0);
    }
}

static void
check(const char *name, const char *target, long status)
{
    g_autofree char *file = g_strdup_printf("%s/%s.json",
                                            CTMAP_SEARCHD_GOLDEN, name);
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autofree char *actual = NULL;
    fx_http_t r;

    fx_get(target, &r);
    cr_assert_eq(r.status, status, "%s: %s", target, r.body);
    cr_assert_not_null(r.json, "%s", r.body);
    normalize(r.json);
    json_generator_set_root(gen, r.json);
    json_generator_set_pretty(gen, TRUE);
    actual = json_generator_to_data(gen, NULL);
    if (g_getenv("CTMAP_UPDATE_GOLDEN")) {
        g_autofree char *text = g_strconcat(actual, "\n", NULL);

        cr_assert(g_file_set_contents(file, text, -1, NULL));
    }
    cr_assert(json_parser_load_from_file(parser, file, NULL),
              "cannot read %s", file);
    cr_assert(json_node_equal(json_parser_get_root(parser), r.json),
              "%s differs from %s:\n%s", target, file, actual);
    fx_http_clear(&r);
}

/* Every reply with a golden file: the file's name, the request, the
 * status. */
Test(golden, replies_match_their_files)
{
    static const struct {
        const char *name;
        const char *target;
        long status;
    } cases[] = {
        { "search", "/search?q=reintegration&facets=org,type", 200 },
        { "browse", "/search?type=entry&limit=1", 200 },
        { "doc", "/doc/e-0000000000000004", 200 },
        { "stats", "/stats", 200 },
        { "health", "/health", 200 },
        { "error", "/search?colour=red", 400 },
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
        check(cases[i].name, cases[i].target, cases[i].status);
}
