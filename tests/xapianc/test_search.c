/* test_search.c -- searching through the C binding: hits, totals,
 * sorting, facets, positions, snippets, stored text and time limits, one
 * fresh database per test. */
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

TestSuite(search, .init = setup, .fini = teardown);

/* ---------------------------------------------------------------- Search */

Test(search, hits_report_rank_weight_and_data)
{
    xc_db_t *db = corpus_reader();
    xc_query_t *q = NULL;
    xc_mset_t *m = NULL;
    xc_search_opts_t opts = {1, 1, XC_SORT_RELEVANCE, NULL, 0, 0, NULL, 0};
    xc_hit_t hit;
    uint64_t total = 0;
    int exact = 0;
    char *v = NULL;
    size_t len = 0;

    q = parse(db, "fighter", 0);
    cr_assert_eq(xc_search(q, &opts, &m), XC_OK);
    cr_assert_eq(xc_mset_size(m), 1);
    xc_mset_total(m, &total, &exact);
    cr_expect_eq(total, 2);
    cr_expect(exact);
    cr_assert_eq(xc_mset_hit(m, 0, &hit), XC_OK);
    cr_expect_eq(hit.rank, 1);
    cr_expect_gt(hit.weight, 0.0);
    cr_expect_gt(hit.percent, 0);
    cr_expect_neq(hit.docid, 0);
    cr_expect(strcmp(hit.data, "e-1") == 0 || strcmp(hit.data, "d-4") == 0);
    cr_assert_eq(xc_mset_value(m, 0, XC_SLOT_TYPE, &v, &len), XC_OK);
    cr_expect(strcmp(v, "entry") == 0 || strcmp(v, "document") == 0);
    cr_expect_eq(len, strlen(v));
    free(v);
    cr_expect_eq(xc_mset_hit(m, 1, &hit), XC_ERR_INVALID);
    cr_expect_eq(xc_mset_value(m, 5, 0, &v, &len), XC_ERR_INVALID);
    xc_mset_free(m);
    xc_query_free(q);
    xc_db_close(db);
}

/* Two overlapping boolean terms: Xapian estimates the size of their AND
 * from the term frequencies (50 * 75 / 100) unless told to count. */
Test(search, check_at_least_makes_totals_exact)
{
    xc_dbw_t *w = open_writer();
    xc_db_t *db;
    xc_query_t *q = NULL;
    xc_mset_t *m = NULL;
    xc_search_opts_t opts = {0, 0, XC_SORT_RELEVANCE, NULL, 0, 0, NULL, 0};
    const char *a[] = {"a"}, *b[] = {"b"};
    uint64_t total = 0;
    int exact = 1;

    for (int i = 0; i < 100; i++) {
        g_autofree char *id = g_strdup_printf("d-%d", i);

        cr_assert_eq(xc_dbw_begin_doc(w, id), XC_OK);
        if (i < 50)
            cr_assert_eq(xc_dbw_add_term(w, "XORGa"), XC_OK);
        if (i >= 25)
            cr_assert_eq(xc_dbw_add_term(w, "XTHEMEb"), XC_OK);
        cr_assert_eq(xc_dbw_end_doc(w), XC_OK);
    }
    cr_assert_eq(xc_dbw_close(w), XC_OK);
    db = open_reader();
    q = parse(db, "", 0);
    cr_assert_eq(xc_query_filter(q, "XORG", a, 1), XC_OK);
    cr_assert_eq(xc_query_filter(q, "XTHEME", b, 1), XC_OK);

    cr_assert_eq(xc_search(q, &opts, &m), XC_OK);
    xc_mset_total(m, &total, &exact);
    cr_expect_not(exact && total == 25, "an estimate was expected");
    xc_mset_free(m);

    opts.check_at_least = 1000;
    cr_assert_eq(xc_search(q, &opts, &m), XC_OK);
    xc_mset_total(m, &total, &exact);
    cr_expect(exact);
    cr_expect_eq(total, 25);
    xc_mset_free(m);
    xc_query_free(q);
    xc_db_close(db);
}

Test(search, sort_by_date_puts_newest_first)
{
    xc_db_t *db = corpus_reader();
    char *ids = search_ids(db, "", 0, XC_SORT_DATE);
    cr_expect_str_eq(ids, "d-3,e-1,e-2,d-4");
    g_free(ids);
    ids = search_ids(db, "fighter OR prison", 0, XC_SORT_DATE);
    cr_expect_str_eq(ids, "e-1,e-2,d-4");
    g_free(ids);
    xc_db_close(db);
}

typedef struct {
    GString *out;
    int stop_after;
    int calls;
} facet_rock_t;

static int
collect_facet(const char *value, uint64_t count, void *rock)
{
    facet_rock_t *r = rock;
    g_string_append_printf(r->out, "%s%s=%" G_GUINT64_FORMAT,
                           r->out->len ? "," : "", value, count);
    return ++r->calls == r->stop_after;
}

/* @n documents saying "common words" (every @swap-th one "words common"
 * instead; 0: none), in kz and uz (every third, kz named twice) or in uz,
 * and "d-x" in tj saying "unrelated". */
static void
put_country_docs(int n, int swap)
{
    xc_dbw_t *w = open_writer();

    for (int i = 0; i < n; i++) {
        char *id = g_strdup_printf("d-%04d", i);
        doc_t d = {id, NULL, swap && i % swap == 0 ? "words common"
                                                   : "common words",
                   NULL, i % 3 == 0 ? "kz\nuz\nkz" : "uz", "document", NULL};
        put_doc(w, &d);
        g_free(id);
    }
    doc_t other = {"d-x", NULL, "unrelated", NULL, "tj", "entry", NULL};
    put_doc(w, &other);
    cr_assert_eq(xc_dbw_close(w), XC_OK);
}

Test(search, facets_count_every_match_and_each_value_once)
{
    /* 60 matches, one page of 2: the counts must cover all 60. */
    put_country_docs(60, 0);

    xc_db_t *db = open_reader();
    xc_query_t *q = NULL;
    xc_mset_t *m = NULL;
    const unsigned slots[] = {XC_SLOT_COUNTRY, XC_SLOT_TYPE};
    xc_search_opts_t opts = {0, 2, XC_SORT_RELEVANCE, slots, 2, 0, NULL, 0};
    facet_rock_t r = {g_string_new(NULL), 0, 0};
    uint64_t total = 0;
    int exact = 0;

    q = parse(db, "common", 0);
    cr_assert_eq(xc_search(q, &opts, &m), XC_OK);
    cr_expect_eq(xc_mset_size(m), 2);
    xc_mset_total(m, &total, &exact);
    cr_expect_eq(total, 60);
    cr_expect(exact);
    cr_assert_eq(xc_mset_facets(m, XC_SLOT_COUNTRY, collect_facet, &r),
                 XC_OK);
    cr_expect_str_eq(r.out->str, "uz=60,kz=20");
    g_string_truncate(r.out, 0);
    cr_assert_eq(xc_mset_facets(m, XC_SLOT_TYPE, collect_facet, &r), XC_OK);
    cr_expect_str_eq(r.out->str, "document=60");
    cr_expect_eq(xc_mset_facets(m, XC_SLOT_YEAR, collect_facet, &r),
                 XC_ERR_INVALID);
    xc_mset_free(m);
    xc_query_free(q);

    /* Browsing everything: ties are ordered by value; a non-zero return
     * stops the walk. */
    g_string_truncate(r.out, 0);
    r.calls = 0;
    r.stop_after = 2;
    opts.limit = 0;
    q = parse(db, NULL, 0);
    cr_assert_eq(xc_search(q, &opts, &m), XC_OK);
    cr_expect_eq(xc_mset_size(m), 0);
    cr_assert_eq(xc_mset_facets(m, XC_SLOT_TYPE, collect_facet, &r), XC_OK);
    cr_expect_str_eq(r.out->str, "document=60,entry=1");
    g_string_truncate(r.out, 0);
    r.calls = 0;
    r.stop_after = 2;
    cr_assert_eq(xc_mset_facets(m, XC_SLOT_COUNTRY, collect_facet, &r),
                 XC_OK);
    cr_expect_str_eq(r.out->str, "uz=60,kz=20");
    xc_mset_free(m);
    xc_query_free(q);

    g_string_free(r.out, TRUE);
    xc_db_close(db);
}

/* Past a couple of thousand matches facets are counted from per-revision
 * columns of values, below from each match's values, and for a phrase
 * from the docids of an unweighted match: the counts agree with what the
 * documents say, whichever way. */
Test(search, facets_agree_however_they_are_counted)
{
    xc_dbw_t *w;

    put_country_docs(2800, 4);

    xc_db_t *db = open_reader();
    static const unsigned slots[] = {XC_SLOT_COUNTRY, XC_SLOT_TYPE};
    static const struct {
        const char *q, *country, *type;
        uint64_t total;
    } cases[] = {
        {"common", "uz=2800,kz=934", "document=2800", 2800},   /* columns */
        {"unrelated", "tj=1", "entry=1", 1},                    /* values */
        {NULL, "uz=2800,kz=934,tj=1", "document=2800,entry=1", 2801},
        /* A phrase: an unweighted match collects the docids. */
        {"\"common words\"", "uz=2100,kz=700", "document=2100", 2100},
        {"\"words common\"", "uz=700,kz=234", "document=700", 700},
    };
    for (size_t k = 0; k < G_N_ELEMENTS(cases); k++) {
        xc_search_opts_t opts = {0, 2, XC_SORT_RELEVANCE, slots, 2, 0, NULL, 0};
        facet_rock_t r = {g_string_new(NULL), 0, 0};
        xc_query_t *q = NULL;
        xc_mset_t *m = NULL;
        uint64_t total = 0;
        int exact = 0;

        cr_assert_eq(xc_query_parse(db, cases[k].q, 0, &q), XC_OK);
        cr_assert_eq(xc_search(q, &opts, &m), XC_OK, "%s", xc_errmsg(db));
        cr_assert_eq(xc_mset_facets(m, XC_SLOT_COUNTRY, collect_facet, &r),
                     XC_OK);
        cr_expect_str_eq(r.out->str, cases[k].country, "%s",
                         cases[k].q ? cases[k].q : "(all)");
        g_string_truncate(r.out, 0);
        cr_assert_eq(xc_mset_facets(m, XC_SLOT_TYPE, collect_facet, &r),
                     XC_OK);
        cr_expect_str_eq(r.out->str, cases[k].type);
        xc_mset_total(m, &total, &exact);
        cr_expect_eq(total, cases[k].total);
        cr_expect(exact);
        g_string_free(r.out, TRUE);
        xc_mset_free(m);
        xc_query_free(q);
    }

    /* A new revision is read into new columns. */
    doc_t late = {"d-late", NULL, "common", NULL, "tj", "entry", NULL};
    w = open_writer();
    put_doc(w, &late);
    cr_assert_eq(xc_dbw_close(w), XC_OK);
    cr_assert_eq(xc_db_reopen(db), XC_OK);
    {
        xc_search_opts_t opts = {0, 2, XC_SORT_RELEVANCE, slots, 1, 0, NULL, 0};
        facet_rock_t r = {g_string_new(NULL), 0, 0};
        xc_query_t *q = NULL;
        xc_mset_t *m = NULL;

        q = parse(db, "common", 0);
        cr_assert_eq(xc_search(q, &opts, &m), XC_OK, "%s", xc_errmsg(db));
        cr_assert_eq(xc_mset_facets(m, XC_SLOT_COUNTRY, collect_facet, &r),
                     XC_OK);
        cr_expect_str_eq(r.out->str, "uz=2800,kz=934,tj=1");
        g_string_free(r.out, TRUE);
        xc_mset_free(m);
        xc_query_free(q);
    }
    xc_db_close(db);
}

static int
collect_pos(unsigned pos, void *rock)
{
    GArray *a = rock;
    g_array_append_val(a, pos);
    return 0;
}

static int
cmp_uint(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return (x > y) - (x < y);
}

/* Positions of @text's terms in the single hit, sorted, as "1,5". */
static char *
positions_of(xc_db_t *db, const char *text)
{
    xc_query_t *q = NULL;
    xc_mset_t *m = NULL;
    xc_search_opts_t opts = {0, 10, XC_SORT_RELEVANCE, NULL, 0, 0, NULL, 0};
    GArray *a = g_array_new(FALSE, FALSE, sizeof(unsigned));
    GString *s = g_string_new(NULL);

    cr_assert_eq(xc_query_parse(db, text, 0, &q), XC_OK);
    cr_assert_eq(xc_search(q, &opts, &m), XC_OK);
    cr_assert_eq(xc_mset_size(m), 1, "query '%s'", text);
    cr_assert_eq(xc_mset_positions(m, 0, collect_pos, a), XC_OK);
    g_array_sort(a, cmp_uint);
    for (guint i = 0; i < a->len; i++)
        g_string_append_printf(s, "%s%u", i ? "," : "",
                               g_array_index(a, unsigned, i));
    g_array_free(a, TRUE);
    xc_mset_free(m);
    xc_query_free(q);
    return g_string_free(s, FALSE);
}

Test(search, positions_cover_words_and_stems_of_the_query)
{
    xc_dbw_t *w = open_writer();
    unsigned page2 = 0;

    cr_assert_eq(xc_dbw_begin_doc(w, "d-p"), XC_OK);
    cr_assert_eq(xc_dbw_add_text(w, "alpha fighters beta", "", 1), XC_OK);
    cr_assert_eq(xc_dbw_next_pos(w, 10, &page2), XC_OK);
    cr_expect_eq(page2, 14);
    cr_assert_eq(xc_dbw_add_text(w, "a fighter gamma alpha", "", 1), XC_OK);
    cr_assert_eq(xc_dbw_add_term(w, "XTYPEdocument"), XC_OK);
    cr_assert_eq(xc_dbw_end_doc(w), XC_OK);
    cr_assert_eq(xc_dbw_close(w), XC_OK);

    xc_db_t *db = open_reader();
    char *p = positions_of(db, "alpha");
    cr_expect_str_eq(p, "1,17");
    g_free(p);
    /* "fighters" parses to the stem Zfighter, which has no positions
     * itself; both spellings are found through it. */
    p = positions_of(db, "fighters");
    cr_expect_str_eq(p, "2,15");
    g_free(p);
    p = positions_of(db, "\"fighter gamma\" type:document");
    cr_expect_str_eq(p, "15,16");
    g_free(p);
    xc_db_close(db);
}

Test(search, snippet_marks_matches_and_escapes_html)
{
    xc_db_t *db = corpus_reader();
    xc_query_t *q = NULL;
    xc_mset_t *m = NULL;
    xc_search_opts_t opts = {0, 10, XC_SORT_RELEVANCE, NULL, 0, 0, NULL, 0};
    char *s = NULL;

    q = parse(db, "fighters", 0);
    cr_assert_eq(xc_search(q, &opts, &m), XC_OK);
    cr_assert_eq(xc_mset_snippet(m, "Returning <b>fighter</b> & \"kin\"",
                                 200, &s), XC_OK);
    cr_expect_str_eq(s, "Returning &lt;b&gt;<mark>fighter</mark>&lt;/b&gt; "
                        "&amp; \"kin\"");
    free(s);

    /* A long text is cut to about max_len around the match. */
    GString *t = g_string_new(NULL);
    for (int i = 0; i < 200; i++)
        g_string_append(t, "filler words ");
    g_string_append(t, "the fighters came back ");
    for (int i = 0; i < 200; i++)
        g_string_append(t, "more filler ");
    cr_assert_eq(xc_mset_snippet(m, t->str, 80, &s), XC_OK);
    cr_expect(strstr(s, "<mark>fighters</mark>") != NULL, "%s", s);
    cr_expect_lt(strlen(s), 140, "%s", s);
    free(s);
    g_string_free(t, TRUE);

    cr_expect_eq(xc_mset_snippet(m, NULL, 80, &s), XC_ERR_INVALID);
    xc_mset_free(m);
    xc_query_free(q);

    /* Russian words are stemmed for highlighting too. */
    q = parse(db, "терроризма", 0);
    cr_assert_eq(xc_search(q, &opts, &m), XC_OK);
    cr_assert_eq(xc_mset_snippet(m, "о терроризме", 200, &s), XC_OK);
    cr_expect_str_eq(s, "о <mark>терроризме</mark>");
    free(s);
    xc_mset_free(m);
    xc_query_free(q);
    xc_db_close(db);
}

typedef struct {
    GString *out;
} term_rock_t;

static int
collect_term(const char *term, uint64_t freq, void *rock)
{
    term_rock_t *r = rock;
    g_string_append_printf(r->out, "%s%s:%" G_GUINT64_FORMAT,
                           r->out->len ? "," : "", term, freq);
    return 0;
}

Test(search, allterms_walks_prefix_in_order_up_to_max)
{
    xc_db_t *db = corpus_reader();
    term_rock_t r = {g_string_new(NULL)};

    cr_assert_eq(xc_db_allterms(db, XC_PREFIX_COUNTRY, 0, collect_term, &r),
                 XC_OK);
    cr_expect_str_eq(r.out->str, "XCOUNTRYkg:1,XCOUNTRYkz:2,XCOUNTRYtj:2,"
                                 "XCOUNTRYuz:1");
    g_string_truncate(r.out, 0);
    cr_assert_eq(xc_db_allterms(db, "fight", 2, collect_term, &r), XC_OK);
    cr_expect_str_eq(r.out->str, "fighter:1,fighters:1");
    g_string_truncate(r.out, 0);
    cr_assert_eq(xc_db_allterms(db, "XCOUNTRY", 1, collect_term, &r), XC_OK);
    cr_expect_str_eq(r.out->str, "XCOUNTRYkg:1");
    g_string_free(r.out, TRUE);
    xc_db_close(db);
}

/* The full text is the bulk of an index and Glass does not compress value
 * slots, so xapianc deflates XC_SLOT_TEXT; every reader gets the bytes
 * back as written, and the database is smaller than the text. */
Test(search, stored_text_is_packed_and_reads_back_unchanged)
{
    static const char *const words[] = {
        "extremism", "prevention", "community", "dialogue", "youth",
        "радикализация", "border", "security", "women", "religious",
    };
    GString *text = g_string_new(NULL);
    GRand *rand = g_rand_new_with_seed(7);

    while (text->len < 2000000) {
        g_string_append(text, words[g_rand_int_range(
                                  rand, 0, G_N_ELEMENTS(words))]);
        g_string_append_c(text, text->len % 997 < 9 ? '\f' : ' ');
    }
    g_rand_free(rand);

    xc_dbw_t *w = NULL;
    char *err = NULL;
    cr_assert_eq(xc_dbw_open(dbpath, 1, &w, &err), XC_OK, "%s", err);
    cr_assert_eq(xc_dbw_begin_doc(w, "d-big"), XC_OK);
    cr_assert_eq(xc_dbw_add_text(w, "youth dialogue", "", 1), XC_OK);
    cr_assert_eq(xc_dbw_set_value(w, XC_SLOT_TEXT, text->str, text->len),
                 XC_OK);
    cr_assert_eq(xc_dbw_end_doc(w), XC_OK);
    cr_assert_eq(xc_dbw_begin_doc(w, "d-short"), XC_OK);
    cr_assert_eq(xc_dbw_add_text(w, "youth", "", 1), XC_OK);
    cr_assert_eq(xc_dbw_set_value(w, XC_SLOT_TEXT, "short\fpages", 11),
                 XC_OK);
    cr_assert_eq(xc_dbw_end_doc(w), XC_OK);
    cr_assert_eq(xc_dbw_close(w), XC_OK);

    /* The writer, the reader by id and a hit all inflate it. */
    char *v = NULL;
    size_t len = 0;
    cr_assert_eq(xc_dbw_open(dbpath, 0, &w, &err), XC_OK, "%s", err);
    cr_assert_eq(xc_dbw_get_value(w, "d-big", XC_SLOT_TEXT, &v, &len),
                 XC_OK);
    cr_expect_eq(len, text->len);
    cr_expect(memcmp(v, text->str, text->len) == 0);
    free(v);
    cr_assert_eq(xc_dbw_close(w), XC_OK);

    xc_db_t *db = open_reader();
    cr_assert_eq(xc_db_get_value(db, "d-short", XC_SLOT_TEXT, &v, &len),
                 XC_OK);
    cr_expect_eq(len, 11);
    cr_expect_str_eq(v, "short\fpages");
    free(v);

    xc_query_t *q = NULL;
    xc_mset_t *m = NULL;
    xc_search_opts_t opts = {0, 10, XC_SORT_RELEVANCE, NULL, 0, 0, NULL, 0};
    q = parse(db, "dialogue", 0);
    cr_assert_eq(xc_search(q, &opts, &m), XC_OK);
    cr_assert_eq(xc_mset_size(m), 1);
    cr_assert_eq(xc_mset_value(m, 0, XC_SLOT_TEXT, &v, &len), XC_OK);
    cr_expect_eq(len, text->len);
    cr_expect(memcmp(v, text->str, text->len) == 0);
    free(v);

    /* One passage is read from its block alone: the first, one in the
     * middle, the last, and past the last (clamped, and said so). */
    char **passages = g_strsplit(text->str, "\f", -1);
    unsigned n_passages = g_strv_length(passages);
    const unsigned wanted[] = {0, 1, n_passages / 2, n_passages - 1,
                               n_passages + 5};
    cr_assert_gt(n_passages, 100, "too few passages to span blocks");
    for (size_t k = 0; k < G_N_ELEMENTS(wanted); k++) {
        unsigned n = wanted[k];
        unsigned expect = MIN(n, n_passages - 1);

        cr_assert_eq(xc_mset_passage(m, 0, &n, &v, &len), XC_OK);
        cr_expect_eq(n, expect, "asked %u", wanted[k]);
        cr_expect_str_eq(v, passages[expect], "passage %u", expect);
        cr_expect_eq(len, strlen(passages[expect]));
        free(v);
    }
    g_strfreev(passages);
    xc_mset_free(m);
    xc_query_free(q);

    /* Short and plain texts cut the same way. */
    q = parse(db, "youth -dialogue", 0);
    cr_assert_eq(xc_search(q, &opts, &m), XC_OK);
    cr_assert_eq(xc_mset_size(m), 1);
    unsigned n = 7;
    cr_assert_eq(xc_mset_passage(m, 0, &n, &v, &len), XC_OK);
    cr_expect_eq(n, 1);
    cr_expect_str_eq(v, "pages");
    free(v);
    xc_mset_free(m);
    xc_query_free(q);
    xc_db_close(db);


    /* Stored plainly, the text alone would take 2 MB of postlist.glass. */
    char *postlist = g_build_filename(dbpath, "postlist.glass", NULL);
    GStatBuf st;
    cr_assert_eq(g_stat(postlist, &st), 0);
    cr_expect_lt((size_t)st.st_size, text->len / 2, "postlist is %ld bytes",
                 (long)st.st_size);
    g_free(postlist);
    g_string_free(text, TRUE);
}

Test(search, time_limit_keeps_results_and_refuses_negative)
{
    xc_db_t *db = corpus_reader();
    xc_query_t *q = NULL;
    xc_mset_t *m = NULL;
    xc_search_opts_t opts = {.offset = 0, .limit = 10,
                             .sort = XC_SORT_RELEVANCE,
                             .check_at_least = 100};
    uint64_t total = 0;
    int exact = 0;

    q = parse(db, "", 0);
    cr_expect_eq(xc_query_set_time_limit(q, -1.0), XC_ERR_INVALID);
    cr_expect_eq(xc_query_set_time_limit(NULL, 1.0), XC_ERR_INVALID);
    cr_assert_eq(xc_query_set_time_limit(q, 0.5), XC_OK);
    cr_assert_eq(xc_search(q, &opts, &m), XC_OK, "%s", xc_errmsg(db));
    xc_mset_total(m, &total, &exact);
    cr_expect_eq(total, 4);
    cr_expect_eq(xc_mset_size(m), 4);
    xc_mset_free(m);
    xc_query_free(q);
    xc_db_close(db);
}

/* A search past its time limit stops with XC_ERR_TIMEOUT, with facets
 * or without, instead of returning counts it did not finish; within the
 * limit it runs as if there were none. */
Test(search, time_limit_stops_a_long_search)
{
    put_country_docs(2000, 0);

    xc_db_t *db = open_reader();
    static const unsigned slots[] = {XC_SLOT_COUNTRY};
    xc_search_opts_t opts = {.offset = 0, .limit = 10,
                             .sort = XC_SORT_RELEVANCE,
                             .check_at_least = 2000};
    xc_query_t *q = NULL;
    xc_mset_t *m = NULL;
    uint64_t total = 0;
    int exact = 0;

    q = parse(db, "common", 0);
    cr_assert_eq(xc_query_set_time_limit(q, 1e-9), XC_OK);
    cr_expect_eq(xc_search(q, &opts, &m), XC_ERR_TIMEOUT);
    cr_expect_null(m);
    cr_expect(strstr(xc_errmsg(db), "time limit") != NULL, "%s",
              xc_errmsg(db));
    opts.facet_slots = slots;
    opts.n_facet_slots = 1;
    cr_expect_eq(xc_search(q, &opts, &m), XC_ERR_TIMEOUT);

    cr_assert_eq(xc_query_set_time_limit(q, 60.0), XC_OK);
    cr_assert_eq(xc_search(q, &opts, &m), XC_OK, "%s", xc_errmsg(db));
    xc_mset_total(m, &total, &exact);
    cr_expect_eq(total, 2000);
    cr_expect(exact);
    xc_mset_free(m);
    xc_query_free(q);

    cr_assert_eq(xc_query_parse(db, "\"common word\"", 0, &q), XC_OK);
    cr_expect(xc_query_is_positional(q));
    xc_query_free(q);
    q = parse(db, "common word", 0);
    cr_expect_not(xc_query_is_positional(q));
    xc_query_free(q);
    xc_db_close(db);
}
