/* cli.c -- ctmap-extract: extracts files through the worker pool (or in
 * process) and prints their text, one JSON line each, or both to files;
 * the benchmark drives it.  Exit 0 all extracted, 1 some failed, 2 usage. */
#include "extract.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    gint jobs;
    gboolean in_process;
    gboolean json;
    gboolean stats;
    gint timeout_s;
    gint max_pages;
    char *ocr;
    char *ocr_cache;
    char *out_dir;
    char **files;
} cli_opts_t;

/* One file on its way through: mapped input, then the formatted output
 * waiting for its turn (output keeps the command line's order). */
typedef struct {
    const char *path;
    GMappedFile *map;
    extract_input_t input;
    char *output;               /* NULL until done */
    gboolean ok;
} job_t;

typedef struct {
    const cli_opts_t *opts;
    job_t *jobs;
    guint n;
    guint next_out;             /* first job not yet printed */
    guint64 bytes;
    guint failed;
    GHashTable *failures;       /* kind -> count (GUINT_TO_POINTER) */
} run_t;

static const char *
media_from_name(const char *path)
{
    if (g_str_has_suffix(path, ".pdf") || g_str_has_suffix(path, ".PDF"))
        return "application/pdf";
    if (g_str_has_suffix(path, ".html") || g_str_has_suffix(path, ".htm"))
        return "text/html";
    if (g_str_has_suffix(path, ".txt"))
        return "text/plain";
    return NULL;
}

/* OUT/<path>.txt with the path's leading '/' and "./" dropped and ".."
 * components turned into "__", so every output stays under OUT and files
 * of the same name in different directories do not collide. */
static char *
out_path(const char *dir, const char *path)
{
    g_auto(GStrv) parts = g_strsplit(path, "/", -1);
    GString *rel = g_string_new(NULL);
    g_autofree char *relpath = NULL;

    for (guint i = 0; parts[i]; i++) {
        const char *p = parts[i];

        if (!*p || strcmp(p, ".") == 0)
            continue;
        if (rel->len)
            g_string_append_c(rel, '/');
        g_string_append(rel, strcmp(p, "..") == 0 ? "__" : p);
    }
    g_string_append(rel, ".txt");
    relpath = g_string_free(rel, FALSE);
    return g_build_filename(dir, relpath, NULL);
}

static gboolean
write_out(const char *dir, const char *path, const char *text,
          GError **error)
{
    g_autofree char *target = out_path(dir, path);
    g_autofree char *parent = g_path_get_dirname(target);

    if (g_mkdir_with_parents(parent, 0755) < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "%s: %s", parent, g_strerror(errno));
        return FALSE;
    }
    return g_file_set_contents(target, text, -1, error);
}

static void
count_failure(run_t *run, const char *kind)
{
    gpointer n = g_hash_table_lookup(run->failures, kind);

    g_hash_table_replace(run->failures, g_strdup(kind),
                         GUINT_TO_POINTER(GPOINTER_TO_UINT(n) + 1));
    run->failed++;
}

static char *
json_line(const char *path, extract_result_t *r, const char *text,
          const char *status, const char *kind, const char *message)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;
    char *s;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "file");
    json_builder_add_string_value(b, path);
    json_builder_set_member_name(b, "status");
    json_builder_add_string_value(b, status);
    json_builder_set_member_name(b, "error");
    if (kind)
        json_builder_add_string_value(b, kind);
    else
        json_builder_add_null_value(b);
    if (message) {
        json_builder_set_member_name(b, "message");
        json_builder_add_string_value(b, message);
    }
    if (r && text) {
        json_builder_set_member_name(b, "media_type");
        json_builder_add_string_value(b, r->media_type);
        json_builder_set_member_name(b, "title");
        if (r->title)
            json_builder_add_string_value(b, r->title);
        else
            json_builder_add_null_value(b);
        json_builder_set_member_name(b, "lang");
        json_builder_add_string_value(b, r->lang ? r->lang : "");
        json_builder_set_member_name(b, "pages");
        json_builder_add_int_value(b, r->n_pages);
        json_builder_set_member_name(b, "chars");
        json_builder_add_int_value(b, g_utf8_strlen(text, -1));
        json_builder_set_member_name(b, "ocr");
        json_builder_begin_array(b);
        for (guint i = 0; r->ocr && i < r->ocr->len; i++) {
            const extract_ocr_page_t *o =
                &g_array_index(r->ocr, extract_ocr_page_t, i);

            json_builder_begin_object(b);
            json_builder_set_member_name(b, "page");
            json_builder_add_int_value(b, o->page);
            json_builder_set_member_name(b, "confidence");
            json_builder_add_int_value(b, o->confidence);
            json_builder_set_member_name(b, "cached");
            json_builder_add_boolean_value(b, o->cached);
            json_builder_end_object(b);
        }
        json_builder_end_array(b);
        json_builder_set_member_name(b, "warnings");
        json_builder_begin_array(b);
        for (guint i = 0; r->warnings && i < r->warnings->len; i++)
            json_builder_add_string_value(b, r->warnings->pdata[i]);
        json_builder_end_array(b);
    }
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    s = json_generator_to_data(gen, NULL);
    return s;
}

static void
flush(run_t *run)
{
    while (run->next_out < run->n && run->jobs[run->next_out].output) {
        job_t *j = &run->jobs[run->next_out++];

        fputs(j->output, stdout);
        g_clear_pointer(&j->output, g_free);
    }
}

/* Formats one outcome; @error NULL means @r holds the document. */
static void
record(run_t *run, guint i, extract_result_t *r, const GError *error)
{
    const cli_opts_t *o = run->opts;
    job_t *j = &run->jobs[i];
    g_autofree char *text = NULL;
    g_autoptr(GError) werr = NULL;

    if (error) {
        const char *kind = error->domain == EXTRACT_ERROR
                               ? extract_error_kind(error->code) : "io";
        const char *status = error->domain == EXTRACT_ERROR
                                 ? extract_error_status(error->code)
                                 : "error";

        count_failure(run, kind);
        g_printerr("ctmap-extract: %s: %s\n", j->path, error->message);
        j->output = o->json ? json_line(j->path, NULL, NULL, status, kind,
                                        error->message)
                            : g_strdup("");
    } else {
        text = extract_result_text(r);
        if (o->out_dir && !write_out(o->out_dir, j->path, text, &werr)) {
            count_failure(run, "io");
            g_printerr("ctmap-extract: %s\n", werr->message);
            j->output = o->json ? json_line(j->path, NULL, NULL, "error",
                                            "io", werr->message)
                                : g_strdup("");
        } else if (o->json) {
            j->ok = TRUE;
            j->output = json_line(j->path, r, text, "ok", NULL, NULL);
        } else {
            j->ok = TRUE;
            j->output = o->out_dir ? g_strdup("") : g_steal_pointer(&text);
        }
    }
    if (*j->output && !g_str_has_suffix(j->output, "\n")) {
        char *line = g_strconcat(j->output, "\n", NULL);

        g_free(j->output);
        j->output = line;
    }
    flush(run);
}

static void
on_done(guint index, extract_result_t *result, const GError *error,
        gpointer rock)
{
    record(rock, index, result, error);
}

/* Maps every file; a file that cannot be read is reported at once. */
static void
map_files(run_t *run)
{
    for (guint i = 0; i < run->n; i++) {
        job_t *j = &run->jobs[i];
        g_autoptr(GError) error = NULL;

        j->path = run->opts->files[i];
        j->map = g_mapped_file_new(j->path, FALSE, &error);
        if (!j->map) {
            record(run, i, NULL, error);
            continue;
        }
        j->input.len = g_mapped_file_get_length(j->map);
        j->input.data = (const guint8 *)g_mapped_file_get_contents(j->map);
        if (!j->input.data)
            j->input.data = (const guint8 *)"";
        j->input.filename = j->path;
        j->input.media_type = media_from_name(j->path);
        run->bytes += j->input.len;
    }
}

static void
unmap(job_t *j)
{
    if (j->map)
        g_mapped_file_unref(j->map);
    j->map = NULL;
}

static void
run_in_process(run_t *run, const extract_limits_t *limits)
{
    for (guint i = 0; i < run->n; i++) {
        job_t *j = &run->jobs[i];
        g_autoptr(GError) error = NULL;
        extract_result_t r;

        if (!j->map)
            continue;
        memset(&r, 0, sizeof(r));
        if (extract_document(&j->input, limits, &r, &error))
            record(run, i, &r, NULL);
        else
            record(run, i, NULL, error);
        extract_result_clear(&r);
        unmap(j);
    }
}

/* The pool only sees the files that mapped; @idx takes its indexes back
 * to the command line's. */
typedef struct {
    run_t *run;
    guint *idx;
} pool_rock_t;

static void
on_pool_done(guint index, extract_result_t *result, const GError *error,
             gpointer rock)
{
    pool_rock_t *pr = rock;
    guint i = pr->idx[index];

    on_done(i, result, error, pr->run);
    unmap(&pr->run->jobs[i]);
}

static void
run_pool(run_t *run, const extract_limits_t *limits, guint workers)
{
    g_autofree const extract_input_t **inputs =
        g_new0(const extract_input_t *, run->n);
    g_autofree guint *idx = g_new0(guint, run->n);
    g_autoptr(GError) error = NULL;
    g_autoptr(extract_pool_t) pool = NULL;
    pool_rock_t pr = { run, idx };
    guint m = 0;

    for (guint i = 0; i < run->n; i++) {
        if (!run->jobs[i].map)
            continue;
        idx[m] = i;
        inputs[m++] = &run->jobs[i].input;
    }
    if (m == 0)
        return;
    pool = extract_pool_new(MIN(workers, m), limits, NULL, &error);
    if (!pool) {
        /* An unusable worker fails every document, not the run. */
        for (guint k = 0; k < m; k++) {
            on_done(idx[k], NULL, error, run);
            unmap(&run->jobs[idx[k]]);
        }
        return;
    }
    if (!extract_pool_run(pool, inputs, m, on_pool_done, &pr, &error))
        g_printerr("ctmap-extract: %s\n", error->message);
}

static void
print_stats(const run_t *run, double seconds)
{
    GHashTableIter it;
    gpointer k, v;
    double mb = run->bytes / 1e6;

    g_printerr("files %u  bytes %" G_GUINT64_FORMAT "  seconds %.3f  "
               "files/s %.2f  MB/s %.2f  failed %u\n",
               run->n, run->bytes, seconds,
               seconds > 0 ? run->n / seconds : 0.0,
               seconds > 0 ? mb / seconds : 0.0, run->failed);
    g_hash_table_iter_init(&it, run->failures);
    while (g_hash_table_iter_next(&it, &k, &v))
        g_printerr("  %s %u\n", (const char *)k, GPOINTER_TO_UINT(v));
}

static gboolean
parse(cli_opts_t *o, int *argc, char ***argv, GError **error)
{
    GOptionEntry entries[] = {
        { "jobs", 'j', 0, G_OPTION_ARG_INT, &o->jobs,
          "Worker processes (default: the number of cores)", "N" },
        { "in-process", 0, 0, G_OPTION_ARG_NONE, &o->in_process,
          "Extract in this process, without workers", NULL },
        { "json", 0, 0, G_OPTION_ARG_NONE, &o->json,
          "Print one JSON object per file instead of the text", NULL },
        { "stats", 0, 0, G_OPTION_ARG_NONE, &o->stats,
          "Print throughput and failures to stderr", NULL },
        { "timeout", 0, 0, G_OPTION_ARG_INT, &o->timeout_s,
          "Seconds allowed per document (default 60)", "S" },
        { "max-pages", 0, 0, G_OPTION_ARG_INT, &o->max_pages,
          "PDF pages read per document (default 2000)", "N" },
        { "ocr", 0, 0, G_OPTION_ARG_STRING, &o->ocr,
          "OCR of PDF pages: auto (no text layer), off, force "
          "(default auto)", "MODE" },
        { "ocr-cache", 0, 0, G_OPTION_ARG_FILENAME, &o->ocr_cache,
          "Keep OCR results by page image in DIR", "DIR" },
        { "out", 'o', 0, G_OPTION_ARG_FILENAME, &o->out_dir,
          "Write each text to DIR/FILE.txt instead of stdout", "DIR" },
        { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->files,
          NULL, "FILE..." },
        { NULL, 0, 0, 0, NULL, NULL, NULL }
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("FILE...");

    g_option_context_set_summary(ctx, "Extracts the text of PDF, HTML and "
                                      "text files as ctmap indexes it.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, argc, argv, error))
        return FALSE;
    if (!o->files || !o->files[0]) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                    "no FILE given");
        return FALSE;
    }
    if (o->jobs < 0 || o->jobs > 1024 || o->timeout_s < 0 ||
        o->max_pages < 0) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--jobs, --timeout and --max-pages take a count");
        return FALSE;
    }
    return TRUE;
}

int
main(int argc, char **argv)
{
    cli_opts_t opts = { 0 };
    g_autoptr(GError) error = NULL;
    extract_limits_t limits;
    run_t run = { 0 };
    gint64 t0;

    if (!parse(&opts, &argc, &argv, &error)) {
        g_printerr("ctmap-extract: %s (try --help)\n", error->message);
        return 2;
    }
    extract_limits_init(&limits);
    if (opts.timeout_s > 0)
        limits.timeout_ms = (guint)opts.timeout_s * 1000;
    if (opts.max_pages > 0)
        limits.max_pages = (guint)opts.max_pages;
    if (opts.ocr && !extract_ocr_mode_parse(opts.ocr, &limits.ocr, &error)) {
        g_printerr("ctmap-extract: %s (try --help)\n", error->message);
        return 2;
    }
    limits.ocr_cache = opts.ocr_cache;

    run.opts = &opts;
    run.n = g_strv_length(opts.files);
    run.jobs = g_new0(job_t, run.n);
    run.failures = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                         NULL);
    t0 = g_get_monotonic_time();
    map_files(&run);
    if (opts.in_process)
        run_in_process(&run, &limits);
    else
        run_pool(&run, &limits,
                 opts.jobs > 0 ? (guint)opts.jobs : g_get_num_processors());
    flush(&run);
    fflush(stdout);
    if (opts.stats)
        print_stats(&run, (g_get_monotonic_time() - t0) / 1e6);

    for (guint i = 0; i < run.n; i++) {
        unmap(&run.jobs[i]);
        g_free(run.jobs[i].output);
    }
    g_free(run.jobs);
    g_hash_table_unref(run.failures);
    g_strfreev(opts.files);
    g_free(opts.out_dir);
    g_free(opts.ocr);
    g_free(opts.ocr_cache);
    return run.failed ? 1 : 0;
}
