/* qbench.c -- the load generator of scripts/bench/query: replays a fixed
 * list of request targets against ctmap-searchd over its Unix socket, or
 * in-process through the very handler the daemon calls (sd_api_handle(),
 * which parses, searches, counts facets and cuts snippets through
 * xapianc), from N client threads, and prints latency percentiles and
 * throughput.  The in-process run is the floor: the same work without
 * HTTP, the socket or the thread hand-off of libmicrohttpd.
 *
 * Usage: qbench --socket PATH | --index DIR  [--clients N] [--passes P]
 *               QUERIES
 * QUERIES holds one request target per line ("/search?q=..."); lines
 * starting with '#' are comments.  Each client makes one warm-up pass over
 * the list, then P timed passes, starting at a different line so that the
 * clients do not ask the same thing at the same moment.  Output, one line:
 *   mode clients requests errors p50_ms p95_ms p99_ms qps
 * With --each FILE, also writes each target's fastest timed latency (of
 * client 0), slowest first: "ms target" -- where the tail comes from.
 */
#include <curl/curl.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "searchd-int.h"

typedef struct {
    const char *socket;         /* NULL: in-process */
    sd_app_t *app;
    GPtrArray *targets;         /* (element-type utf8) */
    unsigned passes;
    unsigned first;             /* index of the first target */
    GArray *latencies;          /* (element-type double) ms, timed only */
    double *best;               /* per target: fastest timed latency, ms */
    unsigned errors;
    char *error;                /* first error, for the message */
} client_t;

static size_t
discard(char *ptr, size_t size, size_t n, void *rock)
{
    (void)ptr;
    (void)rock;
    return size * n;
}

static void
note_error(client_t *c, const char *target, const char *what, long status)
{
    c->errors++;
    if (!c->error)
        c->error = g_strdup_printf("%s: %s %ld", target, what, status);
}

/* One request; returns its latency in ms. */
static double
one_request(client_t *c, CURL *curl, const char *target)
{
    gint64 t0 = g_get_monotonic_time();

    if (curl) {
        char *url = g_strconcat("http://localhost", target, NULL);
        long status = 0;
        curl_easy_setopt(curl, CURLOPT_URL, url);
        CURLcode rc = curl_easy_perform(curl);
        if (rc != CURLE_OK)
            note_error(c, target, curl_easy_strerror(rc), rc);
        else if (curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status)
                     == CURLE_OK
                 && status != 200)
            note_error(c, target, "HTTP", status);
        g_free(url);
    } else {
        sd_reply_t reply = {0};
        sd_api_handle(c->app, "GET", target, &reply);
        if (reply.status != 200)
            note_error(c, target, "status", (long)reply.status);
        sd_reply_clear(&reply);
    }
    return (double)(g_get_monotonic_time() - t0) / 1000.0;
}

static gpointer
client_run(gpointer data)
{
    client_t *c = data;
    CURL *curl = NULL;
    guint n = c->targets->len;

    if (c->socket) {
        curl = curl_easy_init();
        if (!curl) {
            note_error(c, "curl", "curl_easy_init failed", 0);
            return NULL;
        }
        /* One kept-alive connection per client, as a website's backend
         * would hold. */
        curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, c->socket);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    }
    for (guint i = 0; i < n; i++)
        one_request(c, curl, g_ptr_array_index(c->targets, (c->first + i) % n));
    for (unsigned p = 0; p < c->passes; p++)
        for (guint i = 0; i < n; i++) {
            const char *t = g_ptr_array_index(c->targets, (c->first + i) % n);
            double ms = one_request(c, curl, t);
            guint k = (c->first + i) % n;
            g_array_append_val(c->latencies, ms);
            if (p == 0 || ms < c->best[k])
                c->best[k] = ms;
        }
    if (curl)
        curl_easy_cleanup(curl);
    return NULL;
}

static gint
cmp_double(gconstpointer a, gconstpointer b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double
percentile(const GArray *sorted, double p)
{
    if (sorted->len == 0)
        return 0;
    guint i = (guint)(p * (sorted->len - 1) + 0.5);
    return g_array_index(sorted, double, i);
}

typedef struct {
    double ms;
    const char *target;
} timing_t;

static gint
cmp_timing_desc(gconstpointer a, gconstpointer b)
{
    return cmp_double(&((const timing_t *)b)->ms, &((const timing_t *)a)->ms);
}

static gboolean
write_each(const char *path, const GPtrArray *targets, const double *best,
           GError **error)
{
    GArray *t = g_array_sized_new(FALSE, FALSE, sizeof(timing_t), targets->len);
    GString *out = g_string_new(NULL);

    for (guint i = 0; i < targets->len; i++) {
        timing_t one = {best[i], g_ptr_array_index(targets, i)};
        g_array_append_val(t, one);
    }
    g_array_sort(t, cmp_timing_desc);
    for (guint i = 0; i < t->len; i++)
        g_string_append_printf(out, "%.3f %s\n",
                               g_array_index(t, timing_t, i).ms,
                               g_array_index(t, timing_t, i).target);
    gboolean ok = g_file_set_contents(path, out->str, (gssize)out->len, error);
    g_string_free(out, TRUE);
    g_array_unref(t);
    return ok;
}

static GPtrArray *
read_targets(const char *path, GError **error)
{
    char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, error))
        return NULL;
    GPtrArray *targets = g_ptr_array_new_with_free_func(g_free);
    char **lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        char *line = g_strstrip(*l);
        if (*line && *line != '#')
            g_ptr_array_add(targets, g_strdup(line));
    }
    g_strfreev(lines);
    g_free(text);
    return targets;
}

int
main(int argc, char **argv)
{
    char *socket = NULL, *index = NULL, *each = NULL;
    int clients = 1, passes = 3;
    GOptionEntry entries[] = {
        {"socket", 0, 0, G_OPTION_ARG_FILENAME, &socket,
         "ctmap-searchd's socket", "PATH"},
        {"index", 0, 0, G_OPTION_ARG_FILENAME, &index,
         "Query this index in-process instead", "DIR"},
        {"clients", 0, 0, G_OPTION_ARG_INT, &clients,
         "Concurrent clients (default 1)", "N"},
        {"passes", 0, 0, G_OPTION_ARG_INT, &passes,
         "Timed passes over the list per client (default 3)", "P"},
        {"each", 0, 0, G_OPTION_ARG_FILENAME, &each,
         "Write each query's fastest latency here, slowest first", "FILE"},
        {NULL, 0, 0, 0, NULL, NULL, NULL}};
    GError *error = NULL;
    GOptionContext *ctx = g_option_context_new("QUERIES");
    int rc = 0;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error) || argc != 2
        || !socket == !index || clients < 1 || passes < 1) {
        fprintf(stderr, "qbench: %s\n",
                error ? error->message
                      : "usage: qbench --socket PATH | --index DIR "
                        "[--clients N] [--passes P] QUERIES");
        g_clear_error(&error);
        g_option_context_free(ctx);
        return 2;
    }
    g_option_context_free(ctx);

    GPtrArray *targets = read_targets(argv[1], &error);
    if (!targets || targets->len == 0) {
        fprintf(stderr, "qbench: %s: %s\n", argv[1],
                error ? error->message : "no queries");
        g_clear_error(&error);
        if (targets)
            g_ptr_array_unref(targets);
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    sd_app_t app = {index ? sd_index_new(index, NULL) : NULL, NULL};
    client_t *c = g_new0(client_t, clients);
    GThread **threads = g_new0(GThread *, clients);
    gint64 t0 = g_get_monotonic_time();
    for (int i = 0; i < clients; i++) {
        c[i].socket = socket;
        c[i].app = &app;
        c[i].targets = targets;
        c[i].passes = (unsigned)passes;
        c[i].first = (unsigned)i * targets->len / (unsigned)clients;
        c[i].latencies = g_array_new(FALSE, FALSE, sizeof(double));
        c[i].best = g_new0(double, targets->len);
        threads[i] = g_thread_new("qbench", client_run, &c[i]);
    }
    GArray *all = g_array_new(FALSE, FALSE, sizeof(double));
    unsigned errors = 0;
    double timed_ms = 0;
    for (int i = 0; i < clients; i++) {
        g_thread_join(threads[i]);
        g_array_append_vals(all, c[i].latencies->data, c[i].latencies->len);
        errors += c[i].errors;
        if (c[i].error) {
            fprintf(stderr, "qbench: client %d: %u errors, first: %s\n", i,
                    c[i].errors, c[i].error);
            g_free(c[i].error);
        }
        for (guint k = 0; k < c[i].latencies->len; k++)
            timed_ms += g_array_index(c[i].latencies, double, k);
        g_array_unref(c[i].latencies);
    }
    double wall_s = (double)(g_get_monotonic_time() - t0) / 1e6;
    if (each && !write_each(each, targets, c[0].best, &error)) {
        fprintf(stderr, "qbench: %s\n", error->message);
        g_clear_error(&error);
        rc = 1;
    }
    for (int i = 0; i < clients; i++)
        g_free(c[i].best);
    g_array_sort(all, cmp_double);
    /* QPS over the timed requests: their summed latency spread over the
     * clients, which leaves out the warm-up pass. */
    double busy_s = timed_ms / 1000.0 / clients;
    printf("%s %d %u %u %.3f %.3f %.3f %.1f\n", socket ? "socket" : "inproc",
           clients, all->len, errors, percentile(all, 0.50),
           percentile(all, 0.95), percentile(all, 0.99),
           busy_s > 0 ? all->len / busy_s : 0.0);
    fprintf(stderr, "qbench: %s, %d clients, %u requests in %.1f s\n",
            socket ? socket : index, clients, all->len, wall_s);
    if (errors)
        rc = 1;
    g_array_unref(all);
    g_free(threads);
    g_free(c);
    sd_index_free(app.index);
    g_ptr_array_unref(targets);
    curl_global_cleanup();
    g_free(socket);
    g_free(index);
    g_free(each);
    return rc;
}
