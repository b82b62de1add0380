/* test_reindex.c -- batch re-indexing end to end: the real ctmap-indexer on
 * small mapping editions, a repository folder and documents served by the
 * fixture server; the index is read back after each run (ids, records,
 * terms, revision).  Covers no-op re-runs, edited, dropped and added rows,
 * a new edition, repository files coming and going, a changed and a dead
 * remote document, the shrink guard, the lock, crashes (SIGKILL at chosen
 * points, then a re-run) and a reader kept busy through --full rebuilds.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include "fixture-server.h"
#include "helpers.h"
#include "schema.h"
#include "xapianc.h"

static char *tmp;
static char *www;
static fx_server_t *srv;

/* Rows of the test mapping: kind, organization, text.  Row 2 (index 2)
 * is longer than the 200 characters an entry id hashes, so its tail can
 * be edited without changing its id; rows 0 and 1 cite the same
 * document. */
static const char *const rows[][3] = {
    { "Publications", "UNODC", "Handbook on countering the financing of "
      "terrorism (2019). http://repo.example.org/docs/shared.txt" },
    { "Publications", "OSCE", "Guide to financial intelligence units in "
      "Central Asia (2018). http://repo.example.org/docs/shared.txt" },
    { "Workshops", "UNODC", "Regional workshop on the detection of "
      "suspicious transactions linked to the financing of terrorism, "
      "bringing together financial intelligence units, prosecutors and "
      "supervisors of money transfer services from the region to share "
      "typologies and cases (2019). http://repo.example.org/docs/ws.txt" },
    { "Publications", "CSTO", "A report the second edition drops (2017). "
      "http://repo.example.org/docs/dropped.txt" },
    { "Projects", "UNDP", "Youth resilience programme in Osh (2018)." },
    { "Projects", "OSCE", "Community policing training in Bishkek (2016)." },
    { "Projects", "UNODC", "Prison management course in Almaty (2017)." },
    { "Projects", "EU", "Border management programme BOMCA (2015)." },
    { "Projects", "UNICEF", "Schools against radicalization (2019)." },
    { "Projects", "UNRCCA", "Preventive diplomacy meetings (2018)." },
    { "Projects", "IOM", "Migrant workers outreach in Moscow (2019)." },
    { "Projects", "UNESCO", "Media literacy for teachers (2020)." },
    { "Projects", "UN Women", "Women mediators network (2019)." },
    { "Projects", "UNODC", "Victims of terrorism support (2018)." },
    { "Projects", "OSCE", "Cyber security seminar in Dushanbe (2017)." },
    { "Projects", "UNDP", "Local governance and PVE plans (2020)." },
};

#define N_ROWS G_N_ELEMENTS(rows)

/* ---------------------------------------------------------------- Helpers */

/* Writes a mapping named @name from the rows whose bit is set in @mask;
 * @extra (nullable) is one more row text, @tail is appended to row 2. */
static char *
write_mapping(const char *name, guint32 mask, const char *extra,
              const char *tail)
{
    g_autoptr(GString) s = g_string_new(
        "E. THEMATIC AREAS: 2) COUNTERING TERRORISM\n\n"
        "Countering the Financing of Terrorism\t\t\n");
    g_autofree char *file = g_strconcat(name, ".txt", NULL);

    for (guint i = 0; i < N_ROWS; i++) {
        if (!(mask & (1u << i)))
            continue;
        g_string_append_printf(s, "%s\t%s\t%s%s\n", rows[i][0], rows[i][1],
                               rows[i][2], i == 2 && tail ? tail : "");
    }
    if (extra)
        g_string_append_printf(s, "Publications\tUNODC\t%s\n", extra);
    it_write_file(tmp, file, s->str);
    return g_build_filename(tmp, file, NULL);
}

/* @n small text files in a Prisons/ folder of the repository @repo. */
static void
write_notes(const char *repo, int n)
{
    for (int i = 0; i < n; i++) {
        g_autofree char *name = g_strdup_printf("Prisons/%c.txt", 'a' + i);
        g_autofree char *text = g_strdup_printf("Note %d\n\nPrison "
                                                "rehabilitation note %d.\n",
                                                i, i);

        it_write_file(repo, name, text);
    }
}

#define ALL_ROWS ((1u << N_ROWS) - 1)

typedef struct {
    int status;                 /* exit code, or 128 + signal */
    char *err;
} run_t;

/* Runs the indexer on @data with @args (NULL-terminated) and the mirror
 * to the fixture server; @env (nullable) adds "NAME=VALUE" strings. */
static run_t
run_env(const char *const *env, const char *data, const char *const *args)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) envp = g_get_environ();
    g_autofree char *base = fx_server_url(srv, "/");
    g_autofree char *mirror = g_strconcat("http://repo.example.org/=", base,
                                          NULL);
    run_t r = { 0, NULL };
    int status = 0;

    for (guint i = 0; env && env[i]; i++) {
        g_auto(GStrv) kv = g_strsplit(env[i], "=", 2);

        envp = g_environ_setenv(envp, kv[0], kv[1], TRUE);
    }
    g_ptr_array_add(argv, (gpointer)CTMAP_INDEXER);
    g_ptr_array_add(argv, (gpointer)"--data-dir");
    g_ptr_array_add(argv, (gpointer)data);
    g_ptr_array_add(argv, (gpointer)"--mirror");
    g_ptr_array_add(argv, mirror);
    for (guint i = 0; args[i]; i++)
        g_ptr_array_add(argv, (gpointer)args[i]);
    g_ptr_array_add(argv, NULL);
    cr_assert(g_spawn_sync(NULL, (char **)argv->pdata, envp, 0, NULL, NULL,
                           NULL, &r.err, &status, &error), "%s",
              error ? error->message : "");
    r.status = WIFEXITED(status) ? WEXITSTATUS(status)
                                 : 128 + WTERMSIG(status);
    return r;
}

static int
run_ok(const char *data, const char *const *args)
{
    run_t r = run_env(NULL, data, args);

    cr_assert_eq(r.status, 0, "indexer exited %d: %s", r.status, r.err);
    g_free(r.err);
    return 0;
}

static JsonObject *
load_json(JsonParser *p, const char *data, const char *name)
{
    g_autofree char *path = g_build_filename(data, name, NULL);
    g_autoptr(GError) error = NULL;

    cr_assert(json_parser_load_from_file(p, path, &error), "%s: %s", path,
              error ? error->message : "");
    return json_node_get_object(json_parser_get_root(p));
}

/* The report's summary and the change report's counts. */
static gint64
summary_int(const char *data, const char *member)
{
    return it_json_int(data, "report.json", "summary", member);
}

static gint64
change_count(const char *data, const char *member)
{
    return it_json_int(data, "changes.json", "counts", member);
}

static xc_db_t *
open_index(const char *data)
{
    g_autofree char *path = g_build_filename(data, "index", NULL);
    xc_db_t *db = NULL;
    char *msg = NULL;

    cr_assert_eq(xc_db_open(path, &db, &msg), XC_OK, "%s", msg);
    return db;
}

static uint64_t
revision(const char *data)
{
    xc_db_t *db = open_index(data);
    uint64_t rev = 0;

    cr_assert_eq(xc_db_revision(db, &rev), XC_OK);
    xc_db_close(db);
    return rev;
}

static uint64_t
termfreq(const char *data, const char *term)
{
    xc_db_t *db = open_index(data);
    uint64_t n = 0;

    cr_assert_eq(xc_db_termfreq(db, term, &n), XC_OK);
    xc_db_close(db);
    return n;
}

/* Every id of the index with its record and its text: what a search can
 * see, as one comparable string. */
static char *
dump(const char *data)
{
    xc_db_t *db = open_index(data);
    char *s = it_dump_db(db);

    xc_db_close(db);
    return s;
}

/* The record of the first source of @data's report whose title contains
 * @part, as the report has it. */
static char *
report_status(const char *data, const char *part, char **id_out)
{
    g_autoptr(JsonParser) p = json_parser_new();
    JsonObject *root = load_json(p, data, "report.json");
    JsonArray *sources = json_object_get_array_member(root, "sources");

    for (guint i = 0; i < json_array_get_length(sources); i++) {
        JsonObject *s = json_array_get_object_element(sources, i);
        const char *url = json_object_get_string_member_with_default(
            s, "url", NULL);
        const char *title = json_object_get_string_member(s, "title");

        if ((url && strstr(url, part)) || strstr(title, part)) {
            if (id_out)
                *id_out = g_strdup(json_object_get_string_member(s, "id"));
            return g_strdup(json_object_get_string_member(s, "status"));
        }
    }
    return NULL;
}

static void
setup(void)
{
    g_autoptr(GError) error = NULL;

    tmp = g_dir_make_tmp("ctmap-reindex-XXXXXX", NULL);
    cr_assert_not_null(tmp);
    www = g_build_filename(tmp, "www", NULL);
    it_write_file(www, "docs/shared.txt", "Shared handbook\n\nFinancial "
                  "intelligence units and hawala networks.\n");
    it_write_file(www, "docs/ws.txt", "Workshop notes\n\nSuspicious "
                  "transaction reports reviewed.\n");
    it_write_file(www, "docs/dropped.txt", "Dropped report\n\nOld findings on "
                  "recruitment.\n");
    srv = fx_server_start(www, &error);
    cr_assert_not_null(srv, "%s", error ? error->message : "");
}

static void
teardown(void)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmp);

    fx_server_stop(srv);
    cr_assert_eq(system(cmd), 0);
    g_free(www);
    g_free(tmp);
}

TestSuite(reindex, .init = setup, .fini = teardown, .timeout = 180);

/* ---------------------------------------------------------------- Runs */

Test(reindex, noop_rerun_rewrites_nothing_and_keeps_the_revision)
{
    g_autofree char *data = g_build_filename(tmp, "var", NULL);
    g_autofree char *v1 = write_mapping("v1", ALL_ROWS, NULL, NULL);
    const char *args[] = { "--quiet", "--mapping", v1, NULL };
    g_autofree char *before = NULL, *after = NULL;
    uint64_t rev;

    run_ok(data, args);
    cr_assert_eq(summary_int(data, "added"), N_ROWS + 3);
    rev = revision(data);
    before = dump(data);
    run_ok(data, args);
    cr_assert_eq(summary_int(data, "added"), 0);
    cr_assert_eq(summary_int(data, "updated"), 0);
    cr_assert_eq(summary_int(data, "deleted"), 0);
    cr_assert_eq(summary_int(data, "unchanged"), N_ROWS + 3);
    cr_assert_eq(change_count(data, "entries_changed"), 0);
    cr_assert_eq(change_count(data, "documents_changed"), 0);
    cr_assert_eq(revision(data), rev, "a no-op run committed");
    after = dump(data);
    cr_assert_str_eq(after, before);
}

Test(reindex, edited_entry_is_replaced_and_its_document_retagged)
{
    g_autofree char *data = g_build_filename(tmp, "var", NULL);
    g_autofree char *v1 = write_mapping("v1", ALL_ROWS, NULL, NULL);
    const char *a1[] = { "--quiet", "--mapping", v1, NULL };
    g_autofree char *id1 = NULL, *id2 = NULL, *st = NULL, *again = NULL;

    run_ok(data, a1);
    g_free(report_status(data, "Regional workshop", &id1));
    cr_assert_eq(termfreq(data, XC_PREFIX_COUNTRY "tajikistan"), 0);
    /* The curator edits the row in place (same file, same edition). */
    again = write_mapping("v1", ALL_ROWS, NULL,
                          " Follow-up planned in Tajikistan.");
    run_ok(data, a1);
    st = report_status(data, "Regional workshop", &id2);
    cr_assert_str_eq(id1, id2, "an edit past 200 characters kept the id");
    /* The entry and the document it cites (whose bytes did not change)
     * both carry the new country. */
    cr_assert_eq(summary_int(data, "updated"), 2);
    cr_assert_eq(summary_int(data, "added"), 0);
    cr_assert_eq(summary_int(data, "deleted"), 0);
    cr_assert_eq(termfreq(data, XC_PREFIX_COUNTRY "tajikistan"), 2);
    cr_assert_eq(change_count(data, "entries_changed"), 1);
    cr_assert_eq(change_count(data, "documents_changed"), 1);
}

Test(reindex, dropped_entry_deletes_what_only_it_cited)
{
    g_autofree char *data = g_build_filename(tmp, "var", NULL);
    g_autofree char *v1 = write_mapping("v1", ALL_ROWS, NULL, NULL);
    /* Drops row 0 (its document is also cited by row 1) and row 3 (its
     * document is cited by nothing else). */
    g_autofree char *v2 = write_mapping("v2", ALL_ROWS & ~0x9u, NULL, NULL);
    const char *a1[] = { "--quiet", "--mapping", v1, NULL };
    const char *a2[] = { "--quiet", "--mapping", v2, NULL };
    g_autofree char *shared = NULL, *dropped = NULL, *rec = NULL;
    g_autoptr(JsonParser) p = json_parser_new();
    xc_db_t *db;

    run_ok(data, a1);
    g_free(report_status(data, "shared.txt", &shared));
    g_free(report_status(data, "dropped.txt", &dropped));
    run_ok(data, a2);
    cr_assert_eq(summary_int(data, "deleted"), 3);
    cr_assert_eq(change_count(data, "entries_removed"), 2);
    cr_assert_eq(change_count(data, "documents_removed"), 1);
    db = open_index(data);
    cr_assert_eq(xc_db_get_data(db, dropped, &rec), XC_ERR_NOT_FOUND);
    cr_assert_eq(xc_db_get_data(db, shared, &rec), XC_OK);
    cr_assert(json_parser_load_from_data(p, rec, -1, NULL));
    cr_assert_eq(json_array_get_length(json_object_get_array_member(
        json_node_get_object(json_parser_get_root(p)), "cited_by")), 1,
        "the shared document lost one citation and stays");
    xc_db_close(db);
}

Test(reindex, new_edition_adds_rows_and_names_its_file)
{
    g_autofree char *data = g_build_filename(tmp, "var", NULL);
    g_autofree char *v1 = write_mapping("mapping-2020", ALL_ROWS, NULL,
                                        NULL);
    /* The new edition lacks row 15, which the old one still has. */
    g_autofree char *v2 = write_mapping(
        "mapping-2021", ALL_ROWS & ~(1u << 15),
        "New guidelines on returning foreign terrorist fighters (2021).",
        NULL);
    const char *a1[] = { "--quiet", "--mapping", v1, NULL };
    const char *a2[] = { "--quiet", "--mapping", v1, "--mapping", v2,
                         NULL };
    g_autoptr(JsonParser) p = json_parser_new();
    JsonObject *root, *editions;

    run_ok(data, a1);
    run_ok(data, a2);
    cr_assert_eq(summary_int(data, "added"), 1);
    cr_assert_eq(summary_int(data, "deleted"), 0, "the old edition's row "
                 "stays while that edition is indexed");
    root = load_json(p, data, "report.json");
    editions = json_object_get_object_member(
        json_object_get_object_member(root, "summary"), "editions");
    cr_assert_eq(json_object_get_int_member(editions, "mapping-2021"),
                 N_ROWS);
    cr_assert_eq(json_object_get_int_member(editions, "mapping-2020"), 1);
    cr_assert_eq(termfreq(data, XC_PREFIX_TYPE "entry"), N_ROWS + 1);
    {
        g_autofree char *id = NULL;
        g_autofree char *st = report_status(data, "New guidelines", &id);
        xc_db_t *db = open_index(data);
        char *rec = NULL;

        cr_assert_str_eq(st, "indexed");
        cr_assert_eq(xc_db_get_data(db, id, &rec), XC_OK);
        cr_assert(strstr(rec, "\"edition\":\"mapping-2021\""), "%s", rec);
        free(rec);
        xc_db_close(db);
    }
}

Test(reindex, repository_files_added_and_deleted)
{
    g_autofree char *data = g_build_filename(tmp, "var", NULL);
    g_autofree char *repo = g_build_filename(tmp, "repo", NULL);
    g_autofree char *gone = g_build_filename(repo, "Prisons", "b.txt", NULL);
    const char *args[] = { "--quiet", "--repository", repo, NULL };

    write_notes(repo, 6);
    run_ok(data, args);
    cr_assert_eq(summary_int(data, "added"), 6);
    it_write_file(repo, "UNODC/new.txt", "New note\n\nA zebra-crossing "
                  "word nobody else uses: quokka.\n");
    cr_assert_eq(g_unlink(gone), 0);
    run_ok(data, args);
    cr_assert_eq(summary_int(data, "added"), 1);
    cr_assert_eq(summary_int(data, "deleted"), 1);
    cr_assert_eq(summary_int(data, "unchanged"), 5);
    cr_assert_eq(termfreq(data, XC_PREFIX_TYPE "document"), 6);
    cr_assert_eq(termfreq(data, "quokka"), 1);
    cr_assert_eq(termfreq(data, XC_PREFIX_ORG "unodc"), 1);
}

Test(reindex, touched_file_is_not_rewritten_and_same_size_edit_is_seen)
{
    g_autofree char *data = g_build_filename(tmp, "var", NULL);
    g_autofree char *repo = g_build_filename(tmp, "repo", NULL);
    g_autofree char *a = g_build_filename(repo, "Prisons", "a.txt", NULL);
    const char *args[] = { "--quiet", "--repository", repo, NULL };
    struct utimbuf later = { time(NULL) + 60, time(NULL) + 60 };

    write_notes(repo, 6);
    run_ok(data, args);
    cr_assert_eq(utime(a, &later), 0);
    run_ok(data, args);
    cr_assert_eq(summary_int(data, "updated"), 0);
    cr_assert_eq(summary_int(data, "unchanged"), 6);
    /* Same size, new bytes: the stamp (mtime) differs, so it is read. */
    it_write_file(repo, "Prisons/a.txt",
                  "Note 0\n\nPrison numbat............. 0.\n");
    run_ok(data, args);
    cr_assert_eq(summary_int(data, "updated"), 1);
    cr_assert_eq(termfreq(data, "numbat"), 1);
}

/* The stored record of @id: its status and reason, as a search sees
 * them. */
static void
stored_status(const char *data, const char *id, char **status,
              char **reason)
{
    xc_db_t *db = open_index(data);
    g_autoptr(JsonParser) p = json_parser_new();
    char *rec = NULL;
    JsonObject *o;

    cr_assert_eq(xc_db_get_data(db, id, &rec), XC_OK, "%s", id);
    cr_assert(json_parser_load_from_data(p, rec, -1, NULL), "%s", rec);
    o = json_node_get_object(json_parser_get_root(p));
    *status = g_strdup(json_object_get_string_member(o, "status"));
    *reason = g_strdup(json_object_get_string_member_with_default(
        o, "reason", NULL));
    free(rec);
    xc_db_close(db);
}

/* A file that could not be read, or whose format is not supported, is
 * found unchanged by a re-run: it stays broken or unsupported, with its
 * reason, and the run commits nothing. */
Test(reindex, unchanged_broken_and_unsupported_files_commit_nothing)
{
    static const char zip[] = "PK\x03\x04\x14\x00\x00\x00\x08\x00";
    static const char *const names[] = { "broken.pdf", "archive.zip" };
    static const char *const want[] = { "broken", "unsupported" };
    g_autofree char *data = g_build_filename(tmp, "var", NULL);
    g_autofree char *repo = g_build_filename(tmp, "repo", NULL);
    g_autofree char *zip_path = g_build_filename(repo, "archive.zip", NULL);
    const char *args[] = { "--quiet", "--repository", repo, NULL };
    g_autofree char *before = NULL, *after = NULL;
    char *ids[2] = { NULL, NULL }, *reasons[2] = { NULL, NULL };
    uint64_t rev;

    write_notes(repo, 2);
    it_write_file(repo, "broken.pdf", "%PDF-1.4\n1 0 obj << /Type /Catalog "
                  "truncated here");
    cr_assert(g_file_set_contents(zip_path, zip, sizeof(zip) - 1, NULL));
    run_ok(data, args);
    cr_assert_eq(summary_int(data, "added"), 4);
    for (int i = 0; i < 2; i++) {
        g_autofree char *st = report_status(data, names[i], &ids[i]);
        g_autofree char *status = NULL;

        cr_assert_str_eq(st, want[i], "%s", names[i]);
        stored_status(data, ids[i], &status, &reasons[i]);
        cr_assert_str_eq(status, want[i]);
        cr_assert_not_null(reasons[i], "%s has a reason", names[i]);
    }
    rev = revision(data);
    before = dump(data);
    run_ok(data, args);
    cr_assert_eq(summary_int(data, "updated"), 0);
    cr_assert_eq(summary_int(data, "added"), 0);
    cr_assert_eq(summary_int(data, "unchanged"), 4);
    cr_assert_eq(change_count(data, "documents_changed"), 0);
    cr_assert_eq(revision(data), rev, "a run that changed nothing "
                 "committed");
    after = dump(data);
    cr_assert_str_eq(after, before);
    for (int i = 0; i < 2; i++) {
        g_autofree char *st = report_status(data, names[i], NULL);
        g_autofree char *status = NULL, *reason = NULL;

        cr_assert_str_eq(st, want[i], "the report says %s", names[i]);
        stored_status(data, ids[i], &status, &reason);
        cr_assert_str_eq(status, want[i]);
        cr_assert_str_eq(reason, reasons[i]);
        g_free(ids[i]);
        g_free(reasons[i]);
    }
}

/* An unreachable link still unreachable is no change, whatever the
 * reason of this attempt (offline: not in the cache; online: a 404): the
 * report has the new reason, the index keeps its record, nothing is
 * committed and changes.json lists nothing. */
Test(reindex, still_unreachable_link_is_not_a_change_offline_or_online)
{
    g_autofree char *data = g_build_filename(tmp, "var", NULL);
    g_autofree char *gone = g_build_filename(www, "docs", "dropped.txt",
                                             NULL);
    g_autofree char *v1 = write_mapping("v1", ALL_ROWS, NULL, NULL);
    const char *online[] = { "--quiet", "--mapping", v1, NULL };
    const char *offline[] = { "--quiet", "--offline", "--mapping", v1,
                              NULL };
    const char *const *runs[] = { offline, online, offline };
    g_autofree char *id = NULL, *reason0 = NULL, *status0 = NULL;
    g_autofree char *before = NULL;
    uint64_t rev;

    cr_assert_eq(g_unlink(gone), 0);
    run_ok(data, online);
    g_free(report_status(data, "dropped.txt", &id));
    stored_status(data, id, &status0, &reason0);
    cr_assert_str_eq(status0, "unreachable");
    cr_assert_not_null(reason0);
    rev = revision(data);
    before = dump(data);
    for (guint i = 0; i < G_N_ELEMENTS(runs); i++) {
        g_autoptr(JsonParser) p = json_parser_new();
        g_autofree char *st = NULL, *status = NULL, *reason = NULL;
        g_autofree char *after = NULL;
        const char *reported = NULL;
        JsonArray *sources;

        run_ok(data, runs[i]);
        st = report_status(data, "dropped.txt", NULL);
        cr_assert_str_eq(st, "unreachable", "run %u", i);
        cr_assert_eq(summary_int(data, "updated"), 0, "run %u", i);
        cr_assert_eq(change_count(data, "documents_changed"), 0, "run %u",
                     i);
        cr_assert_eq(change_count(data, "links_newly_dead"), 0);
        cr_assert_eq(change_count(data, "links_newly_back"), 0);
        cr_assert_eq(revision(data), rev, "run %u committed", i);
        after = dump(data);
        cr_assert_str_eq(after, before, "run %u", i);
        stored_status(data, id, &status, &reason);
        cr_assert_str_eq(reason, reason0, "the index keeps its reason");
        /* The report has the reason of this attempt. */
        sources = json_object_get_array_member(
            load_json(p, data, "report.json"), "sources");
        for (guint k = 0; k < json_array_get_length(sources); k++) {
            JsonObject *s = json_array_get_object_element(sources, k);

            if (g_strcmp0(json_object_get_string_member(s, "id"), id) == 0)
                reported = json_object_get_string_member_with_default(
                    s, "reason", NULL);
        }
        cr_assert_not_null(reported);
        if (runs[i] == offline)
            cr_assert(strstr(reported, "offline"), "run %u: %s", i,
                      reported);
        else
            cr_assert_str_eq(reported, reason0);
    }
}

Test(reindex, documents_found_on_a_page_down_for_a_day_are_kept)
{
    g_autofree char *data = g_build_filename(tmp, "var", NULL);
    g_autofree char *page = g_build_filename(www, "repository",
                                             "index.html", NULL);
    g_autofree char *v1 = write_mapping(
        "v1", ALL_ROWS, "The repository page "
        "http://repo.example.org/repository/index.html", NULL);
    const char *args[] = { "--follow", "1", "--mapping", v1, NULL };
    run_t r;

    it_write_file(www, "repository/found-a.txt", "Found A\n\nOkapi.\n");
    it_write_file(www, "repository/found-b.txt", "Found B\n\nOkapi.\n");
    it_write_file(www, "repository/index.html", "<html><body>"
                  "<a href=\"found-a.txt\">A</a> <a href=\"found-b.txt\">B</a>"
                  "</body></html>");
    run_ok(data, args);
    cr_assert_eq(termfreq(data, "okapi"), 2);
    cr_assert_eq(g_unlink(page), 0);
    r = run_env(NULL, data, args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "kept 2 documents found on pages"), "%s",
              r.err);
    g_free(r.err);
    cr_assert_eq(summary_int(data, "deleted"), 0);
    cr_assert_eq(termfreq(data, "okapi"), 2);
}

Test(reindex, changed_and_dead_remote_documents)
{
    g_autofree char *data = g_build_filename(tmp, "var", NULL);
    g_autofree char *v1 = write_mapping("v1", ALL_ROWS, NULL, NULL);
    g_autofree char *gone = g_build_filename(www, "docs", "dropped.txt",
                                             NULL);
    const char *args[] = { "--quiet", "--mapping", v1, NULL };
    g_autoptr(JsonParser) p = json_parser_new();
    JsonObject *root;
    JsonArray *dead;
    g_autofree char *st = NULL;

    run_ok(data, args);
    cr_assert_eq(termfreq(data, "wombat"), 0);
    /* The server's copy of one document changes; another disappears. */
    it_write_file(www, "docs/ws.txt", "Workshop notes\n\nRevised: wombat "
                  "typologies added.\n");
    cr_assert_eq(g_unlink(gone), 0);
    run_ok(data, args);
    cr_assert_eq(termfreq(data, "wombat"), 1, "the new text is indexed");
    st = report_status(data, "dropped.txt", NULL);
    cr_assert_str_eq(st, "unreachable");
    cr_assert_eq(change_count(data, "links_newly_dead"), 1);
    cr_assert_eq(change_count(data, "documents_changed"), 2);
    root = load_json(p, data, "changes.json");
    dead = json_object_get_array_member(
        json_object_get_object_member(root, "links"), "newly_dead");
    cr_assert_eq(json_array_get_length(dead), 1);
    cr_assert_not_null(json_object_get_string_member_with_default(
        json_array_get_object_element(dead, 0), "last_worked", NULL),
        "the date the link last worked");
    /* It comes back. */
    it_write_file(www, "docs/dropped.txt", "Dropped report\n\nOld findings "
                  "on recruitment.\n");
    run_ok(data, args);
    cr_assert_eq(change_count(data, "links_newly_back"), 1);
}

/* ---------------------------------------------------------------- Guards */

Test(reindex, strict_makes_an_unreachable_cited_document_exit_1)
{
    g_autofree char *data = g_build_filename(tmp, "var", NULL);
    g_autofree char *gone = g_build_filename(www, "docs", "dropped.txt",
                                             NULL);
    g_autofree char *v1 = write_mapping("v1", ALL_ROWS, NULL, NULL);
    const char *lax[] = { "--quiet", "--mapping", v1, NULL };
    const char *strict[] = { "--quiet", "--strict", "--mapping", v1, NULL };
    run_t r;

    cr_assert_eq(g_unlink(gone), 0);
    run_ok(data, lax);
    r = run_env(NULL, data, strict);
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert(strstr(r.err, "--strict: 1 cited documents are unreachable"),
              "%s", r.err);
    g_free(r.err);
}

Test(reindex, shrink_guard_refuses_and_leaves_the_index_alone)
{
    g_autofree char *data = g_build_filename(tmp, "var", NULL);
    g_autofree char *v1 = write_mapping("v1", ALL_ROWS, NULL, NULL);
    /* A truncated edition: the first five rows only. */
    g_autofree char *cut = write_mapping("cut", 0x1fu, NULL, NULL);
    const char *a1[] = { "--quiet", "--mapping", v1, NULL };
    const char *a2[] = { "--quiet", "--mapping", cut, NULL };
    const char *a3[] = { "--quiet", "--mapping", cut, "--allow-shrink",
                         NULL };
    const char *a4[] = { "--quiet", "--mapping", cut, "--max-shrink", "80",
                         NULL };
    const char *bad[] = { "--quiet", "--max-shrink", "120", NULL };
    g_autofree char *before = NULL, *after = NULL;
    uint64_t rev;
    run_t r;

    run_ok(data, a1);
    rev = revision(data);
    before = dump(data);
    r = run_env(NULL, data, a2);
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert(strstr(r.err, "refusing to delete 11 of the 19"), "%s",
              r.err);
    cr_assert(strstr(r.err, "--allow-shrink"), "%s", r.err);
    g_free(r.err);
    cr_assert_eq(revision(data), rev);
    after = dump(data);
    cr_assert_str_eq(after, before);
    run_ok(data, a4);
    cr_assert_eq(summary_int(data, "deleted"), 11);
    run_ok(data, a1);
    run_ok(data, a3);
    cr_assert_eq(summary_int(data, "deleted"), 11);
    r = run_env(NULL, data, bad);
    cr_assert_eq(r.status, 2, "%s", r.err);
    g_free(r.err);
}

Test(reindex, second_indexer_on_the_same_data_dir_refuses)
{
    g_autofree char *data = g_build_filename(tmp, "var", NULL);
    g_autofree char *lock = g_build_filename(data, "lock", NULL);
    const char *args[] = { "--quiet", "--offline", NULL };
    int fd;
    run_t r;

    cr_assert_eq(g_mkdir_with_parents(data, 0755), 0);
    fd = open(lock, O_RDWR | O_CREAT, 0644);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "4242\n", 5), 5);
    cr_assert_eq(flock(fd, LOCK_EX), 0);
    r = run_env(NULL, data, args);
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert(strstr(r.err, "another ctmap-indexer (pid 4242) is running"),
              "%s", r.err);
    g_free(r.err);
    close(fd);
}

/* ---------------------------------------------------------------- Bad input */

Test(reindex, corrupt_and_old_cache_entries_are_fetched_again)
{
    g_autofree char *data = g_build_filename(tmp, "var", NULL);
    g_autofree char *urls = g_build_filename(data, "cache", "urls", NULL);
    g_autofree char *version = g_build_filename(data, "cache", "VERSION",
                                                NULL);
    g_autofree char *v1 = write_mapping("v1", ALL_ROWS, NULL, NULL);
    const char *args[] = { "--mapping", v1, NULL };
    g_autoptr(GDir) d = NULL;
    const char *name;
    run_t r;

    run_ok(data, args);
    d = g_dir_open(urls, 0, NULL);
    cr_assert_not_null(d);
    for (name = g_dir_read_name(d); name; name = g_dir_read_name(d)) {
        g_autofree char *path = g_build_filename(urls, name, NULL);

        cr_assert(g_file_set_contents(path, "{\"url\": 12, trunc", -1,
                                      NULL));
    }
    r = run_env(NULL, data, args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    g_free(r.err);
    cr_assert_eq(summary_int(data, "updated"), 0);
    cr_assert_eq(summary_int(data, "failed"), 0);
    /* A cache from an older ctmap. */
    cr_assert(g_file_set_contents(version, "0\n", -1, NULL));
    r = run_env(NULL, data, args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "format 0 found, rebuilt"), "%s", r.err);
    g_free(r.err);
    cr_assert_eq(summary_int(data, "updated"), 0);
}

Test(reindex, unusable_cache_leaves_the_index_untouched)
{
    g_autofree char *data = g_build_filename(tmp, "var", NULL);
    g_autofree char *cache = g_build_filename(data, "cache", NULL);
    g_autofree char *v1 = write_mapping("v1", ALL_ROWS, NULL, NULL);
    g_autofree char *v2 = write_mapping("v2", ALL_ROWS & ~0x10u, NULL,
                                        NULL);
    const char *a1[] = { "--quiet", "--mapping", v1, NULL };
    const char *a2[] = { "--quiet", "--mapping", v2, NULL };
    g_autofree char *before = NULL, *after = NULL;
    g_autofree char *rm = g_strdup_printf("rm -rf '%s'", cache);
    uint64_t rev;
    run_t r;

    run_ok(data, a1);
    rev = revision(data);
    before = dump(data);
    /* A cache that cannot be used at all (here: not a folder). */
    cr_assert_eq(system(rm), 0);
    cr_assert(g_file_set_contents(cache, "x", -1, NULL));
    r = run_env(NULL, data, a2);
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert(strstr(r.err, "index not updated: cache"), "%s", r.err);
    g_free(r.err);
    cr_assert_eq(revision(data), rev);
    after = dump(data);
    cr_assert_str_eq(after, before);
}

Test(reindex, damaged_index_is_refused_then_rebuilt_by_full)
{
    g_autofree char *data = g_build_filename(tmp, "var", NULL);
    g_autofree char *v1 = write_mapping("v1", ALL_ROWS, NULL, NULL);
    g_autofree char *glass = g_build_filename(data, "index", "iamglass",
                                              NULL);
    const char *args[] = { "--quiet", "--offline", "--mapping", v1, NULL };
    const char *full[] = { "--quiet", "--offline", "--full", "--mapping",
                           v1, NULL };
    run_t r;

    run_ok(data, args);
    cr_assert(g_file_set_contents(glass, "garbage", -1, NULL));
    r = run_env(NULL, data, args);
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert(strstr(r.err, "index not updated: cannot open index"), "%s",
              r.err);
    cr_assert(strstr(r.err, "--full rebuilds it"), "%s", r.err);
    g_free(r.err);
    run_ok(data, full);
    cr_assert_eq(termfreq(data, XC_PREFIX_TYPE "entry"), N_ROWS);
}

Test(reindex, progress_and_summary_on_stderr)
{
    g_autofree char *data = g_build_filename(tmp, "var", NULL);
    g_autofree char *v1 = write_mapping("v1", ALL_ROWS, NULL, NULL);
    const char *args[] = { "--mapping", v1, NULL };
    run_t r = run_env(NULL, data, args);

    cr_assert_eq(r.status, 0, "%s", r.err);
    /* Not a terminal: plain lines, never a carriage return. */
    cr_assert(strstr(r.err, "ctmap-indexer: progress: planned 19"), "%s",
              r.err);
    cr_assert(strstr(r.err, "indexed 19/19"), "%s", r.err);
    cr_assert(strstr(r.err, "19 added, 0 updated, 0 unchanged, 0 deleted, "
                     "0 failed"), "%s", r.err);
    cr_assert_null(strchr(r.err, '\r'));
    g_free(r.err);
}

/* ---------------------------------------------------------------- Crashes */

/* Builds v1, then runs v2 killed at @point, then v2 again; the index must
 * equal that of the same two runs uninterrupted.  Offline, so that no
 * fetch time differs between the two. */
static void
crash_and_rerun(const char *point, gboolean full)
{
    g_autofree char *clean = g_build_filename(tmp, "clean", NULL);
    g_autofree char *crashed = g_build_filename(tmp, "crashed", NULL);
    g_autofree char *repo = g_build_filename(tmp, "repo", NULL);
    g_autofree char *v1 = write_mapping("v1", ALL_ROWS, NULL, NULL);
    g_autofree char *v2 = write_mapping(
        "v2", ALL_ROWS & ~0x9u, "Another new row (2021).",
        " Follow-up planned in Tajikistan.");
    const char *a1[] = { "--quiet", "--offline", "--mapping", v1,
                         "--repository", repo, NULL };
    const char *a2[] = { "--quiet", "--offline", "--mapping", v2,
                         "--repository", repo, full ? "--full" : NULL,
                         NULL };
    g_autofree char *crash = g_strconcat("CTMAP_CRASH_AT=", point, NULL);
    const char *env[] = { crash, "CTMAP_BATCH=4", NULL };
    const char *batch[] = { "CTMAP_BATCH=4", NULL };
    g_autofree char *want = NULL, *got = NULL;
    run_t r;

    write_notes(repo, 5);
    run_ok(clean, a1);
    run_ok(crashed, a1);
    it_write_file(repo, "Prisons/c.txt", "Note 2\n\nRewritten.\n");
    r = run_env(batch, clean, a2);
    cr_assert_eq(r.status, 0, "%s", r.err);
    g_free(r.err);
    r = run_env(env, crashed, a2);
    cr_assert_eq(r.status, 128 + SIGKILL, "not killed at %s: %d %s", point,
                 r.status, r.err);
    g_free(r.err);
    r = run_env(batch, crashed, a2);
    cr_assert_eq(r.status, 0, "%s", r.err);
    g_free(r.err);
    want = dump(clean);
    got = dump(crashed);
    cr_assert_str_eq(got, want, "after a crash at %s", point);
    {
        /* And the same as v2 built from nothing. */
        g_autofree char *scratch = g_build_filename(tmp, "scratch", NULL);
        g_autofree char *built = NULL;

        r = run_env(batch, scratch, a2);
        cr_assert_eq(r.status, 0, "%s", r.err);
        g_free(r.err);
        built = dump(scratch);
        cr_assert_str_eq(got, built, "after a crash at %s", point);
    }
    {
        /* Nothing of the interrupted run is left behind. */
        g_autoptr(GDir) d = g_dir_open(crashed, 0, NULL);
        const char *name;

        for (name = g_dir_read_name(d); name; name = g_dir_read_name(d))
            cr_assert_not(g_str_has_prefix(name, "index."), "%s left",
                          name);
    }
}

Test(reindex, crash_after_fetch_then_rerun)
{
    crash_and_rerun("after-fetch", FALSE);
}

Test(reindex, crash_mid_transaction_then_rerun)
{
    crash_and_rerun("mid-transaction", FALSE);
}

Test(reindex, crash_after_a_commit_then_rerun)
{
    crash_and_rerun("after-commit", FALSE);
}

Test(reindex, crash_during_full_rebuild_then_rerun)
{
    crash_and_rerun("mid-transaction", TRUE);
}

Test(reindex, crash_before_the_swap_then_rerun)
{
    crash_and_rerun("before-swap", TRUE);
}

/* Where RENAME_EXCHANGE is missing, the old index steps aside first; a
 * crash between the two renames leaves no DIR/index, and the next run
 * puts the old one back before anything else. */
Test(reindex, two_step_swap_and_a_crash_between_its_renames)
{
    g_autofree char *data = g_build_filename(tmp, "var", NULL);
    g_autofree char *v1 = write_mapping("v1", ALL_ROWS, NULL, NULL);
    g_autofree char *v2 = write_mapping("v2", ALL_ROWS & ~0x10u,
                                        "Another new row (2021).", NULL);
    g_autofree char *index = g_build_filename(data, "index", NULL);
    const char *a1[] = { "--quiet", "--offline", "--mapping", v1, NULL };
    const char *full[] = { "--quiet", "--offline", "--full", "--mapping",
                           v2, NULL };
    const char *a2[] = { "--mapping", v2, "--offline", NULL };
    const char *no_exchange[] = { "CTMAP_NO_EXCHANGE=1", NULL };
    const char *crash[] = { "CTMAP_NO_EXCHANGE=1", "CTMAP_CRASH_AT=mid-swap",
                            NULL };
    g_autofree char *before = NULL, *after = NULL;
    run_t r;

    run_ok(data, a1);
    before = dump(data);
    r = run_env(crash, data, full);
    cr_assert_eq(r.status, 128 + SIGKILL, "%d %s", r.status, r.err);
    g_free(r.err);
    cr_assert_not(g_file_test(index, G_FILE_TEST_EXISTS));
    r = run_env(NULL, data, a2);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "put back"), "%s", r.err);
    g_free(r.err);
    cr_assert_eq(summary_int(data, "added"), 1, "an incremental run on "
                 "the old index, not a first build");
    r = run_env(no_exchange, data, full);
    cr_assert_eq(r.status, 0, "%s", r.err);
    g_free(r.err);
    cr_assert_eq(termfreq(data, XC_PREFIX_TYPE "entry"), N_ROWS);
    {
        g_autoptr(GDir) d = g_dir_open(data, 0, NULL);
        const char *name;

        for (name = g_dir_read_name(d); name; name = g_dir_read_name(d))
            cr_assert_not(g_str_has_prefix(name, "index."), "%s left",
                          name);
    }
    after = dump(data);
    cr_assert_str_neq(after, before);
}

/* ---------------------------------------------------------------- Readers */

/* A reader that behaves as searchd's threads do (reopen; on failure open
 * afresh; on "modified" reopen and retry once) must read a complete index
 * at every moment of three --full rebuilds. */
Test(reindex, reader_always_reads_during_full_rebuilds)
{
    g_autofree char *data = g_build_filename(tmp, "var", NULL);
    g_autofree char *path = g_build_filename(data, "index", NULL);
    g_autofree char *v1 = write_mapping("v1", ALL_ROWS, NULL, NULL);
    const char *args[] = { "--quiet", "--offline", "--mapping", v1, NULL };
    xc_db_t *db;
    guint reads = 0;
    uint64_t first_rev;

    run_ok(data, args);
    db = open_index(data);
    cr_assert_eq(xc_db_revision(db, &first_rev), XC_OK);
    for (int round = 0; round < 3; round++) {
        g_autoptr(GError) error = NULL;
        const char *argv[] = { CTMAP_INDEXER, "--quiet", "--offline",
                               "--full", "--data-dir", data, "--mapping",
                               v1, NULL };
        GPid pid;
        int status = 0;
        gboolean running = TRUE;

        cr_assert(g_spawn_async(NULL, (char **)argv, NULL,
                                G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid,
                                &error));
        while (running) {
            uint64_t n = 0;
            char *rec = NULL;
            xc_status_t st;

            running = waitpid(pid, &status, WNOHANG) == 0;
            if (xc_db_reopen(db) != XC_OK) {
                char *msg = NULL;

                xc_db_close(db);
                cr_assert_eq(xc_db_open(path, &db, &msg), XC_OK, "%s",
                             msg);
            }
            st = xc_db_doccount(db, &n);
            if (st == XC_OK)
                st = xc_db_termfreq(db, XC_PREFIX_TYPE "entry", &n);
            if (st == XC_ERR_MODIFIED) {
                cr_assert_eq(xc_db_reopen(db), XC_OK);
                st = xc_db_termfreq(db, XC_PREFIX_TYPE "entry", &n);
            }
            cr_assert_eq(st, XC_OK, "%s", xc_errmsg(db));
            cr_assert_eq(n, N_ROWS, "a reader saw %" G_GUINT64_FORMAT
                         " entries", (guint64)n);
            cr_assert_eq(xc_db_get_data(db, "e-0000000000000000", &rec),
                         XC_ERR_NOT_FOUND);
            reads++;
        }
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        {
            /* The swapped-in index has a higher revision, which is what
             * makes readers reopen. */
            uint64_t rev = 0;

            cr_assert_eq(xc_db_reopen(db), XC_OK);
            cr_assert_eq(xc_db_revision(db, &rev), XC_OK);
            cr_assert_gt(rev, first_rev);
            first_rev = rev;
        }
    }
    xc_db_close(db);
    cr_assert_gt(reads, 3);
}
