/* test_xapianc.c -- behaviour of the C binding over Xapian, one fresh
 * database per test. */
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

TestSuite(xapianc, .init = setup, .fini = teardown);

/* ---------------------------------------------------------------- Opening */

Test(xapianc, strerror_names_every_status)
{
    cr_expect_str_eq(xc_strerror(XC_OK), "ok");
    cr_expect_str_eq(xc_strerror(XC_ERR_NO_INDEX), "no index");
    cr_expect_str_eq(xc_strerror(XC_ERR_LOCKED), "index locked");
    cr_expect_str_eq(xc_strerror(XC_ERR_INTERNAL), "internal error");
}

Test(xapianc, open_missing_index_reports_no_index)
{
    xc_db_t *db = (xc_db_t *)1;
    xc_dbw_t *w = (xc_dbw_t *)1;
    char *err = NULL;

    cr_assert_eq(xc_db_open(dbpath, &db, &err), XC_ERR_NO_INDEX);
    cr_expect_null(db);
    cr_assert_not_null(err);
    cr_expect_neq(strlen(err), 0);
    free(err);

    err = NULL;
    cr_assert_eq(xc_dbw_open(dbpath, 0, &w, &err), XC_ERR_NO_INDEX);
    cr_expect_null(w);
    cr_assert_not_null(err);
    free(err);
    cr_expect_not(g_file_test(dbpath, G_FILE_TEST_EXISTS),
                  "DB_OPEN must not create the index");
}

Test(xapianc, second_writer_is_locked)
{
    xc_dbw_t *w = open_writer();
    xc_dbw_t *w2 = NULL;
    char *err = NULL;

    cr_assert_eq(xc_dbw_open(dbpath, 1, &w2, &err), XC_ERR_LOCKED);
    cr_expect_null(w2);
    cr_assert_not_null(err);
    free(err);
    cr_assert_eq(xc_dbw_close(w), XC_OK);

    /* Once the first writer is gone the lock is free again. */
    w = open_writer();
    cr_assert_eq(xc_dbw_close(w), XC_OK);
}

Test(xapianc, null_handles_and_arguments_are_invalid)
{
    xc_dbw_t *w = open_writer();
    char *err = NULL;

    cr_expect_eq(xc_db_open(NULL, NULL, &err), XC_ERR_INVALID);
    free(err);
    cr_expect_eq(xc_db_reopen(NULL), XC_ERR_INVALID);
    cr_expect_eq(xc_dbw_close(NULL), XC_OK);
    xc_db_close(NULL);
    xc_query_free(NULL);
    xc_mset_free(NULL);
    cr_expect_str_eq(xc_errmsg(NULL), "");

    cr_expect_eq(xc_dbw_add_text(w, "no document", "", 1), XC_ERR_INVALID);
    cr_expect_neq(strlen(xc_dbw_errmsg(w)), 0);
    cr_expect_eq(xc_dbw_end_doc(w), XC_ERR_INVALID);
    cr_expect_eq(xc_dbw_cancel(w), XC_ERR_INVALID);
    cr_expect_eq(xc_dbw_begin_doc(w, ""), XC_ERR_INVALID);
    cr_assert_eq(xc_dbw_close(w), XC_OK);
}

/* ---------------------------------------------------------------- Writing */

Test(xapianc, documents_round_trip_by_id)
{
    xc_db_t *db = corpus_reader();
    uint64_t n = 0;
    char *data = NULL;
    char *value = NULL;
    size_t len = 0;

    cr_assert_eq(xc_db_doccount(db, &n), XC_OK);
    cr_expect_eq(n, 4);
    cr_assert_eq(xc_db_get_data(db, "e-2", &data), XC_OK);
    cr_expect_str_eq(data, "e-2");
    free(data);
    cr_assert_eq(xc_db_get_value(db, "e-1", XC_SLOT_COUNTRY, &value, &len),
                 XC_OK);
    cr_expect_str_eq(value, "kg\nkz");
    cr_expect_eq(len, 5);
    free(value);
    cr_assert_eq(xc_db_get_value(db, "e-1", XC_SLOT_HASH, &value, &len),
                 XC_OK);
    cr_expect_str_eq(value, "");
    cr_expect_eq(len, 0);
    free(value);

    data = (char *)1;
    cr_expect_eq(xc_db_get_data(db, "e-404", &data), XC_ERR_NOT_FOUND);
    cr_expect_null(data);
    cr_expect_neq(strlen(xc_errmsg(db)), 0);
    cr_expect_eq(xc_db_get_value(db, "e-404", 0, &value, &len),
                 XC_ERR_NOT_FOUND);

    cr_assert_eq(xc_db_termfreq(db, "XCOUNTRYkz", &n), XC_OK);
    cr_expect_eq(n, 2);
    cr_assert_eq(xc_db_termfreq(db, "XTYPEdocument", &n), XC_OK);
    cr_expect_eq(n, 2);
    cr_assert_eq(xc_db_termfreq(db, "Qe-1", &n), XC_OK);
    cr_expect_eq(n, 1);
    xc_db_close(db);
}

Test(xapianc, writer_reads_values_back_by_id)
{
    build(corpus, G_N_ELEMENTS(corpus));
    xc_dbw_t *w = open_writer();
    char *value = NULL;
    size_t len = 0;

    cr_assert_eq(xc_dbw_get_value(w, "e-1", XC_SLOT_COUNTRY, &value, &len),
                 XC_OK);
    cr_expect_str_eq(value, "kg\nkz");
    cr_expect_eq(len, 5);
    free(value);
    value = (char *)1;
    cr_expect_eq(xc_dbw_get_value(w, "e-404", XC_SLOT_HASH, &value, &len),
                 XC_ERR_NOT_FOUND);
    cr_expect_null(value);
    cr_expect_neq(strlen(xc_dbw_errmsg(w)), 0);
    cr_assert_eq(xc_dbw_close(w), XC_OK);
}

Test(xapianc, end_doc_replaces_document_with_same_id)
{
    xc_dbw_t *w = open_writer();
    doc_t v1 = {"d-1", NULL, "first version about prisons", NULL, NULL,
                NULL, NULL};
    doc_t v2 = {"d-1", NULL, "second version about borders", NULL, NULL,
                NULL, NULL};
    char *data = NULL;

    put_doc(w, &v1);
    put_doc(w, &v2);
    cr_expect_eq(committed_doccount(w), 1);
    cr_assert_eq(xc_dbw_get_data(w, "d-1", &data), XC_OK);
    cr_expect_str_eq(data, "d-1");
    free(data);
    cr_expect_eq(xc_dbw_get_data(w, "d-2", &data), XC_ERR_NOT_FOUND);
    cr_assert_eq(xc_dbw_close(w), XC_OK);

    xc_db_t *db = open_reader();
    EXPECT_IDS(db, "prisons", 0, "");
    EXPECT_IDS(db, "borders", 0, "d-1");
    xc_db_close(db);
}

Test(xapianc, delete_doc_removes_it_and_ignores_unknown_ids)
{
    build(corpus, G_N_ELEMENTS(corpus));
    xc_dbw_t *w = open_writer();

    cr_assert_eq(xc_dbw_delete_doc(w, "e-2"), XC_OK);
    cr_assert_eq(xc_dbw_delete_doc(w, "e-404"), XC_OK);
    cr_expect_eq(committed_doccount(w), 3);
    cr_assert_eq(xc_dbw_close(w), XC_OK);

    xc_db_t *db = open_reader();
    EXPECT_IDS(db, "prison", 0, "");
    xc_db_close(db);
}

Test(xapianc, cancel_discards_transaction_and_commit_keeps_it)
{
    xc_dbw_t *w = open_writer();
    doc_t a = {"d-a", NULL, "kept", NULL, NULL, NULL, NULL};
    doc_t b = {"d-b", NULL, "discarded", NULL, NULL, NULL, NULL};
    uint64_t n = 0;

    cr_assert_eq(xc_dbw_begin(w), XC_OK);
    cr_expect_eq(xc_dbw_begin(w), XC_ERR_INVALID);
    put_doc(w, &a);
    cr_assert_eq(xc_dbw_commit(w), XC_OK);

    cr_assert_eq(xc_dbw_begin(w), XC_OK);
    put_doc(w, &b);
    cr_assert_eq(xc_dbw_cancel(w), XC_OK);
    cr_expect_eq(committed_doccount(w), 1);

    /* Closing inside a transaction cancels it too. */
    cr_assert_eq(xc_dbw_begin(w), XC_OK);
    put_doc(w, &b);
    cr_assert_eq(xc_dbw_close(w), XC_OK);

    xc_db_t *db = open_reader();
    cr_assert_eq(xc_db_doccount(db, &n), XC_OK);
    cr_expect_eq(n, 1);
    EXPECT_IDS(db, "kept", 0, "d-a");
    xc_db_close(db);
}

Test(xapianc, close_commits_outside_transaction)
{
    xc_dbw_t *w = open_writer();
    doc_t a = {"d-a", NULL, "committed on close", NULL, NULL, NULL, NULL};
    uint64_t n = 0;

    put_doc(w, &a);
    cr_assert_eq(xc_dbw_close(w), XC_OK);
    xc_db_t *db = open_reader();
    cr_assert_eq(xc_db_doccount(db, &n), XC_OK);
    cr_expect_eq(n, 1);
    xc_db_close(db);
}

Test(xapianc, reopen_sees_new_commit)
{
    xc_dbw_t *w = open_writer();
    doc_t a = {"d-a", NULL, "first", NULL, NULL, NULL, NULL};
    doc_t b = {"d-b", NULL, "second", NULL, NULL, NULL, NULL};
    uint64_t rev1 = 0, rev2 = 0, wrev = 0, n = 0;

    put_doc(w, &a);
    cr_assert_eq(xc_dbw_commit(w), XC_OK);
    xc_db_t *db = open_reader();
    cr_assert_eq(xc_db_revision(db, &rev1), XC_OK);

    put_doc(w, &b);
    cr_assert_eq(xc_dbw_commit(w), XC_OK);
    cr_assert_eq(xc_dbw_revision(w, &wrev), XC_OK);
    cr_assert_eq(xc_db_doccount(db, &n), XC_OK);
    cr_expect_eq(n, 1, "a reader stays on its revision until reopened");

    cr_assert_eq(xc_db_reopen(db), XC_OK);
    cr_assert_eq(xc_db_revision(db, &rev2), XC_OK);
    cr_expect_gt(rev2, rev1);
    cr_expect_eq(rev2, wrev);
    cr_assert_eq(xc_db_doccount(db, &n), XC_OK);
    cr_expect_eq(n, 2);
    xc_db_close(db);
    cr_assert_eq(xc_dbw_close(w), XC_OK);
}

typedef struct {
    size_t *longest;
    size_t *seen;
} longest_rock_t;

static int
count_longest(const char *t, uint64_t f, void *rock)
{
    longest_rock_t *r = rock;
    (void)f;
    if (strlen(t) > *r->longest)
        *r->longest = strlen(t);
    (*r->seen)++;
    return 0;
}

Test(xapianc, long_terms_are_hashed_consistently)
{
    xc_dbw_t *w = open_writer();
    char *host_a = g_strnfill(300, 'a');
    char *host_b = g_strdup(host_a);
    host_b[299] = 'b';                  /* differs only past the cut */
    char *term_a = g_strconcat(XC_PREFIX_HOST, host_a, NULL);
    char *term_b = g_strconcat(XC_PREFIX_HOST, host_b, NULL);
    uint64_t n = 0;
    size_t longest = 0;

    cr_assert_eq(xc_dbw_begin_doc(w, "d-a"), XC_OK);
    cr_assert_eq(xc_dbw_add_term(w, term_a), XC_OK);
    cr_assert_eq(xc_dbw_set_data(w, "d-a"), XC_OK);
    cr_assert_eq(xc_dbw_end_doc(w), XC_OK, "%s", xc_dbw_errmsg(w));
    cr_assert_eq(xc_dbw_begin_doc(w, "d-b"), XC_OK);
    cr_assert_eq(xc_dbw_add_term(w, term_b), XC_OK);
    cr_assert_eq(xc_dbw_set_data(w, "d-b"), XC_OK);
    cr_assert_eq(xc_dbw_end_doc(w), XC_OK);
    cr_assert_eq(xc_dbw_close(w), XC_OK);

    xc_db_t *db = open_reader();
    cr_assert_eq(xc_db_termfreq(db, term_a, &n), XC_OK);
    cr_expect_eq(n, 1);
    cr_assert_eq(xc_db_termfreq(db, term_b, &n), XC_OK);
    cr_expect_eq(n, 1);

    size_t seen = 0;
    longest_rock_t r = {&longest, &seen};
    cr_assert_eq(xc_db_allterms(db, XC_PREFIX_HOST, 0, count_longest, &r),
                 XC_OK);
    cr_expect_eq(seen, 2);
    cr_expect_leq(longest, XC_MAX_TERM);

    xc_query_t *q = NULL;
    xc_search_opts_t opts = {0, 10, XC_SORT_RELEVANCE, NULL, 0, 0, NULL, 0};
    const char *values[] = {host_b};
    q = parse(db, NULL, 0);
    cr_assert_eq(xc_query_filter(q, XC_PREFIX_HOST, values, 1), XC_OK);
    expect_hits(q, &opts, FALSE, "d-b");
    xc_query_free(q);
    xc_db_close(db);
    g_free(host_a);
    g_free(host_b);
    g_free(term_a);
    g_free(term_b);
}

Test(xapianc, metadata_round_trips)
{
    xc_dbw_t *w = open_writer();
    char *v = NULL;

    cr_assert_eq(xc_dbw_set_metadata(w, XC_META_SCHEMA, XC_SCHEMA_VERSION),
                 XC_OK);
    cr_assert_eq(xc_dbw_get_metadata(w, XC_META_SCHEMA, &v), XC_OK);
    cr_expect_str_eq(v, XC_SCHEMA_VERSION);
    free(v);
    cr_assert_eq(xc_dbw_get_metadata(w, "unset", &v), XC_OK);
    cr_expect_str_eq(v, "");
    free(v);
    cr_expect_eq(xc_dbw_set_metadata(w, "", "x"), XC_ERR_INVALID);
    cr_assert_eq(xc_dbw_close(w), XC_OK);

    xc_db_t *db = open_reader();
    cr_assert_eq(xc_db_get_metadata(db, XC_META_SCHEMA, &v), XC_OK);
    cr_expect_str_eq(v, XC_SCHEMA_VERSION);
    free(v);
    cr_assert_eq(xc_db_get_metadata(db, "unset", &v), XC_OK);
    cr_expect_str_eq(v, "");
    free(v);
    xc_db_close(db);
}

static int
collect_id(const char *id, void *rock)
{
    GPtrArray *ids = rock;
    g_ptr_array_add(ids, g_strdup(id));
    return 0;
}

static int
stop_after_one(const char *id, void *rock)
{
    (void)id;
    (*(int *)rock)++;
    return 1;
}

/* Deleting from inside the callback must be safe: the indexer's
 * delete-unseen pass does exactly that. */
static int
delete_each(const char *id, void *rock)
{
    cr_assert_eq(xc_dbw_delete_doc(rock, id), XC_OK);
    return 0;
}

Test(xapianc, foreach_id_lists_every_id_and_stops_on_request)
{
    build(corpus, G_N_ELEMENTS(corpus));
    xc_dbw_t *w = open_writer();
    GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
    int calls = 0;

    cr_assert_eq(xc_dbw_foreach_id(w, collect_id, ids), XC_OK);
    cr_assert_eq(ids->len, 4);
    cr_expect_str_eq(g_ptr_array_index(ids, 0), "d-3");
    cr_expect_str_eq(g_ptr_array_index(ids, 3), "e-2");
    cr_assert_eq(xc_dbw_foreach_id(w, stop_after_one, &calls), XC_OK);
    cr_expect_eq(calls, 1);
    cr_assert_eq(xc_dbw_foreach_id(w, delete_each, w), XC_OK);
    cr_expect_eq(committed_doccount(w), 0);
    g_ptr_array_unref(ids);
    cr_assert_eq(xc_dbw_close(w), XC_OK);
}

Test(xapianc, next_pos_leaves_gaps_and_reports_next_position)
{
    xc_dbw_t *w = open_writer();
    unsigned pos = 0;

    cr_assert_eq(xc_dbw_begin_doc(w, "d-p"), XC_OK);
    cr_assert_eq(xc_dbw_next_pos(w, 0, &pos), XC_OK);
    cr_expect_eq(pos, 1);
    cr_assert_eq(xc_dbw_add_text(w, "one two three", "", 1), XC_OK);
    cr_assert_eq(xc_dbw_next_pos(w, 0, &pos), XC_OK);
    cr_expect_eq(pos, 4);
    cr_assert_eq(xc_dbw_next_pos(w, 100, &pos), XC_OK);
    cr_expect_eq(pos, 104);
    cr_assert_eq(xc_dbw_add_text(w, "four", "", 1), XC_OK);
    cr_assert_eq(xc_dbw_end_doc(w), XC_OK);
    cr_assert_eq(xc_dbw_close(w), XC_OK);
}

/* ---------------------------------------------------------------- Queries */

/* Query texts and the ids they find in the corpus (sorted). */
Test(xapianc, query_cases_find_their_documents)
{
    static const struct {
        const char *text;
        const char *want;
    } cases[] = {
        /* English stems */
        {"fighters", "d-4,e-1"},
        {"returned", "e-1"},
        /* Russian stems */
        {"терроризма", "d-3"},
        {"Противодействие", "d-3"},
        /* unbalanced syntax still searches */
        {"\"prison", "e-2"},
        {"(prison", "e-2"},
        {"prison AND", "e-2"},
        {"NOT", ""},
        {"prison )", "e-2"},
        /* phrases and operators */
        {"\"foreign terrorist fighters\"", "e-1"},
        {"\"terrorist foreign\"", ""},
        {"fighter -kyrgyzstan", "d-4"},
        {"fighter AND kyrgyzstan", "e-1"},
        {"prison OR story", "d-4,e-2"},
        /* lower-case "and" is a word of the question, not an operator */
        {"fighter and story", "d-4,e-1"},
        {"radical*", "e-2"},
        /* field prefixes */
        /* "handbook" is only in e-2's body, "prison" in its title too. */
        {"title:handbook", ""},
        {"title:prison", "e-2"},
        {"country:kz", "e-1,e-2"},
        {"country:KZ", "e-1,e-2"},
        {"country:kz country:tj", "d-3,d-4,e-1,e-2"},
        {"country:kz type:document", ""},
        {"fighter type:document", "d-4"},
        {"type:Entry", "e-1,e-2"},
        /* years and ranges */
        {"year:2019", "e-1"},
        {"year:2018..2020", "d-3,e-1,e-2"},
        {"year:2019..", "d-3,e-1"},
        {"year:..2018", "d-4,e-2"},
        {"fighters year:2017..2018", "d-4"},
        {"year:1800", ""},
    };

    xc_db_t *db = corpus_reader();
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
        EXPECT_IDS(db, cases[i].text, 0, cases[i].want);
    xc_db_close(db);
}

Test(xapianc, empty_text_matches_everything)
{
    xc_db_t *db = corpus_reader();
    xc_query_t *q = NULL;

    EXPECT_IDS(db, "", 0, "d-3,d-4,e-1,e-2");
    EXPECT_IDS(db, NULL, 0, "d-3,d-4,e-1,e-2");
    EXPECT_IDS(db, "   ", 0, "d-3,d-4,e-1,e-2");
    q = parse(db, "", 0);
    cr_expect_not(xc_query_is_empty(q));
    xc_query_free(q);
    xc_db_close(db);
}

Test(xapianc, stopword_only_query_is_empty_not_an_error)
{
    xc_db_t *db = corpus_reader();
    xc_query_t *q = NULL;

    q = parse(db, "the", 0);
    cr_expect(xc_query_is_empty(q));
    xc_query_free(q);
    q = parse(db, "the of", 0);
    cr_expect(xc_query_is_empty(q));
    xc_query_free(q);
    q = parse(db, "!!!", 0);
    cr_expect(xc_query_is_empty(q));
    xc_query_free(q);
    EXPECT_IDS(db, "the", 0, "");
    /* A stopword next to a real word is just dropped. */
    q = parse(db, "the prison", 0);
    cr_expect_not(xc_query_is_empty(q));
    xc_query_free(q);
    EXPECT_IDS(db, "the prison", 0, "e-2");
    xc_db_close(db);
}

Test(xapianc, bad_year_range_is_a_query_error)
{
    xc_db_t *db = corpus_reader();
    xc_query_t *q = (xc_query_t *)1;

    cr_expect_eq(xc_query_parse(db, "year:1..999999", 0, &q), XC_ERR_QUERY);
    cr_expect_null(q);
    cr_expect(strstr(xc_errmsg(db), "200") != NULL, "%s", xc_errmsg(db));
    cr_expect_eq(xc_query_parse(db, "prison year:abc", 0, &q), XC_ERR_QUERY);
    cr_expect_eq(xc_query_parse(db, "year:2020..2010", 0, &q), XC_ERR_QUERY);
    cr_expect_eq(xc_query_parse(db, "year:..", 0, &q), XC_ERR_QUERY);
    /* The largest allowed span still parses. */
    q = parse(db, "year:1821..2020", 0);
    xc_query_free(q);
    xc_db_close(db);
}

/* Filters given to the search narrow that search only: one parsed query
 * serves searches under different filters. */
Test(xapianc, search_filters_apply_to_that_search_only)
{
    xc_db_t *db = corpus_reader();
    xc_query_t *q = NULL;
    xc_mset_t *m = NULL;
    const char *countries[] = {"kg", "uz"};
    const char *types[] = {"entry"};
    const xc_filter_t both[] = {{XC_PREFIX_COUNTRY, countries, 2},
                                {XC_PREFIX_TYPE, types, 1},
                                {XC_PREFIX_LANG, NULL, 0}};
    xc_search_opts_t opts = {.limit = 10, .filters = both, .n_filters = 3};

    q = parse(db, NULL, 0);
    expect_hits(q, &opts, FALSE, "e-1");

    opts.n_filters = 1;
    expect_hits(q, &opts, TRUE, "d-3,e-1");

    opts.n_filters = 0;
    cr_assert_eq(xc_search(q, &opts, &m), XC_OK);
    cr_expect_gt(xc_mset_size(m), 2);
    xc_mset_free(m);

    opts.filters = NULL;
    opts.n_filters = 1;
    cr_expect_eq(xc_search(q, &opts, &m), XC_ERR_INVALID);
    xc_query_free(q);
    xc_db_close(db);
}

Test(xapianc, filters_or_within_a_call_and_across_calls)
{
    xc_db_t *db = corpus_reader();
    xc_query_t *q = NULL;
    xc_search_opts_t opts = {0, 10, XC_SORT_RELEVANCE, NULL, 0, 0, NULL, 0};
    const char *countries[] = {"kg", "uz"};
    const char *types[] = {"entry"};

    q = parse(db, NULL, 0);
    cr_assert_eq(xc_query_filter(q, XC_PREFIX_COUNTRY, countries, 2), XC_OK);
    expect_hits(q, &opts, TRUE, "d-3,e-1");

    cr_assert_eq(xc_query_filter(q, XC_PREFIX_TYPE, types, 1), XC_OK);
    cr_assert_eq(xc_query_filter(q, XC_PREFIX_TYPE, NULL, 0), XC_OK);
    expect_hits(q, &opts, FALSE, "e-1");
    xc_query_free(q);

    /* Filters narrow a text query without changing its ranking terms. */
    q = parse(db, "fighters", 0);
    cr_assert_eq(xc_query_filter(q, XC_PREFIX_COUNTRY, countries, 2), XC_OK);
    expect_hits(q, &opts, FALSE, "e-1");
    xc_query_free(q);
    xc_db_close(db);
}

Test(xapianc, spelling_suggestion)
{
    xc_db_t *db = corpus_reader();
    char *s = NULL;

    cr_assert_eq(xc_db_spell(db, "rehabilitaton", &s), XC_OK);
    cr_expect_str_eq(s, "rehabilitation");
    free(s);
    cr_assert_eq(xc_db_spell(db, "Rehabilitaton", &s), XC_OK);
    cr_expect_str_eq(s, "rehabilitation");
    free(s);
    cr_assert_eq(xc_db_spell(db, "prison", &s), XC_OK);
    cr_expect_str_eq(s, "");
    free(s);
    xc_db_close(db);
}

/* ---------------------------------------------------------------- Schema */

/* The one slug rule: the cases the corpus (vocabulary slugs, title ids)
 * and searchd's filters were written against. */
Test(xapianc, slug_folds_to_dashes)
{
    static const char *const cases[][2] = {
        {"  UN Women: Tajikistan!! ", "un-women-tajikistan"},
        {"\xc3\x84rzte \xe2\x80\x93 ohne Grenzen", "\xc3\xa4rzte-ohne-grenzen"},
        {"UNODC", "unodc"},
        {"Kyrgyz Republic", "kyrgyz-republic"},
        {"  --Foreign  Terrorist/Fighters!! ", "foreign-terrorist-fighters"},
        {"\xd0\x9a\xd1\x8b\xd1\x80", "\xd0\xba\xd1\x8b\xd1\x80"},
        {"2019", "2019"},
        {"---", ""},
        {"a\xff" "b", "a-b"},
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *slug = xc_slug(cases[i][0]);

        cr_expect_str_eq(slug, cases[i][1], "slug of '%s'", cases[i][0]);
        free(slug);
    }
    char *none = xc_slug(NULL);
    cr_expect_str_eq(none, "");
    free(none);
}

/* Each field's slot is its own (and none of the other slots), and the
 * query prefix of a field names it as a query would: "site:" for the
 * host, none for org (free text) and year (ranges). */
Test(xapianc, field_table_is_consistent)
{
    static const unsigned others[] = {XC_SLOT_DATE, XC_SLOT_HASH,
                                      XC_SLOT_TEXT, XC_SLOT_PAGES};

    for (size_t i = 0; i < XC_FIELD_N; i++) {
        cr_expect_lt(xc_fields[i].slot, XC_SLOT_TEXT_MORE, "%s",
                     xc_fields[i].name);
        for (size_t k = 0; k < G_N_ELEMENTS(others); k++)
            cr_expect_neq(xc_fields[i].slot, others[k], "%s",
                          xc_fields[i].name);
        for (size_t k = 0; k < i; k++) {
            cr_expect_neq(xc_fields[i].slot, xc_fields[k].slot);
            cr_expect_str_neq(xc_fields[i].name, xc_fields[k].name);
            cr_expect_str_neq(xc_fields[i].prefix, xc_fields[k].prefix);
        }
    }
    cr_expect_str_eq(xc_fields[XC_FIELD_HOST].query, "site");
    cr_expect_null(xc_fields[XC_FIELD_ORG].query);
    cr_expect_null(xc_fields[XC_FIELD_YEAR].query);
}

/* ---------------------------------------------------------------- Synonyms */

Test(xapianc, acronym_synonym_finds_the_phrase)
{
    build(corpus, G_N_ELEMENTS(corpus));
    xc_dbw_t *w = open_writer();
    cr_assert_eq(xc_dbw_add_synonym(w, "FTF", "Foreign Terrorist Fighters"),
                 XC_OK);
    cr_assert_eq(xc_dbw_close(w), XC_OK);

    xc_db_t *db = open_reader();
    /* d-4 says "ftf"; e-1 says "foreign terrorist fighters". */
    EXPECT_IDS(db, "ftf", 0, "d-4");
    EXPECT_IDS(db, "ftf", XC_PARSE_SYNONYMS, "d-4,e-1");
    EXPECT_IDS(db, "FTF kyrgyzstan", XC_PARSE_SYNONYMS, "d-4,e-1");
    EXPECT_IDS(db, "ftf AND kyrgyzstan", XC_PARSE_SYNONYMS, "e-1");
    xc_db_close(db);
}

Test(xapianc, multiword_synonym_key_finds_the_acronym)
{
    doc_t only_ftf = {"d-9", NULL, "The FTF report.", NULL, NULL, NULL,
                      NULL};
    build(corpus, G_N_ELEMENTS(corpus));
    xc_dbw_t *w = open_writer();
    put_doc(w, &only_ftf);
    cr_assert_eq(xc_dbw_add_synonym(w, "Foreign  Terrorist Fighters", "FTF"),
                 XC_OK);
    cr_assert_eq(xc_dbw_close(w), XC_OK);

    xc_db_t *db = open_reader();
    /* d-4 has "fighter" (and "ftf"), so plain OR finds it as well. */
    EXPECT_IDS(db, "foreign terrorist fighters", 0, "d-4,e-1");
    EXPECT_IDS(db, "foreign terrorist fighters", XC_PARSE_SYNONYMS,
               "d-4,d-9,e-1");
    xc_db_close(db);
}

/* Has @text's parsed query a phrase in it? */
static gboolean
query_has_phrase(xc_db_t *db, const char *text)
{
    xc_query_t *q = NULL;

    cr_assert_eq(xc_query_parse(db, text, XC_PARSE_SYNONYMS, &q), XC_OK);
    gboolean has = xc_query_is_positional(q) != 0;
    xc_query_free(q);
    return has;
}

/* Synonyms known before the documents: the writer gives every document
 * with "foreign terrorist fighters" the term "ftf" at that place, so the
 * acronym is searched without a phrase, and finds the same documents. */
Test(xapianc, phrase_terms_let_an_acronym_skip_the_phrase)
{
    doc_t scattered = {"d-5", NULL, "Fighters abroad, foreign and "
                       "terrorist.", NULL, NULL, NULL, NULL};
    xc_dbw_t *w = open_writer();
    char *meta = NULL;

    cr_assert_eq(xc_dbw_add_synonym(w, "FTF", "Foreign Terrorist Fighters"),
                 XC_OK);
    cr_assert_eq(xc_dbw_add_synonym(w, "Foreign Terrorist Fighters", "FTF"),
                 XC_OK);
    for (size_t i = 0; i < G_N_ELEMENTS(corpus); i++)
        put_doc(w, &corpus[i]);
    put_doc(w, &scattered);
    cr_assert_eq(xc_dbw_close(w), XC_OK);

    xc_db_t *db = open_reader();
    cr_assert_eq(xc_db_get_metadata(db, XC_META_PHRASE_TERMS, &meta), XC_OK);
    cr_expect_str_eq(meta, "1");
    free(meta);
    cr_expect_not(query_has_phrase(db, "ftf"));
    EXPECT_IDS(db, "ftf", XC_PARSE_SYNONYMS, "d-4,e-1");
    EXPECT_IDS(db, "ftf AND kyrgyzstan", XC_PARSE_SYNONYMS, "e-1");
    /* The term is where the phrase starts: "ftf returning" is not a
     * phrase of e-1, "returning ftf" is. */
    EXPECT_IDS(db, "\"returning ftf\"", XC_PARSE_SYNONYMS, "e-1");
    EXPECT_IDS(db, "\"ftf returning\"", XC_PARSE_SYNONYMS, "");
    xc_db_close(db);

    /* A synonym added under written documents: they lack its terms, so
     * phrases are checked again, with the same results. */
    w = open_writer();
    cr_assert_eq(xc_dbw_add_synonym(w, "PVE", "preventing violent "
                                    "extremism"), XC_OK);
    cr_assert_eq(xc_dbw_close(w), XC_OK);
    db = open_reader();
    cr_assert_eq(xc_db_get_metadata(db, XC_META_PHRASE_TERMS, &meta), XC_OK);
    cr_expect_str_eq(meta, "0");
    free(meta);
    cr_expect(query_has_phrase(db, "ftf"));
    EXPECT_IDS(db, "ftf", XC_PARSE_SYNONYMS, "d-4,e-1");
    xc_db_close(db);
}

/* ------------------------------------------------------ Word forms */

/* Hunspell brings a word to its dictionary form before Snowball stems it,
 * on both sides: any Russian case form finds any other, a British
 * spelling the American one, and a capital changes nothing. */
Test(xapianc, russian_case_forms_and_spellings_meet)
{
    xc_db_t *db = corpus_reader();
    /* d-3 says "терроризму", "Центральной Азии". */
    EXPECT_IDS(db, "терроризм", 0, "d-3");
    EXPECT_IDS(db, "терроризма", 0, "d-3");
    EXPECT_IDS(db, "центральная", 0, "d-3");
    EXPECT_IDS(db, "Центральную", 0, "d-3");
    /* e-2 says "radicalisation". */
    EXPECT_IDS(db, "radicalization", 0, "e-2");
    EXPECT_IDS(db, "radicalisation", 0, "e-2");
    /* Capitalised words are stemmed like lower-case ones. */
    EXPECT_IDS(db, "Prisoners", 0, "e-2");
    EXPECT_IDS(db, "Fighter", 0, "d-4,e-1");
    EXPECT_IDS(db, "fighter", 0, "d-4,e-1");
    xc_db_close(db);
}

/* Glossary translations are stems on both sides: a Russian word in any
 * case form finds the English documents, a Russian phrase the documents
 * with all of its translation's words; an upper-case acronym stays one. */
Test(xapianc, translations_find_the_other_language)
{
    build(corpus, G_N_ELEMENTS(corpus));
    xc_dbw_t *w = open_writer();
    cr_assert_eq(xc_dbw_add_translation(w, "боевик", "fighter"), XC_OK);
    cr_assert_eq(xc_dbw_add_translation(w, "fighter", "боевик"), XC_OK);
    cr_assert_eq(xc_dbw_add_translation(w, "пенитенциарная система",
                                        "prison system"), XC_OK);
    cr_assert_eq(xc_dbw_add_translation(w, "terrorism", "терроризм"),
                 XC_OK);
    cr_assert_eq(xc_dbw_add_synonym(w, "ftf", "foreign terrorist fighters"),
                 XC_OK);
    cr_expect_eq(xc_dbw_add_translation(w, "!!", "fighter"), XC_ERR_INVALID);
    cr_assert_eq(xc_dbw_close(w), XC_OK);

    xc_db_t *db = open_reader();
    EXPECT_IDS(db, "боевиков", XC_PARSE_SYNONYMS, "d-4,e-1");
    EXPECT_IDS(db, "боевиков", 0, "");
    EXPECT_IDS(db, "пенитенциарной системы", XC_PARSE_SYNONYMS, "e-2");
    EXPECT_IDS(db, "terrorism", XC_PARSE_SYNONYMS, "d-3");
    EXPECT_IDS(db, "terrorism", 0, "");
    EXPECT_IDS(db, "FTF", XC_PARSE_SYNONYMS, "d-4,e-1");

    int known = 0;
    cr_assert_eq(xc_db_word_known(db, "Терроризма", &known), XC_OK);
    cr_expect(known, "a case form of a word the index holds");
    cr_assert_eq(xc_db_word_known(db, "боевиков", &known), XC_OK);
    cr_expect(known, "a glossary term");
    cr_assert_eq(xc_db_word_known(db, "контроля", &known), XC_OK);
    cr_expect(known, "a correct Russian word is never corrected");
    cr_assert_eq(xc_db_word_known(db, "контрля", &known), XC_OK);
    cr_expect_not(known);
    cr_assert_eq(xc_db_word_known(db, "organisations", &known), XC_OK);
    cr_expect_not(known);
    cr_assert_eq(xc_db_word_known(db, "fightr", &known), XC_OK);
    cr_expect_not(known);
    cr_expect_eq(xc_db_word_known(db, NULL, &known), XC_ERR_INVALID);

    /* Corrections: the glossary's Russian words are spelling data, and a
     * Latin word takes hunspell's suggestion that the index knows. */
    char *s = NULL;
    cr_assert_eq(xc_db_spell(db, "терорризм", &s), XC_OK);
    cr_expect(g_str_has_prefix(s, "терроризм"), "%s", s);  /* any form */
    free(s);
    cr_assert_eq(xc_db_spell(db, "fightr", &s), XC_OK);
    cr_expect_str_eq(s, "fighter");
    free(s);
    xc_db_close(db);
}

/* The term cap stops indexing a document's text once it holds that many
 * terms, checked piece by piece within one long text; the next document
 * starts uncapped. */
Test(xapianc, max_terms_caps_a_document_and_says_so)
{
    xc_dbw_t *w = open_writer();
    GString *text = g_string_new(NULL);
    uint64_t n = 0;

    /* 20,000 distinct words, about 200 KB: several 64 KB pieces. */
    for (guint i = 0; i < 20000; i++)
        g_string_append_printf(text, "qz%uxq ", i);
    cr_assert_eq(xc_dbw_set_max_terms(w, 1000), XC_OK);
    cr_assert_eq(xc_dbw_begin_doc(w, "d-big"), XC_OK);
    cr_assert_eq(xc_dbw_add_text(w, text->str, "", 1), XC_OK);
    cr_assert(xc_dbw_doc_capped(w));
    cr_assert_eq(xc_dbw_end_doc(w), XC_OK);
    cr_assert_eq(xc_dbw_begin_doc(w, "d-small"), XC_OK);
    cr_assert_eq(xc_dbw_add_text(w, "a short text", "", 1), XC_OK);
    cr_assert_not(xc_dbw_doc_capped(w));
    cr_assert_eq(xc_dbw_end_doc(w), XC_OK);
    cr_assert_eq(xc_dbw_close(w), XC_OK);
    g_string_free(text, TRUE);

    xc_db_t *db = open_reader();
    cr_assert_eq(xc_db_termfreq(db, "qz1xq", &n), XC_OK);
    cr_expect_eq(n, 1, "the first words are searchable");
    cr_assert_eq(xc_db_termfreq(db, "qz19999xq", &n), XC_OK);
    cr_expect_eq(n, 0, "the last ones are not");
    xc_db_close(db);
}
