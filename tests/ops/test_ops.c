/* test_ops.c -- ctmap-searchd as systemd runs it: socket-activated by
 * the real systemd-socket-activate (LISTEN_FDS), readiness and state on
 * a NOTIFY_SOCKET this test binds, and GET /metrics as Prometheus
 * scrapes it.  The fixtures (a real index, the real daemon, HTTP over
 * its socket) are the searchd suite's. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "helpers.h"

TestSuite(systemd, .init = fx_init, .fini = fx_fini, .timeout = 60);
TestSuite(metrics, .init = fx_init, .fini = fx_fini, .timeout = 60);

/* ---------------------------------------------------------------- notify */

/* Binds a datagram socket in fx.dir, as systemd's notify socket is;
 * *@path receives its path. */
static int
notify_bind(char **path)
{
    struct sockaddr_un sun;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    cr_assert_geq(fd, 0);
    *path = g_build_filename(fx.dir, "notify.sock", NULL);
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    g_strlcpy(sun.sun_path, *path, sizeof(sun.sun_path));
    cr_assert_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    return fd;
}

/* Reads datagrams for at most @ms until one holds the line @want;
 * returns that datagram (transfer full), or NULL; *@seen collects every
 * datagram read, for the failure message. */
static char *
notify_wait(int fd, const char *want, int ms, GString *seen)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)ms * 1000;

    for (;;) {
        int left = (int)((deadline - g_get_monotonic_time()) / 1000);
        struct pollfd p = {fd, POLLIN, 0};
        char buf[4096];
        ssize_t n;
        g_auto(GStrv) lines = NULL;

        if (left <= 0 || poll(&p, 1, left) <= 0)
            return NULL;
        n = recv(fd, buf, sizeof(buf) - 1, 0);
        if (n <= 0)
            return NULL;
        buf[n] = '\0';
        g_string_append_printf(seen, "[%s] ", buf);
        lines = g_strsplit(buf, "\n", -1);
        for (guint i = 0; lines[i]; i++)
            if (g_str_equal(lines[i], want))
                return g_strdup(buf);
    }
}

/* Starts ctmap-searchd under systemd-socket-activate on fx.sock, with
 * NOTIFY_SOCKET=@notify.  The tool binds the socket, waits for the first
 * connection and execs the daemon in its own process, with LISTEN_FDS=1
 * and LISTEN_PID its pid: fx.pid is the daemon. */
static void
start_activated(const char *notify)
{
    g_autofree char *env = g_strdup_printf("NOTIFY_SOCKET=%s", notify);
    const char *argv[] = {
        "systemd-socket-activate", "-l", fx.sock, "-E", env,
        CTMAP_SEARCHD_BIN, "--data-dir", fx.dir, "--threads", "2", NULL
    };
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    struct stat st;

    fx_spawn(argv);
    /* The file appears at bind(), before listen(): a connection then is
     * refused.  The tool says "Listening on" once it listens. */
    for (;;) {
        g_autofree char *log = NULL;

        if (stat(fx.sock, &st) == 0
            && g_file_get_contents(fx.log, &log, NULL, NULL)
            && strstr(log, "Listening on"))
            return;
        cr_assert_lt(g_get_monotonic_time(), deadline,
                     "systemd-socket-activate did not listen on %s",
                     fx.sock);
        g_usleep(10000);
    }
}

Test(systemd, socket_activated_daemon_answers_and_leaves_the_socket)
{
    g_autofree char *notify = NULL;
    g_autofree char *ready = NULL;
    g_autofree char *log = NULL;
    g_autoptr(GString) seen = g_string_new(NULL);
    int nfd = notify_bind(&notify);
    fx_http_t r;
    struct stat st;

    fx_index(fx_corpus, fx_corpus_len);
    start_activated(notify);
    /* The first connection starts the daemon; it waits in the socket's
     * backlog meanwhile, and is answered. */
    fx_get("/search?q=prisoners", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_gt(json_object_get_int_member(fx_obj(r.json), "total"), 0);
    fx_http_clear(&r);
    ready = notify_wait(nfd, "READY=1", 5000, seen);
    cr_assert_not_null(ready, "no READY=1; got %s", seen->str);
    cr_assert(strstr(ready, "STATUS=serving index revision "), "%s", ready);

    cr_assert_eq(fx_stop(), 0);
    /* The socket belongs to whoever bound it (the socket unit): it is
     * still there, still a socket, for the next activation. */
    cr_assert_eq(lstat(fx.sock, &st), 0, "socket file removed");
    cr_assert(S_ISSOCK(st.st_mode));
    g_file_get_contents(fx.log, &log, NULL, NULL);
    cr_assert(strstr(log, "(passed by systemd)"), "%s", log);
    close(nfd);
}

/* Waits for the line @want on @nfd, failing the test with what came
 * instead.  Returns: (transfer full): the datagram that held it. */
static char *
expect_notify(int nfd, const char *want, GString *seen)
{
    char *msg = notify_wait(nfd, want, 5000, seen);

    cr_assert_not_null(msg, "no %s; got %s", want, seen->str);
    return msg;
}

Test(systemd, notify_reports_ready_reloading_and_stopping)
{
    g_autofree char *notify = NULL;
    g_autofree char *msg = NULL;
    g_autoptr(GString) seen = g_string_new(NULL);
    int nfd = notify_bind(&notify);

    start_activated(notify);
    fx_expect_status("/health", 200);
    /* No index yet: ready all the same (the socket answers, /search says
     * 503 no-index), and the status says so. */
    msg = expect_notify(nfd, "READY=1", seen);
    cr_assert(strstr(msg, "STATUS=no index yet"), "%s", msg);

    /* An index appears: the tick's STATUS names its revision. */
    fx_index(fx_corpus, fx_corpus_len);
    g_free(expect_notify(nfd, "STATUS=serving index revision 1", seen));

    kill(fx.pid, SIGHUP);
    g_free(expect_notify(nfd, "RELOADING=1", seen));
    g_free(expect_notify(nfd, "READY=1", seen));

    kill(fx.pid, SIGTERM);
    g_free(expect_notify(nfd, "STOPPING=1", seen));
    /* Waited for, not stopped again: a second SIGTERM, once the daemon
     * has removed its handlers, would kill it. */
    cr_assert_eq(fx_wait(fx.pid, 10000), 0);
    fx.pid = 0;
    close(nfd);
}

/* Without LISTEN_FDS the daemon binds its own socket, and removes it when
 * it stops: the behaviour a build-folder run had before. */
Test(systemd, own_socket_is_removed_on_stop)
{
    struct stat st;

    fx_start(NULL);
    cr_assert_eq(fx_stop(), 0);
    cr_assert_neq(lstat(fx.sock, &st), 0, "own socket left behind");
}

/* ---------------------------------------------------------------- metrics */

/* One scrape: the samples by their full name with labels
 * ("ctmap_requests_total{endpoint=\"/search\",status=\"200\"}"), after
 * checking the text format line by line: every sample's family has a
 * HELP and a TYPE before it, every value is a number. */
static GHashTable *
scrape(void)
{
    GHashTable *samples = g_hash_table_new_full(g_str_hash, g_str_equal,
                                                g_free, g_free);
    g_autoptr(GHashTable) typed = g_hash_table_new_full(
        g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr(GHashTable) helped = g_hash_table_new_full(
        g_str_hash, g_str_equal, g_free, NULL);
    g_auto(GStrv) lines = NULL;
    fx_http_t r;

    fx_get("/metrics", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert(g_str_has_prefix(r.content_type,
                               "text/plain; version=0.0.4"),
              "%s", r.content_type);
    cr_assert(g_str_has_suffix(r.body, "\n"));
    lines = g_strsplit(r.body, "\n", -1);
    for (guint i = 0; lines[i] && *lines[i]; i++) {
        const char *l = lines[i];
        g_auto(GStrv) f = NULL;
        g_autofree char *family = NULL;
        const char *space, *type;
        char *end = NULL;
        size_t n;

        if (g_str_has_prefix(l, "# HELP ")) {
            f = g_strsplit(l + 7, " ", 2);
            cr_assert(f[0] && f[1] && *f[1], "bad HELP: %s", l);
            g_hash_table_add(helped, g_strdup(f[0]));
            continue;
        }
        if (g_str_has_prefix(l, "# TYPE ")) {
            f = g_strsplit(l + 7, " ", 2);
            cr_assert(f[0] && f[1], "bad TYPE: %s", l);
            cr_assert(g_str_equal(f[1], "counter")
                      || g_str_equal(f[1], "gauge")
                      || g_str_equal(f[1], "histogram"), "%s", l);
            cr_assert(g_hash_table_contains(helped, f[0]),
                      "TYPE before HELP: %s", l);
            g_hash_table_insert(typed, g_strdup(f[0]), g_strdup(f[1]));
            continue;
        }
        cr_assert_neq(l[0], '#', "stray comment: %s", l);
        space = strrchr(l, ' ');
        cr_assert_not_null(space, "no value: %s", l);
        (void)g_ascii_strtod(space + 1, &end);
        cr_assert(end && !*end && end != space + 1, "bad value: %s", l);
        n = strcspn(l, "{ ");
        family = g_strndup(l, n);
        type = g_hash_table_lookup(typed, family);
        if (!type) {
            /* A histogram's samples are NAME_bucket, _sum and _count. */
            char *cut = strrchr(family, '_');

            cr_assert_not_null(cut, "untyped sample: %s", l);
            *cut = '\0';
            type = g_hash_table_lookup(typed, family);
            cr_assert(type && g_str_equal(type, "histogram"),
                      "untyped sample: %s", l);
        }
        if (l[n] == '{')
            cr_assert_eq(space[-1], '}', "unclosed labels: %s", l);
        g_hash_table_insert(samples, g_strndup(l, (size_t)(space - l)),
                            g_strdup(space + 1));
    }
    fx_http_clear(&r);
    return samples;
}

/* The value of @name in @samples; fails the test when absent. */
static double
sample(GHashTable *samples, const char *name)
{
    const char *v = g_hash_table_lookup(samples, name);

    cr_assert_not_null(v, "no sample %s", name);
    return g_ascii_strtod(v, NULL);
}

#define SEARCH_200 "ctmap_requests_total{endpoint=\"/search\",status=\"200\"}"
#define SEARCH_COUNT \
    "ctmap_request_duration_seconds_count{endpoint=\"/search\"}"
#define SEARCH_INF \
    "ctmap_request_duration_seconds_bucket{endpoint=\"/search\",le=\"+Inf\"}"

Test(metrics, counters_move_with_requests)
{
    g_autoptr(GHashTable) before = NULL;
    g_autoptr(GHashTable) after = NULL;
    fx_http_t r;

    fx_index(fx_corpus, fx_corpus_len);
    fx_start(NULL);
    for (int i = 0; i < 2; i++) {
        fx_expect_status("/search?q=prisoners", 200);
    }
    fx_expect_status("/no-such-endpoint", 404);
    before = scrape();
    cr_assert_eq(sample(before, SEARCH_200), 2);
    cr_assert_eq(sample(before, SEARCH_COUNT), 2);
    cr_assert_eq(sample(before, SEARCH_INF), 2);
    cr_assert_eq(sample(before, "ctmap_requests_total{endpoint=\"other\","
                                "status=\"404\"}"), 1);
    cr_assert_eq(sample(before, "ctmap_index_up"), 1);

    fx_expect_status("/search?q=prisoners&offset=x", 400);
    fx_get("/search?q=radicalization", &r);
    fx_http_clear(&r);
    after = scrape();
    cr_assert_eq(sample(after, SEARCH_200), 3);
    cr_assert_eq(sample(after, "ctmap_requests_total{endpoint=\"/search\","
                               "status=\"400\"}"), 1);
    cr_assert_eq(sample(after, SEARCH_COUNT), 4);
    /* The first scrape is counted in the second. */
    cr_assert_eq(sample(after, "ctmap_requests_total{endpoint=\"/metrics\","
                               "status=\"200\"}"), 1);
    cr_assert_gt(sample(after, "ctmap_request_duration_seconds_sum"
                               "{endpoint=\"/search\"}"), 0);
}

Test(metrics, histogram_buckets_are_cumulative)
{
    static const char *const le[] = {
        "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
        "0.1", "0.25", "0.5", "1", "2.5", "+Inf",
    };
    g_autoptr(GHashTable) s = NULL;
    double last = 0;
    fx_http_t r;

    fx_index(fx_corpus, fx_corpus_len);
    fx_start(NULL);
    for (int i = 0; i < 5; i++) {
        fx_get("/suggest?q=pri", &r);
        fx_http_clear(&r);
    }
    s = scrape();
    for (size_t i = 0; i < G_N_ELEMENTS(le); i++) {
        g_autofree char *name = g_strdup_printf(
            "ctmap_request_duration_seconds_bucket{endpoint=\"/suggest\","
            "le=\"%s\"}", le[i]);
        double v = sample(s, name);

        cr_assert_geq(v, last, "%s went down", name);
        last = v;
    }
    cr_assert_eq(last, 5);
    cr_assert_eq(sample(s, "ctmap_request_duration_seconds_count"
                           "{endpoint=\"/suggest\"}"), 5);
}

Test(metrics, index_gauges_agree_with_stats)
{
    g_autoptr(GHashTable) s = NULL;
    JsonObject *stats, *by_type, *by_status;
    g_autoptr(GList) types = NULL;
    g_autoptr(GList) statuses = NULL;
    fx_http_t r;

    fx_index(fx_corpus, fx_corpus_len);
    fx_start(NULL);
    fx_get("/stats", &r);
    cr_assert_eq(r.status, 200);
    s = scrape();
    stats = fx_obj(r.json);
    cr_assert_eq(sample(s, "ctmap_index_revision"),
                 (double)json_object_get_int_member(stats, "revision"));
    by_type = fx_member_obj(stats, "by_type");
    types = json_object_get_members(by_type);
    cr_assert_not_null(types);
    for (GList *l = types; l; l = l->next) {
        g_autofree char *name = g_strdup_printf(
            "ctmap_documents{type=\"%s\"}", (char *)l->data);

        cr_assert_eq(sample(s, name),
                     (double)json_object_get_int_member(by_type, l->data));
    }
    by_status = fx_member_obj(stats, "by_status");
    statuses = json_object_get_members(by_status);
    for (GList *l = statuses; l; l = l->next) {
        g_autofree char *name = g_strdup_printf(
            "ctmap_documents_by_status{status=\"%s\"}", (char *)l->data);

        cr_assert_eq(sample(s, name),
                     (double)json_object_get_int_member(by_status, l->data));
    }
    cr_assert_eq(sample(s, "ctmap_busy_rejections_total"), 0);
    cr_assert_eq(sample(s, "ctmap_timeouts_total"), 0);
    fx_http_clear(&r);
}

/* Opening the index counts once, or twice when a worker saw it first;
 * a new commit counts again, and the revision follows it. */
Test(metrics, reopens_and_revision_follow_commits)
{
    g_autoptr(GHashTable) before = NULL;
    g_autoptr(GHashTable) after = NULL;
    double reopens, rev;
    gint64 deadline;

    fx_index(fx_corpus, 2);
    fx_start(NULL);
    before = scrape();
    reopens = sample(before, "ctmap_index_reopens_total");
    rev = sample(before, "ctmap_index_revision");
    cr_assert_geq(reopens, 1);
    fx_index(fx_corpus + 2, fx_corpus_len - 2);
    deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    do {
        g_clear_pointer(&after, g_hash_table_unref);
        g_usleep(50000);
        after = scrape();
    } while (sample(after, "ctmap_index_revision") == rev
             && g_get_monotonic_time() < deadline);
    cr_assert_gt(sample(after, "ctmap_index_revision"), rev);
    cr_assert_gt(sample(after, "ctmap_index_reopens_total"), reopens);
}

/* A daemon past --max-connections refuses with 503 busy: counted as a
 * busy rejection, under the endpoint "refused". */
Test(metrics, busy_refusals_are_counted)
{
    const char *extra[] = {"--max-connections", "70", NULL};
    const char *line = "GET /health HTTP/1.1\r\n";
    g_autoptr(GHashTable) s = NULL;
    int fds[8], busy;
    fx_http_t r;

    fx_start(extra);
    /* Requests begun and not finished hold their places. */
    fx_raw_hold(fds, G_N_ELEMENTS(fds), line);
    fx_poll_health(503, &r);
    busy = r.status == 503;
    fx_http_clear(&r);
    cr_assert_gt(busy, 0, "never busy");
    fx_raw_close_all(fds, G_N_ELEMENTS(fds));
    fx_poll_health(200, &r);
    cr_assert_eq(r.status, 200, "still busy");
    fx_http_clear(&r);
    s = scrape();
    cr_assert_eq(sample(s, "ctmap_busy_rejections_total"), busy);
    cr_assert_eq(sample(s, "ctmap_requests_total{endpoint=\"refused\","
                           "status=\"503\"}"), busy);
}

Test(metrics, scrape_without_an_index_says_index_down)
{
    g_autoptr(GHashTable) s = NULL;

    fx_start(NULL);
    s = scrape();
    cr_assert_eq(sample(s, "ctmap_index_up"), 0);
    cr_assert_not(g_hash_table_contains(s, "ctmap_index_revision"));
}
