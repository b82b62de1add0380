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

#ifdef CTMAP_TESTING
/* File-local functions of mapping.c, visible to the suites only. */
gboolean glued_by_break(GHashTable *words, const char *before,
                        const char *after);
const corpus_term_t *match_theme(const corpus_vocab_t *vocab,
                                 const char *text);
char *lead_of(const char *text);
gboolean org_cell_is_title(const corpus_vocab_t *vocab, const char *cell);
GPtrArray *find_years(const char *text, gint64 edition_year);
char *cue_clauses(const char *text, const char *const *cues, char **rest);
#endif

G_END_DECLS

#endif /* CTMAP_CORPUS_CORPUS_INT_H */
