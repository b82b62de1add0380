/* test_daemon.c -- ctmap-searchd as a process: its socket, its exit codes,
 * signals, and an index that appears or changes while it runs. */
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "helpers.h"
#include "schema.h"
#include "xapianc.h"

TestSuite(daemon, .init = fx_init, .fini = fx_fini, .timeout = 60);

Test(daemon, missing_index_is_503_until_it_appears)
{
    fx_http_t r;
    JsonObject *e;

    fx_start(NULL);
    fx_get("/health", &r);
    cr_assert_eq(r.status, 200);
    cr_assert_not(json_object_get_boolean_member(fx_obj(r.json), "index"));
    fx_http_clear(&r);
    fx_get("/search?q=prisoners", &r);
    cr_assert_eq(r.status, 503, "%s", r.body);
    e = fx_member_obj(fx_obj(r.json), "error");
    cr_assert_str_eq(json_object_get_string_member(e, "code"), "no-index");
    fx_http_clear(&r);
    fx_expect_status("/stats", 503);
    fx_expect_status("/doc/e-0000000000000001", 503);
    /* Bad parameters are the client's fault, index or not. */
    fx_expect_status("/search?offset=x", 400);

    fx_index(fx_corpus, fx_corpus_len);
    cr_assert(fx_wait_total("/search", 5, 2000),
              "index not served within 2 s");
    fx_get("/health", &r);
    cr_assert(json_object_get_boolean_member(fx_obj(r.json), "index"));
    fx_http_clear(&r);
}

/* An index of another schema is unavailable, with the way out in the
 * message; once rebuilt (here: its schema put back) it is served. */
Test(daemon, index_of_another_schema_is_503_until_rebuilt)
{
    fx_http_t r;
    xc_dbw_t *w = NULL;
    JsonObject *e;

    fx_index(fx_corpus, fx_corpus_len);
    cr_assert_eq(xc_dbw_open(fx.index, 0, &w, NULL), XC_OK);
    cr_assert_eq(xc_dbw_set_metadata(w, XC_META_SCHEMA, "0"), XC_OK);
    cr_assert_eq(xc_dbw_close(w), XC_OK);
    fx_start(NULL);
    fx_get("/search?q=prisoners", &r);
    cr_assert_eq(r.status, 503, "%s", r.body);
    e = fx_member_obj(fx_obj(r.json), "error");
    cr_assert_str_eq(json_object_get_string_member(e, "code"), "no-index");
    cr_assert(strstr(json_object_get_string_member(e, "message"),
                     "rebuild it with ctmap-indexer --full"), "%s", r.body);
    fx_http_clear(&r);

    cr_assert_eq(xc_dbw_open(fx.index, 0, &w, NULL), XC_OK);
    cr_assert_eq(xc_dbw_set_metadata(w, XC_META_SCHEMA, XC_SCHEMA_VERSION),
                 XC_OK);
    cr_assert_eq(xc_dbw_close(w), XC_OK);
    cr_assert(fx_wait_total("/search", 5, 2000),
              "rebuilt index not served within 2 s");
}

Test(daemon, new_commit_is_served_without_restart)
{
    static const fx_doc_t extra[] = {
        {"e-00000000000000aa", "entry", "Border management training", NULL,
         {"iom"}, {"IOM"}, {"borders"}, {"turkmenistan"}, {"2021"},
         "workshop", "A", "en", "indexed", 1,
         {"Training of border guards in Turkmenistan."}},
    };

    fx_index(fx_corpus, fx_corpus_len);
    fx_start(NULL);
    /* Warm every worker's handle on the old revision first. */
    for (int i = 0; i < 8; i++) {
        fx_expect_status("/search?q=border", 200);
    }
    fx_index(extra, G_N_ELEMENTS(extra));
    cr_assert(fx_wait_total("/search", 6, 2000),
              "new commit not served within 2 s");
    cr_assert(fx_wait_total("/search?q=border+guards", 1, 2000));
}

Test(daemon, second_daemon_on_same_socket_refuses)
{
    const char *argv[] = {CTMAP_SEARCHD_BIN, "--data-dir", fx.dir,
                          "--socket", fx.sock, NULL};
    g_autofree char *err = NULL;

    fx_start(NULL);
    cr_assert_eq(fx_run(argv, NULL, &err), 1);
    cr_assert(strstr(err, "another ctmap-searchd is serving"), "%s", err);
    /* The first one is unharmed. */
    fx_expect_status("/health", 200);
}

Test(daemon, stale_socket_file_is_replaced)
{
    struct sockaddr_un sun;
    struct stat st;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    g_strlcpy(sun.sun_path, fx.sock, sizeof(sun.sun_path));
    cr_assert_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    close(fd);                  /* a socket file nobody listens on */
    cr_assert_eq(lstat(fx.sock, &st), 0);
    fx_start(NULL);             /* asserts that /health answers */
}

Test(daemon, path_that_is_not_a_socket_is_left_alone)
{
    const char *argv[] = {CTMAP_SEARCHD_BIN, "--data-dir", fx.dir,
                          "--socket", fx.sock, NULL};
    g_autofree char *err = NULL;

    cr_assert(g_file_set_contents(fx.sock, "precious", -1, NULL));
    cr_assert_eq(fx_run(argv, NULL, &err), 1);
    cr_assert(strstr(err, "not a socket"), "%s", err);
    cr_assert(g_file_test(fx.sock, G_FILE_TEST_IS_REGULAR));
}

Test(daemon, socket_mode_is_0660_by_default)
{
    struct stat st;

    fx_start(NULL);
    cr_assert_eq(stat(fx.sock, &st), 0);
    cr_assert(S_ISSOCK(st.st_mode));
    cr_assert_eq(st.st_mode & 07777, 0660, "mode %o", st.st_mode & 07777);
}

Test(daemon, socket_mode_option_is_applied)
{
    const char *extra[] = {"--socket-mode", "0600", NULL};
    struct stat st;

    fx_start(extra);
    cr_assert_eq(stat(fx.sock, &st), 0);
    cr_assert_eq(st.st_mode & 07777, 0600, "mode %o", st.st_mode & 07777);
}

/* Starts the daemon, sends it @sig and asserts that it exits 0. */
static void
expect_exit_0_on(int sig)
{
    pid_t pid;

    fx_start(NULL);
    pid = fx.pid;
    cr_assert_eq(kill(pid, sig), 0);
    cr_assert_eq(fx_wait(pid, 10000), 0, "signal %d", sig);
    fx.pid = 0;
}

Test(daemon, sigterm_exits_0_and_removes_socket)
{
    expect_exit_0_on(SIGTERM);
    cr_assert_not(g_file_test(fx.sock, G_FILE_TEST_EXISTS));
}

Test(daemon, sigint_exits_0)
{
    expect_exit_0_on(SIGINT);
}

Test(daemon, sighup_keeps_serving)
{
    fx_index(fx_corpus, fx_corpus_len);
    fx_start(NULL);
    cr_assert_eq(kill(fx.pid, SIGHUP), 0);
    fx_expect_status("/search?q=prisoners", 200);
}

Test(daemon, listen_serves_tcp_on_loopback)
{
    g_autofree char *spec = NULL;
    g_autofree char *url = NULL;
    const char *extra[] = {"--listen", NULL, NULL};
    fx_http_t r;

    spec = g_strdup_printf("127.0.0.1:%u", fx_free_port());
    url = g_strdup_printf("http://%s/health", spec);
    extra[1] = spec;
    fx_start(extra);
    cr_assert(fx_http(NULL, "GET", url, &r));
    cr_assert_eq(r.status, 200);
    fx_http_clear(&r);
}

Test(daemon, bad_arguments_exit_2)
{
    g_autofree char *long_sock = g_strnfill(200, 's');
    const char *cases[][4] = {
        {"--threads", "0", NULL, NULL},
        {"--threads", "257", NULL, NULL},
        {"--threads", "many", NULL, NULL},
        {"--socket-mode", "999", NULL, NULL},
        {"--socket-mode", "rw", NULL, NULL},
        {"--listen", "192.0.2.1:8080", NULL, NULL},
        {"--listen", "localhost", NULL, NULL},
        {"--listen", "127.0.0.1:0", NULL, NULL},
        {"--socket", long_sock, NULL, NULL},
        {"--socket-group", "no-such-group-xyz", NULL, NULL},
        {"--allow-uid", "no-such-user-xyz", NULL, NULL},
        {"--allow-gid", "no-such-group-xyz", NULL, NULL},
        {"--allow-uid", "0", "--listen", "127.0.0.1:8080"},
        {"--timeout", "0", NULL, NULL},
        {"--max-connections", "0", NULL, NULL},
        {"--no-such-option", NULL, NULL, NULL},
        {"stray", NULL, NULL, NULL},
    };
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        const char *argv[] = {CTMAP_SEARCHD_BIN, "--data-dir", fx.dir,
                              cases[i][0], cases[i][1], cases[i][2],
                              cases[i][3], NULL};
        g_autofree char *err = NULL;

        cr_assert_eq(fx_run(argv, NULL, &err), 2, "%s %s", cases[i][0],
                     cases[i][1] ? cases[i][1] : "");
        /* One line. */
        cr_assert(g_str_has_suffix(err, "\n"), "%s", err);
        cr_assert_eq(strchr(err, '\n'), err + strlen(err) - 1, "%s", err);
    }
}

Test(daemon, unbindable_socket_exits_1)
{
    g_autofree char *sock = g_build_filename(fx.dir, "no", "such", "dir",
                                             "s.sock", NULL);
    const char *argv[] = {CTMAP_SEARCHD_BIN, "--data-dir", fx.dir,
                          "--socket", sock, NULL};
    g_autofree char *err = NULL;

    cr_assert_eq(fx_run(argv, NULL, &err), 1);
    cr_assert(strstr(err, "cannot bind"), "%s", err);
}
