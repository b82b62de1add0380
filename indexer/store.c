/* store.c -- the data dir as one indexer at a time sees it: the lock, the
 * fresh database a --full run builds beside the index, and the atomic
 * swap that puts it in place.
 *
 * searchd opens DIR/index by path and reopens it when the revision
 * changes.  A fresh database is built in DIR/index.new-XXXXXX, compacted
 * into DIR/index.next-XXXXXX (with a revision above the live one), and
 * exchanged with DIR/index by renameat2(RENAME_EXCHANGE): the path names
 * the old complete database or the new complete one, never neither and
 * never a half-built one.  An open reader keeps its open tables (their
 * files stay readable after unlinking) until it reopens.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "indexer-int.h"
#include "xapianc.h"

struct ix_lock {
    int fd;
};

ix_lock_t *
ix_store_lock(const char *data_dir, GError **error)
{
    g_autofree char *path = g_build_filename(data_dir, "lock", NULL);
    g_autofree char *pid = NULL;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    ix_lock_t *lock;

    if (fd < 0) {
        int err = errno;

        g_set_error(error, IX_ERROR, IX_ERROR_IO, "cannot open %s: %s",
                    path, g_strerror(err));
        return NULL;
    }
    /* flock() locks go with the open file: a killed indexer leaves the
     * file behind but never the lock. */
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        char buf[32] = "";
        ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

        buf[n > 0 ? n : 0] = '\0';
        g_strchomp(buf);
        if (err != EWOULDBLOCK)
            g_set_error(error, IX_ERROR, IX_ERROR_IO, "cannot lock %s: %s",
                        path, g_strerror(err));
        else if (*buf)
            g_set_error(error, IX_ERROR, IX_ERROR_LOCKED,
                        "another ctmap-indexer (pid %s) is running on %s; "
                        "wait for it to finish", buf, data_dir);
        else
            g_set_error(error, IX_ERROR, IX_ERROR_LOCKED,
                        "another ctmap-indexer is running on %s; wait for "
                        "it to finish", data_dir);
        close(fd);
        return NULL;
    }
    /* The pid is for the message a second indexer prints; a failure to
     * write it costs nothing but that detail. */
    pid = g_strdup_printf("%d\n", (int)getpid());
    if (ftruncate(fd, 0) == 0
        && pwrite(fd, pid, strlen(pid), 0) != (ssize_t)strlen(pid))
        g_debug("cannot write the pid to %s", path);
    lock = g_new0(ix_lock_t, 1);
    lock->fd = fd;
    return lock;
}

void
ix_store_unlock(ix_lock_t *lock)
{
    if (!lock)
        return;
    close(lock->fd);
    g_free(lock);
}

gboolean
ix__remove_tree(const char *path)
{
    GStatBuf st;
    g_autoptr(GDir) d = NULL;
    const char *name;

    if (g_lstat(path, &st) != 0)
        return errno == ENOENT;
    if (!S_ISDIR(st.st_mode))
        return g_unlink(path) == 0;
    d = g_dir_open(path, 0, NULL);
    for (name = d ? g_dir_read_name(d) : NULL; name;
         name = g_dir_read_name(d)) {
        g_autofree char *child = g_build_filename(path, name, NULL);

        if (!ix__remove_tree(child))
            return FALSE;
    }
    return g_rmdir(path) == 0;
}

gboolean
ix_store_clean(const char *data_dir, GPtrArray *notes)
{
    g_autoptr(GDir) d = g_dir_open(data_dir, 0, NULL);
    const char *name;
    gboolean ok = TRUE;

    g_autofree char *index = g_build_filename(data_dir, "index", NULL);

    for (name = d ? g_dir_read_name(d) : NULL; name;
         name = g_dir_read_name(d)) {
        g_autofree char *path = NULL;

        if (!g_str_has_prefix(name, "index.new-")
            && !g_str_has_prefix(name, "index.next-")
            && !g_str_has_prefix(name, "index.old-"))
            continue;
        path = g_build_filename(data_dir, name, NULL);
        /* A two-step swap killed between its renames: the old index is
         * still the one to serve. */
        if (g_str_has_prefix(name, "index.old-")
            && !g_file_test(index, G_FILE_TEST_EXISTS)
            && g_rename(path, index) == 0) {
            if (notes)
                g_ptr_array_add(notes, g_strdup_printf(
                    "put back %s as %s, left by an interrupted run", path,
                    index));
            continue;
        }
        /* Only a killed --full run leaves these; the lock says no other
         * indexer is building one now. */
        if (!ix__remove_tree(path)) {
            ok = FALSE;
            if (notes)
                g_ptr_array_add(notes, g_strdup_printf(
                    "cannot remove %s left by an interrupted run: %s",
                    path, g_strerror(errno)));
        } else if (notes) {
            g_ptr_array_add(notes, g_strdup_printf(
                "removed %s, left by an interrupted run", path));
        }
    }
    return ok;
}

char *
ix_store_fresh_dir(const char *data_dir, const char *kind, GError **error)
{
    g_autofree char *templ = g_strdup_printf("index.%s-XXXXXX", kind);
    char *path = g_build_filename(data_dir, templ, NULL);

    if (!g_mkdtemp_full(path, 0755)) {
        int err = errno;

        g_set_error(error, IX_ERROR, IX_ERROR_IO,
                    "cannot create %s: %s", path, g_strerror(err));
        g_free(path);
        return NULL;
    }
    return path;
}

/* A rename is durable once its directory is synced. */
static void
sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0)
        return;
    if (fsync(fd) != 0)
        g_debug("fsync %s: %s", dir, g_strerror(errno));
    close(fd);
}

/* renameat2(RENAME_EXCHANGE); test builds can pretend the file system
 * lacks it (CTMAP_NO_EXCHANGE), to exercise the fallback. */
static int
exchange(const char *a, const char *b)
{
#ifdef CTMAP_TESTING
    if (g_getenv("CTMAP_NO_EXCHANGE")) {
        errno = EINVAL;
        return -1;
    }
#endif
    return renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
}

/* For file systems without RENAME_EXCHANGE: the old index steps aside to
 * DIR/index.old-XXXXXX, then the new one takes its name.  Between the two
 * renames DIR/index is missing (searchd answers 503 for that instant,
 * never from a half-built index); ix_store_clean() puts the old one back
 * if a crash falls right there.  On success @next holds the old index,
 * as after an exchange. */
static gboolean
swap_in_two_steps(const char *data_dir, const char *next, const char *index,
                  GError **error)
{
    g_autofree char *old = NULL;
    int err = errno;

    if (err != EINVAL && err != ENOSYS && err != ENOTSUP) {
        g_set_error(error, IX_ERROR, IX_ERROR_INDEX,
                    "cannot swap in the new index: %s", g_strerror(err));
        return FALSE;
    }
    old = ix_store_fresh_dir(data_dir, "old", error);
    if (!old)
        return FALSE;
    if (g_rename(index, old) != 0) {
        err = errno;
        g_rmdir(old);
        g_set_error(error, IX_ERROR, IX_ERROR_INDEX,
                    "cannot move the old index aside: %s", g_strerror(err));
        return FALSE;
    }
    ix_store_crash_point("mid-swap");
    if (g_rename(next, index) != 0) {
        err = errno;
        if (g_rename(old, index) != 0)
            g_debug("cannot put %s back: %s", old, g_strerror(errno));
        g_set_error(error, IX_ERROR, IX_ERROR_INDEX,
                    "cannot move the new index in place: %s",
                    g_strerror(err));
        return FALSE;
    }
    if (g_rename(old, next) != 0)
        g_debug("cannot move %s: %s", old, g_strerror(errno));
    return TRUE;
}

gboolean
ix_store_swap(const char *data_dir, const char *built,
              guint64 above_revision, GError **error)
{
    g_autofree char *index = g_build_filename(data_dir, "index", NULL);
    g_autofree char *next = ix_store_fresh_dir(data_dir, "next", error);
    g_autofree char *msg = NULL;
    xc_status_t st;

    if (!next)
        return FALSE;
    /* compact() wants a path that does not exist yet. */
    g_rmdir(next);
    st = xc_compact(built, next, above_revision, &msg);
    if (st != XC_OK) {
        g_set_error(error, IX_ERROR, IX_ERROR_INDEX,
                    "cannot compact the new index: %s",
                    msg ? msg : xc_strerror(st));
        free(g_steal_pointer(&msg));
        ix__remove_tree(next);
        return FALSE;
    }
    ix_store_crash_point("before-swap");
    if (g_file_test(index, G_FILE_TEST_EXISTS)) {
        if (exchange(next, index) != 0
            && !swap_in_two_steps(data_dir, next, index, error)) {
            ix__remove_tree(next);
            return FALSE;
        }
    } else if (g_rename(next, index) != 0) {
        int err = errno;

        g_set_error(error, IX_ERROR, IX_ERROR_INDEX,
                    "cannot move the new index in place: %s",
                    g_strerror(err));
        ix__remove_tree(next);
        return FALSE;
    }
    sync_dir(data_dir);
    /* @next now holds the old index (or nothing); readers that still
     * have its tables open keep reading them until they reopen. */
    if (!ix__remove_tree(next))
        g_debug("cannot remove %s: %s", next, g_strerror(errno));
    if (!ix__remove_tree(built))
        g_debug("cannot remove %s: %s", built, g_strerror(errno));
    return TRUE;
}

void
ix_store_remove(const char *path)
{
    if (path && !ix__remove_tree(path))
        g_debug("cannot remove %s: %s", path, g_strerror(errno));
}

/* CTMAP_CRASH_AT=NAME makes a test build kill itself with SIGKILL at the
 * point called NAME, so the crash tests need no timing luck.  Release
 * builds compile this to nothing. */
void
ix_store_crash_point(const char *name)
{
#ifdef CTMAP_TESTING
    const char *at = g_getenv("CTMAP_CRASH_AT");

    if (at && strcmp(at, name) == 0) {
        fflush(NULL);
        kill(getpid(), SIGKILL);
    }
#else
    (void)name;
#endif
}
