/* xapianc.h -- the C binding over libxapian used by ctmap-indexer and
 * ctmap-searchd.
 *
 * Every function returns an xc_status_t; XC_OK is 0.  No C++ exception ever
 * crosses this boundary: the .cc files catch each one and turn it into a
 * status, keeping the message in the handle (xc_errmsg()).  Handles are not
 * thread-safe: use one per thread.  Strings passed in are copied; strings
 * handed out are either (transfer full) -- free them with free() -- or
 * (transfer none) and valid until the next call on the same handle, as each
 * prototype says.
 */
#ifndef CTMAP_XAPIANC_XAPIANC_H
#define CTMAP_XAPIANC_XAPIANC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- Status */

#define XC_STATUS_LIST(X)                                              \
    X(XC_OK, "ok")                                                     \
    X(XC_ERR_NO_INDEX, "no index")                                     \
    X(XC_ERR_LOCKED, "index locked")                                   \
    X(XC_ERR_MODIFIED, "index modified")                               \
    X(XC_ERR_QUERY, "bad query")                                       \
    X(XC_ERR_NOT_FOUND, "not found")                                   \
    X(XC_ERR_INVALID, "invalid argument")                              \
    X(XC_ERR_XAPIAN, "xapian error")                                   \
    X(XC_ERR_NOMEM, "out of memory")                                   \
    X(XC_ERR_TIMEOUT, "time limit exceeded")                           \
    X(XC_ERR_INTERNAL, "internal error")

typedef enum {
#define XC__ENUM(name, text) name,
    XC_STATUS_LIST(XC__ENUM)
#undef XC__ENUM
} xc_status_t;

/* Returns: (transfer none): a short description of @status. */
const char *xc_strerror(xc_status_t status);

typedef struct xc_db xc_db_t;       /* read handle */
typedef struct xc_dbw xc_dbw_t;     /* write handle */
typedef struct xc_query xc_query_t; /* parsed query, bound to one xc_db_t */
typedef struct xc_mset xc_mset_t;   /* one page of results plus facets */

/* ---------------------------------------------------------------- Reading */

/* Opens the database at @path for reading.  On failure *@errmsg (malloc'd,
 * caller frees with free()) says why: XC_ERR_NO_INDEX when it is missing or
 * unreadable. */
xc_status_t xc_db_open(const char *path, xc_db_t **out, char **errmsg);
/* Every xc_query_t and xc_mset_t made from @db must be freed first: they
 * borrow it. */
void xc_db_close(xc_db_t *db);          /* accepts NULL */

/* Returns: (transfer none): the message of the last failed call on @db
 * (or "" if none). */
const char *xc_errmsg(const xc_db_t *db);

/* Brings @db to the latest committed revision.  Queries parsed before stay
 * valid and search the new revision; an xc_mset_t from before may fail
 * with XC_ERR_MODIFIED when it reads documents the writer has changed
 * since (search again then). */
xc_status_t xc_db_reopen(xc_db_t *db);
xc_status_t xc_db_revision(xc_db_t *db, uint64_t *revision);
xc_status_t xc_db_doccount(xc_db_t *db, uint64_t *count);
/* Number of documents indexed by the boolean @term (e.g. "XTYPEentry"). */
xc_status_t xc_db_termfreq(xc_db_t *db, const char *term, uint64_t *count);

/* Looks a document up by its id (the "Q" term).  *@data: (transfer full)
 * the JSON record; XC_ERR_NOT_FOUND when no such document. */
xc_status_t xc_db_get_data(xc_db_t *db, const char *id, char **data);
/* *@value: (transfer full) the value in @slot of document @id ("" if
 * unset), *@len its length. */
xc_status_t xc_db_get_value(xc_db_t *db, const char *id, unsigned slot,
                            char **value, size_t *len);
/* *@value: (transfer full) user metadata under @key ("" if unset). */
xc_status_t xc_db_get_metadata(xc_db_t *db, const char *key, char **value);
/* *@out: (transfer full) the best spelling correction of @word, or ""
 * when there is none. */
xc_status_t xc_db_spell(xc_db_t *db, const char *word, char **out);

/* *@known = 1 when the index knows @word (any case): a document holds it,
 * or its stem (a Russian word in another case form, a British spelling of
 * an American one), or it is a synonym key (an acronym, a glossary term).
 * Such a word is never "corrected". */
xc_status_t xc_db_word_known(xc_db_t *db, const char *word, int *known);

/* Calls @cb for each term starting with @prefix, in term order, with the
 * number of documents containing it, until @cb returns non-zero or
 * @max terms have been visited. */
typedef int (*xc_term_cb)(const char *term, uint64_t termfreq, void *rock);
xc_status_t xc_db_allterms(xc_db_t *db, const char *prefix, size_t max,
                           xc_term_cb cb, void *rock);

/* ---------------------------------------------------------------- Queries */

/* Parser flags. */
#define XC_PARSE_DEFAULT   0u
#define XC_PARSE_SYNONYMS  2u   /* expand synonyms (acronyms, aliases) */
/* Words a wildcard ("wq*") expands to at most,
 * the most frequent first. */
#define XC_MAX_EXPANSION   100

/* Parses @text with the Xapian query syntax, the English+Russian stemmer,
 * and the field prefixes of DESIGN.md (title: org: theme: country: kind:
 * type: lang: year: site: section: status:, and year:A..B ranges).  An
 * empty or NULL @text matches every document.  XC_ERR_QUERY when @text
 * cannot be parsed; the message is in xc_errmsg(@db).  The parser, its
 * stemmer and stopper are built on the first call and kept in @db for the
 * next ones (what they read of the metadata is read again per revision).
 * *@out: (transfer full) borrows @db: free it with xc_query_free() before
 * xc_db_close(@db). */
xc_status_t xc_query_parse(xc_db_t *db, const char *text, unsigned flags,
                           xc_query_t **out);
void xc_query_free(xc_query_t *q);      /* accepts NULL */

/* Adds a boolean filter: the document must carry @prefix + one of
 * @values (OR within one call, AND across calls). */
xc_status_t xc_query_filter(xc_query_t *q, const char *prefix,
                            const char *const *values, size_t n);
/* TRUE when parsing left no usable terms (e.g. only stopwords or
 * punctuation) although the text was not empty. */
int xc_query_is_empty(const xc_query_t *q);
/* Bounds the time xc_search() may spend matching @q: past @seconds (0: no
 * bound, the default) it stops and fails with XC_ERR_TIMEOUT, rather than
 * return counts it did not finish.  XC_ERR_INVALID for a negative
 * @seconds. */
xc_status_t xc_query_set_time_limit(xc_query_t *q, double seconds);
/* Non-zero when @q checks term positions (a phrase or NEAR): such a query
 * costs a position check per candidate, so a caller may count fewer of
 * its matches exactly. */
int xc_query_is_positional(const xc_query_t *q);

/* ---------------------------------------------------------------- Search */

typedef enum {
    XC_SORT_RELEVANCE = 0,
    XC_SORT_DATE = 1            /* XC_SLOT_DATE, newest first */
} xc_sort_t;

/* A boolean filter: documents carrying @prefix + one of @values (the
 * strings are borrowed), or with @exclude set, documents carrying none of
 * them.  @n == 0 is no filter, not one that matches nothing. */
typedef struct {
    const char *prefix;
    const char *const *values;
    size_t n;
    int exclude;
} xc_filter_t;

typedef struct {
    size_t offset;
    size_t limit;
    xc_sort_t sort;
    /* Value slots to count facets over (multi-valued, split on
     * XC_MULTI_SEP); counted over all matches.  May be NULL/0. */
    const unsigned *facet_slots;
    size_t n_facet_slots;
    /* Count at least this many matches exactly (Xapian's checkatleast):
     * totals up to it are exact, beyond it estimated.  0 = only what the
     * page needs.  Facets imply every match, and then an exact total. */
    size_t check_at_least;
    /* Filters on the query for this search only, AND across them: one
     * parsed query serves searches under different filters (the facets of
     * a field with an active filter count without it).  May be NULL/0. */
    const xc_filter_t *filters;
    size_t n_filters;
} xc_search_opts_t;

/* Runs @q.  *@out: (transfer full) is bound to @q's database, not to @q:
 * @q may be freed (or searched again under other filters) while the
 * result lives; free the result with xc_mset_free() before
 * xc_db_close(). */
xc_status_t xc_search(xc_query_t *q, const xc_search_opts_t *opts,
                      xc_mset_t **out);
void xc_mset_free(xc_mset_t *m);        /* accepts NULL */

/* Totals: @exact is 1 when lower bound equals upper bound. */
void xc_mset_total(const xc_mset_t *m, uint64_t *estimate, int *exact);
size_t xc_mset_size(const xc_mset_t *m);

/* Hit @i (0-based within the page). */
typedef struct {
    unsigned docid;
    unsigned rank;              /* 0-based, over the whole result set */
    double weight;
    int percent;
    const char *data;           /* (transfer none) JSON record */
} xc_hit_t;
/* hit->data is (transfer none): valid until the next xc_mset_* call on
 * @m or xc_mset_free(@m). */
xc_status_t xc_mset_hit(xc_mset_t *m, size_t i, xc_hit_t *hit);
/* *@docid: the document id of hit @i, without reading the document (a
 * cache key for what a caller derived from it at the same revision). */
xc_status_t xc_mset_docid(xc_mset_t *m, size_t i, unsigned *docid);

/* *@value: (transfer full) the value in @slot of hit @i. */
xc_status_t xc_mset_value(xc_mset_t *m, size_t i, unsigned slot,
                          char **value, size_t *len);
/* *@text: (transfer full) passage *@n (0-based) of hit @i's full text
 * (XC_SLOT_TEXT, passages split by XC_PAGE_SEP), or its last passage when
 * it has fewer, and then *@n is set to that one's number.  Only the block
 * holding it is read, so this costs the same on a 1,000-page text as on a
 * one-page one. */
xc_status_t xc_mset_passage(xc_mset_t *m, size_t i, unsigned *n,
                            char **text, size_t *len);

/* Calls @cb for each distinct facet value counted in @slot, most frequent
 * first (ties by value). */
typedef int (*xc_facet_cb)(const char *value, uint64_t count, void *rock);
xc_status_t xc_mset_facets(xc_mset_t *m, unsigned slot, xc_facet_cb cb,
                           void *rock);

/* Term positions in hit @i of the query's terms, so a caller can find the
 * page where they cluster.  Calls @cb(position) for each; positions are not
 * sorted across terms.  A hit of a remote shard that renders from its
 * record (xc_db_shard_records()) reports, for each occurrence on a page
 * (XC_SLOT_PAGES), the position where that page starts, and none before
 * the first page: the page each falls on, without a round trip a term. */
typedef int (*xc_pos_cb)(unsigned pos, void *rock);
xc_status_t xc_mset_positions(xc_mset_t *m, size_t i, xc_pos_cb cb,
                              void *rock);

/* *@out: (transfer full) a snippet of @text (at most @max_len bytes of
 * text) with the query's matches between "<mark>" and "</mark>", the rest
 * HTML-escaped. */
xc_status_t xc_mset_snippet(xc_mset_t *m, const char *text, size_t max_len,
                            char **out);

/* ---------------------------------------------------------------- Writing */

/* Opens (creating if @create and missing) the database at @path for
 * writing.  XC_ERR_LOCKED when another writer holds it; *@errmsg as for
 * xc_db_open(). */
xc_status_t xc_dbw_open(const char *path, int create, xc_dbw_t **out,
                        char **errmsg);
/* Commits pending changes (outside a transaction) and closes. */
xc_status_t xc_dbw_close(xc_dbw_t *w);  /* accepts NULL */
const char *xc_dbw_errmsg(const xc_dbw_t *w);

xc_status_t xc_dbw_begin(xc_dbw_t *w);          /* begin a transaction */
xc_status_t xc_dbw_commit(xc_dbw_t *w);         /* commit it */
xc_status_t xc_dbw_cancel(xc_dbw_t *w);         /* cancel it */
xc_status_t xc_dbw_revision(xc_dbw_t *w, uint64_t *revision);

/* Starts building the document with unique id @id; end_doc stores it,
 * replacing any document with the same id (the "Q" term is added here). */
xc_status_t xc_dbw_begin_doc(xc_dbw_t *w, const char *id);
/* Indexes free text with the English+Russian stemmer, positions and
 * spelling data; @prefix may be "" for body text; @wdf_inc weights it. */
xc_status_t xc_dbw_add_text(xc_dbw_t *w, const char *text,
                            const char *prefix, unsigned wdf_inc);
/* Caps the distinct terms of each document at @max (0, the default: no
 * cap).  Text added to a document that already holds @max terms is not
 * indexed -- its words are not searchable, though XC_SLOT_TEXT may still
 * hold them -- so one document of hostile or generated text cannot grow
 * the writer without bound.  xc_dbw_doc_capped() tells when it happened. */
xc_status_t xc_dbw_set_max_terms(xc_dbw_t *w, uint64_t max);
/* Non-zero when the cap left out text of the document begun last. */
int xc_dbw_doc_capped(const xc_dbw_t *w);
/* Leaves a gap in term positions (between pages or fields) and returns the
 * position the next word will get in *@pos (may be NULL). */
xc_status_t xc_dbw_next_pos(xc_dbw_t *w, unsigned gap, unsigned *pos);
/* Adds a boolean term (no positions, wdf 0); too-long terms are hashed. */
xc_status_t xc_dbw_add_term(xc_dbw_t *w, const char *term);
xc_status_t xc_dbw_set_value(xc_dbw_t *w, unsigned slot, const char *value,
                             size_t len);
xc_status_t xc_dbw_set_data(xc_dbw_t *w, const char *data);
xc_status_t xc_dbw_end_doc(xc_dbw_t *w);

/* Deletes the document with id @id; XC_OK also when there was none. */
xc_status_t xc_dbw_delete_doc(xc_dbw_t *w, const char *id);
/* *@out: (transfer full) the JSON data of @id; XC_ERR_NOT_FOUND if none. */
xc_status_t xc_dbw_get_data(xc_dbw_t *w, const char *id, char **out);
/* *@value: (transfer full) the value in @slot of @id ("" if unset), *@len
 * its length; XC_ERR_NOT_FOUND if no such document. */
xc_status_t xc_dbw_get_value(xc_dbw_t *w, const char *id, unsigned slot,
                             char **value, size_t *len);
/* Calls @cb for each document id (the "Q" terms), until @cb returns
 * non-zero. */
typedef int (*xc_id_cb)(const char *id, void *rock);
xc_status_t xc_dbw_foreach_id(xc_dbw_t *w, xc_id_cb cb, void *rock);

xc_status_t xc_dbw_set_metadata(xc_dbw_t *w, const char *key,
                                const char *value);
/* *@value: (transfer full) ("" if unset). */
xc_status_t xc_dbw_get_metadata(xc_dbw_t *w, const char *key, char **value);
/* Adds @synonym (one or more words) as a synonym of @term; both are
 * lower-cased; a multi-word @term is stored the way the query parser looks
 * it up (words joined by a space). */
xc_status_t xc_dbw_add_synonym(xc_dbw_t *w, const char *term,
                               const char *synonym);

/* Stores @translation as a synonym of @term for query translation (one
 * direction; call it twice for both): the glossary's "border control" ->
 * "пограничный контроль".  Unlike xc_dbw_add_synonym() both sides are
 * stemmed, after hunspell brought each word to its dictionary form, so any
 * case form of the query word finds any case form in a document; a
 * multi-word translation matches documents with all of its words.  The
 * Russian words also join the spelling data, so a misspelt Russian query
 * word can be corrected although no document holds it. */
xc_status_t xc_dbw_add_translation(xc_dbw_t *w, const char *term,
                                   const char *translation);
/* ---------------------------------------------------------------- Shards
 *
 * An index split into shards (shards.cc has the layout): the writer sends
 * each document to the shard its id hashes to (stable across runs), and
 * spelling, synonyms and metadata to DIR/query; a reader opens a Xapian
 * stub file ("auto PATH", "remote HOST:PORT", "remote :PROG ARGS" lines)
 * shard by shard, with the query-side database first.
 */

/* Opens DIR/query and DIR/0 .. DIR/@n-1 for writing, as xc_dbw_open(). */
xc_status_t xc_dbw_open_shards(const char *dir, unsigned n, int create,
                               xc_dbw_t **out, char **errmsg);
/* Opens the stub file @stub with the query-side database @query (NULL:
 * none; then metadata comes from the first shard, and remote shards give
 * no spelling or synonyms).  A remote shard that does not answer is left
 * out, and tried again before later searches; xc_db_open() calls this for
 * a regular file, with DIR/shards/query beside it when it exists. */
xc_status_t xc_db_open_stub(const char *stub, const char *query,
                            xc_db_t **out, char **errmsg);
/* Shards of @db (0 unless a stub), and how many are left out now. */
void xc_db_shards(const xc_db_t *db, unsigned *total, unsigned *failed);
/* Shard @i of @db: *@where (transfer none) its stub line's argument (a
 * path or address), *@up 1 when it is in the search.  XC_ERR_INVALID
 * past the last. */
xc_status_t xc_db_shard(const xc_db_t *db, unsigned i, const char **where,
                        int *up);
/* 1 when the hits of shard @i of @db render from the query-side
 * database's render records, without reading the shard (a remote shard
 * whose records there are of its revision), 0 when they are read from
 * the shard (a local one, or records missing or stale). */
int xc_db_shard_records(const xc_db_t *db, unsigned i);
/* The same as they were when @m was searched: a search over a stub with
 * *@failed > 0 is partial. */
void xc_mset_shards(const xc_mset_t *m, unsigned *total, unsigned *failed);

/* ---------------------------------------------------------------- Compaction
 *
 * ctmap-indexer builds a first index, and every --full one, as a fresh
 * database and swaps it in; this prepares it for the swap.
 */

/* Compacts the database at @src into a new database at @dst (a path that
 * must not exist yet), then commits to @dst until its revision exceeds
 * @above_revision.  Readers reopen on a revision change, and Xapian's own
 * Database::reopen() compares revisions alone: a swapped-in database with
 * the revision of the one it replaces would leave readers on the old
 * tables.  Pass the revision of the database @dst will replace (0 when
 * none).  On failure *@errmsg (malloc'd, caller frees with free()) says
 * why, and @dst may hold a partial database for the caller to remove. */
xc_status_t xc_compact(const char *src, const char *dst,
                       uint64_t above_revision, char **errmsg);

#ifdef __cplusplus
}
#endif

#endif /* CTMAP_XAPIANC_XAPIANC_H */
