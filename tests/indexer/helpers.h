/* helpers.h -- scaffolding the indexer's integration suites share. */
#ifndef CTMAP_TESTS_INDEXER_HELPERS_H
#define CTMAP_TESTS_INDEXER_HELPERS_H

#include "xapianc.h"

/* Every id of @db with its record and its text: what a search can see,
 * as one comparable string.  Asserts each read succeeds.
 * Returns: (transfer full). */
char *it_dump_db(xc_db_t *db);

/* Writes @text to @rel below @dir, making the folders on the way;
 * asserts that it could. */
void it_write_file(const char *dir, const char *rel, const char *text);

#endif
