/* helpers.c -- the xapianc suites' fixture (a fresh database per test,
 * a leak check at teardown under ASan), corpus and helpers. */
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

char *tmpdir;
char *dbpath;

/* Removes @path and everything under it. */
static void
rm_rf(const char *path)
{
    GDir *dir = g_dir_open(path, 0, NULL);

    if (dir) {
        const char *name;
        for (name = g_dir_read_name(dir); name; name = g_dir_read_name(dir)) {
            char *child = g_build_filename(path, name, NULL);
            rm_rf(child);
            g_free(child);
        }
        g_dir_close(dir);
        g_rmdir(path);
    } else {
        g_unlink(path);
    }
}

void
setup(void)
{
    tmpdir = g_dir_make_tmp("xapianc-XXXXXX", NULL);
    cr_assert_not_null(tmpdir);
    dbpath = g_build_filename(tmpdir, "index", NULL);
}

void
teardown(void)
{
    rm_rf(tmpdir);
    g_free(dbpath);
    g_free(tmpdir);
    CHECK_LEAKS();
}


/* ---------------------------------------------------------------- Helpers */

xc_dbw_t *
open_writer(void)
{
    xc_dbw_t *w = NULL;
    char *err = NULL;

    xc_status_t st = xc_dbw_open(dbpath, 1, &w, &err);
    cr_assert_eq(st, XC_OK, "xc_dbw_open: %s", err ? err : "");
    cr_assert_null(err);
    return w;
}

/* Commits @w's pending changes and counts the documents a reader sees. */
uint64_t
committed_doccount(xc_dbw_t *w)
{
    uint64_t n = 0;

    cr_assert_eq(xc_dbw_commit(w), XC_OK);
    xc_db_t *db = open_reader();
    cr_assert_eq(xc_db_doccount(db, &n), XC_OK);
    xc_db_close(db);
    return n;
}

xc_db_t *
open_reader(void)
{
    xc_db_t *db = NULL;
    char *err = NULL;

    xc_status_t st = xc_db_open(dbpath, &db, &err);
    cr_assert_eq(st, XC_OK, "xc_db_open: %s", err ? err : "");
    return db;
}

static void
add_slugs(xc_dbw_t *w, const char *prefix, unsigned slot, const char *slugs)
{
    if (!slugs)
        return;
    char **parts = g_strsplit(slugs, "\n", -1);
    for (char **p = parts; *p; p++) {
        char *term = g_strconcat(prefix, *p, NULL);
        cr_assert_eq(xc_dbw_add_term(w, term), XC_OK);
        g_free(term);
    }
    g_strfreev(parts);
    cr_assert_eq(xc_dbw_set_value(w, slot, slugs, strlen(slugs)), XC_OK);
}

/* Stores @d; its data is its id, which is what search helpers return. */
void
put_doc(xc_dbw_t *w, const doc_t *d)
{
    cr_assert_eq(xc_dbw_begin_doc(w, d->id), XC_OK);
    if (d->title) {
        cr_assert_eq(xc_dbw_add_text(w, d->title, XC_PREFIX_TITLE,
                                     XC_WEIGHT_TITLE), XC_OK);
        cr_assert_eq(xc_dbw_add_text(w, d->title, "", XC_WEIGHT_TITLE),
                     XC_OK);
        cr_assert_eq(xc_dbw_next_pos(w, 100, NULL), XC_OK);
    }
    if (d->body)
        cr_assert_eq(xc_dbw_add_text(w, d->body, "", XC_WEIGHT_BODY), XC_OK);
    if (d->date)
        cr_assert_eq(xc_dbw_set_value(w, XC_SLOT_DATE, d->date,
                                      strlen(d->date)), XC_OK);
    add_slugs(w, XC_PREFIX_COUNTRY, XC_SLOT_COUNTRY, d->countries);
    add_slugs(w, XC_PREFIX_TYPE, XC_SLOT_TYPE, d->type);
    add_slugs(w, XC_PREFIX_YEAR, XC_SLOT_YEAR, d->year);
    cr_assert_eq(xc_dbw_set_data(w, d->id), XC_OK);
    cr_assert_eq(xc_dbw_end_doc(w), XC_OK, "%s", xc_dbw_errmsg(w));
}

void
build(const doc_t *docs, size_t n)
{
    xc_dbw_t *w = open_writer();
    for (size_t i = 0; i < n; i++)
        put_doc(w, &docs[i]);
    cr_assert_eq(xc_dbw_close(w), XC_OK);
}

/* Runs @mset's hits into "id1,id2,..." in rank order.  (transfer full) */
char *
mset_ids(xc_mset_t *m)
{
    GString *s = g_string_new(NULL);
    for (size_t i = 0; i < xc_mset_size(m); i++) {
        xc_hit_t hit;
        cr_assert_eq(xc_mset_hit(m, i, &hit), XC_OK);
        if (i)
            g_string_append_c(s, ',');
        g_string_append(s, hit.data);
    }
    return g_string_free(s, FALSE);
}

xc_db_t *
corpus_reader(void)
{
    build(corpus, G_N_ELEMENTS(corpus));
    return open_reader();
}

xc_query_t *
parse(xc_db_t *db, const char *text, unsigned flags)
{
    xc_query_t *q = NULL;

    cr_assert_eq(xc_query_parse(db, text, flags, &q), XC_OK,
                 "parse '%s': %s", text ? text : "(null)", xc_errmsg(db));
    return q;
}

/* Parses and runs @text, returning the ids in rank order.  (transfer full) */
char *
search_ids(xc_db_t *db, const char *text, unsigned flags, xc_sort_t sort)
{
    xc_query_t *q = NULL;
    xc_mset_t *m = NULL;
    xc_search_opts_t opts = {0, 100, sort, NULL, 0, 0, NULL, 0};

    q = parse(db, text, flags);
    cr_assert_eq(xc_search(q, &opts, &m), XC_OK, "%s", xc_errmsg(db));
    char *ids = mset_ids(m);
    xc_mset_free(m);
    xc_query_free(q);
    return ids;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char *
sorted(char *ids)
{
    char **parts = g_strsplit(ids, ",", -1);
    guint n = g_strv_length(parts);
    qsort(parts, n, sizeof(*parts), cmp_str);
    char *out = g_strjoinv(",", parts);
    g_strfreev(parts);
    g_free(ids);
    return out;
}

void
expect_hits(xc_query_t *q, const xc_search_opts_t *opts, gboolean any_order,
            const char *want)
{
    xc_mset_t *m = NULL;
    char *ids;

    cr_assert_eq(xc_search(q, opts, &m), XC_OK);
    ids = mset_ids(m);
    if (any_order)
        ids = sorted(ids);
    cr_expect_str_eq(ids, want);
    g_free(ids);
    xc_mset_free(m);
}

const doc_t corpus[4] = {
    {"e-1", "Returning foreign terrorist fighters",
     "Rehabilitation of foreign terrorist fighters returning to Kyrgyzstan.",
     "20190301", "kg\nkz", "entry", "2019"},
    {"e-2", "Prison radicalisation",
     "A handbook on violent extremist prisoners and the prison system.",
     "20180110", "kz", "entry", "2018"},
    {"d-3", "Противодействие терроризму",
     "Доклад о противодействии терроризму "
     "в Центральной Азии.",
     "20200515", "uz\ntj", "document", "2020"},
    {"d-4", "A lone fighter", "The story of one fighter, the ftf acronym.",
     "20170101", "tj", "document", "2017"},
};

