/* www.c -- the search page: static files under one directory, and
 * nothing outside it.  Each carries an ETag from its size and
 * modification time and "no-cache", so browsers revalidate (a 304 when
 * unchanged) and see a new page as soon as it is installed. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "searchd-int.h"

#define MAX_FILE (4 * 1024 * 1024)

static const struct {
    const char *suffix;
    const char *type;
} media_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
};

gboolean
sd_www_serve(const char *www_dir, const char *path, sd_reply_t *reply)
{
    g_auto(GStrv) parts = NULL;
    g_autofree char *full = NULL;
    g_autofree char *real_dir = NULL;
    g_autofree char *real = NULL;
    const char *type = NULL;
    char *data = NULL;
    gsize len = 0;
    struct stat st;
    size_t i, n;

    if (!www_dir || path[0] != '/')
        return FALSE;
    if (g_str_equal(path, "/"))
        path = "/index.html";
    /* Refuse dot segments outright; realpath() below then catches
     * symbolic links that lead out of the directory. */
    parts = g_strsplit(path + 1, "/", -1);
    for (i = 0; parts[i]; i++)
        if (!*parts[i] || parts[i][0] == '.')
            return FALSE;
    for (i = 0; i < G_N_ELEMENTS(media_types) && !type; i++)
        if (g_str_has_suffix(path, media_types[i].suffix))
            type = media_types[i].type;
    if (!type)
        return FALSE;
    full = g_build_filename(www_dir, path + 1, NULL);
    real_dir = realpath(www_dir, NULL);
    real = realpath(full, NULL);
    if (!real_dir || !real)
        return FALSE;
    n = strlen(real_dir);
    if (strncmp(real, real_dir, n) != 0 || real[n] != '/')
        return FALSE;
    if (stat(real, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_FILE)
        return FALSE;
    if (!g_file_get_contents(real, &data, &len, NULL))
        return FALSE;
    reply->status = 200;
    reply->body = data;
    reply->len = len;
    reply->content_type = type;
    reply->etag = g_strdup_printf("\"f%llx-%llx.%lx\"",
                                  (unsigned long long)st.st_size,
                                  (unsigned long long)st.st_mtim.tv_sec,
                                  (unsigned long)st.st_mtim.tv_nsec);
    reply->cache_control = "no-cache";
    return TRUE;
}
