/* helpers.h -- what the xapianc suites share: a fresh database per test
 * (setup/teardown), a small corpus and the helpers that write, search
 * and compare ids. */
#ifndef CTMAP_TESTS_XAPIANC_HELPERS_H
#define CTMAP_TESTS_XAPIANC_HELPERS_H

#include <criterion/criterion.h>
#include <glib.h>
#include <stdint.h>

#include "schema.h"
#include "xapianc.h"

/* Criterion ignores a LeakSanitizer report at a worker's exit, and an
 * assertion failing in a .fini does not fail the test either, so under
 * ASan each teardown runs a leak check and aborts on a leak: the test then
 * counts as crashed and the suite fails. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define CHECK_LEAKS()                                                     \
    do {                                                                  \
        if (__lsan_do_recoverable_leak_check()) {                         \
            cr_log_error("memory leaked: see the LeakSanitizer report");  \
            abort();                                                      \
        }                                                                 \
    } while (0)
#else
#define CHECK_LEAKS() ((void)0)
#endif

extern char *tmpdir;
extern char *dbpath;

void setup(void);
void teardown(void);

typedef struct {
    const char *id;
    const char *title;          /* indexed as "S" and as body, like indexer */
    const char *body;
    const char *date;           /* XC_SLOT_DATE or NULL */
    const char *countries;      /* slugs joined by '\n', or NULL */
    const char *type;           /* or NULL */
    const char *year;           /* or NULL */
} doc_t;

extern const doc_t corpus[4];

xc_dbw_t *open_writer(void);
xc_db_t *open_reader(void);
/* Commits @w's pending changes and counts the documents a reader sees. */
uint64_t committed_doccount(xc_dbw_t *w);
void put_doc(xc_dbw_t *w, const doc_t *d);
void build(const doc_t *docs, size_t n);
/* build()s the shared corpus and opens a reader on it. */
xc_db_t *corpus_reader(void);
/* Parses @text on @db, asserting that it parses.  Returns: (transfer
 * full). */
xc_query_t *parse(xc_db_t *db, const char *text, unsigned flags);
/* Returns: (transfer full): the ids of @m's hits, in order, joined by
 * ','. */
char *mset_ids(xc_mset_t *m);
char *search_ids(xc_db_t *db, const char *text, unsigned flags,
                 xc_sort_t sort);
/* Sorts the ','-joined @ids in place (takes and returns ownership). */
char *sorted(char *ids);
/* Runs @q under @opts and expects the ids of its hits to be @want, in
 * rank order or, with @any_order, sorted. */
void expect_hits(xc_query_t *q, const xc_search_opts_t *opts,
                 gboolean any_order, const char *want);

#define EXPECT_IDS(db, text, flags, want)                                 \
    do {                                                                  \
        char *got_ = sorted(search_ids((db), (text), (flags),             \
                                       XC_SORT_RELEVANCE));               \
        cr_expect_str_eq(got_, (want), "query '%s'", (text));             \
        g_free(got_);                                                     \
    } while (0)

#endif /* CTMAP_TESTS_XAPIANC_HELPERS_H */
