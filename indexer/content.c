/* content.c -- gets the text of the sources that arrive as bytes, through
 * libctmap_extract's supervised worker pool, and turns each outcome into
 * the source's passages, title, language and status.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "extract.h"
#include "indexer-int.h"
#include "schema.h"

/* Inputs handed to the pool at a time: enough to keep every worker busy,
 * few enough that their bytes, read into memory, stay modest; a batch
 * also ends once it holds BATCH_BYTES (a single larger file still goes,
 * alone). */
#define BATCH 64
#define BATCH_BYTES (256 * (gsize)1024 * 1024)

static void
set_outcome(ix_source_t *src, ix_status_t status, const char *reason)
{
    src->status = status;
    g_free(src->reason);
    src->reason = reason ? g_strdup(reason) : NULL;
}

/* A plain text's first line names it when it is short enough to be a
 * title; otherwise the file name stays.  Returns: (transfer full)
 * (nullable). */
static char *
first_line(const extract_result_t *r)
{
    for (guint i = 0; i < r->pages->len; i++) {
        const char *text = g_ptr_array_index(r->pages, i);
        const char *end;

        while (*text == '\n' || *text == ' ')
            text++;
        if (!*text)
            continue;
        end = strchr(text, '\n');
        if (!end)
            end = text + strlen(text);
        if (end - text > 150)
            return NULL;
        return g_strndup(text, end - text);
    }
    return NULL;
}

/* Returns: (transfer full): @title cut to XC_MAX_TITLE_CHARS with
 * XC_CUT_MARK, so that a PDF's 10 MB /Title is not stored and shown in
 * every hit and report. */
static char *
capped_title(const char *title)
{
    g_autofree char *head = NULL;

    if (g_utf8_strlen(title, -1) <= XC_MAX_TITLE_CHARS)
        return g_strdup(title);
    head = g_utf8_substring(title, 0, XC_MAX_TITLE_CHARS);
    return g_strconcat(head, XC_CUT_MARK, NULL);
}

typedef struct {
    ix_plan_t *plan;
    ix_source_t **srcs;         /* the batch, by input index */
    ix_content_stats_t *stats;
} batch_t;

static void
take_links(ix_source_t *src, const GPtrArray *links)
{
    if (!src->out_links)
        src->out_links = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_set_size(src->out_links, 0);
    for (guint i = 0; links && i < links->len; i++)
        g_ptr_array_add(src->out_links,
                        g_strdup(g_ptr_array_index(links, i)));
}

/* Moves @src's text to the plan's spool, keeping its digest; a spool that
 * cannot be written (a full disk) leaves texts in memory, which costs
 * memory but no document. */
static void
spool_text(ix_plan_t *plan, ix_source_t *src)
{
    g_autoptr(GError) error = NULL;

    if (!plan->spool_dir)
        return;
    if (!plan->spool)
        plan->spool = ix__spool_new(plan->spool_dir, &error);
    if (!plan->spool
        || !ix__spool_put(plan->spool, src->passages, &src->spool_off,
                          &src->spool_len, &error)) {
        g_debug("text kept in memory: %s", error->message);
        return;
    }
    g_free(src->text_digest);
    src->text_digest = ix__text_digest(src->passages);
    src->spool = plan->spool;
    g_ptr_array_set_size(src->passages, 0);
}

/* A missing OCR language is said once for the run, not once for every
 * scanned document: whether @warning is that warning, already noted. */
static gboolean
ocr_noted(const ix_plan_t *plan, const char *warning)
{
    if (!g_str_has_prefix(warning, "ocr: no Tesseract data"))
        return FALSE;
    for (guint i = 0; i < plan->warnings->len; i++)
        if (strstr(g_ptr_array_index(plan->warnings, i), warning))
            return TRUE;
    return FALSE;
}

/* What the coverage report says of @src: pages with text, and what is
 * suspicious in the text as a whole. */
static void
measure(ix_source_t *src, const extract_result_t *r)
{
    g_autofree char *text = extract_result_text(r);

    src->coverage_known = TRUE;
    src->pages_total = MAX(r->n_pages, r->pages->len);
    src->pages_text = 0;
    for (guint i = 0; i < r->pages->len; i++) {
        const char *p = g_ptr_array_index(r->pages, i);

        while (*p && g_ascii_isspace(*p))
            p++;
        src->pages_text += *p != '\0';
    }
    src->suspect = extract_text_suspect(text);
}

static void
on_done(guint index, extract_result_t *r, const GError *error,
        gpointer rock)
{
    batch_t *b = rock;
    ix_source_t *src = b->srcs[index];

    src->extracted = TRUE;
    ix_progress_done(b->plan->progress, IX_STAGE_EXTRACTED, 1);
    if (error) {
        /* The message already reads as a reason ("encrypted: a password
         * is needed", "timeout after 60 s"); the kind is in the status. */
        set_outcome(src,
                    ix_status_from_name(extract_error_status(error->code),
                                        IX_STATUS_BROKEN),
                    error->message);
        b->stats->failed++;
        return;
    }
    b->stats->extracted++;
    take_links(src, r->links);
    set_outcome(src, IX_STATUS_INDEXED,
                r->warnings->len ? g_ptr_array_index(r->warnings, 0) : NULL);
    for (guint i = 0; i < r->warnings->len; i++)
        if (!ocr_noted(b->plan, g_ptr_array_index(r->warnings, i)))
            g_ptr_array_add(b->plan->warnings,
                        g_strdup_printf("%s: %s", src->path,
                                        (char *)g_ptr_array_index(
                                            r->warnings, i)));
    g_ptr_array_set_size(src->passages, 0);
    for (guint i = 0; i < r->pages->len; i++)
        g_ptr_array_add(src->passages,
                        g_strdup(g_ptr_array_index(r->pages, i)));
    if (src->identifiers)
        g_ptr_array_unref(src->identifiers);
    src->identifiers = ix_identifiers_find(src->passages);
    spool_text(b->plan, src);
    if (r->title && *r->title) {
        g_free(src->title);
        src->title = capped_title(r->title);
    } else {
        g_autofree char *line = first_line(r);

        if (line) {
            g_free(src->title);
            src->title = g_steal_pointer(&line);
        }
    }
    g_free(src->lang);
    src->lang = g_strdup(r->lang ? r->lang : "");
    g_free(src->media_type);
    src->media_type = g_strdup(r->media_type);
    src->n_pages = g_strcmp0(r->media_type, "application/pdf") == 0
                   ? r->n_pages : 0;
    if (src->ocr)
        g_array_unref(src->ocr);
    src->ocr = r->ocr && r->ocr->len ? g_steal_pointer(&r->ocr) : NULL;
    measure(src, r);
}

#ifdef CTMAP_TESTING
/* CTMAP_READ_HOOK=PROGRAM: a test build runs "PROGRAM STAGE PATH" at
 * stage "open" (before the file is opened) and "read" (after fstat,
 * before the bytes are read), so a test can swap a file for a link, a
 * FIFO or a shorter file at exactly that point, without timing luck. */
static void
read_hook(const char *stage, const char *path)
{
    const char *prog = g_getenv("CTMAP_READ_HOOK");
    const char *argv[] = { prog, stage, path, NULL };

    if (prog)
        g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL,
                     NULL, NULL, NULL, NULL, NULL);
}
#else
#define read_hook(stage, path) ((void)0)
#endif

/* The inode the plan saw, the last field of a file stamp; 0 when none. */
static guint64
stamp_inode(const char *stamp)
{
    const char *dot = stamp ? strrchr(stamp, '.') : NULL;

    return dot ? g_ascii_strtoull(dot + 1, NULL, 10) : 0;
}

static void
set_changed(ix_source_t *src, const char *how)
{
    g_autofree char *reason = g_strdup_printf("changed while being read: "
                                              "%s", how);

    set_outcome(src, IX_STATUS_BROKEN, reason);
}

/* How a file is opened: without following a link, without blocking. */
#define OPEN_FILE (O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)

/* Says why @name, in the folder @dir, could not be opened (@err): a
 * symbolic link (which O_NOFOLLOW reports as ELOOP for a file, and
 * O_DIRECTORY as ENOTDIR for a folder) is named as one.  @shown is the
 * path inside the repository up to @name. */
static void
set_open_failure(ix_source_t *src, int dir, const char *name,
                 const char *shown, gboolean folder, int err)
{
    struct stat st;
    gboolean link = err == ELOOP
        || (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0
            && S_ISLNK(st.st_mode));
    g_autofree char *how = NULL;

    if (!folder) {
        set_outcome(src, IX_STATUS_BROKEN,
                    link ? "a symbolic link, not followed" : g_strerror(err));
        return;
    }
    /* The plan walked no link to a folder, so one here is new. */
    if (link) {
        how = g_strdup_printf("folder %s is now a symbolic link, not "
                              "followed", shown);
        set_changed(src, how);
        return;
    }
    how = g_strdup_printf("folder %s: %s", shown, g_strerror(err));
    set_outcome(src, IX_STATUS_BROKEN, how);
}

/* Opens @src's file, or sets its outcome and returns -1.  A repository
 * file is reached from its repository folder one name at a time, each
 * folder opened relative to the last with O_NOFOLLOW, so that a folder
 * swapped for a link during the run (to one outside the repository,
 * perhaps holding the very inode the plan saw, moved there) is refused:
 * open() of the whole path follows a link anywhere but in its last name.
 * openat2()'s RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS (Linux 5.6) would do
 * this in one call, but its ELOOP does not say which folder was a link,
 * and the walk works on every kernel: one openat() per folder, little
 * next to reading and extracting the file.  The repository folder itself
 * is opened as --repository named it, through a link if it is one.  A
 * body in the cache has no repository and is opened by its path. */
static int
open_source(ix_source_t *src)
{
    g_autofree char *root = NULL;
    g_auto(GStrv) names = NULL;
    g_autoptr(GString) shown = g_string_new(NULL);
    int dir, fd = -1;

    if (!src->root_len) {
        fd = open(src->path, OPEN_FILE);
        if (fd < 0)
            set_open_failure(src, AT_FDCWD, src->path, src->path, FALSE,
                             errno);
        return fd;
    }
    root = g_strndup(src->path, src->root_len);
    names = g_strsplit(src->path + src->root_len + 1, "/", -1);
    dir = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) {
        g_autofree char *how = g_strdup_printf("repository folder %s: %s",
                                               root, g_strerror(errno));

        set_outcome(src, IX_STATUS_BROKEN, how);
        return -1;
    }
    for (guint i = 0; names[i]; i++) {
        gboolean folder = names[i + 1] != NULL;

        if (shown->len)
            g_string_append_c(shown, '/');
        g_string_append(shown, names[i]);
        /* The plan builds paths of plain names; ".." would climb out. */
        if (!*names[i] || g_str_equal(names[i], ".")
            || g_str_equal(names[i], "..")) {
            set_outcome(src, IX_STATUS_BROKEN, "not a path inside the "
                        "repository");
            fd = -1;
            break;
        }
        fd = openat(dir, names[i], folder
                    ? O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC
                    : OPEN_FILE);
        if (fd < 0) {
            set_open_failure(src, dir, names[i], shown->str, folder, errno);
            break;
        }
        close(dir);
        dir = folder ? fd : -1;
    }
    if (dir >= 0)
        close(dir);
    return fd;
}

/* Reads @src's file whole, or says why it cannot be read.  A curator may
 * change the folder during a run, so the file is opened without following
 * a symbolic link and without blocking (a FIFO swapped in would hang the
 * run while it holds the data-dir lock), must be a regular file and, for a
 * repository file, be reached without a link (open_source()) and be the
 * very inode the plan saw.  It is read, not mapped: a file truncated
 * meanwhile gives a short read, which is reported, where a mapping would
 * kill the indexer with SIGBUS.  Returns: (transfer full) (nullable). */
static GBytes *
read_source(ix_source_t *src, const extract_limits_t *limits)
{
    struct stat st;
    guint8 *buf;
    gsize size, got = 0;
    guint8 extra;
    int fd;

    read_hook("open", src->path);
    fd = open_source(src);
    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        set_outcome(src, IX_STATUS_BROKEN, "not a regular file");
        close(fd);
        return NULL;
    }
    if (src->file_stamp && stamp_inode(src->file_stamp) != st.st_ino) {
        set_changed(src, "replaced by another file");
        close(fd);
        return NULL;
    }
    if ((gsize)st.st_size > limits->max_bytes) {
        g_autofree char *reason = g_strdup_printf(
            "over the %" G_GSIZE_FORMAT " MB limit",
            limits->max_bytes / (1024 * 1024));

        set_outcome(src, IX_STATUS_TOO_LARGE, reason);
        close(fd);
        return NULL;
    }
    read_hook("read", src->path);
    size = (gsize)st.st_size;
    buf = g_malloc(size + 1);
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (gsize)n;
    }
    /* One byte more than fstat said means it grew meanwhile. */
    if (got == size && read(fd, &extra, 1) > 0)
        got++;
    close(fd);
    if (got != size) {
        g_autofree char *how = g_strdup_printf(
            "%" G_GSIZE_FORMAT " bytes when opened, %s%" G_GSIZE_FORMAT
            " read", size, got > size ? "more than " : "", MIN(got, size));

        set_changed(src, how);
        g_free(buf);
        return NULL;
    }
    return g_bytes_new_take(buf, size);
}

static char *
hash_bytes(const char *data, gsize len)
{
    return g_compute_checksum_for_data(G_CHECKSUM_SHA256,
                                       (const guchar *)data, len);
}

/* Bytes that do not hash as their cache record says were changed on
 * disk after the fetch stage checked them: never extracted.  The index
 * keeps the text it has for the recorded hash, if any. */
static gboolean
check_cached_hash(ix_plan_t *plan, ix_writer_t *w, ix_source_t *src,
                  const char *hash)
{
    g_autofree char *reason = NULL;

    if (!src->content_hash || strcmp(src->content_hash, hash) == 0)
        return TRUE;
    reason = g_strdup_printf("cache body %s does not match its hash",
                             src->path);
    g_ptr_array_add(plan->warnings, g_strdup_printf(
        "%s: %s; not indexed", src->url ? src->url : src->id, reason));
    if (!w || !ix_writer_reuse(w, src, src->content_hash))
        set_changed(src, reason);
    return FALSE;
}

/* The pool (@pool, created on first need with @workers workers) is
 * started only when some file does need extracting: a re-run whose files
 * all kept their bytes starts no worker process at all.  Takes sources of
 * @batch from @*next on, up to BATCH of them and BATCH_BYTES of bytes,
 * and moves @*next past them. */
static gboolean
run_batch(extract_pool_t **pool, guint workers, ix_plan_t *plan,
          ix_writer_t *w, GPtrArray *batch, guint *next,
          const extract_limits_t *limits, ix_content_stats_t *stats,
          GError **error)
{
    extract_input_t inputs[BATCH] = { 0 };
    const extract_input_t *ptrs[BATCH] = { 0 };
    ix_source_t *srcs[BATCH] = { 0 };
    g_autoptr(GPtrArray) held =
        g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    gsize held_bytes = 0;
    guint m = 0;
    batch_t b = { plan, srcs, stats };

    for (; *next < batch->len && m < BATCH && held_bytes < BATCH_BYTES;
         (*next)++) {
        ix_source_t *src = g_ptr_array_index(batch, *next);
        g_autofree char *hash = NULL;
        GBytes *bytes;

        /* A repository file whose size, time and inode are as the index
         * recorded them is not even read. */
        if (w && src->file_stamp && !src->content_hash
            && ix_writer_reuse(w, src, NULL)) {
            src->extracted = TRUE;
            stats->reused++;
            ix_progress_done(plan->progress, IX_STAGE_EXTRACTED, 1);
            continue;
        }
        /* Nor are fetched bytes whose hash the index already holds (a
         * 304, the same body again): the cache checked them against that
         * hash when it looked the URL up, moments ago. */
        if (w && src->content_hash
            && ix_writer_reuse(w, src, src->content_hash)) {
            src->extracted = TRUE;
            stats->reused++;
            ix_progress_done(plan->progress, IX_STAGE_EXTRACTED, 1);
            continue;
        }
        bytes = read_source(src, limits);
        if (bytes) {
            hash = hash_bytes(g_bytes_get_data(bytes, NULL),
                              g_bytes_get_size(bytes));
            if (!check_cached_hash(plan, w, src, hash))
                g_clear_pointer(&bytes, g_bytes_unref);
        }
        if (!bytes) {
            src->extracted = TRUE;
            stats->failed += src->status != IX_STATUS_UNCHANGED;
            stats->reused += src->status == IX_STATUS_UNCHANGED;
            ix_progress_done(plan->progress, IX_STAGE_EXTRACTED, 1);
            continue;
        }
        g_ptr_array_add(held, bytes);
        inputs[m].data = g_bytes_get_data(bytes, &inputs[m].len);
        if (!src->content_hash)
            src->content_hash = g_steal_pointer(&hash);
        /* Bytes the index already holds the text of are not extracted
         * again: the cost of a re-run follows what changed. */
        if (w && ix_writer_reuse(w, src, src->content_hash)) {
            src->extracted = TRUE;
            stats->reused++;
            ix_progress_done(plan->progress, IX_STAGE_EXTRACTED, 1);
            continue;
        }
        held_bytes += inputs[m].len;
        inputs[m].filename = src->path;
        inputs[m].url = src->base_url ? src->base_url : src->url;
        inputs[m].media_type = src->hint_type;
        inputs[m].charset = src->hint_charset;
        stats->bytes += inputs[m].len;
        ptrs[m] = &inputs[m];
        srcs[m] = src;
        m++;
    }
    if (!m)
        return TRUE;
    if (!*pool)
        *pool = extract_pool_new(workers ? workers : 1, limits, NULL, error);
    if (!*pool)
        return FALSE;
    return extract_pool_run(*pool, ptrs, m, on_done, &b, error);
}

gboolean
ix_content_extract(ix_plan_t *plan, ix_writer_t *w, guint workers,
                   ix_content_stats_t *stats, GError **error)
{
    extract_limits_t limits;
    g_autoptr(extract_pool_t) pool = NULL;
    g_autoptr(GPtrArray) batch = g_ptr_array_new();
    g_autoptr(GError) local = NULL;
    gboolean ok = TRUE;

    extract_limits_init(&limits);
    limits.ocr = plan->ocr;
    limits.ocr_cache = plan->ocr_cache;
    for (guint i = 0; i < plan->sources->len; i++) {
        ix_source_t *src = g_ptr_array_index(plan->sources, i);

        if (src->path && !src->extracted)
            g_ptr_array_add(batch, src);
    }
    if (!batch->len)
        return TRUE;
    ix_progress_expect(plan->progress, IX_STAGE_EXTRACTED, batch->len);

    for (guint next = 0; next < batch->len;) {
        guint start = next;

        /* An unusable backend is not a bad document: every file it would
         * have handled is broken with the same reason, the run goes on,
         * and the caller hears of it once. */
        if (ok && !run_batch(&pool, workers, plan, w, batch, &next, &limits,
                             stats, &local))
            ok = FALSE;
        if (!ok) {
            g_autofree char *reason = g_strdup_printf(
                "extraction unavailable: %s",
                local ? local->message : "no worker");

            next = MAX(next, start + 1);
            for (guint i = start; i < next; i++) {
                ix_source_t *src = g_ptr_array_index(batch, i);

                if (!src->extracted) {
                    set_outcome(src, IX_STATUS_BROKEN, reason);
                    src->extracted = TRUE;
                    ix_progress_done(plan->progress, IX_STAGE_EXTRACTED, 1);
                }
            }
        }
    }
    if (!ok) {
        g_set_error(error, IX_ERROR, IX_ERROR_INDEX,
                    "extraction workers could not start: %s",
                    local ? local->message : "unknown error");
        return FALSE;
    }
    return TRUE;
}
