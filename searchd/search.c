/* search.c -- one /search, apart from its JSON: the text parsed once, the
 * main search under every filter, the spelling fallback when nothing
 * matched, and the page cut and ranked (sd_search_run()).  api.c writes
 * the reply; facets.c counts the facets from the same parsed query. */
#include "searchd-int.h"

/* Runs the main search of @req on @q: the page of hits and the facets of
 * the fields without an active filter.  *@m stays NULL when the text has
 * no usable terms (only stopwords, say), which matches nothing rather
 * than everything as an empty query would. */
static gboolean
run_search(xc_db_t *db, sd_search_req_t *req, xc_query_t *q, xc_mset_t **m,
           GError **error)
{
    unsigned slots[SD_MAX_FACETS];
    xc_filter_t filters[SD_MAX_FACETS];
    xc_sort_t sort = req->sort >= 0 ? (xc_sort_t)req->sort
        : req->q ? XC_SORT_RELEVANCE : XC_SORT_DATE;
    xc_search_opts_t opts = {
        .offset = req->offset,
        .limit = req->limit,
        .sort = sort,
        .facet_slots = slots,
        .n_facet_slots = sd_facets_main_slots(req, slots),
        /* Exact totals while they are cheap: the whole mapping and its
         * documents fit many times over. */
        .check_at_least = SD_EXACT_TOTAL,
        .filters = filters,
        .n_filters = sd_search_filters(req, NULL, filters),
    };
    xc_status_t st;

    *m = NULL;
    /* Browsing (no q) and date order have no near-duplicates to speak
     * of: those lists are what the user asked for, in that order. */
    req->diversify = req->q && sort == XC_SORT_RELEVANCE
        && req->offset < SD_DIVERSIFY_WINDOW;
    if (req->diversify) {
        opts.offset = 0;
        opts.limit = MAX(SD_DIVERSIFY_WINDOW, req->offset + req->limit);
    }
    if (req->q && xc_query_is_empty(q))
        return TRUE;
    if (xc_query_is_positional(q))
        opts.check_at_least = SD_EXACT_TOTAL_PHRASE;
    st = xc_search(q, &opts, m);
    if (st != XC_OK)
        return sd_index_fail(db, st, "search failed", error);
    return TRUE;
}

/* Parses the text @req searches now and runs it into @res. */
static gboolean
parse_and_run(xc_db_t *db, sd_search_req_t *req, sd_search_result_t *res,
              GError **error)
{
    xc_query_free(res->query);
    xc_mset_free(res->m);
    res->m = NULL;
    res->query = sd_query_build(db, req, error);
    if (!res->query)
        return FALSE;
    if (!run_search(db, req, res->query, &res->m, error))
        return FALSE;
    res->total = 0;
    res->exact = 1;
    if (res->m)
        xc_mset_total(res->m, &res->total, &res->exact);
    return TRUE;
}

gboolean
sd_search_run(xc_db_t *db, sd_search_req_t *req, sd_search_result_t *res,
              GError **error)
{
    *res = (sd_search_result_t){.exact = 1};
    /* Only words the index does not know are corrected, so the corrected
     * query is what is searched, even when the other words match
     * ("corrected_applied"). */
    if (req->q)
        req->corrected = sd_query_correct(db, req->q);
    req->use_corrected = req->corrected != NULL;
    if (!parse_and_run(db, req, res, error))
        return FALSE;
    if (res->m) {
        res->page = sd_rank_page(db, res->m, req->offset, req->limit,
                                 req->diversify, error);
        if (!res->page)
            return FALSE;
        if (req->q && !xc_query_is_empty(res->query)) {
            res->folded_matched = sd_rank_folded_matched(
                db, res->query, res->m, res->page, error);
            if (!res->folded_matched)
                return FALSE;
        }
    }
    return TRUE;
}

void
sd_search_result_clear(sd_search_result_t *res)
{
    g_clear_pointer(&res->page, g_array_unref);
    g_clear_pointer(&res->folded_matched, g_hash_table_unref);
    g_clear_pointer(&res->m, xc_mset_free);
    g_clear_pointer(&res->query, xc_query_free);
}
