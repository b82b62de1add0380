/* report.c -- var/report.json: what a run did and, for every source, its
 * status and the reason it has no text, for curators and the mapping's
 * editors.
 */
#include <errno.h>
#include <string.h>

#include "indexer-int.h"

void
ix__json_add_string(JsonBuilder *b, const char *name, const char *value)
{
    json_builder_set_member_name(b, name);
    if (value)
        json_builder_add_string_value(b, value);
    else
        json_builder_add_null_value(b);
}

void
ix__json_add_int(JsonBuilder *b, const char *name, gint64 value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, value);
}

void
ix__json_add_strings(JsonBuilder *b, const char *name,
                     const GPtrArray *values)
{
    json_builder_set_member_name(b, name);
    json_builder_begin_array(b);
    for (guint i = 0; values && i < values->len; i++)
        json_builder_add_string_value(b, g_ptr_array_index(values, i));
    json_builder_end_array(b);
}

char *
ix__json_member_string(JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);

    if (!n || !JSON_NODE_HOLDS_VALUE(n)
        || json_node_get_value_type(n) != G_TYPE_STRING)
        return NULL;
    return g_strdup(json_node_get_string(n));
}

char *
ix__iso_time(gint64 unix_seconds)
{
    g_autoptr(GDateTime) t = unix_seconds
        ? g_date_time_new_from_unix_utc(unix_seconds) : NULL;

    return t ? g_date_time_format_iso8601(t) : NULL;
}

static void
add_time(JsonBuilder *b, const char *name, gint64 usec)
{
    g_autofree char *iso = ix__iso_time(usec / G_USEC_PER_SEC);

    json_builder_set_member_name(b, name);
    json_builder_add_string_value(b, iso ? iso : "");
}

/* What a curator needs to chase a document: every URL it is known by,
 * when it was last fetched, and the page it was found on. */
static void
add_document_fields(JsonBuilder *b, const ix_source_t *src)
{
    ix__json_add_strings(b, "urls", src->urls);
    if (src->fetched_at)
        add_time(b, "fetched_at", src->fetched_at * G_USEC_PER_SEC);
    if (src->found_on)
        ix__json_add_string(b, "found_on", src->found_on);
}

/* A document's coverage: how much of it the index can read. */
static void
add_coverage(JsonBuilder *b, const ix_source_t *src)
{
    json_builder_set_member_name(b, "coverage");
    json_builder_begin_object(b);
    ix__json_add_int(b, "pages", src->pages_total);
    ix__json_add_int(b, "pages_with_text", src->pages_text);
    ix__json_add_int(b, "pages_ocr", src->ocr ? src->ocr->len : 0);
    ix__json_add_string(b, "lang", src->lang);
    json_builder_set_member_name(b, "suspect");
    json_builder_begin_array(b);
    for (guint s = 0; s < EXTRACT_SUSPECT_N; s++)
        if (src->suspect & (1u << s))
            json_builder_add_string_value(b, extract_suspect_name(s));
    json_builder_end_array(b);
    json_builder_end_object(b);
}

/* The run's coverage: over the documents extracted in this run, how many
 * pages there were, had text, were OCR'd, and how many documents have no
 * text or suspicious text, by kind. */
static void
add_coverage_summary(JsonBuilder *b, const ix_plan_t *plan)
{
    guint docs = 0, pages = 0, with_text = 0, ocr = 0, empty = 0;
    guint suspect[EXTRACT_SUSPECT_N] = { 0 };

    for (guint i = 0; i < plan->sources->len; i++) {
        const ix_source_t *src = g_ptr_array_index(plan->sources, i);

        if (!src->coverage_known)
            continue;
        docs++;
        pages += src->pages_total;
        with_text += src->pages_text;
        ocr += src->ocr ? src->ocr->len : 0;
        empty += src->pages_text == 0;
        for (guint s = 0; s < EXTRACT_SUSPECT_N; s++)
            suspect[s] += (src->suspect >> s) & 1;
    }
    json_builder_set_member_name(b, "coverage");
    json_builder_begin_object(b);
    ix__json_add_int(b, "extracted", docs);
    ix__json_add_int(b, "pages", pages);
    ix__json_add_int(b, "pages_with_text", with_text);
    ix__json_add_int(b, "pages_ocr", ocr);
    ix__json_add_int(b, "without_text", empty);
    for (guint s = 0; s < EXTRACT_SUSPECT_N; s++)
        ix__json_add_int(b, extract_suspect_name(s), suspect[s]);
    json_builder_end_object(b);
}

/* Entries per edition, so a curator sees at a glance what each mapping
 * file contributed. */
static void
add_editions(JsonBuilder *b, const ix_plan_t *plan)
{
    g_autoptr(GHashTable) n = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GPtrArray) order = g_ptr_array_new();

    for (guint i = 0; i < plan->sources->len; i++) {
        const ix_source_t *src = g_ptr_array_index(plan->sources, i);
        guint count;

        if (src->type != IX_SOURCE_ENTRY || !src->edition)
            continue;
        count = GPOINTER_TO_UINT(g_hash_table_lookup(n, src->edition));
        if (!count)
            g_ptr_array_add(order, src->edition);
        g_hash_table_insert(n, src->edition, GUINT_TO_POINTER(count + 1));
    }
    json_builder_set_member_name(b, "editions");
    json_builder_begin_object(b);
    for (guint i = 0; i < order->len; i++)
        ix__json_add_int(b, g_ptr_array_index(order, i),
                  GPOINTER_TO_UINT(g_hash_table_lookup(
                      n, g_ptr_array_index(order, i))));
    json_builder_end_object(b);
}

JsonNode *
ix_report_build(const ix_plan_t *plan, const ix_counts_t *counts,
                JsonNode *changes, gint64 started, gint64 finished)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    guint by_status[IX_STATUS_N] = { 0 };
    guint failed;

    for (guint i = 0; i < plan->sources->len; i++) {
        const ix_source_t *src = g_ptr_array_index(plan->sources, i);

        if ((unsigned)src->status < IX_STATUS_N)
            by_status[src->status]++;
    }

    failed = by_status[IX_STATUS_UNREACHABLE]
             + by_status[IX_STATUS_UNSUPPORTED]
             + by_status[IX_STATUS_TOO_LARGE] + by_status[IX_STATUS_BROKEN];
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "summary");
    json_builder_begin_object(b);
    add_time(b, "started", started);
    add_time(b, "finished", finished);
    json_builder_set_member_name(b, "seconds");
    json_builder_add_double_value(b, (finished - started) / 1e6);
    ix__json_add_int(b, "entries", plan->n_entries);
    ix__json_add_int(b, "documents", plan->n_documents);
    json_builder_set_member_name(b, "counts");
    json_builder_begin_object(b);
    for (guint s = 0; s < IX_STATUS_N; s++)
        ix__json_add_int(b, ix_status_name(s), by_status[s]);
    json_builder_end_object(b);
    ix__json_add_int(b, "added", counts->added);
    ix__json_add_int(b, "updated", counts->updated);
    ix__json_add_int(b, "unchanged", counts->unchanged);
    ix__json_add_int(b, "deleted", counts->deleted);
    ix__json_add_int(b, "failed", failed);
    ix__json_add_int(b, "warnings", plan->warnings->len);
    add_editions(b, plan);
    add_coverage_summary(b, plan);
    json_builder_end_object(b);

    json_builder_set_member_name(b, "sources");
    json_builder_begin_array(b);
    for (guint i = 0; i < plan->sources->len; i++) {
        const ix_source_t *src = g_ptr_array_index(plan->sources, i);
        gboolean entry = src->type == IX_SOURCE_ENTRY;

        json_builder_begin_object(b);
        ix__json_add_string(b, "id", src->id);
        ix__json_add_string(b, "type", ix_type_name(src->type));
        ix__json_add_string(b, "url", src->url);
        ix__json_add_string(b, "title", src->title ? src->title : "");
        ix__json_add_string(b, "status", ix_status_name(src->status));
        ix__json_add_string(b, "reason", src->reason);
        ix__json_add_strings(b, entry ? "cites" : "cited_by", src->links);
        if (entry) {
            ix__json_add_string(b, "edition",
                                src->edition ? src->edition : "");
        } else {
            add_document_fields(b, src);
            if (src->coverage_known)
                add_coverage(b, src);
        }
        json_builder_end_object(b);
    }
    json_builder_end_array(b);

    ix__json_add_strings(b, "warnings", plan->warnings);
    if (changes) {
        json_builder_set_member_name(b, "changes");
        json_builder_add_value(b, json_node_copy(changes));
    }
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

gboolean
ix__json_save(JsonNode *root, const char *path, const char *what,
              GError **error)
{
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autofree char *text = NULL;
    g_autoptr(GError) local = NULL;

    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, TRUE);
    text = json_generator_to_data(gen, NULL);
    /* g_file_set_contents writes a temporary file and renames it, so a
     * reader never sees half a file. */
    if (!g_file_set_contents(path, text, -1, &local)) {
        g_set_error(error, IX_ERROR, IX_ERROR_IO, "%s: %s", what,
                    local->message);
        return FALSE;
    }
    return TRUE;
}

gboolean
ix_report_write(JsonNode *report, const char *path, GError **error)
{
    return ix__json_save(report, path, "cannot write report", error);
}
