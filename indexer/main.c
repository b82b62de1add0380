/* main.c -- ctmap-indexer: parse the command line (config.c), run the
 * steps of ix_run() (run.c), and map the outcome to what the user sees
 * and the exit code: 0 done, 1 index not updated (or updated, but the run
 * failed), 2 usage. */
#include <stdio.h>

#include "indexer.h"

/* --metrics-file, once the exit code is known.  Failed runs are written
 * too: they are what the alerts are for.  A file that cannot be written
 * is a warning only: the index is as the exit code says.  A bad command
 * line may leave the option unparsed, and then no file is written. */
static void
write_metrics(const ix_run_opts_t *o, const ix_run_result_t *result, int rc)
{
    g_autoptr(GError) error = NULL;
    gint64 now = g_get_real_time();

    if (!o->metrics_file)
        return;
    if (!ix_metrics_write(o->metrics_file, result->report,
                          result->started ? result->started : now, now, rc,
                          &error))
        fprintf(stderr, "ctmap-indexer: warning: --metrics-file: %s\n",
                error->message);
}

int
main(int argc, char **argv)
{
    ix_run_opts_t o;
    ix_run_result_t result = { 0 };
    g_autoptr(GError) error = NULL;
    int rc = 0;

    ix_run_opts_init(&o);
    if (!ix_run_opts_parse(&o, &argc, &argv, &error)) {
        fprintf(stderr, "ctmap-indexer: %s (try --help)\n", error->message);
        rc = 2;
    } else if (!ix_run(&o, &result, &error)) {
        fprintf(stderr, "ctmap-indexer: %s\n", error->message);
        rc = g_error_matches(error, IX_ERROR, IX_ERROR_USAGE) ? 2 : 1;
    } else if (result.failed) {
        rc = 1;
    }
    write_metrics(&o, &result, rc);
    ix_run_result_clear(&result);
    ix_run_opts_clear(&o);
    return rc;
}
