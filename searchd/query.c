/* query.c -- turns a checked /search request into an xc_query_t: the
 * user's text through Xapian's parser, the facet filters as boolean
 * terms. */
#include <string.h>

#include "schema.h"
#include "searchd-int.h"

static void
filter_free(gpointer data)
{
    sd_filter_t *f = data;

    g_ptr_array_unref(f->values);
    g_free(f);
}

void
sd_search_req_init(sd_search_req_t *req)
{
    memset(req, 0, sizeof(*req));
    req->filters = g_ptr_array_new_with_free_func(filter_free);
    req->limit = SD_DEFAULT_LIMIT;
    req->sort = -1;
}

void
sd_search_req_clear(sd_search_req_t *req)
{
    g_clear_pointer(&req->q, g_free);
    g_clear_pointer(&req->filters, g_ptr_array_unref);
}

/* Slugs are computed the way the indexer computes the values of its
 * boolean terms (corpus_slug()); searchd does not link the corpus
 * library, so the rule is repeated here and the tests pin it down. */
char *
sd_query_slug(const char *text)
{
    g_autofree char *valid = g_utf8_make_valid(text, -1);
    GString *out = g_string_new(NULL);
    gboolean dash = FALSE;
    const char *p;

    for (p = valid; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);

        if (!g_unichar_isalnum(c)) {
            dash = out->len > 0;
            continue;
        }
        if (dash)
            g_string_append_c(out, '-');
        dash = FALSE;
        g_string_append_unichar(out, g_unichar_tolower(c));
    }
    return g_string_free(out, FALSE);
}

void
sd_search_req_add_filter(sd_search_req_t *req, const char *prefix,
                         const char *value)
{
    g_autofree char *slug = sd_query_slug(value);
    sd_filter_t *f = NULL;
    guint i;

    if (!*slug)
        return;
    for (i = 0; i < req->filters->len; i++) {
        sd_filter_t *cand = g_ptr_array_index(req->filters, i);

        if (g_str_equal(cand->prefix, prefix))
            f = cand;
    }
    if (!f) {
        f = g_new0(sd_filter_t, 1);
        f->prefix = prefix;
        f->values = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(req->filters, f);
    }
    g_ptr_array_add(f->values, g_steal_pointer(&slug));
}

xc_query_t *
sd_query_build(xc_db_t *db, const sd_search_req_t *req, GError **error)
{
    xc_query_t *q = NULL;
    xc_status_t st;
    guint i;

    /* Synonyms expand acronyms and organization aliases; spelling
     * correction ("corrected") comes with the full API. */
    st = xc_query_parse(db, req->q ? req->q : "", XC_PARSE_SYNONYMS, &q);
    if (st != XC_OK) {
        sd_index_fail(db, st, "cannot parse query", error);
        return NULL;
    }
    for (i = 0; i < req->filters->len; i++) {
        const sd_filter_t *f = g_ptr_array_index(req->filters, i);

        st = xc_query_filter(q, f->prefix,
                             (const char *const *)f->values->pdata,
                             f->values->len);
        if (st != XC_OK) {
            sd_index_fail(db, st, "cannot apply filter", error);
            xc_query_free(q);
            return NULL;
        }
    }
    return q;
}
