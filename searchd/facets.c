/* facets.c -- facet counts over every match, disjunctive per field, with
 * the human labels the indexer stored in the index metadata. */
#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "searchd-int.h"

/* The facet fields are the rows of XC_FIELD_LIST with facet set, in its
 * order (which is the order replies list them); bit k of req->facets is
 * field k (an xc_field_t).  A field's labels come from builtin[], or else
 * from its member of XC_META_LABELS (or, failing both, the value
 * itself). */
static const char *const type_labels[] = {
#define SD__TYPE_LABEL(id, name, label) name, label,
    XC_DOC_TYPE_LIST(SD__TYPE_LABEL)
#undef SD__TYPE_LABEL
    NULL,
};

/* The languages extract/lang.c identifies. */
static const char *const lang_labels[] = {
    "en", "English", "ru", "Russian", "kk", "Kazakh", "ky", "Kyrgyz",
    "tg", "Tajik", "uz", "Uzbek", "tk", "Turkmen", "uk", "Ukrainian",
    "be", "Belarusian", "fr", "French", "de", "German", "es", "Spanish",
    "ar", "Arabic", "fa", "Persian", "tr", "Turkish", "zh", "Chinese",
    NULL,
};

static const char *const section_labels[] = {
    "a", "A", "b", "B", "c", "C", "d", "D", "e", "E", NULL,
};

static const char *const status_labels[] = {
#define SD__STATUS_LABEL(id, name, label) name, label,
    XC_DOC_STATUS_LIST(SD__STATUS_LABEL)
#undef SD__STATUS_LABEL
    NULL,
};

static const char *const *const builtin[XC_FIELD_N] = {
    [XC_FIELD_TYPE] = type_labels,
    [XC_FIELD_LANG] = lang_labels,
    [XC_FIELD_SECTION] = section_labels,
    [XC_FIELD_STATUS] = status_labels,
};

/* Returns: (transfer none) (nullable): field @k, or NULL when it is not a
 * facet. */
static const xc_field_info_t *
field_at(size_t k)
{
    return xc_fields[k].facet ? &xc_fields[k] : NULL;
}

G_STATIC_ASSERT(XC_FIELD_N <= SD_MAX_FACETS);

/* Statuses whose record has the whole text carry no label. */
const char *
sd_facets_status_label(const char *status)
{
    size_t i;

    if (!status || g_str_equal(status, status_labels[0])
        || g_str_equal(status, status_labels[2]))
        return NULL;
    for (i = 0; status_labels[i]; i += 2)
        if (g_str_equal(status_labels[i], status))
            return status_labels[i + 1];
    return status;
}

gboolean
sd_facets_parse(sd_search_req_t *req, const char *value, GError **error)
{
    g_auto(GStrv) names = g_strsplit(value, ",", -1);
    size_t i, k;

    for (i = 0; names[i]; i++) {
        const char *name = g_strstrip(names[i]);
        gboolean found = FALSE;

        if (!*name)
            continue;
        for (k = 0; k < XC_FIELD_N && !found; k++)
            if (field_at(k) && g_str_equal(field_at(k)->name, name)) {
                req->facets |= 1u << k;
                found = TRUE;
            }
        if (!found) {
            g_autoptr(GString) all = g_string_new(NULL);

            for (k = 0; k < XC_FIELD_N; k++)
                if (field_at(k))
                    g_string_append_printf(all, "%s%s", all->len ? ", " : "",
                                           field_at(k)->name);
            g_set_error(error, SD_ERROR, SD_ERROR_BAD_PARAMETER,
                        "unknown facet '%s'; facets are %s", name, all->str);
            return FALSE;
        }
    }
    return TRUE;
}

size_t
sd_facets_main_slots(const sd_search_req_t *req, unsigned *slots)
{
    size_t k, n = 0;

    for (k = 0; k < XC_FIELD_N; k++)
        if ((req->facets & (1u << k))
            && !sd_search_req_narrows(req, field_at(k)->prefix))
            slots[n++] = field_at(k)->slot;
    return n;
}

/* ---------------------------------------------------------------- Labels */

/* The labels of one index revision, per thread: the metadata is a few
 * kilobytes of JSON, parsed once per revision rather than once per
 * request.  A metadata read that fails leaves labels out rather than
 * failing the search. */
static GPrivate labels_key = G_PRIVATE_INIT(sd_rev_cache_free);

JsonObject *
sd_facets_labels(xc_db_t *db)
{
    uint64_t rev = 0;
    gboolean current = FALSE;
    sd_rev_cache_t *c = sd_rev_cache_get(&labels_key, db, &rev, &current,
                                         NULL);
    char *text = NULL;

    if (!c)
        return NULL;
    if (!current) {
        JsonNode *root = NULL;

        if (xc_db_get_metadata(db, XC_META_LABELS, &text) == XC_OK)
            root = sd_json_parse(text);
        free(text);
        if (root && !JSON_NODE_HOLDS_OBJECT(root))
            g_clear_pointer(&root, json_node_unref);
        sd_rev_cache_set(c, rev, root, (GDestroyNotify)json_node_unref);
    }
    return c->value ? json_node_get_object(c->value) : NULL;
}

/* Returns: (transfer none) (nullable): @value's string in the
 * {slug: string} member @member of @labels. */
static const char *
member_label(JsonObject *labels, const char *member, const char *value)
{
    JsonNode *n = labels ? json_object_get_member(labels, member) : NULL;
    JsonNode *l;

    if (!n || !JSON_NODE_HOLDS_OBJECT(n))
        return NULL;
    l = json_object_get_member(json_node_get_object(n), value);
    if (l && JSON_NODE_HOLDS_VALUE(l)
        && json_node_get_value_type(l) == G_TYPE_STRING)
        return json_node_get_string(l);
    return NULL;
}

/* Returns: (transfer none): the label of @value in field @k. */
static const char *
label_of(size_t k, JsonObject *labels, const char *value)
{
    const char *const *fixed = builtin[k];
    const char *l = fixed ? NULL
                          : member_label(labels, xc_fields[k].name, value);
    size_t i;

    if (l)
        return l;
    for (i = 0; fixed && fixed[i]; i += 2)
        if (g_str_equal(fixed[i], value))
            return fixed[i + 1];
    return value;
}

/* Returns: (transfer none) (nullable): the Russian label of @value in
 * field @k, where the vocabulary has one. */
static const char *
label_ru_of(size_t k, JsonObject *labels, const char *value)
{
    g_autofree char *member = NULL;

    if (builtin[k] || !labels)
        return NULL;
    member = g_strconcat(xc_fields[k].name, XC_META_LABELS_RU_SUFFIX, NULL);
    return member_label(labels, member, value);
}

/* ---------------------------------------------------------------- Counts */

typedef struct {
    size_t k;                   /* the field, an xc_field_t */
    JsonObject *labels;
    const sd_filter_t *filter;  /* the field's active filter, or NULL */
    JsonBuilder *b;
} emit_ctx_t;

static int
emit_value(const char *value, uint64_t count, void *rock)
{
    emit_ctx_t *ctx = rock;
    const char *ru = label_ru_of(ctx->k, ctx->labels, value);
    gboolean selected = FALSE;
    guint i;

    for (i = 0; ctx->filter && i < ctx->filter->values->len; i++)
        if (g_str_equal(g_ptr_array_index(ctx->filter->values, i), value))
            selected = TRUE;
    json_builder_begin_object(ctx->b);
    json_builder_set_member_name(ctx->b, "value");
    json_builder_add_string_value(ctx->b, value);
    json_builder_set_member_name(ctx->b, "label");
    json_builder_add_string_value(ctx->b,
                                  label_of(ctx->k, ctx->labels, value));
    if (ru) {
        json_builder_set_member_name(ctx->b, "label_ru");
        json_builder_add_string_value(ctx->b, ru);
    }
    json_builder_set_member_name(ctx->b, "count");
    json_builder_add_int_value(ctx->b, (gint64)count);
    json_builder_set_member_name(ctx->b, "selected");
    json_builder_add_boolean_value(ctx->b, selected);
    json_builder_end_object(ctx->b);
    return 0;
}

/* Counts @field for @req with the field's own filter lifted: OR within a
 * field means its other values stay choices while one is selected. */
static xc_mset_t *
search_without(xc_db_t *db, const sd_search_req_t *req, xc_query_t *q,
               const xc_field_info_t *field, GError **error)
{
    xc_filter_t filters[SD_MAX_FACETS];
    xc_search_opts_t opts = {
        .offset = 0,
        .limit = 0,
        .sort = XC_SORT_RELEVANCE,
        .facet_slots = &field->slot,
        .n_facet_slots = 1,
        .check_at_least = 0,
        .filters = filters,
        .n_filters = sd_search_filters(req, field->prefix, filters),
    };
    xc_mset_t *m = NULL;
    xc_status_t st = xc_search(q, &opts, &m);

    if (st != XC_OK) {
        sd_index_fail(db, st, "facet count failed", error);
        return NULL;
    }
    return m;
}

gboolean
sd_facets_add(xc_db_t *db, const sd_search_req_t *req, xc_query_t *q,
              xc_mset_t *m, JsonBuilder *b, GError **error)
{
    JsonObject *labels = req->facets ? sd_facets_labels(db) : NULL;
    size_t k;

    json_builder_set_member_name(b, "facets");
    json_builder_begin_object(b);
    for (k = 0; k < XC_FIELD_N; k++) {
        const xc_field_info_t *field = field_at(k);
        emit_ctx_t ctx = {k, labels, NULL, b};
        xc_mset_t *own = NULL;
        xc_status_t st = XC_OK;

        if (!(req->facets & (1u << k)))
            continue;
        ctx.filter = sd_search_req_filter(req, field->prefix);
        json_builder_set_member_name(b, field->name);
        json_builder_begin_array(b);
        /* No main search (text without terms): every count is 0, and
         * no value is listed. */
        if (m && sd_search_req_narrows(req, field->prefix)) {
            own = search_without(db, req, q, field, error);
            if (!own)
                return FALSE;
            st = xc_mset_facets(own, field->slot, emit_value, &ctx);
        } else if (m) {
            st = xc_mset_facets(m, field->slot, emit_value, &ctx);
        }
        if (st != XC_OK) {
            xc_mset_free(own);
            return sd_index_fail(db, st, "cannot read facets", error);
        }
        xc_mset_free(own);
        json_builder_end_array(b);
    }
    json_builder_end_object(b);
    return TRUE;
}
