/* search.cc -- running a parsed query (xc_search) and reading its
 * results: hits, values, passages, term positions and snippets. */
#include "xapianc-int.hh"

#include <algorithm>
#include <memory>
#include <set>

namespace xc_int {

/* ---------------------------------------------------------------- Positions */

/* Reports the positions of @term in @did; a term without positions (or
 * not in the document) gives an empty list, not an error. */
bool
emit_positions(const Xapian::Database &db, Xapian::docid did,
               const std::string &term, xc_pos_cb cb, void *rock)
{
    for (auto p = db.positionlist_begin(did, term);
         p != db.positionlist_end(did, term); ++p) {
        if (cb(*p, rock))
            return true;
    }
    return false;
}

/* Length of the Xapian-style prefix (leading ASCII capitals) of @term. */
size_t
prefix_len(const std::string &term)
{
    size_t i = 0;
    while (i < term.size() && term[i] >= 'A' && term[i] <= 'Z')
        i++;
    return i;
}

} /* namespace xc_int */

using namespace xc_int;

xc_status_t
xc_search(xc_query_t *q, const xc_search_opts_t *opts, xc_mset_t **out)
{
    if (!q)
        return XC_ERR_INVALID;
    xc_db_t *db = q->db;
    if (!opts || !out)
        return invalid(db->err, "xc_search: NULL argument");
    if (opts->n_facet_slots && !opts->facet_slots)
        return invalid(db->err, "xc_search: NULL facet_slots");
    if (opts->n_filters && !opts->filters)
        return invalid(db->err, "xc_search: NULL filters");
    *out = nullptr;
    return guard(db->err, [&]() -> xc_status_t {
        std::unique_ptr<xc_mset_t> m(new xc_mset_t());
        m->db = db;
        m->query = q->query;
        for (size_t i = 0; i < opts->n_filters; i++) {
            xc_status_t st = add_filter(db->err, &opts->filters[i],
                                        &m->query);
            if (st != XC_OK)
                return st;
        }

        Xapian::Enquire enq(db->db);
        enq.set_query(m->query);
        enq.set_weighting_scheme(Xapian::BM25Weight());
        std::unique_ptr<DeadlineSpy> deadline;
        if (q->time_limit > 0) {
            deadline.reset(new DeadlineSpy(q->time_limit));
            enq.add_matchspy(deadline.get());
        }
        switch (opts->sort) {
        case XC_SORT_RELEVANCE:
            enq.set_sort_by_relevance();
            break;
        case XC_SORT_DATE:
            enq.set_sort_by_value_then_relevance(XC_SLOT_DATE, true);
            break;
        }
        /* No default: -Wswitch catches a new xc_sort_t. */

        const size_t cap = 0xFFFFFFFFu;
        Xapian::doccount offset =
            static_cast<Xapian::doccount>(std::min(opts->offset, cap));
        Xapian::doccount limit =
            static_cast<Xapian::doccount>(std::min(opts->limit, cap));
        /* Counting facets visits every match and gives the exact total,
         * so then the page pass need not count. */
        size_t check = opts->n_facet_slots ? 0 : opts->check_at_least;
        m->mset = enq.get_mset(
            offset, limit,
            static_cast<Xapian::doccount>(std::min(check, cap)));
        enq.clear_matchspies();
        if (opts->n_facet_slots)
            count_facets(db, opts, m.get(), deadline.get());
        *out = m.release();
        return XC_OK;
    });
}

void
xc_mset_free(xc_mset_t *m)
{
    delete m;
}

/* The bounds are cached in the MSet, so this cannot throw in practice; a
 * failure still reports zero rather than escaping. */
void
xc_mset_total(const xc_mset_t *m, uint64_t *estimate, int *exact)
{
    uint64_t est = 0;
    int ex = 1;
    if (m) {
        try {
            est = m->counted >= 0 ? static_cast<uint64_t>(m->counted)
                                  : m->mset.get_matches_estimated();
            ex = m->counted >= 0
                 || m->mset.get_matches_lower_bound() ==
                        m->mset.get_matches_upper_bound();
        } catch (...) {
            est = 0;
            ex = 0;
        }
    }
    if (estimate)
        *estimate = est;
    if (exact)
        *exact = ex;
}

size_t
xc_mset_size(const xc_mset_t *m)
{
    return m ? m->mset.size() : 0;
}

xc_status_t
xc_mset_hit(xc_mset_t *m, size_t i, xc_hit_t *hit)
{
    if (!m)
        return XC_ERR_INVALID;
    if (!hit || i >= m->mset.size())
        return invalid(m->db->err, "xc_mset_hit: no such hit");
    return guard(m->db->err, [&]() -> xc_status_t {
        Xapian::MSetIterator it = m->mset[static_cast<Xapian::doccount>(i)];
        m->data = it.get_document().get_data();
        hit->docid = *it;
        hit->rank = it.get_rank();
        hit->weight = it.get_weight();
        hit->percent = it.get_percent();
        hit->data = m->data.c_str();
        return XC_OK;
    });
}

/* Only the docid: the MSet holds it, so no document is read. */
xc_status_t
xc_mset_docid(xc_mset_t *m, size_t i, unsigned *docid)
{
    if (!m)
        return XC_ERR_INVALID;
    if (!docid || i >= m->mset.size())
        return invalid(m->db->err, "xc_mset_docid: no such hit");
    return guard(m->db->err, [&]() -> xc_status_t {
        *docid = *m->mset[static_cast<Xapian::doccount>(i)];
        return XC_OK;
    });
}

xc_status_t
xc_mset_value(xc_mset_t *m, size_t i, unsigned slot, char **value,
              size_t *len)
{
    if (!m)
        return XC_ERR_INVALID;
    if (!value || i >= m->mset.size())
        return invalid(m->db->err, "xc_mset_value: no such hit");
    *value = nullptr;
    return guard(m->db->err, [&]() -> xc_status_t {
        Xapian::MSetIterator it = m->mset[static_cast<Xapian::doccount>(i)];
        std::string v = read_value(it.get_document(), slot);
        *value = dup_bytes(v);
        if (len)
            *len = v.size();
        return XC_OK;
    });
}

xc_status_t
xc_mset_passage(xc_mset_t *m, size_t i, unsigned *n, char **text,
                size_t *len)
{
    if (!m)
        return XC_ERR_INVALID;
    if (!n || !text || i >= m->mset.size())
        return invalid(m->db->err, "xc_mset_passage: no such hit");
    *text = nullptr;
    return guard(m->db->err, [&]() -> xc_status_t {
        Xapian::MSetIterator it = m->mset[static_cast<Xapian::doccount>(i)];
        std::string p = read_passage(it.get_document(), n);
        *text = dup_bytes(p);
        if (len)
            *len = p.size();
        return XC_OK;
    });
}

/* Stemmed query terms ("Zfighter") have no positions in the index, only
 * the words do ("fighters"), so for those the document's own terms are
 * walked and each word whose stem is a query stem reports its positions.
 * Stemming every word of the hit was most of the time of a /search, so a
 * word is stemmed only when it starts like a query stem: a Snowball stem
 * keeps the word's start, but for its last letters ("happi" from "happy",
 * "fighter" from "fighters"), so all of the stem but its last two bytes
 * must lead the word.  The walk costs one pass over the hit's term list,
 * and only when the query has stemmed terms. */
xc_status_t
xc_mset_positions(xc_mset_t *m, size_t i, xc_pos_cb cb, void *rock)
{
    if (!m)
        return XC_ERR_INVALID;
    if (!cb || i >= m->mset.size())
        return invalid(m->db->err, "xc_mset_positions: no such hit");
    return guard(m->db->err, [&]() -> xc_status_t {
        const Xapian::Database &db = m->db->db;
        Xapian::docid did = *m->mset[static_cast<Xapian::doccount>(i)];
        std::set<std::string> stems;
        std::set<std::string> done;
        std::vector<std::string> leads;  /* prefix + start of each stem */

        for (auto t = m->query.get_unique_terms_begin();
             t != m->query.get_unique_terms_end(); ++t) {
            std::string term = *t;
            if (term.empty())
                continue;
            if (term[0] == 'Z') {
                stems.insert(term);
                std::string bare = term.substr(1);
                size_t plen = prefix_len(bare);
                size_t keep = bare.size() - plen > 3
                                  ? bare.size() - plen - 2 : 1;
                leads.push_back(bare.substr(0, plen + keep));
                continue;
            }
            done.insert(term);
            if (emit_positions(db, did, term, cb, rock))
                return XC_OK;
        }
        if (stems.empty())
            return XC_OK;

        const Xapian::Stem &stem = m->db->stem;
        for (auto t = db.termlist_begin(did); t != db.termlist_end(did);
             ++t) {
            std::string term = *t;
            size_t plen = prefix_len(term);
            if (plen == term.size() || done.count(term))
                continue;
            bool lead = false;
            for (const std::string &l : leads)
                if (term.compare(0, l.size(), l) == 0) {
                    lead = true;
                    break;
                }
            if (!lead)
                continue;
            std::string key = "Z" + term.substr(0, plen) +
                              stem(term.substr(plen));
            if (!stems.count(key))
                continue;
            for (auto p = t.positionlist_begin(); p != t.positionlist_end();
                 ++p) {
                if (cb(*p, rock))
                    return XC_OK;
            }
        }
        return XC_OK;
    });
}

/* MSet::snippet() in Xapian 1.4 escapes '&', '<' and '>' in the text it
 * returns (tests/xapianc checks "<b>&"), which is all HTML element content
 * needs; only the markers we pass are left raw.  No
 * SNIPPET_BACKGROUND_MODEL: it looks up the frequency of every distinct
 * word of the text in the index, which was half the time of a /search
 * (perf, scripts/bench/query), to prefer rare words in passages that the
 * query's own terms already pick. */
xc_status_t
xc_mset_snippet(xc_mset_t *m, const char *text, size_t max_len, char **out)
{
    if (!m)
        return XC_ERR_INVALID;
    if (!text || !out)
        return invalid(m->db->err, "xc_mset_snippet: NULL argument");
    *out = nullptr;
    return guard(m->db->err, [&]() -> xc_status_t {
        std::string s = m->mset.snippet(
            text, max_len, m->db->stem, Xapian::MSet::SNIPPET_EXHAUSTIVE,
            "<mark>", "</mark>", "...");
        *out = dup_bytes(s);
        return XC_OK;
    });
}
