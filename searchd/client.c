/* client.c -- ctmap-search, the command-line client: one /search (or
 * /suggest) request over the daemon's Unix socket, printed for people or
 * as raw JSON.  Its filter options are the facet fields of XC_FIELD_LIST
 * (schema.h), one --NAME each. */
#include <locale.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-glib/json-glib.h>

#include "schema.h"

#define DEFAULT_SOCKET  "var/searchd.sock"
#define TIMEOUT_S       30L
#define MAX_RESPONSE    (64L * 1024 * 1024)

#define BOLD_ON   "\033[1m"
#define BOLD_OFF  "\033[0m"

typedef struct {
    char *socket_path;
    gboolean json;
    gboolean suggest;
    char **filters[XC_FIELD_N];     /* --NAME values of each field */
    int limit;
    int offset;
} options_t;

static void
options_clear(options_t *o)
{
    g_free(o->socket_path);
    for (size_t k = 0; k < XC_FIELD_N; k++)
        g_strfreev(o->filters[k]);
}

static size_t
on_body(char *data, size_t size, size_t n, void *rock)
{
    GString *body = rock;

    if (body->len + size * n > MAX_RESPONSE)
        return 0;
    g_string_append_len(body, data, (gssize)(size * n));
    return size * n;
}

static void
append_param(GString *url, CURL *curl, const char *name, const char *value)
{
    char *esc = curl_easy_escape(curl, value, 0);

    g_string_append_printf(url, "%s%s=%s",
                           strchr(url->str, '?') ? "&" : "?", name,
                           esc ? esc : "");
    curl_free(esc);
}

static void
append_all(GString *url, CURL *curl, const char *name, char **values)
{
    for (; values && *values; values++)
        append_param(url, curl, name, *values);
}

/* Appends the character of the entity at *@p ("&lt;", "&#39;") and moves
 * past it; a lone '&' stays as it is. */
static void
append_entity(GString *out, const char **p)
{
    static const struct {
        const char *name;
        gunichar c;
    } named[] = {
        {"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'},
        {"&apos;", '\''},
    };
    const char *semi = strchr(*p, ';');
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(named); i++)
        if (g_str_has_prefix(*p, named[i].name)) {
            g_string_append_unichar(out, named[i].c);
            *p += strlen(named[i].name);
            return;
        }
    if ((*p)[1] == '#' && semi && semi - *p < 12) {
        gboolean hex = (*p)[2] == 'x' || (*p)[2] == 'X';
        char *end = NULL;
        guint64 c = g_ascii_strtoull(*p + (hex ? 3 : 2), &end, hex ? 16 : 10);

        if (end == semi && g_unichar_validate((gunichar)c) && c != 0) {
            g_string_append_unichar(out, (gunichar)c);
            *p = semi + 1;
            return;
        }
    }
    g_string_append_c(out, '&');
    (*p)++;
}

/* Returns: (transfer full): the snippet's HTML as terminal text: <mark>
 * becomes bold (or *word* when @bold is FALSE), other tags go, entities
 * are decoded. */
static char *
snippet_to_text(const char *html, gboolean bold)
{
    GString *out = g_string_new(NULL);
    const char *p = html;

    while (*p) {
        if (g_str_has_prefix(p, "<mark>")) {
            g_string_append(out, bold ? BOLD_ON : "*");
            p += strlen("<mark>");
        } else if (g_str_has_prefix(p, "</mark>")) {
            g_string_append(out, bold ? BOLD_OFF : "*");
            p += strlen("</mark>");
        } else if (*p == '<') {
            const char *gt = strchr(p, '>');

            p = gt ? gt + 1 : p + strlen(p);
        } else if (*p == '&') {
            append_entity(out, &p);
        } else if (*p == '\n' || *p == '\r' || *p == '\t') {
            g_string_append_c(out, ' ');
            p++;
        } else {
            g_string_append_c(out, *p++);
        }
    }
    return g_string_free(out, FALSE);
}

/* Appends the strings of array member @name of @o to @parts, joined by
 * ", ". */
static void
add_list(GPtrArray *parts, JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);
    g_autoptr(GString) s = g_string_new(NULL);
    JsonArray *a;
    guint i;

    if (!n || !JSON_NODE_HOLDS_ARRAY(n))
        return;
    a = json_node_get_array(n);
    for (i = 0; i < json_array_get_length(a); i++) {
        JsonNode *e = json_array_get_element(a, i);

        if (!JSON_NODE_HOLDS_VALUE(e)
            || json_node_get_value_type(e) != G_TYPE_STRING)
            continue;
        if (s->len)
            g_string_append(s, ", ");
        g_string_append(s, json_node_get_string(e));
    }
    if (s->len)
        g_ptr_array_add(parts, g_string_free(g_steal_pointer(&s), FALSE));
}

static const char *
get_string(JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);

    if (!n || !JSON_NODE_HOLDS_VALUE(n)
        || json_node_get_value_type(n) != G_TYPE_STRING)
        return NULL;
    return json_node_get_string(n);
}

static void
print_hit(JsonObject *hit, gboolean tty)
{
    g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func(g_free);
    const char *title = get_string(hit, "title");
    const char *url = get_string(hit, "page_url");
    const char *type = get_string(hit, "type");
    const char *status = get_string(hit, "status");
    const char *snippet = get_string(hit, "snippet");
    const char *label = get_string(hit, "label");
    g_autofree char *meta = NULL;

    if (!url)
        url = get_string(hit, "url");
    g_print("%s%" G_GINT64_FORMAT ". %s%s\n", tty ? BOLD_ON : "",
            json_object_get_int_member_with_default(hit, "rank", 0),
            title && *title ? title : "(untitled)", tty ? BOLD_OFF : "");
    add_list(parts, hit, "org_labels");
    add_list(parts, hit, "theme_labels");
    add_list(parts, hit, "year");
    if (type)
        g_ptr_array_add(parts, status ? g_strdup_printf("%s/%s", type, status)
                                      : g_strdup(type));
    g_ptr_array_add(parts, NULL);
    meta = g_strjoinv(" \xC2\xB7 ", (char **)parts->pdata);
    if (*meta)
        g_print("   %s\n", meta);
    if (label)
        g_print("   [%s]\n", label);
    if (url)
        g_print("   %s\n", url);
    if (snippet && *snippet) {
        g_autofree char *text = snippet_to_text(snippet, tty);

        g_print("   %s\n", text);
    }
    g_print("\n");
}

/* Prints the reply for people; returns the number of hits. */
static guint
print_results(JsonObject *root, gboolean tty)
{
    JsonNode *hits = json_object_get_member(root, "hits");
    JsonArray *a = hits && JSON_NODE_HOLDS_ARRAY(hits)
        ? json_node_get_array(hits) : NULL;
    guint n = a ? json_array_get_length(a) : 0;
    const char *corrected = get_string(root, "corrected");
    guint i;

    if (corrected && json_object_get_boolean_member_with_default(
                         root, "corrected_applied", FALSE))
        g_print("Showing results for \"%s\" (nothing matched \"%s\")\n\n",
                corrected, get_string(root, "query"));
    for (i = 0; i < n; i++) {
        JsonNode *e = json_array_get_element(a, i);

        if (JSON_NODE_HOLDS_OBJECT(e))
            print_hit(json_node_get_object(e), tty);
    }
    g_print("%u of %s%" G_GINT64_FORMAT " results\n", n,
            json_object_get_boolean_member_with_default(root, "total_exact",
                                                        TRUE) ? "" : "about ",
            json_object_get_int_member_with_default(root, "total", 0));
    if (corrected && !json_object_get_boolean_member_with_default(
                         root, "corrected_applied", FALSE))
        g_print("Did you mean \"%s\"?\n", corrected);
    return n;
}

/* Prints /suggest's reply, one suggestion a line; returns how many. */
static guint
print_suggestions(JsonObject *root)
{
    JsonNode *s = json_object_get_member(root, "suggestions");
    JsonArray *a = s && JSON_NODE_HOLDS_ARRAY(s) ? json_node_get_array(s)
        : NULL;
    guint n = a ? json_array_get_length(a) : 0;
    guint i;

    for (i = 0; i < n; i++) {
        JsonNode *e = json_array_get_element(a, i);
        JsonObject *o;

        if (!JSON_NODE_HOLDS_OBJECT(e))
            continue;
        o = json_node_get_object(e);
        g_print("%s\t%" G_GINT64_FORMAT "\n", get_string(o, "text"),
                json_object_get_int_member_with_default(o, "count", 0));
    }
    return n;
}

/* The message of an {"error":{...}} body, or NULL. */
static const char *
error_message(JsonObject *root)
{
    JsonNode *e = root ? json_object_get_member(root, "error") : NULL;

    if (!e || !JSON_NODE_HOLDS_OBJECT(e))
        return NULL;
    return get_string(json_node_get_object(e), "message");
}

/* The help of the filter options; a field without a row here gets a
 * generic one. */
static const struct {
    const char *help;
    const char *arg;
} filter_help[XC_FIELD_N] = {
    [XC_FIELD_ORG] = {"Only this organization (repeat for any of several)",
                      "X"},
    [XC_FIELD_THEME] = {"Only this theme", "X"},
    [XC_FIELD_COUNTRY] = {"Only this country", "X"},
    [XC_FIELD_KIND] = {"Only this kind (project, publication, ...)", "X"},
    [XC_FIELD_TYPE] = {"Only entries or documents", "entry|document"},
    [XC_FIELD_YEAR] = {"Only this year", "YYYY"},
    [XC_FIELD_LANG] = {"Only this language", "en|ru|..."},
    [XC_FIELD_SECTION] = {"Only this section of the mapping", "A-E"},
    [XC_FIELD_STATUS] = {"Only documents with this status",
                         "indexed|title-only|..."},
};

static const char *const field_names[XC_FIELD_N] = {
#define CL__NAME(id, name, query, prefix, slot, many, facet) name,
    XC_FIELD_LIST(CL__NAME)
#undef CL__NAME
};

static const int field_facet[XC_FIELD_N] = {
#define CL__FACET(id, name, query, prefix, slot, many, facet) facet,
    XC_FIELD_LIST(CL__FACET)
#undef CL__FACET
};

/* Adds one --NAME option per facet field to @entries at *@n. */
static void
add_filter_options(GOptionEntry *entries, size_t *n, options_t *o)
{
    for (size_t k = 0; k < XC_FIELD_N; k++) {
        if (!field_facet[k])
            continue;
        entries[(*n)++] = (GOptionEntry){
            field_names[k], 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->filters[k],
            filter_help[k].help ? filter_help[k].help : "Only this value",
            filter_help[k].arg ? filter_help[k].arg : "X"};
    }
}

static gboolean
any_filter(const options_t *o)
{
    for (size_t k = 0; k < XC_FIELD_N; k++)
        if (o->filters[k])
            return TRUE;
    return FALSE;
}

int
main(int argc, char **argv)
{
    options_t o = {.limit = -1, .offset = -1};
    const GOptionEntry head[] = {
        {"socket", 's', 0, G_OPTION_ARG_FILENAME, &o.socket_path,
         "ctmap-searchd's socket (default: " DEFAULT_SOCKET ")", "PATH"},
        {"json", 'j', 0, G_OPTION_ARG_NONE, &o.json,
         "Print the daemon's JSON reply as it is", NULL},
    };
    const GOptionEntry tail[] = {
        {"suggest", 0, 0, G_OPTION_ARG_NONE, &o.suggest,
         "Print completions of QUERY (text, tab, count) instead", NULL},
        {"limit", 'n', 0, G_OPTION_ARG_INT, &o.limit,
         "Number of results (default 10, at most 100)", "N"},
        {"offset", 0, 0, G_OPTION_ARG_INT, &o.offset,
         "Skip the first N results", "N"},
        {NULL, 0, 0, 0, NULL, NULL, NULL}
    };
    GOptionEntry entries[G_N_ELEMENTS(head) + XC_FIELD_N + G_N_ELEMENTS(tail)];
    size_t n_entries = 0;
    g_autoptr(GOptionContext) ctx = g_option_context_new("QUERY...");
    g_autoptr(GError) error = NULL;
    g_autoptr(GString) url = g_string_new(NULL);
    g_autoptr(GString) body = g_string_new(NULL);
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autofree char *q = NULL;
    char errbuf[CURL_ERROR_SIZE] = "";
    JsonObject *root = NULL;
    const char *msg;
    long http = 0;
    CURLcode rc;
    CURL *curl;
    int status = 2;
    guint n;

    for (size_t i = 0; i < G_N_ELEMENTS(head); i++)
        entries[n_entries++] = head[i];
    add_filter_options(entries, &n_entries, &o);
    for (size_t i = 0; i < G_N_ELEMENTS(tail); i++)
        entries[n_entries++] = tail[i];
    setlocale(LC_ALL, "");
    g_option_context_set_summary(ctx,
        "Searches the ctmap index through a running ctmap-searchd.\n"
        "Exits 0 when something matched, 1 when nothing did, 2 on error.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        g_printerr("ctmap-search: %s\n", error->message);
        options_clear(&o);
        return 2;
    }
    if (o.suggest && (any_filter(&o) || o.offset >= 0)) {
        g_printerr("ctmap-search: --suggest takes no filters or offset\n");
        options_clear(&o);
        return 2;
    }
    if (!o.socket_path)
        o.socket_path = g_strdup(DEFAULT_SOCKET);
    q = g_strjoinv(" ", argv + 1);
    curl = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK
        ? curl_easy_init() : NULL;
    if (!curl) {
        g_printerr("ctmap-search: cannot initialise libcurl\n");
        options_clear(&o);
        return 2;
    }
    g_string_append(url, o.suggest ? "http://localhost/suggest"
                                   : "http://localhost/search");
    append_param(url, curl, "q", q);
    for (size_t k = 0; k < XC_FIELD_N; k++)
        append_all(url, curl, field_names[k], o.filters[k]);
    if (o.limit >= 0)
        g_string_append_printf(url, "&limit=%d", o.limit);
    if (o.offset >= 0)
        g_string_append_printf(url, "&offset=%d", o.offset);

    curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, o.socket_path);
    curl_easy_setopt(curl, CURLOPT_URL, url->str);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, TIMEOUT_S);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
    rc = curl_easy_perform(curl);
    if (rc != CURLE_OK) {
        g_printerr("ctmap-search: cannot reach ctmap-searchd at %s: %s\n",
                   o.socket_path, *errbuf ? errbuf : curl_easy_strerror(rc));
        goto out;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http);
    if (json_parser_load_from_data(parser, body->str, (gssize)body->len,
                                   NULL)
        && JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
        root = json_node_get_object(json_parser_get_root(parser));
    if (o.json)
        g_print("%s\n", body->str);
    if (http != 200 || !root) {
        msg = error_message(root);
        g_printerr("ctmap-search: %s (HTTP %ld)\n",
                   msg ? msg : "unexpected reply from ctmap-searchd", http);
        goto out;
    }
    if (o.json) {
        JsonNode *hits = json_object_get_member(root, o.suggest
                                                ? "suggestions" : "hits");

        n = hits && JSON_NODE_HOLDS_ARRAY(hits)
            ? json_array_get_length(json_node_get_array(hits)) : 0;
    } else if (o.suggest) {
        n = print_suggestions(root);
    } else {
        n = print_results(root, isatty(STDOUT_FILENO));
    }
    status = n > 0 ? 0 : 1;

out:
    curl_easy_cleanup(curl);
    curl_global_cleanup();
    options_clear(&o);
    return status;
}
