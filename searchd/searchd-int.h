/* searchd-int.h -- internals shared by the files of ctmap-searchd: the
 * per-thread index handles, the request/reply model, queries, snippets. */
#ifndef CTMAP_SEARCHD_SEARCHD_INT_H
#define CTMAP_SEARCHD_SEARCHD_INT_H

#include <json-glib/json-glib.h>

#include "searchd.h"
#include "xapianc.h"

G_BEGIN_DECLS

/* Limits of the API (DESIGN.md, "HTTP API"). */
#define SD_MAX_URI          8192    /* longer request targets get 414 */
#define SD_MAX_LIMIT        100     /* larger limits are capped */
#define SD_MAX_OFFSET       10000   /* larger offsets get 400 */
#define SD_MAX_QUERY        1024    /* bytes of q; longer gets 400 */
/* Wildcards ("wq*") in one q, each expanded to XC_MAX_EXPANSION words
 * at most; more get 400. */
#define SD_MAX_WILDCARDS    8
/* Words one wildcard may match; more get 400 "type more of the word". */
#define SD_MAX_WILDCARD_WORDS 20000
/* Seconds a search may take before it is refused (503 "timeout"). */
#define SD_QUERY_SECONDS    1.0
#define SD_DEFAULT_LIMIT    10
/* Matches counted exactly before totals become Xapian's estimate.  Each
 * one is weighed in full, which Xapian otherwise skips for documents that
 * cannot reach the page: on 100,000 documents, 10,000 cost a one-word
 * query a third of its time (scripts/bench/query). */
#define SD_EXACT_TOTAL      1000
/* ...or this many for a phrase, each a position check: a rare phrase of
 * common words is otherwise checked in every document holding the words
 * before its total is known (21 ms against 7 ms for the page alone on
 * 100,000 documents; scripts/bench/query). */
#define SD_EXACT_TOTAL_PHRASE 100
#define SD_SNIPPET_BYTES    300
/* Bytes of a document's text in one /doc reply (the default and the
 * largest text_limit). */
#define SD_DOC_TEXT_BYTES   (1024 * 1024)

/* ---------------------------------------------------------------- Index */

/* The index as the whole process sees it: its path and a generation
 * counter that the main thread bumps when a new revision is committed.
 * Each HTTP thread keeps its own xc_db_t (xapianc handles are not
 * thread-safe) and reopens it when its generation is stale. */
typedef struct sd_index sd_index_t;

/* Returns: (transfer full): free with sd_index_free(). */
sd_index_t *sd_index_new(const char *path, const char *query_db);

/* shards.c: for an index that is a stub, adds "partial" and "shards":
 * {"total", "failed"} of the search @m (nullable), or of @db now; with
 * @each, also each shard's state.  Adds nothing for a single database. */
void sd_shards_add(JsonBuilder *b, xc_mset_t *m, xc_db_t *db,
                   gboolean each);
/* Frees the main thread's handle; workers' handles die with their
 * threads.  Accepts NULL. */
void sd_index_free(sd_index_t *index);
/* Main thread: reopens its own handle and bumps the generation when the
 * revision changed (or the index appeared).  Returns TRUE when it did. */
gboolean sd_index_tick(sd_index_t *index);
/* Forces every thread to reopen before its next query (SIGHUP). */
void sd_index_bump(sd_index_t *index);
/* Main thread: the revision its handle last read; FALSE when there is
 * no index yet. */
gboolean sd_index_revision(const sd_index_t *index, uint64_t *revision);
/* Any thread: how many times the threads were told to reopen (new
 * revisions seen, SIGHUP). */
guint sd_index_generation(sd_index_t *index);
/* Returns: (transfer none) (nullable): the calling thread's handle,
 * opened or reopened as needed; SD_ERROR_NO_INDEX when the index does
 * not exist yet. */
xc_db_t *sd_index_thread_db(sd_index_t *index, GError **error);
/* Reopens the calling thread's handle after XC_ERR_MODIFIED. */
gboolean sd_index_thread_reopen(sd_index_t *index, GError **error);
/* Turns a failed xapianc status on @db into a GError: XC_ERR_QUERY
 * becomes SD_ERROR_BAD_QUERY, XC_ERR_MODIFIED SD_ERROR_INDEX_MODIFIED,
 * and so on.  Always returns FALSE. */
gboolean sd_index_fail(xc_db_t *db, xc_status_t status, const char *what,
                       GError **error);

/* What a thread derives from one revision of the index (facet labels,
 * ranking keys, suggestion phrases), kept per thread so that no lock is
 * needed.  Each kind has its own
 *     static GPrivate key = G_PRIVATE_INIT(sd_rev_cache_free);
 */
typedef struct {
    uint64_t revision;          /* of @value, once loaded */
    gboolean loaded;
    gpointer value;             /* owned; may be NULL when loaded */
    GDestroyNotify free_value;
    gint64 built_at;            /* monotonic us of the last set */
    gint64 build_us;            /* left to callers that time their builds */
} sd_rev_cache_t;

void sd_rev_cache_free(gpointer cache);
/* Returns: (transfer none) (nullable): the calling thread's cache for
 * @key, made empty on first use; *@revision is @db's revision and
 * *@current whether the cache holds it.  NULL (and @error set) when the
 * revision cannot be read. */
sd_rev_cache_t *sd_rev_cache_get(GPrivate *key, xc_db_t *db,
                                 uint64_t *revision, gboolean *current,
                                 GError **error);
/* Replaces @c's value with @value (transfer full) of @revision. */
void sd_rev_cache_set(sd_rev_cache_t *c, uint64_t revision, gpointer value,
                      GDestroyNotify free_value);

/* ---------------------------------------------------------------- API */

/* What the API needs from the server; owned by the server. */
typedef struct {
    sd_index_t *index;
    const char *www_dir;
} sd_app_t;

/* One HTTP answer, independent of libmicrohttpd. */
typedef struct {
    unsigned status;
    char *body;                 /* owned; g_free() */
    size_t len;
    const char *content_type;   /* static string */
    const char *allow;          /* static string or NULL (405) */
    char *etag;                 /* owned, quoted; NULL: none */
    const char *cache_control;  /* static string or NULL */
    /* For /metrics: the route that answered (static string: a route's
     * path, "page", "refused" before routing; NULL when none matched)
     * and the API error code ("busy"; NULL on success). */
    const char *endpoint;
    const char *error_code;
} sd_reply_t;

#define SD_JSON_TYPE "application/json; charset=utf-8"

/* Answers @method on the raw request target @uri (path and query string,
 * still escaped).  Never fails: errors become JSON error replies.  Runs on
 * an HTTP thread and uses that thread's index handle. */
void sd_api_handle(sd_app_t *app, const char *method, const char *uri,
                   sd_reply_t *reply);
/* Frees the body and ETag of @reply; the struct itself is the caller's. */
void sd_reply_clear(sd_reply_t *reply);
/* Turns a 200 @reply whose ETag is one of @if_none_match (the request's
 * If-None-Match header, NULL when absent) into a bodiless 304. */
void sd_reply_revalidate(sd_reply_t *reply, const char *if_none_match);

/* A decoded query-string parameter. */
typedef struct {
    char *name;
    char *value;
} sd_param_t;

#ifdef CTMAP_TESTING
gboolean sd_api_parse_uri(const char *uri, char **path, GPtrArray **params,
                          GError **error);
#endif

/* ---------------------------------------------------------------- Queries */

/* A boolean filter: documents carrying @prefix + one of @values. */
typedef struct {
    const char *prefix;         /* XC_PREFIX_*, static */
    GPtrArray *values;          /* (element-type utf8) slugs */
    GPtrArray *qualified;       /* (nullable) with tag_source, a tag
                                 * field's values as XC_PREFIX_TAGSRC
                                 * terms ("text:XCOUNTRYkazakhstan"):
                                 * searched instead of @values */
} sd_filter_t;

/* A /search request after its parameters were checked. */
typedef struct {
    char *q;                    /* NULL when absent */
    /* q with misspelt words corrected (sd_query_correct()), or NULL;
     * searched instead of q when use_corrected (q found nothing). */
    char *corrected;
    gboolean use_corrected;
    GPtrArray *filters;         /* (element-type sd_filter_t) */
    size_t offset;
    size_t limit;
    int sort;                   /* xc_sort_t, or -1 for the default */
    guint facets;               /* bit i: facet field i (facets.c) */
    gboolean diversify;         /* the page is cut from the window */
    /* snippets=0 turns this off: hits then carry no snippet, page or
     * page_url, and neither the text block nor the positions are read. */
    gboolean snippets;
} sd_search_req_t;

void sd_search_req_init(sd_search_req_t *req);
void sd_search_req_clear(sd_search_req_t *req);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(sd_search_req_t, sd_search_req_clear)
/* Adds @value, slugged, to the filter on @prefix; empty slugs are
 * ignored. */
void sd_search_req_add_filter(sd_search_req_t *req, const char *prefix,
                              const char *value);
/* Once every parameter is in: with a tag_source filter, the org, theme,
 * country and year filters of @req match only tags from those sources
 * (XC_PREFIX_TAGSRC). */
void sd_search_req_finish(sd_search_req_t *req);
/* Returns: (transfer full) (nullable): the text of @req (or its
 * correction, when use_corrected) parsed into an xc_query_t bound to @db,
 * with synonyms and the time limit; the filters go to each search as
 * options (sd_search_filters()).  SD_ERROR_BAD_QUERY when the text
 * cannot be parsed. */
xc_query_t *sd_query_build(xc_db_t *db, const sd_search_req_t *req,
                           GError **error);
/* Fills @out (room for SD_MAX_FACETS; borrowed from @req) with the filters
 * of @req but the one on @skip_prefix (NULL: none skipped).  Returns how
 * many. */
size_t sd_search_filters(const sd_search_req_t *req, const char *skip_prefix,
                         xc_filter_t *out);
/* Unknown words of one query that get a spelling correction looked up:
 * a hunspell suggestion costs a few milliseconds, and a pasted page of
 * text must not cost seconds. */
#define SD_MAX_CORRECTIONS 8

/* Returns: (transfer full) (nullable): @q with each word the index does
 * not know (xc_db_word_known()) replaced by its spelling correction, up
 * to SD_MAX_CORRECTIONS of them, or NULL when no word needed one. */
char *sd_query_correct(xc_db_t *db, const char *q);
/* Returns: (transfer none) (nullable): the filter of @req on @prefix. */
const sd_filter_t *sd_search_req_filter(const sd_search_req_t *req,
                                        const char *prefix);

/* ---------------------------------------------------------------- Facets */

/* Adds the facet fields named in @value ("org,theme") to req->facets;
 * SD_ERROR_BAD_PARAMETER naming an unknown one. */
gboolean sd_facets_parse(sd_search_req_t *req, const char *value,
                         GError **error);
/* Fills @slots (room for SD_MAX_FACETS) with the value slots the main
 * search must count: the requested fields without an active filter.
 * Returns how many. */
size_t sd_facets_main_slots(const sd_search_req_t *req, unsigned *slots);
/* Adds "facets": {...} to @b: counts of the main search @m (NULL when
 * nothing was searched), and for each requested field with an active
 * filter one more search of the same parsed query @q without that
 * filter, so that a selected value's siblings keep their counts
 * (disjunctive facets). */
gboolean sd_facets_add(xc_db_t *db, const sd_search_req_t *req,
                       xc_query_t *q, xc_mset_t *m, JsonBuilder *b,
                       GError **error);
#define SD_MAX_FACETS 16
/* Returns: (transfer none) (nullable): the object stored under
 * XC_META_LABELS ({"org": {slug: label}, ...}) at @db's revision, parsed
 * once per revision and thread; NULL when the index has none. */
JsonObject *sd_facets_labels(xc_db_t *db);

/* ---------------------------------------------------------------- Ranking */

/* Relevance-ranked pages that start within the first SD_DIVERSIFY_WINDOW
 * hits are cut from one order: that window reordered -- a near-duplicate
 * of a higher hit (the same text, or an entry and a document it
 * cites) moves down SD_DIVERSIFY_DEMOTE places, staying in the window --
 * then Xapian's order past it.  Every offset and limit cuts the same
 * order, so pages agree at any depth. */
#define SD_DIVERSIFY_WINDOW 30
#define SD_DIVERSIFY_DEMOTE 10

/* One hit of a page: where it is in the mset, its rank when reordered. */
typedef struct {
    size_t index;               /* into the xc_mset_t */
    unsigned rank;              /* 1-based; 0: Xapian's rank stands */
    char *duplicate_of;         /* owned; the id it near-duplicates */
} sd_rank_slot_t;

/* Frees the members of an sd_rank_slot_t (a GArray clear func). */
void sd_rank_slot_clear(gpointer data);
/* Returns: (transfer full) (nullable): the page as sd_rank_slot_t: with
 * @diversify, @m holds the hits from the first on (the window and any
 * more up to @offset + @limit) and the page is [@offset, @offset +
 * @limit) of them in the order above; otherwise @m is the page. */
GArray *sd_rank_page(xc_db_t *db, xc_mset_t *m, size_t offset, size_t limit,
                     gboolean diversify, GError **error);
/* Returns: (transfer none) (nullable): the label a hit with @status
 * carries ("Title only (no link known)"), NULL for full text. */
const char *sd_facets_status_label(const char *status);

/* ---------------------------------------------------------------- Search */

/* One /search run (search.c). */
typedef struct {
    xc_query_t *query;          /* the text searched, parsed; facets.c
                                 * counts under other filters from it */
    xc_mset_t *m;               /* NULL when the text had no usable terms */
    GArray *page;               /* (element-type sd_rank_slot_t) or NULL */
    uint64_t total;
    int exact;
} sd_search_result_t;

/* Runs @req on @db into @res (cleared first): its text parsed once, the
 * main search under all its filters, the spelling correction searched
 * instead when the text found nothing (req->corrected and
 * req->use_corrected say so), and the page ranked.  On FALSE, @res holds
 * whatever was built, for sd_search_result_clear(). */
gboolean sd_search_run(xc_db_t *db, sd_search_req_t *req,
                       sd_search_result_t *res, GError **error);
/* Frees the members of @res; they are freed before the handle they are
 * bound to. */
void sd_search_result_clear(sd_search_result_t *res);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(sd_search_result_t, sd_search_result_clear)

/* ---------------------------------------------------------------- Suggest */

#define SD_DEFAULT_SUGGEST  8
#define SD_MAX_SUGGEST      50

/* Returns: (transfer full) (nullable): {"query", "suggestions":
 * [{"text", "count", "source"}], "took_ms"}: at most @limit completions
 * of @q, phrases and the last word, most documents first. */
JsonNode *sd_suggest(xc_db_t *db, const char *q, size_t limit,
                     GError **error);

/* ---------------------------------------------------------------- Snippets */

/* The snippet of hit @i: from the page where the query's terms cluster,
 * or the start of the text when there are none.  *@page receives the
 * 1-based page the snippet comes from (0 when the hit has no text).
 * Returns: (transfer full): HTML-escaped text, matches in <mark>. */
char *sd_snippet_for_hit(xc_mset_t *m, size_t i, unsigned *page,
                         GError **error);
/* Returns: (transfer full): the first words of @text, at most @max bytes
 * before escaping, cut between words, whitespace collapsed, and
 * HTML-escaped. */
char *sd_snippet_plain(const char *text, size_t max);

#ifdef CTMAP_TESTING
unsigned sd_snippet_best_page(const unsigned *starts, size_t n_starts,
                              const unsigned *pos, size_t n_pos);
#endif

/* ---------------------------------------------------------------- JSON */

/* Returns: (transfer full): @root serialized compactly; *@len its
 * length. */
char *sd_json_to_string(JsonNode *root, size_t *len);
/* Fills @reply with {"error":{"code","message"}} for @error. */
void sd_json_error_reply(const GError *error, sd_reply_t *reply);
/* Fills @reply with @root as a 200 (or @status) JSON answer. */
void sd_json_reply(JsonNode *root, unsigned status, sd_reply_t *reply);
/* Returns: (transfer full) (nullable): @text parsed, or NULL when it is
 * not JSON. */
JsonNode *sd_json_parse(const char *text);

/* ---------------------------------------------------------------- HTTP */

/* A libmicrohttpd daemon serving one listening socket. */
typedef struct sd_http sd_http_t;

/* Requests being read or answered at once beyond which new ones get 503
 * "busy", before libmicrohttpd's own connection limit drops them
 * unanswered. */
#define SD_BUSY_MARGIN      64
/* Request bodies (GET has none) larger than this get 413. */
#define SD_MAX_BODY         (16 * 1024)
/* Query parameters in one request target; more get 400. */
#define SD_MAX_PARAMS       256
/* Bytes of request headers (names and values); more get 431. */
#define SD_MAX_HEADER_BYTES (16 * 1024)

/* ---------------------------------------------------------------- Limits */

/* The Host names a TCP listener answers for (DNS rebinding): its own
 * address, localhost and --allow-host names, on its own port or none. */
typedef struct {
    char **names;               /* lower case, NULL-terminated */
    gint64 port;
} sd_hosts_t;

/* Returns: (transfer full): the names for --listen @listen plus @extra
 * (may be NULL); free with sd_limits_hosts_free(). */
sd_hosts_t *sd_limits_hosts_new(const char *listen,
                                const char *const *extra);
void sd_limits_hosts_free(sd_hosts_t *hosts);
/* Whether a request with Host @value (NULL: none) may be answered;
 * @hosts NULL allows any (the Unix socket). */
gboolean sd_limits_host_allowed(const sd_hosts_t *hosts, const char *value);
/* Returns: the number of query parameters in the raw target @uri, as
 * libmicrohttpd would store them. */
guint sd_limits_count_params(const char *uri);
/* Whether the raw target @uri names a resource (not "*" or host:port). */
gboolean sd_limits_target_ok(const char *uri);
/* Whether a request's Transfer-Encoding (NULL: none) is understood. */
gboolean sd_limits_coding_ok(const char *transfer_encoding);
/* Returns: (transfer none): the Content-Security-Policy of a reply of
 * @content_type. */
const char *sd_limits_csp(const char *content_type);
/* Cuts the "title" of @record (a stored record) to XC_MAX_TITLE_CHARS,
 * for records indexed before the indexer did. */
void sd_limits_cap_title(JsonObject *record);

/* How one listening socket is served. */
typedef struct {
    unsigned threads;
    unsigned timeout;           /* seconds a connection may idle */
    unsigned max_connections;
    gsize max_reply_bytes;      /* reply bodies waiting; 0: no bound */
    const sd_hosts_t *hosts;    /* borrowed; NULL: any Host */
    /* Peers allowed by SO_PEERCRED (uid in allow_uids or primary gid in
     * allow_gids); both NULL: no check.  Borrowed: must outlive the
     * daemon. */
    const GArray *allow_uids;
    const GArray *allow_gids;
} sd_http_opts_t;

/* Starts serving the bound, listening socket @fd as @opts says,
 * answering through @app (which must outlive it).  The socket is handed
 * over: on success and on failure alike the caller must not close it.
 * Returns: (transfer full) (nullable): free with sd_http_free(). */
sd_http_t *sd_http_start(int fd, const sd_http_opts_t *opts, sd_app_t *app,
                         GError **error);
/* Stops accepting connections; requests in flight go on. */
void sd_http_quiesce(sd_http_t *h);
/* Waits at most @ms for the requests in flight to be answered; returns
 * TRUE when none is left. */
gboolean sd_http_drain(sd_http_t *h, unsigned ms);
/* Ends the drain: from now on no request goes to a worker (503 busy).
 * Logs, one warning each, the requests a worker is still answering
 * (their method and target, and how long ago they began) and returns how
 * many there are; 0 for NULL.  sd_http_free() would wait for each of them
 * (a worker cannot be stopped half-way through a Xapian call). */
guint sd_http_report_stuck(sd_http_t *h);
/* Stops serving, closes connections and the socket; accepts NULL. */
void sd_http_free(sd_http_t *h);

/* ---------------------------------------------------------------- Files */

/* Serves the file of the search page named by @path ("/" is
 * index.html) from @www_dir.  Returns FALSE, leaving @reply untouched,
 * when there is no such file (or it lies outside @www_dir). */
gboolean sd_www_serve(const char *www_dir, const char *path,
                      sd_reply_t *reply);

/* ---------------------------------------------------------------- Metrics */

#define SD_METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Counts one answered request: @reply's endpoint, status and error code,
 * and @seconds from its request line to its reply.  Any thread. */
void sd_metrics_observe(const sd_reply_t *reply, double seconds);
/* Fills @reply with the metrics text: the request counters, and the
 * index gauges from @stats (the /stats object; NULL when there is no
 * index) and @reopens (sd_index_generation()). */
void sd_metrics_reply(JsonNode *stats, guint reopens, sd_reply_t *reply);

/* ---------------------------------------------------------------- systemd */

/* Socket activation: *@fd receives the listening socket systemd passed
 * (LISTEN_FDS, for this LISTEN_PID), made non-blocking, or -1 when none
 * was passed.  FALSE when what was passed is not one listening stream
 * socket. */
gboolean sd_notify_listen_fd(int *fd, GError **error);
/* Returns: (transfer full): the address @fd listens on, for the log. */
char *sd_notify_describe_fd(int fd);
/* sd_notify() messages to the service manager ($NOTIFY_SOCKET; no-ops
 * without one).  READY=1 and STATUS= name the revision served. */
void sd_notify_ready(sd_index_t *index);
void sd_notify_status(sd_index_t *index);
void sd_notify_reloading(void);
void sd_notify_stopping(void);

G_END_DECLS

#endif /* CTMAP_SEARCHD_SEARCHD_INT_H */
