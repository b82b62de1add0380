/* main.c -- ctmap-indexer: parse the command line (config.c), run the
 * steps of ix_run() (run.c), and map the outcome to what the user sees
 * and the exit code: 0 done, 1 index not updated (or updated, but the run
 * failed), 2 usage. */
#include <stdio.h>

#include "indexer.h"

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
    ix_run_result_clear(&result);
    ix_run_opts_clear(&o);
    return rc;
}
