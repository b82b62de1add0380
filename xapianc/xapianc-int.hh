/* xapianc-int.hh -- what the .cc files of xapianc/ share and no C caller
 * sees: the bodies of the handle structs declared in xapianc.h, and the
 * helpers one file defines for another.  The handles live at global scope
 * (xapianc.h names them); every helper lives in namespace xc_int, so the
 * only C-visible symbols of the library are the xc_* functions
 * (tests/xapianc/check-symbols.sh guards this). */
#ifndef CTMAP_XAPIANC_INT_HH
#define CTMAP_XAPIANC_INT_HH

#include "xapianc.h"
#include "schema.h"

#include <xapian.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

/* ---------------------------------------------------------------- Handles */

/* A facet slot's values by docid, interned: the values of document d are
 * names[ids[start[d]]] .. names[ids[start[d + 1] - 1]]. */
struct facet_column {
    std::string version;        /* uuid and revision it was read at */
    std::vector<uint32_t> start;
    std::vector<uint16_t> ids;
    std::vector<std::string> names;
};

namespace xc_int {
struct parser_t;                /* query.cc */
}

/* One shard of a stub database (shards.cc): the stub's line, and the
 * shard opened alone so it can be probed and left out when it fails. */
struct xc_shard {
    std::string type;           /* "auto", "remote" */
    std::string arg;            /* the path (absolute) or address in use */
    std::vector<std::string> replicas;  /* remote: its addresses */
    size_t current = 0;         /* the replica in use (or tried last) */
    Xapian::Database db;
    bool remote = false;
    bool up = false;
    /* Remote: the shard number whose render records in the query-side
     * database match it (its XC_META_RENDER token), or -1: none, read
     * its hits over the network. */
    int render = -1;
    std::chrono::steady_clock::time_point last_try;
};

struct xc_db {
    /* The database searched: a plain one, or for a stub the local
     * query-side database first (spelling, synonyms, metadata) and then
     * every shard that is up (shards.cc, combine()). */
    Xapian::Database db;
    std::vector<xc_shard> shards;       /* empty unless a stub */
    Xapian::Database query;             /* a stub's query-side database */
    std::string query_path;             /* its path, "" if none */
    unsigned failed = 0;                /* shards left out of db */
    unsigned remote_up = 0;             /* remote shards in db */
    /* By sub-database of db: the shard number of its render records, -1
     * for none (the query-side database, local shards); empty when no
     * shard has records (shards.cc, record_of()). */
    std::vector<int> render_of;
    std::string err;            /* message of the last failed call */
    /* Facet columns of this handle's revision (count_facets()). */
    std::map<unsigned, facet_column> columns;
    /* Built once per handle: the stemmer of queries, that of positions
     * and snippets (make_light_stem()), and the query parser
     * (xc_query_parse()). */
    Xapian::Stem stem;
    Xapian::Stem light_stem;
    std::shared_ptr<xc_int::parser_t> parser;
};

/* A multi-word synonym key and the one-word synonyms it stands for. */
struct phrase_terms_t {
    std::vector<std::string> words;     /* unstemmed, in order */
    std::vector<std::string> terms;     /* "cted", and "Zcted" */
};

struct xc_dbw {
    /* The only database, or for shards the query-side one: spelling,
     * synonyms and metadata go here, documents to docs_of(). */
    Xapian::WritableDatabase db;
    std::vector<Xapian::WritableDatabase> shards;   /* empty: unsharded */
    Xapian::TermGenerator tg;   /* stemmer, stopper and spelling set up */
    Xapian::Stem stem;
    Xapian::Document doc;       /* the document being built */
    std::string id;
    bool in_doc = false;
    bool in_txn = false;
    uint64_t max_terms = 0;     /* xc_dbw_set_max_terms(); 0: no cap */
    bool capped = false;        /* the document's text was cut short */
    /* From the synonym table, reloaded after it changes. */
    std::vector<phrase_terms_t> phrases;
    std::vector<std::string> phrase_words;  /* sorted, unique */
    bool phrases_loaded = false;
    bool render_dirty = false;  /* render records changed since commit */
    std::string err;
};

struct xc_query {
    xc_db_t *db = nullptr;      /* borrowed; messages go there */
    Xapian::Query query;
    bool empty = false;
    double time_limit = 0.0;    /* xc_query_set_time_limit(); 0: none */
};

struct xc_mset {
    xc_db_t *db = nullptr;      /* borrowed; messages go there */
    Xapian::Query query;
    Xapian::MSet mset;
    /* Facet counts per slot, already sorted for xc_mset_facets(). */
    std::map<unsigned, std::vector<std::pair<std::string, uint64_t>>> facets;
    /* Matches counted one by one for facets: the exact total, or -1. */
    int64_t counted = -1;
    unsigned shards = 0, failed = 0;    /* of the stub, at search time */
    /* The stub's render records as they were at search time (the docids
     * of mset are of that set of shards), and the records read, by hit
     * (nullptr: none, read the document). */
    std::vector<int> render_of;
    Xapian::Database query_db;
    std::map<size_t, std::shared_ptr<Xapian::Document>> records;
    std::map<size_t, std::shared_ptr<Xapian::Document>> texts;
    std::string data;           /* backs xc_hit_t.data until the next call */
};

namespace xc_int {

/* ---------------------------------------------------------------- Errors */

/* Thrown by DeadlineSpy out of a match that ran past its time limit. */
struct match_timeout : std::runtime_error {
    match_timeout() : std::runtime_error("the search ran past its time limit")
    {
    }
};

/* error.cc */
xc_status_t xc__fail(std::string &err, std::exception_ptr e) noexcept;
xc_status_t invalid(std::string &err, const char *what);
void set_errmsg(char **errmsg, const std::string &msg);
char *dup_bytes(const std::string &s);

/* The body of every exported function that can throw:
 *     return guard(h->err, [&]() -> xc_status_t { ...; return XC_OK; });
 * runs @body and turns whatever it throws into a status, with the message
 * in @err (xc__fail() holds the mapping). */
template <typename F>
xc_status_t
guard(std::string &err, F &&body) noexcept
{
    try {
        return body();
    } catch (...) {
        return xc__fail(err, std::current_exception());
    }
}

/* guard() on handle @h (an xc_db_t or xc_dbw_t, keeping its message in
 * h->err), after refusing a NULL handle with XC_ERR_INVALID: the whole
 * scaffold of an exported function taking a handle. */
template <typename H, typename F>
xc_status_t
guard_on(H *h, F &&body) noexcept
{
    if (!h)
        return XC_ERR_INVALID;
    return guard(h->err, body);
}

/* The same for the functions that open a handle, which have none to keep
 * a message in yet: it goes to *@errmsg (malloc'd, may be NULL). */
template <typename F>
xc_status_t
guard_open(char **errmsg, F &&body) noexcept
{
    std::string err;
    try {
        return body();
    } catch (...) {
        xc_status_t st = xc__fail(err, std::current_exception());
        set_errmsg(errmsg, err);
        return st;
    }
}

/* ---------------------------------------------------------------- Match */

/* The time limit of a match.  Xapian's own (Enquire::set_time_limit)
 * cannot be used: its POSIX timer notifies a thread that writes a flag in
 * the matcher's stack frame, and timer_delete() does not wait for a
 * notification already under way, so a limit that expires as the match
 * ends writes into whatever the stack holds by then -- "stack smashing
 * detected" with two clients and a 5 ms limit (xapian-core 1.4,
 * matcher/matchtimeout.h).  This spy looks at the clock every 256
 * documents the matcher hands over and throws match_timeout, which ends
 * the match and which xc__fail() reports as XC_ERR_TIMEOUT. */
class DeadlineSpy : public Xapian::MatchSpy {
    std::chrono::steady_clock::time_point deadline;
    unsigned calls = 0;

  public:
    explicit DeadlineSpy(double seconds)
        : deadline(std::chrono::steady_clock::now()
                   + std::chrono::duration_cast<
                       std::chrono::steady_clock::duration>(
                       std::chrono::duration<double>(seconds)))
    {
    }

    void
    operator()(const Xapian::Document &, double) override
    {
        if ((calls++ & 255) == 0
            && std::chrono::steady_clock::now() > deadline)
            throw match_timeout();
    }
};

/* facets.cc: counts opts->facet_slots over every match of m->query into
 * @m. */
void count_facets(xc_db_t *xdb, const xc_search_opts_t *opts, xc_mset_t *m,
                  DeadlineSpy *deadline);

void sort_counts(std::vector<std::pair<std::string, uint64_t>> *v);
/* query.cc: TRUE for the operators that combine whole subqueries as
 * sets (AND, OR, AND_NOT, XOR, AND_MAYBE, FILTER, SYNONYM, MAX): a walk
 * over a query's leaves can go into them without minding positions. */
bool is_set_op(Xapian::Query::op op);
/* query.cc: narrows *@query by @f (see xc_filter_t). */
xc_status_t add_filter(std::string &err, const xc_filter_t *f,
                       Xapian::Query *query);

/* ---------------------------------------------------------------- Text */

/* textstore.cc */
void put_u32(std::string &out, size_t v);
uint32_t get_u32(const std::string &in, size_t at);
std::string deflate_block(const char *data, size_t len);
std::string inflate_block(const std::string &in, size_t at, size_t raw_len);
void store_text(Xapian::Document &doc, const char *text, size_t len);
std::string read_value(const Xapian::Document &doc, unsigned slot);
std::string read_passage(const Xapian::Document &doc, unsigned *n);

/* terms.cc */
std::string hash_term(const std::string &term);
std::string lower(const std::string &s);
std::string slug(const std::string &s);     /* xc_slug() */
std::string normalize_words(const std::string &text);
/* The non-empty runs of @s between spaces, in order. */
std::vector<std::string> split_spaces(const std::string &s);
Xapian::Stem make_stem();
Xapian::Stem make_light_stem();
/* Gives a new read handle (a single database or a stub's shards) its
 * stemmers and loads the hunspell dictionaries (db.cc). */
void init_read_handle(xc_db_t *db);
const Xapian::Stopper *make_stopper();

/* phrases.cc */
Xapian::Query expand_phrases(const Xapian::Query &q, bool phrase_terms,
                             bool *changed);
void add_phrase_terms(xc_dbw_t *w);

/* db.cc: the read API, shared by the read and the write handle; @fn
 * names the exported function in argument errors. */
xc_status_t revision_of(Xapian::Database &xdb, std::string &err,
                        const char *fn, uint64_t *revision);
xc_status_t data_of(Xapian::Database &xdb, std::string &err, const char *fn,
                    const char *id, char **data);
xc_status_t value_of(Xapian::Database &xdb, std::string &err, const char *fn,
                     const char *id, unsigned slot, char **value,
                     size_t *len);
xc_status_t metadata_of(Xapian::Database &xdb, std::string &err,
                        const char *fn, const char *key, char **value);

/* shards.cc */
Xapian::WritableDatabase &docs_of(xc_dbw_t *w, const std::string &id);
Xapian::doccount doc_count(xc_dbw_t *w);
/* Calls @fn on every database of @w, the query-side one first. */
template <typename F>
void
each_db(xc_dbw_t *w, F &&fn)
{
    fn(w->db);
    for (auto &s : w->shards)
        fn(s);
}
/* Before a search: reconnects shards that were down (at most once a
 * second each).  After a NetworkError: reconnects every remote shard,
 * leaves out those that fail; returns true when there were remote
 * shards (worth a retry). */
void shards_retry(xc_db_t *db);
/* Brings the local databases of a stub up to date; true if one changed. */
bool shards_reopen_local(xc_db_t *db);
/* @context: that of the NetworkError, naming the shard that failed
 * ("" when none is known). */
bool shards_drop_failed(xc_db_t *db, const std::string &context);
/* Whether remote address @addr is known to be down (not to be waited on). */
bool shard_is_down(const std::string &addr);
void shard_mark_down(const std::string &addr);
/* After xc_db_reopen() changed a stub: which remote shards' render
 * records match now. */
void shards_restamp(xc_db_t *db);

/* Render records (shards.cc): the writer keeps one per document of a
 * sharded index in the query-side database; a hit of a remote shard
 * renders from it.  render_put() after a document is stored as @did,
 * render_drop() before the document of @idterm is deleted,
 * render_stamp() before each commit. */
void render_put(xc_dbw_t *w, const std::string &id, Xapian::docid did,
                const Xapian::Document &doc);
void render_drop(xc_dbw_t *w, const std::string &id,
                 const std::string &idterm);
void render_stamp(xc_dbw_t *w);
/* The record of hit @i of @m, or nullptr: read the document.  The text
 * is a record of its own: pass @slot to read a value, the text's
 * included (BAD_VALUENO for the data and positions). */
const Xapian::Document *record_of(xc_mset_t *m, size_t i,
                                  unsigned slot = Xapian::BAD_VALUENO);
/* The term positions record @rec holds, by term: for each page a word
 * occurs on, the position where that page starts (XC_SLOT_PAGES), once
 * for each time it occurs there -- all that searchd's snippet needs of
 * positions (the page where the query's terms cluster), in far less
 * room.  Positions before the first page (the title's) are left out, as
 * that page choice counts them for none. */
std::map<std::string, std::vector<unsigned>>
record_positions(const Xapian::Document &rec);

} /* namespace xc_int */

#endif /* CTMAP_XAPIANC_INT_HH */
