/* run.c -- one ctmap-indexer run as named steps over a run_t: open (lock
 * the data dir, clean up, read the previous index, open the writer), plan
 * the sources, collect their text, guard (what to keep, the shrink
 * guard), write them to the index in batches (in place, or into a fresh
 * database swapped in whole) and finish (change report, report, metadata,
 * swap).  main.c only parses the command line and maps the outcome to an
 * exit code, so a suite can drive runs in-process. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "indexer.h"
#include "schema.h"

/* One transaction per batch: a crash loses at most one batch, and the
 * commit cost is spread over many documents. */
#define BATCH 500

/* The repository page the mapping cites ("Documents are shared through
 * the UNRCCA website"): followed one level deep, so a PDF added there is
 * found by the next run. */
static const char *const repository_pages[] = {
    "https://unrcca.unmissions.org/counter-terrorism", NULL
};

/* Everything a run holds between its steps; run_clear() frees it. */
typedef struct {
    const ix_run_opts_t *o;
    ix_run_result_t *result;
    gint64 started;
    char *index_path;
    char *changes_path;
    char *build_path;           /* the fresh database until swapped in */
    char *default_mapping;
    corpus_vocab_t *vocab;
    ix_lock_t *lock;
    ix_prev_t *prev;
    ix_plan_t *plan;
    ix_writer_t *w;
    ix_progress_t *progress;
    GPtrArray *notes;           /* for the plan's warnings */
    GHashTable *keep;
    ix_fetch_opts_t fo;
    ix_collect_stats_t collected;
    ix_content_stats_t content;
    ix_counts_t counts;
    JsonNode *report;
    JsonNode *changes;
    gboolean fresh;             /* a fresh database, swapped in whole */
    guint shards;               /* 0: a single database (shards.c) */
} run_t;

static void
run_clear(run_t *r)
{
    /* A fresh database that was not swapped in is of no use to anyone. */
    ix_writer_close(g_steal_pointer(&r->w));
    ix_store_remove(r->build_path);
    g_free(r->build_path);
    ix_fetch_opts_clear(&r->fo);
    g_free(r->index_path);
    g_free(r->changes_path);
    g_free(r->default_mapping);
    g_clear_pointer(&r->vocab, corpus_vocab_free);
    g_clear_pointer(&r->keep, g_hash_table_unref);
    g_clear_pointer(&r->report, json_node_unref);
    g_clear_pointer(&r->changes, json_node_unref);
    g_clear_pointer(&r->plan, ix_plan_free);
    g_clear_pointer(&r->prev, ix_prev_free);
    g_clear_pointer(&r->progress, ix_progress_free);
    g_clear_pointer(&r->notes, g_ptr_array_unref);
    g_clear_pointer(&r->lock, ix_store_unlock);
}

/* Marks *@error as the user's mistake (exit 2). */
static gboolean
usage_error(GError **error)
{
    (*error)->domain = IX_ERROR;
    (*error)->code = IX_ERROR_USAGE;
    return FALSE;
}

/* Prefixes *@error: the run stops with the index as it was. */
static gboolean
not_updated(GError **error)
{
    g_prefix_error(error, "index not updated: ");
    return FALSE;
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

/* ---------------------------------------------------------------- Open */

static gboolean
step_open(run_t *r, GError **error)
{
    const ix_run_opts_t *o = r->o;

    r->index_path = g_build_filename(o->data_dir, "index", NULL);
    r->changes_path = g_build_filename(o->data_dir, "changes.json", NULL);
    r->vocab = corpus_vocab_load(o->corpus_dir, error);
    if (!r->vocab || !prepare_data_dir(o->data_dir, error))
        return FALSE;
    /* Glossary lines it skipped (corpus_vocab_warnings()). */
    for (guint i = 0; i < corpus_vocab_warnings(r->vocab)->len; i++)
        g_ptr_array_add(r->notes, g_strdup(g_ptr_array_index(
                                      corpus_vocab_warnings(r->vocab), i)));
    r->lock = ix_store_lock(o->data_dir, error);
    if (!r->lock)
        return FALSE;
    ix_store_clean(o->data_dir, r->notes);
    r->prev = ix_prev_load(r->index_path, error);
    if (!r->prev && o->full) {
        /* --full is how a damaged index is replaced: it needs nothing
         * from the old one (no change report, no shrink guard then). */
        g_ptr_array_add(r->notes, g_strdup_printf(
            "%s; rebuilding it from nothing", (*error)->message));
        g_clear_error(error);
        r->prev = ix_prev_new();
    } else if (!r->prev) {
        char *msg = g_strdup_printf("index not updated: %s (--full "
                                    "rebuilds it)", (*error)->message);

        g_free((*error)->message);
        (*error)->message = msg;
        return FALSE;
    }
    /* A first build and --full write a fresh database and swap it in
     * whole, so searchd never serves a half-built index; other runs
     * change the index in place, a batch per transaction. */
    r->fresh = o->full || !r->prev->exists;
    r->shards = ix_shards_count(o->data_dir);
    if (o->shards && !r->fresh && (guint)o->shards != r->shards) {
        g_set_error(error, IX_ERROR, IX_ERROR_USAGE,
                    "--shards %d: the index has %u shards; changing that "
                    "needs --full", o->shards, r->shards);
        return FALSE;
    }
    if (o->shards)
        r->shards = (guint)o->shards;
    if (r->fresh) {
        r->build_path = ix_store_fresh_dir(o->data_dir, "new", error);
        r->w = !r->build_path ? NULL
               : r->shards ? ix_writer_open_shards(r->build_path, r->shards,
                                                   error)
               : ix_writer_open(r->build_path, error);
    } else if (r->shards) {
        g_autofree char *dir = g_build_filename(o->data_dir, "shards", NULL);

        r->w = ix_writer_open_shards(dir, r->shards, error);
    } else {
        r->w = ix_writer_open(r->index_path, error);
    }
    if (!r->w)
        return FALSE;
    if (r->fresh) {
        ix_writer_set_force(r->w, TRUE);
        ix_writer_set_previous(r->w, r->prev->hashes);
    }
    return TRUE;
}

/* ---------------------------------------------------------------- Plan */

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
fetch_options(const ix_run_opts_t *o, ix_fetch_opts_t *fo, GError **error)
{
    ix_fetch_opts_init(fo);
    fo->cache_dir = g_build_filename(o->data_dir, "cache", NULL);
    if (o->jobs)
        fo->jobs = (guint)o->jobs;
    fo->offline = o->offline;
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

static gboolean
step_plan(run_t *r, GError **error)
{
    const ix_run_opts_t *o = r->o;
    const char *mappings_default[2] = { NULL, NULL };
    const char *const *mappings;

    r->default_mapping = g_build_filename(o->corpus_dir,
                                          "mapping-2020-07.txt", NULL);
    mappings_default[0] = r->default_mapping;
    /* The embedded mapping is the default only when nothing else is
     * named (DESIGN.md, "Command lines"). */
    mappings = o->mappings ? (const char *const *)o->mappings
               : o->repositories || o->urls ? NULL : mappings_default;
    if (!fetch_options(o, &r->fo, error))
        return usage_error(error);
    r->progress = ix_progress_new(o->quiet);
    r->plan = ix_plan_build(r->vocab, mappings);
    r->plan->progress = r->progress;
    r->plan->spool_dir = g_strdup(o->data_dir);
    r->plan->ocr_cache = g_build_filename(o->data_dir, "cache", "ocr", NULL);
    r->plan->ocr = o->ocr_mode;
    g_ptr_array_extend_and_steal(r->plan->warnings,
                                 g_steal_pointer(&r->notes));
    r->notes = g_ptr_array_new_with_free_func(g_free);
    if (o->urls && !ix_plan_add_urls(r->plan, o->urls, error))
        return usage_error(error);
    for (guint i = 0; o->repositories && o->repositories[i]; i++)
        ix_plan_add_repository(r->plan, o->repositories[i],
                               g_ptr_array_index(o->repository_urls, i));
    mark_repository_pages(r->plan);
    ix_translations_link(r->plan);
    ix_progress_planned(r->progress, r->plan->sources->len);
    r->fo.notes = r->plan->warnings;
    return TRUE;
}

/* ---------------------------------------------------------------- Collect */

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

static gboolean
step_collect(run_t *r, GError **error)
{
    /* A fresh build extracts everything again: that is what --full is
     * for (a new extractor, a suspect index). */
    if (!ix_collect(r->plan, r->fresh ? NULL : r->w, &r->fo,
                    (guint)r->o->follow, g_get_num_processors(),
                    &r->collected, &r->content, error)) {
        ix_progress_break(r->progress);
        /* An unusable cache (read-only, full) would leave every cited
         * document unfetched and strip its text from the index: better
         * no update at all. */
        if ((*error)->code == IX_ERROR_IO)
            return not_updated(error);
        /* Without extraction workers, documents are marked broken and
         * the rest is indexed; the run still fails, since a whole
         * backend is unusable. */
        fprintf(stderr, "ctmap-indexer: %s\n", (*error)->message);
        g_clear_error(error);
        r->result->failed = TRUE;
    }
    /* Symbols and ISBNs are known once the text is. */
    ix_translations_link_identifiers(r->plan);
    ix_store_crash_point("after-fetch");
    ix_progress_break(r->progress);
    if (!r->o->quiet)
        print_notes(r->plan, &r->collected, &r->content);
    return TRUE;
}

/* ---------------------------------------------------------------- Guard */

/* The shrink guard: a run that would delete more than --max-shrink
 * percent of what the index holds stops before writing anything. */
static gboolean
check_shrink(const ix_run_opts_t *o, const ix_prev_t *prev,
             GHashTable *keep, GError **error)
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

static gboolean
step_guard(run_t *r, GError **error)
{
    guint kept = 0;

    /* A fresh database holds the plan alone: nothing else can be kept. */
    r->keep = r->fresh ? g_hash_table_ref(r->plan->by_id)
                       : ix_prev_keep(r->prev, r->plan, &kept);
    if (kept && !r->o->quiet)
        fprintf(stderr, "ctmap-indexer: kept %u documents found on pages "
                "that could not be fetched this time\n", kept);
    if (!check_shrink(r->o, r->prev, r->keep, error))
        return not_updated(error);
    return TRUE;
}

/* ---------------------------------------------------------------- Write */

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

/* What the writer's bounds did, for the report's warnings (the cap) and
 * the user (early commits). */
static void
note_limits(const ix_run_opts_t *o, ix_plan_t *plan, const ix_writer_t *w,
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

static gboolean
step_write(run_t *r, GError **error)
{
    guint early = 0;
    gboolean ok;

    ix_writer_set_limits(r->w, (guint64)r->o->max_terms,
                         (guint64)r->o->writer_memory * 1024 * 1024);
    ok = ix_writer_set_vocab(r->w, r->vocab, error)
         && write_index(r->w, r->plan, r->vocab, r->fresh ? NULL : r->keep,
                        &early, error);
    ix_progress_break(r->progress);
    if (!ok)
        return not_updated(error);
    note_limits(r->o, r->plan, r->w, early);
    return TRUE;
}

/* ---------------------------------------------------------------- Finish */

static char *
last_run_json(JsonNode *report)
{
    JsonObject *root = json_node_get_object(report);
    JsonNode *summary = json_object_get_member(root, "summary");

    return json_to_string(summary, FALSE);
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

static gboolean
step_finish(run_t *r, GError **error)
{
    const char *report_path = r->o->report;
    g_autofree char *summary = NULL;
    ix_counts_t *counts = &r->counts;

    *counts = *ix_writer_counts(r->w);
    if (r->fresh)
        counts->deleted = ix_prev_count_gone(r->prev, r->keep);
    r->changes = ix_changes_build(r->prev, r->plan, r->keep, r->w);
    r->report = ix_report_build(r->plan, counts, r->changes, r->started,
                                g_get_real_time());
    summary = last_run_json(r->report);
    /* A run that changed nothing leaves the index alone, revision and
     * all, so searchd has nothing to reopen; XC_META_LAST_RUN (what
     * /stats shows) is the last run that changed the index. */
    if ((r->fresh || counts->added || counts->updated || counts->deleted)
        && ((r->shards && !ix_writer_set_titles(r->w, error))
            || !ix_writer_set_meta(r->w, XC_META_LAST_RUN, summary, error)
            || !ix_writer_commit(r->w, error)))
        return not_updated(error);
    ix_writer_close(g_steal_pointer(&r->w));
    if (r->fresh
        && !(r->shards ? ix_shards_swap(r->o->data_dir, r->build_path,
                                        r->shards, r->prev->revision, error)
                       : ix_store_swap(r->o->data_dir, r->build_path,
                                       r->prev->revision, error)))
        return not_updated(error);
    g_clear_pointer(&r->build_path, g_free);
    if (!ix_report_write(r->report, report_path, error)
        || !ix_report_write(r->changes, r->changes_path, error))
        return FALSE;
    if (r->o->strict && count_unreachable(r->plan)) {
        fprintf(stderr, "ctmap-indexer: --strict: %u cited documents are "
                "unreachable (see %s)\n", count_unreachable(r->plan),
                report_path);
        r->result->failed = TRUE;
    }
    if (!r->o->quiet)
        print_summary(r->report, report_path);
    return TRUE;
}

/* ---------------------------------------------------------------- Run */

static const struct {
    const char *name;           /* for the debug log */
    gboolean (*run)(run_t *r, GError **error);
} steps[] = {
    {"open", step_open},
    {"plan", step_plan},
    {"collect", step_collect},
    {"guard", step_guard},
    {"write", step_write},
    {"finish", step_finish},
};

gboolean
ix_run(const ix_run_opts_t *o, ix_run_result_t *result, GError **error)
{
    run_t r = {.o = o, .result = result, .started = g_get_real_time()};
    GError *local = NULL;
    gboolean ok = TRUE;

    *result = (ix_run_result_t){.report_path = g_strdup(o->report),
                                .started = r.started};
    r.notes = g_ptr_array_new_with_free_func(g_free);
    for (size_t i = 0; i < G_N_ELEMENTS(steps) && ok; i++) {
        g_debug("step %s", steps[i].name);
        ok = steps[i].run(&r, &local);
    }
    if (!ok)
        g_propagate_error(error, local);
    if (r.report)
        result->report = json_node_ref(r.report);
    run_clear(&r);
    return ok;
}

void
ix_run_result_clear(ix_run_result_t *res)
{
    g_clear_pointer(&res->report_path, g_free);
    g_clear_pointer(&res->report, json_node_unref);
}
