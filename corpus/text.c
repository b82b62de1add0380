/* text.c -- the text helpers of the mapping parser: cells as plain
 * text, word counts, letter case and the page-break test that tells a
 * word cut in two from two words. */
#include <string.h>

#include "corpus-int.h"

/* A cell as one line of plain text.  Cells without markup skip the HTML
 * parser: most organization and kind cells are plain. */
char *
corpus__plain(const char *cell)
{
    g_autofree char *text = NULL;

    if (!strchr(cell, '<') && !strchr(cell, '&'))
        return corpus__collapse_ws(cell);
    text = corpus_html_to_text(cell, NULL);
    return corpus__collapse_ws(text);
}

gint
corpus__cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

gboolean
corpus__starts_lower(const char *s)
{
    return *s && g_unichar_islower(g_utf8_get_char(s));
}

gboolean
corpus__starts_upper(const char *s)
{
    return *s && g_unichar_isupper(g_utf8_get_char(s));
}

guint
corpus__n_words(const char *s)
{
    g_autofree char *folded = corpus__fold(s);
    guint n = *folded ? 1 : 0;

    for (const char *q = folded; *q; q++)
        n += *q == ' ';
    return n;
}

void
corpus__count_words(GHashTable *counts, const char *text)
{
    const char *q = text;

    while (*q) {
        const char *start;
        g_autofree char *word = NULL;
        gpointer old;

        while (*q && !g_unichar_isalnum(g_utf8_get_char(q)))
            q = g_utf8_next_char(q);
        if (!*q)
            break;
        start = q;
        for (;;) {
            while (*q && g_unichar_isalnum(g_utf8_get_char(q)))
                q = g_utf8_next_char(q);
            /* A hyphen between letters stays inside the word. */
            if (*q == '-' && q[1]
                && g_unichar_isalnum(g_utf8_get_char(q + 1)))
                q++;
            else
                break;
        }
        word = g_utf8_strdown(start, q - start);
        old = g_hash_table_lookup(counts, word);
        g_hash_table_replace(counts, g_steal_pointer(&word),
                             GUINT_TO_POINTER(GPOINTER_TO_UINT(old) + 1));
    }
}

/* The last whitespace-separated token of @s. */
static const char *
last_token(const char *s)
{
    const char *end = s + strlen(s);
    const char *q = end;

    while (q > s && q[-1] != ' ')
        q--;
    return q;
}

/* The lower-cased run of letters at the end (@tail) or the start of @s. */
static char *
letters(const char *s, gboolean tail)
{
    const char *end = s + strlen(s);
    const char *from = end;
    const char *to = s;

    if (tail) {
        while (from > s) {
            const char *prev = g_utf8_find_prev_char(s, from);

            if (!prev || !g_unichar_isalpha(g_utf8_get_char(prev)))
                break;
            from = prev;
        }
        return g_utf8_strdown(from, end - from);
    }
    while (*to && g_unichar_isalpha(g_utf8_get_char(to)))
        to = g_utf8_next_char(to);
    return g_utf8_strdown(s, to - s);
}

/* Words so common that even a short text that uses them once knows them
 * as words. */
static gboolean
function_word(const char *w)
{
    static const char *const words[] = {
        "a", "an", "and", "are", "as", "at", "be", "by", "for", "from",
        "in", "is", "it", "its", "of", "on", "or", "that", "the", "their",
        "this", "to", "was", "were", "which", "with", NULL
    };

    return g_strv_contains(words, w);
}

/* Whether a page break cut a word: @before is the text before the break,
 * @after the text after it (both plain).  A break after a hyphen before a
 * lower-case letter ("in-" / "country") always joins.  Otherwise the
 * fragments join when neither is a word seen elsewhere in the mapping
 * ("Kostan" / "ai"), or when the joined word is and the fragment before
 * the break is not ("internatio" / "nal").  Whole words on both sides
 * ("Strengthening" / "the", "in" / "to") keep their space. */
gboolean
corpus__glued_by_break(GHashTable *words, const char *before, const char *after)
{
    const char *a = last_token(before);
    gsize alen = strlen(a);
    g_autofree char *head = NULL;
    g_autofree char *tail = NULL;
    g_autofree char *joined = NULL;
    guint n_head, n_tail, n_joined;

    if (alen == 0 || !corpus__starts_lower(after))
        return FALSE;
    if (a[alen - 1] == '-')
        return alen > 1 && g_unichar_isalnum(g_utf8_get_char(
                               g_utf8_find_prev_char(a, a + alen - 1)));
    tail = letters(a, TRUE);
    if (!*tail)
        return FALSE;           /* ends with punctuation or a digit */
    head = letters(after, FALSE);
    if (!*head)
        return FALSE;
    joined = g_strconcat(tail, head, NULL);
    n_tail = GPOINTER_TO_UINT(g_hash_table_lookup(words, tail));
    n_head = GPOINTER_TO_UINT(g_hash_table_lookup(words, head));
    n_joined = GPOINTER_TO_UINT(g_hash_table_lookup(words, joined));
    if (n_head <= 1 && n_tail <= 1 && !function_word(head))
        return TRUE;
    return n_joined >= 1 && n_tail <= 1 && !function_word(tail);
}

gboolean
corpus__ends_sentence(const char *plain_text)
{
    gsize l = strlen(plain_text);

    return l == 0 || strchr(".!?:;", plain_text[l - 1]);
}

/* Appends the fragment of a cell continued after a page break.  When the
 * break fell inside a sentence, the "<p>" the converter put at the start
 * of the fragment and the "</p>" before the break are artifacts: dropping
 * them keeps one paragraph (and one word, when the break cut one). */
void
corpus__join_fragment(GHashTable *words, GString *dst, const char *frag)
{
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    gboolean glue, merge;
    const char *f = frag;

    if (!*frag)
        return;
    if (dst->len == 0) {
        g_string_append(dst, frag);
        return;
    }
    before = corpus__plain(dst->str);
    after = corpus__plain(frag);
    glue = corpus__glued_by_break(words, before, after);
    merge = glue
            || (!corpus__ends_sentence(before) && corpus__starts_lower(after));
    if (merge) {
        while (dst->len > 0 && g_ascii_isspace(dst->str[dst->len - 1]))
            g_string_truncate(dst, dst->len - 1);
        if (g_str_has_suffix(dst->str, "</p>"))
            g_string_truncate(dst, dst->len - 4);
        while (g_ascii_isspace(*f))
            f++;
        if (g_ascii_strncasecmp(f, "<p>", 3) == 0)
            f += 3;
    }
    if (!glue)
        g_string_append_c(dst, ' ');
    g_string_append(dst, f);
}
