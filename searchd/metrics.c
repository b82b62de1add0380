/* metrics.c -- GET /metrics: the daemon's counters (requests by endpoint
 * and status, a latency histogram per endpoint, busy refusals, timeouts)
 * and the state of the index, in the Prometheus text exposition format
 * (version 0.0.4).
 *
 * The counters are process-wide: both listeners (Unix socket and
 * --listen) and every worker thread add to them under one mutex, held
 * for a few increments per request, which is nothing next to a search.
 * The index gauges come from the /stats object (api.c), so that /stats
 * and /metrics cannot disagree on what the index holds. */
#include <string.h>

#include "searchd-int.h"

/* Upper bounds of the latency buckets, in seconds: from a cached
 * suggestion (well under a millisecond) to the 1 s search budget and
 * past it. */
static const double buckets[] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
    2.5,
};
#define N_BUCKETS G_N_ELEMENTS(buckets)

/* One endpoint's counts.  Keyed by the endpoint name, a static string
 * (api.c's route paths, "page" for the search page's files, "refused"
 * for requests refused before routing, "other" for unknown paths), so
 * there are a handful. */
typedef struct {
    const char *endpoint;
    GArray *statuses;           /* status_count_t, in order of first use */
    guint64 in_bucket[N_BUCKETS + 1];   /* the last one is +Inf */
    guint64 count;
    double sum;
} endpoint_t;

typedef struct {
    unsigned status;
    guint64 n;
} status_count_t;

static GMutex lock;
static GPtrArray *endpoints;    /* endpoint_t, owned; under lock */
static guint64 busy_total;      /* under lock */
static guint64 timeout_total;   /* under lock */

static endpoint_t *
endpoint_get(const char *name)
{
    endpoint_t *e;
    guint i;

    if (!endpoints)
        endpoints = g_ptr_array_new();
    for (i = 0; i < endpoints->len; i++) {
        e = g_ptr_array_index(endpoints, i);
        if (g_str_equal(e->endpoint, name))
            return e;
    }
    e = g_new0(endpoint_t, 1);
    e->endpoint = name;
    e->statuses = g_array_new(FALSE, TRUE, sizeof(status_count_t));
    g_ptr_array_add(endpoints, e);
    return e;
}

void
sd_metrics_observe(const sd_reply_t *reply, double seconds)
{
    const char *name = reply->endpoint ? reply->endpoint : "other";
    endpoint_t *e;
    size_t b;
    guint i;

    g_mutex_lock(&lock);
    e = endpoint_get(name);
    for (i = 0; i < e->statuses->len; i++)
        if (g_array_index(e->statuses, status_count_t, i).status
            == reply->status)
            break;
    if (i == e->statuses->len) {
        status_count_t sc = {reply->status, 0};

        g_array_append_val(e->statuses, sc);
    }
    g_array_index(e->statuses, status_count_t, i).n++;
    for (b = 0; b < N_BUCKETS && seconds > buckets[b]; b++)
        ;
    e->in_bucket[b]++;
    e->count++;
    e->sum += seconds;
    if (reply->error_code && g_str_equal(reply->error_code,
                                         sd_error_code(SD_ERROR_BUSY)))
        busy_total++;
    if (reply->error_code && g_str_equal(reply->error_code,
                                         sd_error_code(SD_ERROR_TIMEOUT)))
        timeout_total++;
    g_mutex_unlock(&lock);
}

/* Prometheus wants "." as the decimal separator whatever the locale;
 * nine significant digits print bucket bounds as written ("0.0005"),
 * where the shortest round-trip form gave 0.00050000000000000001. */
static void
append_double(GString *out, double v)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];

    g_string_append(out, g_ascii_formatd(buf, sizeof(buf), "%.9g", v));
}

static void
header(GString *out, const char *name, const char *type, const char *help)
{
    g_string_append_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
                           name, type);
}

/* Label values are route paths and slugs from the vocabularies; the
 * format still wants '\\', '"' and newlines escaped, so they are. */
static void
append_label(GString *out, const char *value)
{
    const char *p;

    for (p = value; *p; p++) {
        if (*p == '\\' || *p == '"')
            g_string_append_c(out, '\\');
        if (*p == '\n')
            g_string_append(out, "\\n");
        else
            g_string_append_c(out, *p);
    }
}

static void
render_requests(GString *out)
{
    guint i, j;
    size_t b;

    header(out, "ctmap_requests_total", "counter",
           "HTTP requests answered, by endpoint and status.");
    for (i = 0; endpoints && i < endpoints->len; i++) {
        endpoint_t *e = g_ptr_array_index(endpoints, i);

        for (j = 0; j < e->statuses->len; j++) {
            status_count_t *sc = &g_array_index(e->statuses, status_count_t,
                                                 j);

            g_string_append(out, "ctmap_requests_total{endpoint=\"");
            append_label(out, e->endpoint);
            g_string_append_printf(out, "\",status=\"%u\"} %"
                                   G_GUINT64_FORMAT "\n", sc->status, sc->n);
        }
    }
    header(out, "ctmap_request_duration_seconds", "histogram",
           "Time from the request line to the reply being queued.");
    for (i = 0; endpoints && i < endpoints->len; i++) {
        endpoint_t *e = g_ptr_array_index(endpoints, i);
        guint64 cumulative = 0;

        for (b = 0; b <= N_BUCKETS; b++) {
            cumulative += e->in_bucket[b];
            g_string_append(out,
                            "ctmap_request_duration_seconds_bucket"
                            "{endpoint=\"");
            append_label(out, e->endpoint);
            g_string_append(out, "\",le=\"");
            if (b < N_BUCKETS)
                append_double(out, buckets[b]);
            else
                g_string_append(out, "+Inf");
            g_string_append_printf(out, "\"} %" G_GUINT64_FORMAT "\n",
                                   cumulative);
        }
        g_string_append(out, "ctmap_request_duration_seconds_sum"
                        "{endpoint=\"");
        append_label(out, e->endpoint);
        g_string_append(out, "\"} ");
        append_double(out, e->sum);
        g_string_append(out, "\nctmap_request_duration_seconds_count"
                        "{endpoint=\"");
        append_label(out, e->endpoint);
        g_string_append_printf(out, "\"} %" G_GUINT64_FORMAT "\n", e->count);
    }
    header(out, "ctmap_busy_rejections_total", "counter",
           "Requests refused with 503 busy (too many at once).");
    g_string_append_printf(out, "ctmap_busy_rejections_total %"
                           G_GUINT64_FORMAT "\n", busy_total);
    header(out, "ctmap_timeouts_total", "counter",
           "Searches refused with 503 timeout (over their time budget).");
    g_string_append_printf(out, "ctmap_timeouts_total %" G_GUINT64_FORMAT
                           "\n", timeout_total);
}

/* One gauge per member of the /stats object @counts ({"entry": 12}),
 * labelled @label="member". */
static void
render_counts(GString *out, const char *name, const char *label,
              JsonObject *counts)
{
    g_autoptr(GList) members = counts ? json_object_get_members(counts)
                                      : NULL;
    GList *l;

    for (l = members; l; l = l->next) {
        g_string_append_printf(out, "%s{%s=\"", name, label);
        append_label(out, l->data);
        g_string_append_printf(out, "\"} %" G_GINT64_FORMAT "\n",
                               json_object_get_int_member(counts, l->data));
    }
}

/* Seconds since the last run that changed the index finished (its
 * report summary, kept in the index), or -1 when unknown. */
static double
index_age(JsonObject *stats)
{
    JsonObject *last = NULL;
    const char *finished;
    g_autoptr(GDateTime) when = NULL;
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();

    if (json_object_has_member(stats, "last_run")
        && JSON_NODE_HOLDS_OBJECT(json_object_get_member(stats, "last_run")))
        last = json_object_get_object_member(stats, "last_run");
    finished = last ? json_object_get_string_member_with_default(
                          last, "finished", NULL) : NULL;
    when = finished ? g_date_time_new_from_iso8601(finished, NULL) : NULL;
    if (!when)
        return -1;
    return g_date_time_difference(now, when) / (double)G_USEC_PER_SEC;
}

/* One gauge per shard of a stub index, from /stats' "shards" (shards.c):
 * 1 when it answered its last request, 0 while it is left out -- so an
 * alert can name the shard, not only see answers go partial.  Nothing
 * for a single index. */
static void
render_shards(GString *out, JsonObject *stats)
{
    JsonObject *shards = NULL;
    JsonArray *each = NULL;
    guint i;

    if (json_object_has_member(stats, "shards")
        && JSON_NODE_HOLDS_OBJECT(json_object_get_member(stats, "shards")))
        shards = json_object_get_object_member(stats, "shards");
    if (shards && json_object_has_member(shards, "each")
        && JSON_NODE_HOLDS_ARRAY(json_object_get_member(shards, "each")))
        each = json_object_get_array_member(shards, "each");
    if (!each)
        return;
    header(out, "ctmap_shards", "gauge",
           "Shards the stub index names.");
    g_string_append_printf(out, "ctmap_shards %u\n",
                           json_array_get_length(each));
    header(out, "ctmap_shard_up", "gauge",
           "1 when the shard (its stub line's address or path) answers, "
           "0 while searches go without it.");
    for (i = 0; i < json_array_get_length(each); i++) {
        JsonObject *s = json_array_get_object_element(each, i);
        const char *where = s ? json_object_get_string_member_with_default(
                                    s, "shard", NULL) : NULL;
        const char *state = s ? json_object_get_string_member_with_default(
                                    s, "state", NULL) : NULL;

        if (!where || !state)
            continue;
        g_string_append(out, "ctmap_shard_up{shard=\"");
        append_label(out, where);
        g_string_append_printf(out, "\"} %d\n", g_str_equal(state, "up"));
    }
}

static void
render_index(GString *out, JsonNode *stats_node, guint reopens)
{
    JsonObject *stats = stats_node && JSON_NODE_HOLDS_OBJECT(stats_node)
                        ? json_node_get_object(stats_node) : NULL;

    header(out, "ctmap_index_up", "gauge",
           "1 when the index is open and readable, 0 when there is none.");
    g_string_append_printf(out, "ctmap_index_up %d\n", stats != NULL);
    header(out, "ctmap_index_reopens_total", "counter",
           "Times the daemon saw a new index revision (or SIGHUP) and "
           "had its threads reopen.");
    g_string_append_printf(out, "ctmap_index_reopens_total %u\n", reopens);
    if (!stats)
        return;
    header(out, "ctmap_index_revision", "gauge",
           "Revision of the index being served.");
    g_string_append_printf(out, "ctmap_index_revision %" G_GINT64_FORMAT
                           "\n", json_object_get_int_member(stats,
                                                            "revision"));
    header(out, "ctmap_documents", "gauge",
           "Documents in the index, by type.");
    render_counts(out, "ctmap_documents", "type",
                  json_object_get_object_member(stats, "by_type"));
    header(out, "ctmap_documents_by_status", "gauge",
           "Documents in the index, by status.");
    render_counts(out, "ctmap_documents_by_status", "status",
                  json_object_get_object_member(stats, "by_status"));
    header(out, "ctmap_index_age_seconds", "gauge",
           "Seconds since the last indexer run that changed the index "
           "finished (-1: unknown).");
    g_string_append(out, "ctmap_index_age_seconds ");
    append_double(out, index_age(stats));
    g_string_append_c(out, '\n');    render_shards(out, stats);
}

void
sd_metrics_reply(JsonNode *stats, guint reopens, sd_reply_t *reply)
{
    GString *out = g_string_new(NULL);

    g_mutex_lock(&lock);
    render_requests(out);
    g_mutex_unlock(&lock);
    render_index(out, stats, reopens);
    reply->status = 200;
    reply->content_type = SD_METRICS_TYPE;
    reply->len = out->len;
    reply->body = g_string_free(out, FALSE);
}
