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
mirror_free(gpointer p)
{
    ix_mirror_t *m = p;

    g_free(m->from);
    g_free(m->to);
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
    if (!o->mirrors)
        o->mirrors = g_ptr_array_new_with_free_func(mirror_free);
    g_ptr_array_add(o->mirrors, m);
    return TRUE;
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

CTMAP_TESTABLE const char *
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
