/* config.c -- ctmap-indexer's command line: the option table, the
 * defaults and the checks, into an ix_run_opts_t that ix_run() takes (as
 * searchd's config.c does for the daemon). */
#include "indexer.h"

/* Share of the index (percent) a run may delete without --allow-shrink:
 * a truncated edition must not empty the index. */
#define MAX_SHRINK 20

void
ix_run_opts_init(ix_run_opts_t *o)
{
    *o = (ix_run_opts_t){.max_shrink = MAX_SHRINK};
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
    g_free(o->corpus_dir);
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
          "Repository folder to index (repeatable)", "DIR" },
        { "urls", 0, 0, G_OPTION_ARG_FILENAME, &o->urls,
          "File of URLs to index, one per line", "FILE" },
        { "mirror", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->mirrors,
          "Fetch URLs starting with FROM from TO instead (repeatable)",
          "FROM=TO" },
        { "offline", 0, 0, G_OPTION_ARG_NONE, &o->offline,
          "Fetch nothing: use the cache alone", NULL },
        { "jobs", 'j', 0, G_OPTION_ARG_INT, &o->jobs,
          "Parallel transfers (default 8)", "N" },
        { "follow", 0, 0, G_OPTION_ARG_INT, &o->follow,
          "Follow same-site document links from fetched pages",
          "DEPTH" },
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
    if (!check_bounds(o, error))
        return FALSE;
    /* A folder that is not there is a mistake in the command, which an
     * empty index would hide. */
    for (guint i = 0; o->repositories && o->repositories[i]; i++)
        if (!g_file_test(o->repositories[i], G_FILE_TEST_IS_DIR)) {
            g_set_error(error, IX_ERROR, IX_ERROR_USAGE,
                        "--repository %s: %s", o->repositories[i],
                        g_file_test(o->repositories[i], G_FILE_TEST_EXISTS)
                            ? "not a folder" : "no such folder");
            return FALSE;
        }
    if (!o->data_dir)
        o->data_dir = g_strdup("var");
    if (!o->corpus_dir)
        o->corpus_dir = g_strdup(CTMAP_CORPUS_DIR);
    if (!o->report)
        o->report = g_build_filename(o->data_dir, "report.json", NULL);
    return TRUE;
}
