/* spool.c -- extracted text parked on disk between extraction and writing.
 *
 * Every document is extracted before the first is written (duplicates are
 * merged and discovered pages followed over the whole plan first), so
 * holding every text in memory made the indexer's peak grow with the
 * corpus (391 MB at 10,000 documents).  Texts go instead to one unlinked
 * file in the data dir, and the writer reads each back when it writes
 * that document; the kernel frees the file when the indexer exits, even
 * by a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "indexer-int.h"
#include "schema.h"

struct ix_spool {
    int fd;
    guint64 end;                /* bytes written so far */
};

ix_spool_t *
ix__spool_new(const char *dir, GError **error)
{
    g_autofree char *path = g_build_filename(dir, "spool-XXXXXX", NULL);
    int fd = g_mkstemp_full(path, O_RDWR | O_CLOEXEC, 0600);
    ix_spool_t *s;

    if (fd < 0) {
        int err = errno;

        g_set_error(error, IX_ERROR, IX_ERROR_IO, "cannot create %s: %s",
                    path, g_strerror(err));
        return NULL;
    }
    /* Unlinked at once: nothing is left behind, whatever happens. */
    g_unlink(path);
    s = g_new0(ix_spool_t, 1);
    s->fd = fd;
    return s;
}

void
ix__spool_free(ix_spool_t *s)
{
    if (!s)
        return;
    close(s->fd);
    g_free(s);
}

gboolean
ix__spool_put(ix_spool_t *s, const GPtrArray *passages, guint64 *off,
              guint64 *len, GError **error)
{
    g_autoptr(GString) text = g_string_new(NULL);
    gsize done = 0;

    for (guint i = 0; i < passages->len; i++) {
        if (i)
            g_string_append_c(text, XC_PAGE_SEP);
        g_string_append(text, g_ptr_array_index(passages, i));
    }
    while (done < text->len) {
        ssize_t n = pwrite(s->fd, text->str + done, text->len - done,
                           (off_t)(s->end + done));

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int err = errno;

            g_set_error(error, IX_ERROR, IX_ERROR_IO,
                        "cannot spool extracted text: %s",
                        g_strerror(n < 0 ? err : ENOSPC));
            return FALSE;
        }
        done += (gsize)n;
    }
    *off = s->end;
    *len = text->len;
    s->end += text->len;
    return TRUE;
}

GPtrArray *
ix__spool_get(ix_spool_t *s, guint64 off, guint64 len, GError **error)
{
    g_autofree char *buf = g_malloc(len + 1);
    const char sep[] = { XC_PAGE_SEP, '\0' };
    g_auto(GStrv) pages = NULL;
    GPtrArray *passages;
    gsize done = 0;

    while (done < len) {
        ssize_t n = pread(s->fd, buf + done, len - done,
                          (off_t)(off + done));

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int err = errno;

            g_set_error(error, IX_ERROR, IX_ERROR_IO,
                        "cannot read spooled text: %s",
                        n < 0 ? g_strerror(err) : "file truncated");
            return NULL;
        }
        done += (gsize)n;
    }
    buf[len] = '\0';
    passages = g_ptr_array_new_with_free_func(g_free);
    /* An empty text is no passage at all, as extraction gave it. */
    if (!len)
        return passages;
    pages = g_strsplit(buf, sep, -1);
    for (guint i = 0; pages[i]; i++)
        g_ptr_array_add(passages, g_steal_pointer(&pages[i]));
    return passages;
}
