/* helpers.c -- fixtures of the searchd suite: index building through
 * xapianc the way the indexer does it, the daemon's process, HTTP. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <glib/gstdio.h>

#include "helpers.h"
#include "schema.h"
#include "xapianc.h"

#define POS_GAP         100
#define START_MS        15000   /* generous: ASan builds start slowly */
#define STOP_MS         10000

fx_t fx;

/* Five documents: two entries and three documents, years 2016-2020, one
 * PDF of three pages whose second page alone speaks of reintegration,
 * and one text with markup in it. */
const fx_doc_t fx_corpus[] = {
    {"e-0000000000000001", "entry",
     "Rehabilitation of violent extremist prisoners in Kyrgyzstan", NULL,
     {"unodc"}, {"UNODC"}, {"prisons"}, {"kyrgyzstan"}, {"2019"},
     "project", "D", "en", "indexed", 1,
     {"UNODC supports the prison service of Kyrgyzstan in managing violent "
      "extremist prisoners and their disengagement from violence."}},
    {"d-0000000000000002", "document",
     "Handbook on children affected by the foreign fighter phenomenon",
     "https://example.org/files/handbook.pdf",
     {"osce"}, {"OSCE"}, {"returnees"}, {"kazakhstan"}, {"2018"},
     "publication", "C", "en", "indexed", 3,
     {"Introduction. This handbook is for practitioners and policy makers.",
      "Chapter two. The reintegration of women and children who return "
      "home; reintegration takes years and reintegration needs schools.",
      "Annex. Tables and a bibliography."}},
    {"d-0000000000000003", "document",
     "Preventing radicalization online", "https://example.org/online.html",
     {"unodc"}, {"UNODC"}, {"internet"}, {"kazakhstan"}, {"2020"},
     "research", "E", "ru", "indexed", 1,
     {"<script>alert(1)</script> Radicalization online & offline: a study "
      "of recruitment on social networks."}},
    {"e-0000000000000004", "entry",
     "Community policing workshop", NULL,
     {"osce"}, {"OSCE"}, {"policing"}, {"tajikistan"}, {"2017"},
     "workshop", "B", "en", "indexed", 1,
     {"A workshop on community policing for police officers of Tajikistan."}},
    {"d-0000000000000005", "document",
     "Report on prisons in Central Asia", "https://example.org/gone.pdf",
     {"undp"}, {"UNDP"}, {"prisons"}, {"uzbekistan"}, {"2016"},
     "publication", "D", "en", "unreachable", 0, {NULL}},
};
const size_t fx_corpus_len = G_N_ELEMENTS(fx_corpus);

/* ---------------------------------------------------------------- Index */

static void
add_strv(JsonBuilder *b, const char *name, const char *const *v)
{
    json_builder_set_member_name(b, name);
    json_builder_begin_array(b);
    for (; *v; v++)
        json_builder_add_string_value(b, *v);
    json_builder_end_array(b);
}

static void
add_str(JsonBuilder *b, const char *name, const char *v)
{
    json_builder_set_member_name(b, name);
    if (v)
        json_builder_add_string_value(b, v);
    else
        json_builder_add_null_value(b);
}

/* The record of DESIGN.md's data model, plus a member searchd does not
 * know, which it must pass through. */
static char *
record_json(const fx_doc_t *d)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonNode) root = NULL;
    g_autoptr(JsonGenerator) gen = json_generator_new();
    gboolean doc = g_str_equal(d->type, "document");

    json_builder_begin_object(b);
    add_str(b, "id", d->id);
    add_str(b, "type", d->type);
    add_str(b, "title", d->title);
    add_str(b, "url", d->url);
    add_strv(b, "org", d->org);
    add_strv(b, "org_labels", d->org_label);
    add_strv(b, "theme", d->theme);
    add_strv(b, "theme_labels", d->theme);
    add_str(b, "section", d->section);
    add_strv(b, "country", d->country);
    add_str(b, "kind", d->kind);
    add_strv(b, "year", d->year);
    add_str(b, "lang", d->lang);
    add_str(b, "status", d->status);
    add_str(b, "reason", g_str_equal(d->status, "unreachable")
            ? "HTTP 404" : NULL);
    add_str(b, "edition", "mapping-2020-07");
    add_str(b, "extra", "kept");
    if (doc) {
        json_builder_set_member_name(b, "pages");
        json_builder_add_int_value(b, d->pages);
    }
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    return json_generator_to_data(gen, NULL);
}

static void
field(xc_dbw_t *w, const char *prefix, unsigned slot, const char *const *v)
{
    g_autoptr(GString) joined = g_string_new(NULL);

    for (; *v; v++) {
        g_autofree char *term = g_strconcat(prefix, *v, NULL);

        cr_assert_eq(xc_dbw_add_term(w, term), XC_OK);
        if (joined->len)
            g_string_append_c(joined, XC_MULTI_SEP);
        g_string_append(joined, *v);
    }
    if (joined->len)
        cr_assert_eq(xc_dbw_set_value(w, slot, joined->str, joined->len),
                     XC_OK);
}

/* Returns: (transfer none): the NULL-terminated values of field @k of
 * @d; @one has room for a single value.  No default: -Wswitch names a
 * field of XC_FIELD_LIST the corpus here has no values for. */
static const char *const *
doc_values(const fx_doc_t *d, xc_field_t k, const char *section,
           const char *one[2])
{
    one[0] = NULL;
    one[1] = NULL;
    switch (k) {
    case XC_FIELD_ORG:
        return d->org;
    case XC_FIELD_THEME:
        return d->theme;
    case XC_FIELD_COUNTRY:
        return d->country;
    case XC_FIELD_YEAR:
        return d->year;
    case XC_FIELD_KIND:
        one[0] = d->kind;
        break;
    case XC_FIELD_TYPE:
        one[0] = d->type;
        break;
    case XC_FIELD_LANG:
        one[0] = d->lang;
        break;
    case XC_FIELD_SECTION:
        one[0] = section;
        break;
    case XC_FIELD_STATUS:
        one[0] = d->status;
        break;
    case XC_FIELD_HOST:
    case XC_FIELD_N:
        break;
    }
    return one;
}

/* Mirrors indexer/writer.c: title ("S", weight 3, and unprefixed),
 * organization names ("XO", weight 2), then each page after a position
 * gap, its first position recorded in XC_SLOT_PAGES. */
static void
add_doc(xc_dbw_t *w, const fx_doc_t *d)
{
    g_autoptr(GString) text = g_string_new(NULL);
    g_autoptr(GString) pages = g_string_new(NULL);
    g_autofree char *record = record_json(d);
    g_autofree char *section = g_ascii_strdown(d->section, -1);
    g_autofree char *date = g_strdup_printf("%s0000", d->year[0]);
    size_t i;

    cr_assert_eq(xc_dbw_begin_doc(w, d->id), XC_OK);
    cr_assert_eq(xc_dbw_add_text(w, d->title, XC_PREFIX_TITLE,
                                 XC_WEIGHT_TITLE), XC_OK);
    cr_assert_eq(xc_dbw_add_text(w, d->title, "", XC_WEIGHT_TITLE), XC_OK);
    for (i = 0; d->org_label[i]; i++) {
        cr_assert_eq(xc_dbw_next_pos(w, POS_GAP, NULL), XC_OK);
        cr_assert_eq(xc_dbw_add_text(w, d->org_label[i], XC_PREFIX_ORGTEXT,
                                     XC_WEIGHT_ORGTEXT), XC_OK);
        cr_assert_eq(xc_dbw_add_text(w, d->org_label[i], "",
                                     XC_WEIGHT_ORGTEXT), XC_OK);
    }
    for (i = 0; d->passages[i]; i++) {
        unsigned pos = 0;

        cr_assert_eq(xc_dbw_next_pos(w, POS_GAP, &pos), XC_OK);
        cr_assert_eq(xc_dbw_add_text(w, d->passages[i], "", XC_WEIGHT_BODY),
                     XC_OK);
        if (i) {
            g_string_append_c(text, XC_PAGE_SEP);
            g_string_append_c(pages, ' ');
        }
        g_string_append(text, d->passages[i]);
        g_string_append_printf(pages, "%u", pos);
    }
    cr_assert_eq(xc_dbw_set_value(w, XC_SLOT_TEXT, text->str, text->len),
                 XC_OK);
    cr_assert_eq(xc_dbw_set_value(w, XC_SLOT_PAGES, pages->str, pages->len),
                 XC_OK);
    for (i = 0; i < XC_FIELD_N; i++) {
        const char *one[2];

        field(w, xc_fields[i].prefix, xc_fields[i].slot,
              doc_values(d, (xc_field_t)i, section, one));
    }
    cr_assert_eq(xc_dbw_set_value(w, XC_SLOT_DATE, date, strlen(date)),
                 XC_OK);
    cr_assert_eq(xc_dbw_set_data(w, record), XC_OK);
    cr_assert_eq(xc_dbw_end_doc(w), XC_OK);
}

void
fx_index(const fx_doc_t *docs, size_t n)
{
    xc_dbw_t *w = NULL;
    char *msg = NULL;
    size_t i;

    cr_assert_eq(xc_dbw_open(fx.index, 1, &w, &msg), XC_OK,
                 "cannot create index: %s", msg ? msg : "?");
    cr_assert_eq(xc_dbw_begin(w), XC_OK);
    for (i = 0; i < n; i++)
        add_doc(w, &docs[i]);
    cr_assert_eq(xc_dbw_set_metadata(w, XC_META_LAST_RUN,
                                     "{\"added\":5,\"finished\":\"x\"}"),
                 XC_OK);
    cr_assert_eq(xc_dbw_commit(w), XC_OK, "%s", xc_dbw_errmsg(w));
    cr_assert_eq(xc_dbw_close(w), XC_OK);
}

void
fx_label(const char *field, const char *slug, const char *label)
{
    g_autofree char *json = g_strdup_printf("{\"%s\": {\"%s\": \"%s\"}}",
                                            field, slug, label);
    xc_dbw_t *w = NULL;
    char *msg = NULL;

    cr_assert_eq(xc_dbw_open(fx.index, 0, &w, &msg), XC_OK, "%s",
                 msg ? msg : "?");
    cr_assert_eq(xc_dbw_set_metadata(w, XC_META_LABELS, json), XC_OK);
    cr_assert_eq(xc_dbw_close(w), XC_OK);
}

void
fx_index_mapping(void)
{
    const char *argv[] = {CTMAP_INDEXER_BIN, "--quiet", "--offline",
                          "--data-dir", fx.dir, NULL};
    g_autofree char *err = NULL;

    cr_assert_eq(fx_run(argv, NULL, &err), 0, "ctmap-indexer: %s", err);
}

/* ---------------------------------------------------------------- Process */

void
fx_init(void)
{
    GError *error = NULL;

    memset(&fx, 0, sizeof(fx));
    /* Short, so the socket path fits sun_path. */
    fx.dir = g_dir_make_tmp("ctmap-sd-XXXXXX", &error);
    cr_assert_not_null(fx.dir, "%s", error ? error->message : "");
    fx.index = g_build_filename(fx.dir, "index", NULL);
    fx.sock = g_build_filename(fx.dir, "searchd.sock", NULL);
    fx.log = g_build_filename(fx.dir, "searchd.log", NULL);
}

static void
remove_tree(const char *path)
{
    GDir *dir = g_dir_open(path, 0, NULL);
    const char *name;

    if (dir) {
        for (name = g_dir_read_name(dir); name;
             name = g_dir_read_name(dir)) {
            g_autofree char *child = g_build_filename(path, name, NULL);

            if (g_file_test(child, G_FILE_TEST_IS_DIR)
                && !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
                remove_tree(child);
            else
                g_unlink(child);
        }
        g_dir_close(dir);
    }
    g_rmdir(path);
}

int
fx_wait(pid_t pid, int ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)ms * 1000;
    int status;

    do {
        pid_t r = waitpid(pid, &status, WNOHANG);

        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status)
                : 128 + WTERMSIG(status);
        if (r < 0)
            return -1;
        g_usleep(5000);
    } while (g_get_monotonic_time() < deadline);
    return -1;
}

int
fx_stop(void)
{
    int status;

    if (fx.pid <= 0)
        return 0;
    kill(fx.pid, SIGTERM);
    status = fx_wait(fx.pid, STOP_MS);
    if (status < 0) {
        kill(fx.pid, SIGKILL);
        fx_wait(fx.pid, STOP_MS);
    }
    fx.pid = 0;
    return status;
}

void
fx_fini(void)
{
    int status = fx_stop();

    /* A clean stop exits 0; in a sanitizer build an error or a leak
     * anywhere in the daemon's life makes it exit otherwise.  Criterion
     * ignores assertions in .fini, so this is loud instead. */
    if (status != 0) {
        g_autofree char *log = NULL;

        g_file_get_contents(fx.log, &log, NULL, NULL);
        g_printerr("ctmap-searchd did not stop cleanly (%d): %s\n", status,
                   log ? log : "");
    }
    if (fx.dir)
        remove_tree(fx.dir);
    g_free(fx.dir);
    g_free(fx.index);
    g_free(fx.sock);
    g_free(fx.log);
    memset(&fx, 0, sizeof(fx));
}

/* Returns the argument vector: the daemon, its data dir and socket, then
 * @extra. */
static GPtrArray *
daemon_argv(const char *const *extra)
{
    GPtrArray *argv = g_ptr_array_new();

    g_ptr_array_add(argv, (gpointer)CTMAP_SEARCHD_BIN);
    g_ptr_array_add(argv, (gpointer)"--data-dir");
    g_ptr_array_add(argv, fx.dir);
    g_ptr_array_add(argv, (gpointer)"--socket");
    g_ptr_array_add(argv, fx.sock);
    g_ptr_array_add(argv, (gpointer)"--threads");
    g_ptr_array_add(argv, (gpointer)"2");
    for (; extra && *extra; extra++)
        g_ptr_array_add(argv, (gpointer)*extra);
    g_ptr_array_add(argv, NULL);
    return argv;
}

pid_t
fx_spawn(const char *const *argv)
{
    int log_fd = open(fx.log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                      0600);
    pid_t pid;

    cr_assert_geq(log_fd, 0);
    pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        dup2(log_fd, STDERR_FILENO);
        execvp(argv[0], (char **)argv);
        _exit(127);
    }
    close(log_fd);
    fx.pid = pid;
    return pid;
}

void
fx_start(const char *const *extra)
{
    g_autoptr(GPtrArray) argv = daemon_argv(extra);
    gint64 deadline = g_get_monotonic_time() + (gint64)START_MS * 1000;
    pid_t pid = fx_spawn((const char *const *)argv->pdata);

    /* Poll /health rather than sleeping: start-up takes as long as it
     * takes, within a bound. */
    for (;;) {
        fx_http_t r;
        int status;

        /* Any answer will do: an allow-list may refuse this very
         * process. */
        if (fx_http(fx.sock, "GET", "/health", &r) && r.status > 0) {
            fx_http_clear(&r);
            return;
        }
        fx_http_clear(&r);
        if (waitpid(pid, &status, WNOHANG) == pid) {
            g_autofree char *log = NULL;

            fx.pid = 0;
            g_file_get_contents(fx.log, &log, NULL, NULL);
            cr_assert_fail("ctmap-searchd exited early: %s", log);
        }
        cr_assert_lt(g_get_monotonic_time(), deadline,
                     "ctmap-searchd did not answer /health");
        g_usleep(10000);
    }
}

int
fx_run(const char *const *argv, char **out, char **err)
{
    GError *error = NULL;
    int status = -1;

    cr_assert(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL,
                           NULL, out, err, &status, &error),
              "%s", error ? error->message : "");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---------------------------------------------------------------- HTTP */

static size_t
on_body(char *data, size_t size, size_t n, void *rock)
{
    g_string_append_len(rock, data, (gssize)(size * n));
    return size * n;
}

static size_t
on_header(char *data, size_t size, size_t n, void *rock)
{
    fx_http_t *r = rock;
    size_t len = size * n;
    g_autofree char *line = g_strstrip(g_strndup(data, len));

    if (g_ascii_strncasecmp(line, "Allow:", 6) == 0) {
        g_free(r->allow);
        r->allow = g_strdup(g_strstrip(line + 6));
    }
    return len;
}

int
fx_http(const char *sock, const char *method, const char *target,
        fx_http_t *out)
{
    CURL *curl = curl_easy_init();
    g_autofree char *url = sock ? g_strconcat("http://localhost", target,
                                              NULL)
        : g_strdup(target);
    GString *body = g_string_new(NULL);
    char *ct = NULL;
    CURLcode rc;

    memset(out, 0, sizeof(*out));
    cr_assert_not_null(curl);
    if (sock)
        curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, sock);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    if (g_str_equal(method, "HEAD"))
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, out);
    rc = curl_easy_perform(curl);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
        curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ct);
        out->content_type = g_strdup(ct);
    }
    curl_easy_cleanup(curl);
    out->body = g_string_free(body, FALSE);
    if (rc == CURLE_OK && out->content_type
        && g_str_has_prefix(out->content_type, "application/json")) {
        g_autoptr(JsonParser) p = json_parser_new();

        cr_assert(json_parser_load_from_data(p, out->body, -1, NULL),
                  "not JSON: %s", out->body);
        out->json = json_parser_steal_root(p);
    }
    return rc == CURLE_OK;
}

void
fx_http_clear(fx_http_t *r)
{
    g_free(r->body);
    g_free(r->content_type);
    g_free(r->allow);
    if (r->json)
        json_node_unref(r->json);
    memset(r, 0, sizeof(*r));
}

void
fx_get(const char *target, fx_http_t *out)
{
    cr_assert(fx_http(fx.sock, "GET", target, out),
              "daemon unreachable for %s", target);
}

JsonObject *
fx_get_ok(const char *target, fx_http_t *out)
{
    fx_get(target, out);
    cr_assert_eq(out->status, 200, "%s: %ld %s", target, out->status,
                 out->body);
    return fx_obj(out->json);
}

void
fx_assert_str_member(JsonObject *o, const char *name, const char *want)
{
    cr_assert(json_object_has_member(o, name), "no member %s", name);
    cr_assert_str_eq(json_object_get_string_member(o, name), want,
                     "member %s", name);
}

gboolean
fx_wait_total(const char *query, gint64 total, int ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)ms * 1000;

    do {
        fx_http_t r;
        gboolean done;

        fx_get(query, &r);
        done = r.status == 200
            && json_object_get_int_member(fx_obj(r.json), "total") == total;
        fx_http_clear(&r);
        if (done)
            return TRUE;
        g_usleep(20000);
    } while (g_get_monotonic_time() < deadline);
    return FALSE;
}

/* ---------------------------------------------------------------- Raw */

int
fx_raw_connect(void)
{
    struct sockaddr_un sun;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    cr_assert_geq(fd, 0);
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    g_strlcpy(sun.sun_path, fx.sock, sizeof(sun.sun_path));
    cr_assert_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0,
                 "connect: %s", g_strerror(errno));
    return fd;
}

gboolean
fx_raw_send(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

        if (n <= 0)
            return FALSE;
        data += n;
        len -= (size_t)n;
    }
    return TRUE;
}

char *
fx_raw_exchange(const char *request, long *status)
{
    int fd = fx_raw_connect();
    char *reply;

    (void)fx_raw_send(fd, request, strlen(request));
    reply = fx_raw_read(fd, 10000, NULL);
    close(fd);
    *status = fx_raw_status(reply);
    return reply;
}

void
fx_raw_hold(int *fds, size_t n, const char *line)
{
    for (size_t i = 0; i < n; i++) {
        fds[i] = fx_raw_connect();
        cr_assert(fx_raw_send(fds[i], line, strlen(line)));
    }
}

void
fx_raw_close_all(int *fds, size_t n)
{
    for (size_t i = 0; i < n; i++)
        close(fds[i]);
}

void
fx_poll_health(long status, fx_http_t *out)
{
    gint64 deadline = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;

    for (;;) {
        g_usleep(50000);
        fx_get("/health", out);
        if (out->status == status || g_get_monotonic_time() >= deadline)
            return;
        fx_http_clear(out);
    }
}

unsigned
fx_free_port(void)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    close(fd);
    return ntohs(sin.sin_port);
}

void
fx_assert_health(void)
{
    fx_expect_status("/health", 200);
}

void
fx_expect_status(const char *target, long status)
{
    fx_http_t r;

    fx_get(target, &r);
    cr_assert_eq(r.status, status, "GET %s: %s", target, r.body);
    fx_http_clear(&r);
}

char *
fx_raw_read(int fd, int ms, gboolean *closed)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)ms * 1000;
    GString *out = g_string_new(NULL);
    char buf[4096];

    if (closed)
        *closed = FALSE;
    for (;;) {
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        struct pollfd p = {fd, POLLIN, 0};
        ssize_t n;

        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            break;
        n = recv(fd, buf, sizeof(buf), 0);
        if (n <= 0) {
            if (closed)
                *closed = TRUE;
            break;
        }
        g_string_append_len(out, buf, n);
        /* One reply is enough: its headers and Content-Length bytes. */
        {
            const char *end = strstr(out->str, "\r\n\r\n");
            const char *cl = strstr(out->str, "Content-Length: ");

            if (end && cl && cl < end
                && out->len >= (size_t)(end + 4 - out->str)
                   + g_ascii_strtoull(cl + 16, NULL, 10))
                break;
        }
    }
    return g_string_free(out, FALSE);
}

long
fx_raw_status(const char *reply)
{
    if (!g_str_has_prefix(reply, "HTTP/1."))
        return 0;
    return (long)g_ascii_strtoll(reply + 9, NULL, 10);
}

/* ---------------------------------------------------------------- JSON */

JsonObject *
fx_obj(JsonNode *node)
{
    cr_assert_not_null(node);
    cr_assert(JSON_NODE_HOLDS_OBJECT(node));
    return json_node_get_object(node);
}

JsonObject *
fx_member_obj(JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);

    cr_assert_not_null(n, "no member %s", name);
    return fx_obj(n);
}

JsonArray *
fx_member_arr(JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);

    cr_assert_not_null(n, "no member %s", name);
    cr_assert(JSON_NODE_HOLDS_ARRAY(n), "%s is not an array", name);
    return json_node_get_array(n);
}

JsonObject *
fx_hit(fx_http_t *r, guint i)
{
    JsonArray *hits = fx_member_arr(fx_obj(r->json), "hits");

    cr_assert_lt(i, json_array_get_length(hits), "no hit %u in %s", i,
                 r->body);
    return fx_obj(json_array_get_element(hits, i));
}

const char *
fx_hit_id(fx_http_t *r, guint i)
{
    return json_object_get_string_member(fx_hit(r, i), "id");
}
