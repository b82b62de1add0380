/* tag.c -- tags from a document's own text: the organizations, themes,
 * countries and years it keeps coming back to, found through the
 * vocabularies' aliases in English and Russian, added to the tags of the
 * entries that cite it and of its folders.
 *
 * The unit is the paragraph: a term counts once per paragraph it is named
 * in, so a list of every Central Asian state in one sentence weighs no
 * more than one mention.  A tag needs TEXT_MIN paragraphs and at least a
 * TEXT_SHARE of the paragraphs of its field's most named term: a country
 * named in a bibliography, or in passing in a report about another one,
 * is not the document's country.  Russian aliases are matched as written
 * (the nominative), so inflected forms ("в Казахстане") do not count.
 *
 * The writer calls this on the text it writes, whether just extracted or
 * read back from the index, so the tags follow the text and need no
 * bookkeeping of their own: the text's digest is in the document's hash
 * already. */
#include <string.h>

#include "indexer-int.h"

#define TEXT_MIN 3              /* paragraphs naming a term */
#define TEXT_SHARE 4            /* at least 1/4 of the field's top count */
#define TEXT_YEARS 5            /* years kept at most */

typedef struct {
    const char *slug;           /* (transfer none) */
    guint n;
} count_t;

static gint
by_count(gconstpointer a, gconstpointer b)
{
    const count_t *x = a, *y = b;

    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return strcmp(x->slug, y->slug);
}

/* Appends to @out the slugs of @counts (slug -> paragraphs) that pass the
 * thresholds, most named first, at most @max (0: no limit). */
static void
keep_strong(GHashTable *counts, guint max, GPtrArray *out)
{
    g_autoptr(GArray) all = g_array_new(FALSE, FALSE, sizeof(count_t));
    GHashTableIter it;
    gpointer k, v;
    guint top;

    g_hash_table_iter_init(&it, counts);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        count_t c = { k, GPOINTER_TO_UINT(v) };

        g_array_append_val(all, c);
    }
    g_array_sort(all, by_count);
    top = all->len ? g_array_index(all, count_t, 0).n : 0;
    for (guint i = 0; i < all->len && (!max || out->len < max); i++) {
        const count_t *c = &g_array_index(all, count_t, i);

        if (c->n >= TEXT_MIN && c->n * TEXT_SHARE >= top)
            g_ptr_array_add(out, g_strdup(c->slug));
    }
}

static void
bump(GHashTable *counts, const char *slug)
{
    guint n = GPOINTER_TO_UINT(g_hash_table_lookup(counts, slug));

    g_hash_table_insert(counts, g_strdup(slug), GUINT_TO_POINTER(n + 1));
}

/* The vocabularies scanned, each with its result field. */
static const corpus_vocab_kind_t kinds[IX_TEXT_TAG_N] = {
    [IX_TEXT_TAG_ORG] = CORPUS_VOCAB_ORG,
    [IX_TEXT_TAG_THEME] = CORPUS_VOCAB_THEME,
    [IX_TEXT_TAG_COUNTRY] = CORPUS_VOCAB_COUNTRY,
};

/* Counts the terms of one paragraph @p, once each. */
static void
count_paragraph(const corpus_vocab_t *vocab, GRegex *year_re, const char *p,
                GHashTable **counts)
{
    g_autoptr(GMatchInfo) m = NULL;
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash,
                                                       g_str_equal, g_free,
                                                       NULL);

    for (guint k = 0; k < IX_TEXT_TAG_YEAR; k++) {
        g_autoptr(GPtrArray) found = corpus_vocab_scan(vocab, kinds[k], p);

        for (guint i = 0; i < found->len; i++)
            bump(counts[k], ((const corpus_term_t *)
                             g_ptr_array_index(found, i))->slug);
    }
    for (g_regex_match(year_re, p, 0, &m); g_match_info_matches(m);
         g_match_info_next(m, NULL)) {
        char *y = g_match_info_fetch(m, 1);

        if (g_hash_table_add(seen, y))
            bump(counts[IX_TEXT_TAG_YEAR], y);
    }
}

ix_text_tags_t *
ix_tag_text(const corpus_vocab_t *vocab, const GPtrArray *passages)
{
    ix_text_tags_t *tt = g_new0(ix_text_tags_t, 1);
    GHashTable *counts[IX_TEXT_TAG_N];
    /* Years a document of this corpus is about: 1950-2049, as a word. */
    g_autoptr(GRegex) year_re = g_regex_new(
        "(?<![0-9])((?:19[5-9]|20[0-4])[0-9])(?![0-9])", 0, 0, NULL);

    for (guint k = 0; k < IX_TEXT_TAG_N; k++) {
        counts[k] = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                          NULL);
        tt->found[k] = g_ptr_array_new_with_free_func(g_free);
    }
    for (guint i = 0; passages && i < passages->len; i++) {
        g_auto(GStrv) paras = g_strsplit(g_ptr_array_index(passages, i),
                                         "\n\n", -1);

        for (guint j = 0; paras[j]; j++)
            if (*paras[j])
                count_paragraph(vocab, year_re, paras[j], counts);
    }
    for (guint k = 0; k < IX_TEXT_TAG_N; k++) {
        keep_strong(counts[k], k == IX_TEXT_TAG_YEAR ? TEXT_YEARS : 0,
                    tt->found[k]);
        g_hash_table_unref(counts[k]);
    }
    return tt;
}

void
ix_text_tags_free(ix_text_tags_t *tt)
{
    if (!tt)
        return;
    for (guint k = 0; k < IX_TEXT_TAG_N; k++)
        if (tt->found[k])
            g_ptr_array_unref(tt->found[k]);
    g_free(tt);
}
