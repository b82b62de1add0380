/* query.cc -- parsing the user's query text into an xc_query_t: boolean
 * field prefixes, year ranges, stopword-only queries and filters. */
#include "xapianc-int.hh"
#include "lemma.hh"

#include <algorithm>
#include <cstring>
#include <memory>

namespace xc_int {

/* ---------------------------------------------------------------- Prefixes */

/* Boolean field values typed in a query ("country:Kyrgyzstan") are made
 * slugs (xc_slug()) to match the values the indexer writes, and hashed
 * like every boolean term. */
class BoolProcessor : public Xapian::FieldProcessor {
    std::string prefix;

  public:
    explicit BoolProcessor(const char *p) : prefix(p) {}

    Xapian::Query
    operator()(const std::string &str) override
    {
        if (str.empty())
            return Xapian::Query::MatchNothing;
        return Xapian::Query(hash_term(prefix + slug(str)));
    }
};

/* The widest year range year:A..B may span; wider ones are refused rather
 * than turned into thousands of terms. */
const long YEAR_SPAN_MAX = 200;

/* year:2019 -> XYEAR2019; year:2018..2020 -> XYEAR2018 OR ... OR XYEAR2020;
 * year:2018.. and year:..2005 take the years present in the index.  Bad
 * input is not thrown from here: an exception out of a FieldProcessor
 * leaks the parser's state inside Xapian 1.4 (ASan sees it), so the
 * processor records @error, matches nothing, and xc_query_parse() throws
 * the QueryParserError once parse_query() has returned. */
class YearProcessor : public Xapian::FieldProcessor {
    Xapian::Database db;

    static bool
    parse_year(const std::string &s, long *out)
    {
        if (s.empty() || s.size() > 9)
            return false;
        long v = 0;
        for (char c : s) {
            if (c < '0' || c > '9')
                return false;
            v = v * 10 + (c - '0');
        }
        *out = v;
        return true;
    }

    Xapian::Query
    fail(const std::string &msg)
    {
        if (error.empty())
            error = msg;
        return Xapian::Query::MatchNothing;
    }

  public:
    std::string error;          /* the first bad value, or "" */

    explicit YearProcessor(const Xapian::Database &d) : db(d) {}

    Xapian::Query
    operator()(const std::string &str) override
    {
        size_t dots = str.find("..");
        long lo = 0;
        long hi = 0;

        if (dots == std::string::npos) {
            if (!parse_year(str, &lo))
                return fail("year: expects a year or a range A..B, not '" +
                            str + "'");
            return Xapian::Query(XC_PREFIX_YEAR + std::to_string(lo));
        }
        std::string a = str.substr(0, dots);
        std::string b = str.substr(dots + 2);
        bool has_lo = !a.empty();
        bool has_hi = !b.empty();
        if ((!has_lo && !has_hi) || (has_lo && !parse_year(a, &lo)) ||
            (has_hi && !parse_year(b, &hi)))
            return fail("year: bad range '" + str + "'");
        std::vector<Xapian::Query> years;
        if (has_lo && has_hi) {
            if (lo > hi)
                return fail("year: empty range '" + str + "'");
            if (hi - lo + 1 > YEAR_SPAN_MAX)
                return fail("year: range '" + str + "' spans more than " +
                            std::to_string(YEAR_SPAN_MAX) + " years");
            for (long y = lo; y <= hi; y++)
                years.emplace_back(XC_PREFIX_YEAR + std::to_string(y));
        } else {
            /* An open end: the years the index actually has. */
            const size_t plen = strlen(XC_PREFIX_YEAR);
            for (auto t = db.allterms_begin(XC_PREFIX_YEAR);
                 t != db.allterms_end(XC_PREFIX_YEAR); ++t) {
                long y;
                if (!parse_year((*t).substr(plen), &y))
                    continue;
                if ((has_lo && y < lo) || (has_hi && y > hi))
                    continue;
                years.emplace_back(*t);
            }
        }
        return Xapian::Query(Xapian::Query::OP_OR, years.begin(),
                             years.end());
    }
};

/* ---------------------------------------------------------------- Queries */

bool
is_set_op(Xapian::Query::op op)
{
    switch (op) {
    case Xapian::Query::OP_AND:
    case Xapian::Query::OP_OR:
    case Xapian::Query::OP_AND_NOT:
    case Xapian::Query::OP_XOR:
    case Xapian::Query::OP_AND_MAYBE:
    case Xapian::Query::OP_FILTER:
    case Xapian::Query::OP_SYNONYM:
    case Xapian::Query::OP_MAX:
        return true;
    default:
        return false;
    }
}

/* TRUE when every leaf of @q is a stopword term.  Xapian keeps stopwords
 * when a query has nothing else ("the" parses to Zthe), and such a query
 * matches nothing useful, so xc_query_parse() reports it as empty. */
bool
all_stopwords(const Xapian::Query &q, const Xapian::Stopper &stop)
{
    switch (q.get_type()) {
    case Xapian::Query::LEAF_TERM: {
        std::string t = *q.get_terms_begin();
        if (!t.empty() && t[0] == 'Z')
            t.erase(0, 1);
        return stop(t);
    }
    case Xapian::Query::LEAF_MATCH_NOTHING:
        return true;
    case Xapian::Query::OP_NEAR:
    case Xapian::Query::OP_PHRASE:
        break;
    default:
        /* Any other operator (wildcards, value ranges, MatchAll, scaled
         * filters...) is something real. */
        if (!is_set_op(q.get_type()))
            return false;
        break;
    }
    for (size_t i = 0; i < q.get_num_subqueries(); i++) {
        if (!all_stopwords(q.get_subquery(i), stop))
            return false;
    }
    return true;
}

const unsigned QP_FLAGS_BASE =
    Xapian::QueryParser::FLAG_DEFAULT |
    Xapian::QueryParser::FLAG_PHRASE | Xapian::QueryParser::FLAG_LOVEHATE |
    Xapian::QueryParser::FLAG_WILDCARD;

/* An upper-case query word stays as written when it is a synonym key:
 * "FTF" is the acronym, found as such; "Borders" is just a word. */
bool
is_acronym(const std::string &lower, void *rock)
{
    const Xapian::Database &db = *static_cast<const Xapian::Database *>(rock);
    return db.synonyms_begin(lower) != db.synonyms_end(lower);
}

} /* namespace xc_int */

using namespace xc_int;

/* ---------------------------------------------------------------- Queries */

/* The parser of a handle, built on its first query: a QueryParser with
 * nine field processors, a stemmer and a stopper cost more to set up
 * than most queries cost to parse.  It reads the database through a copy
 * of the handle's Xapian::Database, which shares its reopen(). */
struct xc_int::parser_t {
    Xapian::QueryParser qp;
    const Xapian::Stopper *stopper = nullptr;  /* owned by qp */
    YearProcessor *year = nullptr;             /* owned by qp */
    /* XC_META_PHRASE_TERMS, as read at revision phrase_rev. */
    bool phrase_terms = false;
    bool phrase_known = false;
    Xapian::rev phrase_rev = 0;
};

static parser_t &
parser_of(xc_db_t *db)
{
    if (db->parser)
        return *db->parser;
    auto p = std::make_shared<parser_t>();
    Xapian::QueryParser &qp = p->qp;

    p->stopper = make_stopper();
    qp.set_database(db->db);
    qp.set_stemmer(db->stem);
    qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
    qp.set_stopper(p->stopper);
    qp.set_default_op(Xapian::Query::OP_OR);
    qp.add_prefix("title", XC_PREFIX_TITLE);
    qp.add_prefix("org", XC_PREFIX_ORGTEXT);
    for (const xc_field_info_t &f : xc_fields)
        if (f.query)
            qp.add_boolean_prefix(f.query,
                                  (new BoolProcessor(f.prefix))->release());
    p->year = new YearProcessor(db->db);
    qp.add_boolean_prefix("year", p->year->release());
    /* A wildcard (or a partial word, should a caller ask for one) is
     * expanded into an OR of the words it matches before matching
     * starts, out of reach of the time limit: "wq*" over 2M distinct
     * words ran for minutes.  The most frequent XC_MAX_EXPANSION are
     * kept. */
    qp.set_max_expansion(XC_MAX_EXPANSION,
                         Xapian::Query::WILDCARD_LIMIT_MOST_FREQUENT,
                         Xapian::QueryParser::FLAG_WILDCARD |
                             Xapian::QueryParser::FLAG_PARTIAL);
    db->parser = p;
    return *p;
}

/* The metadata can change with each revision (a writer that adds
 * synonyms sets it to "0"), so it is read again when the revision moved. */
static bool
phrase_terms(xc_db_t *db, parser_t &p)
{
    /* A stub's revision is its databases' sum (xc_db_revision()). */
    uint64_t rev = 0;
    if (xc_db_revision(db, &rev) != XC_OK)
        throw Xapian::InvalidOperationError(db->err);
    if (!p.phrase_known || rev != p.phrase_rev) {
        p.phrase_terms = db->db.get_metadata(XC_META_PHRASE_TERMS) == "1";
        p.phrase_rev = rev;
        p.phrase_known = true;
    }
    return p.phrase_terms;
}

/* The parser: the default operator stays OR (ranked by BM25, which puts
 * documents with every word first) because AND loses recall on long
 * natural-language queries.  Free-text prefixes title: and org:, boolean
 * ones (XC_FIELD_LIST) made slugs by BoolProcessor, year: through
 * YearProcessor.
 * A syntax error (a stray "AND", say) is retried once with no syntax flags,
 * so a user always gets results for what they typed; a bad year range is
 * not retried, since it would fail again. */
xc_status_t
xc_query_parse(xc_db_t *db, const char *text, unsigned flags,
               xc_query_t **out)
{
    return guard_on(db, [&]() -> xc_status_t {
        if (!out)
            return invalid(db->err, "xc_query_parse: NULL out");
        *out = nullptr;
        std::unique_ptr<xc_query_t> q(new xc_query_t());
        q->db = db;
        std::string s = text ? text : "";
        if (s.find_first_not_of(" \t\r\n\f\v") == std::string::npos) {
            /* A new query, not a copy of Query::MatchAll: that is one
             * static object whose reference count (not atomic in Xapian
             * 1.4) every thread browsing at once would bump -- the
             * daemon's crash under eight clients. */
            q->query = Xapian::Query(std::string());
            *out = q.release();
            return XC_OK;
        }

        s = lemma::fold_query(s, is_acronym, &db->db);
        parser_t &p = parser_of(db);
        Xapian::QueryParser &qp = p.qp;
        YearProcessor *year = p.year;

        year->error.clear();
        unsigned extra = 0;
        if (flags & XC_PARSE_SYNONYMS)
            extra |= Xapian::QueryParser::FLAG_SYNONYM |
                     Xapian::QueryParser::FLAG_AUTO_MULTIWORD_SYNONYMS;

        Xapian::Query parsed;
        try {
            parsed = qp.parse_query(s, QP_FLAGS_BASE | extra);
        } catch (const Xapian::QueryParserError &) {
            parsed = qp.parse_query(s, 0);
        }
        /* A bad year is the user's mistake in any syntax: no retry. */
        if (!year->error.empty())
            throw Xapian::QueryParserError(year->error);

        if (parsed.empty() || all_stopwords(parsed, *p.stopper)) {
            q->empty = true;
            q->query = Xapian::Query::MatchNothing;
        } else {
            bool changed = false;
            q->query = expand_phrases(parsed, phrase_terms(db, p), &changed);
        }
        *out = q.release();
        return XC_OK;
    });
}

void
xc_query_free(xc_query_t *q)
{
    delete q;
}

/* Narrows *@query to the documents @f asks for; @f->n == 0 leaves it as
 * it is, so a caller can pass an empty list straight through. */
xc_status_t
xc_int::add_filter(std::string &err, const xc_filter_t *f,
                   Xapian::Query *query)
{
    if (!f->prefix || (f->n && !f->values))
        return invalid(err, "filter: NULL argument");
    if (f->n == 0)
        return XC_OK;
    std::vector<Xapian::Query> terms;
    for (size_t i = 0; i < f->n; i++) {
        if (!f->values[i])
            return invalid(err, "filter: NULL value");
        terms.emplace_back(hash_term(f->prefix + std::string(f->values[i])));
    }
    Xapian::Query any(Xapian::Query::OP_OR, terms.begin(), terms.end());
    *query = Xapian::Query(Xapian::Query::OP_FILTER, *query, any);
    return XC_OK;
}
xc_status_t
xc_query_filter(xc_query_t *q, const char *prefix, const char *const *values,
                size_t n)
{
    if (!q)
        return XC_ERR_INVALID;
    if (!prefix || (n && !values))
        return invalid(q->db->err, "xc_query_filter: NULL argument");
    xc_filter_t f = {prefix, values, n};
    return guard(q->db->err, [&]() -> xc_status_t {
        return add_filter(q->db->err, &f, &q->query);
    });
}

int
xc_query_is_empty(const xc_query_t *q)
{
    return q && q->empty;
}

/* The limit is kept by DeadlineSpy, in the page pass and in a facet pass
 * alike. */
static bool
positional(const Xapian::Query &q)
{
    Xapian::Query::op op = q.get_type();
    if (op == Xapian::Query::OP_PHRASE || op == Xapian::Query::OP_NEAR)
        return true;
    for (size_t i = 0; i < q.get_num_subqueries(); i++)
        if (positional(q.get_subquery(i)))
            return true;
    return false;
}

int
xc_query_is_positional(const xc_query_t *q)
{
    try {
        return q && positional(q->query);
    } catch (...) {
        return 0;
    }
}

xc_status_t
xc_query_set_time_limit(xc_query_t *q, double seconds)
{
    if (!q)
        return XC_ERR_INVALID;
    if (!(seconds >= 0))
        return invalid(q->db->err, "xc_query_set_time_limit: negative");
    q->time_limit = seconds;
    return XC_OK;
}
