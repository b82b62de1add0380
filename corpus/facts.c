/* facts.c -- facts read out of an activity's own words: the years it
 * happened in, the clauses that name its donors and implementers, its
 * lead sentence, whether an organization cell is really a title, and the
 * edition's year.  These are text rules with no knowledge of the table's
 * layout; mapping.c applies them to the rows it has assembled.
 */
#include <string.h>

#include "corpus-int.h"

/* Whether the @n bytes of @text before @at name a resolution: the year
 * written after its number is when the Security Council adopted it. */
static gboolean
names_resolution(const char *text, const char *at, gsize n)
{
    const char *from = at - text > (gssize)n ? at - n : text;
    g_autofree char *lower = g_ascii_strdown(from, at - from);

    return strstr(lower, "resolution") || strstr(lower, "scr");
}

/* Whether the text just before @at (a year) is the number of a
 * resolution: "1373 (2001)", "2370/2017", after a mention of
 * resolutions. */
static gboolean
resolution_year(const char *text, const char *at)
{
    const char *q = at;
    guint digits = 0;

    if (q > text && q[-1] == '(')
        q--;
    else if (q > text && q[-1] == '/')
        q--;
    else
        return FALSE;
    if (*q == '(' && q > text && q[-1] == ' ')
        q--;
    while (q > text && g_ascii_isdigit(q[-1])) {
        q--;
        digits++;
    }
    return digits >= 3 && names_resolution(text, q, 80);
}

static const char *const month_names[] = {
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December", "Jan",
    "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov",
    "Dec", NULL
};

/* Whether the year at @at (4 digits) ends a name and lies past
 * @edition_year: "NSHR 2030", "Agenda 2030" are a strategy's horizon, not
 * when anything happened.  A year in a range ("2021-2025"), after a month
 * or after a lower-case word ("planned in 2021") is an activity's. */
static gboolean
horizon_year(const char *text, const char *at, gint64 year,
             gint64 edition_year)
{
    const char *end = at + 4;
    const char *w;
    g_autofree char *word = NULL;

    if (edition_year <= 0 || year <= edition_year)
        return FALSE;
    if (*end == '-' || *end == '/' || g_str_has_prefix(end, "\u2013")
        || g_str_has_prefix(end, " -") || g_str_has_prefix(end, " \u2013"))
        return FALSE;
    if (at - text < 2 || at[-1] != ' ')
        return FALSE;
    w = at - 1;
    while (w > text && g_ascii_isalnum(w[-1]))
        w--;
    if (w == at - 1 || !g_ascii_isupper(*w))
        return FALSE;
    word = g_strndup(w, at - 1 - w);
    return !g_strv_contains(month_names, word);
}

/* The years an activity happened or was published in: 1990-2030 written
 * as four digits on their own, except a resolution's adoption year
 * ("resolution 2396 (2017)"), a UN document symbol's ("S/2017/375") and a
 * name's horizon (horizon_year()).  Those stay in the text, not in the
 * facet.  @edition_year: the mapping's own year, 0 when unknown. */
GPtrArray *
corpus__find_years(const char *text, gint64 edition_year)
{
    GPtrArray *years = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    gsize len = strlen(text);

    for (gsize i = 0; i + 4 <= len; i++) {
        gint64 y;
        char buf[5];

        if (!g_ascii_isdigit(text[i]) || (i > 0
                                          && g_ascii_isdigit(text[i - 1])))
            continue;
        if (!g_ascii_isdigit(text[i + 1]) || !g_ascii_isdigit(text[i + 2])
            || !g_ascii_isdigit(text[i + 3])
            || (i + 4 < len && g_ascii_isdigit(text[i + 4])))
            continue;
        memcpy(buf, text + i, 4);
        buf[4] = '\0';
        y = g_ascii_strtoll(buf, NULL, 10);
        if (y < 1990 || y > 2030 || g_hash_table_contains(seen, buf))
            continue;
        if (resolution_year(text, text + i)
            || (i >= 2 && text[i - 1] == '/' && text[i - 2] == 'S')
            || horizon_year(text, text + i, y, edition_year))
            continue;
        g_ptr_array_add(years, g_strdup(buf));
        g_hash_table_add(seen, g_ptr_array_index(years, years->len - 1));
    }
    g_ptr_array_sort(years, corpus__cmp_str);
    return years;
}

/* Cues of a clause that names who pays for an activity: the countries
 * named from the cue to the end of its sentence are donors, not where the
 * activity takes place ("co-funded by the EU, UNCCT-UNOCT and the
 * Government of the Netherlands", "launched ... with the support of
 * France, Germany, Japan, and the United States", "the following bodies
 * are donors: ..."). "co-founded by" is the mapping's own typo. */
const char *const corpus__donor_cues[] = {
    "funded by", "co-founded by", "financed by", "supported by",
    "with the support of", "are donors", "donors:", NULL
};

/* Cues of a clause that names who carries an activity out: organizations
 * named there join the entry's ("implemented by Hedayah", "implemented
 * in Tajikistan by the International Partnership for Human Rights",
 * "conducted by RCRS", "developed by Hedayah ... and Search for Common
 * Ground"). */
const char *const corpus__implementer_cues[] = {
    "implemented by", "implemented in", "conducted by", "developed by",
    "organized by", "organised by", "produced by", NULL
};

/* Where the sentence or clause holding @s ends: a full stop before a
 * space or the end, a semicolon or a line break. */
static const char *
clause_end(const char *s)
{
    for (; *s; s++) {
        if (*s == ';' || *s == '\n')
            return s;
        if (*s == '.' && (s[1] == '\0' || g_ascii_isspace(s[1])))
            return s;
    }
    return s;
}

/* The clauses of @text that follow one of @cues (case-insensitive, at a
 * word start), each up to clause_end(), joined by line breaks.  With
 * @rest, also @text with those clauses blanked out (same length).
 * Returns: (transfer full). */
char *
corpus__cue_clauses(const char *text, const char *const *cues, char **rest)
{
    g_autofree char *lower = g_ascii_strdown(text, -1);
    GString *out = g_string_new("");
    char *blank = rest ? g_strdup(text) : NULL;

    for (int c = 0; cues[c]; c++) {
        gsize n = strlen(cues[c]);

        for (const char *at = strstr(lower, cues[c]); at;
             at = strstr(at + n, cues[c])) {
            const char *from = at + n;
            const char *to = clause_end(from);

            if (at > lower && g_ascii_isalnum(at[-1]))
                continue;
            g_string_append_len(out, text + (from - lower), to - from);
            g_string_append_c(out, '\n');
            if (blank)
                memset(blank + (from - lower), ' ', to - from);
        }
    }
    if (rest)
        *rest = blank;
    return g_string_free(out, FALSE);
}

/* The first four-digit number in @edition ("mapping-2020-07"), or 0. */
gint64
corpus__edition_year(const char *edition)
{
    for (const char *s = edition ? edition : ""; *s; s++) {
        char buf[5];

        if (!g_ascii_isdigit(s[0]) || !g_ascii_isdigit(s[1])
            || !g_ascii_isdigit(s[2]) || !g_ascii_isdigit(s[3])
            || (s > edition && g_ascii_isdigit(s[-1])))
            continue;
        memcpy(buf, s, 4);
        buf[4] = '\0';
        return g_ascii_strtoll(buf, NULL, 10);
    }
    return 0;
}

/* Where a link starts in @s, or NULL. */
static const char *
find_link(const char *s)
{
    static const char *const starts[] = {
        "http://", "https://", "file://", "www.", NULL
    };
    const char *first = NULL;

    for (int i = 0; starts[i]; i++) {
        const char *at = strstr(s, starts[i]);

        if (at && (!first || at < first))
            first = at;
    }
    return first;
}

/* The first sentence of the text, at most about 120 characters, cut on a
 * word boundary, without the links it cites.  A first line that only
 * introduces what follows ("Tajikistan:", "In Kazakhstan:") is read
 * together with the next one. */
char *
corpus__lead_of(const char *text)
{
    const glong max = 120;
    g_auto(GStrv) lines = g_strsplit(text, "\n", 3);
    g_autofree char *line = NULL;
    const char *link;
    char *cut;

    if (!lines[0])
        return g_strdup("");
    if (lines[1] && g_str_has_suffix(lines[0], ":")
        && g_utf8_strlen(lines[0], -1) < 40)
        line = g_strconcat(lines[0], " ", lines[1], NULL);
    else
        line = g_strdup(lines[0]);
    link = find_link(line);
    if (link && link - line >= 20) {
        line[link - line] = '\0';
        g_strchomp(line);
    }
    for (char *q = strstr(line, ". "); q; q = strstr(q + 1, ". ")) {
        const char *word = q;
        guint alnum = 0;

        while (word > line && word[-1] != ' ') {
            word--;
            alnum += g_ascii_isalnum(*word) ? 1 : 0;
        }
        /* "No. 56", "Dr. Chiara" and "e.g. the" do not end a sentence;
         * "(2013). Available" does. */
        if (alnum >= 3 && corpus__starts_upper(q + 2)
            && g_ascii_strncasecmp(word, "No", 2) != 0) {
            q[1] = '\0';
            break;
        }
    }
    if (g_utf8_strlen(line, -1) <= max)
        return g_steal_pointer(&line);
    cut = g_utf8_offset_to_pointer(line, max);
    *cut = '\0';
    cut = strrchr(line, ' ');
    if (cut && cut - line > 40)
        *cut = '\0';
    return g_strconcat(line, "…", NULL);
}

/* An organization cell that is really a title ("The Counter-Terrorism
 * CBRN Field Exercise 'Jeyran' (EU CBRN CoE) took place on ..."): once
 * the organizations it names and the words that join them are taken out,
 * five or more words remain. */
gboolean
corpus__org_cell_is_title(const corpus_vocab_t *vocab, const char *cell)
{
    static const char *const joiners[] = {
        "and", "with", "by", "in", "of", "the", "funded", "supported",
        "cooperation", "co", "partnership", "together", "coordination",
        "partner", "partners", "entities", "organizations", "other", "on",
        "for", "a", "to", "un", "including", "jointly", "led",
        "implemented", "organisations", NULL
    };
    g_autoptr(GPtrArray) orgs = NULL;
    g_autofree char *folded = NULL;
    g_auto(GStrv) words = NULL;
    GString *rest;
    guint left = 0;

    if (corpus_vocab_lookup(vocab, CORPUS_VOCAB_ORG, cell))
        return FALSE;
    folded = corpus__fold(cell);
    rest = g_string_new(" ");
    g_string_append(rest, folded);
    g_string_append_c(rest, ' ');
    orgs = corpus_vocab_scan(vocab, CORPUS_VOCAB_ORG, cell);
    for (guint i = 0; i < orgs->len; i++) {
        const corpus_term_t *t = g_ptr_array_index(orgs, i);

        for (guint a = 0; a < t->aliases->len; a++) {
            g_autofree char *alias =
                corpus__fold(g_ptr_array_index(t->aliases, a));
            g_autofree char *needle = g_strconcat(" ", alias, " ", NULL);
            char *at;

            for (at = *alias ? strstr(rest->str, needle) : NULL; at;
                 at = strstr(rest->str, needle))
                g_string_erase(rest, at - rest->str, strlen(needle) - 1);
        }
    }
    words = g_strsplit(rest->str, " ", -1);
    g_string_free(rest, TRUE);
    for (guint i = 0; words[i]; i++) {
        gboolean skip = strlen(words[i]) < 2
            || strspn(words[i], "0123456789") == strlen(words[i]);

        for (guint j = 0; joiners[j] && !skip; j++)
            skip = strcmp(words[i], joiners[j]) == 0;
        left += !skip;
    }
    return left >= 5;
}
