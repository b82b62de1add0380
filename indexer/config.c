/* config.c -- ctmap-indexer's command line: the option table, the
 * defaults and the checks, into an ix_run_opts_t that ix_run() takes (as
 * searchd's config.c does for the daemon). */
#include "indexer.h"

/* Share of the index (percent) a run may delete without --allow-shrink:
 * a truncated edition must not empty the index. */
#define MAX_SHRINK 20

/* New documents one followed page may add: a page of 5,000 links must
 * not become 5,000 fetches. */
#define MAX_DISCOVERED 200

/* The writer's bounds (issue 13): distinct terms per document, and how
 * much the process may grow within one transaction before it commits
 * early.  200,000 terms is about 100,000 distinct words (each word also
 * gives its stem), over twice what the largest report of the corpus
 * holds; 40 files of 200,000 distinct words took 10 GB with no budget. */
#define MAX_TERMS 200000
#define WRITER_MEMORY_MB 512

void
ix_run_opts_init(ix_run_opts_t *o)
{
    *o = (ix_run_opts_t){.max_shrink = MAX_SHRINK,
                         .max_discovered = MAX_DISCOVERED,
                         .max_terms = MAX_TERMS,
                         .writer_memory = WRITER_MEMORY_MB};
}

void
ix_run_opts_clear(ix_run_opts_t *o)
{
    g_free(o->data_dir);
    g_strfreev(o->mappings);
    g_strfreev(o->repositories);
    g_free(o->urls);
    g_strfreev(o->mirrors);
    g_free(o->report);
    g_free(o->metrics_file);
    g_free(o->corpus_dir);
    g_free(o->ocr);
    if (o->repository_urls)
        g_ptr_array_unref(o->repository_urls);
    ix_run_opts_init(o);
}

/* The bounds of the integer options, checked after parsing. */
static const struct {
    const char *name;
    size_t offset;
    int min, max;
    const char *range;          /* as the message says it */
} bounds[] = {
    {"--follow", G_STRUCT_OFFSET(ix_run_opts_t, follow), 0, 10,
     "between 0 and 10"},
    {"--max-shrink", G_STRUCT_OFFSET(ix_run_opts_t, max_shrink), 0, 100,
     "between 0 and 100"},
    {"--jobs", G_STRUCT_OFFSET(ix_run_opts_t, jobs), 0, 256,
     "between 1 and 256"},
    {"--shards", G_STRUCT_OFFSET(ix_run_opts_t, shards), 0, 1024,
     "between 1 and 1024"},
    {"--max-discovered", G_STRUCT_OFFSET(ix_run_opts_t, max_discovered), 0,
     100000, "between 0 and 100000"},
    {"--max-terms", G_STRUCT_OFFSET(ix_run_opts_t, max_terms), 0,
     G_MAXINT, "0 or more"},
    {"--writer-memory", G_STRUCT_OFFSET(ix_run_opts_t, writer_memory), 0,
     1024 * 1024, "between 0 and 1048576 (MB)"},
};

static gboolean
check_bounds(const ix_run_opts_t *o, GError **error)
{
    for (size_t i = 0; i < G_N_ELEMENTS(bounds); i++) {
        int v = G_STRUCT_MEMBER(int, o, bounds[i].offset);

        if (v < bounds[i].min || v > bounds[i].max) {
            g_set_error(error, IX_ERROR, IX_ERROR_USAGE, "%s must be %s",
                        bounds[i].name, bounds[i].range);
            return FALSE;
        }
    }
    return TRUE;
}

gboolean
ix_run_opts_parse(ix_run_opts_t *o, int *argc, char ***argv, GError **error)
{
    GOptionEntry entries[] = {
        { "data-dir", 'd', 0, G_OPTION_ARG_FILENAME, &o->data_dir,
          "Data directory (index, cache, report; default: var)", "DIR" },
        { "mapping", 'm', 0, G_OPTION_ARG_FILENAME_ARRAY, &o->mappings,
          "Mapping text to index (repeatable; default: the embedded one)",
          "FILE" },
        { "repository", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->repositories,
          "Repository folder to index, published at URL when given "
          "(repeatable)", "DIR[=URL]" },
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
        { "shards", 0, 0, G_OPTION_ARG_INT, &o->shards,
          "Split the index into N shards (first build or --full; later "
          "runs keep the count); DIR/index becomes a stub naming them",
          "N" },
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
        { "metrics-file", 0, 0, G_OPTION_ARG_FILENAME, &o->metrics_file,
          "Write the run's summary for node-exporter's textfile collector",
          "FILE" },
        { "ocr", 0, 0, G_OPTION_ARG_STRING, &o->ocr,
          "OCR of PDF pages: auto (those without text), off, force "
          "(default auto)", "MODE" },
        { "quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet,
          "Print nothing but errors", NULL },
        { "corpus-dir", 0, 0, G_OPTION_ARG_FILENAME, &o->corpus_dir,
          "Vocabularies and embedded mapping (default: " CTMAP_CORPUS_DIR
          ")",
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
    if (!check_bounds(o, error))
        return FALSE;
    if (o->ocr && !extract_ocr_mode_parse(o->ocr, &o->ocr_mode, NULL)) {
        g_set_error(error, IX_ERROR, IX_ERROR_USAGE,
                    "--ocr must be auto, off or force");
        return FALSE;
    }
    /* "DIR=URL" becomes DIR here and URL beside it, so everything after
     * (the fetcher's file:// roots, the plan) sees a plain folder. */
    o->repository_urls = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; o->repositories && o->repositories[i]; i++) {
        char *dir = NULL, *url = NULL;

        if (!ix_plan_repository_parse(o->repositories[i], &dir, &url, error))
            return FALSE;
        g_free(o->repositories[i]);
        o->repositories[i] = dir;
        g_ptr_array_add(o->repository_urls, url);
    }
    if (!o->data_dir)
        o->data_dir = g_strdup("var");
    if (!o->corpus_dir)
        o->corpus_dir = g_strdup(CTMAP_CORPUS_DIR);
    if (!o->report)
        o->report = g_build_filename(o->data_dir, "report.json", NULL);
    return TRUE;
}
