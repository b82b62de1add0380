/* test_shards.c -- sharded indexes (issue 18) with the real indexer, the
 * real daemon and real xapian-tcpsrv processes on 127.0.0.1: a 3-shard
 * index, local and remote, answers a list of requests as the single index
 * does; a killed shard makes answers partial, not errors; a restarted one
 * is back within seconds; re-runs update shards in place. */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <glib/gstdio.h>

#include "helpers.h"
#include "schema.h"
#include "xapianc.h"

#define N_SHARDS 3

static char *one_dir, *three_dir;
static pid_t tcpsrv[N_SHARDS];
static pid_t repl_server;
static pid_t replica_srv;           /* a second server for shard 1 */
static int ports[N_SHARDS];

/* The requests compared: every hit is on the page (limit 100), except
 * for the match-all ones, where totals and facets are compared. */
static const char *const requests[] = {
    "/search?q=extremism&limit=100",
    "/search?q=radicalisation&facets=org,theme,country,year&limit=100",
    "/search?q=&facets=org,type,status&limit=0",
    "/search?q=&type=entry&facets=org,kind&limit=0",
    "/search?q=extremsm&limit=100",
    "/search?q=cve&org=osce&facets=org&limit=100",
    "/search?q=youth+women&sort=date&limit=100",
    "/search?q=%22violent+extremism%22&facets=theme,lang&limit=100",
    "/search?q=the&facets=org,type&limit=0",
    "/search?q=unodc+kazakhstan&org=unodc&org=osce&facets=org&limit=100",
    "/suggest?q=rad",
    "/suggest?q=count",
};

static void
index_into(const char *dir, const char *shards)
{
    const char *argv[] = {CTMAP_INDEXER_BIN, "--quiet", "--offline",
                          "--data-dir", dir, shards ? "--shards" : NULL,
                          shards, NULL};
    g_autofree char *err = NULL;

    cr_assert_eq(fx_run(argv, NULL, &err), 0, "ctmap-indexer: %s", err);
}

static void
setup(void)
{
    fx_init();
    one_dir = g_build_filename(fx.dir, "one", NULL);
    three_dir = g_build_filename(fx.dir, "three", NULL);
    index_into(one_dir, NULL);
    index_into(three_dir, G_STRINGIFY(N_SHARDS));
}

static void
teardown(void)
{
    for (int i = 0; i < N_SHARDS; i++)
        if (tcpsrv[i] > 0) {
            /* Its own session: the group is the server and its
             * per-connection children. */
            kill(-tcpsrv[i], SIGKILL);
            waitpid(tcpsrv[i], NULL, 0);
            tcpsrv[i] = 0;
        }
    if (replica_srv > 0) {
        kill(-replica_srv, SIGKILL);
        waitpid(replica_srv, NULL, 0);
        replica_srv = 0;
    }
    if (repl_server > 0) {
        kill(-repl_server, SIGKILL);
        waitpid(repl_server, NULL, 0);
        repl_server = 0;
    }
    fx_fini();
    g_clear_pointer(&one_dir, g_free);
    g_clear_pointer(&three_dir, g_free);
}

TestSuite(shards, .init = setup, .fini = teardown, .timeout = 180);

/* A free port on 127.0.0.1, from the kernel. */
static int
free_port(void)
{
    struct sockaddr_in sin = {.sin_family = AF_INET};
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_geq(fd, 0);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    close(fd);
    return ntohs(sin.sin_port);
}

static gboolean
port_open(int port)
{
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_port = htons((uint16_t)port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    gboolean ok;

    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
    close(fd);
    return ok;
}

/* Starts @argv (a Xapian server) in its own session (on SIGTERM
 * xapian-tcpsrv kills its whole process group) and waits until it
 * listens on @port.  Returns its pid. */
static pid_t
spawn_server(const char *const *argv, int port)
{
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    pid_t pid = fork();

    cr_assert_geq(pid, 0);
    if (pid == 0) {
        setsid();
        execvp(argv[0], (char **)argv);
        _exit(127);
    }
    while (!port_open(port)) {
        cr_assert_lt(g_get_monotonic_time(), deadline,
                     "%s on port %d did not start", argv[0], port);
        cr_assert_eq(waitpid(pid, NULL, WNOHANG), 0,
                     "%s exited (is xapian-tools installed?)", argv[0]);
        g_usleep(20000);
    }
    return pid;
}

/* Starts xapian-tcpsrv for shard @i, bound to loopback only. */
static void
start_shard(int i)
{
    g_autofree char *db = g_strdup_printf("%s/shards/%d", three_dir, i);
    g_autofree char *port = NULL;

    if (!ports[i])
        ports[i] = free_port();
    port = g_strdup_printf("%d", ports[i]);
    {
        const char *argv[] = {"xapian-tcpsrv", "--quiet", "--interface",
                              "127.0.0.1", "--port", port, db, NULL};

        tcpsrv[i] = spawn_server(argv, ports[i]);
    }
}

static void
kill_shard(int i)
{
    kill(-tcpsrv[i], SIGKILL);
    waitpid(tcpsrv[i], NULL, 0);
    tcpsrv[i] = 0;
}

/* Starts the shards and writes a stub naming them; returns its path. */
static char *
remote_stub(void)
{
    char *stub = g_build_filename(fx.dir, "remote.stub", NULL);
    g_autoptr(GString) text = g_string_new("# three remote shards\n");

    for (int i = 0; i < N_SHARDS; i++) {
        start_shard(i);
        g_string_append_printf(text, "remote 127.0.0.1:%d\n", ports[i]);
    }
    cr_assert(g_file_set_contents(stub, text->str, -1, NULL));
    return stub;
}

static gint
by_text(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What must agree between two answers: everything but timings, and the
 * hits compared by id with their scores (to 1e-9) and snippets, in order
 * up to ties (hits are sorted by score, then id). */
static char *
canonical(JsonNode *node)
{
    g_autoptr(JsonNode) copy = json_node_copy(node);
    JsonObject *c = json_node_get_object(copy);
    GString *s = g_string_new(NULL);

    json_object_remove_member(c, "took_ms");
    json_object_remove_member(c, "partial");
    json_object_remove_member(c, "shards");
    if (json_object_has_member(c, "hits")) {
        JsonArray *hits = json_object_get_array_member(c, "hits");
        g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);

        for (guint i = 0; i < json_array_get_length(hits); i++) {
            JsonObject *h = json_array_get_object_element(hits, i);
            double score = json_object_get_double_member(h, "score");
            g_autoptr(JsonGenerator) g = json_generator_new();
            g_autoptr(JsonNode) hn = json_node_init_object(
                json_node_alloc(), h);

            json_object_remove_member(h, "score");
            json_object_remove_member(h, "rank");
            g_autofree char *text = NULL;

            json_generator_set_root(g, hn);
            text = json_generator_to_data(g, NULL);
            /* Descending score as text that sorts ascending. */
            g_ptr_array_add(keys, g_strdup_printf("%020.9f %s",
                                                  1e9 - score, text));
        }
        g_ptr_array_sort(keys, by_text);
        for (guint i = 0; i < keys->len; i++)
            g_string_append_printf(s, "%s\n",
                                   (char *)g_ptr_array_index(keys, i));
        json_object_remove_member(c, "hits");
    }
    {
        g_autoptr(JsonGenerator) g = json_generator_new();
        g_autofree char *text = NULL;

        json_generator_set_root(g, copy);
        text = json_generator_to_data(g, NULL);
        g_string_append(s, text);
    }
    return g_string_free(s, FALSE);
}

/* The answers of the daemon now running, one string per request. */
static GPtrArray *
answers(void)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);

    for (size_t i = 0; i < G_N_ELEMENTS(requests); i++) {
        fx_http_t r;

        fx_get(requests[i], &r);
        cr_assert_eq(r.status, 200, "%s: %s", requests[i], r.body);
        g_ptr_array_add(out, canonical(r.json));
        fx_http_clear(&r);
    }
    return out;
}

static void
assert_same(GPtrArray *want, GPtrArray *got, const char *what)
{
    for (guint i = 0; i < want->len; i++)
        cr_expect_str_eq(g_ptr_array_index(got, i),
                         g_ptr_array_index(want, i), "%s: %s", what,
                         requests[i]);
}

static JsonObject *
shards_of(fx_http_t *r)
{
    return fx_member_obj(fx_obj(r->json), "shards");
}

/* Asserts that /stats says every shard's hits render from the
 * query-side database's records (@want) or from the shard. */
static void
assert_records(gboolean want)
{
    fx_http_t r;
    JsonArray *each;

    fx_get("/stats", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    each = fx_member_arr(shards_of(&r), "each");
    cr_assert_eq(json_array_get_length(each), N_SHARDS);
    for (guint i = 0; i < N_SHARDS; i++)
        cr_assert_eq(json_object_get_boolean_member(
                         json_array_get_object_element(each, i), "records"),
                     want, "shard %u: %s", i, r.body);
    fx_http_clear(&r);
}

Test(shards, same_answers_local_and_remote)
{
    const char *single[] = {"--data-dir", one_dir, NULL};
    const char *local[] = {"--data-dir", three_dir, NULL};
    g_autofree char *stub = remote_stub();
    const char *remote[] = {"--data-dir", three_dir, "--index", stub, NULL};
    g_autoptr(GPtrArray) want = NULL, got = NULL;
    fx_http_t r;

    fx_start(single);
    want = answers();
    fx_get("/search?q=extremism", &r);
    cr_assert_not(json_object_has_member(fx_obj(r.json), "shards"),
                  "a single index has no shards");
    fx_http_clear(&r);
    cr_assert_eq(fx_stop(), 0);

    fx_start(local);
    got = answers();
    assert_same(want, got, "3 local shards");
    g_clear_pointer(&got, g_ptr_array_unref);
    cr_assert_eq(fx_stop(), 0);

    fx_start(remote);
    got = answers();
    assert_same(want, got, "3 remote shards");
    fx_get("/search?q=extremism", &r);
    cr_assert_eq(json_object_get_int_member(shards_of(&r), "total"),
                 N_SHARDS);
    cr_assert_eq(json_object_get_int_member(shards_of(&r), "failed"), 0);
    cr_assert_not(json_object_get_boolean_member(fx_obj(r.json),
                                                 "partial"));
    fx_http_clear(&r);
    assert_records(TRUE);
    /* /doc/ID reads the document from whichever shard holds it. */
    fx_get("/search?q=radicalisation&limit=3", &r);
    for (guint i = 0; i < 3; i++) {
        g_autofree char *path = g_strdup_printf("/doc/%s",
                                                fx_hit_id(&r, i));
        fx_http_t d;

        fx_get(path, &d);
        cr_expect_eq(d.status, 200, "%s: %s", path, d.body);
        fx_http_clear(&d);
    }
    fx_http_clear(&r);
}

/* "total" of @query, and whether the answer was partial. */
static gint64
total_of(const char *query, gboolean *partial, gint64 *failed)
{
    fx_http_t r;
    gint64 total;

    fx_get(query, &r);
    cr_assert_eq(r.status, 200, "%s: %s", query, r.body);
    total = json_object_get_int_member(fx_obj(r.json), "total");
    *partial = json_object_get_boolean_member(fx_obj(r.json), "partial");
    *failed = json_object_get_int_member(shards_of(&r), "failed");
    fx_http_clear(&r);
    return total;
}

static int
collect_term(const char *term, uint64_t freq, void *rock)
{
    (void)freq;
    g_ptr_array_add(rock, g_strdup(term + strlen(XC_PREFIX_ID)));
    return 0;
}

/* The suggestions' titles come from the query-side database, which
 * holds every document's title, in the order of the documents' ids:
 * the list read from the single index's documents, no more, no less. */
Test(shards, query_db_holds_the_titles)
{
    g_autofree char *one = g_build_filename(one_dir, "index", NULL);
    g_autofree char *query = g_build_filename(three_dir, "shards", "query",
                                              NULL);
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(JsonArray) want = json_array_new();
    g_autoptr(JsonNode) want_node = json_node_new(JSON_NODE_ARRAY);
    g_autoptr(JsonNode) got = NULL;
    g_autofree char *stored = NULL;
    xc_db_t *db = NULL;

    cr_assert_eq(xc_db_open(one, &db, NULL), XC_OK);
    cr_assert_eq(xc_db_allterms(db, XC_PREFIX_ID, 0, collect_term, ids),
                 XC_OK);
    cr_assert_gt(ids->len, 0);
    for (guint i = 0; i < ids->len; i++) {
        g_autofree char *data = NULL;
        g_autoptr(JsonNode) doc = NULL;

        cr_assert_eq(xc_db_get_data(db, ids->pdata[i], &data), XC_OK);
        doc = json_from_string(data, NULL);
        cr_assert_not_null(doc);
        if (json_object_has_member(json_node_get_object(doc), "title"))
            json_array_add_string_element(
                want, json_object_get_string_member(
                          json_node_get_object(doc), "title"));
    }
    xc_db_close(db);
    cr_assert_gt(json_array_get_length(want), 0);
    json_node_set_array(want_node, want);

    cr_assert_eq(xc_db_open(query, &db, NULL), XC_OK);
    cr_assert_eq(xc_db_get_metadata(db, XC_META_TITLES, &stored), XC_OK);
    xc_db_close(db);
    got = json_from_string(stored, NULL);
    cr_assert_not_null(got, "no titles stored: \"%s\"", stored);
    cr_assert(json_node_equal(want_node, got), "stored %s", stored);
}

Test(shards, dead_shard_partial_then_back)
{
    g_autofree char *stub = remote_stub();
    const char *remote[] = {"--data-dir", three_dir, "--index", stub, NULL};
    const char *q = "/search?q=extremism&facets=type";
    gboolean partial;
    gint64 failed, full, part;
    gint64 deadline;
    fx_http_t r;

    fx_start(remote);
    full = total_of(q, &partial, &failed);
    cr_assert_gt(full, 0);
    cr_assert_not(partial);

    kill_shard(1);
    /* Every thread of the daemon finds out: several requests. */
    for (int k = 0; k < 4; k++) {
        part = total_of(q, &partial, &failed);
        cr_assert(partial, "request %d after the kill was not partial", k);
        cr_assert_eq(failed, 1);
        cr_assert_lt(part, full, "the dead shard's matches are gone");
        cr_assert_gt(part, 0, "the other shards still answered");
    }
    fx_get("/stats", &r);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(json_object_get_int_member(shards_of(&r), "failed"), 1);
    fx_http_clear(&r);
    /* /metrics names the dead shard, and only it, as down. */
    fx_get("/metrics", &r);
    cr_assert_eq(r.status, 200);
    cr_assert_not_null(strstr(r.body, "ctmap_shards 3\n"), "%s", r.body);
    for (int i = 0; i < N_SHARDS; i++) {
        g_autofree char *line = g_strdup_printf(
            "ctmap_shard_up{shard=\"127.0.0.1:%d\"} %d\n", ports[i],
            i != 1);

        cr_assert_not_null(strstr(r.body, line), "no %s in %s", line,
                           r.body);
    }
    fx_http_clear(&r);
    fx_get("/health", &r);
    cr_assert_eq(r.status, 200, "daemon alive: %s", r.body);
    fx_http_clear(&r);

    /* Back: each thread reconnects on its own (at most once a second),
     * so complete means four complete answers in a row. */
    start_shard(1);
    deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    for (int in_a_row = 0; in_a_row < 4;) {
        cr_assert_lt(g_get_monotonic_time(), deadline,
                     "still partial 5 s after the shard came back");
        g_usleep(100000);
        part = total_of(q, &partial, &failed);
        in_a_row = !partial && part == full ? in_a_row + 1 : 0;
    }
}

/* A shard that hangs (its xapian-tcpsrv stopped: connections are
 * accepted, nothing answers) costs the first request after it hangs one
 * timeout (XC_SHARD_TIMEOUT_MS, 2 s) and is then left out: ten requests
 * more take less than the 20 s that a timeout each would, and more than
 * a few milliseconds each only on a loaded machine.  Resumed, it is back
 * within seconds. */
Test(shards, hung_shard_costs_one_timeout)
{
    g_autofree char *stub = remote_stub();
    const char *remote[] = {"--data-dir", three_dir, "--index", stub, NULL};
    const char *q = "/search?q=extremism&facets=type";
    gboolean partial;
    gint64 failed, full, part, start;
    gint64 deadline;
    fx_http_t r;
    JsonArray *each;

    fx_start(remote);
    full = total_of(q, &partial, &failed);
    cr_assert_not(partial);

    kill(-tcpsrv[1], SIGSTOP);
    start = g_get_monotonic_time();
    part = total_of(q, &partial, &failed);
    cr_assert(partial, "the first request after the hang was not partial");
    cr_assert_eq(failed, 1);
    cr_assert_lt(part, full);
    cr_assert_gt(part, 0, "the other shards still answered");
    for (int k = 0; k < 10; k++) {
        part = total_of(q, &partial, &failed);
        cr_assert(partial, "request %d after the hang", k);
        cr_assert_eq(failed, 1);
    }
    cr_assert_lt(g_get_monotonic_time() - start, 15 * G_USEC_PER_SEC,
                 "the hung shard was waited on again and again");
    fx_get("/stats", &r);
    each = fx_member_arr(shards_of(&r), "each");
    cr_assert_str_eq(json_object_get_string_member(
                         json_array_get_object_element(each, 1), "state"),
                     "down");
    fx_http_clear(&r);

    kill(-tcpsrv[1], SIGCONT);
    deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    for (int in_a_row = 0; in_a_row < 4;) {
        cr_assert_lt(g_get_monotonic_time(), deadline,
                     "still partial 10 s after the shard resumed");
        g_usleep(100000);
        part = total_of(q, &partial, &failed);
        in_a_row = !partial && part == full ? in_a_row + 1 : 0;
    }
}

/* Counts the documents of database @path with xapian-delve. */
static long
doc_count(const char *path)
{
    const char *argv[] = {"xapian-delve", path, NULL};
    g_autofree char *out = NULL;
    char *p;

    cr_assert(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH,
                           NULL, NULL, &out, NULL, NULL, NULL));
    p = strstr(out, "number of documents = ");
    cr_assert_not_null(p, "%s", out);
    return strtol(p + strlen("number of documents = "), NULL, 10);
}

static gint64
stats_revision(void)
{
    fx_http_t r;
    gint64 rev;

    fx_get("/stats", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    rev = json_object_get_int_member(fx_obj(r.json), "revision");
    fx_http_clear(&r);
    return rev;
}

Test(shards, reruns_update_in_place)
{
    const char *rerun[] = {CTMAP_INDEXER_BIN, "--offline", "--data-dir",
                           three_dir, NULL};
    const char *reshard[] = {CTMAP_INDEXER_BIN, "--quiet", "--offline",
                             "--data-dir", three_dir, "--shards", "2",
                             NULL};
    const char *full[] = {CTMAP_INDEXER_BIN, "--quiet", "--offline",
                          "--full", "--data-dir", three_dir, NULL};
    const char *local[] = {"--data-dir", three_dir, NULL};
    g_autofree char *err = NULL, *stub = NULL;
    g_autofree char *q = g_build_filename(three_dir, "shards", "query",
                                          NULL);
    long counts[N_SHARDS], sum = 0, single;
    gint64 rev, deadline;
    g_autoptr(GPtrArray) want = NULL, got = NULL;

    for (int i = 0; i < N_SHARDS; i++) {
        g_autofree char *p = g_strdup_printf("%s/shards/%d", three_dir, i);

        counts[i] = doc_count(p);
        cr_assert_gt(counts[i], 0, "shard %d is empty", i);
        sum += counts[i];
    }
    {
        g_autofree char *p = g_build_filename(one_dir, "index", NULL);

        single = doc_count(p);
    }
    cr_assert_eq(sum, single, "every document in exactly one shard");
    cr_assert_eq(doc_count(q), 0, "the query-side database has no "
                 "documents");
    {
        g_autofree char *p = g_build_filename(three_dir, "index", NULL);

        cr_assert(g_file_get_contents(p, &stub, NULL, NULL));
        cr_assert_not_null(strstr(stub, "auto shards/2\n"), "%s", stub);
    }

    /* A re-run changes nothing, in place (the count is kept). */
    cr_assert_eq(fx_run(rerun, NULL, &err), 0, "%s", err);
    cr_assert_not_null(strstr(err, " 0 added, 0 updated,"), "%s", err);
    for (int i = 0; i < N_SHARDS; i++) {
        g_autofree char *p = g_strdup_printf("%s/shards/%d", three_dir, i);

        cr_assert_eq(doc_count(p), counts[i], "shard %d moved", i);
    }
    g_clear_pointer(&err, g_free);

    /* Another count needs --full. */
    cr_assert_eq(fx_run(reshard, NULL, &err), 2, "%s", err);
    cr_assert_not_null(strstr(err, "needs --full"), "%s", err);
    g_clear_pointer(&err, g_free);

    /* --full rebuilds the same shards: the same answers as before. */
    fx_start(local);
    want = answers();
    rev = stats_revision();
    cr_assert_eq(fx_run(full, NULL, &err), 0, "%s", err);
    for (int i = 0; i < N_SHARDS; i++) {
        g_autofree char *p = g_strdup_printf("%s/shards/%d", three_dir, i);

        cr_assert_eq(doc_count(p), counts[i], "shard %d after --full", i);
    }
    /* The daemon's tick sees the new shards (a higher revision). */
    deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    do {
        g_usleep(100000);
    } while (stats_revision() == rev && g_get_monotonic_time() < deadline);
    cr_assert_gt(stats_revision(), rev, "the daemon did not reopen");
    got = answers();
    assert_same(want, got, "after --full");
}

/* Pulls every database of the writer's shards/ into @replica/shards with
 * xapian-replicate (once). */
static void
replicate(const char *replica, int port)
{
    static const char *const dbs[] = {"0", "1", "2", "query"};
    g_autofree char *p = g_strdup_printf("%d", port);

    for (size_t i = 0; i < G_N_ELEMENTS(dbs); i++) {
        g_autofree char *dst = g_strdup_printf("%s/shards/%s", replica,
                                               dbs[i]);
        const char *argv[] = {"xapian-replicate", "-h", "127.0.0.1", "-p",
                              p, "-m", dbs[i], "-o", dst, NULL};
        g_autofree char *err = NULL;
        int status = -1;

        cr_assert(g_spawn_sync(NULL, (char **)argv, NULL,
                               G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, &err,
                               &status, NULL));
        cr_assert(g_spawn_check_wait_status(status, NULL),
                  "xapian-replicate %s: %s", dbs[i], err);
    }
}

Test(shards, replica_follows_the_writer)
{
    g_autofree char *replica = g_build_filename(fx.dir, "replica", NULL);
    g_autofree char *shards = g_build_filename(three_dir, "shards", NULL);
    g_autofree char *src_stub = g_build_filename(three_dir, "index", NULL);
    g_autofree char *stub = g_build_filename(replica, "index", NULL);
    g_autofree char *text = NULL, *err = NULL;
    g_autofree char *port = NULL;
    const char *full[] = {CTMAP_INDEXER_BIN, "--quiet", "--offline",
                          "--full", "--data-dir", three_dir, NULL};
    const char *serve[] = {"--data-dir", replica, NULL};
    g_autoptr(GPtrArray) want = NULL, got = NULL;
    gint64 rev, deadline;
    int p = free_port();

    port = g_strdup_printf("%d", p);
    {
        const char *argv[] = {"xapian-replicate-server", "--interface",
                              "127.0.0.1", "--port", port, shards, NULL};

        repl_server = spawn_server(argv, p);
    }
    {
        g_autofree char *dir = g_build_filename(replica, "shards", NULL);

        cr_assert_eq(g_mkdir_with_parents(dir, 0755), 0);
    }
    replicate(replica, p);
    cr_assert(g_file_get_contents(src_stub, &text, NULL, NULL));
    cr_assert(g_file_set_contents(stub, text, -1, NULL));

    fx_start(serve);
    want = answers();
    rev = stats_revision();
    /* The writer rebuilds (new databases: the replicas switch copies)
     * and keeps changesets for the next in-place runs. */
    g_setenv("XAPIAN_MAX_CHANGESETS", "10", TRUE);
    cr_assert_eq(fx_run(full, NULL, &err), 0, "%s", err);
    g_unsetenv("XAPIAN_MAX_CHANGESETS");
    replicate(replica, p);
    deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (stats_revision() == rev) {
        cr_assert_lt(g_get_monotonic_time(), deadline,
                     "searchd did not pick up the replica's new copy");
        g_usleep(100000);
    }
    got = answers();
    assert_same(want, got, "replica after the writer's --full");
}

Test(shards, replica_failover)
{
    g_autofree char *stub = g_build_filename(fx.dir, "replicas.stub", NULL);
    g_autofree char *db = g_strdup_printf("%s/shards/1", three_dir);
    g_autofree char *text = NULL, *port = NULL, *in_use = NULL;
    const char *remote[] = {"--data-dir", three_dir, "--index", stub, NULL};
    const char *q = "/search?q=extremism&facets=type";
    int second = free_port();
    gboolean partial;
    gint64 failed, full;
    fx_http_t r;
    JsonArray *each;

    for (int i = 0; i < N_SHARDS; i++)
        start_shard(i);
    port = g_strdup_printf("%d", second);
    in_use = g_strdup_printf("127.0.0.1:%d", second);
    {
        const char *argv[] = {"xapian-tcpsrv", "--quiet", "--interface",
                              "127.0.0.1", "--port", port, db, NULL};

        replica_srv = spawn_server(argv, second);
    }
    /* Shard 1 has two replicas: one line, two addresses. */
    text = g_strdup_printf("remote 127.0.0.1:%d\n"
                           "remote 127.0.0.1:%d 127.0.0.1:%d\n"
                           "remote 127.0.0.1:%d\n",
                           ports[0], ports[1], second, ports[2]);
    cr_assert(g_file_set_contents(stub, text, -1, NULL));

    fx_start(remote);
    full = total_of(q, &partial, &failed);
    cr_assert_not(partial);

    /* The replica in use dies: the other one answers, nothing missing. */
    kill_shard(1);
    for (int k = 0; k < 4; k++) {
        cr_assert_eq(total_of(q, &partial, &failed), full,
                     "request %d after the failover", k);
        cr_assert_not(partial);
        cr_assert_eq(failed, 0);
    }
    /* /stats names the replica now in use.  (Each worker thread has its
     * own connections: a thread that has not searched since still
     * names the first address, so a search first on both.) */
    fx_get("/stats", &r);
    each = fx_member_arr(shards_of(&r), "each");
    cr_assert_str_eq(json_object_get_string_member(
                         json_array_get_object_element(each, 1), "shard"),
                     in_use);
    cr_assert_str_eq(json_object_get_string_member(
                         json_array_get_object_element(each, 1), "state"),
                     "up");
    fx_http_clear(&r);

    /* Both gone: partial. */
    kill(-replica_srv, SIGKILL);
    waitpid(replica_srv, NULL, 0);
    replica_srv = 0;
    for (int k = 0; k < 4; k++) {
        cr_assert_lt(total_of(q, &partial, &failed), full);
        cr_assert(partial);
        cr_assert_eq(failed, 1);
    }
}

/* Entries of @dir whose names start with "index.": what a killed run
 * left behind. */
static guint
leftovers(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    guint n = 0;

    cr_assert_not_null(d, "%s", dir);
    for (const char *name = g_dir_read_name(d); name;
         name = g_dir_read_name(d))
        n += g_str_has_prefix(name, "index.");
    return n;
}

Test(shards, full_killed_mid_run_then_rerun)
{
    static const char *const points[] = {"before-swap", "mid-swap"};
    const char *full[] = {CTMAP_INDEXER_BIN, "--quiet", "--offline",
                          "--full", "--data-dir", three_dir, NULL};
    const char *rerun[] = {CTMAP_INDEXER_BIN, "--quiet", "--offline",
                           "--data-dir", three_dir, NULL};
    const char *single[] = {"--data-dir", one_dir, NULL};
    const char *local[] = {"--data-dir", three_dir, NULL};
    g_autoptr(GPtrArray) want = NULL;

    fx_start(single);
    want = answers();
    cr_assert_eq(fx_stop(), 0);
    for (size_t i = 0; i < G_N_ELEMENTS(points); i++) {
        g_autofree char *err = NULL;
        g_autoptr(GPtrArray) got = NULL;

        g_setenv("CTMAP_CRASH_AT", points[i], TRUE);
        cr_assert_neq(fx_run(full, NULL, &err), 0,
                      "--full killed at %s exited 0", points[i]);
        g_unsetenv("CTMAP_CRASH_AT");
        /* The index killed there still answers in full ... */
        fx_start(local);
        got = answers();
        assert_same(want, got, points[i]);
        cr_assert_eq(fx_stop(), 0);
        g_clear_pointer(&got, g_ptr_array_unref);
        /* ... and the next run cleans up and changes nothing. */
        g_clear_pointer(&err, g_free);
        cr_assert_eq(fx_run(rerun, NULL, &err), 0, "%s", err);
        cr_assert_eq(leftovers(three_dir), 0, "after %s", points[i]);
        fx_start(local);
        got = answers();
        assert_same(want, got, points[i]);
        cr_assert_eq(fx_stop(), 0);
    }
}

/* Render records that do not match the shards (a token changed, as a
 * crash between the commits of a shard and of the query-side database
 * would leave it) are not used: the hits are read from the shards, with
 * the same answers; the next indexer run rebuilds them. */
Test(shards, stale_records_read_from_shards_then_repaired)
{
    const char *single[] = {"--data-dir", one_dir, NULL};
    const char *rerun[] = {CTMAP_INDEXER_BIN, "--quiet", "--offline",
                           "--data-dir", three_dir, NULL};
    g_autofree char *stub = remote_stub();
    g_autofree char *query = g_build_filename(three_dir, "shards", "query",
                                              NULL);
    const char *remote[] = {"--data-dir", three_dir, "--index", stub, NULL};
    g_autoptr(GPtrArray) want = NULL, got = NULL;
    g_autofree char *err = NULL;
    xc_dbw_t *w = NULL;
    gint64 rev, deadline;

    fx_start(single);
    want = answers();
    cr_assert_eq(fx_stop(), 0);

    fx_start(remote);
    assert_records(TRUE);
    rev = stats_revision();
    cr_assert_eq(xc_dbw_open(query, 0, &w, NULL), XC_OK);
    cr_assert_eq(xc_dbw_set_metadata(w, XC_META_RENDER, "not-the-token"),
                 XC_OK);
    cr_assert_eq(xc_dbw_close(w), XC_OK);
    deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (stats_revision() == rev) {
        cr_assert_lt(g_get_monotonic_time(), deadline,
                     "searchd did not reopen the query-side database");
        g_usleep(100000);
    }
    assert_records(FALSE);
    got = answers();
    assert_same(want, got, "stale records");
    g_clear_pointer(&got, g_ptr_array_unref);

    /* The re-run repairs them (the shards are served by xapian-tcpsrv
     * meanwhile: a writer and readers). */
    rev = stats_revision();
    cr_assert_eq(fx_run(rerun, NULL, &err), 0, "%s", err);
    deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (stats_revision() == rev) {
        cr_assert_lt(g_get_monotonic_time(), deadline,
                     "searchd did not see the repaired records");
        g_usleep(100000);
    }
    got = answers();
    assert_same(want, got, "repaired records");
    assert_records(TRUE);
}

/* Stores document @id (text "common words", data version @v) in @w. */
static void
put_own_doc(xc_dbw_t *w, const char *id, int v)
{
    g_autofree char *data = g_strdup_printf("{\"id\":\"%s\",\"v\":%d}", id,
                                            v);
    g_autofree char *text = g_strdup_printf("text of %s, version %d", id,
                                            v);

    cr_assert_eq(xc_dbw_begin_doc(w, id), XC_OK);
    cr_assert_eq(xc_dbw_add_text(w, "common words", "", 1), XC_OK);
    cr_assert_eq(xc_dbw_set_data(w, data), XC_OK);
    cr_assert_eq(xc_dbw_set_value(w, XC_SLOT_TEXT, text, strlen(text)),
                 XC_OK);
    cr_assert_eq(xc_dbw_end_doc(w), XC_OK);
}

/* The writer keeps the render records of documents added, replaced and
 * deleted: hits of remote shards render from them, and show what the
 * shards themselves hold (xc_db_get_data reads the shard). */
Test(shards, records_follow_adds_replaces_deletes)
{
    static const char *const ids[] = {"a", "b", "c", "d", "e", "f", "g"};
    g_autofree char *dir = g_build_filename(fx.dir, "own", NULL);
    g_autofree char *stub = g_build_filename(fx.dir, "own.stub", NULL);
    g_autofree char *query = g_build_filename(dir, "query", NULL);
    g_autoptr(GString) lines = g_string_new(NULL);
    xc_search_opts_t opts = {.limit = 100};
    xc_dbw_t *w = NULL;
    xc_db_t *db = NULL;
    xc_query_t *q = NULL;
    xc_mset_t *m = NULL;

    cr_assert_eq(g_mkdir_with_parents(dir, 0755), 0);
    cr_assert_eq(xc_dbw_open_shards(dir, 2, 1, &w, NULL), XC_OK);
    for (size_t i = 0; i < G_N_ELEMENTS(ids); i++)
        put_own_doc(w, ids[i], 1);
    cr_assert_eq(xc_dbw_commit(w), XC_OK);
    cr_assert_eq(xc_dbw_begin(w), XC_OK);
    cr_assert_eq(xc_dbw_delete_doc(w, "b"), XC_OK);
    put_own_doc(w, "c", 2);
    cr_assert_eq(xc_dbw_commit(w), XC_OK);
    cr_assert_eq(xc_dbw_close(w), XC_OK);

    for (int i = 0; i < 2; i++) {
        g_autofree char *db_dir = g_strdup_printf("%s/%d", dir, i);
        int port = free_port();
        g_autofree char *p = g_strdup_printf("%d", port);
        const char *argv[] = {"xapian-tcpsrv", "--quiet", "--interface",
                              "127.0.0.1", "--port", p, db_dir, NULL};

        tcpsrv[i] = spawn_server(argv, port);
        g_string_append_printf(lines, "remote 127.0.0.1:%d\n", port);
    }
    cr_assert(g_file_set_contents(stub, lines->str, -1, NULL));
    cr_assert_eq(xc_db_open_stub(stub, query, &db, NULL), XC_OK);
    for (unsigned i = 0; i < 2; i++)
        cr_assert(xc_db_shard_records(db, i), "shard %u has no records", i);
    cr_assert_eq(xc_query_parse(db, "common", XC_PARSE_DEFAULT, &q), XC_OK);
    cr_assert_eq(xc_search(q, &opts, &m), XC_OK, "%s", xc_errmsg(db));
    cr_assert_eq(xc_mset_size(m), G_N_ELEMENTS(ids) - 1);
    for (size_t i = 0; i < xc_mset_size(m); i++) {
        xc_hit_t hit;
        g_autoptr(JsonNode) node = NULL;
        g_autofree char *data = NULL;
        char *want = NULL, *text = NULL, *want_text = NULL;  /* free() */
        const char *id;
        size_t len = 0;

        cr_assert_eq(xc_mset_hit(m, i, &hit), XC_OK);
        data = g_strdup(hit.data);
        node = json_from_string(data, NULL);
        cr_assert_not_null(node, "%s", data);
        id = json_object_get_string_member(json_node_get_object(node), "id");
        cr_assert_str_neq(id, "b", "a deleted document was found");
        cr_assert_eq(xc_db_get_data(db, id, &want), XC_OK);
        cr_assert_str_eq(data, want, "the record of %s", id);
        cr_assert_eq(xc_mset_value(m, i, XC_SLOT_TEXT, &text, &len), XC_OK);
        cr_assert_eq(xc_db_get_value(db, id, XC_SLOT_TEXT, &want_text,
                                     &len), XC_OK);
        cr_assert_str_eq(text, want_text, "the text of %s", id);
        if (strcmp(id, "c") == 0)
            cr_assert_not_null(strstr(data, "\"v\":2"), "%s", data);
        free(want);
        free(text);
        free(want_text);
    }
    xc_mset_free(m);
    xc_query_free(q);
    xc_db_close(db);
}
