/* result.c -- extract_result_t: lifetime, joined text, and the JSON form
 * the worker protocol carries between a worker and the pool. */
#include "extract.h"

#include <json-glib/json-glib.h>
#include <string.h>

/* The string and string-list members of extract_result_t, named as the
 * worker protocol names them: one list from which creating, clearing,
 * writing and reading a result are derived. */
#define RESULT_STRINGS(X)                                                 \
    X(media_type) X(title) X(author) X(description) X(lang) X(charset)   \
    X(created) X(modified)
#define RESULT_LISTS(X) X(pages) X(links) X(warnings)

/* The three arrays exist from init on, so backends can append without
 * checking; the strings stay NULL until a backend sets them.  lang is ""
 * rather than NULL because the header promises "" for "unknown". */
void
extract_result_init(extract_result_t *r)
{
    memset(r, 0, sizeof(*r));
    r->lang = g_strdup("");
    r->n_pages = 1;
#define NEW_LIST(f) r->f = g_ptr_array_new_with_free_func(g_free);
    RESULT_LISTS(NEW_LIST)
#undef NEW_LIST
    r->ocr = g_array_new(FALSE, TRUE, sizeof(extract_ocr_page_t));
}

/* Frees everything and zeroes the struct, so a second clear is a no-op and
 * extract_result_init() makes it usable again. */
void
extract_result_clear(extract_result_t *r)
{
    if (!r)
        return;
#define FREE_STRING(f) g_free(r->f);
#define FREE_LIST(f) g_clear_pointer(&r->f, g_ptr_array_unref);
    RESULT_STRINGS(FREE_STRING)
    RESULT_LISTS(FREE_LIST)
#undef FREE_STRING
#undef FREE_LIST
    if (r->ocr)
        g_array_unref(r->ocr);
    memset(r, 0, sizeof(*r));
}

char *
extract_result_text(const extract_result_t *r)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; r->pages && i < r->pages->len; i++) {
        if (i > 0)
            g_string_append(s, "\n\n");
        g_string_append(s, g_ptr_array_index(r->pages, i));
    }
    return g_string_free(s, FALSE);
}

/* ------------------------------------------------------------- To JSON */

/* JSON strings must be UTF-8 and json-glib writes whatever it is given,
 * so a field copied raw from a document (a declared charset, say) would
 * make a reply the reader rejects.  Invalid sequences become U+FFFD. */
static void
add_utf8(JsonBuilder *b, const char *value)
{
    if (g_utf8_validate(value, -1, NULL)) {
        json_builder_add_string_value(b, value);
    } else {
        g_autofree char *valid = g_utf8_make_valid(value, -1);

        json_builder_add_string_value(b, valid);
    }
}

static void
add_string(JsonBuilder *b, const char *name, const char *value)
{
    json_builder_set_member_name(b, name);
    if (value)
        add_utf8(b, value);
    else
        json_builder_add_null_value(b);
}

static void
add_strings(JsonBuilder *b, const char *name, const GPtrArray *a)
{
    json_builder_set_member_name(b, name);
    json_builder_begin_array(b);
    for (guint i = 0; a && i < a->len; i++)
        add_utf8(b, g_ptr_array_index(a, i));
    json_builder_end_array(b);
}

/* Every field is written, NULL strings as null, so the reader can tell a
 * missing field (a broken peer) from an absent value. */
char *
extract_result_to_json(const extract_result_t *r, gsize *len)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;

    json_builder_begin_object(b);
#define ADD_STRING(f) add_string(b, #f, r->f);
#define ADD_LIST(f) add_strings(b, #f, r->f);
    RESULT_STRINGS(ADD_STRING)
    json_builder_set_member_name(b, "n_pages");
    json_builder_add_int_value(b, r->n_pages);
    RESULT_LISTS(ADD_LIST)
#undef ADD_STRING
#undef ADD_LIST
    json_builder_set_member_name(b, "ocr");
    json_builder_begin_array(b);
    for (guint i = 0; r->ocr && i < r->ocr->len; i++) {
        const extract_ocr_page_t *o =
            &g_array_index(r->ocr, extract_ocr_page_t, i);

        json_builder_begin_array(b);
        json_builder_add_int_value(b, o->page);
        json_builder_add_int_value(b, o->confidence);
        json_builder_add_boolean_value(b, o->cached);
        json_builder_end_array(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);

    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    return json_generator_to_data(gen, len);
}

/* ----------------------------------------------------------- From JSON */

static gboolean
fail(GError **error, const char *what)
{
    g_set_error(error, EXTRACT_ERROR, EXTRACT_ERROR_BACKEND,
                "malformed result from worker: %s", what);
    return FALSE;
}

/* Copies member @name of @obj into *@out: a string or null.  A missing
 * member or any other type is an error. */
static gboolean
get_string(JsonObject *obj, const char *name, char **out, GError **error)
{
    JsonNode *n = json_object_get_member(obj, name);

    if (!n)
        return fail(error, name);
    if (JSON_NODE_HOLDS_NULL(n))
        return TRUE;
    if (!JSON_NODE_HOLDS_VALUE(n) ||
        json_node_get_value_type(n) != G_TYPE_STRING)
        return fail(error, name);
    g_free(*out);
    *out = g_strdup(json_node_get_string(n));
    return TRUE;
}

static gboolean
get_strings(JsonObject *obj, const char *name, GPtrArray *out,
            GError **error)
{
    JsonNode *n = json_object_get_member(obj, name);
    JsonArray *a;

    if (!n || !JSON_NODE_HOLDS_ARRAY(n))
        return fail(error, name);
    a = json_node_get_array(n);
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonNode *e = json_array_get_element(a, i);

        if (!JSON_NODE_HOLDS_VALUE(e) ||
            json_node_get_value_type(e) != G_TYPE_STRING)
            return fail(error, name);
        g_ptr_array_add(out, g_strdup(json_node_get_string(e)));
    }
    return TRUE;
}

/* "ocr": [[page, confidence, cached], ...], compact because a scanned
 * book has hundreds. */
static gboolean
get_ocr(JsonObject *obj, GArray *out, GError **error)
{
    JsonNode *n = json_object_get_member(obj, "ocr");
    JsonArray *a;

    if (!n || !JSON_NODE_HOLDS_ARRAY(n))
        return fail(error, "ocr");
    a = json_node_get_array(n);
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonNode *e = json_array_get_element(a, i);
        JsonArray *t;
        extract_ocr_page_t o;

        if (!JSON_NODE_HOLDS_ARRAY(e))
            return fail(error, "ocr");
        t = json_node_get_array(e);
        if (json_array_get_length(t) != 3)
            return fail(error, "ocr");
        o.page = (guint)json_array_get_int_element(t, 0);
        o.confidence = (gint)json_array_get_int_element(t, 1);
        o.cached = json_array_get_boolean_element(t, 2);
        g_array_append_val(out, o);
    }
    return TRUE;
}

static gboolean
fill(extract_result_t *r, JsonNode *root, GError **error)
{
    JsonObject *obj;
    JsonNode *n;
    gint64 pages;

    if (!root || !JSON_NODE_HOLDS_OBJECT(root))
        return fail(error, "not an object");
    obj = json_node_get_object(root);
#define GET_STRING(f) !get_string(obj, #f, &r->f, error) ||
    if (RESULT_STRINGS(GET_STRING) FALSE)
        return FALSE;
#undef GET_STRING

    n = json_object_get_member(obj, "n_pages");
    if (!n || !JSON_NODE_HOLDS_VALUE(n) ||
        json_node_get_value_type(n) != G_TYPE_INT64)
        return fail(error, "n_pages");
    pages = json_node_get_int(n);
    if (pages < 0 || pages > G_MAXUINT)
        return fail(error, "n_pages");
    r->n_pages = (guint)pages;

#define GET_LIST(f) get_strings(obj, #f, r->f, error) &&
    return RESULT_LISTS(GET_LIST) get_ocr(obj, r->ocr, error);
#undef GET_LIST
}

/* Whatever @r held is replaced.  On failure @r is left cleared, as
 * extract_document() leaves its result, and the error is
 * EXTRACT_ERROR_BACKEND: a peer that sends this is broken, not the
 * document. */
gboolean
extract_result_from_json(extract_result_t *r, const char *json, gsize len,
                         GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    g_autoptr(GError) local = NULL;

    extract_result_clear(r);
    extract_result_init(r);
    /* json-glib takes a gssize; a longer buffer is not a reply we made. */
    if (len > G_MAXSSIZE) {
        extract_result_clear(r);
        return fail(error, "too long");
    }
    if (!json_parser_load_from_data(parser, json, (gssize)len, &local)) {
        extract_result_clear(r);
        return fail(error, local->message);
    }
    if (!fill(r, json_parser_get_root(parser), error)) {
        extract_result_clear(r);
        return FALSE;
    }
    return TRUE;
}
