/* test_query.c -- facets (counted over every match, disjunctive per
 * field, labelled) and spelling correction, over the small real index. */
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

/* Criterion 2.4's runner leaks 48 bytes (LeakSanitizer fails the sanitizer
 * pass) when a suite runs after one with a longer .timeout; suites run in
 * name order, so timeouts must not decrease along it (limits, mapping:
 * 120). */
TestSuite(query, .init = setup, .fini = fx_fini, .timeout = 120);

/* Returns the facet list @name of the /search reply @r. */
static JsonArray *
facet(fx_http_t *r, const char *name)
{
    return fx_member_arr(fx_member_obj(fx_obj(r->json), "facets"), name);
}

/* Returns the entry of @value in facet list @f, or NULL. */
static JsonObject *
facet_value(JsonArray *f, const char *value)
{
    guint i;

    for (i = 0; i < json_array_get_length(f); i++) {
        JsonObject *v = json_array_get_object_element(f, i);

        if (g_str_equal(json_object_get_string_member(v, "value"), value))
            return v;
    }
    return NULL;
}

/* Returns the count of @value in facet list @f, 0 when absent. */
static gint64
facet_count(JsonArray *f, const char *value)
{
    JsonObject *v = facet_value(f, value);

    return v ? json_object_get_int_member(v, "count") : 0;
}

static gint64
total_of(const char *target)
{
    fx_http_t r;
    gint64 total =
        json_object_get_int_member(fx_get_ok(target, &r), "total");

    fx_http_clear(&r);
    return total;
}

Test(query, facets_count_every_match_not_the_page)
{
    fx_http_t r;
    JsonArray *type, *org;
    gint64 sum = 0;
    guint i;

    /* A page of one hit still counts all five documents. */
    fx_get("/search?limit=1&facets=type,org,year", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    type = facet(&r, "type");
    for (i = 0; i < json_array_get_length(type); i++)
        sum += json_object_get_int_member(
            json_array_get_object_element(type, i), "count");
    /* type is single-valued: its counts add up to the total. */
    cr_assert_eq(sum, 5, "%s", r.body);
    cr_assert_eq(facet_count(type, "document"), 3);
    cr_assert_eq(facet_count(type, "entry"), 2);
    /* Each value's count is what filtering on it finds. */
    org = facet(&r, "org");
    cr_assert_eq(facet_count(org, "unodc"), total_of("/search?org=unodc"));
    cr_assert_eq(facet_count(org, "osce"), total_of("/search?org=osce"));
    cr_assert_eq(facet_count(org, "undp"), 1);
    cr_assert_eq(json_array_get_length(facet(&r, "year")), 5);
    fx_http_clear(&r);
}

Test(query, facets_are_most_frequent_first_with_labels)
{
    fx_http_t r;
    JsonArray *org;
    JsonObject *first;
    guint i;

    fx_get("/search?facets=org,type,lang", &r);
    org = facet(&r, "org");
    for (i = 1; i < json_array_get_length(org); i++)
        cr_assert_geq(json_object_get_int_member(
                          json_array_get_object_element(org, i - 1),
                          "count"),
                      json_object_get_int_member(
                          json_array_get_object_element(org, i), "count"));
    first = json_array_get_object_element(facet(&r, "type"), 0);
    fx_assert_str_member(first, "value", "document");
    fx_assert_str_member(first, "label", "Cited document");
    first = json_array_get_object_element(facet(&r, "lang"), 0);
    fx_assert_str_member(first, "label", "English");
    /* Facets not asked for are not computed. */
    cr_assert_not(json_object_has_member(
        fx_member_obj(fx_obj(r.json), "facets"), "country"));
    fx_http_clear(&r);
}

Test(query, org_labels_come_from_index_metadata)
{
    const char *want = "UN Office on Drugs and Crime";
    gint64 deadline = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;
    fx_http_t r = {0};
    JsonObject *v = NULL;

    fx_label("org", "unodc", want);
    /* The daemon sees the new revision within its one-second tick. */
    do {
        fx_http_clear(&r);
        fx_get("/search?facets=org&org=unodc", &r);
        cr_assert_eq(r.status, 200, "%s", r.body);
        v = facet_value(facet(&r, "org"), "unodc");
        cr_assert_not_null(v, "%s", r.body);
        if (g_str_equal(json_object_get_string_member(v, "label"), want))
            break;
        g_usleep(50000);
    } while (g_get_monotonic_time() < deadline);
    cr_assert_str_eq(json_object_get_string_member(v, "label"), want,
                     "%s", r.body);
    cr_assert(json_object_get_boolean_member(v, "selected"));
    /* A value the labels do not name is its own label. */
    v = facet_value(facet(&r, "org"), "osce");
    fx_assert_str_member(v, "label", "osce");
    cr_assert_not(json_object_get_boolean_member(v, "selected"));
    fx_http_clear(&r);
}

/* While org=unodc is selected the org facet counts as if it were not
 * (the other organizations stay choices, OR within the field), and every
 * other facet counts the filtered set (AND across fields). */
Test(query, facets_are_disjunctive_within_a_field)
{
    fx_http_t r;
    JsonArray *org, *country;

    fx_get("/search?org=unodc&facets=org,country", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(json_object_get_int_member(fx_obj(r.json), "total"), 2);
    org = facet(&r, "org");
    cr_assert_eq(facet_count(org, "unodc"), 2, "%s", r.body);
    cr_assert_eq(facet_count(org, "osce"), 2, "%s", r.body);
    cr_assert_eq(facet_count(org, "undp"), 1, "%s", r.body);
    country = facet(&r, "country");
    cr_assert_eq(facet_count(country, "kyrgyzstan"), 1);
    cr_assert_eq(facet_count(country, "kazakhstan"), 1);
    cr_assert_eq(facet_count(country, "tajikistan"), 0, "%s", r.body);
    fx_http_clear(&r);

    /* Two fields filtered: each lifts only its own filter. */
    fx_get("/search?org=unodc&country=kazakhstan&facets=org,country", &r);
    cr_assert_eq(json_object_get_int_member(fx_obj(r.json), "total"), 1);
    org = facet(&r, "org");
    cr_assert_eq(facet_count(org, "unodc"), 1, "%s", r.body);
    cr_assert_eq(facet_count(org, "osce"), 1, "%s", r.body);
    cr_assert_eq(facet_count(org, "undp"), 0, "%s", r.body);
    country = facet(&r, "country");
    cr_assert_eq(facet_count(country, "kazakhstan"), 1, "%s", r.body);
    cr_assert_eq(facet_count(country, "kyrgyzstan"), 1, "%s", r.body);
    fx_http_clear(&r);

    /* With a text query the lifted count still honours the text. */
    fx_get("/search?q=prisoners+OR+prisons&org=undp&facets=org", &r);
    org = facet(&r, "org");
    cr_assert_eq(facet_count(org, "undp"), 1, "%s", r.body);
    cr_assert_eq(facet_count(org, "unodc"), 1, "%s", r.body);
    cr_assert_eq(facet_count(org, "osce"), 0, "%s", r.body);
    fx_http_clear(&r);
}

Test(query, unknown_facet_is_400)
{
    fx_http_t r;
    JsonObject *e;

    fx_get("/search?facets=org,colour", &r);
    cr_assert_eq(r.status, 400, "%s", r.body);
    e = fx_member_obj(fx_obj(r.json), "error");
    fx_assert_str_member(e, "code", "bad-parameter");
    cr_assert(strstr(json_object_get_string_member(e, "message"),
                     "colour"));
    fx_http_clear(&r);
    /* Repeating facets adds fields; empty names are ignored. */
    fx_get("/search?facets=org&facets=type,,", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_gt(json_array_get_length(facet(&r, "type")), 0);
    fx_http_clear(&r);
}

Test(query, misspelt_query_is_corrected_and_applied)
{
    fx_http_t r;
    JsonObject *o;

    o = fx_get_ok("/search?q=reintegraton", &r);
    fx_assert_str_member(o, "query", "reintegraton");
    fx_assert_str_member(o, "corrected", "reintegration");
    cr_assert(json_object_get_boolean_member(o, "corrected_applied"));
    cr_assert_eq(json_object_get_int_member(o, "total"), 1);
    cr_assert_str_eq(fx_hit_id(&r, 0), "d-0000000000000002");
    fx_http_clear(&r);
}

/* One misspelt word among correct ones is corrected too: the corrected
 * query is what is searched, so the document only the corrected word
 * finds is among the hits. */
Test(query, correction_is_applied_when_other_words_match)
{
    fx_http_t r;
    JsonObject *o;
    gboolean found = FALSE;

    fx_get("/search?q=prisoners+reintegraton", &r);
    o = fx_obj(r.json);
    fx_assert_str_member(o, "corrected", "prisoners reintegration");
    cr_assert(json_object_get_boolean_member(o, "corrected_applied"));
    for (guint i = 0; i < json_array_get_length(fx_member_arr(o, "hits")); i++)
        found |= g_str_equal(fx_hit_id(&r, i), "d-0000000000000002");
    cr_assert(found, "%s", r.body);
    fx_http_clear(&r);
    /* Known words, field values and operators are never "corrected". */
    fx_get("/search?q=prisoners+AND+country:kyrgyzstan", &r);
    o = fx_obj(r.json);
    cr_assert(json_node_is_null(json_object_get_member(o, "corrected")),
              "%s", r.body);
    fx_http_clear(&r);
}

Test(query, no_usable_terms_is_an_empty_result)
{
    fx_http_t r;
    JsonObject *o;

    o = fx_get_ok("/search?q=the+of+%2B%2B&facets=org", &r);
    cr_assert_eq(json_object_get_int_member(o, "total"), 0);
    cr_assert_eq(json_array_get_length(fx_member_arr(o, "hits")), 0);
    cr_assert_eq(json_array_get_length(facet(&r, "org")), 0);
    fx_http_clear(&r);
}

/* BM25 over wdf: the title's words count XC_WEIGHT_TITLE times, an
 * organization's XC_WEIGHT_ORGTEXT, the body's once. */
Test(query, title_and_organization_matches_rank_above_body_matches)
{
    static const fx_doc_t docs[] = {
        {"e-00000000000000b1", "entry", "Regional meeting", NULL,
         {"osce"}, {"OSCE"}, {"borders"}, {"turkmenistan"}, {"2021"},
         "workshop", "A", "en", "indexed", 1,
         {"Officials discussed cooperation on customs, border crossings "
          "and trade between the five states of the region."}},
        {"e-00000000000000b2", "entry", "Border security cooperation", NULL,
         {"osce"}, {"OSCE"}, {"borders"}, {"turkmenistan"}, {"2021"},
         "workshop", "A", "en", "indexed", 1,
         {"Officials discussed cooperation on customs and trade between "
          "the five states of the region."}},
        {"e-00000000000000b3", "entry", "Regional meeting on trade", NULL,
         {"undp"}, {"UNDP"}, {"borders"}, {"turkmenistan"}, {"2021"},
         "workshop", "A", "en", "indexed", 1,
         {"Officials discussed customs and trade with partners between "
          "the five states of the region."}},
        {"e-00000000000000b4", "entry", "Regional meeting on customs", NULL,
         {"osce"}, {"OSCE"}, {"borders"}, {"turkmenistan"}, {"2021"},
         "workshop", "A", "en", "indexed", 1,
         {"Officials discussed customs and trade with UNDP between the "
          "five states of the region."}},
    };
    fx_http_t r;

    fx_index(docs, G_N_ELEMENTS(docs));
    cr_assert(fx_wait_total("/search?q=border", 2, 3000));
    fx_get("/search?q=border", &r);
    cr_assert_str_eq(fx_hit_id(&r, 0), "e-00000000000000b2", "%s", r.body);
    cr_assert_str_eq(fx_hit_id(&r, 1), "e-00000000000000b1");
    fx_http_clear(&r);
    fx_get("/search?q=undp&type=entry&year=2021", &r);
    cr_assert_str_eq(fx_hit_id(&r, 0), "e-00000000000000b3", "%s", r.body);
    cr_assert_str_eq(fx_hit_id(&r, 1), "e-00000000000000b4");
    fx_http_clear(&r);
}

Test(query, documents_without_text_are_ranked_but_labelled)
{
    fx_http_t r;
    JsonArray *hits;
    guint i, labelled = 0;

    fx_get("/search?q=prisons", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    hits = fx_member_arr(fx_obj(r.json), "hits");
    cr_assert_eq(json_array_get_length(hits), 2, "%s", r.body);
    for (i = 0; i < json_array_get_length(hits); i++) {
        JsonObject *h = json_array_get_object_element(hits, i);
        const char *id = json_object_get_string_member(h, "id");

        if (g_str_equal(id, "d-0000000000000005")) {
            fx_assert_str_member(h, "label", "Link unreachable");
            labelled++;
        } else {
            cr_assert(json_node_is_null(json_object_get_member(h,
                                                               "label")));
        }
    }
    cr_assert_eq(labelled, 1, "%s", r.body);
    fx_http_clear(&r);
}
