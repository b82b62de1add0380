/* vocab.c -- the vocabularies: loading the .tsv files, folding spellings,
 * looking items up and finding them in running text.
 */
#include <string.h>

#include "corpus-int.h"

G_DEFINE_QUARK(corpus-error-quark, corpus_error)

struct corpus_vocab {
    GPtrArray *items[CORPUS_VOCAB_N];       /* corpus_term_t, owned */
    GHashTable *by_alias[CORPUS_VOCAB_N];   /* folded alias -> term */
    GHashTable *by_slug[CORPUS_VOCAB_N];    /* slug -> term */
    guint max_words[CORPUS_VOCAB_N];        /* longest alias, in words */
    GPtrArray *glossary;        /* "english\nrussian" pairs, owned */
    GPtrArray *warnings;        /* "file:line: why", owned */
};

/* The bilingual glossary: optional, and a bad line in it is skipped with a
 * warning rather than refusing the whole vocabulary. */
static const char glossary_file[] = "glossary.tsv";

/* The file behind each vocabulary, in corpus_vocab_kind_t order. */
static const char *const vocab_files[CORPUS_VOCAB_N] = {
    "organizations.tsv",
    "themes.tsv",
    "countries.tsv",
    "acronyms.tsv",
    "kinds.tsv",
};

/* ------------------------------------------------------------------ Folding */

char *
corpus__fold(const char *text)
{
    g_autofree char *nfkc = NULL;
    g_autofree char *folded = NULL;
    GString *out;
    gboolean gap = FALSE;

    if (!text)
        return g_strdup("");
    nfkc = g_utf8_normalize(text, -1, G_NORMALIZE_NFKC);
    if (!nfkc)                  /* invalid UTF-8: nothing can match it */
        return g_strdup("");
    folded = g_utf8_casefold(nfkc, -1);
    out = g_string_sized_new(strlen(folded));
    for (const char *p = folded; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);

        /* Combining marks stay with their letter so that "й" written as
         * two code points is not split into two words. */
        if (g_unichar_isalnum(c) || g_unichar_ismark(c)) {
            if (gap && out->len > 0)
                g_string_append_c(out, ' ');
            gap = FALSE;
            g_string_append_unichar(out, c);
        } else {
            gap = TRUE;
        }
    }
    return g_string_free(out, FALSE);
}

/* ------------------------------------------------------------------ Loading */

static void
term_free(gpointer data)
{
    corpus_term_t *t = data;

    if (!t)
        return;
    g_free(t->slug);
    g_free(t->name);
    g_free(t->label);
    g_free(t->extra);
    g_free(t->label_ru);
    g_ptr_array_unref(t->aliases);
    g_free(t);
}

void
corpus_vocab_free(corpus_vocab_t *vocab)
{
    if (!vocab)
        return;
    for (int k = 0; k < CORPUS_VOCAB_N; k++) {
        if (vocab->by_alias[k])
            g_hash_table_unref(vocab->by_alias[k]);
        if (vocab->by_slug[k])
            g_hash_table_unref(vocab->by_slug[k]);
        if (vocab->items[k])
            g_ptr_array_unref(vocab->items[k]);
    }
    if (vocab->glossary)
        g_ptr_array_unref(vocab->glossary);
    if (vocab->warnings)
        g_ptr_array_unref(vocab->warnings);
    g_free(vocab);
}

/* Adds @spelling to @t's aliases and to the alias table, unless it folds
 * to nothing or to a spelling @t already has.  When two items share a
 * spelling the first one listed keeps it: the files are curated, and
 * first-listed is the documented tie-break. */
static void
add_alias(corpus_vocab_t *vocab, corpus_vocab_kind_t kind, corpus_term_t *t,
          GHashTable *seen, const char *spelling)
{
    g_autofree char *s = g_strstrip(g_strdup(spelling));
    char *folded = corpus__fold(s);
    guint words = 1;

    if (!*folded || g_hash_table_contains(seen, folded)) {
        g_free(folded);
        return;
    }
    g_hash_table_add(seen, g_strdup(folded));
    g_ptr_array_add(t->aliases, g_steal_pointer(&s));
    for (const char *p = folded; *p; p++)
        if (*p == ' ')
            words++;
    if (words > vocab->max_words[kind])
        vocab->max_words[kind] = words;
    if (g_hash_table_contains(vocab->by_alias[kind], folded))
        g_free(folded);
    else
        g_hash_table_insert(vocab->by_alias[kind], folded, t);
}

static gboolean
vocab_error(GError **error, const char *path, guint line, const char *why)
{
    g_set_error(error, CORPUS_ERROR, CORPUS_ERROR_VOCAB, "%s:%u: %s",
                path, line, why);
    return FALSE;
}

/* Parses one line "slug TAB label TAB name TAB extra TAB aliases TAB ru".
 * The Russian label is for display only: the spellings the parser looks
 * for are the aliases, so adding a label changes no tagging. */
static gboolean
load_line(corpus_vocab_t *vocab, corpus_vocab_kind_t kind, const char *path,
          guint lineno, const char *line, GError **error)
{
    g_auto(GStrv) f = g_strsplit(line, "\t", 0);
    guint n = g_strv_length(f);
    g_autoptr(GHashTable) seen = NULL;
    corpus_term_t *t;

    if (n < 3 || n > 6)
        return vocab_error(error, path, lineno,
                           "expected 3 to 6 tab-separated fields");
    for (guint i = 0; i < n; i++)
        g_strstrip(f[i]);
    if (!*f[0] || strchr(f[0], ' '))
        return vocab_error(error, path, lineno, "empty or malformed slug");
    if (g_hash_table_contains(vocab->by_slug[kind], f[0]))
        return vocab_error(error, path, lineno, "duplicate slug");

    t = g_new0(corpus_term_t, 1);
    t->slug = g_strdup(f[0]);
    t->label = g_strdup(*f[1] ? f[1] : f[0]);
    t->name = g_strdup(*f[2] ? f[2] : t->label);
    t->extra = g_strdup(n > 3 ? f[3] : "");
    t->label_ru = g_strdup(n > 5 ? f[5] : "");
    t->aliases = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(vocab->items[kind], t);
    g_hash_table_insert(vocab->by_slug[kind], t->slug, t);

    seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    add_alias(vocab, kind, t, seen, t->label);
    add_alias(vocab, kind, t, seen, t->name);
    if (n > 4) {
        g_auto(GStrv) aliases = g_strsplit(f[4], "|", 0);

        for (guint i = 0; aliases[i]; i++)
            add_alias(vocab, kind, t, seen, aliases[i]);
    }
    return TRUE;
}

/* The lines of the .tsv file @path, '\r' removed; blank lines and
 * comments become "" (kept, so that indexes stay line numbers - 1).
 * Returns: (transfer full) or NULL with @error set. */
static GStrv
read_lines(const char *path, GError **error)
{
    g_autofree char *data = NULL;
    g_autoptr(GError) local = NULL;
    GStrv lines;
    gsize len = 0;

    if (!g_file_get_contents(path, &data, &len, &local)) {
        g_set_error(error, CORPUS_ERROR, CORPUS_ERROR_IO, "%s",
                    local->message);
        return NULL;
    }
    if (!g_utf8_validate_len(data, len, NULL)) {
        vocab_error(error, path, 0, "not valid UTF-8");
        return NULL;
    }
    lines = g_strsplit(data, "\n", 0);
    for (guint i = 0; lines[i]; i++) {
        char *line = lines[i];
        gsize l = strlen(line);

        if (l > 0 && line[l - 1] == '\r')
            line[l - 1] = '\0';
        if (line[strspn(line, " \t")] == '\0' || line[0] == '#')
            line[0] = '\0';
    }
    return lines;
}

static gboolean
load_file(corpus_vocab_t *vocab, corpus_vocab_kind_t kind, const char *dir,
          GError **error)
{
    g_autofree char *path = g_build_filename(dir, vocab_files[kind], NULL);
    g_auto(GStrv) lines = read_lines(path, error);

    if (!lines)
        return FALSE;
    for (guint i = 0; lines[i]; i++)
        if (*lines[i] && !load_line(vocab, kind, path, i + 1, lines[i], error))
            return FALSE;
    return TRUE;
}

/* The non-empty, stripped '|'-separated spellings of @field. */
static GPtrArray *
gloss_spellings(const char *field)
{
    g_auto(GStrv) parts = g_strsplit(field, "|", 0);
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; parts[i]; i++) {
        g_strstrip(parts[i]);
        if (*parts[i])
            g_ptr_array_add(out, g_strdup(parts[i]));
    }
    return out;
}

/* Parses one line "english[|english...] TAB russian[|russian...]" into
 * every english x russian pair; returns why it cannot, or NULL. */
static const char *
gloss_line(corpus_vocab_t *vocab, const char *line)
{
    g_auto(GStrv) f = g_strsplit(line, "\t", 0);
    g_autoptr(GPtrArray) en = NULL;
    g_autoptr(GPtrArray) ru = NULL;

    if (g_strv_length(f) != 2)
        return "expected two tab-separated fields (english, russian)";
    en = gloss_spellings(f[0]);
    ru = gloss_spellings(f[1]);
    if (en->len == 0 || ru->len == 0)
        return "an empty side";
    for (guint i = 0; i < en->len; i++)
        for (guint j = 0; j < ru->len; j++)
            g_ptr_array_add(vocab->glossary,
                            g_strconcat(g_ptr_array_index(en, i), "\n",
                                        g_ptr_array_index(ru, j), NULL));
    return NULL;
}

static gboolean
load_glossary(corpus_vocab_t *vocab, const char *dir, GError **error)
{
    g_autofree char *path = g_build_filename(dir, glossary_file, NULL);
    g_auto(GStrv) lines = NULL;

    if (!g_file_test(path, G_FILE_TEST_EXISTS))
        return TRUE;
    lines = read_lines(path, error);
    if (!lines)
        return FALSE;
    for (guint i = 0; lines[i]; i++) {
        const char *why = *lines[i] ? gloss_line(vocab, lines[i]) : NULL;

        if (why)
            g_ptr_array_add(vocab->warnings,
                            g_strdup_printf("%s:%u: %s, line skipped", path,
                                            i + 1, why));
    }
    return TRUE;
}

corpus_vocab_t *
corpus_vocab_load(const char *dir, GError **error)
{
    g_autoptr(corpus_vocab_t) vocab = g_new0(corpus_vocab_t, 1);

    g_return_val_if_fail(dir != NULL, NULL);
    for (int k = 0; k < CORPUS_VOCAB_N; k++) {
        vocab->items[k] = g_ptr_array_new_with_free_func(term_free);
        vocab->by_alias[k] = g_hash_table_new_full(g_str_hash, g_str_equal,
                                                   g_free, NULL);
        vocab->by_slug[k] = g_hash_table_new(g_str_hash, g_str_equal);
    }
    vocab->glossary = g_ptr_array_new_with_free_func(g_free);
    vocab->warnings = g_ptr_array_new_with_free_func(g_free);
    for (int k = 0; k < CORPUS_VOCAB_N; k++)
        if (!load_file(vocab, k, dir, error))
            return NULL;
    if (!load_glossary(vocab, dir, error))
        return NULL;
    return g_steal_pointer(&vocab);
}

const GPtrArray *
corpus_vocab_glossary(const corpus_vocab_t *vocab)
{
    g_return_val_if_fail(vocab, NULL);
    return vocab->glossary;
}

const GPtrArray *
corpus_vocab_warnings(const corpus_vocab_t *vocab)
{
    g_return_val_if_fail(vocab, NULL);
    return vocab->warnings;
}

/* ------------------------------------------------------------------- Lookup */

const GPtrArray *
corpus_vocab_items(const corpus_vocab_t *vocab, corpus_vocab_kind_t kind)
{
    g_return_val_if_fail(vocab && kind < CORPUS_VOCAB_N, NULL);
    return vocab->items[kind];
}

const corpus_term_t *
corpus_vocab_lookup(const corpus_vocab_t *vocab, corpus_vocab_kind_t kind,
                    const char *spelling)
{
    g_autofree char *folded = NULL;

    g_return_val_if_fail(vocab && kind < CORPUS_VOCAB_N, NULL);
    if (!spelling)
        return NULL;
    folded = corpus__fold(spelling);
    return g_hash_table_lookup(vocab->by_alias[kind], folded);
}

const corpus_term_t *
corpus_vocab_by_slug(const corpus_vocab_t *vocab, corpus_vocab_kind_t kind,
                     const char *slug)
{
    g_return_val_if_fail(vocab && kind < CORPUS_VOCAB_N, NULL);
    if (!slug)
        return NULL;
    return g_hash_table_lookup(vocab->by_slug[kind], slug);
}

/* Scanning works on the folded text, where words are separated by exactly
 * one space, so the folded spelling of any run of words is a substring
 * that starts at a word start and ends at a word end: cutting the string
 * there (and putting the byte back) gives the hash key without copying. */
GPtrArray *
corpus_vocab_scan(const corpus_vocab_t *vocab, corpus_vocab_kind_t kind,
                  const char *text)
{
    GPtrArray *found = g_ptr_array_new();
    g_autofree char *folded = NULL;
    g_autoptr(GArray) starts = NULL;
    g_autoptr(GArray) ends = NULL;
    guint n;

    g_return_val_if_fail(vocab && kind < CORPUS_VOCAB_N, found);
    if (!text)
        return found;
    folded = corpus__fold(text);
    starts = g_array_new(FALSE, FALSE, sizeof(guint));
    ends = g_array_new(FALSE, FALSE, sizeof(guint));
    for (guint i = 0; folded[i];) {
        guint j = i;

        while (folded[j] && folded[j] != ' ')
            j++;
        g_array_append_val(starts, i);
        g_array_append_val(ends, j);
        i = folded[j] ? j + 1 : j;
    }
    n = starts->len;
    for (guint i = 0; i < n;) {
        guint max = MIN(vocab->max_words[kind], n - i);
        guint matched = 0;

        for (guint w = max; w >= 1 && !matched; w--) {
            guint end = g_array_index(ends, guint, i + w - 1);
            char saved = folded[end];
            const corpus_term_t *t;

            folded[end] = '\0';
            t = g_hash_table_lookup(vocab->by_alias[kind],
                                    folded + g_array_index(starts, guint, i));
            folded[end] = saved;
            if (t) {
                matched = w;
                if (!g_ptr_array_find(found, t, NULL))
                    g_ptr_array_add(found, (gpointer)t);
            }
        }
        i += matched ? matched : 1;
    }
    return found;
}
