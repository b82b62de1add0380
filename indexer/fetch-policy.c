/* fetch-policy.c -- what a fetch run may do and how it reads replies:
 * its options and --mirror rewrites, the address policy that keeps cited
 * links off loopback, private and link-local networks, and the header
 * parsing of replies.  fetch.c drives the transfers. */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <curl/curl.h>

#include "indexer-int.h"

#define MIB (1024u * 1024u)

/* ---------------------------------------------------------------- Options */

void
ix_fetch_opts_init(ix_fetch_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->jobs = 8;
    o->per_host = 2;
    o->connect_timeout_s = 20;
    o->timeout_s = 60;
    o->low_speed_time_s = 30;
    o->max_bytes = 100 * (gsize)MIB;
    o->max_redirects = 5;
    o->retries = 3;
    o->backoff_ms = 500;
}

static void
prefix_clear(ix_url_prefix_t *p)
{
    g_free(p->origin);
    g_free(p->scheme);
    g_free(p->host);
    g_free(p->port);
    g_free(p->path);
    g_free(p->query);
}

static void
mirror_free(gpointer p)
{
    ix_mirror_t *m = p;

    g_free(m->from);
    g_free(m->to);
    prefix_clear(&m->from_p);
    prefix_clear(&m->to_p);
    g_free(m);
}

/* Frees @mirrors, @repositories and @cache_dir (which @o owns); @notes is
 * the caller's and is left alone. */
void
ix_fetch_opts_clear(ix_fetch_opts_t *o)
{
    g_clear_pointer(&o->mirrors, g_ptr_array_unref);
    g_clear_pointer(&o->repositories, g_ptr_array_unref);
    g_clear_pointer(&o->cache_dir, g_free);
}

/* TRUE when @s starts with "scheme://". */
gboolean
ix__has_scheme(const char *s)
{
    const char *p = s;

    if (!g_ascii_isalpha(*p))
        return FALSE;
    while (g_ascii_isalnum(*p) || *p == '+' || *p == '-' || *p == '.')
        p++;
    return g_str_has_prefix(p, "://");
}

/* Part @what of @u, or NULL.  Returns: (transfer full) (nullable). */
static char *
url_part(CURLU *u, CURLUPart what, unsigned flags)
{
    char *s = NULL;
    char *copy;

    if (curl_url_get(u, what, &s, flags) != CURLUE_OK || !s)
        return NULL;
    copy = g_strdup(s);
    curl_free(s);
    return copy;
}

/* Splits @url as curl would request it.  @userinfo (nullable) tells
 * whether it held a user name or password, @fragment whether a '#'.
 * FALSE when it is not a URL curl can parse. */
static gboolean
url_split(const char *url, ix_url_prefix_t *p, gboolean *userinfo,
          gboolean *fragment)
{
    CURLU *u = curl_url();
    g_autofree char *user = NULL, *pass = NULL, *frag = NULL;
    g_autofree char *written = NULL, *host = NULL;
    gboolean ok;

    memset(p, 0, sizeof(*p));
    ok = curl_url_set(u, CURLUPART_URL, url,
                      CURLU_GUESS_SCHEME | CURLU_URLENCODE
                      | CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK;
    if (ok) {
        char *scheme = url_part(u, CURLUPART_SCHEME, 0);

        p->scheme = scheme ? g_ascii_strdown(scheme, -1) : g_strdup("");
        g_free(scheme);
        host = url_part(u, CURLUPART_HOST, 0);
        p->host = host ? g_ascii_strdown(host, -1) : g_strdup("");
        p->port = url_part(u, CURLUPART_PORT, CURLU_DEFAULT_PORT);
        if (!p->port)
            p->port = g_strdup("");
        written = url_part(u, CURLUPART_PORT, 0);
        p->origin = written
            ? g_strdup_printf("%s://%s:%s", p->scheme, p->host, written)
            : g_strdup_printf("%s://%s", p->scheme, p->host);
        p->path = url_part(u, CURLUPART_PATH, 0);
        if (!p->path)
            p->path = g_strdup("");
        p->query = url_part(u, CURLUPART_QUERY, 0);
        user = url_part(u, CURLUPART_USER, 0);
        pass = url_part(u, CURLUPART_PASSWORD, 0);
        frag = url_part(u, CURLUPART_FRAGMENT, 0);
    }
    curl_url_cleanup(u);
    if (userinfo)
        *userinfo = user || pass;
    if (fragment)
        *fragment = frag != NULL;
    if (!ok)
        prefix_clear(p);
    return ok;
}

/* Parses one side of a --mirror rule. */
static gboolean
prefix_parse(const char *text, const char *spec, ix_url_prefix_t *p,
             GError **error)
{
    gboolean userinfo = FALSE, fragment = FALSE;
    gsize n;

    if (!url_split(text, p, &userinfo, &fragment)
        || (strcmp(p->scheme, "http") != 0 && strcmp(p->scheme, "https") != 0
            && strcmp(p->scheme, "file") != 0)
        || (!*p->host && strcmp(p->scheme, "file") != 0)) {
        g_set_error(error, IX_ERROR, IX_ERROR_USAGE,
                    "--mirror %s: %s is not an http, https or file URL",
                    spec, text);
        return FALSE;
    }
    if (userinfo || fragment) {
        g_set_error(error, IX_ERROR, IX_ERROR_USAGE,
                    "--mirror %s: %s holds a %s; a mirror is a plain "
                    "scheme://host[:port]/path/", spec, text,
                    userinfo ? "user name or password" : "fragment (#)");
        return FALSE;
    }
    /* "http://a.test/docs" and "http://a.test/docs/" mean the same: the
     * folder, matched on a segment boundary. */
    n = strlen(p->path);
    while (n > 0 && p->path[n - 1] == '/')
        p->path[--n] = '\0';
    return TRUE;
}

/* "FROM=TO": FROM may itself hold '=' (a query), so the split is at the
 * first '=' that is followed by a URL. */
gboolean
ix_fetch_add_mirror(ix_fetch_opts_t *o, const char *spec, GError **error)
{
    const char *eq;
    ix_mirror_t *m;

    for (eq = strchr(spec, '='); eq; eq = strchr(eq + 1, '='))
        if (ix__has_scheme(eq + 1))
            break;
    if (!eq || eq == spec || !ix__has_scheme(spec)) {
        g_set_error(error, IX_ERROR, IX_ERROR_USAGE,
                    "--mirror %s: expected FROM=TO, two URL prefixes such "
                    "as https://www.unodc.org/=http://127.0.0.1:8080/",
                    spec);
        return FALSE;
    }
    m = g_new0(ix_mirror_t, 1);
    m->from = g_strndup(spec, eq - spec);
    m->to = g_strdup(eq + 1);
    if (!prefix_parse(m->from, spec, &m->from_p, error)
        || !prefix_parse(m->to, spec, &m->to_p, error)) {
        mirror_free(m);
        return FALSE;
    }
    if (!o->mirrors)
        o->mirrors = g_ptr_array_new_with_free_func(mirror_free);
    g_ptr_array_add(o->mirrors, m);
    return TRUE;
}

/* What @url (split in @u) has below prefix @p: the rest of its path,
 * from a '/' on, with its query; NULL when @url is not below @p.
 * Returns: (transfer full) (nullable). */
static char *
prefix_rest(const ix_url_prefix_t *p, const ix_url_prefix_t *u)
{
    gsize n = strlen(p->path);
    const char *rest;

    if (strcmp(p->scheme, u->scheme) != 0 || strcmp(p->host, u->host) != 0
        || strcmp(p->port, u->port) != 0
        || strncmp(u->path, p->path, n) != 0
        || (u->path[n] != '/' && u->path[n] != '\0'))
        return NULL;
    rest = u->path + n;
    if (p->query) {
        if (*rest || !u->query || !g_str_has_prefix(u->query, p->query))
            return NULL;
        return g_strconcat("?", u->query + strlen(p->query), NULL);
    }
    return u->query ? g_strconcat(rest, "?", u->query, NULL)
                    : g_strdup(rest);
}

/* The mirror rule whose @from (@to with @reverse) holds @url, the longest
 * such prefix winning, and in @rewritten (nullable) @url moved onto the
 * other side.  A user name or password in @url is dropped on the way.
 * Returns: (transfer none) (nullable). */
const ix_mirror_t *
ix__mirror_find(const ix_fetch_opts_t *o, const char *url, gboolean reverse,
                char **rewritten)
{
    const ix_mirror_t *best = NULL;
    g_autofree char *best_rest = NULL;
    ix_url_prefix_t u;

    if (rewritten)
        *rewritten = NULL;
    if (!o->mirrors || !url_split(url, &u, NULL, NULL))
        return NULL;
    for (guint i = 0; i < o->mirrors->len; i++) {
        const ix_mirror_t *m = g_ptr_array_index(o->mirrors, i);
        const ix_url_prefix_t *p = reverse ? &m->to_p : &m->from_p;
        const ix_url_prefix_t *bp = !best ? NULL
                                    : reverse ? &best->to_p : &best->from_p;
        g_autofree char *rest = prefix_rest(p, &u);

        if (rest && (!bp || strlen(p->path) > strlen(bp->path)
                     || (p->query && !bp->query))) {
            best = m;
            g_free(best_rest);
            best_rest = g_steal_pointer(&rest);
        }
    }
    if (best && rewritten) {
        const ix_url_prefix_t *to = reverse ? &best->from_p : &best->to_p;

        *rewritten = g_strconcat(to->origin, to->path, best_rest,
                                 to->query ? "?" : "",
                                 to->query ? to->query : "", NULL);
        /* "http://h" + "" is the root. */
        if (!*to->path && !*best_rest) {
            char *root = g_strconcat(*rewritten, "/", NULL);

            g_free(*rewritten);
            *rewritten = root;
        }
    }
    prefix_clear(&u);
    return best;
}

/* ---------------------------------------------------------------- Addresses */

static const char *
ipv4_kind(guint32 a)
{
    guint b0 = a >> 24;
    guint b1 = (a >> 16) & 0xff;

    if (a == 0xffffffffu)
        return "broadcast";
    if (b0 == 0)
        return "unspecified";
    if (b0 == 127)
        return "loopback";
    if (b0 == 10 || (b0 == 172 && (b1 & 0xf0) == 16)
        || (b0 == 192 && b1 == 168))
        return "private";
    /* 100.64/10, carrier-grade NAT: private to an ISP's network. */
    if (b0 == 100 && (b1 & 0xc0) == 64)
        return "private";
    if (b0 == 169 && b1 == 254)
        return "link-local";
    if (b0 >= 224 && b0 <= 239)
        return "multicast";
    if (b0 >= 240)
        return "reserved";
    return NULL;
}

const char *
ix_fetch_address_kind(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

        return ipv4_kind(ntohl(in->sin_addr.s_addr));
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        const struct in6_addr *a = &in6->sin6_addr;
        const guint8 *b = a->s6_addr;
        static const guint8 nat64[12] = { 0x00, 0x64, 0xff, 0x9b };

        if (IN6_IS_ADDR_UNSPECIFIED(a))
            return "unspecified";
        if (IN6_IS_ADDR_LOOPBACK(a))
            return "loopback";
        /* ::ffff:a.b.c.d, ::a.b.c.d and 64:ff9b::a.b.c.d reach the IPv4
         * address they carry. */
        if (IN6_IS_ADDR_V4MAPPED(a) || IN6_IS_ADDR_V4COMPAT(a)
            || memcmp(b, nat64, sizeof(nat64)) == 0)
            return ipv4_kind((guint32)b[12] << 24 | (guint32)b[13] << 16
                             | (guint32)b[14] << 8 | b[15]);
        if ((b[0] & 0xfe) == 0xfc)
            return "private";
        if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
            return "link-local";
        if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)
            return "private";           /* site-local, deprecated */
        if (b[0] == 0xff)
            return "multicast";
        return NULL;
    }
    return "non-internet";
}

/* Parses a numeric address into @ss.  FALSE when @text is not one. */
gboolean
ix__parse_address(const char *text, struct sockaddr_storage *ss)
{
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

    memset(ss, 0, sizeof(*ss));
    if (inet_pton(AF_INET, text, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        return TRUE;
    }
    if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        return TRUE;
    }
    return FALSE;
}

char *
ix__address_text(const struct sockaddr *sa)
{
    char buf[INET6_ADDRSTRLEN] = "";

    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
                  buf, sizeof(buf));
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
                  buf, sizeof(buf));
    return g_strdup(buf[0] ? buf : "?");
}

/* "refused: 169.254.169.254 is a link-local address". */
char *
ix__refusal(const char *address, const char *kind)
{
    const char *article = strchr("aeiou", kind[0]) ? "an" : "a";

    return g_strdup_printf("refused: %s is %s %s address", address, article,
                           kind);
}


/* ---------------------------------------------------------------- Replies */

char *
ix__header_value(void *e, const char *name)
{
    struct curl_header *h = NULL;

    if (curl_easy_header(e, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK
        || !h || !h->value || !*h->value)
        return NULL;
    return g_strdup(h->value);
}

/* Splits "text/html; charset=UTF-8" into "text/html" and "utf-8". */
void
ix__split_content_type(const char *ct, char **type, char **charset)
{
    g_auto(GStrv) parts = NULL;

    *type = NULL;
    *charset = NULL;
    if (!ct || !*ct)
        return;
    parts = g_strsplit(ct, ";", -1);
    *type = g_ascii_strdown(g_strstrip(parts[0]), -1);
    if (!**type)
        g_clear_pointer(type, g_free);
    for (guint i = 1; parts[i]; i++) {
        char *p = g_strstrip(parts[i]);

        if (g_ascii_strncasecmp(p, "charset=", 8) == 0) {
            g_autofree char *v = g_strdup(p + 8);
            gsize n = strlen(v);

            if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
                v[n - 1] = '\0';
                memmove(v, v + 1, n - 1);
            }
            if (*v)
                *charset = g_ascii_strdown(v, -1);
        }
    }
}

/* The human form of a byte limit: "100 MB", "512 KB", "1000 bytes". */
char *
ix__limit_text(gsize n)
{
    if (n >= MIB && n % MIB == 0)
        return g_strdup_printf("%" G_GSIZE_FORMAT " MB", n / MIB);
    if (n >= 1024 && n % 1024 == 0)
        return g_strdup_printf("%" G_GSIZE_FORMAT " KB", n / 1024);
    return g_strdup_printf("%" G_GSIZE_FORMAT " bytes", n);
}
