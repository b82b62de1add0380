/* indexer-int.h -- internals shared by the files of ctmap_indexer_core
 * only (the fetch cache between fetch.c and cache.c, a fetch run's jobs
 * between fetch.c and fetch-result.c); never included from
 * outside indexer/ except by the Criterion suites.
 */
#ifndef CTMAP_INDEXER_INDEXER_INT_H
#define CTMAP_INDEXER_INDEXER_INT_H

#include <sys/socket.h>

#include <curl/curl.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "indexer.h"

G_BEGIN_DECLS

/* ---------------------------------------------------------------- Cache */

/* The on-disk format version, written to DIR/VERSION.  Bump it whenever
 * the layout or the metadata members change meaning: a cache of another
 * version is emptied and rebuilt rather than misread. */
#define IX_CACHE_VERSION 1

typedef struct ix_cache ix_cache_t;

/* What the cache knows about one URL (DIR/urls/<sha256>.json).  Every
 * string is owned by the record and nullable.  @content_hash is set only
 * when the body is present in DIR/bodies: ix_cache_lookup() clears it (and
 * the validators that belong to it) when the body has gone missing. */
typedef struct {
    char *url;                  /* as requested, before --mirror */
    char *final_url;            /* after redirects */
    long http_status;           /* of the fetch that produced the body */
    char *etag;
    char *last_modified;
    char *media_type;
    char *charset;
    char *content_hash;         /* SHA-256 hex of the body */
    gint64 fetched_at;          /* when the body was downloaded */
    char *last_status;          /* ix_status_name() of the last attempt */
    char *last_reason;          /* its reason, NULL when it went well */
    gint64 last_ok_at;          /* last 200 or 304; 0 if never */
} ix_cache_meta_t;

ix_cache_meta_t *ix_cache_meta_new(const char *url);
void ix_cache_meta_free(ix_cache_meta_t *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ix_cache_meta_t, ix_cache_meta_free)

ix_cache_t *ix_cache_open(const char *dir, GPtrArray *notes, GError **error);
void ix_cache_close(ix_cache_t *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ix_cache_t, ix_cache_close)

ix_cache_meta_t *ix_cache_lookup(ix_cache_t *c, const char *url);
gboolean ix_cache_save(ix_cache_t *c, const ix_cache_meta_t *m,
                       GError **error);
char *ix_cache_body_path(ix_cache_t *c, const char *hash);
int ix_cache_tmp_open(ix_cache_t *c, char **path, GError **error);
char *ix_cache_store_body(ix_cache_t *c, const char *tmp_path,
                          const char *hash, GError **error);
char *ix_cache_meta_path(ix_cache_t *c, const char *url);

/* ---------------------------------------------------------------- Files */

/* Removes @path and everything below it, never following symbolic links,
 * so a link planted in the data dir cannot make us delete elsewhere.
 * FALSE (errno set) at the first failure. */
gboolean ix__remove_tree(const char *path);
/* store.c: renameat2(RENAME_EXCHANGE) (test builds can pretend it is
 * missing), and fsync of a directory after renames in it. */
int ix__exchange(const char *a, const char *b);
void ix__sync_dir(const char *dir);

/* ---------------------------------------------------------------- Spool */

/* Extracted text parked on disk until the writer needs it (spool.c). */
typedef struct ix_spool ix_spool_t;

/* An unlinked temporary file in @dir.  Returns: (transfer full). */
ix_spool_t *ix__spool_new(const char *dir, GError **error);
void ix__spool_free(ix_spool_t *s);
/* Appends @passages; *@off and *@len say where they went. */
gboolean ix__spool_put(ix_spool_t *s, const GPtrArray *passages,
                       guint64 *off, guint64 *len, GError **error);
/* Reads back what ix__spool_put() wrote at @off.  Returns: (transfer
 * full) the passages. */
GPtrArray *ix__spool_get(ix_spool_t *s, guint64 off, guint64 len,
                         GError **error);

/* SHA-256 hex of @passages, the text digest the writer stores.  Returns:
 * (transfer full). */
char *ix__text_digest(const GPtrArray *passages);

/* ---------------------------------------------------------------- JSON */

/* Sets member @name to @value, or to null when @value is NULL. */
void ix__json_add_string(JsonBuilder *b, const char *name,
                         const char *value);
/* Sets member @name to the integer @value. */
void ix__json_add_int(JsonBuilder *b, const char *name, gint64 value);
/* Sets member @name to an array of the strings in @values (nullable: an
 * empty array). */
void ix__json_add_strings(JsonBuilder *b, const char *name,
                          const GPtrArray *values);
/* Member @name of @o when it is a string, else NULL (a record written by
 * another version may lack it or hold another type).  Returns: (transfer
 * full) (nullable). */
char *ix__json_member_string(JsonObject *o, const char *name);
/* Writes @root, pretty-printed, to @path atomically.  FALSE with
 * IX_ERROR_IO "@what: <why>" when it cannot. */
gboolean ix__json_save(JsonNode *root, const char *path, const char *what,
                       GError **error);
/* ISO 8601 (UTC) of @unix_seconds; NULL for 0.  Returns: (transfer full)
 * (nullable). */
char *ix__iso_time(gint64 unix_seconds);

/* ---------------------------------------------------------------- Fetch */

/* Classifies an address a cited link must not reach: "loopback",
 * "private", "link-local", ... or NULL for an ordinary public address.
 * IPv4-mapped, IPv4-compatible and NAT64 IPv6 forms are judged by the
 * IPv4 address they carry (fetch-policy.c; fetch.c checks each address
 * curl connects to).  Returns: (transfer none) (nullable). */
const char *ix_fetch_address_kind(const struct sockaddr *sa);

G_END_DECLS

/* ---------------------------------------------------------------- Fetch */

/* fetch-policy.c, for fetch.c.  Parses a numeric address into @ss; FALSE
 * when @text is not one. */
struct sockaddr;
struct sockaddr_storage;
gboolean ix__parse_address(const char *text, struct sockaddr_storage *ss);
/* TRUE when @s starts with "scheme://". */
gboolean ix__has_scheme(const char *s);
/* The --mirror rule of @o whose FROM (TO with @reverse) holds @url, the
 * longest prefix winning, compared as URLs (scheme, host, port, then the
 * path on a segment boundary); in @rewritten (nullable) @url moved onto
 * the rule's other side, without any user name or password.  Returns:
 * (transfer none) (nullable); *@rewritten (transfer full). */
const ix_mirror_t *ix__mirror_find(const ix_fetch_opts_t *o, const char *url,
                                   gboolean reverse, char **rewritten);
/* Returns: (transfer full): @sa as text ("10.0.0.5"). */
char *ix__address_text(const struct sockaddr *sa);
/* Returns: (transfer full): "refused: ADDRESS is a KIND address". */
char *ix__refusal(const char *address, const char *kind);
/* Returns: (transfer full) (nullable): reply header @name of @e, trimmed. */
char *ix__header_value(void *e, const char *name);
/* Returns: (transfer full): a byte limit as people read it: "100 MB",
 * "512 KB", "1000 bytes". */
char *ix__limit_text(gsize n);
/* Splits "text/html; charset=UTF-8" into "text/html" and "utf-8" (each
 * (transfer full) (nullable)). */
void ix__split_content_type(const char *ct, char **type, char **charset);

/* ------------------------------------------------------------ Fetch runs */

/* One ix_fetch_run() (fetch.c drives it; fetch-result.c decides what
 * each finished request means).  A run owns its jobs until
 * ix__fetch_finish() hands a job's result to the callback and frees it. */

/* Error pages and redirect bodies are read (so the connection can be
 * reused) but not kept; past this much we hang up instead. */
#define IX_FETCH_DISCARD_MAX (64 * 1024)

typedef struct ix_fetch_run ix_fetch_run_t;

typedef struct {
    ix_fetch_run_t *run;
    guint index;
    const char *url;            /* (transfer none) the caller's URL */
    char *target;               /* what this hop requests (after mirror) */
    char *shown;                /* this hop's URL as the result shows it */
    char *host;                 /* per-host key of @target */
    gboolean trusted;           /* a --mirror target: no address check */
    gboolean is_file;
    GHashTable *visited;        /* every target requested: loops */
    guint redirects;
    guint retries;              /* transient failures retried so far */
    gint64 retry_at;            /* monotonic µs */
    ix_cache_meta_t *meta;      /* (nullable) what the cache knew */
    CURL *easy;
    struct curl_slist *headers;
    char errbuf[CURL_ERROR_SIZE];
    int fd;
    char *tmp_path;
    GChecksum *sum;
    guint64 bytes;
    guint64 discarded;
    gboolean too_large;
    int write_errno;
    char *refused;              /* (nullable) this hop's refusal */
    char *protocol;             /* (nullable) a malformed response, seen
                                 * in its headers: failed, not retried */
    ix_fetch_result_t res;
} ix_fetch_job_t;

struct ix_fetch_run {
    const ix_fetch_opts_t *o;
    ix_cache_t *cache;
    CURLM *multi;
    GQueue ready;               /* (element-type ix_fetch_job_t) to start,
                                 * in order */
    GPtrArray *waiting;         /* (element-type ix_fetch_job_t) backing
                                 * off */
    GHashTable *per_host;       /* host -> transfers in flight */
    GHashTable *proxy_ips;      /* (nullable) the proxies' addresses */
    guint in_flight;
    gboolean dirty;             /* the ready queue may have startable jobs */
    char *limit;                /* "100 MB" */
    GError *io_error;           /* (nullable) the first local write
                                 * failure: fails the whole run */
    ix_fetch_done_cb done;
    gpointer rock;
};

/* fetch.c.  Frees @j (NULL allowed) and everything it holds. */
void ix__fetch_job_free(ix_fetch_job_t *j);
/* Returns: (transfer full) (nullable): the scheme of @url, lower-cased
 * ("www.x.org" is http). */
char *ix__url_scheme(const char *url);
/* Points @j's next hop at @url (mirror rewrite, scheme and address
 * checks); FALSE with *@status and *@reason (transfer full) when refused. */
gboolean ix__fetch_hop_set(ix_fetch_job_t *j, const char *url,
                           ix_status_t *status, char **reason);
/* Records @reason as the run's local I/O failure.  Returns @reason. */
char *ix__fetch_local_failure(ix_fetch_run_t *run, char *reason);
/* Adds @delta to the transfers in flight to @host. */
void ix__fetch_host_add(ix_fetch_run_t *run, const char *host, int delta);

/* fetch-result.c.  Each ix__fetch_finish*() / ix__fetch_fail() ends @j:
 * it is freed, and must not be used after the call. */
void ix__fetch_result_from_meta(ix_cache_t *c, ix_fetch_result_t *r,
                                const ix_cache_meta_t *m);
void ix__fetch_finish(ix_fetch_job_t *j);
/* @reason: (transfer full).  @save: record the failure in the cache. */
void ix__fetch_fail(ix_fetch_job_t *j, ix_status_t status, char *reason,
                    gboolean save);
/* One request of @j ended with @rc: finish, retry or follow. */
void ix__fetch_hop_done(ix_fetch_job_t *j, CURLcode rc);

#endif /* CTMAP_INDEXER_INDEXER_INT_H */
