/* facets.cc -- counting the values of facet slots over every match of a
 * search: from posting-list bitmaps, facet columns or a second match. */
#include "xapianc-int.hh"

#include <algorithm>
#include <memory>
#include <unordered_map>

namespace xc_int {

/* ---------------------------------------------------------------- Facets */

/* Counts the values of one multi-valued slot over every match: the slot
 * holds slugs joined by XC_MULTI_SEP, and each distinct slug counts once
 * per document.  (Xapian's ValueCountMatchSpy would count the joined
 * string as one value.)
 *
 * A facet query sees tens of thousands of matches, and
 * Document::get_value() looks each value up from the root of its B-tree:
 * that was two thirds of a faceted /search on 100,000 documents (perf,
 * scripts/bench/query).  The matcher hands documents over in ascending
 * docid order, so the counter walks the slot's value stream alongside
 * instead, and only falls back to get_value() if an earlier docid ever
 * comes. */
class MultiValueCounter : public Xapian::MatchSpy {
    Xapian::Database db;
    Xapian::valueno slot;
    Xapian::ValueIterator it;
    Xapian::docid last = 0;
    std::string key;                    /* reused for lookups */
    std::vector<std::pair<size_t, size_t>> seen;  /* slugs of this doc */

    std::string
    value_of(const Xapian::Document &doc)
    {
        Xapian::docid did = doc.get_docid();
        if (did < last)
            return doc.get_value(slot);
        last = did;
        if (it == db.valuestream_end(slot))
            return std::string();
        if (it.get_docid() < did)
            it.skip_to(did);
        if (it == db.valuestream_end(slot) || it.get_docid() != did)
            return std::string();
        return *it;
    }

  public:
    std::unordered_map<std::string, uint64_t> counts;

    MultiValueCounter(const Xapian::Database &d, Xapian::valueno s)
        : db(d), slot(s), it(d.valuestream_begin(s))
    {
    }

    void
    operator()(const Xapian::Document &doc, double) override
    {
        count(value_of(doc));
    }

    /* The same for a docid given in ascending order, from the value
     * stream alone. */
    void
    add(Xapian::docid did)
    {
        last = did;
        if (it == db.valuestream_end(slot))
            return;
        if (it.get_docid() < did)
            it.skip_to(did);
        if (it != db.valuestream_end(slot) && it.get_docid() == did)
            count(*it);
    }

  private:
    void
    count(const std::string &v)
    {
        size_t start = 0;

        seen.clear();
        while (start < v.size()) {
            size_t end = v.find(XC_MULTI_SEP, start);
            if (end == std::string::npos)
                end = v.size();
            size_t len = end - start;
            bool dup = len == 0;
            for (const auto &o : seen)
                if (!dup && o.second == len
                    && v.compare(o.first, len, v, start, len) == 0)
                    dup = true;
            if (!dup) {
                seen.emplace_back(start, len);
                key.assign(v, start, len);
                auto c = counts.find(key);
                if (c != counts.end())
                    c->second++;
                else
                    counts.emplace(key, 1);
            }
            start = end + 1;
        }
    }
};

/* The matches of @q as a bitmap over docids, computed from posting
 * lists with no matcher, no weights and no positions: for "training
 * youth projects" on 100,000 documents, about 1.5 ms against 10 ms for an
 * unweighted match over its 95,000 matches.  Returns false for what
 * needs positions, values or weights to decide a match (phrases, NEAR,
 * value ranges, wildcards, elite sets); the caller then runs the
 * matcher. */
typedef std::vector<uint64_t> docbits_t;

bool
query_bits(const Xapian::Database &db, const Xapian::Query &q, size_t words,
           docbits_t *out)
{
    out->assign(words, 0);
    auto postings = [&](const std::string &term) {
        for (auto p = db.postlist_begin(term); p != db.postlist_end(term);
             ++p) {
            Xapian::docid did = *p;
            if (did / 64 < words)
                (*out)[did / 64] |= uint64_t(1) << (did % 64);
        }
    };
    switch (q.get_type()) {
    case Xapian::Query::LEAF_MATCH_NOTHING:
        return true;
    case Xapian::Query::LEAF_MATCH_ALL:
        postings(std::string());
        return true;
    case Xapian::Query::LEAF_TERM:
        postings(*q.get_terms_begin());
        return true;
    case Xapian::Query::OP_SCALE_WEIGHT:
    case Xapian::Query::OP_AND_MAYBE:
        return query_bits(db, q.get_subquery(0), words, out);
    default:
        if (!is_set_op(q.get_type()))
            return false;
        break;
    }
    /* The other set operators (AND_MAYBE is above: its first subquery
     * alone decides a match). */
    Xapian::Query::op op = q.get_type();
    docbits_t sub;
    for (size_t i = 0; i < q.get_num_subqueries(); i++) {
        if (!query_bits(db, q.get_subquery(i), words, i == 0 ? out : &sub))
            return false;
        if (i == 0)
            continue;
        for (size_t k = 0; k < words; k++) {
            switch (op) {
            case Xapian::Query::OP_AND:
            case Xapian::Query::OP_FILTER:
                (*out)[k] &= sub[k];
                break;
            case Xapian::Query::OP_AND_NOT:
                (*out)[k] &= ~sub[k];
                break;
            case Xapian::Query::OP_XOR:
                (*out)[k] ^= sub[k];
                break;
            default:
                (*out)[k] |= sub[k];
                break;
            }
        }
    }
    return true;
}

/* Counts the matches of a facet pass, and keeps their docids when some
 * facet is counted from a column. */
class MatchCollector : public Xapian::MatchSpy {
  public:
    bool keep;
    uint64_t n = 0;
    std::vector<Xapian::docid> ids;

    explicit MatchCollector(bool k) : keep(k) {}

    void
    operator()(const Xapian::Document &doc, double) override
    {
        n++;
        if (keep)
            ids.push_back(doc.get_docid());
    }
};

/* Below this many matches a facet is counted from each match's values,
 * which needs no column (reading the seven facet columns of 100,000
 * documents took about 35 ms, once per revision and thread). */
const uint64_t XC_COLUMN_MIN_MATCHES = 2000;

/* Facet columns: a slot's values read once per index revision into
 * arrays by docid, so that counting a facet over a large result set is a
 * walk over the match bitmap with no Xapian call at all.  Seven fields
 * over 95,000 matches of 100,000 documents, bitmap included: 10 ms from
 * the facet terms' posting lists, 4 ms from columns (qbench --each).
 * Returns nullptr when the slot has more distinct values than the ids
 * can name. */
const facet_column *
column_of(xc_db_t *xdb, unsigned slot)
{
    const Xapian::Database &db = xdb->db;
    uint64_t rev = 0;
    /* A stub's revision is its databases' sum (xc_db_revision()). */
    if (xc_db_revision(xdb, &rev) != XC_OK)
        return nullptr;
    std::string version = db.get_uuid() + ":" + std::to_string(rev);
    auto found = xdb->columns.find(slot);
    if (found != xdb->columns.end() && found->second.version == version)
        return &found->second;

    facet_column c;
    std::unordered_map<std::string, uint16_t> intern;
    Xapian::docid last = db.get_lastdocid();
    c.start.assign(static_cast<size_t>(last) + 2, 0);
    Xapian::docid next = 0;                 /* start[] filled below this */
    for (auto v = db.valuestream_begin(slot); v != db.valuestream_end(slot);
         ++v) {
        Xapian::docid did = v.get_docid();
        if (did > last)
            break;
        for (; next <= did; next++)
            c.start[next] = static_cast<uint32_t>(c.ids.size());
        std::string value = *v;
        size_t from = 0, first = c.ids.size();
        while (from < value.size()) {
            size_t end = value.find(XC_MULTI_SEP, from);
            if (end == std::string::npos)
                end = value.size();
            if (end > from) {
                std::string name = value.substr(from, end - from);
                auto it = intern.find(name);
                if (it == intern.end()) {
                    if (c.names.size() > UINT16_MAX)
                        return nullptr;
                    it = intern.emplace(name, static_cast<uint16_t>(
                                                  c.names.size())).first;
                    c.names.push_back(name);
                }
                /* A value named twice in one document counts once. */
                if (std::find(c.ids.begin() + static_cast<long>(first),
                              c.ids.end(), it->second) == c.ids.end())
                    c.ids.push_back(it->second);
            }
            from = end + 1;
        }
    }
    for (; next <= last + 1; next++)
        c.start[next] = static_cast<uint32_t>(c.ids.size());
    c.version = version;
    facet_column &kept = xdb->columns[slot];
    kept = std::move(c);
    return &kept;
}

void
count_column(const facet_column &c, const std::vector<uint64_t> &bits,
             std::vector<std::pair<std::string, uint64_t>> *out)
{
    std::vector<uint64_t> n(c.names.size(), 0);
    size_t docs = c.start.size() - 1;
    for (size_t k = 0; k < bits.size(); k++)
        for (uint64_t w = bits[k]; w; w &= w - 1) {
            size_t did = k * 64 + static_cast<size_t>(__builtin_ctzll(w));
            if (did >= docs)
                break;
            for (uint32_t i = c.start[did]; i < c.start[did + 1]; i++)
                n[c.ids[i]]++;
        }
    for (size_t i = 0; i < n.size(); i++)
        if (n[i])
            out->emplace_back(c.names[i], n[i]);
}

/* Most frequent first, ties by value: the order xc_mset_facets() gives. */
void
sort_counts(std::vector<std::pair<std::string, uint64_t>> *v)
{
    std::sort(v->begin(), v->end(),
              [](const std::pair<std::string, uint64_t> &a,
                 const std::pair<std::string, uint64_t> &b) {
                  if (a.second != b.second)
                      return a.second > b.second;
                  return a.first < b.first;
              });
}

/* Facets must count every match, not just those Xapian had to look at for
 * the page.  The matches come as a bitmap from posting lists where the
 * query allows (query_bits()), else from a second, unweighted match over
 * all of them (a ranked pass over 90,000 matches cost more than the page).
 * Many matches are then counted from facet columns, few from the values
 * of each match. */
void
count_facets(xc_db_t *xdb, const xc_search_opts_t *opts,
             xc_mset_t *m, DeadlineSpy *deadline)
{
    const Xapian::Database &db = xdb->db;
    size_t words = db.get_lastdocid() / 64 + 1;
    docbits_t bits;
    bool have_bits = query_bits(db, m->query, words, &bits);
    /* Without a bitmap, the bound: a phrase's estimate is a guess, and a
     * column read for nothing costs less than values read for many. */
    uint64_t matches = m->mset.get_matches_upper_bound();
    if (have_bits) {
        matches = 0;
        for (uint64_t w : bits)
            matches += static_cast<uint64_t>(__builtin_popcountll(w));
    }

    std::vector<const facet_column *> column(opts->n_facet_slots, nullptr);
    std::vector<std::unique_ptr<MultiValueCounter>> spies;
    std::vector<int> spy_of(opts->n_facet_slots, -1);
    bool columns_wanted = false;
    for (size_t i = 0; i < opts->n_facet_slots; i++) {
        if (matches >= XC_COLUMN_MIN_MATCHES)
            column[i] = column_of(xdb, opts->facet_slots[i]);
        if (column[i]) {
            columns_wanted = true;
            continue;
        }
        spy_of[i] = static_cast<int>(spies.size());
        spies.emplace_back(new MultiValueCounter(db, opts->facet_slots[i]));
    }

    if (have_bits) {
        /* Values are read in ascending docid order, as a match would. */
        if (!spies.empty())
            for (size_t k = 0; k < words; k++)
                for (uint64_t w = bits[k]; w; w &= w - 1) {
                    Xapian::docid did = static_cast<Xapian::docid>(
                        k * 64 + static_cast<size_t>(__builtin_ctzll(w)));
                    for (auto &spy : spies)
                        spy->add(did);
                }
        m->counted = static_cast<int64_t>(matches);
    } else {
        MatchCollector all(columns_wanted);
        Xapian::Enquire enq(db);
        enq.set_query(m->query);
        enq.set_weighting_scheme(Xapian::BoolWeight());
        enq.set_docid_order(Xapian::Enquire::ASCENDING);
        if (deadline)
            enq.add_matchspy(deadline);
        enq.add_matchspy(&all);
        for (auto &spy : spies)
            enq.add_matchspy(spy.get());
        enq.get_mset(0, 0, db.get_doccount());
        enq.clear_matchspies();
        m->counted = static_cast<int64_t>(all.n);
        if (columns_wanted) {
            bits.assign(words, 0);
            for (Xapian::docid did : all.ids)
                bits[did / 64] |= uint64_t(1) << (did % 64);
        }
    }

    for (size_t i = 0; i < opts->n_facet_slots; i++) {
        std::vector<std::pair<std::string, uint64_t>> v;
        if (spy_of[i] >= 0)
            v.assign(spies[spy_of[i]]->counts.begin(),
                     spies[spy_of[i]]->counts.end());
        else
            count_column(*column[i], bits, &v);
        sort_counts(&v);
        m->facets[opts->facet_slots[i]] = std::move(v);
    }
}

} /* namespace xc_int */

using namespace xc_int;

/* XC_ERR_INVALID when @slot was not among the search's facet_slots. */
xc_status_t
xc_mset_facets(xc_mset_t *m, unsigned slot, xc_facet_cb cb, void *rock)
{
    if (!m)
        return XC_ERR_INVALID;
    if (!cb)
        return invalid(m->db->err, "xc_mset_facets: NULL callback");
    return guard(m->db->err, [&]() -> xc_status_t {
        auto f = m->facets.find(slot);
        if (f == m->facets.end())
            return invalid(m->db->err, "xc_mset_facets: slot not counted");
        for (const auto &v : f->second) {
            if (cb(v.first.c_str(), v.second, rock))
                break;
        }
        return XC_OK;
    });
}
