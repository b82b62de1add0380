/* main.c -- ctmap-indexer: lock the data dir, plan the sources, get their
 * text, check the shrink guard, write them to the index in batches (in
 * place, or into a fresh database swapped in whole), delete what is gone,
 * write the report and the change report.  Only this file decides what the
 * user sees and the exit code (0 done, 1 index not updated, 2 usage).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "indexer.h"
#include "schema.h"

/* One transaction per batch: a crash loses at most one batch, and the
 * commit cost is spread over many documents. */
#define BATCH 500

/* The writer's bounds (issue 13): distinct terms per document, and how
 * much the process may grow within one transaction before it commits
 * early.  200,000 terms is about 100,000 distinct words (each word also
 * gives its stem), over twice what the largest report of the corpus
 * holds; 40 files of 200,000 distinct words took 10 GB with no budget. */
#define MAX_TERMS 200000
#define WRITER_MEMORY_MB 512

/* Share of the index (percent) a run may delete without --allow-shrink:
 * a truncated edition must not empty the index. */
#define MAX_SHRINK 20

/* The repository page the mapping cites ("Documents are shared through
 * the UNRCCA website"): followed one level deep, so a PDF added there is
 * found by the next run. */
static const char *const repository_pages[] = {
    "https://unrcca.unmissions.org/counter-terrorism", NULL
};

typedef struct {
    char *data_dir;
    char **mappings;
    char **repositories;
    char *urls;
    char **mirrors;
    gboolean offline;
    int jobs;
    int follow;
    int max_discovered;         /* -1: the default */
    int max_terms;
    int writer_memory;          /* MB */
    gboolean full;
    gboolean allow_private;
    gboolean strict;
    char *report;
    gboolean quiet;
    char *corpus_dir;
    int max_shrink;
    gboolean allow_shrink;
} options_t;

static int
die(int code, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static int
die(int code, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "ctmap-indexer: %s\n", msg);
    return code;
}

static gboolean
parse_options(options_t *o, int *argc, char ***argv, GError **error)
{
    GOptionEntry entries[] = {
        { "data-dir", 'd', 0, G_OPTION_ARG_FILENAME, &o->data_dir,
          "Data directory (index, cache, report; default: var)", "DIR" },
        { "mapping", 'm', 0, G_OPTION_ARG_FILENAME_ARRAY, &o->mappings,
          "Mapping text to index (repeatable; default: the embedded one)",
          "FILE" },
        { "repository", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->repositories,
          "Repository folder to index (repeatable)", "DIR" },
        { "urls", 0, 0, G_OPTION_ARG_FILENAME, &o->urls,
          "File of URLs to index, one per line", "FILE" },
        { "mirror", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->mirrors,
          "Fetch URLs below FROM (scheme, host, port, path segments) from "
          "TO instead; no user:password@ in either (repeatable)",
          "FROM=TO" },
        { "offline", 0, 0, G_OPTION_ARG_NONE, &o->offline,
          "Fetch nothing: use the cache alone", NULL },
        { "jobs", 'j', 0, G_OPTION_ARG_INT, &o->jobs,
          "Parallel transfers (default 8)", "N" },
        { "follow", 0, 0, G_OPTION_ARG_INT, &o->follow,
          "Follow same-site document links from fetched pages",
          "DEPTH" },
        { "max-discovered", 0, 0, G_OPTION_ARG_INT, &o->max_discovered,
          "New documents one followed page may add (default 200, 0: no "
          "limit; the rest is a warning)", "N" },
        { "max-terms", 0, 0, G_OPTION_ARG_INT, &o->max_terms,
          "Distinct terms indexed per document (default 200000, 0: no "
          "cap; the rest is stored but not searchable, and reported)",
          "N" },
        { "writer-memory", 0, 0, G_OPTION_ARG_INT, &o->writer_memory,
          "Commit early once the writer has grown by MB (default 512, 0: "
          "only every 500 sources)", "MB" },
        { "full", 0, 0, G_OPTION_ARG_NONE, &o->full,
          "Rebuild: extract everything again into a fresh index, compact "
          "it and swap it in whole", NULL },
        { "max-shrink", 0, 0, G_OPTION_ARG_INT, &o->max_shrink,
          "Refuse to delete more than PCT% of the index (default 20)",
          "PCT" },
        { "allow-shrink", 0, 0, G_OPTION_ARG_NONE, &o->allow_shrink,
          "Delete however much of the index the sources no longer have",
          NULL },
        { "allow-private", 0, 0, G_OPTION_ARG_NONE, &o->allow_private,
          "Allow fetching loopback, private and link-local addresses",
          NULL },
        { "strict", 0, 0, G_OPTION_ARG_NONE, &o->strict,
          "Unreachable cited documents are an error (exit 1)",
          NULL },
        { "report", 0, 0, G_OPTION_ARG_FILENAME, &o->report,
          "Report file (default: DIR/report.json)", "FILE" },
        { "quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet,
          "Print nothing but errors", NULL },
        { "corpus-dir", 0, 0, G_OPTION_ARG_FILENAME, &o->corpus_dir,
          "Vocabularies and embedded mapping (default: the source tree's)",
          "DIR" },
        { NULL, 0, 0, 0, NULL, NULL, NULL }
    };
    g_autoptr(GOptionContext) ctx =
        g_option_context_new("- index the PCVE/CT mapping and its documents");

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, argc, argv, error))
        return FALSE;
    if (*argc > 1) {
        g_set_error(error, IX_ERROR, IX_ERROR_USAGE,
                    "unexpected argument '%s'", (*argv)[1]);
        return FALSE;
    }
    if (o->follow < 0 || o->follow > 10) {
        g_set_error(error, IX_ERROR, IX_ERROR_USAGE,
                    "--follow must be between 0 and 10");
        return FALSE;
    }
    if (o->max_discovered < -1 || o->max_discovered > 100000) {
        g_set_error(error, IX_ERROR, IX_ERROR_USAGE,
                    "--max-discovered must be between 0 and 100000");
        return FALSE;
    }
    if (o->max_terms < 0 || o->writer_memory < 0
        || o->writer_memory > 1024 * 1024) {
        g_set_error(error, IX_ERROR, IX_ERROR_USAGE,
                    "--max-terms and --writer-memory must be 0 or more");
        return FALSE;
    }
    if (o->max_shrink < 0 || o->max_shrink > 100) {
        g_set_error(error, IX_ERROR, IX_ERROR_USAGE,
                    "--max-shrink must be between 0 and 100");
        return FALSE;
    }
    if (o->jobs < 0 || o->jobs > 256) {
        g_set_error(error, IX_ERROR, IX_ERROR_USAGE,
                    "--jobs must be between 1 and 256");
        return FALSE;
    }
    return TRUE;
}

/* Creates @dir if needed and checks that it can be written, so the user
 * hears about a read-only data dir before any work is done. */
static gboolean
prepare_data_dir(const char *dir, GError **error)
{
    if (g_mkdir_with_parents(dir, 0755) != 0 || access(dir, W_OK) != 0) {
        int err = errno;

        g_set_error(error, IX_ERROR, IX_ERROR_IO,
                    "cannot write data dir %s: %s", dir, g_strerror(err));
        return FALSE;
    }
    return TRUE;
}

/* Test builds take the batch size from CTMAP_BATCH, so that a crash test
 * on a small mapping still sees several transactions. */
static guint
batch_size(void)
{
#ifdef CTMAP_TESTING
    const char *env = g_getenv("CTMAP_BATCH");

    if (env && g_ascii_strtoll(env, NULL, 10) > 0)
        return (guint)g_ascii_strtoll(env, NULL, 10);
#endif
    return BATCH;
}

/* Writes every source, one transaction per batch -- a batch ends after
 * BATCH sources or once the writer is over its memory budget, which
 * @early counts; then, with @keep, deletes in a last transaction what
 * @keep does not have (a fresh database, written without @keep, has
 * nothing to delete). */
static gboolean
write_index(ix_writer_t *w, const ix_plan_t *plan,
            const corpus_vocab_t *vocab, GHashTable *keep, guint *early,
            GError **error)
{
    guint batch = batch_size();
    guint n = plan->sources->len;
    guint in_batch = 0;

    ix_progress_expect(plan->progress, IX_STAGE_INDEXED, n);
    for (guint i = 0; i < n; i++) {
        const ix_source_t *src = g_ptr_array_index(plan->sources, i);
        gboolean over;

        if (in_batch == 0 && !ix_writer_begin(w, error))
            return FALSE;
        if (!ix_writer_add(w, src, vocab, error))
            return FALSE;
        in_batch++;
        if (i == n / 2)
            ix_store_crash_point("mid-transaction");
        over = in_batch < batch && i + 1 < n && ix_writer_over_budget(w);
        if (in_batch == batch || i + 1 == n || over) {
            if (!ix_writer_commit(w, error))
                return FALSE;
            *early += over;
            ix_progress_done(plan->progress, IX_STAGE_INDEXED, in_batch);
            in_batch = 0;
            ix_store_crash_point("after-commit");
        }
    }
    if (!keep)
        return TRUE;
    return ix_writer_begin(w, error)
           && ix_writer_delete_unseen(w, keep, error)
           && ix_writer_commit(w, error);
}

static void
mark_repository_pages(ix_plan_t *plan)
{
    for (guint i = 0; i < plan->sources->len; i++) {
        ix_source_t *src = g_ptr_array_index(plan->sources, i);

        for (guint p = 0; src->url && repository_pages[p]; p++) {
            gsize n = strlen(repository_pages[p]);

            /* On a path boundary: "counter-terrorism-old" is another
             * page. */
            if (strncmp(src->url, repository_pages[p], n) == 0
                && strchr("/?#", src->url[n]))
                src->follow = TRUE;
        }
    }
}

static gboolean
fetch_options(const options_t *o, ix_fetch_opts_t *fo, GError **error)
{
    ix_fetch_opts_init(fo);
    fo->cache_dir = g_build_filename(o->data_dir, "cache", NULL);
    if (o->jobs)
        fo->jobs = (guint)o->jobs;
    fo->offline = o->offline;
    if (o->max_discovered >= 0)
        fo->max_discovered = (guint)o->max_discovered;
    fo->allow_private = o->allow_private;
    for (guint i = 0; o->mirrors && o->mirrors[i]; i++)
        if (!ix_fetch_add_mirror(fo, o->mirrors[i], error))
            return FALSE;
    for (guint i = 0; o->repositories && o->repositories[i]; i++) {
        if (!fo->repositories)
            fo->repositories = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(fo->repositories,
                        g_canonicalize_filename(o->repositories[i], NULL));
    }
    return TRUE;
}

/* --strict: a cited document that could not be had fails the run. */
static guint
count_unreachable(const ix_plan_t *plan)
{
    guint n = 0;

    for (guint i = 0; i < plan->sources->len; i++) {
        const ix_source_t *src = g_ptr_array_index(plan->sources, i);

        n += src->type == IX_SOURCE_DOCUMENT
             && src->status == IX_STATUS_UNREACHABLE;
    }
    return n;
}

static char *
last_run_json(JsonNode *report)
{
    JsonObject *root = json_node_get_object(report);
    JsonNode *summary = json_object_get_member(root, "summary");

    return json_to_string(summary, FALSE);
}

/* The shrink guard: a run that would delete more than @max_pct percent of
 * what the index holds stops before writing anything. */
static gboolean
check_shrink(const options_t *o, const ix_prev_t *prev, GHashTable *keep,
             GError **error)
{
    guint total = g_hash_table_size(prev->sources);
    guint gone = ix_prev_count_gone(prev, keep);

    if (o->allow_shrink || !total
        || (guint64)gone * 100 <= (guint64)o->max_shrink * total)
        return TRUE;
    g_set_error(error, IX_ERROR, IX_ERROR_INDEX,
                "refusing to delete %u of the %u sources in the index "
                "(%.0f%%, over the %d%% of --max-shrink); a truncated "
                "mapping or a missing folder? Check the sources, or pass "
                "--allow-shrink to delete them",
                gone, total, gone * 100.0 / total, o->max_shrink);
    return FALSE;
}

static guint
count_failed(JsonObject *summary)
{
    JsonObject *c = json_object_get_object_member(summary, "counts");
    static const char *const failed[] = {
        "unreachable", "unsupported", "too-large", "broken"
    };
    guint n = 0;

    for (guint i = 0; i < G_N_ELEMENTS(failed); i++)
        n += json_object_get_int_member_with_default(c, failed[i], 0);
    return n;
}

static void
print_summary(JsonNode *report, const char *report_path)
{
    JsonObject *s = json_object_get_object_member(
        json_node_get_object(report), "summary");

    fprintf(stderr,
            "ctmap-indexer: done in %.2f s: %" G_GINT64_FORMAT
            " added, %" G_GINT64_FORMAT " updated, %" G_GINT64_FORMAT
            " unchanged, %" G_GINT64_FORMAT " deleted, %u failed; "
            "report %s\n",
            json_object_get_double_member(s, "seconds"),
            json_object_get_int_member(s, "added"),
            json_object_get_int_member(s, "updated"),
            json_object_get_int_member(s, "unchanged"),
            json_object_get_int_member(s, "deleted"), count_failed(s),
            report_path);
}

static void
print_notes(const ix_plan_t *plan, const ix_collect_stats_t *collected,
            const ix_content_stats_t *content)
{
    fprintf(stderr, "ctmap-indexer: fetched %u, unchanged %u, failed "
            "%u, discovered %u, merged %u duplicates\n",
            collected->fetched, collected->unchanged, collected->failed,
            collected->discovered, collected->merged);
    if (content->extracted + content->failed + content->reused)
        fprintf(stderr, "ctmap-indexer: extracted %u files (%.1f MB), "
                "%u failed, %u unchanged\n", content->extracted,
                content->bytes / 1048576.0, content->failed,
                content->reused);
    for (guint i = 0; i < plan->warnings->len; i++)
        fprintf(stderr, "ctmap-indexer: warning: %s\n",
                (char *)g_ptr_array_index(plan->warnings, i));
    fprintf(stderr, "ctmap-indexer: planned %u entries and %u "
            "documents\n", plan->n_entries, plan->n_documents);
}

/* What the writer's bounds did, for the report's warnings (the cap) and
 * the user (early commits). */
static void
note_limits(const options_t *o, ix_plan_t *plan, const ix_writer_t *w,
            guint early)
{
    const GPtrArray *capped = ix_writer_capped(w);

    for (guint i = 0; i < capped->len; i++) {
        const char *id = g_ptr_array_index(capped, i);
        const ix_source_t *src = g_hash_table_lookup(plan->by_id, id);
        const char *name = src && src->url ? src->url : id;

        g_ptr_array_add(plan->warnings, g_strdup_printf(
            "%s: over %d distinct terms (--max-terms); the rest of its "
            "text is not searchable", name, o->max_terms));
    }
    if (early && !o->quiet)
        fprintf(stderr, "ctmap-indexer: committed %u batches early, at "
                "the %d MB of --writer-memory\n", early, o->writer_memory);
}

int
main(int argc, char **argv)
{
    options_t o = { .max_shrink = MAX_SHRINK, .max_discovered = -1,
                    .max_terms = MAX_TERMS,
                    .writer_memory = WRITER_MEMORY_MB };
    g_autoptr(GError) error = NULL;
    g_autofree char *index_path = NULL, *report_path = NULL;
    g_autofree char *changes_path = NULL, *build_path = NULL;
    g_autofree char *default_mapping = NULL, *summary = NULL;
    g_autoptr(corpus_vocab_t) vocab = NULL;
    g_autoptr(ix_lock_t) lock = NULL;
    g_autoptr(ix_prev_t) prev = NULL;
    g_autoptr(ix_plan_t) plan = NULL;
    g_autoptr(ix_writer_t) w = NULL;
    g_autoptr(ix_progress_t) progress = NULL;
    g_autoptr(JsonNode) report = NULL, changes = NULL;
    g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GHashTable) keep = NULL;
    guint kept = 0, early = 0;
    const char *mappings_default[2] = { NULL, NULL };
    const char *const *mappings;
    gint64 started = g_get_real_time();
    ix_content_stats_t content = { 0 };
    ix_collect_stats_t collected = { 0 };
    ix_fetch_opts_t fo = { 0 };
    ix_counts_t counts;
    gboolean fresh;
    int rc = 0;

    if (!parse_options(&o, &argc, &argv, &error)) {
        rc = die(2, "%s (try --help)", error->message);
        goto out;
    }
    if (!o.data_dir)
        o.data_dir = g_strdup("var");
    if (!o.corpus_dir)
        o.corpus_dir = g_strdup(CTMAP_CORPUS_DIR);
    index_path = g_build_filename(o.data_dir, "index", NULL);
    report_path = o.report ? g_strdup(o.report)
                           : g_build_filename(o.data_dir, "report.json", NULL);
    changes_path = g_build_filename(o.data_dir, "changes.json", NULL);

    vocab = corpus_vocab_load(o.corpus_dir, &error);
    if (!vocab) {
        rc = die(1, "%s", error->message);
        goto out;
    }
    if (!prepare_data_dir(o.data_dir, &error)) {
        rc = die(1, "%s", error->message);
        goto out;
    }
    lock = ix_store_lock(o.data_dir, &error);
    if (!lock) {
        rc = die(1, "%s", error->message);
        goto out;
    }
    ix_store_clean(o.data_dir, notes);
    prev = ix_prev_load(index_path, &error);
    if (!prev && o.full) {
        /* --full is how a damaged index is replaced: it needs nothing
         * from the old one (no change report, no shrink guard then). */
        g_ptr_array_add(notes, g_strdup_printf(
            "%s; rebuilding it from nothing", error->message));
        g_clear_error(&error);
        prev = ix_prev_new();
    } else if (!prev) {
        rc = die(1, "index not updated: %s (--full rebuilds it)",
                 error->message);
        goto out;
    }
    /* A first build and --full write a fresh database and swap it in
     * whole, so searchd never serves a half-built index; other runs
     * change the index in place, a batch per transaction. */
    fresh = o.full || !prev->exists;
    if (fresh) {
        build_path = ix_store_fresh_dir(o.data_dir, "new", &error);
        w = build_path ? ix_writer_open(build_path, &error) : NULL;
    } else {
        w = ix_writer_open(index_path, &error);
    }
    if (!w) {
        rc = die(1, "%s", error->message);
        goto out;
    }
    if (fresh) {
        ix_writer_set_force(w, TRUE);
        ix_writer_set_previous(w, prev->hashes);
    }

    default_mapping = g_build_filename(o.corpus_dir, "mapping-2020-07.txt",
                                       NULL);
    mappings_default[0] = default_mapping;
    /* The embedded mapping is the default only when nothing else is
     * named (DESIGN.md, "Command lines"). */
    mappings = o.mappings ? (const char *const *)o.mappings
               : o.repositories || o.urls ? NULL : mappings_default;
    if (!fetch_options(&o, &fo, &error)) {
        rc = die(2, "%s", error->message);
        goto out;
    }
    progress = ix_progress_new(o.quiet);
    plan = ix_plan_build(vocab, mappings);
    plan->progress = progress;
    plan->spool_dir = g_strdup(o.data_dir);
    g_ptr_array_extend_and_steal(plan->warnings, g_steal_pointer(&notes));
    if (o.urls && !ix_plan_add_urls(plan, o.urls, &error)) {
        rc = die(2, "%s", error->message);
        goto out;
    }
    for (guint i = 0; o.repositories && o.repositories[i]; i++)
        ix_plan_add_repository(plan, o.repositories[i]);
    mark_repository_pages(plan);
    ix_progress_planned(progress, plan->sources->len);
    fo.notes = plan->warnings;
    /* A fresh build extracts everything again: that is what --full is
     * for (a new extractor, a suspect index). */
    if (!ix_collect(plan, fresh ? NULL : w, &fo, (guint)o.follow,
                    g_get_num_processors(), &collected, &content,
                    &error)) {
        ix_progress_break(progress);
        /* An unusable cache (read-only, full) would leave every cited
         * document "not fetched" and strip its text from the index:
         * better no update at all. */
        if (error->code == IX_ERROR_IO) {
            rc = die(1, "index not updated: %s", error->message);
            goto out;
        }
        /* Without extraction workers, documents are marked broken and
         * the rest is indexed; the run still fails, since a whole
         * backend is unusable. */
        fprintf(stderr, "ctmap-indexer: %s\n", error->message);
        g_clear_error(&error);
        rc = 1;
    }
    ix_store_crash_point("after-fetch");
    ix_progress_break(progress);
    if (!o.quiet)
        print_notes(plan, &collected, &content);
    /* A fresh database holds the plan alone: nothing else can be kept. */
    keep = fresh ? g_hash_table_ref(plan->by_id)
                 : ix_prev_keep(prev, plan, &kept);
    if (kept && !o.quiet)
        fprintf(stderr, "ctmap-indexer: kept %u documents found on pages "
                "that could not be fetched this time\n", kept);
    if (!check_shrink(&o, prev, keep, &error)) {
        rc = die(1, "index not updated: %s", error->message);
        goto out;
    }

    ix_writer_set_limits(w, (guint64)o.max_terms,
                         (guint64)o.writer_memory * 1024 * 1024);
    if (!ix_writer_set_vocab(w, vocab, &error)
        || !write_index(w, plan, vocab, fresh ? NULL : keep, &early,
                        &error)) {
        ix_progress_break(progress);
        rc = die(1, "index not updated: %s", error->message);
        goto out;
    }
    ix_progress_break(progress);
    note_limits(&o, plan, w, early);

    counts = *ix_writer_counts(w);
    if (fresh)
        counts.deleted = ix_prev_count_gone(prev, keep);
    changes = ix_changes_build(prev, plan, keep, w);
    report = ix_report_build(plan, &counts, changes, started,
                             g_get_real_time());
    summary = last_run_json(report);
    /* A run that changed nothing leaves the index alone, revision and
     * all, so searchd has nothing to reopen; ctmap:last-run (what /stats
     * shows) is the last run that changed the index. */
    if ((fresh || counts.added || counts.updated || counts.deleted)
        && (!ix_writer_set_meta(w, XC_META_LAST_RUN, summary, &error)
            || !ix_writer_commit(w, &error))) {
        rc = die(1, "index not updated: %s", error->message);
        goto out;
    }
    ix_writer_close(g_steal_pointer(&w));
    if (fresh && !ix_store_swap(o.data_dir, build_path, prev->revision,
                                &error)) {
        rc = die(1, "index not updated: %s", error->message);
        goto out;
    }
    g_clear_pointer(&build_path, g_free);
    if (!ix_report_write(report, report_path, &error)
        || !ix_report_write(changes, changes_path, &error)) {
        rc = die(1, "%s", error->message);
        goto out;
    }
    if (o.strict && count_unreachable(plan)) {
        fprintf(stderr, "ctmap-indexer: --strict: %u cited documents are "
                "unreachable (see %s)\n", count_unreachable(plan),
                report_path);
        rc = 1;
    }
    if (!o.quiet)
        print_summary(report, report_path);

out:
    /* A fresh database that was not swapped in is of no use to anyone. */
    ix_writer_close(g_steal_pointer(&w));
    ix_store_remove(build_path);
    ix_fetch_opts_clear(&fo);
    g_free(o.data_dir);
    g_strfreev(o.mappings);
    g_strfreev(o.repositories);
    g_free(o.urls);
    g_strfreev(o.mirrors);
    g_free(o.report);
    g_free(o.corpus_dir);
    return rc;
}
