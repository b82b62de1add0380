/* test_faults.c -- the indexer under bad input it must survive without
 * losing anything (issue 13): repository files swapped for a link, a FIFO,
 * another file or a shorter copy while a run reads them (driven at exact
 * points by the test build's CTMAP_READ_HOOK), cache bodies tampered with
 * between runs, --mirror prefixes that a string comparison would have
 * matched, passwords in cited URLs, and a data dir too full to stage a
 * body.  Real files, the real indexer binary, the fixture HTTP server over
 * a real socket, and the real index read back with xapianc.
 */
#include <criterion/criterion.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <errno.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture-server.h"
#include "helpers.h"
#include "schema.h"
#include "xapianc.h"

static char *tmp;
static fx_server_t *srv;

static void
setup(void)
{
    g_autoptr(GError) error = NULL;

    tmp = g_dir_make_tmp("ctmap-faults-XXXXXX", NULL);
    cr_assert_not_null(tmp);
    srv = fx_server_start(NULL, &error);
    cr_assert_not_null(srv, "%s", error ? error->message : "");
}

static void
teardown(void)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmp);
    g_autofree char *small = g_build_filename(tmp, "small", NULL);

    /* The ENOSPC case's tmpfs, if a failed assertion left it mounted. */
    umount2(small, MNT_DETACH);

    fx_server_stop(srv);
    cr_assert_eq(system(cmd), 0);
    g_free(tmp);
}

TestSuite(faults, .init = setup, .fini = teardown, .timeout = 120);

/* ---------------------------------------------------------------- Helpers */

static char *
path_in(const char *rel)
{
    return g_build_filename(tmp, rel, NULL);
}

static void
write_file(const char *rel, const char *data)
{
    g_autofree char *path = path_in(rel);
    g_autofree char *dir = g_path_get_dirname(path);

    cr_assert_eq(g_mkdir_with_parents(dir, 0755), 0);
    cr_assert(g_file_set_contents(path, data, -1, NULL), "%s", path);
}

/* Runs the indexer with @args (NULL-terminated) and @env (nullable, as
 * "NAME=VALUE" strings added to ours); returns its exit code and, in
 * @err_out (nullable), its stderr. */
static int
run_indexer(char **err_out, const char *const *env, const char *const *args)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_auto(GStrv) envp = g_get_environ();
    g_autoptr(GError) error = NULL;
    char *err = NULL;
    int status = 0;

    g_ptr_array_add(argv, (char *)CTMAP_INDEXER);
    for (guint i = 0; args[i]; i++)
        g_ptr_array_add(argv, (char *)args[i]);
    g_ptr_array_add(argv, NULL);
    for (guint i = 0; env && env[i]; i++) {
        g_auto(GStrv) kv = g_strsplit(env[i], "=", 2);

        envp = g_environ_setenv(envp, kv[0], kv[1], TRUE);
    }
    cr_assert(g_spawn_sync(NULL, (char **)argv->pdata, envp, 0, NULL, NULL,
                           NULL, &err, &status, &error), "%s",
              error ? error->message : "");
    if (err_out)
        *err_out = err;
    else
        g_free(err);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static JsonParser *
load_report(const char *data)
{
    g_autofree char *path = g_build_filename(data, "report.json", NULL);
    JsonParser *p = json_parser_new();

    cr_assert(json_parser_load_from_file(p, path, NULL), "no %s", path);
    return p;
}

/* The report's source one of whose URLs (or whose id) holds @part. */
static JsonObject *
source_with(JsonParser *p, const char *part)
{
    JsonObject *root = json_node_get_object(json_parser_get_root(p));
    JsonArray *sources = json_object_get_array_member(root, "sources");

    for (guint i = 0; i < json_array_get_length(sources); i++) {
        JsonObject *s = json_array_get_object_element(sources, i);
        JsonArray *urls = json_object_has_member(s, "urls")
            ? json_object_get_array_member(s, "urls") : NULL;

        for (guint u = 0; urls && u < json_array_get_length(urls); u++)
            if (strstr(json_array_get_string_element(urls, u), part))
                return s;
        if (json_object_has_member(s, "url")
            && !JSON_NODE_HOLDS_NULL(json_object_get_member(s, "url"))
            && strstr(json_object_get_string_member(s, "url"), part))
            return s;
    }
    return NULL;
}

static void
assert_source(JsonParser *p, const char *part, const char *status,
              const char *reason_part)
{
    JsonObject *s = source_with(p, part);
    const char *reason;

    cr_assert_not_null(s, "no source for %s", part);
    reason = json_object_get_string_member_with_default(s, "reason", NULL);
    cr_assert_str_eq(json_object_get_string_member(s, "status"), status,
                     "%s: %s (%s)", part,
                     json_object_get_string_member(s, "status"),
                     reason ? reason : "");
    if (reason_part)
        cr_assert(reason && strstr(reason, reason_part),
                  "%s: reason '%s', expected '%s'", part,
                  reason ? reason : "(null)", reason_part);
}

/* Everything a search can see in the index of @data (records and text)
 * as one string. */
static char *
dump_index(const char *data)
{
    g_autofree char *path = g_build_filename(data, "index", NULL);
    xc_db_t *db = NULL;
    char *msg = NULL;
    char *dump;

    cr_assert_eq(xc_db_open(path, &db, &msg), XC_OK, "%s", msg);
    dump = it_dump_db(db);
    xc_db_close(db);
    return dump;
}

/* "--mirror http://repo.example.org/=<the server>" */
static char *
mirror_spec(void)
{
    g_autofree char *base = fx_server_url(srv, "/");

    return g_strconcat("http://repo.example.org/=", base, NULL);
}

/* ------------------------------------------------- Files swapped mid-run */

/* What a curator can do to repository/victim.txt between the plan and
 * the read (stage "open": before the file is opened; "read": after it
 * was opened and measured), and what the report must then say.  The
 * secret file outside the repository holds a word that must never reach
 * the index. */
typedef struct {
    const char *name;
    const char *stage;
    const char *action;         /* shell, in the repository folder */
    const char *reason;         /* part of the target's reason */
    const char *target;         /* NULL: victim.txt */
} swap_case_t;

static const swap_case_t swap_cases[] = {
    { "symlink", "open", "rm victim.txt && ln -s ../secret.txt victim.txt",
      "a symbolic link, not followed", NULL },
    { "fifo", "open", "rm victim.txt && mkfifo victim.txt",
      "not a regular file", NULL },
    { "replaced", "open",
      "mv victim.txt old.tmp && cp ../secret.txt victim.txt",
      "changed while being read: replaced by another file", NULL },
    /* The folder holding it swapped for a link to one outside holding a
     * file of the same name: open() of the whole path would follow it;
     * the walk from the repository folder refuses the link. */
    { "folder-link", "open",
      "mkdir -p ../outside/sub && cp ../secret.txt ../outside/sub/deep.txt "
      "&& mv sub sub.old && ln -s ../outside/sub sub",
      "changed while being read: folder sub is now a symbolic link, not "
      "followed", "sub/deep.txt" },
    /* The folder moved out of the repository, the secret written into its
     * file in place, and a link left behind: the same inode, so only the
     * walk from the repository folder tells it is no longer inside. */
    { "folder-moved-out", "open",
      "cat ../secret.txt > sub/deep.txt && mv sub ../outside-sub "
      "&& ln -s ../outside-sub sub",
      "changed while being read: folder sub is now a symbolic link, not "
      "followed", "sub/deep.txt" },
    { "truncated", "read", "truncate -s 10 victim.txt",
      "changed while being read: ", NULL },
    { "grown", "read", "cat ../secret.txt >> victim.txt",
      "changed while being read: ", NULL },
};

static void
run_swap_case(const swap_case_t *c)
{
    const char *target = c->target ? c->target : "victim.txt";
    const char *other = c->target ? "victim.txt" : "sub/deep.txt";
    g_autofree char *repo = path_in("repository");
    g_autofree char *data = path_in("var");
    g_autofree char *hook = path_in("hook.sh");
    g_autofree char *script = g_strdup_printf(
        "#!/bin/sh\n"
        "[ \"$1\" = %s ] || exit 0\n"
        "case \"$2\" in */%s) ;; *) exit 0;; esac\n"
        "cd '%s' && %s\n", c->stage, target, repo, c->action);
    g_autofree char *env_hook = g_strconcat("CTMAP_READ_HOOK=", hook, NULL);
    g_autofree char *err = NULL, *index = NULL;
    g_autoptr(JsonParser) report = NULL;
    const char *env[] = { env_hook, NULL };
    const char *args[] = { "--quiet", "--data-dir", data, "--repository",
                           repo, NULL };
    int rc;

    write_file("repository/good.txt", "Border management handbook, "
               "goodword in every chapter.\n");
    write_file("repository/victim.txt", "Victim notes on prison reform, "
               "victimword and more words to make it longer than ten "
               "bytes.\n");
    write_file("repository/sub/deep.txt", "Deep notes on border control, "
               "deepword.\n");
    write_file("secret.txt", "Root only: secretword.\n");
    cr_assert(g_file_set_contents(hook, script, -1, NULL));
    cr_assert_eq(g_chmod(hook, 0755), 0);

    rc = run_indexer(&err, env, args);
    cr_assert_eq(rc, 0, "%s: exit %d: %s", c->name, rc, err);
    report = load_report(data);
    assert_source(report, "good.txt", "indexed", NULL);
    assert_source(report, target, "broken", c->reason);
    assert_source(report, other, "indexed", NULL);
    index = dump_index(data);
    cr_assert(strstr(index, "goodword"), "%s: the good file lost", c->name);
    cr_assert_null(strstr(index, "secretword"), "%s: the secret was indexed",
                   c->name);
}

Test(faults, a_file_swapped_during_a_run_is_refused_and_the_run_goes_on)
{
    for (guint i = 0; i < G_N_ELEMENTS(swap_cases); i++) {
        g_autofree char *cmd = g_strdup_printf("rm -rf '%s'/*", tmp);

        cr_assert_eq(system(cmd), 0);
        run_swap_case(&swap_cases[i]);
    }
}

/* ------------------------------------------------------- Cache tampering */

/* What can happen to a cached body between runs. */
typedef struct {
    const char *name;
    const char *action;         /* shell; $B is the body's path */
} tamper_case_t;

static const tamper_case_t tamper_cases[] = {
    { "overwritten", "printf 'Tampered: evilword.' > \"$B\"" },
    { "truncated", "truncate -s 5 \"$B\"" },
    { "symlink", "rm \"$B\" && ln -s \"$SECRET\" \"$B\"" },
    { "fifo", "rm \"$B\" && mkfifo \"$B\"" },
};

static char *
only_body(const char *data)
{
    g_autofree char *cmd = g_strdup_printf(
        "find '%s/cache/bodies' -type f -o -type l", data);
    char *out = NULL;
    int status = 0;

    cr_assert(g_spawn_command_line_sync(cmd, &out, NULL, &status, NULL));
    g_strstrip(out);
    cr_assert(*out && !strchr(out, '\n'), "bodies: %s", out);
    return out;
}

static void
run_tamper_case(const tamper_case_t *c, gboolean offline)
{
    static const char notes[] = "Cached notes: cachedword.\n";
    g_autofree char *data = path_in("var");
    g_autofree char *map = path_in("mapping.txt");
    g_autofree char *secret = path_in("secret.txt");
    g_autofree char *mirror = mirror_spec();
    g_autofree char *body = NULL, *cmd = NULL, *err = NULL;
    g_autofree char *index = NULL;
    g_autoptr(JsonParser) report = NULL;
    const char *args[] = { "--quiet", "--data-dir", data, "--mapping", map,
                           "--mirror", mirror, NULL };
    const char *args_offline[] = { "--data-dir", data, "--mapping", map,
                                   "--offline", "--full", NULL };
    const char *args_online[] = { "--data-dir", data, "--mapping", map,
                                  "--mirror", mirror, NULL };
    guint hits;
    int rc;

    write_file("mapping.txt",
               "E. THEMATIC AREAS: 2) COUNTERING TERRORISM\n\n"
               "Publications\tUNODC\tCached notes (2019). "
               "http://repo.example.org/notes.txt\n");
    write_file("secret.txt", "Root only: secretword.\n");
    fx_server_set_file(srv, "/notes.txt", notes, strlen(notes),
                       "text/plain");
    cr_assert_eq(run_indexer(&err, NULL, args), 0, "%s", err);
    g_clear_pointer(&err, g_free);
    hits = fx_server_hits(srv, "/notes.txt");
    body = only_body(data);
    cmd = g_strdup_printf("B='%s' SECRET='%s'; %s", body, secret,
                          c->action);
    {
        const char *argv[] = { "sh", "-c", cmd, NULL };
        int status = 0;

        cr_assert(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH,
                               NULL, NULL, NULL, NULL, &status, NULL));
        cr_assert_eq(status, 0, "%s: %s", c->name, cmd);
    }

    rc = run_indexer(&err, NULL, offline ? args_offline : args_online);
    cr_assert_eq(rc, 0, "%s: exit %d: %s", c->name, rc, err);
    cr_assert(strstr(err, "does not match its hash"),
              "%s: no warning: %s", c->name, err);
    index = dump_index(data);
    cr_assert_null(strstr(index, "evilword"), "%s: tampered text indexed",
                   c->name);
    cr_assert_null(strstr(index, "secretword"), "%s: secret indexed",
                   c->name);
    report = load_report(data);
    if (offline) {
        /* Nothing to fetch it from: not in the cache, not indexed. */
        assert_source(report, "notes.txt", "unreachable", "offline");
        return;
    }
    /* Fetched again, unconditionally (no validator for bytes we do not
     * have), and indexed as it is. */
    cr_assert_eq(fx_server_hits(srv, "/notes.txt"), hits + 1, "%s",
                 c->name);
    cr_assert_null(fx_server_last_header(srv, "/notes.txt",
                                         "If-None-Match"), "%s", c->name);
    cr_assert(strstr(index, "cachedword"), "%s: text lost", c->name);
}

Test(faults, a_tampered_cache_body_is_fetched_again_never_indexed)
{
    for (guint off = 0; off < 2; off++)
        for (guint i = 0; i < G_N_ELEMENTS(tamper_cases); i++) {
            g_autofree char *cmd = g_strdup_printf("rm -rf '%s'/*", tmp);

            cr_assert_eq(system(cmd), 0);
            run_tamper_case(&tamper_cases[i], off);
        }
}

/* ------------------------------------------------------ Mirror prefixes */

/* A mapping of one row per URL in @urls, under section E. */
static void
write_mapping(const char *const *urls)
{
    GString *m = g_string_new("E. THEMATIC AREAS: 2) COUNTERING TERRORISM"
                              "\n\n");

    for (guint i = 0; urls[i]; i++)
        g_string_append_printf(m, "Publications\tUNODC\tCited document "
                               "number %u (2019). %s\n", i, urls[i]);
    write_file("mapping.txt", m->str);
    g_string_free(m, TRUE);
}

Test(faults, mirror_prefixes_are_matched_as_urls)
{
    static const char text[] = "Mirrored notes: mirrorword.\n";
    g_autofree char *data = path_in("var");
    g_autofree char *map = path_in("mapping.txt");
    g_autofree char *base = fx_server_url(srv, "");
    /* Written without trailing slashes, as the probe did. */
    g_autofree char *plain = g_strdup_printf("http://fault.invalid=%s", base);
    g_autofree char *folder = g_strdup_printf(
        "http://docs.invalid/docs=%s/mirror", base);
    /* A page on the mirror redirecting to what a string prefix took for
     * the mirror: really the metadata address, with the mirror's
     * "host:port" as a user name. */
    g_autofree char *evil_at = g_strdup_printf(
        "%s@169.254.169.254/latest/meta-data", base);
    g_autofree char *evil_esc = g_uri_escape_string(evil_at, NULL, FALSE);
    g_autofree char *redirect = g_strconcat(
        "http://fault.invalid/fault/redirect-to/", evil_esc, NULL);
    const char *urls[] = {
        redirect,
        "HTTP://FAULT.INVALID/upper.txt",
        "http://docs.invalid/docs/inside.txt",
        "http://docs.invalid/docs-old/outside.txt",
        NULL
    };
    const char *args[] = { "--quiet", "--data-dir", data, "--mapping", map,
                           "--mirror", plain, "--mirror", folder, NULL };
    g_autofree char *err = NULL;
    g_autoptr(JsonParser) report = NULL;
    JsonObject *s;

    fx_server_set_file(srv, "/upper.txt", text, strlen(text), "text/plain");
    fx_server_set_file(srv, "/mirror/inside.txt", text, strlen(text),
                       "text/plain");
    fx_server_set_file(srv, "/mirror-old/outside.txt", text, strlen(text),
                       "text/plain");
    write_mapping(urls);
    cr_assert_eq(run_indexer(&err, NULL, args), 0, "%s", err);
    report = load_report(data);
    /* Never trusted as the mirror: the address check refuses it. */
    assert_source(report, "fault/redirect-to", "unreachable",
                  "refused: 169.254.169.254 is a link-local address");
    /* Scheme and host match whatever their case. */
    assert_source(report, "FAULT.INVALID/upper.txt", "indexed", NULL);
    cr_assert_eq(fx_server_hits(srv, "/upper.txt"), 1);
    /* The path matches on segment boundaries: /docs is not /docs-old. */
    assert_source(report, "/docs/inside.txt", "indexed", NULL);
    cr_assert_eq(fx_server_hits(srv, "/mirror-old/outside.txt"), 0);
    s = source_with(report, "docs-old/outside.txt");
    cr_assert_not_null(s);
    cr_assert_str_neq(json_object_get_string_member(s, "status"), "indexed");
}

/* Mirror rules a string prefix would have taken, refused up front. */
Test(faults, mirror_rules_with_credentials_or_fragments_are_refused)
{
    static const char *const bad[][2] = {
        { "http://u:p@a.invalid/=http://127.0.0.1/", "user name or password" },
        { "http://a.invalid/=http://x@127.0.0.1/", "user name or password" },
        { "http://a.invalid/#x=http://127.0.0.1/", "fragment" },
        { "ftp://a.invalid/=http://127.0.0.1/", "not an http, https or file" },
    };
    g_autofree char *data = path_in("var");

    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        const char *args[] = { "--quiet", "--data-dir", data, "--mirror",
                               bad[i][0], NULL };
        g_autofree char *err = NULL;

        cr_assert_eq(run_indexer(&err, NULL, args), 2, "%s: %s", bad[i][0],
                     err);
        cr_assert(strstr(err, bad[i][1]), "%s: %s", bad[i][0], err);
    }
}

/* ---------------------------------------------------------- Userinfo */

Test(faults, a_password_in_a_cited_url_is_neither_kept_nor_sent)
{
    static const char text[] = "Protected notes: protectedword.\n";
    g_autofree char *data = path_in("var");
    g_autofree char *map = path_in("mapping.txt");
    g_autofree char *mirror = mirror_spec();
    g_autofree char *report_text = NULL, *err = NULL, *index = NULL;
    const char *urls[] = {
        "http://curator:hunter2secret@repo.example.org/protected.txt", NULL
    };
    const char *args[] = { "--quiet", "--data-dir", data, "--mapping", map,
                           "--mirror", mirror, NULL };
    g_autofree char *report_path = g_build_filename(data, "report.json",
                                                    NULL);
    g_autoptr(JsonParser) report = NULL;
    JsonObject *s;

    fx_server_set_file(srv, "/protected.txt", text, strlen(text),
                       "text/plain");
    write_mapping(urls);
    cr_assert_eq(run_indexer(&err, NULL, args), 0, "%s", err);
    report = load_report(data);
    s = source_with(report, "repo.example.org/protected.txt");
    cr_assert_not_null(s);
    cr_assert_str_eq(json_object_get_string_member(s, "url"),
                     "http://repo.example.org/protected.txt");
    cr_assert_str_eq(json_object_get_string_member(s, "status"), "indexed");
    cr_assert_null(fx_server_last_header(srv, "/protected.txt",
                                         "Authorization"));
    /* Only the mapping's own text, quoted as written in the entry, may
     * still hold it: no URL field of any record does. */
    cr_assert(g_file_get_contents(report_path, &report_text, NULL, NULL));
    cr_assert_null(strstr(report_text, "hunter2secret"), "%s", report_text);
    index = dump_index(data);
    cr_assert(strstr(index, "protectedword"));
    {
        g_auto(GStrv) lines = g_strsplit(index, "\n", -1);

        for (guint i = 0; lines[i]; i++)
            if (g_str_has_prefix(lines[i], "d-"))
                cr_assert_null(strstr(lines[i], "hunter2secret"), "%s",
                               lines[i]);
    }
}

/* ------------------------------------------------------------- ENOSPC */

/* A data dir with room to commit but not to stage a body: the run fails
 * (exit 1, the reason named) and the document keeps its text, rather than
 * becoming "unreachable" with exit 0.  Needs a tmpfs, which only root
 * (or a user namespace) can mount. */
Test(faults, a_full_data_dir_fails_the_run_and_keeps_the_document)
{
    static const char text[] = "Cached notes: cachedword.\n";
    g_autofree char *small = path_in("small");
    g_autofree char *data = g_build_filename(small, "var", NULL);
    g_autofree char *filler = g_build_filename(small, "filler", NULL);
    g_autofree char *map = path_in("mapping.txt");
    g_autofree char *mirror = mirror_spec();
    g_autofree char *err = NULL, *index = NULL;
    const char *urls[] = { "http://repo.example.org/notes.txt", NULL };
    const char *args[] = { "--data-dir", data, "--mapping", map,
                           "--mirror", mirror, NULL };
    GString *big = g_string_new(NULL);
    struct statvfs vfs;
    guint64 room;
    int rc;

    cr_assert_eq(g_mkdir_with_parents(small, 0755), 0);
    if (mount("tmpfs", small, "tmpfs", 0, "size=16m") != 0) {
        int e = errno;

        g_string_free(big, TRUE);
        cr_skip_test("cannot mount a tmpfs here (%s): the ENOSPC case "
                     "needs root", g_strerror(e));
    }
    write_mapping(urls);
    fx_server_set_file(srv, "/notes.txt", text, strlen(text), "text/plain");
    rc = run_indexer(&err, NULL, args);
    cr_assert_eq(rc, 0, "first run: %s", err);
    g_clear_pointer(&err, g_free);

    /* 4 MB of new text, and 1 MB of room left. */
    while (big->len < 4 * 1024 * 1024)
        g_string_append(big, "Revised notes, revisedword, much longer.\n");
    fx_server_set_file(srv, "/notes.txt", big->str, big->len, "text/plain");
    g_string_free(big, TRUE);
    cr_assert_eq(statvfs(small, &vfs), 0);
    room = (guint64)vfs.f_bavail * vfs.f_frsize;
    cr_assert_gt(room, 2 * 1024 * 1024);
    {
        g_autofree char *cmd = g_strdup_printf(
            "head -c %" G_GUINT64_FORMAT " /dev/zero > '%s'",
            room - 1024 * 1024, filler);

        cr_assert_eq(system(cmd), 0);
    }
    rc = run_indexer(&err, NULL, args);
    cr_assert_eq(rc, 1, "second run: exit %d: %s", rc, err);
    cr_assert(strstr(err, "index not updated")
              && strstr(err, "No space left on device"), "%s", err);
    index = dump_index(data);
    cr_assert(strstr(index, "cachedword"), "the text was lost: %s", index);
    cr_assert_null(strstr(index, "\"unreachable\""), "%s", index);
    cr_assert_eq(umount2(small, MNT_DETACH), 0);
}

/* ------------------------------------------------- Responses and pages */

/* Malformed responses get a reason that names what was wrong, at once:
 * no retries, no waiting for a body whose end is unknowable. */
Test(faults, malformed_responses_are_named_and_not_retried)
{
    static const struct {
        const char *path;
        const char *reason;
    } cases[] = {
        { "/fault/two-lengths/a.txt",
          "protocol error: conflicting Content-Length headers (20 and "
          "5000)" },
        { "/fault/huge-header/b.txt", "response headers over libcurl's "
          "limit" },
    };
    g_autofree char *data = path_in("var");
    g_autofree char *list = path_in("urls.txt");
    g_autofree char *mirror = mirror_spec();
    g_autofree char *err = NULL;
    g_autoptr(JsonParser) report = NULL;
    GString *urls = g_string_new(NULL);
    GString *long_url = g_string_new("http://repo.example.org/long/");
    const char *args[] = { "--quiet", "--data-dir", data, "--urls", list,
                           "--mirror", mirror, NULL };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
        g_string_append_printf(urls, "http://repo.example.org%s\n",
                               cases[i].path);
    while (long_url->len < 70 * 1024)
        g_string_append(long_url, "segment/");
    g_string_append(long_url, "end.txt");
    g_string_append_printf(urls, "%s\n", long_url->str);
    g_string_free(long_url, TRUE);
    cr_assert(g_file_set_contents(list, urls->str, -1, NULL));
    g_string_free(urls, TRUE);

    cr_assert_eq(run_indexer(&err, NULL, args), 0, "%s", err);
    report = load_report(data);
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        assert_source(report, cases[i].path, "unreachable", cases[i].reason);
        cr_assert_eq(fx_server_hits(srv, cases[i].path), 1, "%s retried",
                     cases[i].path);
    }
    assert_source(report, "/long/segment/", "unreachable",
                  "URL too long (");
    cr_assert_eq(fx_server_total_hits(srv), G_N_ELEMENTS(cases));
}

/* A page of 30 document links adds 10 with --max-discovered 10, and the
 * report says how many more it had. */
Test(faults, a_followed_page_adds_at_most_max_discovered_documents)
{
    g_autofree char *data = path_in("var");
    g_autofree char *map = path_in("mapping.txt");
    g_autofree char *mirror = mirror_spec();
    g_autofree char *err = NULL;
    g_autoptr(JsonParser) report = NULL;
    GString *page = g_string_new("<html><head><title>Many documents"
                                 "</title></head><body><ul>");
    const char *urls[] = { "http://repo.example.org/many/index.html",
                           NULL };
    const char *args[] = { "--quiet", "--data-dir", data, "--mapping", map,
                           "--mirror", mirror, "--follow", "1",
                           "--max-discovered", "10", NULL };
    JsonObject *root;
    JsonArray *sources, *warnings;
    guint found = 0;
    gboolean warned = FALSE;

    for (guint i = 0; i < 30; i++) {
        g_autofree char *path = g_strdup_printf("/many/doc-%02u.txt", i);
        g_autofree char *text = g_strdup_printf("Document %u of many.\n", i);

        fx_server_set_file(srv, path, text, strlen(text), "text/plain");
        g_string_append_printf(page, "<li><a href=\"doc-%02u.txt\">%u</a>"
                               "</li>", i, i);
    }
    g_string_append(page, "</ul></body></html>");
    fx_server_set_file(srv, "/many/index.html", page->str, page->len,
                       "text/html");
    g_string_free(page, TRUE);
    write_mapping(urls);

    cr_assert_eq(run_indexer(&err, NULL, args), 0, "%s", err);
    report = load_report(data);
    root = json_node_get_object(json_parser_get_root(report));
    sources = json_object_get_array_member(root, "sources");
    for (guint i = 0; i < json_array_get_length(sources); i++) {
        JsonObject *s = json_array_get_object_element(sources, i);
        const char *url = json_object_get_string_member_with_default(
            s, "url", NULL);

        found += url && strstr(url, "/many/doc-") != NULL;
    }
    cr_assert_eq(found, 10);
    warnings = json_object_get_array_member(root, "warnings");
    for (guint i = 0; i < json_array_get_length(warnings); i++)
        warned |= strstr(json_array_get_string_element(warnings, i),
                         "20 more document links not followed") != NULL;
    cr_assert(warned, "no warning about the 20 links left");
}

/* ------------------------------------------------------- Writer bounds */

/* Word @i of a generated vocabulary: "qz" and base-26 letters, which no
 * stemmer shortens and no stopword list holds. */
static void
append_word(GString *s, guint i)
{
    char sep = i % 16 == 15 ? '\n' : ' ';

    g_string_append(s, "qz");
    do {
        g_string_append_c(s, (char)('a' + i % 26));
        i /= 26;
    } while (i);
    g_string_append_c(s, sep);
}

static void
write_words(const char *rel, guint from, guint n)
{
    GString *s = g_string_new(NULL);

    for (guint i = from; i < from + n; i++)
        append_word(s, i);
    write_file(rel, s->str);
    g_string_free(s, TRUE);
}

static uint64_t
termfreq(const char *data, const char *term)
{
    g_autofree char *path = g_build_filename(data, "index", NULL);
    xc_db_t *db = NULL;
    char *msg = NULL;
    uint64_t n = 0;

    cr_assert_eq(xc_db_open(path, &db, &msg), XC_OK, "%s", msg);
    cr_assert_eq(xc_db_termfreq(db, term, &n), XC_OK);
    xc_db_close(db);
    return n;
}

/* A file of 30,000 distinct words under --max-terms 10000: indexed, its
 * first words searchable, its last not, and the report says so. */
Test(faults, a_document_over_the_term_cap_is_cut_and_reported)
{
    g_autofree char *repo = path_in("repository");
    g_autofree char *data = path_in("var");
    g_autofree char *err = NULL;
    g_autoptr(JsonParser) report = NULL;
    GString *first = g_string_new(NULL), *last = g_string_new(NULL);
    const char *args[] = { "--quiet", "--data-dir", data, "--repository",
                           repo, "--max-terms", "10000", NULL };
    JsonArray *warnings;
    gboolean warned = FALSE;

    write_words("repository/words.txt", 0, 30000);
    cr_assert_eq(run_indexer(&err, NULL, args), 0, "%s", err);
    report = load_report(data);
    assert_source(report, "words.txt", "indexed", NULL);
    append_word(first, 1);
    append_word(last, 29999);
    g_strstrip(first->str);
    g_strstrip(last->str);
    cr_assert_eq(termfreq(data, first->str), 1, "%s", first->str);
    cr_assert_eq(termfreq(data, last->str), 0, "%s", last->str);
    warnings = json_object_get_array_member(
        json_node_get_object(json_parser_get_root(report)), "warnings");
    for (guint i = 0; i < json_array_get_length(warnings); i++)
        warned |= strstr(json_array_get_string_element(warnings, i),
                         "over 10000 distinct terms (--max-terms)") != NULL;
    cr_assert(warned, "no warning for the capped document");
    g_string_free(first, TRUE);
    g_string_free(last, TRUE);
}

/* Six files of 20,000 distinct words each under --writer-memory 1: the
 * writer commits before its 500-source batch ends, and says so; every
 * file is indexed whole. */
Test(faults, the_writer_commits_early_at_its_memory_budget)
{
    g_autofree char *repo = path_in("repository");
    g_autofree char *data = path_in("var");
    g_autofree char *err = NULL;
    g_autoptr(JsonParser) report = NULL;
    const char *args[] = { "--data-dir", data, "--repository", repo,
                           "--writer-memory", "1", NULL };

    for (guint f = 0; f < 6; f++) {
        g_autofree char *rel = g_strdup_printf("repository/words-%u.txt", f);

        write_words(rel, f * 20000, 20000);
    }
    cr_assert_eq(run_indexer(&err, NULL, args), 0, "%s", err);
    cr_assert(strstr(err, "batches early, at the 1 MB of --writer-memory"),
              "%s", err);
    report = load_report(data);
    for (guint f = 0; f < 6; f++) {
        g_autofree char *name = g_strdup_printf("words-%u.txt", f);
        GString *w = g_string_new(NULL);

        assert_source(report, name, "indexed", NULL);
        append_word(w, f * 20000 + 19999);
        g_strstrip(w->str);
        cr_assert_eq(termfreq(data, w->str), 1, "%s", w->str);
        g_string_free(w, TRUE);
    }
}
