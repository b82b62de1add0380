/* cache.c -- the fetch cache under DIR/cache: bodies stored once by
 * content hash, one small JSON record per URL with the validators that
 * make the next run's requests conditional.
 *
 * Layout (version IX_CACHE_VERSION):
 *   VERSION                       "1\n"
 *   bodies/ab/abcdef….bin         the bytes, named by their SHA-256
 *   urls/<sha256 of url>.json     ix_cache_meta_t, keyed by the URL as
 *                                 corpus_url_normalize() spells it
 *   tmp/fetch-XXXXXX              bodies being downloaded
 *
 * Bodies are written to tmp/ and renamed into place, and a URL record is
 * written (atomically, by g_file_set_contents) only after its body is in
 * place, so a record never names a body that was never completed.  Bodies
 * are not fsync'ed: after a power cut a body may be short, which costs one
 * needless "indexed" on the next run (the hash differs), never a wrong
 * record.  Nothing is ever garbage-collected: a body no URL names any more
 * stays until the cache is removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "corpus.h"
#include "indexer-int.h"

struct ix_cache {
    char *dir;
    char *bodies;
    char *urls;
    char *tmp;
    GPtrArray *notes;           /* (nullable) (transfer none) */
};

/* Temporary files older than this are leftovers of a crashed run. */
#define STALE_TMP_SECONDS 3600

/* The members of a record after its key @url, in the order a record file
 * holds them (S: a string, N: a number): one list from which freeing,
 * saving and loading a record are derived. */
#define META_MEMBERS(S, N)                                                \
    S(final_url) N(http_status) S(etag) S(last_modified) S(media_type)   \
    S(charset) S(content_hash) N(fetched_at) S(last_status)               \
    S(last_reason) N(last_ok_at)

ix_cache_meta_t *
ix_cache_meta_new(const char *url)
{
    ix_cache_meta_t *m = g_new0(ix_cache_meta_t, 1);

    m->url = g_strdup(url);
    return m;
}

void
ix_cache_meta_free(ix_cache_meta_t *m)
{
#define FREE_STRING(f) g_free(m->f);
#define FREE_NUMBER(f)
    if (!m)
        return;
    g_free(m->url);
    META_MEMBERS(FREE_STRING, FREE_NUMBER)
    g_free(m);
#undef FREE_STRING
#undef FREE_NUMBER
}

static gboolean
make_dir(const char *path, GError **error)
{
    if (g_mkdir_with_parents(path, 0755) == 0)
        return TRUE;
    g_set_error(error, IX_ERROR, IX_ERROR_IO, "cache: cannot create %s: %s",
                path, g_strerror(errno));
    return FALSE;
}

/* Removes temporary files a crashed run left behind.  Recent ones are
 * kept, as they may belong to a run still in progress on the same cache. */
static void
sweep_tmp(const char *tmp)
{
    g_autoptr(GDir) d = g_dir_open(tmp, 0, NULL);
    const char *name;
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;

    if (!d)
        return;
    for (name = g_dir_read_name(d); name; name = g_dir_read_name(d)) {
        g_autofree char *path = g_build_filename(tmp, name, NULL);
        GStatBuf st;

        if (g_str_has_prefix(name, "fetch-") && g_lstat(path, &st) == 0
            && now - st.st_mtime > STALE_TMP_SECONDS)
            g_unlink(path);
    }
}

/* Checks DIR/VERSION.  A cache of another (or of no recorded) version is
 * emptied -- only the subdirectories the cache itself makes, never
 * anything else in DIR -- and a note says so.  An empty DIR is simply a
 * new cache. */
static gboolean
check_version(ix_cache_t *c, GPtrArray *notes, GError **error)
{
    g_autofree char *vpath = g_build_filename(c->dir, "VERSION", NULL);
    g_autofree char *text = NULL;
    g_autofree char *want = g_strdup_printf("%d\n", IX_CACHE_VERSION);

    if (g_file_get_contents(vpath, &text, NULL, NULL)
        && g_ascii_strtoll(text, NULL, 10) == IX_CACHE_VERSION)
        return TRUE;
    if (text || g_file_test(c->urls, G_FILE_TEST_EXISTS)
        || g_file_test(c->bodies, G_FILE_TEST_EXISTS)) {
        g_autofree char *found = text ? g_strstrip(g_strdup(text))
                                      : g_strdup("unknown");

        if (notes)
            g_ptr_array_add(notes, g_strdup_printf(
                "cache %s: format %s found, rebuilt as format %d",
                c->dir, found, IX_CACHE_VERSION));
        /* Unchecked on purpose: what cannot be removed is reported when
         * the directories are created again, or simply overwritten. */
        ix__remove_tree(c->urls);
        ix__remove_tree(c->bodies);
        ix__remove_tree(c->tmp);
    }
    if (!g_file_set_contents(vpath, want, -1, NULL)) {
        g_set_error(error, IX_ERROR, IX_ERROR_IO,
                    "cache: cannot write %s: %s", vpath, g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

/* Opens (creating) the cache in @dir.  A note for the user (a cache of
 * another format rebuilt) is appended to @notes when not NULL.
 * Returns: (transfer full) (nullable): NULL with IX_ERROR_IO when @dir
 * cannot be made or written. */
ix_cache_t *
ix_cache_open(const char *dir, GPtrArray *notes, GError **error)
{
    g_autoptr(ix_cache_t) c = g_new0(ix_cache_t, 1);

    c->dir = g_strdup(dir);
    c->bodies = g_build_filename(dir, "bodies", NULL);
    c->urls = g_build_filename(dir, "urls", NULL);
    c->tmp = g_build_filename(dir, "tmp", NULL);
    c->notes = notes;
    if (!make_dir(dir, error) || !check_version(c, notes, error)
        || !make_dir(c->bodies, error) || !make_dir(c->urls, error)
        || !make_dir(c->tmp, error))
        return NULL;
    sweep_tmp(c->tmp);
    return g_steal_pointer(&c);
}

void
ix_cache_close(ix_cache_t *c)
{
    if (!c)
        return;
    g_free(c->dir);
    g_free(c->bodies);
    g_free(c->urls);
    g_free(c->tmp);
    g_free(c);
}

/* Returns: (transfer full): where the record of @url lives. */
char *
ix_cache_meta_path(ix_cache_t *c, const char *url)
{
    g_autofree char *norm = corpus_url_normalize(url);
    g_autofree char *key = g_compute_checksum_for_string(G_CHECKSUM_SHA256,
                                                         norm, -1);
    g_autofree char *name = g_strconcat(key, ".json", NULL);

    return g_build_filename(c->urls, name, NULL);
}

static gboolean
is_hash(const char *hash)
{
    gsize i;

    if (!hash)
        return FALSE;
    for (i = 0; hash[i]; i++)
        if (!g_ascii_isxdigit(hash[i]) || g_ascii_isupper(hash[i]))
            return FALSE;
    return i == 64;
}

/* Returns: (transfer full): DIR/bodies/ab/abcdef….bin for @hash, which
 * must be 64 lower-case hex digits (a record is never trusted to name a
 * path). */
char *
ix_cache_body_path(ix_cache_t *c, const char *hash)
{
    g_autofree char *shard = NULL;
    g_autofree char *name = NULL;

    g_return_val_if_fail(is_hash(hash), NULL);
    shard = g_strndup(hash, 2);
    name = g_strconcat(hash, ".bin", NULL);
    return g_build_filename(c->bodies, shard, name, NULL);
}

static gint64
member_int(JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);

    if (!n || !JSON_NODE_HOLDS_VALUE(n)
        || json_node_get_value_type(n) != G_TYPE_INT64)
        return 0;
    return json_node_get_int(n);
}

/* TRUE when the file at @path is a regular file (not reached through a
 * symbolic link) whose SHA-256 is @hash. */
static gboolean
body_intact(const char *path, const char *hash)
{
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    guint8 buf[65536];
    struct stat st;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0)
        return FALSE;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return FALSE;
    }
    for (n = read(fd, buf, sizeof(buf)); n != 0;
         n = read(fd, buf, sizeof(buf))) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        g_checksum_update(sum, buf, n);
    }
    close(fd);
    return n == 0 && strcmp(g_checksum_get_string(sum), hash) == 0;
}

/* Reads the record of @url.  A record that is missing, unreadable, not
 * JSON, or about another URL is "not cached": NULL, and the next save
 * overwrites it.  When the body the record names is missing, the record is
 * returned without @content_hash and validators, so the caller neither
 * offers the body nor asks a conditional question about it; so is one
 * whose body is not intact, which is removed, with a note.
 * Returns: (transfer full) (nullable). */
ix_cache_meta_t *
ix_cache_lookup(ix_cache_t *c, const char *url)
{
    g_autofree char *path = ix_cache_meta_path(c, url);
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(ix_cache_meta_t) m = NULL;
    g_autofree char *stored_url = NULL;
    g_autofree char *norm_stored = NULL;
    g_autofree char *norm_url = NULL;
    JsonNode *root;
    JsonObject *o;

    if (!json_parser_load_from_file(parser, path, NULL))
        return NULL;
    root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root))
        return NULL;
    o = json_node_get_object(root);
    stored_url = ix__json_member_string(o, "url");
    norm_stored = corpus_url_normalize(stored_url);
    norm_url = corpus_url_normalize(url);
    if (!stored_url || strcmp(norm_stored, norm_url) != 0)
        return NULL;

    m = ix_cache_meta_new(url);
#define LOAD_STRING(f) m->f = ix__json_member_string(o, #f);
#define LOAD_NUMBER(f) m->f = member_int(o, #f);
    META_MEMBERS(LOAD_STRING, LOAD_NUMBER)
#undef LOAD_STRING
#undef LOAD_NUMBER

    if (m->content_hash) {
        g_autofree char *body = is_hash(m->content_hash)
            ? ix_cache_body_path(c, m->content_hash) : NULL;

        gboolean present = body && g_file_test(body, G_FILE_TEST_EXISTS);

        if (present && !body_intact(body, m->content_hash)) {
            /* Removed, or the fresh copy would be dropped as a
             * duplicate of it; unlink() removes a link, not its target. */
            if (c->notes)
                g_ptr_array_add(c->notes, g_strdup_printf(
                    "cache: the body of %s does not match its hash "
                    "(changed on disk); fetched again", url));
            g_unlink(body);
            present = FALSE;
        }
        if (!present) {
            g_clear_pointer(&m->content_hash, g_free);
            g_clear_pointer(&m->etag, g_free);
            g_clear_pointer(&m->last_modified, g_free);
        }
    }
    return g_steal_pointer(&m);
}

/* Writes the record @m atomically (temporary file, then rename).  FALSE
 * with IX_ERROR_IO when it cannot be written. */
gboolean
ix_cache_save(ix_cache_t *c, const ix_cache_meta_t *m, GError **error)
{
    g_autofree char *path = ix_cache_meta_path(c, m->url);
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonNode) root = NULL;

    json_builder_begin_object(b);
    ix__json_add_int(b, "version", IX_CACHE_VERSION);
    ix__json_add_string(b, "url", m->url);
#define SAVE_STRING(f) ix__json_add_string(b, #f, m->f);
#define SAVE_NUMBER(f) ix__json_add_int(b, #f, m->f);
    META_MEMBERS(SAVE_STRING, SAVE_NUMBER)
#undef SAVE_STRING
#undef SAVE_NUMBER
    json_builder_end_object(b);

    root = json_builder_get_root(b);
    return ix__json_save(root, path, "cache", error);
}

/* Creates a temporary file for a body being downloaded; @path receives
 * its name (transfer full).  Returns the open descriptor, or -1 with
 * IX_ERROR_IO. */
int
ix_cache_tmp_open(ix_cache_t *c, char **path, GError **error)
{
    g_autofree char *tmpl = g_build_filename(c->tmp, "fetch-XXXXXX", NULL);
    int fd = g_mkstemp_full(tmpl, O_RDWR | O_CLOEXEC, 0644);

    if (fd < 0) {
        g_set_error(error, IX_ERROR, IX_ERROR_IO,
                    "cache: cannot create a file in %s: %s", c->tmp,
                    g_strerror(errno));
        return -1;
    }
    *path = g_steal_pointer(&tmpl);
    return fd;
}

/* Moves the downloaded body @tmp_path, whose SHA-256 is @hash, into the
 * store.  When the store already has these bytes (the same document at
 * another URL, or unchanged since last time) the temporary file is
 * simply removed: each body is stored once.
 * Returns: (transfer full) (nullable): the stored body's path; NULL with
 * IX_ERROR_IO. */
char *
ix_cache_store_body(ix_cache_t *c, const char *tmp_path, const char *hash,
                    GError **error)
{
    g_autofree char *path = is_hash(hash) ? ix_cache_body_path(c, hash)
                                          : NULL;
    g_autofree char *shard = NULL;

    if (!path) {
        g_set_error(error, IX_ERROR, IX_ERROR_IO, "cache: bad hash");
        return NULL;
    }
    if (g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        g_unlink(tmp_path);
        return g_steal_pointer(&path);
    }
    shard = g_path_get_dirname(path);
    if (!make_dir(shard, error))
        return NULL;
    if (g_rename(tmp_path, path) != 0) {
        int saved = errno;

        g_unlink(tmp_path);
        g_set_error(error, IX_ERROR, IX_ERROR_IO, "cache: cannot store %s: %s",
                    path, g_strerror(saved));
        return NULL;
    }
    return g_steal_pointer(&path);
}
