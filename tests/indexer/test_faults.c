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
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture-server.h"
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

static int
collect_id(const char *term, uint64_t freq, void *rock)
{
    (void)freq;
    g_ptr_array_add(rock, g_strdup(term + strlen(XC_PREFIX_ID)));
    return 0;
}

/* Everything a search can see in the index of @data (records and text)
 * as one string. */
static char *
dump_index(const char *data)
{
    g_autofree char *path = g_build_filename(data, "index", NULL);
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
    GString *s = g_string_new(NULL);
    xc_db_t *db = NULL;
    char *msg = NULL;

    cr_assert_eq(xc_db_open(path, &db, &msg), XC_OK, "%s", msg);
    cr_assert_eq(xc_db_allterms(db, XC_PREFIX_ID, G_MAXSIZE, collect_id,
                                ids), XC_OK);
    for (guint i = 0; i < ids->len; i++) {
        const char *id = g_ptr_array_index(ids, i);
        char *rec = NULL, *text = NULL;

        cr_assert_eq(xc_db_get_data(db, id, &rec), XC_OK);
        cr_assert_eq(xc_db_get_value(db, id, XC_SLOT_TEXT, &text, NULL),
                     XC_OK);
        g_string_append_printf(s, "%s %s\n%s\n", id, rec, text);
        free(rec);
        free(text);
    }
    xc_db_close(db);
    return g_string_free(s, FALSE);
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
    const char *reason;         /* part of victim.txt's reason */
} swap_case_t;

static const swap_case_t swap_cases[] = {
    { "symlink", "open", "rm victim.txt && ln -s ../secret.txt victim.txt",
      "a symbolic link, not followed" },
    { "fifo", "open", "rm victim.txt && mkfifo victim.txt",
      "not a regular file" },
    { "folder-link", "open",
      "mv victim.txt old.tmp && cp ../secret.txt victim.txt",
      "changed while being read: replaced by another file" },
    { "truncated", "read", "truncate -s 10 victim.txt",
      "changed while being read: " },
    { "grown", "read", "cat ../secret.txt >> victim.txt",
      "changed while being read: " },
};

static void
run_swap_case(const swap_case_t *c)
{
    g_autofree char *repo = path_in("repository");
    g_autofree char *data = path_in("var");
    g_autofree char *hook = path_in("hook.sh");
    g_autofree char *script = g_strdup_printf(
        "#!/bin/sh\n"
        "[ \"$1\" = %s ] || exit 0\n"
        "case \"$2\" in */victim.txt) ;; *) exit 0;; esac\n"
        "cd '%s' && %s\n", c->stage, repo, c->action);
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
    write_file("secret.txt", "Root only: secretword.\n");
    cr_assert(g_file_set_contents(hook, script, -1, NULL));
    cr_assert_eq(g_chmod(hook, 0755), 0);

    rc = run_indexer(&err, env, args);
    cr_assert_eq(rc, 0, "%s: exit %d: %s", c->name, rc, err);
    report = load_report(data);
    assert_source(report, "good.txt", "indexed", NULL);
    assert_source(report, "victim.txt", "broken", c->reason);
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
