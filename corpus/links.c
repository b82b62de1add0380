/* links.c -- finding the links cited in plain text, repairing those the
 * document's layout broke, and normalising URLs for identity.
 */
#include <string.h>

#include "corpus-int.h"

void
corpus_link_free(corpus_link_t *link)
{
    if (!link)
        return;
    g_free(link->url);
    g_free(link->written);
    g_free(link->host);
    g_free(link);
}

/* Characters that end a link as written: white space, angle brackets
 * (the mapping glues a '>' to one of its links), and quotes. */
static gboolean
ends_link(gunichar c)
{
    GUnicodeType t;

    if (c == 0 || g_unichar_isspace(c) || c == '<' || c == '>' || c == '"'
        || c == 0xAB || c == 0xBB || c == '|' || c == '\\')
        return TRUE;
    t = g_unichar_type(c);
    return t == G_UNICODE_INITIAL_PUNCTUATION
        || t == G_UNICODE_FINAL_PUNCTUATION || t == G_UNICODE_CONTROL;
}

/* The end of the run of link characters that starts at @p. */
static const char *
run_end(const char *p)
{
    while (*p && !ends_link(g_utf8_get_char(p)))
        p = g_utf8_next_char(p);
    return p;
}

static gboolean
has_prefix_ci(const char *s, const char *prefix)
{
    return g_ascii_strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static gboolean
doc_extension(const char *s, gsize len)
{
    static const char *const exts[] = {
        ".pdf", ".doc", ".docx", ".htm", ".html", ".xls", ".xlsx", ".ppt",
        ".pptx", ".odt", ".rtf", ".txt", ".zip", ".php", NULL
    };

    for (int i = 0; exts[i]; i++) {
        gsize l = strlen(exts[i]);

        if (len > l && g_ascii_strncasecmp(s + len - l, exts[i], l) == 0)
            return TRUE;
    }
    return FALSE;
}

/* A space inside a path, as in ".../Use_of_ Internet_for_Terrorist_
 * Purposes/...pdf": the link so far ends where a path cannot end ('_',
 * '/', '-' or an escaped space) and the next word is plainly more path
 * (it contains a '/' or ends with a document extension, and is not a
 * link of its own).  Returns the end of that next word, or NULL. */
static const char *
continues_after_space(const char *start, const char *end)
{
    gsize len = end - start;
    const char *next = end;
    const char *next_end;
    gsize nlen;

    if (len == 0 || !(end[-1] == '_' || end[-1] == '/' || end[-1] == '-'
                      || (len >= 3 && g_ascii_strncasecmp(end - 3, "%20", 3)
                          == 0)))
        return NULL;
    if (*next != ' ')
        return NULL;
    while (*next == ' ')
        next++;
    if (has_prefix_ci(next, "http://") || has_prefix_ci(next, "https://")
        || has_prefix_ci(next, "www.") || has_prefix_ci(next, "file://"))
        return NULL;
    next_end = run_end(next);
    nlen = next_end - next;
    if (nlen == 0)
        return NULL;
    if ((memchr(next, '/', nlen) && nlen >= 8) || doc_extension(next, nlen))
        return next_end;
    return NULL;
}

static guint
count_char(const char *s, gsize len, char c)
{
    guint n = 0;

    for (gsize i = 0; i < len; i++)
        n += s[i] == c;
    return n;
}

/* Drops what a sentence put after a link: trailing punctuation, and a
 * closing bracket that has no opening one inside the link. */
static gsize
trim_trailing(const char *s, gsize len)
{
    while (len > 0) {
        char c = s[len - 1];

        if (strchr(".,;:!?'*", c)) {
            len--;
        } else if (c == ')' && count_char(s, len, '(')
                   < count_char(s, len, ')')) {
            len--;
        } else if (c == ']' && count_char(s, len, '[')
                   < count_char(s, len, ']')) {
            len--;
        } else {
            break;
        }
    }
    return len;
}

/* The host of an absolute URL: lower case, without user info, port or a
 * leading "www.".  Returns: (transfer full) (nullable). */
static char *
url_host(const char *url)
{
    const char *p = strstr(url, "://");
    const char *end;
    const char *at;
    g_autofree char *host = NULL;
    char *colon;

    if (!p)
        return NULL;
    p += 3;
    end = p + strcspn(p, "/?#");
    at = memchr(p, '@', end - p);
    if (at)
        p = at + 1;
    host = g_ascii_strdown(p, end - p);
    colon = strrchr(host, ':');
    if (colon && !strchr(host, ']'))
        *colon = '\0';
    if (g_str_has_prefix(host, "www."))
        return g_strdup(host + 4);
    return g_steal_pointer(&host);
}

/* Whether @p starts a link: a scheme we know or "www.", not in the
 * middle of a word. */
static gboolean
link_start(const char *text, const char *p, corpus_link_kind_t *kind)
{
    if (p > text) {
        gunichar prev = g_utf8_get_char(g_utf8_find_prev_char(text, p));

        if (g_unichar_isalnum(prev) || prev == '/' || prev == '.'
            || prev == '-' || prev == '_' || prev == '@')
            return FALSE;
    }
    if (has_prefix_ci(p, "http://") || has_prefix_ci(p, "https://")) {
        *kind = CORPUS_LINK_HTTP;
        return TRUE;
    }
    if (has_prefix_ci(p, "file://")) {
        *kind = CORPUS_LINK_FILE;
        return TRUE;
    }
    if (has_prefix_ci(p, "www.") && g_ascii_isalnum(p[4])) {
        *kind = CORPUS_LINK_WWW;
        return TRUE;
    }
    return FALSE;
}

GPtrArray *
corpus_links_find(const char *text)
{
    GPtrArray *links =
        g_ptr_array_new_with_free_func((GDestroyNotify)corpus_link_free);

    if (!text || !g_utf8_validate(text, -1, NULL))
        return links;
    for (const char *p = text; *p;) {
        corpus_link_kind_t kind;
        const char *end;
        const char *more;
        GString *url;
        corpus_link_t *link;
        gsize len;

        if (!link_start(text, p, &kind)) {
            p = g_utf8_next_char(p);
            continue;
        }
        url = g_string_new(NULL);
        end = run_end(p);
        g_string_append_len(url, p, end - p);
        for (more = continues_after_space(p, end); more;
             more = continues_after_space(p, end)) {
            const char *next = end;

            while (*next == ' ')
                next++;
            g_string_append_len(url, next, more - next);
            end = more;
        }
        len = trim_trailing(url->str, url->len);
        g_string_truncate(url, len);
        /* The written form loses the same trailing characters. */
        end = p + trim_trailing(p, end - p);
        if (kind != CORPUS_LINK_FILE
            && (url->len < 8 || !strchr(url->str + 4, '.'))) {
            g_string_free(url, TRUE);
            p = end > p ? end : g_utf8_next_char(p);
            continue;
        }
        link = g_new0(corpus_link_t, 1);
        link->kind = kind;
        link->written = g_strndup(p, end - p);
        if (kind == CORPUS_LINK_WWW)
            g_string_prepend(url, "http://");
        link->url = corpus_url_strip_userinfo(url->str);
        g_string_free(url, TRUE);
        link->host = kind == CORPUS_LINK_FILE ? NULL : url_host(link->url);
        g_ptr_array_add(links, link);
        p = end > p ? end : g_utf8_next_char(p);
    }
    return links;
}

char *
corpus_url_strip_userinfo(const char *url)
{
    const char *sep = url ? strstr(url, "://") : NULL;
    const char *auth, *auth_end, *at;

    if (!sep)
        return g_strdup(url);
    auth = sep + 3;
    auth_end = auth + strcspn(auth, "/?#");
    /* The last '@' of the authority ends the userinfo: a password may
     * hold an '@' of its own. */
    at = g_strrstr_len(auth, auth_end - auth, "@");
    if (!at)
        return g_strdup(url);
    return g_strdup_printf("%.*s%s", (int)(auth - url), url, at + 1);
}

/* Identity, not display: two spellings of one URL normalise alike.  The
 * path, query and escapes are kept as written (only the hex digits of
 * escapes are upper-cased, as RFC 3986 recommends), because servers
 * may treat them case-sensitively.  An empty http(s) path becomes "/". */
char *
corpus_url_normalize(const char *url)
{
    g_autofree char *scheme = NULL;
    g_autofree char *work = NULL;
    const char *p;
    const char *sep;
    const char *auth_end;
    const char *at;
    GString *out;

    if (!url)
        return g_strdup("");
    if (has_prefix_ci(url, "www."))
        work = g_strconcat("http://", url, NULL);
    else
        work = g_strdup(url);
    sep = strstr(work, "://");
    if (!sep) {
        char *hash = strchr(work, '#');

        if (hash)
            *hash = '\0';
        return g_steal_pointer(&work);
    }
    scheme = g_ascii_strdown(work, sep - work);
    out = g_string_new(scheme);
    g_string_append(out, "://");
    p = sep + 3;
    auth_end = p + strcspn(p, "/?#");
    /* The userinfo is not part of the identity (and not kept). */
    at = g_strrstr_len(p, auth_end - p, "@");
    if (at)
        p = at + 1;
    {
        g_autofree char *hostport = g_ascii_strdown(p, auth_end - p);
        char *colon = strrchr(hostport, ':');

        if (colon && !strchr(colon, ']')) {
            const char *port = colon + 1;

            if (!*port || (strcmp(scheme, "http") == 0
                           && strcmp(port, "80") == 0)
                || (strcmp(scheme, "https") == 0
                    && strcmp(port, "443") == 0))
                *colon = '\0';
        }
        g_string_append(out, hostport);
    }
    p = auth_end;
    if ((strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0)
        && (*p == '\0' || *p == '?' || *p == '#'))
        g_string_append_c(out, '/');
    for (; *p && *p != '#'; p++) {
        if (*p == '%' && g_ascii_isxdigit(p[1]) && g_ascii_isxdigit(p[2])) {
            g_string_append_c(out, '%');
            g_string_append_c(out, g_ascii_toupper(p[1]));
            g_string_append_c(out, g_ascii_toupper(p[2]));
            p += 2;
        } else {
            g_string_append_c(out, *p);
        }
    }
    return g_string_free(out, FALSE);
}
