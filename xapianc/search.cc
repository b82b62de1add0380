/* search.cc -- running a parsed query (xc_search) and reading its
 * results: hits, values, passages, term positions and snippets. */
#include "xapianc-int.hh"
#include "lemma.hh"

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

/* BM25's parameters, tuned on the tuning half of tests/relevance/
 * (scripts/bench/relevance): nDCG@10 moved by less than 0.005 over k1
 * 0.6-2.0 and b 0.3-0.9, best at k1 1.2-1.6 with b 0.4-0.6; k1 a little
 * above Xapian's 1.0 lets the title's extra wdf (XC_WEIGHT_TITLE) count
 * before the term saturates. */
const double BM25_K1 = 1.2;
const double BM25_B = 0.5;
static xc_status_t search_once(xc_db_t *db, xc_query_t *q,
                               const xc_search_opts_t *opts,
                               xc_mset_t **out);

/* Facets over remote shards: facets.cc reads value streams and posting
 * lists, one round trip per document over the network, so here the
 * shards count them themselves with ValueCountMatchSpy (which
 * xapian-tcpsrv runs and whose counts merge exactly), over every match.
 * A spy counts whole values; a multi-valued one ("a" XC_MULTI_SEP "b")
 * adds its count to each of its parts. */
static void
remote_facets(xc_db_t *db, Xapian::Enquire &enq, const xc_search_opts_t *opts,
              Xapian::doccount offset, Xapian::doccount limit, xc_mset_t *m)
{
    std::vector<std::unique_ptr<Xapian::ValueCountMatchSpy>> spies;
    /* The spies run in a pass of their own that asks for no page:
     * counted in the page pass over xapian-tcpsrv, a match-all query
     * counted some documents twice (Xapian 1.4.22; 230 entries of 227
     * with limit 10, exact with limit 0). */
    m->mset = enq.get_mset(offset, limit);
    for (size_t i = 0; i < opts->n_facet_slots; i++) {
        spies.emplace_back(
            new Xapian::ValueCountMatchSpy(opts->facet_slots[i]));
        enq.add_matchspy(spies.back().get());
    }
    Xapian::MSet all = enq.get_mset(0, 0, db->db.get_doccount());
    enq.clear_matchspies();
    m->counted = all.get_matches_estimated();
    for (size_t i = 0; i < opts->n_facet_slots; i++) {
        std::map<std::string, uint64_t> counts;
        for (auto v = spies[i]->values_begin(); v != spies[i]->values_end();
             ++v) {
            std::string joined = *v;
            size_t start = 0;
            for (;;) {
                size_t end = joined.find(XC_MULTI_SEP, start);
                std::string part = joined.substr(start, end - start);
                if (!part.empty())
                    counts[part] += v.get_termfreq();
                if (end == std::string::npos)
                    break;
                start = end + 1;
            }
        }
        std::vector<std::pair<std::string, uint64_t>> sorted(counts.begin(),
                                                             counts.end());
        sort_counts(&sorted);
        m->facets[opts->facet_slots[i]] = std::move(sorted);
    }
}

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
    shards_retry(db);
    /* A shard that fails mid-search is left out and the search run again
     * over the others: a partial answer (xc_mset_shards()), not an
     * error. */
    for (int attempt = 0;; attempt++) {
        bool retry = false;
        xc_status_t st = guard(db->err, [&]() -> xc_status_t {
            try {
                return search_once(db, q, opts, out);
            } catch (const Xapian::NetworkError &e) {
                /* Twice: a shard may die while the first retry runs. */
                if (attempt >= 2 || !shards_drop_failed(db, e.get_context()))
                    throw;
                retry = true;
                return XC_OK;
            }
        });
        if (!retry)
            return st;
    }
}

static xc_status_t
search_once(xc_db_t *db, xc_query_t *q, const xc_search_opts_t *opts,
            xc_mset_t **out)
{
    {
        std::unique_ptr<xc_mset_t> m(new xc_mset_t());
        m->db = db;
        m->query = q->query;
        m->shards = static_cast<unsigned>(db->shards.size());
        m->failed = db->failed;
        m->render_of = db->render_of;
        m->query_db = db->query;
        for (size_t i = 0; i < opts->n_filters; i++) {
            xc_status_t st = add_filter(db->err, &opts->filters[i],
                                        &m->query);
            if (st != XC_OK)
                return st;
        }

        Xapian::Enquire enq(db->db);
        enq.set_query(m->query);
        enq.set_weighting_scheme(
            Xapian::BM25Weight(BM25_K1, 0, 1, BM25_B, 0.5));
        std::unique_ptr<DeadlineSpy> deadline;
        /* Remote shards run only the matchspies xapian-tcpsrv knows
         * (ValueCountMatchSpy); their own timeout bounds the time. */
        if (q->time_limit > 0 && !db->remote_up) {
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
        /* facets.cc's columns and bitmaps are by docid, which a stub
         * interleaves over its shards: a stub counts with spies. */
        if (!db->shards.empty() && opts->n_facet_slots) {
            remote_facets(db, enq, opts, offset, limit, m.get());
            *out = m.release();
            return XC_OK;
        }
        m->mset = enq.get_mset(
            offset, limit,
            static_cast<Xapian::doccount>(std::min(check, cap)));
        enq.clear_matchspies();
        if (opts->n_facet_slots)
            count_facets(db, opts, m.get(), deadline.get());
        *out = m.release();
        return XC_OK;
    }
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
        const Xapian::Document *rec = record_of(m, i);
        m->data = rec ? rec->get_data() : it.get_document().get_data();
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
        const Xapian::Document *rec = record_of(m, i, slot);
        std::string v = read_value(rec ? *rec : it.get_document(), slot);
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
        const Xapian::Document *rec = record_of(m, i, XC_SLOT_TEXT);
        std::string p = read_passage(rec ? *rec : it.get_document(), n);
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
        /* A remote shard's hit: the positions its render record holds
         * (one a page, see record_positions()), not a round trip a term. */
        const Xapian::Document *rec = record_of(m, i);
        std::map<std::string, std::vector<unsigned>> held;
        if (rec)
            held = record_positions(*rec);
        auto emit_held = [&](const std::vector<unsigned> &pos) -> bool {
            for (unsigned p : pos)
                if (cb(p, rock))
                    return true;
            return false;
        };

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
            if (!rec) {
                if (emit_positions(db, did, term, cb, rock))
                    return XC_OK;
                continue;
            }
            auto f = held.find(term);
            if (f != held.end() && emit_held(f->second))
                return XC_OK;
        }
        if (stems.empty())
            return XC_OK;

        const Xapian::Stem &stem = m->db->light_stem;
        /* Whether the document's word @term stems to a query stem. */
        auto wanted = [&](const std::string &term) -> bool {
            size_t plen = prefix_len(term);
            if (plen == term.size() || done.count(term))
                return false;
            bool lead = false;
            for (const std::string &l : leads)
                if (term.compare(0, l.size(), l) == 0) {
                    lead = true;
                    break;
                }
            if (!lead)
                return false;
            std::string word = term.substr(plen);
            std::string key = "Z" + term.substr(0, plen) + stem(word);
            /* The index stems a Russian word's dictionary form, which
             * Snowball alone can miss ("кыргызстане"), and the page of a
             * hit comes from these positions: Cyrillic words that lead
             * like a query stem, few, take the full stemmer too. */
            return stems.count(key)
                   || (lemma::is_cyrillic(word)
                       && stems.count("Z" + term.substr(0, plen)
                                      + m->db->stem(word)));
        };
        if (rec) {
            for (const auto &e : held)
                if (wanted(e.first) && emit_held(e.second))
                    return XC_OK;
            return XC_OK;
        }
        for (auto t = db.termlist_begin(did); t != db.termlist_end(did);
             ++t) {
            if (!wanted(*t))
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
            text, max_len, m->db->light_stem,
            Xapian::MSet::SNIPPET_EXHAUSTIVE,
            "<mark>", "</mark>", "...");
        *out = dup_bytes(s);
        return XC_OK;
    });
}
