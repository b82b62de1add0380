/* test_pool.c -- the worker pool with the real ctmap-extract-worker: reuse,
 * each injected fault costing its own document only, restart, hard
 * failure when no worker starts, no zombies or leaked descriptors; the
 * result's JSON form; and ctmap-extract's exit codes and --json. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "extract.h"

/* Under AddressSanitizer the pool sets no address-space limit (ASan's
 * shadow memory needs terabytes of it), so the memory fault cannot be
 * provoked there. */
#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifndef TEST_ASAN
#define TEST_ASAN 0
#endif

#define FAULT "application/x-ctmap-fault"
#define N_MAX 64

/* What done() saw for each input: the text, or the error. */
typedef struct {
    guint calls;
    gboolean seen[N_MAX];
    char *text[N_MAX];
    int code[N_MAX];            /* -1 on success */
    char *message[N_MAX];
} outcome_t;

static void
on_done(guint index, extract_result_t *result, const GError *error,
        gpointer rock)
{
    outcome_t *o = rock;

    cr_assert_lt(index, N_MAX);
    cr_assert(!o->seen[index], "input %u reported twice", index);
    o->seen[index] = TRUE;
    o->calls++;
    if (error) {
        cr_assert_eq(error->domain, EXTRACT_ERROR);
        o->code[index] = error->code;
        o->message[index] = g_strdup(error->message);
    } else {
        o->code[index] = -1;
        o->text[index] = extract_result_text(result);
    }
}

static void
outcome_clear(outcome_t *o)
{
    for (guint i = 0; i < N_MAX; i++) {
        g_free(o->text[i]);
        g_free(o->message[i]);
    }
    memset(o, 0, sizeof(*o));
}

/* A batch: text inputs "document N" except where @faults names a fault
 * for that index; batch_clear() frees the strings. */
typedef struct {
    extract_input_t in[N_MAX];
    const extract_input_t *ptr[N_MAX];
    char *data[N_MAX];
    guint n;
} batch_t;

static void
batch_init(batch_t *b, guint n, const char *const *faults)
{
    memset(b, 0, sizeof(*b));
    b->n = n;
    for (guint i = 0; i < n; i++) {
        const char *f = faults ? faults[i] : NULL;

        b->data[i] = f ? g_strdup(f) : g_strdup_printf("document %u", i);
        b->in[i].data = (const guint8 *)b->data[i];
        b->in[i].len = strlen(b->data[i]);
        b->in[i].media_type = f ? FAULT : "text/plain";
        b->ptr[i] = &b->in[i];
    }
}

static void
batch_clear(batch_t *b)
{
    for (guint i = 0; i < b->n; i++)
        g_free(b->data[i]);
}

static void
assert_text_ok(const outcome_t *o, guint i)
{
    g_autofree char *want = g_strdup_printf("document %u", i);

    cr_assert(o->seen[i], "input %u not reported", i);
    cr_assert_eq(o->code[i], -1, "input %u failed: %s", i,
                 o->message[i] ? o->message[i] : "");
    cr_assert_str_eq(o->text[i], want);
}

static extract_pool_t *
pool_start(guint workers, guint timeout_ms, gsize memory_mb)
{
    extract_limits_t limits;
    GError *error = NULL;
    extract_pool_t *pool;

    extract_limits_init(&limits);
    if (timeout_ms)
        limits.timeout_ms = timeout_ms;
    if (memory_mb)
        limits.memory_mb = memory_mb;
    pool = extract_pool_new(workers, &limits, CTMAP_EXTRACT_WORKER_PATH,
                            &error);
    cr_assert_not_null(pool, "pool: %s", error ? error->message : "");
    return pool;
}

/* Children of this process still in the process table (zombies
 * included), from /proc/<pid>/stat. */
static guint
count_children(void)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    guint n = 0;
    pid_t self = getpid();

    cr_assert_not_null(d);
    for (e = readdir(d); e; e = readdir(d)) {
        g_autofree char *path = NULL;
        g_autofree char *stat = NULL;
        const char *close_paren;
        gint64 ppid;

        if (!g_ascii_isdigit(e->d_name[0]))
            continue;
        path = g_strdup_printf("/proc/%s/stat", e->d_name);
        if (!g_file_get_contents(path, &stat, NULL, NULL))
            continue;
        close_paren = strrchr(stat, ')');
        if (!close_paren || close_paren[1] == '\0')
            continue;
        /* ") S PPID ...": the state, then the parent's pid. */
        ppid = g_ascii_strtoll(close_paren + 4, NULL, 10);
        if (ppid == self)
            n++;
    }
    closedir(d);
    return n;
}

static guint
count_fds(void)
{
    GDir *d = g_dir_open("/proc/self/fd", 0, NULL);
    guint n = 0;

    cr_assert_not_null(d);
    while (g_dir_read_name(d))
        n++;
    g_dir_close(d);
    return n;
}

/* ---------------------------------------------------------------- Batches */

Test(pool, batch_of_texts_succeeds_with_reused_workers, .timeout = 60)
{
    extract_pool_t *pool = pool_start(2, 0, 0);
    extract_pool_stats_t st;
    outcome_t o = { 0 };
    batch_t b;

    batch_init(&b, 20, NULL);
    cr_assert(extract_pool_run(pool, b.ptr, b.n, on_done, &o, NULL));
    cr_assert_eq(o.calls, 20);
    for (guint i = 0; i < 20; i++)
        assert_text_ok(&o, i);
    extract_pool_stats(pool, &st);
    cr_assert_eq(st.started, 2, "workers were not reused");
    cr_assert_eq(st.documents, 20);
    cr_assert_eq(st.crashed, 0);
    cr_assert_eq(st.timed_out, 0);
    outcome_clear(&o);
    batch_clear(&b);
    extract_pool_free(pool);
}

/* Eight megabytes is far more than a socket buffer holds, so the request
 * goes out over many poll() rounds while the reply comes back. */
Test(pool, large_input_is_streamed, .timeout = 60)
{
    extract_pool_t *pool = pool_start(1, 0, 0);
    GString *big = g_string_new(NULL);
    extract_input_t in = { 0 };
    const extract_input_t *ptr = &in;
    outcome_t o = { 0 };

    while (big->len < 8 * 1024 * 1024)
        g_string_append(big, "Preventing violent extremism in Central "
                             "Asia: a handbook for practitioners.\n");
    in.data = (const guint8 *)big->str;
    in.len = big->len;
    in.media_type = "text/plain";
    cr_assert(extract_pool_run(pool, &ptr, 1, on_done, &o, NULL));
    cr_assert_eq(o.code[0], -1, "%s", o.message[0] ? o.message[0] : "");
    cr_assert(strstr(o.text[0], "Central Asia"));
    cr_assert_gt(strlen(o.text[0]), 8000000);
    outcome_clear(&o);
    g_string_free(big, TRUE);
    extract_pool_free(pool);
}

Test(pool, input_over_the_size_limit_is_too_large, .timeout = 60)
{
    extract_limits_t limits;
    extract_pool_t *pool;
    outcome_t o = { 0 };
    batch_t b;

    extract_limits_init(&limits);
    limits.max_bytes = 8;
    pool = extract_pool_new(1, &limits, CTMAP_EXTRACT_WORKER_PATH, NULL);
    cr_assert_not_null(pool);
    batch_init(&b, 2, NULL);
    b.in[1].len = 4;        /* "docu" fits */
    cr_assert(extract_pool_run(pool, b.ptr, b.n, on_done, &o, NULL));
    cr_assert_eq(o.code[0], EXTRACT_ERROR_TOO_LARGE);
    cr_assert_eq(o.code[1], -1);
    cr_assert_str_eq(o.text[1], "docu");
    outcome_clear(&o);
    batch_clear(&b);
    extract_pool_free(pool);
}

/* ----------------------------------------------------------------- Faults */

/* Runs a batch of 8 with @fault at index 3 through two workers, checks
 * that only input 3 failed, with @code and a message containing @words,
 * then that the pool still extracts a second batch. */
static void
check_fault(const char *fault, guint timeout_ms, gsize memory_mb, int code,
            const char *words)
{
    extract_pool_t *pool = pool_start(2, timeout_ms, memory_mb);
    const char *faults[8] = { NULL, NULL, NULL, fault };
    extract_pool_stats_t st;
    outcome_t o = { 0 };
    batch_t b;

    batch_init(&b, 8, faults);
    cr_assert(extract_pool_run(pool, b.ptr, b.n, on_done, &o, NULL));
    cr_assert_eq(o.calls, 8);
    for (guint i = 0; i < 8; i++) {
        if (i != 3)
            assert_text_ok(&o, i);
    }
    cr_assert_eq(o.code[3], code, "%s: code %d, %s", fault, o.code[3],
                 o.message[3] ? o.message[3] : "(none)");
    cr_assert(strstr(o.message[3], words), "%s: message \"%s\"", fault,
              o.message[3]);
    outcome_clear(&o);
    batch_clear(&b);

    extract_pool_stats(pool, &st);
    cr_assert_eq(st.started, 3, "the worker was not restarted once");
    cr_assert_eq(st.crashed + st.timed_out, 1);
    cr_assert_eq(code == EXTRACT_ERROR_TIMEOUT ? st.timed_out : st.crashed,
                 1);

    batch_init(&b, 6, NULL);
    cr_assert(extract_pool_run(pool, b.ptr, b.n, on_done, &o, NULL));
    for (guint i = 0; i < 6; i++)
        assert_text_ok(&o, i);
    outcome_clear(&o);
    batch_clear(&b);
    extract_pool_free(pool);
    cr_assert_eq(count_children(), 0, "children left after free");
}

Test(pool, crash_costs_its_document_only, .timeout = 60)
{
    check_fault("crash", 0, 0, EXTRACT_ERROR_CRASHED,
                "signal 11 (Segmentation fault)");
}

Test(pool, hang_is_killed_at_the_time_limit, .timeout = 60)
{
    check_fault("hang", 500, 0, EXTRACT_ERROR_TIMEOUT, "timeout after 0.5 s");
}

Test(pool, memory_blowup_is_named, .timeout = 60)
{
    if (TEST_ASAN)
        cr_skip_test("ASan builds run workers without RLIMIT_AS");
    check_fault("oom", 0, 256, EXTRACT_ERROR_CRASHED, "memory limit");
}

Test(pool, garbage_reply_restarts_the_worker, .timeout = 60)
{
    check_fault("garbage-reply", 0, 0, EXTRACT_ERROR_CRASHED,
                "malformed reply");
}

Test(pool, oversized_reply_frame_restarts_the_worker, .timeout = 60)
{
    check_fault("huge-reply", 0, 0, EXTRACT_ERROR_CRASHED,
                "malformed reply");
}

Test(pool, worker_exit_costs_its_document_only, .timeout = 60)
{
    check_fault("exit", 0, 0, EXTRACT_ERROR_CRASHED, "exit status 3");
}

/* ------------------------------------------------------- Hard failure */

Test(pool, missing_worker_fails_to_start, .timeout = 60)
{
    GError *error = NULL;
    extract_pool_t *pool;

    pool = extract_pool_new(2, NULL, "/nonexistent/ctmap-extract-worker",
                            &error);
    cr_assert_null(pool);
    cr_assert_not_null(error);
    cr_assert_eq(error->code, EXTRACT_ERROR_BACKEND);
    g_clear_error(&error);

    /* A program that starts but never speaks the protocol. */
    pool = extract_pool_new(1, NULL, "/bin/true", &error);
    cr_assert_null(pool);
    cr_assert_eq(error->code, EXTRACT_ERROR_BACKEND);
    cr_assert(strstr(error->message, "before it was ready"), "%s",
              error->message);
    g_error_free(error);
    cr_assert_eq(count_children(), 0);
}

/* The worker binary disappears mid-run: the crashed document is crashed,
 * and every later one is marked backend because no worker restarts. */
Test(pool, unstartable_worker_marks_the_rest_backend, .timeout = 60)
{
    g_autofree char *dir = g_dir_make_tmp("ctmap-pool-XXXXXX", NULL);
    g_autofree char *copy = g_build_filename(dir, "worker", NULL);
    g_autofree char *bytes = NULL;
    const char *faults[4] = { "crash", NULL, NULL, NULL };
    GError *error = NULL;
    extract_pool_t *pool;
    outcome_t o = { 0 };
    gsize len;
    batch_t b;

    cr_assert(g_file_get_contents(CTMAP_EXTRACT_WORKER_PATH, &bytes, &len,
                                  NULL));
    cr_assert(g_file_set_contents(copy, bytes, (gssize)len, NULL));
    cr_assert_eq(g_chmod(copy, 0755), 0);
    pool = extract_pool_new(1, NULL, copy, &error);
    cr_assert_not_null(pool, "%s", error ? error->message : "");
    cr_assert_eq(g_unlink(copy), 0);
    cr_assert_eq(g_rmdir(dir), 0);

    batch_init(&b, 4, faults);
    cr_assert(!extract_pool_run(pool, b.ptr, b.n, on_done, &o, &error));
    cr_assert_not_null(error);
    cr_assert_eq(error->code, EXTRACT_ERROR_BACKEND);
    g_clear_error(&error);
    cr_assert_eq(o.calls, 4);
    cr_assert_eq(o.code[0], EXTRACT_ERROR_CRASHED);
    for (guint i = 1; i < 4; i++)
        cr_assert_eq(o.code[i], EXTRACT_ERROR_BACKEND, "input %u", i);
    outcome_clear(&o);
    batch_clear(&b);
    extract_pool_free(pool);
    cr_assert_eq(count_children(), 0);
}

/* ------------------------------------------------------------- Cleanup */

Test(pool, free_leaves_no_zombies_and_no_descriptors, .timeout = 60)
{
    guint fds = count_fds();
    const char *faults[6] = { "crash", NULL, "exit", NULL, NULL, NULL };
    extract_pool_t *pool = pool_start(3, 0, 0);
    outcome_t o = { 0 };
    batch_t b;

    cr_assert_eq(count_children(), 3);
    batch_init(&b, 6, faults);
    cr_assert(extract_pool_run(pool, b.ptr, b.n, on_done, &o, NULL));
    cr_assert_eq(count_children(), 3, "dead workers not reaped");
    outcome_clear(&o);
    batch_clear(&b);
    extract_pool_free(pool);
    cr_assert_eq(count_children(), 0);
    cr_assert_eq(count_fds(), fds);
}

/* A worker killed at the time limit is reaped and replaced, and free
 * leaves no process behind. */
Test(pool, free_with_a_hung_worker_kills_it, .timeout = 60)
{
    const char *faults[1] = { "hang" };
    extract_pool_t *pool = pool_start(1, 300, 0);
    outcome_t o = { 0 };
    batch_t b;

    batch_init(&b, 1, faults);
    cr_assert(extract_pool_run(pool, b.ptr, b.n, on_done, &o, NULL));
    cr_assert_eq(o.code[0], EXTRACT_ERROR_TIMEOUT);
    outcome_clear(&o);
    batch_clear(&b);
    extract_pool_free(pool);
    cr_assert_eq(count_children(), 0);
}

/* -------------------------------------------------------- Result JSON */

Test(pool, result_json_round_trip)
{
    extract_result_t r, back;
    g_autofree char *json = NULL;
    g_autofree char *json2 = NULL;
    GError *error = NULL;
    gsize len, len2;

    extract_result_init(&r);
    extract_result_init(&back);
    r.media_type = g_strdup("application/pdf");
    r.title = g_strdup("Руководство \"PVE\"\\");
    r.author = g_strdup("UNODC");
    g_free(r.lang);
    r.lang = g_strdup("ru");
    r.created = g_strdup("2020-07-01T00:00:00Z");
    r.n_pages = 3;
    g_ptr_array_add(r.pages, g_strdup("one\nline"));
    g_ptr_array_add(r.pages, g_strdup(""));
    g_ptr_array_add(r.links, g_strdup("https://example.org/a"));
    g_ptr_array_add(r.warnings, g_strdup("2 pages skipped"));

    json = extract_result_to_json(&r, &len);
    cr_assert(extract_result_from_json(&back, json, len, &error));
    json2 = extract_result_to_json(&back, &len2);
    cr_assert_str_eq(json, json2);
    cr_assert_str_eq(back.title, r.title);
    cr_assert_null(back.description);
    cr_assert_eq(back.n_pages, 3);
    cr_assert_eq(back.pages->len, 2);
    {
        g_autofree char *text = extract_result_text(&back);

        cr_assert_str_eq(text, "one\nline\n\n");
    }
    extract_result_clear(&r);
    extract_result_clear(&r);        /* clearing twice is fine */
    extract_result_clear(&back);
}

Test(pool, result_json_rejects_wrong_types)
{
    static const char *const bad[] = {
        "",
        "[]",
        "{\"media_type\":\"text/plain\"}",
        "{\"media_type\":1,\"title\":null,\"author\":null,"
        "\"description\":null,\"lang\":\"\",\"charset\":null,"
        "\"created\":null,\"modified\":null,\"n_pages\":1,\"pages\":[],"
        "\"links\":[],\"warnings\":[]}",
        "{\"media_type\":\"x\",\"title\":null,\"author\":null,"
        "\"description\":null,\"lang\":\"\",\"charset\":null,"
        "\"created\":null,\"modified\":null,\"n_pages\":-1,\"pages\":[],"
        "\"links\":[],\"warnings\":[]}",
        "{\"media_type\":\"x\",\"title\":null,\"author\":null,"
        "\"description\":null,\"lang\":\"\",\"charset\":null,"
        "\"created\":null,\"modified\":null,\"n_pages\":1,\"pages\":[1],"
        "\"links\":[],\"warnings\":[]}",
        "{\"media_type\":\"x\"",
    };

    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        extract_result_t r;
        GError *error = NULL;

        extract_result_init(&r);
        cr_assert(!extract_result_from_json(&r, bad[i], strlen(bad[i]),
                                            &error), "accepted %s", bad[i]);
        cr_assert_eq(error->code, EXTRACT_ERROR_BACKEND);
        cr_assert_null(r.pages);
        g_error_free(error);
        extract_result_clear(&r);
    }
}

/* ------------------------------------------------------- ctmap-extract */

static int
run_cli(const char *const *argv, char **out)
{
    GError *error = NULL;
    int status = 0;

    cr_assert(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL,
                           NULL, out, NULL, &status, &error),
              "%s", error ? error->message : "");
    if (!g_spawn_check_wait_status(status, NULL) && !WIFEXITED(status))
        cr_assert_fail("ctmap-extract died");
    return WEXITSTATUS(status);
}

Test(cli, exit_codes_and_json, .timeout = 60)
{
    g_autofree char *dir = g_dir_make_tmp("ctmap-cli-XXXXXX", NULL);
    g_autofree char *good = g_build_filename(dir, "a.txt", NULL);
    g_autofree char *empty_bin = g_build_filename(dir, "b.bin", NULL);
    g_autofree char *missing = g_build_filename(dir, "none.txt", NULL);
    g_autofree char *outdir = g_build_filename(dir, "out", NULL);
    /* --out mirrors the whole path under DIR. */
    g_autofree char *written = g_strconcat(outdir, good, ".txt", NULL);
    g_autofree char *text = NULL;
    g_autofree char *out = NULL;
    g_auto(GStrv) lines = NULL;
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *o;

    cr_assert(g_file_set_contents(good, "Hello, Dushanbe.\n", -1, NULL));
    cr_assert(g_file_set_contents(empty_bin, "\x01\x02\x00\xff", 4, NULL));

    {
        const char *argv[] = { CTMAP_EXTRACT_CLI, good, NULL };

        cr_assert_eq(run_cli(argv, &out), 0);
        cr_assert(strstr(out, "Hello, Dushanbe."), "%s", out);
        g_clear_pointer(&out, g_free);
    }
    {
        const char *argv[] = { CTMAP_EXTRACT_CLI, "--in-process", good,
                               missing, NULL };

        cr_assert_eq(run_cli(argv, &out), 1);
        g_clear_pointer(&out, g_free);
    }
    {
        const char *argv[] = { CTMAP_EXTRACT_CLI, "--bogus", good, NULL };

        cr_assert_eq(run_cli(argv, &out), 2);
        g_clear_pointer(&out, g_free);
    }
    {
        const char *argv[] = { CTMAP_EXTRACT_CLI, NULL };

        cr_assert_eq(run_cli(argv, &out), 2);
        g_clear_pointer(&out, g_free);
    }
    {
        const char *argv[] = { CTMAP_EXTRACT_CLI, "--json", "--jobs", "2",
                               "--out", outdir, good, empty_bin, NULL };

        cr_assert_eq(run_cli(argv, &out), 1);
    }
    lines = g_strsplit(out, "\n", -1);
    cr_assert_eq(g_strv_length(lines), 3, "%s", out);
    cr_assert(json_parser_load_from_data(parser, lines[0], -1, NULL));
    o = json_node_get_object(json_parser_get_root(parser));
    cr_assert_str_eq(json_object_get_string_member(o, "file"), good);
    cr_assert_str_eq(json_object_get_string_member(o, "status"), "ok");
    cr_assert_gt(json_object_get_int_member(o, "chars"), 10);
    cr_assert(json_parser_load_from_data(parser, lines[1], -1, NULL));
    o = json_node_get_object(json_parser_get_root(parser));
    cr_assert_str_eq(json_object_get_string_member(o, "status"),
                     "unsupported");
    cr_assert_str_eq(json_object_get_string_member(o, "error"),
                     "unsupported");
    cr_assert(g_file_get_contents(written, &text, NULL, NULL));
    cr_assert(strstr(text, "Hello, Dushanbe."));

    g_unlink(written);
    {
        char *d = g_path_get_dirname(written);

        /* Up from the file's directory to --out itself. */
        while (strlen(d) >= strlen(outdir)) {
            char *up = g_path_get_dirname(d);

            g_rmdir(d);
            g_free(d);
            d = up;
        }
        g_free(d);
    }
    g_unlink(good);
    g_unlink(empty_bin);
    g_rmdir(dir);
}
