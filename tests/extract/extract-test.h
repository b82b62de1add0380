/* extract-test.h -- helpers shared by the files of the extraction suite:
 * fixture paths, the generated PDFs, and running extract_document(). */
#ifndef CTMAP_TESTS_EXTRACT_TEST_H
#define CTMAP_TESTS_EXTRACT_TEST_H

#include <string.h>

#include <criterion/criterion.h>
#include <glib.h>

#include "extract-int.h"

/* A document extracted for one test; et_free() releases it. */
typedef struct {
    extract_result_t r;
    GError *error;
    gboolean ok;
    char *text;                 /* the pages joined, or NULL */
    GBytes *bytes;
} et_doc_t;

/* The path of a generated PDF; runs mkpdf first when it is missing (a
 * suite run by hand, outside ctest's fixture).  Returns: (transfer full). */
char *et_pdf(const char *name);

/* The path of a committed fixture under tests/fixtures/extract.
 * Returns: (transfer full). */
char *et_fixture(const char *name);

/* Extracts @len bytes (copied) with the hints given; the limits may be
 * NULL.  Returns: (transfer full): free with et_free(). */
et_doc_t *et_bytes(const void *data, gsize len, const char *media_type,
                   const char *charset, const char *url,
                   const extract_limits_t *limits);

/* Extracts the file at @path (transfer full: freed here). */
et_doc_t *et_file(char *path, const char *media_type,
                  const extract_limits_t *limits);

void et_free(et_doc_t *d);

/* Whether @words (NULL-terminated) all occur in @text, in this order. */
gboolean et_in_order(const char *text, const char *const *words);

/* Asserts that each of @words (NULL-terminated) occurs in @text. */
void et_assert_contains(const char *text, const char *const *words);

/* Whether @list holds @s. */
gboolean et_has(const GPtrArray *list, const char *s);

#define et_assert_ok(d)                                                   \
    cr_assert((d)->ok, "extraction failed: %s",                           \
              (d)->error ? (d)->error->message : "?")

#define et_assert_error(d, want)                                          \
    do {                                                                  \
        cr_assert(!(d)->ok, "extraction succeeded, expected an error");   \
        cr_assert_eq((d)->error->domain, EXTRACT_ERROR);                  \
        cr_assert_eq((d)->error->code, (want), "got %s: %s",              \
                     extract_error_kind((d)->error->code),                \
                     (d)->error->message);                                \
    } while (0)

#endif /* CTMAP_TESTS_EXTRACT_TEST_H */
