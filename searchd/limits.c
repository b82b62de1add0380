/* limits.c -- the checks a request meets before the API sees it, and
 * the headers every reply carries: how many parameters a target may
 * hold, which Host names the TCP listener answers, which request
 * targets and transfer codings are understood, and the budget of reply
 * bodies held in memory at once.  Pure functions over strings, so that
 * http.c keeps to libmicrohttpd's callbacks. */
#include <string.h>

#include "schema.h"
#include "searchd-int.h"

guint
sd_limits_count_params(const char *uri)
{
    const char *q = strchr(uri, '?');
    guint n = 0;

    if (!q)
        return 0;
    /* Empty pieces ("a&&b") are skipped by the API, but libmicrohttpd
     * allocates a record for each all the same, so they count. */
    for (n = 1; *q; q++)
        if (*q == '&')
            n++;
    return n;
}

/* Splits a Host value into its name (lower case, IPv6 brackets kept)
 * and its port (0 when absent, -1 when malformed). */
static char *
host_split(const char *value, gint64 *port)
{
    const char *end = value[0] == '[' ? strchr(value, ']') : NULL;
    const char *colon;

    *port = 0;
    if (value[0] == '[' && !end) {
        *port = -1;
        return NULL;
    }
    colon = strchr(end ? end : value, ':');
    if (colon) {
        char *rest = NULL;

        *port = g_ascii_strtoll(colon + 1, &rest, 10);
        if (!colon[1] || *rest || *port <= 0 || *port > 65535)
            *port = -1;
        return g_ascii_strdown(value, colon - value);
    }
    return g_ascii_strdown(value, -1);
}

gboolean
sd_limits_host_allowed(const sd_hosts_t *hosts, const char *value)
{
    g_autofree char *name = NULL;
    gint64 port = 0;
    guint i;

    if (!hosts)
        return TRUE;
    /* A browser always sends Host, so its absence is no rebinding; an
     * HTTP/1.1 request without one is refused before (http.c). */
    if (!value)
        return TRUE;
    name = host_split(value, &port);
    if (!name || port < 0 || (port && port != hosts->port))
        return FALSE;
    for (i = 0; hosts->names[i]; i++)
        if (g_str_equal(hosts->names[i], name))
            return TRUE;
    return FALSE;
}

sd_hosts_t *
sd_limits_hosts_new(const char *listen, const char *const *extra)
{
    sd_hosts_t *h = g_new0(sd_hosts_t, 1);
    GPtrArray *names = g_ptr_array_new();
    gint64 port = 0;
    char *self = host_split(listen, &port);

    h->port = port;
    g_ptr_array_add(names, self ? self : g_strdup(""));
    g_ptr_array_add(names, g_strdup("localhost"));
    for (; extra && *extra; extra++)
        g_ptr_array_add(names, g_ascii_strdown(*extra, -1));
    g_ptr_array_add(names, NULL);
    h->names = (char **)g_ptr_array_free(names, FALSE);
    return h;
}

void
sd_limits_hosts_free(sd_hosts_t *hosts)
{
    if (!hosts)
        return;
    g_strfreev(hosts->names);
    g_free(hosts);
}

gboolean
sd_limits_target_ok(const char *uri)
{
    /* Origin form, or the absolute form sd_api_parse_uri() strips.
     * "*" (OPTIONS) and the authority form (CONNECT) name no resource
     * of ours. */
    return uri[0] == '/' || g_str_has_prefix(uri, "http://");
}

gboolean
sd_limits_coding_ok(const char *transfer_encoding)
{
    /* libmicrohttpd decodes chunked alone (RFC 9112, 6.1: an unknown
     * coding is a 501). */
    return !transfer_encoding
        || g_ascii_strcasecmp(transfer_encoding, "chunked") == 0;
}

const char *
sd_limits_csp(const char *content_type)
{
    /* JSON is never a document to render: nothing may load from it.
     * The search page has its script and style inline (index.html). */
    if (g_str_has_prefix(content_type, "application/json"))
        return "default-src 'none'; frame-ancestors 'none'";
    return "default-src 'self'; script-src 'self' 'unsafe-inline'; "
           "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
           "object-src 'none'; base-uri 'none'; form-action 'self'; "
           "frame-ancestors 'none'";
}

void
sd_limits_cap_title(JsonObject *record)
{
    const char *title = json_object_get_string_member_with_default(
        record, "title", NULL);
    g_autofree char *head = NULL;
    g_autofree char *cut = NULL;

    if (!title || g_utf8_strlen(title, -1) <= XC_MAX_TITLE_CHARS)
        return;
    head = g_utf8_substring(title, 0, XC_MAX_TITLE_CHARS);
    cut = g_strconcat(head, XC_CUT_MARK, NULL);
    json_object_set_string_member(record, "title", cut);
}
