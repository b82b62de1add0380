/* metrics.c -- the run summary as a node-exporter textfile
 * (--metrics-file): when the last run started and ended, its exit code,
 * its sources by status and its changes to the index, so that a timer run
 * that failed, or that stopped running, can be alerted on.
 *
 * The numbers come from the report's summary (report.c), so the textfile
 * and report.json cannot disagree.  node-exporter reads the directory at
 * every scrape: the file is replaced whole (g_file_set_contents() writes
 * a temporary file and renames it), never seen half-written. */
#include <string.h>

#include "indexer.h"

static void
gauge(GString *out, const char *name, const char *help)
{
    g_string_append_printf(out, "# HELP %s %s\n# TYPE %s gauge\n", name,
                           help, name);
}

/* Prometheus wants '.' as the decimal point whatever the locale. */
static void
append_seconds(GString *out, const char *name, gint64 usec)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];

    g_string_append_printf(out, "%s %s\n", name,
                           g_ascii_dtostr(buf, sizeof(buf),
                                          usec / (double)G_USEC_PER_SEC));
}

/* One line per member of @counts, labelled @label="member". */
static void
append_counts(GString *out, const char *name, const char *label,
              JsonObject *counts, const char *const *members)
{
    for (guint i = 0; members[i]; i++)
        g_string_append_printf(
            out, "%s{%s=\"%s\"} %" G_GINT64_FORMAT "\n", name, label,
            members[i],
            json_object_get_int_member_with_default(counts, members[i], 0));
}

gboolean
ix_metrics_write(const char *path, JsonNode *report, gint64 started,
                 gint64 finished, int exit_code, GError **error)
{
    /* The members of the summary that count changes to the index. */
    static const char *const changes[] = {
        "added", "updated", "unchanged", "deleted", NULL
    };
    g_autoptr(GString) out = g_string_new(NULL);
    JsonObject *summary = NULL;

    if (report && JSON_NODE_HOLDS_OBJECT(report))
        summary = json_object_get_object_member(
            json_node_get_object(report), "summary");
    gauge(out, "ctmap_indexer_last_run_start_timestamp_seconds",
          "When the last ctmap-indexer run started (Unix time).");
    append_seconds(out, "ctmap_indexer_last_run_start_timestamp_seconds",
                   started);
    gauge(out, "ctmap_indexer_last_run_end_timestamp_seconds",
          "When the last ctmap-indexer run ended (Unix time).");
    append_seconds(out, "ctmap_indexer_last_run_end_timestamp_seconds",
                   finished);
    gauge(out, "ctmap_indexer_last_run_exit_code",
          "Exit code of the last run: 0 done, 1 index not updated, "
          "2 bad arguments.");
    g_string_append_printf(out, "ctmap_indexer_last_run_exit_code %d\n",
                           exit_code);
    /* A run that stopped before it planned anything has no counts: the
     * lines are left out rather than reported as zeros. */
    if (summary) {
        const char *statuses[IX_STATUS_N + 1];

        for (guint s = 0; s < IX_STATUS_N; s++)
            statuses[s] = ix_status_name(s);
        statuses[IX_STATUS_N] = NULL;
        gauge(out, "ctmap_indexer_last_run_sources",
              "Sources of the last run, by status.");
        append_counts(out, "ctmap_indexer_last_run_sources", "status",
                      json_object_get_object_member(summary, "counts"),
                      statuses);
        gauge(out, "ctmap_indexer_last_run_documents",
              "Documents the last run added to, updated in, left unchanged "
              "in and deleted from the index.");
        append_counts(out, "ctmap_indexer_last_run_documents", "change",
                      summary, changes);
    }
    return g_file_set_contents(path, out->str, (gssize)out->len, error);
}
