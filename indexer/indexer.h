/* indexer.h -- ctmap-indexer's core: planning sources from the mappings,
 * turning them into search documents, writing the Xapian index and the
 * report.  main.c strings these verbs together; the Criterion suites link
 * the same code.
 */
#ifndef CTMAP_INDEXER_INDEXER_H
#define CTMAP_INDEXER_INDEXER_H

#include <glib.h>
#include <json-glib/json-glib.h>

#include "corpus.h"
#include "extract.h"
#include "schema.h"

G_BEGIN_DECLS

#define IX_ERROR (ix_error_quark())
GQuark ix_error_quark(void);

typedef enum {
    IX_ERROR_USAGE,             /* bad arguments: exit 2 */
    IX_ERROR_INDEX,             /* the index cannot be written: exit 1 */
    IX_ERROR_LOCKED,            /* another writer holds the index: exit 1 */
    IX_ERROR_IO                 /* data dir or report not writable: exit 1 */
} ix_error_t;

/* ---------------------------------------------------------------- Sources */

/* The statuses of DESIGN.md, from XC_DOC_STATUS_LIST (schema.h), which
 * also gives the names used in records, terms and the report. */
typedef enum {
#define IX__ENUM(id, name, label) IX_STATUS_##id,
    XC_DOC_STATUS_LIST(IX__ENUM)
#undef IX__ENUM
    IX_STATUS_N
} ix_status_t;

/* Returns: (transfer none): "indexed", "title-only", ... */
const char *ix_status_name(ix_status_t status);
/* The status named @name (as ix_status_name() gives it), or @fallback
 * when no status has that name. */
ix_status_t ix_status_from_name(const char *name, ix_status_t fallback);

/* From XC_DOC_TYPE_LIST: IX_SOURCE_ENTRY, IX_SOURCE_DOCUMENT. */
typedef enum {
#define IX__TYPE(id, name, label) IX_SOURCE_##id,
    XC_DOC_TYPE_LIST(IX__TYPE)
#undef IX__TYPE
    IX_SOURCE_N
} ix_source_type_t;

/* Returns: (transfer none): "entry" or "document". */
const char *ix_type_name(ix_source_type_t type);

/* Tags found in a document's own text (tag.c), by field; the order of
 * the fields is that of @base in ix_source_t's writer view. */
typedef enum {
    IX_TEXT_TAG_ORG,
    IX_TEXT_TAG_THEME,
    IX_TEXT_TAG_COUNTRY,
    IX_TEXT_TAG_YEAR,           /* last: not from a vocabulary */
    IX_TEXT_TAG_N
} ix_text_tag_t;

typedef struct {
    GPtrArray *found[IX_TEXT_TAG_N];        /* (element-type utf8) slugs
                                             * (years as "2019") */
    const GPtrArray *base[IX_TEXT_TAG_N];   /* (transfer none) the tags
                                             * before the text's were
                                             * added: mapping, folders */
} ix_text_tags_t;

/* The organizations, themes, countries and years @passages keep naming
 * (see tag.c for the thresholds).  Returns: (transfer full): free with
 * ix_text_tags_free(); base is left NULL. */
ix_text_tags_t *ix_tag_text(const corpus_vocab_t *vocab,
                            const GPtrArray *passages);
void ix_text_tags_free(ix_text_tags_t *tt);      /* accepts NULL */

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ix_text_tags_t, ix_text_tags_free)

/* Where a cited document's bytes stand: the collect step fetches those
 * IX_FETCH_PENDING, once per run. */
typedef enum {
    IX_FETCH_NONE = 0,          /* nothing to fetch (entries, local files) */
    IX_FETCH_PENDING,           /* planned: status unreachable, reason
                                 * "not fetched", until a fetch is tried */
    IX_FETCH_TRIED              /* the fetch ran; status and reason say
                                 * how it went */
} ix_fetch_state_t;

/* The reason a planned document gives until it is fetched (the report
 * shows it for documents a run never tried). */
#define IX_REASON_NOT_FETCHED "not fetched"

/* One search document: a mapping entry or a cited document.  Every string
 * array owns its elements. */
typedef struct {
    ix_source_type_t type;
    char *id;                   /* "e-…" or "d-…" */
    char *title;
    char *url;                  /* (nullable) the first URL it is known by */
    GPtrArray *urls;            /* every URL, as repaired */
    char *host;                 /* (nullable) */
    ix_status_t status;
    char *reason;               /* (nullable) */
    ix_fetch_state_t fetch;
    char section;               /* 'A'..'E' or 0 */
    char *kind;                 /* kind slug */
    char *lang;                 /* "en", "ru" or "" when unknown */
    GPtrArray *orgs;            /* slugs, as the facets and terms use */
    GPtrArray *themes;
    GPtrArray *countries;
    GPtrArray *donors;          /* entries: countries named only as paying
                                 * (stored in the record, not a facet) */
    GPtrArray *years;
    GPtrArray *org_names;       /* words to index under XO: labels, names,
                                 * aliases and the cell as written */
    GPtrArray *links;           /* entries: ids of the documents cited;
                                 * documents: ids of the citing entries */
    GPtrArray *passages;        /* the text, in passages (or pages) */
    char *edition;              /* (nullable) entries: mapping name */
    guint first_line, last_line;
    char *path;                 /* (nullable) a local file to extract:
                                 * repository documents and fetched
                                 * bodies in the cache */
    char *media_type;           /* (nullable) as extraction sniffed it */
    guint n_pages;              /* PDF pages; 0 when not paged */
    /* Fetching and extraction state. */
    char *base_url;             /* (nullable) where the bytes came from,
                                 * after redirects: base for links */
    char *hint_type;            /* (nullable) the server's Content-Type */
    char *hint_charset;         /* (nullable) the server's charset */
    char *content_hash;         /* (nullable) SHA-256 hex of the bytes */
    char *text_digest;          /* (nullable) set when the text is not in
                                 * @passages but in the index (bytes
                                 * unchanged) or in the spool: the writer
                                 * reads it only if it must rewrite */
    char *file_stamp;           /* (nullable) repository files: size,
                                 * mtime and inode as the plan saw them */
    gsize root_len;             /* repository files: bytes of @path naming
                                 * the repository folder (then '/' and
                                 * the path inside it); 0 otherwise */
    struct ix_spool *spool;     /* (nullable) (transfer none) the plan's
                                 * spool holding the text, at spool_off */
    guint64 spool_off, spool_len;
    gint64 fetched_at;          /* unix seconds; 0 when never fetched */
    gboolean extracted;         /* the text is final for this run */
    gboolean follow;            /* discovery: follow this page's links */
    guint depth;                /* links away from a cited document */
    GPtrArray *out_links;       /* HTML: the absolute links it holds */
    char *found_on;             /* (nullable) discovered: the page's URL */
    char *context;              /* (nullable) the sentence introducing a
                                 * cited link when it is not its title */
    GPtrArray *translations;    /* (nullable) (element-type
                                 * ix_translation_t) its other language
                                 * versions */
    GPtrArray *identifiers;     /* (nullable) "un:S/2017/375",
                                 * "isbn:9789211303359": what names the
                                 * document alike in every language, from
                                 * its text (translations.c) */
    GPtrArray *folder_tags;     /* (nullable) "theme:slug", "org:slug":
                                 * the tags its folders gave */
    const ix_text_tags_t *text_tags;    /* (nullable) (transfer none)
                                         * only in the writer's view of a
                                         * document, for tag_sources */
    GArray *ocr;                /* (nullable) (element-type
                                 * extract_ocr_page_t) the pages whose text
                                 * Tesseract recognised */
    /* Coverage, for the report; known only for what was extracted in this
     * run (an unchanged document is not read again). */
    gboolean coverage_known;
    guint pages_total;          /* PDF pages, or passages of other text */
    guint pages_text;           /* pages (or passages) with text */
    guint suspect;              /* extract_text_suspect() bits */
} ix_source_t;

/* The field names of the tags text tagging adds to ("org", "theme",
 * "country", "year"), by ix_text_tag_t. */
extern const char *const ix_text_tag_fields[IX_TEXT_TAG_N];

/* The tags of @src in field @k: its org, theme, country or year set
 * (with the text's, in the writer's view).  Returns: (transfer none). */
const GPtrArray *ix_tag_set(const ix_source_t *src, ix_text_tag_t k);

/* Where the tag @slug of field @k of @src came from: "mapping" (the
 * citing entries, or the entry itself), "folder", "text", stored into
 * @out (room for two).  Returns: how many (record.c). */
guint ix_tag_origins(const ix_source_t *src, ix_text_tag_t k,
                     const char *slug, const char *out[2]);

/* Another language version of a document, as its record lists it. */
typedef struct {
    char *id;
    char *lang;                 /* from the name's language tag, or the
                                 * text's when linked by identifier */
    char *title;                /* as planned, or as extracted */
    char *url;
} ix_translation_t;

void ix_translation_free(ix_translation_t *t);     /* accepts NULL */
/* Lists @other, in @lang, among @to's translations unless already there
 * (translations.c). */
void ix_translation_add(ix_source_t *to, const ix_source_t *other,
                        const char *lang);

ix_source_t *ix_source_new(ix_source_type_t type, const char *id);
void ix_source_free(ix_source_t *src);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ix_source_t, ix_source_free)

/* "d-" + 16 hex digits of SHA-256 over @kind ":" @key, as DESIGN.md
 * defines document ids; @kind is "url" (normalised URL), "path" (a file's
 * path inside its repository folder) or "title".  Returns: (transfer
 * full). */
char *ix_document_id(const char *kind, const char *key);

/* Adds @value to the string set @set unless already there. */
void ix_strset_add(GPtrArray *set, const char *value);
/* Adds every string of @more (nullable) to the set @set. */
void ix_strset_merge(GPtrArray *set, const GPtrArray *more);

/* ---------------------------------------------------------------- Planning */

typedef struct {
    GPtrArray *sources;         /* (element-type ix_source_t) entries first,
                                 * then documents, each in first-seen order */
    GHashTable *by_id;          /* id -> ix_source_t (transfer none) */
    GPtrArray *warnings;        /* (element-type utf8) "FILE:LINE: msg" */
    const corpus_vocab_t *vocab;    /* (transfer none) */
    guint n_entries;
    guint n_documents;
    struct ix_progress *progress;   /* (nullable) (transfer none) told as
                                     * sources are fetched and extracted */
    char *spool_dir;            /* (nullable) where extracted text waits
                                 * for the writer; NULL keeps it in
                                 * memory */
    struct ix_spool *spool;     /* (nullable) created on first use */
    extract_ocr_mode_t ocr;     /* --ocr; auto from the zeroed struct */
    char *ocr_cache;            /* (nullable) OCR results by page image */
} ix_plan_t;

/* Parses each mapping in @mappings (file paths) and plans one source per
 * entry and one per cited link or italic title (a document cited by
 * several entries is one source carrying the union of their tags).  An
 * unreadable mapping is a warning, not an error.  Several mappings are
 * editions: a row that more than one has is planned from the last of
 * them (its text, lines and edition name), and a row any of them has
 * stays.  Returns: (transfer full). */
ix_plan_t *ix_plan_build(const corpus_vocab_t *vocab,
                         const char *const *mappings);
void ix_plan_free(ix_plan_t *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ix_plan_t, ix_plan_free)

/* Adds one document per URL listed in @path (one per line; blank lines
 * and '#' comments skipped).  FALSE with IX_ERROR_USAGE if unreadable. */
gboolean ix_plan_add_urls(ix_plan_t *plan, const char *path,
                          GError **error);

/* Adds one document per supported file below @dir (hidden and temporary
 * files skipped, symbolic links not followed), with id "d-" + the hash of
 * its path inside @dir.  With @url (nullable, ending in '/'), DIR/a/b.pdf
 * is published as @url + "a/b.pdf" percent-encoded, its url and host;
 * without, its url is the file:// URI.  Unreadable folders are warnings.
 * The text comes later, from ix_content_extract(). */
void ix_plan_add_repository(ix_plan_t *plan, const char *dir,
                            const char *url);

/* Links the documents of @plan whose file names or URLs differ only by a
 * language tag (_ru, -en, (RUS), _R), each listing the others in its
 * translations.  Call once, after every source is planned
 * (translations.c). */
void ix_translations_link(ix_plan_t *plan);

/* The identifiers of the text @passages: the UN document symbol that
 * opens it (the first in its first 1,500 characters: "S/2015/975",
 * "S/RES/2396 (2017)" as "un:S/RES/2396") and the ISBNs of its first
 * three and last passages whose check digit is right ("isbn:" + the
 * ISBN-13; an ISBN-10 converted), unless more than four (a reading list).
 * Returns: (transfer full) (nullable): NULL when none. */
GPtrArray *ix_identifiers_find(const GPtrArray *passages);

/* Links the extracted documents of @plan that share an identifier and
 * differ in language (both known), as ix_translations_link() does by
 * name; an identifier more than eight documents share (a resolution they
 * all cite) links none.  Call after extraction, before writing. */
void ix_translations_link_identifiers(ix_plan_t *plan);

/* Splits a --repository argument, "DIR" or "DIR=URL" (URL http or https;
 * the split is at the last "=http://" or "=https://", so a folder may
 * have '=' in its name), into *@dir and *@url (NULL without one; ends in
 * '/').  A DIR that is not a folder, or a URL without a host, is
 * IX_ERROR_USAGE.  Returns: *@dir, *@url (transfer full). */
gboolean ix_plan_repository_parse(const char *spec, char **dir, char **url,
                                  GError **error);

/* ---------------------------------------------------------------- Fetching */

/* A URL prefix as --mirror matches it: parsed, not compared as text, so
 * that "http://a.test=..." cannot match "http://a.test@evil/" nor
 * "http://a.test.evil/", nor "/docs" match "/docs-old/". */
typedef struct {
    char *origin;               /* "scheme://host[:port]", lower case, the
                                 * port only as written */
    char *scheme;               /* "http", "https" or "file" */
    char *host;                 /* lower case; "" for file: */
    char *port;                 /* the effective port, "" for file: */
    char *path;                 /* "" or "/a/b": no trailing '/'; matches
                                 * itself and what lies below it */
    char *query;                /* (nullable) then the path must be equal
                                 * and the query start with this */
} ix_url_prefix_t;

/* One --mirror FROM=TO rule: a URL below @from (same scheme, host and
 * port, the path on a segment boundary) is fetched from @to + the rest;
 * the document keeps its original URL, and @to is trusted even when it is
 * a private or loopback address.  Neither may hold a user name, password
 * or fragment. */
typedef struct {
    char *from;                 /* as written */
    char *to;
    ix_url_prefix_t from_p;
    ix_url_prefix_t to_p;
} ix_mirror_t;

typedef struct {
    guint jobs;                 /* parallel transfers (default 8) */
    guint per_host;             /* at most this many per host (2) */
    guint connect_timeout_s;    /* 20 */
    guint timeout_s;            /* whole transfer, 60 */
    guint low_speed_time_s;     /* abort below 1 KB/s for this long, 30 */
    gsize max_bytes;            /* 100 MB: status too-large */
    guint max_redirects;        /* 5 */
    guint retries;              /* transient failures, 3 */
    guint backoff_ms;           /* first retry delay, doubling (500) */
    guint max_discovered;       /* new documents one followed page may
                                 * add (0: no limit, the default here;
                                 * the command line's is in config.c) */
    gboolean offline;           /* the cache alone */
    gboolean allow_private;     /* allow loopback/private/link-local */
    GPtrArray *mirrors;         /* (element-type ix_mirror_t) (nullable) */
    GPtrArray *repositories;    /* (element-type utf8) (nullable) roots
                                 * where file:// URLs are allowed */
    char *cache_dir;            /* DIR/cache */
    GPtrArray *notes;           /* (nullable) (element-type utf8)
                                 * (transfer none): one-line notes for the
                                 * user are appended here, e.g. "cache
                                 * DIR: format 0 found, rebuilt as format
                                 * 1"; plan->warnings fits */
} ix_fetch_opts_t;

/* Sets the defaults above; the caller sets cache_dir.  @o owns mirrors,
 * repositories and cache_dir, which ix_fetch_opts_clear() frees; notes
 * stay the caller's. */
void ix_fetch_opts_init(ix_fetch_opts_t *o);
void ix_fetch_opts_clear(ix_fetch_opts_t *o);
/* Parses "FROM=TO" into @o->mirrors; FALSE with IX_ERROR_USAGE if bad. */
gboolean ix_fetch_add_mirror(ix_fetch_opts_t *o, const char *spec,
                             GError **error);

typedef struct {
    char *url;                  /* as requested (before --mirror) */
    char *final_url;            /* after redirects (mirror undone when the
                                 * redirect stayed on the mirror) */
    ix_status_t status;         /* IX_STATUS_INDEXED: new or changed bytes
                                 * in @body_path; IX_STATUS_UNCHANGED: the
                                 * cached bytes are still current (304 or
                                 * same hash); IX_STATUS_UNREACHABLE,
                                 * IX_STATUS_TOO_LARGE, IX_STATUS_UNSUPPORTED
                                 * (scheme), with @reason */
    char *reason;               /* (nullable) "HTTP 404", "DNS lookup
                                 * failed: …", "timeout after 60 s",
                                 * "redirect loop", "over the 100 MB limit",
                                 * "refused: 10.0.0.5 is a private address" */
    long http_status;           /* 0 when no response */
    char *media_type;           /* (nullable) Content-Type, no parameters */
    char *charset;              /* (nullable) from Content-Type */
    char *etag;                 /* (nullable) */
    char *last_modified;        /* (nullable) */
    char *body_path;            /* (nullable) the cached bytes; set on a
                                 * failure too when an earlier run left a
                                 * good copy (status and reason give the
                                 * failure; the indexer may keep that
                                 * copy's text, with from_cache set) */
    char *content_hash;         /* (nullable) SHA-256 hex of the bytes */
    gint64 fetched_at;          /* unix seconds of the last good fetch */
    gboolean from_cache;        /* @body_path holds bytes from an
                                 * earlier fetch (offline, 304, or a
                                 * failure over a good copy) */
    guint attempts;             /* requests made (retries included) */
} ix_fetch_result_t;

/* Called in the caller's thread as each URL finishes; @r is valid only
 * during the call. */
/* Frees what @r holds (NULL allowed) and zeroes it. */
void ix_fetch_result_clear(ix_fetch_result_t *r);
/* Fills @dst with a deep copy of @src, for a caller that keeps a result
 * past its callback (which owns @src); ix_fetch_result_clear() frees it. */
void ix_fetch_result_copy(ix_fetch_result_t *dst,
                          const ix_fetch_result_t *src);

typedef void (*ix_fetch_done_cb)(guint index, const ix_fetch_result_t *r,
                                 gpointer rock);

/* Fetches @n URLs with the libcurl multi interface under @o, consulting
 * and updating the cache.  Per-URL failures are results, not errors;
 * FALSE (IX_ERROR_IO) only when the cache cannot be used at all or a body
 * could not be staged in it (a full disk): the callback has then been
 * told of every URL, but the run must not update the index. */
gboolean ix_fetch_run(const ix_fetch_opts_t *o, const char *const *urls,
                      guint n, ix_fetch_done_cb done, gpointer rock,
                      GError **error);

/* ---------------------------------------------------------------- Content */

typedef struct {
    guint extracted, failed;
    guint reused;               /* unchanged bytes: text from the index */
    guint64 bytes;
} ix_content_stats_t;

typedef struct ix_writer ix_writer_t;

/* Extracts the text of every planned source that has a local file and is
 * not yet extracted, in supervised worker processes (@workers of them),
 * and fills its passages, title, language and status (indexed, broken,
 * unsupported, too-large, with the reason).  A source whose bytes hash
 * as the copy already in the index (@w, nullable) takes its text from
 * there instead, with status unchanged.  Returns FALSE only when no
 * extraction worker can be started; the sources are then marked
 * broken. */
gboolean ix_content_extract(ix_plan_t *plan, ix_writer_t *w, guint workers,
                            ix_content_stats_t *stats, GError **error);

/* -------------------------------------------------------------- Collecting */

typedef struct {
    guint fetched, unchanged, failed, discovered, merged;
} ix_collect_stats_t;

/* Gets the text of every planned document: fetches the http(s) ones under
 * @fo (skipped entirely when @fo is NULL), extracts, follows same-site
 * links from pages marked to follow up to @follow levels, and merges
 * documents whose bytes are identical (one document, every URL).  Only a
 * hard failure (cache unusable, no extraction worker) returns FALSE. */
gboolean ix_collect(ix_plan_t *plan, ix_writer_t *w,
                    const ix_fetch_opts_t *fo, guint follow, guint workers,
                    ix_collect_stats_t *stats, ix_content_stats_t *cstats,
                    GError **error);

/* ---------------------------------------------------------------- Records */

/* Builds the JSON record stored as document data and returned by the API.
 * Returns: (transfer full). */
JsonNode *ix_record_build(const ix_source_t *src, const corpus_vocab_t *vocab);

/* ---------------------------------------------------------------- Writing */

typedef struct {
    guint added, updated, unchanged, deleted;
} ix_counts_t;

/* Opens (creating) the index at @path for writing; IX_ERROR_LOCKED when
 * another indexer holds it.  Returns: (transfer full). */
ix_writer_t *ix_writer_open(const char *path, GError **error);
/* The same over @dir/query and @n shards @dir/0 .. @dir/@n-1 (shards.c):
 * each source goes to the shard its id hashes to. */
ix_writer_t *ix_writer_open_shards(const char *dir, guint n, GError **error);
/* With @force, every source is rewritten even when its hash is unchanged
 * (--full). */
void ix_writer_set_force(ix_writer_t *w, gboolean force);
/* Stores the vocabularies' synonyms and labels in the index. */
gboolean ix_writer_set_vocab(ix_writer_t *w, const corpus_vocab_t *vocab,
                             GError **error);
/* Adds or replaces @src; a source whose content hash equals the stored
 * one is left alone and counted unchanged.  Inside ix_writer_begin() /
 * ix_writer_commit(). */
gboolean ix_writer_add(ix_writer_t *w, const ix_source_t *src,
                       const corpus_vocab_t *vocab, GError **error);
gboolean ix_writer_begin(ix_writer_t *w, GError **error);
gboolean ix_writer_commit(ix_writer_t *w, GError **error);
/* Deletes every document whose id is not in @keep (id -> anything). */
gboolean ix_writer_delete_unseen(ix_writer_t *w, GHashTable *keep,
                                 GError **error);
gboolean ix_writer_set_meta(ix_writer_t *w, const char *key,
                            const char *value, GError **error);
/* Stores XC_META_TITLES: the titles of the documents the index holds
 * now (this transaction's included).  For sharded indexes, whose
 * query-side database keeps what searchd must read locally. */
gboolean ix_writer_set_titles(ix_writer_t *w, GError **error);
const ix_counts_t *ix_writer_counts(const ix_writer_t *w);

typedef enum {
    IX_OUTCOME_NONE,            /* not written this run */
    IX_OUTCOME_ADDED,
    IX_OUTCOME_UPDATED,
    IX_OUTCOME_UNCHANGED
} ix_outcome_t;

/* What ix_writer_add() did with @id this run. */
ix_outcome_t ix_writer_outcome(const ix_writer_t *w, const char *id);
/* Takes the stored hashes from @hashes (id -> hash, transfer none, must
 * outlive @w) instead of the index: a fresh database has none, yet its
 * counts should say what changed against the index it replaces. */
void ix_writer_set_previous(ix_writer_t *w, GHashTable *hashes);
guint64 ix_writer_revision(ix_writer_t *w);
/* When the index holds @id with content hash @hash, fills @src's
 * title, language, pages, media type and text digest from it and returns
 * TRUE: the bytes did not change, so they need no extraction.  With a
 * NULL @hash, the same when @src's file stamp is the stored one (the
 * content hash is then taken from the index). */
gboolean ix_writer_reuse(ix_writer_t *w, ix_source_t *src,
                         const char *hash);
/* Bounds the writer: at most @max_terms distinct terms per document (0:
 * no cap; the rest of a longer text is stored but not searchable, and
 * ix_writer_capped() names the document), and a memory budget of
 * @budget bytes (0: none) that ix_writer_over_budget() checks. */
void ix_writer_set_limits(ix_writer_t *w, guint64 max_terms,
                          guint64 budget);
/* TRUE when the process has grown by more than the budget since the
 * transaction began: Xapian holds a transaction's changes in memory, and
 * counting documents does not bound them (one can hold millions of
 * terms), so the caller should commit now. */
gboolean ix_writer_over_budget(const ix_writer_t *w);
/* Returns: (transfer none) (element-type utf8): the ids of the documents
 * written this run whose terms the cap cut short. */
const GPtrArray *ix_writer_capped(const ix_writer_t *w);
/* Commits and closes; accepts NULL. */
void ix_writer_close(ix_writer_t *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ix_writer_t, ix_writer_close)

/* ---------------------------------------------------------------- Store */

typedef struct ix_lock ix_lock_t;

/* Takes DIR/lock (flock), so that one indexer at a time works on @data_dir;
 * IX_ERROR_LOCKED, naming the holder's pid, when another has it.  Returns:
 * (transfer full). */
ix_lock_t *ix_store_lock(const char *data_dir, GError **error);
void ix_store_unlock(ix_lock_t *lock);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ix_lock_t, ix_store_unlock)
/* Removes what an interrupted --full run left in @data_dir (under the
 * lock); each removal is a note in @notes (nullable).  FALSE when one
 * could not be removed. */
gboolean ix_store_clean(const char *data_dir, GPtrArray *notes);
/* Creates DIR/index.KIND-XXXXXX.  Returns: (transfer full) its path. */
char *ix_store_fresh_dir(const char *data_dir, const char *kind,
                         GError **error);
/* Compacts the complete database @built into a new one whose revision is
 * above @above_revision and exchanges it atomically with DIR/index; then
 * removes @built and the old index.  DIR/index is untouched on failure. */
gboolean ix_store_swap(const char *data_dir, const char *built,
                       guint64 above_revision, GError **error);
/* Sharded indexes (shards.c): DIR/index is a Xapian stub file naming
 * DIR/shards/0 ..; DIR/shards/query holds spelling, synonyms and
 * metadata.  The number of shards of the index in @data_dir, 0 when
 * DIR/index is not a stub. */
guint ix_shards_count(const char *data_dir);
/* ix_store_swap() for a sharded build @built (query + @n shards): each is
 * compacted above @above_revision into a new directory, which is
 * exchanged with DIR/shards; the stub DIR/index is written last. */
gboolean ix_shards_swap(const char *data_dir, const char *built, guint n,
                        guint64 above_revision, GError **error);
/* Removes @path (nullable) and everything below it, quietly. */
void ix_store_remove(const char *path);
/* Test builds: SIGKILLs the process when CTMAP_CRASH_AT names @name. */
void ix_store_crash_point(const char *name);

/* ---------------------------------------------------------------- Previous */

/* What the index held before this run, per source: enough to tell what
 * changed, which links died or came back, and what a run would delete. */
typedef struct {
    gboolean entry;
    char *status;
    char *title;
    char *url;                  /* (nullable) */
    char *edition;              /* (nullable) */
    char *fetched_at;           /* (nullable) ISO 8601 */
    char *found_on;             /* (nullable) the page it was found on */
} ix_prev_source_t;

typedef struct {
    GHashTable *sources;        /* id -> ix_prev_source_t */
    GHashTable *hashes;         /* id -> stored content hash */
    guint64 revision;
    gboolean exists;            /* FALSE when there was no index */
    char *last_run;             /* (nullable) JSON summary of the last run */
} ix_prev_t;

/* Reads the index at @path; a missing index is an empty result.  FALSE
 * (NULL) with IX_ERROR_INDEX when it exists but cannot be read.  Returns:
 * (transfer full). */
ix_prev_t *ix_prev_load(const char *path, GError **error);
/* An empty result, as for a missing index.  Returns: (transfer full). */
ix_prev_t *ix_prev_new(void);
void ix_prev_free(ix_prev_t *prev);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ix_prev_t, ix_prev_free)
/* The ids a run keeps: every source of @plan, and each document of @prev
 * found on a page that @plan has but could not fetch this time (a page
 * down for a day must not delete what it links to); @kept (nullable)
 * gets their number.  Returns: (transfer full) id -> id, the ids owned
 * by @plan and @prev. */
GHashTable *ix_prev_keep(const ix_prev_t *prev, const ix_plan_t *plan,
                         guint *kept);
/* Number of sources of @prev that @keep does not have. */
guint ix_prev_count_gone(const ix_prev_t *prev, GHashTable *keep);

/* The changes against the previous run (changes.c): entries and
 * documents added, changed and removed, and cited links newly dead or
 * newly back with the date each last worked.  The strings are borrowed
 * from the plan and the previous index, which must outlive it. */
enum { IX_CHANGE_ADDED, IX_CHANGE_CHANGED, IX_CHANGE_REMOVED, IX_CHANGE_N };
enum { IX_LINK_DEAD, IX_LINK_BACK };

typedef struct {
    const char *id, *title, *url, *edition;
} ix_change_t;

typedef struct {
    const ix_source_t *src;
    char *last_worked;          /* (nullable) owned, ISO 8601 */
} ix_link_change_t;

typedef struct {
    GArray *lists[2][IX_CHANGE_N];  /* [entry][IX_CHANGE_*] ix_change_t */
    GArray *links[2];               /* [IX_LINK_*] ix_link_change_t */
    char *previous_run;             /* (nullable) when it finished */
} ix_changes_t;

/* Computes the changes.  Returns: (transfer full) (free with
 * ix_changes_free()). */
ix_changes_t *ix_changes_compute(const ix_prev_t *prev,
                                 const ix_plan_t *plan, GHashTable *keep,
                                 const ix_writer_t *w);
void ix_changes_free(ix_changes_t *c);
/* The change report (DESIGN.md) of @c.  Returns: (transfer full). */
JsonNode *ix_changes_write(const ix_changes_t *c);
/* ix_changes_compute() and ix_changes_write() at once.  Returns:
 * (transfer full). */
JsonNode *ix_changes_build(const ix_prev_t *prev, const ix_plan_t *plan,
                           GHashTable *keep, const ix_writer_t *w);

/* ---------------------------------------------------------------- Progress */

typedef enum {
    IX_STAGE_FETCHED,
    IX_STAGE_EXTRACTED,
    IX_STAGE_INDEXED,
    IX_STAGE_N
} ix_stage_t;

typedef struct ix_progress ix_progress_t;

/* Progress on stderr: a bar redrawn in place when stderr is a terminal,
 * a plain line every few seconds otherwise, nothing when @quiet.
 * Returns: (transfer full). */
ix_progress_t *ix_progress_new(gboolean quiet);
void ix_progress_free(ix_progress_t *p);   /* accepts NULL; ends the bar */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ix_progress_t, ix_progress_free)
void ix_progress_planned(ix_progress_t *p, guint n);
/* @n more sources are expected at @stage (accepts a NULL @p). */
void ix_progress_expect(ix_progress_t *p, ix_stage_t stage, guint n);
/* @n more sources went through @stage (accepts a NULL @p). */
void ix_progress_done(ix_progress_t *p, ix_stage_t stage, guint n);
/* Ends the bar's line, so that other messages start on their own. */
void ix_progress_break(ix_progress_t *p);

/* ---------------------------------------------------------------- Report */

/* Builds the report object of DESIGN.md; @changes (nullable, transfer
 * none) becomes its "changes" member.  Returns: (transfer full). */
JsonNode *ix_report_build(const ix_plan_t *plan, const ix_counts_t *counts,
                          JsonNode *changes, gint64 started,
                          gint64 finished);
/* Writes @report to @path atomically (temporary file, then rename). */
gboolean ix_report_write(JsonNode *report, const char *path, GError **error);
/* Writes the node-exporter textfile of a run to @path, replacing it
 * whole: start and end (real-time us), @exit_code, and the counts of
 * @report's summary (nullable: a run that stopped before it had any). */
gboolean ix_metrics_write(const char *path, JsonNode *report, gint64 started,
                          gint64 finished, int exit_code, GError **error);

/* ---------------------------------------------------------------- Run */

/* What a run is asked to do: the command line of DESIGN.md, parsed and
 * checked (config.c).  Every string is owned (ix_run_opts_clear()). */
typedef struct {
    char *data_dir;             /* default "var" */
    char **mappings;            /* NULL: the embedded one (see ix_run()) */
    char **repositories;
    char *urls;
    char **mirrors;             /* "FROM=TO" */
    gboolean offline;
    int jobs;                   /* 0: ix_fetch_opts_init()'s default */
    int follow;                 /* 0..10 */
    int max_discovered;         /* per followed page, default 200; 0:
                                 * no limit */
    int max_terms;              /* per document, default 200,000; 0: no
                                 * cap */
    int writer_memory;          /* MB of growth before an early commit,
                                 * default 512; 0: none */
    gboolean full;
    gboolean allow_private;
    gboolean strict;
    char *report;               /* default DATA_DIR/report.json */
    char *metrics_file;         /* NULL: none (main.c writes it) */
    gboolean quiet;
    char *corpus_dir;           /* default CTMAP_CORPUS_DIR */
    int max_shrink;             /* percent, 0..100; default 20 */
    gboolean allow_shrink;
    char *ocr;                  /* --ocr as given */
    extract_ocr_mode_t ocr_mode;    /* parsed from @ocr; default auto */
    GPtrArray *repository_urls; /* (element-type utf8) (nullable elements)
                                 * the URL of each of @repositories, whose
                                 * "=URL" parts the parser cuts off */
    int shards;                 /* --shards N; 0: keep what the index has */
} ix_run_opts_t;

/* Sets the defaults. */
void ix_run_opts_init(ix_run_opts_t *o);
/* Parses and checks @argv into @o (ix_run_opts_init() first), filling in
 * the defaults left; FALSE with IX_ERROR_USAGE (or GOption's error) on a
 * bad command line. */
gboolean ix_run_opts_parse(ix_run_opts_t *o, int *argc, char ***argv,
                           GError **error);
void ix_run_opts_clear(ix_run_opts_t *o);

/* What a run that wrote the index leaves for its caller. */
typedef struct {
    /* TRUE when the index was updated but the run still failed (no
     * extraction workers; --strict and unreachable documents): exit 1. */
    gboolean failed;
    char *report_path;          /* owned */
    /* For --metrics-file, written once the exit code is known: the
     * run's start (real-time us) and its report (owned; NULL when the
     * run stopped before it had one). */
    gint64 started;
    JsonNode *report;
} ix_run_result_t;

void ix_run_result_clear(ix_run_result_t *r);

/* One indexer run, in named steps (run.c): open (lock, clean-up, previous
 * index, writer), plan, collect, guard (keep and shrink), write, finish
 * (changes, report, metadata, swap).  FALSE when the index was not
 * updated: IX_ERROR_USAGE for a bad option value (exit 2), any other code
 * for exit 1; the message says what to do.  Progress, notes and the
 * summary go to stderr unless @o->quiet. */
gboolean ix_run(const ix_run_opts_t *o, ix_run_result_t *result,
                GError **error);

G_END_DECLS

#endif /* CTMAP_INDEXER_INDEXER_H */
