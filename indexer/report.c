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

static void
add_count(JsonBuilder *b, const char *name, gint64 n)
{
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, n);
}

/* What a curator needs to chase a document: every URL it is known by,
 * when it was last fetched, and the page it was found on. */
static void
add_document_fields(JsonBuilder *b, const ix_source_t *src)
{
    json_builder_set_member_name(b, "urls");
    json_builder_begin_array(b);
    for (guint u = 0; u < src->urls->len; u++)
        json_builder_add_string_value(b, g_ptr_array_index(src->urls, u));
    json_builder_end_array(b);
    if (src->fetched_at)
        add_time(b, "fetched_at", src->fetched_at * G_USEC_PER_SEC);
    if (src->found_on) {
        json_builder_set_member_name(b, "found_on");
        json_builder_add_string_value(b, src->found_on);
    }
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
        add_count(b, g_ptr_array_index(order, i),
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
    add_count(b, "entries", plan->n_entries);
    add_count(b, "documents", plan->n_documents);
    json_builder_set_member_name(b, "counts");
    json_builder_begin_object(b);
    for (guint s = 0; s < IX_STATUS_N; s++)
        add_count(b, ix_status_name(s), by_status[s]);
    json_builder_end_object(b);
    add_count(b, "added", counts->added);
    add_count(b, "updated", counts->updated);
    add_count(b, "unchanged", counts->unchanged);
    add_count(b, "deleted", counts->deleted);
    add_count(b, "failed", failed);
    add_count(b, "warnings", plan->warnings->len);
    add_editions(b, plan);
    json_builder_end_object(b);

    json_builder_set_member_name(b, "sources");
    json_builder_begin_array(b);
    for (guint i = 0; i < plan->sources->len; i++) {
        const ix_source_t *src = g_ptr_array_index(plan->sources, i);
        gboolean entry = src->type == IX_SOURCE_ENTRY;

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "id");
        json_builder_add_string_value(b, src->id);
        json_builder_set_member_name(b, "type");
        json_builder_add_string_value(b, ix_type_name(src->type));
        json_builder_set_member_name(b, "url");
        if (src->url)
            json_builder_add_string_value(b, src->url);
        else
            json_builder_add_null_value(b);
        json_builder_set_member_name(b, "title");
        json_builder_add_string_value(b, src->title ? src->title : "");
        json_builder_set_member_name(b, "status");
        json_builder_add_string_value(b, ix_status_name(src->status));
        json_builder_set_member_name(b, "reason");
        if (src->reason)
            json_builder_add_string_value(b, src->reason);
        else
            json_builder_add_null_value(b);
        json_builder_set_member_name(b, entry ? "cites" : "cited_by");
        json_builder_begin_array(b);
        for (guint l = 0; l < src->links->len; l++)
            json_builder_add_string_value(b,
                                          g_ptr_array_index(src->links, l));
        json_builder_end_array(b);
        if (entry) {
            json_builder_set_member_name(b, "edition");
            json_builder_add_string_value(b,
                                          src->edition ? src->edition : "");
        } else {
            add_document_fields(b, src);
        }
        json_builder_end_object(b);
    }
    json_builder_end_array(b);

    json_builder_set_member_name(b, "warnings");
    json_builder_begin_array(b);
    for (guint i = 0; i < plan->warnings->len; i++)
        json_builder_add_string_value(b, g_ptr_array_index(plan->warnings, i));
    json_builder_end_array(b);
    if (changes) {
        json_builder_set_member_name(b, "changes");
        json_builder_add_value(b, json_node_copy(changes));
    }
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

gboolean
ix_report_write(JsonNode *report, const char *path, GError **error)
{
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autofree char *text = NULL;
    g_autoptr(GError) local = NULL;

    json_generator_set_root(gen, report);
    json_generator_set_pretty(gen, TRUE);
    text = json_generator_to_data(gen, NULL);
    /* g_file_set_contents writes a temporary file and renames it, so a
     * reader never sees half a report. */
    if (!g_file_set_contents(path, text, -1, &local)) {
        g_set_error(error, IX_ERROR, IX_ERROR_IO, "cannot write report: %s",
                    local->message);
        return FALSE;
    }
    return TRUE;
}
