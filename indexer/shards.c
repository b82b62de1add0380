/* shards.c -- an index split into shards on disk (issue 18).
 *
 *   DIR/index         a Xapian stub file: "auto shards/0" ... one line a
 *                     shard, so any Xapian tool (and searchd) opens it;
 *   DIR/shards/0..    the shards, each a complete glass database holding
 *                     the documents whose id hashes to it (xapianc);
 *   DIR/shards/query  the query-side database: spelling data, synonyms
 *                     and user metadata (labels, schema, last run), which
 *                     remote shards cannot serve, and each document's
 *                     render record (xapianc writes them), so hits of
 *                     remote shards render without reading them; it
 *                     stays on the machine that runs searchd.
 *
 * A first build or --full writes all of them in DIR/index.new-XXXXXX,
 * compacts each into DIR/index.next-XXXXXX and exchanges that directory
 * with DIR/shards in one rename, so readers see the old set or the new
 * set of shards; the stub is written last (it changes only with the
 * number of shards).  Other runs update the shards in place, a batch per
 * transaction in each.
 */
#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#include "indexer-int.h"
#include "xapianc.h"

#define SHARDS_DIR "shards"
#define QUERY_DB "query"

guint
ix_shards_count(const char *data_dir)
{
    g_autofree char *index = g_build_filename(data_dir, "index", NULL);
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    guint n = 0;

    if (!g_file_test(index, G_FILE_TEST_IS_REGULAR)
        || !g_file_get_contents(index, &text, NULL, NULL))
        return 0;
    lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i]; i++)
        if (*lines[i] && *lines[i] != '#')
            n++;
    return n;
}

/* The stub naming @n local shards. */
static char *
stub_text(guint n)
{
    GString *s = g_string_new("# ctmap sharded index: one line a shard; "
                              "spelling, synonyms and metadata are in "
                              SHARDS_DIR "/" QUERY_DB "\n");

    for (guint i = 0; i < n; i++)
        g_string_append_printf(s, "auto " SHARDS_DIR "/%u\n", i);
    return g_string_free(s, FALSE);
}

/* Writes the stub DIR/index atomically.  A DIR/index that is still a
 * single database (the index before it was sharded) is exchanged with
 * the new stub and removed after. */
static gboolean
write_stub(const char *data_dir, guint n, GError **error)
{
    g_autofree char *index = g_build_filename(data_dir, "index", NULL);
    g_autofree char *text = stub_text(n);
    g_autofree char *tmp_dir = NULL, *tmp = NULL;
    g_autofree char *old = NULL;
    GError *local = NULL;

    if (g_file_get_contents(index, &old, NULL, NULL)
        && strcmp(old, text) == 0)
        return TRUE;
    if (!g_file_test(index, G_FILE_TEST_IS_DIR))
        return g_file_set_contents(index, text, -1, error);
    tmp_dir = ix_store_fresh_dir(data_dir, "next", error);
    if (!tmp_dir)
        return FALSE;
    tmp = g_build_filename(tmp_dir, "index", NULL);
    if (!g_file_set_contents(tmp, text, -1, &local)) {
        g_propagate_error(error, local);
        ix__remove_tree(tmp_dir);
        return FALSE;
    }
    if (ix__exchange(tmp, index) != 0) {
        int err = errno;

        g_set_error(error, IX_ERROR, IX_ERROR_INDEX,
                    "cannot put the stub %s in place: %s", index,
                    g_strerror(err));
        ix__remove_tree(tmp_dir);
        return FALSE;
    }
    ix__sync_dir(data_dir);
    ix__remove_tree(tmp_dir);
    return TRUE;
}

gboolean
ix_shards_swap(const char *data_dir, const char *built, guint n,
               guint64 above_revision, GError **error)
{
    g_autofree char *shards = g_build_filename(data_dir, SHARDS_DIR, NULL);
    g_autofree char *next = ix_store_fresh_dir(data_dir, "next", error);

    if (!next)
        return FALSE;
    /* The revision of a stub is the sum of its databases' (xapianc), so
     * each new one is put above that sum: above each old one. */
    for (guint i = 0; i <= n; i++) {
        g_autofree char *name = i == n ? g_strdup(QUERY_DB)
                                       : g_strdup_printf("%u", i);
        g_autofree char *src = g_build_filename(built, name, NULL);
        g_autofree char *dst = g_build_filename(next, name, NULL);
        char *msg = NULL;
        xc_status_t st = xc_compact(src, dst, above_revision, &msg);

        if (st != XC_OK) {
            g_set_error(error, IX_ERROR, IX_ERROR_INDEX,
                        "cannot compact shard %s: %s", name,
                        msg ? msg : xc_strerror(st));
            free(msg);
            ix__remove_tree(next);
            return FALSE;
        }
    }
    ix_store_crash_point("before-swap");
    if (g_file_test(shards, G_FILE_TEST_EXISTS)
            ? ix__exchange(next, shards) != 0
            : g_rename(next, shards) != 0) {
        int err = errno;

        g_set_error(error, IX_ERROR, IX_ERROR_INDEX,
                    "cannot swap in the new shards: %s", g_strerror(err));
        ix__remove_tree(next);
        return FALSE;
    }
    ix__sync_dir(data_dir);
    ix_store_crash_point("mid-swap");
    if (!write_stub(data_dir, n, error))
        return FALSE;
    /* @next holds the old shards now (or nothing). */
    if (!ix__remove_tree(next))
        g_debug("cannot remove %s: %s", next, g_strerror(errno));
    if (!ix__remove_tree(built))
        g_debug("cannot remove %s: %s", built, g_strerror(errno));
    return TRUE;
}
