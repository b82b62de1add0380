/* index.c -- the index handles: one per HTTP thread, reopened when the
 * main thread sees a new revision. */
#include <stdatomic.h>
#include <stdlib.h>

#include "schema.h"
#include "searchd-int.h"

struct sd_index {
    char *path;
    gint generation;            /* atomic; bumped on each new revision */
    /* The newest revision any thread has seen: a thread whose handle,
     * freshly opened, is newer than the others' bumps the generation at
     * once, so that no thread keeps answering from an older revision
     * until the next tick (two requests in a row would disagree). */
    _Atomic uint64_t newest;
    xc_db_t *main_db;           /* the main thread's own handle */
    uint64_t revision;          /* of main_db, when have_revision */
    gboolean have_revision;
};

/* What each HTTP thread keeps in thread_db_key. */
typedef struct {
    xc_db_t *db;                /* NULL until the index could be opened */
    gint generation;            /* of the index when db was (re)opened */
    uint64_t schema_rev;        /* revision whose schema was checked */
    gboolean schema_checked;    /* ... and found XC_SCHEMA_VERSION */
} thread_db_t;

static void
thread_db_free(gpointer data)
{
    thread_db_t *t = data;

    xc_db_close(t->db);
    g_free(t);
}

/* libmicrohttpd's threads are plain pthreads; GPrivate is a pthread key
 * underneath, so thread_db_free() still runs when each of them exits
 * (MHD_stop_daemon() joins them), which closes its handle. */
static GPrivate thread_db_key = G_PRIVATE_INIT(thread_db_free);

sd_index_t *
sd_index_new(const char *path)
{
    sd_index_t *index = g_new0(sd_index_t, 1);

    index->path = g_strdup(path);
    return index;
}

void
sd_index_free(sd_index_t *index)
{
    if (!index)
        return;
    xc_db_close(index->main_db);
    g_free(index->path);
    g_free(index);
}

gboolean
sd_index_fail(xc_db_t *db, xc_status_t status, const char *what,
              GError **error)
{
    const char *detail = db ? xc_errmsg(db) : "";
    int code = SD_ERROR_INDEX;

    if (!*detail)
        detail = xc_strerror(status);
    /* No default: -Wswitch flags a status added to xapianc.h. */
    switch (status) {
    case XC_ERR_NO_INDEX:
        code = SD_ERROR_NO_INDEX;
        break;
    case XC_ERR_MODIFIED:
        code = SD_ERROR_INDEX_MODIFIED;
        break;
    case XC_ERR_QUERY:
        code = SD_ERROR_BAD_QUERY;
        break;
    case XC_ERR_NOT_FOUND:
        code = SD_ERROR_NOT_FOUND;
        break;
    case XC_ERR_TIMEOUT:
        code = SD_ERROR_TIMEOUT;
        break;
    case XC_OK:
    case XC_ERR_LOCKED:
    case XC_ERR_INVALID:
    case XC_ERR_XAPIAN:
    case XC_ERR_NOMEM:
    case XC_ERR_INTERNAL:
        break;
    }
    g_set_error(error, SD_ERROR, code, "%s: %s", what, detail);
    return FALSE;
}

/* Opens @path, turning the malloc'd message of xc_db_open() into a
 * GError. */
static xc_db_t *
open_db(const char *path, GError **error)
{
    xc_db_t *db = NULL;
    char *msg = NULL;
    xc_status_t st = xc_db_open(path, &db, &msg);

    if (st == XC_OK)
        return db;
    /* An index that exists but cannot be opened (half-written by an
     * indexer that died, say) is as unavailable as a missing one: 503,
     * with the reason, until it can be opened. */
    if (st == XC_ERR_NO_INDEX)
        g_set_error(error, SD_ERROR, SD_ERROR_NO_INDEX,
                    "no index at %s yet; run ctmap-indexer", path);
    else
        g_set_error(error, SD_ERROR, SD_ERROR_NO_INDEX,
                    "index at %s cannot be opened: %s", path,
                    msg ? msg : xc_strerror(st));
    free(msg);
    return NULL;
}

/* Duties of the main thread's tick, in order: reopen its own handle (or
 * open it, once the indexer has created the index), read the revision,
 * and when the revision changed bump the generation so that each HTTP
 * thread reopens before its next query. */
/* Records that @db is at its revision.  When that is newer than any seen
 * so far, bumps the generation and returns TRUE with *@gen the
 * generation the bump made, which @db is already current with. */
static gboolean
note_revision(sd_index_t *index, xc_db_t *db, gint *gen)
{
    uint64_t rev = 0;
    uint64_t seen;

    if (xc_db_revision(db, &rev) != XC_OK)
        return FALSE;
    seen = atomic_load(&index->newest);
    while (rev > seen)
        if (atomic_compare_exchange_weak(&index->newest, &seen, rev)) {
            *gen = g_atomic_int_add(&index->generation, 1) + 1;
            return TRUE;
        }
    return FALSE;
}

gboolean
sd_index_tick(sd_index_t *index)
{
    uint64_t rev = 0;

    if (index->main_db && xc_db_reopen(index->main_db) != XC_OK) {
        g_debug("reopen failed: %s", xc_errmsg(index->main_db));
        g_clear_pointer(&index->main_db, xc_db_close);
    }
    if (!index->main_db) {
        index->main_db = open_db(index->path, NULL);
        if (!index->main_db) {
            index->have_revision = FALSE;
            return FALSE;
        }
    }
    if (xc_db_revision(index->main_db, &rev) != XC_OK)
        return FALSE;
    if (index->have_revision && rev == index->revision)
        return FALSE;
    g_debug("index revision %" G_GUINT64_FORMAT, (guint64)rev);
    index->revision = rev;
    index->have_revision = TRUE;
    /* Any change counts here, a revision lower than before included (an
     * index replaced by another); a worker may have bumped for it
     * already, and one bump more only costs each thread a reopen. */
    if (rev > atomic_load(&index->newest))
        atomic_store(&index->newest, rev);
    sd_index_bump(index);
    return TRUE;
}

void
sd_index_bump(sd_index_t *index)
{
    g_atomic_int_inc(&index->generation);
}

/* An index written with another schema (XC_META_SCHEMA, which xapianc's
 * writer records with the first document) would be misread field by
 * field, so it is refused as unavailable (503) until it is rebuilt.  An
 * empty index has no schema yet and is fine.  Checked once per revision
 * of @t's handle. */
static gboolean
check_schema(sd_index_t *index, thread_db_t *t, GError **error)
{
    uint64_t rev = 0, docs = 0;
    char *schema = NULL;
    gboolean ok;

    if (xc_db_revision(t->db, &rev) != XC_OK)
        return TRUE;            /* the query reports the failure */
    if (t->schema_checked && t->schema_rev == rev)
        return TRUE;
    if (xc_db_doccount(t->db, &docs) != XC_OK
        || xc_db_get_metadata(t->db, XC_META_SCHEMA, &schema) != XC_OK)
        return TRUE;
    ok = docs == 0 || g_str_equal(schema, XC_SCHEMA_VERSION);
    if (!ok)
        g_set_error(error, SD_ERROR, SD_ERROR_NO_INDEX,
                    "index at %s has schema '%s', not '%s': rebuild it "
                    "with ctmap-indexer --full", index->path, schema,
                    XC_SCHEMA_VERSION);
    free(schema);
    t->schema_checked = ok;
    t->schema_rev = rev;
    return ok;
}

xc_db_t *
sd_index_thread_db(sd_index_t *index, GError **error)
{
    thread_db_t *t = g_private_get(&thread_db_key);
    gint gen = g_atomic_int_get(&index->generation);

    if (!t) {
        t = g_new0(thread_db_t, 1);
        g_private_set(&thread_db_key, t);
    }
    /* The generation is read before reopening: a commit that lands in
     * between bumps it again, and the next query reopens once more. */
    if (t->db && t->generation != gen) {
        if (xc_db_reopen(t->db) == XC_OK) {
            t->generation = gen;
            (void)note_revision(index, t->db, &t->generation);
        } else {
            g_clear_pointer(&t->db, xc_db_close);
        }
    }
    /* A thread without a handle tries again on every request: opening a
     * missing index fails fast, and this is how the index is served as
     * soon as the indexer creates it. */
    if (!t->db) {
        t->db = open_db(index->path, error);
        if (!t->db)
            return NULL;
        t->generation = gen;
        (void)note_revision(index, t->db, &t->generation);
    }
    return check_schema(index, t, error) ? t->db : NULL;
}

gboolean
sd_index_thread_reopen(sd_index_t *index, GError **error)
{
    thread_db_t *t = g_private_get(&thread_db_key);

    if (t && t->db && xc_db_reopen(t->db) == XC_OK) {
        (void)note_revision(index, t->db, &t->generation);
        return TRUE;
    }
    if (t)
        g_clear_pointer(&t->db, xc_db_close);
    return sd_index_thread_db(index, error) != NULL;
}

/* ---------------------------------------------------------------- Caches */

void
sd_rev_cache_free(gpointer cache)
{
    sd_rev_cache_t *c = cache;

    if (c && c->value && c->free_value)
        c->free_value(c->value);
    g_free(c);
}

sd_rev_cache_t *
sd_rev_cache_get(GPrivate *key, xc_db_t *db, uint64_t *revision,
                 gboolean *current, GError **error)
{
    sd_rev_cache_t *c = g_private_get(key);
    xc_status_t st;

    if (!c) {
        c = g_new0(sd_rev_cache_t, 1);
        g_private_set(key, c);
    }
    *revision = 0;
    st = xc_db_revision(db, revision);
    if (st != XC_OK) {
        sd_index_fail(db, st, "cannot read the index revision", error);
        return NULL;
    }
    *current = c->loaded && c->revision == *revision;
    return c;
}

void
sd_rev_cache_set(sd_rev_cache_t *c, uint64_t revision, gpointer value,
                 GDestroyNotify free_value)
{
    if (c->value && c->free_value)
        c->free_value(c->value);
    c->value = value;
    c->free_value = free_value;
    c->revision = revision;
    c->loaded = TRUE;
    c->built_at = g_get_monotonic_time();
}
