/* api.c -- the HTTP API: request targets to routes, /search parameters
 * through one table, and the JSON of each endpoint. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "searchd-int.h"

/* ---------------------------------------------------------------- Request */

static void
param_free(gpointer data)
{
    sd_param_t *p = data;

    g_free(p->name);
    g_free(p->value);
    g_free(p);
}

/* Decodes one component of a query string: '+' is a space there
 * (HTML forms), then %XX escapes.  Returns NULL when an escape is
 * malformed or decodes to NUL. */
static char *
decode_component(const char *raw, gssize len)
{
    g_autofree char *plus = len < 0 ? g_strdup(raw)
        : g_strndup(raw, (gsize)len);
    char *p;

    for (p = plus; *p; p++)
        if (*p == '+')
            *p = ' ';
    return g_uri_unescape_string(plus, NULL);
}

/* Splits the raw request target @uri into its unescaped path and its
 * parameters, in order (a parameter may repeat).  Names and values must
 * be valid UTF-8. */
CTMAP_TESTABLE gboolean
sd_api_parse_uri(const char *uri, char **path, GPtrArray **params,
                 GError **error)
{
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(param_free);
    g_autofree char *raw_path = NULL;
    g_auto(GStrv) pairs = NULL;
    const char *query;
    size_t i;

    /* The absolute form (http://host/path) is legal in a request line. */
    if (g_str_has_prefix(uri, "http://")) {
        uri = strchr(uri + strlen("http://"), '/');
        if (!uri)
            uri = "/";
    }
    query = strchr(uri, '?');
    raw_path = query ? g_strndup(uri, (gsize)(query - uri)) : g_strdup(uri);
    *path = g_uri_unescape_string(raw_path, NULL);
    if (!*path || !g_utf8_validate(*path, -1, NULL)) {
        g_clear_pointer(path, g_free);
        g_set_error(error, SD_ERROR, SD_ERROR_BAD_PARAMETER,
                    "malformed path in the request");
        return FALSE;
    }
    pairs = g_strsplit(query ? query + 1 : "", "&", -1);
    for (i = 0; pairs[i]; i++) {
        const char *eq = strchr(pairs[i], '=');
        sd_param_t *p;

        if (!*pairs[i])
            continue;
        p = g_new0(sd_param_t, 1);
        g_ptr_array_add(out, p);
        p->name = decode_component(pairs[i],
                                   eq ? eq - pairs[i] : (gssize)-1);
        p->value = eq ? decode_component(eq + 1, -1) : g_strdup("");
        if (!p->name || !g_utf8_validate(p->name, -1, NULL)) {
            g_set_error(error, SD_ERROR, SD_ERROR_BAD_PARAMETER,
                        "malformed parameter name in the query string");
            goto fail;
        }
        if (!p->value) {
            g_set_error(error, SD_ERROR, SD_ERROR_BAD_PARAMETER,
                        "parameter '%s' has a malformed %%-escape",
                        p->name);
            goto fail;
        }
        if (!g_utf8_validate(p->value, -1, NULL)) {
            g_set_error(error, SD_ERROR, SD_ERROR_BAD_PARAMETER,
                        "parameter '%s' is not valid UTF-8", p->name);
            goto fail;
        }
    }
    *params = g_steal_pointer(&out);
    return TRUE;

fail:
    g_clear_pointer(path, g_free);
    return FALSE;
}

/* ---------------------------------------------------------------- Params */

/* The parameters of /search, in one table.  A handler stores its checked
 * value in the request. */
typedef struct param_spec param_spec_t;
struct param_spec {
    const char *name;
    gboolean repeatable;
    gboolean (*handler)(sd_search_req_t *req, const param_spec_t *spec,
                        const char *value, GError **error);
    const char *prefix;         /* filters: the XC_PREFIX_* of the field */
};

static guint
count_char(const char *s, char c)
{
    guint n = 0;

    for (; *s; s++)
        n += *s == c;
    return n;
}

static gboolean
param_q(sd_search_req_t *req, const param_spec_t *spec, const char *value,
        GError **error)
{
    if (strlen(value) > SD_MAX_QUERY) {
        g_set_error(error, SD_ERROR, SD_ERROR_BAD_PARAMETER,
                    "parameter '%s' is longer than %d bytes", spec->name,
                    SD_MAX_QUERY);
        return FALSE;
    }
    if (count_char(value, '*') > SD_MAX_WILDCARDS) {
        g_set_error(error, SD_ERROR, SD_ERROR_BAD_PARAMETER,
                    "parameter '%s' has more than %d wildcards", spec->name,
                    SD_MAX_WILDCARDS);
        return FALSE;
    }
    g_free(req->q);
    /* A blank q is an absent one: browse. */
    req->q = g_strstrip(g_strdup(value));
    if (!*req->q)
        g_clear_pointer(&req->q, g_free);
    return TRUE;
}

static gboolean
param_filter(sd_search_req_t *req, const param_spec_t *spec,
             const char *value, GError **error)
{
    (void)error;
    sd_search_req_add_filter(req, spec->prefix, value);
    return TRUE;
}

/* tag_source: where a tag must come from, one of the indexer's
 * tag_sources names. */
static gboolean
param_tag_source(sd_search_req_t *req, const param_spec_t *spec,
                 const char *value, GError **error)
{
    static const char *const origins[] = { "mapping", "folder", "text" };

    for (gsize i = 0; i < G_N_ELEMENTS(origins); i++)
        if (g_str_equal(value, origins[i])) {
            sd_search_req_add_filter(req, spec->prefix, value);
            return TRUE;
        }
    g_set_error(error, SD_ERROR, SD_ERROR_BAD_PARAMETER,
                "parameter '%s' must be mapping, folder or text, not '%s'",
                spec->name, value);
    return FALSE;
}

/* Parses a non-negative decimal no larger than @max. */
static gboolean
parse_count(const param_spec_t *spec, const char *value, gint64 max,
            gint64 *out, GError **error)
{
    char *end = NULL;
    gint64 v;

    if (!g_ascii_isdigit(value[0]))
        goto bad;
    v = g_ascii_strtoll(value, &end, 10);
    if (*end)
        goto bad;
    if (v > max) {
        g_set_error(error, SD_ERROR, SD_ERROR_BAD_PARAMETER,
                    "parameter '%s' must be at most %" G_GINT64_FORMAT,
                    spec->name, max);
        return FALSE;
    }
    *out = v;
    return TRUE;

bad:
    g_set_error(error, SD_ERROR, SD_ERROR_BAD_PARAMETER,
                "parameter '%s' must be a non-negative integer, not '%s'",
                spec->name, value);
    return FALSE;
}

static gboolean
param_offset(sd_search_req_t *req, const param_spec_t *spec,
             const char *value, GError **error)
{
    gint64 v;

    if (!parse_count(spec, value, SD_MAX_OFFSET, &v, error))
        return FALSE;
    req->offset = (size_t)v;
    return TRUE;
}

/* A limit above SD_MAX_LIMIT is capped rather than refused, so that a
 * client asking for "everything" still gets a page; the reply's "limit"
 * says what was applied. */
static gboolean
param_limit(sd_search_req_t *req, const param_spec_t *spec,
            const char *value, GError **error)
{
    gint64 v;

    if (!parse_count(spec, value, G_MAXINT32, &v, error))
        return FALSE;
    req->limit = (size_t)MIN(v, SD_MAX_LIMIT);
    return TRUE;
}

static gboolean
param_sort(sd_search_req_t *req, const param_spec_t *spec,
           const char *value, GError **error)
{
    if (g_str_equal(value, "relevance"))
        req->sort = XC_SORT_RELEVANCE;
    else if (g_str_equal(value, "date"))
        req->sort = XC_SORT_DATE;
    else {
        g_set_error(error, SD_ERROR, SD_ERROR_BAD_PARAMETER,
                    "parameter '%s' must be 'relevance' or 'date'",
                    spec->name);
        return FALSE;
    }
    return TRUE;
}

/* snippets=0 asks for hits without snippets, which are most of a query's
 * cost (a text block inflated and positions read per hit). */
static gboolean
param_snippets(sd_search_req_t *req, const param_spec_t *spec,
               const char *value, GError **error)
{
    if (g_str_equal(value, "0"))
        req->snippets = FALSE;
    else if (g_str_equal(value, "1"))
        req->snippets = TRUE;
    else {
        g_set_error(error, SD_ERROR, SD_ERROR_BAD_PARAMETER,
                    "parameter '%s' must be 0 or 1, not '%s'", spec->name,
                    value);
        return FALSE;
    }
    return TRUE;
}

static gboolean
param_facets(sd_search_req_t *req, const param_spec_t *spec,
             const char *value, GError **error)
{
    (void)spec;
    return sd_facets_parse(req, value, error);
}

static const param_spec_t search_params[] = {
    {"q", FALSE, param_q, NULL},
/* A filter for each facet field; a field that is none gets a row
 * without a handler, which the lookup skips. */
#define SD__FILTER_PARAM(id, name, query, prefix, slot, many, facet) \
    {name, TRUE, (facet) ? param_filter : NULL, prefix},
    XC_FIELD_LIST(SD__FILTER_PARAM)
#undef SD__FILTER_PARAM
    {"tag_source", TRUE, param_tag_source, XC_PREFIX_TAGSRC},
    {"offset", FALSE, param_offset, NULL},
    {"limit", FALSE, param_limit, NULL},
    {"sort", FALSE, param_sort, NULL},
    {"facets", TRUE, param_facets, NULL},
    {"snippets", FALSE, param_snippets, NULL},
};

/* Checks @params against the table: unknown names and repeated
 * single-valued ones are refused. */
static gboolean
apply_search_params(GPtrArray *params, sd_search_req_t *req,
                    GError **error)
{
    gboolean seen[G_N_ELEMENTS(search_params)] = {FALSE};
    guint i;

    for (i = 0; i < params->len; i++) {
        const sd_param_t *p = g_ptr_array_index(params, i);
        const param_spec_t *spec = NULL;
        size_t k;

        for (k = 0; k < G_N_ELEMENTS(search_params) && !spec; k++)
            if (search_params[k].handler
                && g_str_equal(search_params[k].name, p->name))
                spec = &search_params[k];
        if (!spec) {
            g_set_error(error, SD_ERROR, SD_ERROR_BAD_PARAMETER,
                        "unknown parameter '%s'", p->name);
            return FALSE;
        }
        k = (size_t)(spec - search_params);
        if (seen[k] && !spec->repeatable) {
            g_set_error(error, SD_ERROR, SD_ERROR_BAD_PARAMETER,
                        "parameter '%s' given more than once", p->name);
            return FALSE;
        }
        seen[k] = TRUE;
        if (!spec->handler(req, spec, p->value, error))
            return FALSE;
    }
    sd_search_req_finish(req);
    return TRUE;
}

/* Endpoints other than /search take no parameters. */
static gboolean
no_params(GPtrArray *params, GError **error)
{
    if (params->len == 0)
        return TRUE;
    g_set_error(error, SD_ERROR, SD_ERROR_BAD_PARAMETER,
                "unknown parameter '%s'",
                ((const sd_param_t *)g_ptr_array_index(params, 0))->name);
    return FALSE;
}

/* ---------------------------------------------------------------- Hits */

/* Returns: (transfer none) (nullable): member @name of @o if it is a
 * string. */
static const char *
member_string(JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);

    if (!n || !JSON_NODE_HOLDS_VALUE(n)
        || json_node_get_value_type(n) != G_TYPE_STRING)
        return NULL;
    return json_node_get_string(n);
}

/* A record is paged -- its snippet names a page -- when it is a PDF or
 * has more than one page. */
static gboolean
record_is_paged(JsonObject *o)
{
    const char *url = member_string(o, "url");
    JsonNode *pages = json_object_get_member(o, "pages");

    if (url) {
        size_t n = strcspn(url, "?#");

        if (n >= 4 && g_ascii_strncasecmp(url + n - 4, ".pdf", 4) == 0)
            return TRUE;
    }
    return pages && JSON_NODE_HOLDS_VALUE(pages)
        && json_node_get_value_type(pages) == G_TYPE_INT64
        && json_node_get_int(pages) > 1;
}

/* Returns: (transfer full): the stored record of the hit in @slot with
 * rank, score, label, for an entry its folded title-only documents
 * (@matched: those q matched, nullable), and when @snippets the snippet
 * and, for paged documents, page and page_url added.  Unknown members of
 * the record are passed through. */
static JsonNode *
build_hit(xc_db_t *db, xc_mset_t *m, const sd_rank_slot_t *slot,
          GHashTable *matched, gboolean snippets, GError **error)
{
    xc_hit_t hit;
    JsonNode *node;
    JsonObject *o;
    g_autofree char *snippet = NULL;
    unsigned page = 0;
    size_t i = slot->index;
    const char *label;
    xc_status_t st = xc_mset_hit(m, i, &hit);

    if (st != XC_OK) {
        sd_index_fail(db, st, "cannot read hit", error);
        return NULL;
    }
    node = sd_json_parse(hit.data);
    if (!node || !JSON_NODE_HOLDS_OBJECT(node)) {
        /* A record the indexer did not write as JSON still shows up,
         * rather than breaking the whole page of results. */
        g_clear_pointer(&node, json_node_unref);
        node = json_node_init_object(json_node_alloc(), json_object_new());
    }
    o = json_node_get_object(node);
    sd_limits_cap_title(o);
    json_object_set_int_member(o, "rank", slot->rank ? (gint64)slot->rank
                               : (gint64)hit.rank + 1);
    /* Documents known by title alone, or whose link failed, rank on what
     * is known of them; the label says what a reader will (not) find. */
    label = sd_facets_status_label(member_string(o, "status"));
    if (label)
        json_object_set_string_member(o, "label", label);
    else
        json_object_set_null_member(o, "label");
    if (slot->duplicate_of)
        json_object_set_string_member(o, "duplicate_of",
                                      slot->duplicate_of);
    json_object_set_double_member(o, "score",
                                  round(hit.weight * 1000.0) / 1000.0);
    if (g_strcmp0(member_string(o, "type"), "entry") == 0
        && !sd_rank_add_folded(db, m, i, o, matched, error)) {
        json_node_unref(node);
        return NULL;
    }
    if (!snippets)
        return node;
    snippet = sd_snippet_for_hit(m, i, &page, error);
    if (!snippet) {
        json_node_unref(node);
        return NULL;
    }
    json_object_set_string_member(o, "snippet", snippet);
    if (page > 0 && record_is_paged(o)) {
        const char *url = member_string(o, "url");

        json_object_set_int_member(o, "page", page);
        if (url) {
            g_autofree char *base = g_strndup(url, strcspn(url, "#"));
            g_autofree char *page_url = g_strdup_printf("%s#page=%u", base,
                                                        page);

            json_object_set_string_member(o, "page_url", page_url);
        }
    }
    return node;
}

/* ---------------------------------------------------------------- Routes */

typedef struct {
    sd_app_t *app;
} api_ctx_t;

static xc_db_t *
api_db(api_ctx_t *ctx, GError **error)
{
    return sd_index_thread_db(ctx->app->index, error);
}

/* The language a query is written in, as the records name languages:
 * Cyrillic letters make it Russian; anything else is taken for English,
 * the mapping's. */
static const char *
query_lang(const char *q)
{
    for (const char *p = q; p && *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);

        if (g_unichar_isalpha(c) && c >= 0x400 && c <= 0x52f)
            return "ru";
    }
    return "en";
}

static gint
by_lang_first(gconstpointer a, gconstpointer b, gpointer lang)
{
    const char *la = json_object_get_string_member_with_default(
        json_node_get_object(*(JsonNode *const *)a), "lang", "");
    const char *lb = json_object_get_string_member_with_default(
        json_node_get_object(*(JsonNode *const *)b), "lang", "");

    return (g_strcmp0(lb, lang) == 0) - (g_strcmp0(la, lang) == 0);
}

/* One result per document in all its languages: a hit that is a
 * translation of one ranked above it on the page is left out, and that
 * one's entry for it says "matched": true; each hit's translations list
 * the query's language first.  Returns: (transfer full) the hits kept. */
static JsonArray *
fold_versions(JsonArray *hits, const char *q)
{
    g_autoptr(GHashTable) shown = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GHashTable) folded = g_hash_table_new_full(
        g_str_hash, g_str_equal, g_free, NULL);
    JsonArray *kept = json_array_new();
    const char *lang = query_lang(q);
    guint n = json_array_get_length(hits);

    for (guint i = 0; i < n; i++)
        g_hash_table_add(shown, (gpointer)json_object_get_string_member(
            json_array_get_object_element(hits, i), "id"));
    for (guint i = 0; i < n; i++) {
        JsonObject *h = json_array_get_object_element(hits, i);
        JsonArray *tr = json_object_has_member(h, "translations")
            ? json_object_get_array_member(h, "translations") : NULL;
        g_autoptr(GPtrArray) order = g_ptr_array_new();

        if (g_hash_table_contains(folded, json_object_get_string_member(
                h, "id")))
            continue;
        for (guint t = 0; tr && t < json_array_get_length(tr); t++) {
            JsonObject *v = json_array_get_object_element(tr, t);
            const char *id = json_object_get_string_member_with_default(
                v, "id", "");

            if (g_hash_table_contains(shown, id)
                && !g_hash_table_contains(folded, id)) {
                g_hash_table_add(folded, g_strdup(id));
                json_object_set_boolean_member(v, "matched", TRUE);
            }
            g_ptr_array_add(order, json_array_get_element(tr, t));
        }
        if (tr) {
            JsonArray *sorted = json_array_new();

            g_ptr_array_sort_with_data(order, by_lang_first, (gpointer)lang);
            for (guint t = 0; t < order->len; t++)
                json_array_add_element(sorted, json_node_copy(
                    g_ptr_array_index(order, t)));
            json_object_set_array_member(h, "translations", sorted);
        }
        json_array_add_element(kept, json_node_copy(
            json_array_get_element(hits, i)));
    }
    return kept;
}

static JsonNode *
api_search(api_ctx_t *ctx, const char *arg, GPtrArray *params,
           GError **error)
{
    gint64 t0 = g_get_monotonic_time();
    g_auto(sd_search_req_t) req = {0};
    g_auto(sd_search_result_t) res = {0};
    g_autoptr(JsonArray) hits = json_array_new();
    g_autoptr(JsonBuilder) b = json_builder_new();
    xc_db_t *db;
    size_t i;

    (void)arg;
    sd_search_req_init(&req);
    if (!apply_search_params(params, &req, error))
        return NULL;
    db = api_db(ctx, error);
    if (!db || !sd_search_run(db, &req, &res, error))
        return NULL;
    for (i = 0; res.page && i < res.page->len; i++) {
        JsonNode *hit = build_hit(
            db, res.m, &g_array_index(res.page, sd_rank_slot_t, i),
            res.folded_matched, req.snippets, error);

        if (!hit)
            return NULL;
        json_array_add_element(hits, hit);
    }
    {
        JsonArray *kept = fold_versions(hits, req.q);

        json_array_unref(hits);
        hits = kept;
    }
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "query");
    json_builder_add_string_value(b, req.q ? req.q : "");
    json_builder_set_member_name(b, "corrected");
    if (req.corrected)
        json_builder_add_string_value(b, req.corrected);
    else
        json_builder_add_null_value(b);
    json_builder_set_member_name(b, "corrected_applied");
    json_builder_add_boolean_value(b, req.use_corrected);
    json_builder_set_member_name(b, "total");
    json_builder_add_int_value(b, (gint64)res.total);
    json_builder_set_member_name(b, "total_exact");
    json_builder_add_boolean_value(b, res.exact != 0);
    sd_shards_add(b, res.m, db, FALSE);
    json_builder_set_member_name(b, "offset");
    json_builder_add_int_value(b, (gint64)req.offset);
    json_builder_set_member_name(b, "limit");
    json_builder_add_int_value(b, (gint64)req.limit);
    json_builder_set_member_name(b, "hits");
    json_builder_add_value(b, json_node_init_array(json_node_alloc(),
                                                   hits));
    if (!sd_facets_add(db, &req, res.query, res.m, b, error))
        return NULL;
    /* Last, so that it covers the facet searches too. */
    json_builder_set_member_name(b, "took_ms");
    json_builder_add_double_value(b,
        round((double)(g_get_monotonic_time() - t0)) / 1000.0);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

/* Reads /doc's text_offset and text_limit into @offset and @limit. */
static gboolean
doc_params(GPtrArray *params, gint64 *offset, gint64 *limit, GError **error)
{
    static const param_spec_t specs[] = {
        {"text_offset", FALSE, NULL, NULL},
        {"text_limit", FALSE, NULL, NULL},
    };
    gboolean seen[G_N_ELEMENTS(specs)] = {FALSE};
    gint64 *out[G_N_ELEMENTS(specs)] = {offset, limit};
    const gint64 max[G_N_ELEMENTS(specs)] = {G_MAXINT32, SD_DOC_TEXT_BYTES};
    guint i, k;

    for (i = 0; i < params->len; i++) {
        const sd_param_t *p = g_ptr_array_index(params, i);

        for (k = 0; k < G_N_ELEMENTS(specs); k++)
            if (g_str_equal(p->name, specs[k].name))
                break;
        if (k == G_N_ELEMENTS(specs)) {
            g_set_error(error, SD_ERROR, SD_ERROR_BAD_PARAMETER,
                        "unknown parameter '%s'", p->name);
            return FALSE;
        }
        if (seen[k]) {
            g_set_error(error, SD_ERROR, SD_ERROR_BAD_PARAMETER,
                        "parameter '%s' given more than once", p->name);
            return FALSE;
        }
        seen[k] = TRUE;
        if (!parse_count(&specs[k], p->value, max[k], out[k], error))
            return FALSE;
    }
    return TRUE;
}

/* Sets "text" of @o to the part of @text (whole: @len bytes) from byte
 * @offset, moved back to the start of a character, and at most @limit
 * bytes, cut at a character too.  A text that is not whole says where it
 * is: "text_bytes" (the whole) and "text_next" (the offset to ask for
 * next, or null). */
static void
set_doc_text(JsonObject *o, const char *text, gint64 len, gint64 offset,
             gint64 limit)
{
    const char *start = text + MIN(offset, len);
    const char *end;
    g_autofree char *part = NULL;

    if (start > text && start < text + len)
        start = g_utf8_find_prev_char(text, start + 1);
    end = start + MIN(limit, text + len - start);
    if (end < text + len)
        end = g_utf8_find_prev_char(start, end + 1);
    part = g_strndup(start, (gsize)(end - start));
    json_object_set_string_member(o, "text", part);
    if (start == text && end == text + len)
        return;
    json_object_set_int_member(o, "text_bytes", len);
    if (end < text + len)
        json_object_set_int_member(o, "text_next", end - text);
    else
        json_object_set_null_member(o, "text_next");
}

/* /doc/ID: the record and its text, SD_DOC_TEXT_BYTES of it at most per
 * reply (text_offset and text_limit page through more), so that a
 * document of 20 MB of text is not one 20 MB reply. */
static JsonNode *
api_doc(api_ctx_t *ctx, const char *id, GPtrArray *params, GError **error)
{
    char *data = NULL, *text = NULL;
    size_t len = 0;
    gint64 offset = 0, limit = SD_DOC_TEXT_BYTES;
    JsonNode *node = NULL;
    xc_db_t *db;
    xc_status_t st;

    if (!doc_params(params, &offset, &limit, error))
        return NULL;
    if (!*id || strchr(id, '/')) {
        g_set_error(error, SD_ERROR, SD_ERROR_NOT_FOUND,
                    "no document '%s'", id);
        return NULL;
    }
    db = api_db(ctx, error);
    if (!db)
        return NULL;
    st = xc_db_get_data(db, id, &data);
    if (st == XC_ERR_NOT_FOUND) {
        g_set_error(error, SD_ERROR, SD_ERROR_NOT_FOUND,
                    "no document '%s'", id);
        goto out;
    }
    if (st == XC_OK)
        st = xc_db_get_value(db, id, XC_SLOT_TEXT, &text, &len);
    if (st != XC_OK) {
        sd_index_fail(db, st, "cannot read document", error);
        goto out;
    }
    node = sd_json_parse(data);
    if (!node || !JSON_NODE_HOLDS_OBJECT(node)) {
        g_clear_pointer(&node, json_node_unref);
        node = json_node_init_object(json_node_alloc(), json_object_new());
    }
    sd_limits_cap_title(json_node_get_object(node));
    {
        g_auto(GStrv) pages = g_strsplit(text ? text : "", "\f", -1);
        g_autofree char *joined = g_strjoinv("\n\n", pages);
        g_autofree char *valid = g_utf8_make_valid(joined, -1);

        gint64 n = (gint64)strlen(valid);

        set_doc_text(json_node_get_object(node), valid, n, offset, limit);
        /* Page by page too, for a reader that links each page
         * (url#page=N); only when there is more than one and the whole
         * text fits in this reply, so paging keeps its bound. */
        if (pages[0] && pages[1] && offset == 0 && n <= limit) {
            JsonArray *by_page = json_array_sized_new(g_strv_length(pages));
            size_t i;

            for (i = 0; pages[i]; i++) {
                g_autofree char *page = g_utf8_make_valid(pages[i], -1);

                json_array_add_string_element(by_page, page);
            }
            json_object_set_array_member(json_node_get_object(node),
                                         "text_pages", by_page);
        }
    }

out:
    free(data);
    free(text);
    return node;
}

/* /suggest?q=prefix&limit=8: a limit above SD_MAX_SUGGEST is capped,
 * as /search caps its own. */
static JsonNode *
api_suggest(api_ctx_t *ctx, const char *arg, GPtrArray *params,
            GError **error)
{
    static const param_spec_t spec_limit = {"limit", FALSE, NULL, NULL};
    const char *q = NULL;
    gint64 limit = SD_DEFAULT_SUGGEST;
    gboolean seen_limit = FALSE;
    xc_db_t *db;
    guint i;

    (void)arg;
    for (i = 0; i < params->len; i++) {
        const sd_param_t *p = g_ptr_array_index(params, i);
        gboolean is_q = g_str_equal(p->name, "q");

        if (!is_q && !g_str_equal(p->name, "limit")) {
            g_set_error(error, SD_ERROR, SD_ERROR_BAD_PARAMETER,
                        "unknown parameter '%s'", p->name);
            return NULL;
        }
        if (is_q ? q != NULL : seen_limit) {
            g_set_error(error, SD_ERROR, SD_ERROR_BAD_PARAMETER,
                        "parameter '%s' given more than once", p->name);
            return NULL;
        }
        if (is_q && strlen(p->value) > SD_MAX_QUERY) {
            g_set_error(error, SD_ERROR, SD_ERROR_BAD_PARAMETER,
                        "parameter 'q' is longer than %d bytes",
                        SD_MAX_QUERY);
            return NULL;
        }
        if (is_q)
            q = p->value;
        else if (!parse_count(&spec_limit, p->value, G_MAXINT32, &limit,
                              error))
            return NULL;
        seen_limit |= !is_q;
    }
    db = api_db(ctx, error);
    if (!db)
        return NULL;
    return sd_suggest(db, q, (size_t)MIN(limit, SD_MAX_SUGGEST), error);
}

/* The statuses of DESIGN.md's data model, in its order. */
static const char *const statuses[] = {
#define SD__NAME(id, name, label) name,
    XC_DOC_STATUS_LIST(SD__NAME)
};

static const char *const types[] = {
    XC_DOC_TYPE_LIST(SD__NAME)
#undef SD__NAME
};

/* Adds {"slug": count} for each of @slugs, counted by the boolean terms
 * @prefix + slug. */
static gboolean
add_term_counts(xc_db_t *db, JsonBuilder *b, const char *prefix,
                const char *const *slugs, size_t n, GError **error)
{
    size_t i;

    json_builder_begin_object(b);
    for (i = 0; i < n; i++) {
        g_autofree char *term = g_strconcat(prefix, slugs[i], NULL);
        uint64_t count = 0;
        xc_status_t st = xc_db_termfreq(db, term, &count);

        if (st != XC_OK)
            return sd_index_fail(db, st, "cannot count", error);
        json_builder_set_member_name(b, slugs[i]);
        json_builder_add_int_value(b, (gint64)count);
    }
    json_builder_end_object(b);
    return TRUE;
}

static JsonNode *
api_stats(api_ctx_t *ctx, const char *arg, GPtrArray *params,
          GError **error)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    uint64_t docs = 0, rev = 0;
    char *last_run = NULL;
    JsonNode *last = NULL;
    xc_db_t *db;
    xc_status_t st;

    (void)arg;
    if (!no_params(params, error))
        return NULL;
    db = api_db(ctx, error);
    if (!db)
        return NULL;
    st = xc_db_doccount(db, &docs);
    if (st == XC_OK)
        st = xc_db_revision(db, &rev);
    if (st == XC_OK)
        st = xc_db_get_metadata(db, XC_META_LAST_RUN, &last_run);
    if (st != XC_OK) {
        sd_index_fail(db, st, "cannot read statistics", error);
        return NULL;
    }
    /* The indexer writes its report summary there; anything else (or
     * nothing yet) reads as null. */
    last = sd_json_parse(last_run);
    free(last_run);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "documents");
    json_builder_add_int_value(b, (gint64)docs);
    json_builder_set_member_name(b, "by_type");
    if (!add_term_counts(db, b, XC_PREFIX_TYPE, types, G_N_ELEMENTS(types),
                         error))
        goto fail;
    json_builder_set_member_name(b, "by_status");
    if (!add_term_counts(db, b, XC_PREFIX_STATUS, statuses,
                         G_N_ELEMENTS(statuses), error))
        goto fail;
    json_builder_set_member_name(b, "revision");
    json_builder_add_int_value(b, (gint64)rev);
    sd_shards_add(b, NULL, db, TRUE);
    json_builder_set_member_name(b, "last_run");
    if (last)
        json_builder_add_value(b, g_steal_pointer(&last));
    else
        json_builder_add_null_value(b);
    json_builder_end_object(b);
    return json_builder_get_root(b);

fail:
    g_clear_pointer(&last, json_node_unref);
    return NULL;
}

/* /health answers even without an index: monitoring tells "daemon down"
 * from "nothing indexed yet" by "index". */
static JsonNode *
api_health(api_ctx_t *ctx, const char *arg, GPtrArray *params,
           GError **error)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    gboolean have_index;

    (void)arg;
    if (!no_params(params, error))
        return NULL;
    have_index = api_db(ctx, NULL) != NULL;
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "status");
    json_builder_add_string_value(b, "ok");
    json_builder_set_member_name(b, "index");
    json_builder_add_boolean_value(b, have_index);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

/* /metrics: the /stats object, which metrics.c renders as gauges (with
 * the request counters) in the Prometheus text format; a JSON null when
 * there is no index yet, since the counters are still worth scraping. */
static JsonNode *
api_metrics(api_ctx_t *ctx, const char *arg, GPtrArray *params,
            GError **error)
{
    if (!no_params(params, error))
        return NULL;
    if (!api_db(ctx, NULL))
        return json_node_new(JSON_NODE_NULL);
    return api_stats(ctx, arg, params, error);
}

typedef JsonNode *(*route_fn)(api_ctx_t *ctx, const char *arg,
                              GPtrArray *params, GError **error);

/* How long a cache may keep an answer without asking again: answers
 * of one index revision never change, so 5 s (nginx's micro-cache too)
 * only delays a new revision a little; /stats and /health are about the
 * daemon now: no tag, and revalidated every time. */
#define CACHE_REVISION "public, max-age=5"
#define CACHE_NOW "no-cache"

/* A path ending in '/' is a prefix; the rest of the path is passed on as
 * the route's argument.  Every answer carries an ETag made of the index
 * revision and the request target. */
static const struct {
    const char *path;
    route_fn run;
    const char *cache_control;
} routes[] = {
    {"/search", api_search, CACHE_REVISION},
    {"/suggest", api_suggest, CACHE_REVISION},
    {"/doc/", api_doc, CACHE_REVISION},
    {"/stats", api_stats, CACHE_NOW},
    {"/health", api_health, CACHE_NOW},
    {"/metrics", api_metrics, CACHE_NOW},
};

/* Returns: (transfer full): the ETag of the answer to @uri from @db's
 * revision, quoted: "r<revision>-<first 16 hex of SHA-256(@uri)>". */
static char *
api_etag(api_ctx_t *ctx, const char *uri)
{
    g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256,
                                                         uri, -1);
    xc_db_t *db = api_db(ctx, NULL);
    uint64_t rev = 0;

    if (db && xc_db_revision(db, &rev) != XC_OK)
        rev = 0;
    return g_strdup_printf("\"r%" G_GUINT64_FORMAT "-%.16s\"", (guint64)rev,
                           sum);
}

void
sd_api_handle(sd_app_t *app, const char *method, const char *uri,
              sd_reply_t *reply)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) params = NULL;
    g_autofree char *path = NULL;
    g_autoptr(JsonNode) root = NULL;
    gboolean readonly = g_str_equal(method, "GET")
        || g_str_equal(method, "HEAD");
    api_ctx_t ctx = {app};
    route_fn run = NULL;
    const char *cache_control = NULL;
    const char *arg = "";
    size_t i;

    memset(reply, 0, sizeof(*reply));
    if (strlen(uri) > SD_MAX_URI) {
        g_set_error(&error, SD_ERROR, SD_ERROR_URI_TOO_LONG,
                    "request target longer than %d bytes", SD_MAX_URI);
        goto fail;
    }
    if (sd_limits_count_params(uri) > SD_MAX_PARAMS) {
        g_set_error(&error, SD_ERROR, SD_ERROR_BAD_PARAMETER,
                    "more than %d query parameters", SD_MAX_PARAMS);
        goto fail;
    }
    if (!sd_api_parse_uri(uri, &path, &params, &error))
        goto fail;
    for (i = 0; i < G_N_ELEMENTS(routes) && !run; i++) {
        const char *rp = routes[i].path;

        if (g_str_has_suffix(rp, "/") ? g_str_has_prefix(path, rp)
            : g_str_equal(path, rp)) {
            run = routes[i].run;
            cache_control = routes[i].cache_control;
            arg = path + strlen(rp);
            reply->endpoint = rp;
        }
    }
    if (!run) {
        if (!sd_www_serve(app->www_dir, path, reply)) {
            g_set_error(&error, SD_ERROR, SD_ERROR_NOT_FOUND,
                        "no such endpoint: %s", path);
            goto fail;
        }
        reply->endpoint = "page";
        if (readonly)
            return;
        sd_reply_clear(reply);
    }
    if (!readonly) {
        g_set_error(&error, SD_ERROR, SD_ERROR_METHOD_NOT_ALLOWED,
                    "method %s not allowed; use GET", method);
        goto fail;
    }
    root = run(&ctx, arg, params, &error);
    /* The indexer committed while we read: reopen once and retry. */
    if (!root && g_error_matches(error, SD_ERROR, SD_ERROR_INDEX_MODIFIED)) {
        g_clear_error(&error);
        if (sd_index_thread_reopen(app->index, &error))
            root = run(&ctx, arg, params, &error);
    }
    if (!root)
        goto fail;
    if (run == api_metrics) {
        sd_metrics_reply(JSON_NODE_HOLDS_NULL(root) ? NULL : root,
                         sd_index_generation(app->index), reply);
        return;
    }
    sd_json_reply(root, 200, reply);
    /* Only an answer that is a function of the index revision and the
     * target may be revalidated by a tag made of them: /stats and /health
     * change with the daemon's own state. */
    if (g_strcmp0(cache_control, CACHE_REVISION) == 0)
        reply->etag = api_etag(&ctx, uri);
    reply->cache_control = cache_control;
    return;

fail:
    sd_json_error_reply(error, reply);
    reply->cache_control = "no-store";
    if (error->code == SD_ERROR_METHOD_NOT_ALLOWED)
        reply->allow = "GET, HEAD";
}
