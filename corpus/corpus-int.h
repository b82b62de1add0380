/* corpus-int.h -- helpers shared by the files of libctmap_corpus only;
 * never included from outside corpus/.
 */
#ifndef CTMAP_CORPUS_CORPUS_INT_H
#define CTMAP_CORPUS_CORPUS_INT_H

#include <glib.h>

#include "corpus.h"

G_BEGIN_DECLS

/* Folds a spelling for comparison: NFKC, case-folded, every run of
 * characters that are neither letters nor digits turned into one space,
 * no leading or trailing space.  "U.N.-Women" and "u n women" fold alike.
 * Returns: (transfer full). */
char *corpus__fold(const char *text);

/* Collapses runs of white space to one space and trims.
 * Returns: (transfer full). */
char *corpus__collapse_ws(const char *s);

/* Counts the words of @text (lower-cased runs of letters and digits,
 * hyphens kept inside a word) into @counts, a table of char* -> count
 * owned by the caller (g_str_hash, g_free keys).  The mapping parser uses
 * these counts to tell a word cut by a page break from two words. */
void corpus__count_words(GHashTable *counts, const char *text);

/* text.c, for the mapping parser.  Returns: (transfer full): @cell as
 * plain text (tags and entities out, whitespace collapsed). */
char *corpus__plain(const char *cell);
gboolean corpus__starts_lower(const char *s);
gboolean corpus__starts_upper(const char *s);
/* The number of words of @s. */
guint corpus__n_words(const char *s);
/* TRUE when @before and @after, either side of a page break, are one word
 * cut in two (by the word counts in @words) rather than two words. */
gboolean corpus__glued_by_break(GHashTable *words, const char *before,
                                const char *after);
/* TRUE when @plain_text ends a sentence (or is empty). */
gboolean corpus__ends_sentence(const char *plain_text);
/* Appends to @dst the fragment @frag of a cell continued after a page
 * break, as one paragraph (and one word) when the break cut one. */
void corpus__join_fragment(GHashTable *words, GString *dst,
                           const char *frag);

/* text.c: g_ptr_array_sort() order of char* elements, by strcmp(). */
gint corpus__cmp_str(gconstpointer a, gconstpointer b);

/* facts.c, for the mapping parser (each documented at its definition).
 * Returns: (transfer full) the years, as "2019" strings, sorted. */
GPtrArray *corpus__find_years(const char *text, gint64 edition_year);
/* The first four-digit number of @edition ("mapping-2020-07"), or 0. */
gint64 corpus__edition_year(const char *edition);
/* NULL-terminated cues of donor and of implementer clauses. */
extern const char *const corpus__donor_cues[];
extern const char *const corpus__implementer_cues[];
/* Returns: (transfer full), and *@rest (nullable) (transfer full). */
char *corpus__cue_clauses(const char *text, const char *const *cues,
                          char **rest);
/* Returns: (transfer full): the lead sentence of @text. */
char *corpus__lead_of(const char *text);
gboolean corpus__org_cell_is_title(const corpus_vocab_t *vocab,
                                   const char *cell);

#ifdef CTMAP_TESTING
/* File-local functions of mapping.c, visible to the suites only. */
const corpus_term_t *match_theme(const corpus_vocab_t *vocab,
                                 const char *text);
#endif

G_END_DECLS

#endif /* CTMAP_CORPUS_CORPUS_INT_H */
