/* helpers.h -- scaffolding the indexer's integration suites share. */
#ifndef CTMAP_TESTS_INDEXER_HELPERS_H
#define CTMAP_TESTS_INDEXER_HELPERS_H

#include <glib.h>

#include "xapianc.h"

/* Every id of @db with its record and its text: what a search can see,
 * as one comparable string.  Asserts each read succeeds.
 * Returns: (transfer full). */
char *it_dump_db(xc_db_t *db);

/* The integer @member of object @object in the JSON file @dir/@file (the
 * report's "summary", the change report's "counts"); asserts the file
 * reads. */
gint64 it_json_int(const char *dir, const char *file, const char *object,
                   const char *member);
/* Writes @text to @rel below @dir, making the folders on the way;
 * asserts that it could. */
void it_write_file(const char *dir, const char *rel, const char *text);

#endif
