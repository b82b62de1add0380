/* corpus-test.h -- helpers shared by the corpus suites: loading the real
 * vocabularies and mapping, and reading strings out of GPtrArrays.
 */
#ifndef CTMAP_TESTS_CORPUS_CORPUS_TEST_H
#define CTMAP_TESTS_CORPUS_CORPUS_TEST_H

#include <string.h>

#include <criterion/criterion.h>
#include <glib.h>

#include "corpus.h"
#include "corpus-int.h"         /* CTMAP_TESTABLE functions */

#define TEST_MAPPING CTMAP_CORPUS_DIR "/mapping-2020-07.txt"

/* The vocabularies: CTMAP_VOCAB_DIR when set (to try edited .tsv files),
 * else the committed ones beside the mapping. */
static inline corpus_vocab_t *
test_vocab(void)
{
    const char *dir = g_getenv("CTMAP_VOCAB_DIR");
    g_autoptr(GError) error = NULL;
    corpus_vocab_t *vocab = corpus_vocab_load(dir ? dir : CTMAP_CORPUS_DIR,
                                              &error);

    cr_assert(vocab, "vocabularies: %s", error ? error->message : "?");
    return vocab;
}

static inline corpus_mapping_t *
test_mapping(const corpus_vocab_t *vocab)
{
    g_autoptr(GError) error = NULL;
    corpus_mapping_t *m = corpus_mapping_load(TEST_MAPPING, vocab, &error);

    cr_assert(m, "mapping: %s", error ? error->message : "?");
    return m;
}

static inline gboolean
strv_has(const GPtrArray *a, const char *s)
{
    for (guint i = 0; a && i < a->len; i++)
        if (strcmp(g_ptr_array_index(a, i), s) == 0)
            return TRUE;
    return FALSE;
}

/* The entry line @line (1-based) landed in, or NULL. */
static inline const corpus_entry_t *
entry_at(const corpus_mapping_t *m, guint line)
{
    gint i;

    cr_assert(line >= 1 && line <= m->line_entry->len, "line %u", line);
    i = g_array_index(m->line_entry, gint, line - 1);
    return i < 0 ? NULL : g_ptr_array_index(m->entries, i);
}

static inline guint
count_theme(const corpus_mapping_t *m, const char *theme)
{
    guint n = 0;

    for (guint i = 0; i < m->entries->len; i++) {
        const corpus_entry_t *e = g_ptr_array_index(m->entries, i);

        n += e->theme && strcmp(e->theme, theme) == 0;
    }
    return n;
}

#endif /* CTMAP_TESTS_CORPUS_CORPUS_TEST_H */
