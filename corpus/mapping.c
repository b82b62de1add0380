/* mapping.c -- the mapping text parsed into entries: preamble, table of
 * contents, section and theme headings, table rows and the damage page
 * breaks did to them.
 *
 * The mapping is a word-processor table saved as text: one line per table
 * row, cells separated by TABs (objective or kind, organizations, activity
 * HTML).  A page break splits a row in two: an empty line, then a row
 * whose organization cell is empty and whose cells continue the previous
 * row, sometimes in the middle of a word.  Outside page breaks an empty
 * kind or organization cell means "same as above" and the row is a new
 * activity.  The parser works in two passes: lines become rows (row_t),
 * then rows become entries, so that the decisions about a row are made
 * once all of its fragments are known.  What an activity's own words say
 * (years, donors, implementers, its lead) is read by facts.c.
 */
#include <string.h>

#include "corpus-int.h"

void
corpus_entry_free(corpus_entry_t *entry)
{
    if (!entry)
        return;
    g_free(entry->id);
    g_free(entry->theme);
    g_free(entry->title);
    g_free(entry->kind);
    g_free(entry->kind_raw);
    g_free(entry->orgs_raw);
    g_clear_pointer(&entry->orgs, g_ptr_array_unref);
    g_clear_pointer(&entry->countries, g_ptr_array_unref);
    g_clear_pointer(&entry->donors, g_ptr_array_unref);
    g_clear_pointer(&entry->years, g_ptr_array_unref);
    g_free(entry->text);
    g_clear_pointer(&entry->titles, g_ptr_array_unref);
    g_clear_pointer(&entry->links, g_ptr_array_unref);
    g_free(entry->edition);
    g_clear_pointer(&entry->themes, g_ptr_array_unref);
    g_free(entry);
}

void
corpus_warning_free(corpus_warning_t *w)
{
    if (!w)
        return;
    g_free(w->message);
    g_free(w);
}

void
corpus_mapping_free(corpus_mapping_t *m)
{
    if (!m)
        return;
    g_clear_pointer(&m->entries, g_ptr_array_unref);
    g_clear_pointer(&m->warnings, g_ptr_array_unref);
    g_clear_pointer(&m->line_entry, g_array_unref);
    g_free(m);
}

/* --------------------------------------------------------------------- Rows */

/* One activity as the table gives it, before it becomes an entry.  The
 * cells are kept as written (HTML included) and grow as page-break
 * continuations are appended. */
typedef struct {
    GString *col1;              /* objective (A-C) or kind (D-E) */
    GString *col2;              /* organizations */
    GString *col3;              /* activity HTML */
    gboolean own_col1;          /* col1 written on the row, not inherited */
    gboolean intro;             /* the preamble: col3 is plain text */
    gint index;                 /* in parser_t.rows */
    char section;               /* 'A'..'Z', 0 before any section */
    char *section_theme;        /* (nullable) slug of the section's theme */
    char *theme;                /* (nullable) slug of the D/E sub-theme */
    guint first_line;
    guint last_line;
} row_t;

static void
row_free(gpointer data)
{
    row_t *r = data;

    g_string_free(r->col1, TRUE);
    g_string_free(r->col2, TRUE);
    g_string_free(r->col3, TRUE);
    g_free(r->section_theme);
    g_free(r->theme);
    g_free(r);
}

typedef struct {
    const corpus_vocab_t *vocab;
    corpus_mapping_t *m;
    GPtrArray *lines;           /* char*, valid UTF-8, no '\n' or '\r' */
    GPtrArray *rows;            /* row_t */
    GHashTable *words;          /* word -> count over the whole text */
    guint n_invalid;            /* lines with invalid UTF-8 reported */
    char section;
    char *section_theme;        /* (nullable) */
    char *theme;                /* (nullable) current D/E sub-theme */
    row_t *last;                /* (nullable) the row continuations and
                                 * inheritance refer to; reset by headings */
    row_t *intro;               /* (nullable) */
    gboolean after_blank;       /* the previous line was empty */
    gboolean after_heading;     /* the last non-empty line was a theme
                                 * heading */
} parser_t;

static void
warn(parser_t *p, guint line, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* Every warning names its line, so a curator can find it in the file. */
static void
warn(parser_t *p, guint line, const char *fmt, ...)
{
    corpus_warning_t *w = g_new0(corpus_warning_t, 1);
    va_list ap;

    va_start(ap, fmt);
    w->line = line;
    w->message = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_ptr_array_add(p->m->warnings, w);
}

/* A short, single-line excerpt of @s for a warning message. */
static char *
excerpt(const char *s)
{
    g_autofree char *flat = g_strdup(s ? s : "");
    const glong max = 60;

    g_strdelimit(flat, "\n\t", ' ');
    if (g_utf8_strlen(flat, -1) <= max)
        return g_steal_pointer(&flat);
    *g_utf8_offset_to_pointer(flat, max) = '\0';
    return g_strconcat(flat, "…", NULL);
}

/* ------------------------------------------------------------- Text helpers */
/* --------------------------------------------------------------- Line kinds */

static gboolean
is_page_number(const char *cell)
{
    g_autofree char *s = g_strstrip(g_strdup(cell));
    const char *q = s;
    guint digits = 0;

    while (*q == '.' || *q == ' ')
        q++;
    if (g_str_has_prefix(q, "…"))
        q += strlen("…");
    for (; *q; q++) {
        if (!g_ascii_isdigit(*q))
            return FALSE;
        digits++;
    }
    return digits >= 1 && digits <= 4;
}

static gboolean
is_blank(const char *line)
{
    return line[strspn(line, " \t\v\f")] == '\0';
}

/* Table rules left by the conversion ("--\t--\t---"). */
static gboolean
is_decoration(const char *line)
{
    gboolean mark = FALSE;

    for (const char *q = line; *q; q++) {
        if (*q == '-' || *q == '|' || *q == '=' || *q == ':' || *q == '_')
            mark = TRUE;
        else if (*q != ' ' && *q != '\t')
            return FALSE;
    }
    return mark;
}

/* The non-empty cells of a line, stripped. */
static GPtrArray *
nonempty_cells(const char *line)
{
    g_auto(GStrv) cells = g_strsplit(line, "\t", -1);
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; cells[i]; i++) {
        g_strstrip(cells[i]);
        if (*cells[i])
            g_ptr_array_add(out, g_strdup(cells[i]));
    }
    return out;
}

static gboolean
is_bare_page_number(const char *line)
{
    g_autoptr(GPtrArray) cells = nonempty_cells(line);

    return cells->len == 1 && is_page_number(g_ptr_array_index(cells, 0));
}

/* A table-of-contents line ends with a page number, or is a heading whose
 * page number the layout pushed to the next line (lines 24-25). */
static gboolean
is_toc_line(parser_t *p, guint i)
{
    const char *line = g_ptr_array_index(p->lines, i);
    g_autoptr(GPtrArray) cells = nonempty_cells(line);

    if (cells->len == 0)
        return TRUE;
    if (is_page_number(g_ptr_array_index(cells, cells->len - 1)))
        return TRUE;
    for (guint j = i + 1; j < p->lines->len; j++) {
        const char *next = g_ptr_array_index(p->lines, j);

        if (is_blank(next))
            continue;
        return is_bare_page_number(next);
    }
    return FALSE;
}

/* The theme naming the section @letter: the one whose spelling is the
 * heading, else the first listed with that letter (themes.tsv lists the
 * sections before their sub-themes). */
static const corpus_term_t *
section_theme(const corpus_vocab_t *vocab, char letter, const char *heading)
{
    const GPtrArray *themes = corpus_vocab_items(vocab, CORPUS_VOCAB_THEME);
    const corpus_term_t *t = corpus_vocab_lookup(vocab, CORPUS_VOCAB_THEME,
                                                 heading);
    char want[2] = { letter, '\0' };

    if (t && strcmp(t->extra, want) == 0)
        return t;
    for (guint i = 0; i < themes->len; i++) {
        t = g_ptr_array_index(themes, i);
        if (strcmp(t->extra, want) == 0)
            return t;
    }
    return NULL;
}

static gboolean
is_section_theme(const corpus_vocab_t *vocab, const corpus_term_t *t)
{
    return t && t->extra[0] && !t->extra[1]
        && section_theme(vocab, t->extra[0], "") == t;
}

/* "A. SUMMARY OF ...", "<p>D. THEMATIC AREAS: ...</p>": a letter, a dot
 * and a heading in capitals, or a spelling of a section's theme. */
static gboolean
section_heading(const corpus_vocab_t *vocab, const char *text, char *letter)
{
    const corpus_term_t *t;

    if (g_ascii_isupper(text[0]) && text[1] == '.' && text[2] == ' ') {
        guint n_alpha = 0, n_upper = 0;

        for (const char *q = text + 3; *q; q = g_utf8_next_char(q)) {
            gunichar c = g_utf8_get_char(q);

            n_alpha += g_unichar_isalpha(c);
            n_upper += g_unichar_isupper(c);
        }
        if (n_alpha >= 8 && n_upper * 10 >= n_alpha * 7) {
            *letter = text[0];
            return TRUE;
        }
    }
    t = corpus_vocab_lookup(vocab, CORPUS_VOCAB_THEME, text);
    if (is_section_theme(vocab, t)) {
        *letter = t->extra[0];
        return TRUE;
    }
    return FALSE;
}

/* A sub-theme named by @text: the heading equals one of its spellings or
 * starts with one ("Role of Parliaments on ..."), or is the first part of
 * one cut by a page break (at least three words).  The longest spelling
 * wins.  Section themes are not sub-themes. */
CTMAP_TESTABLE const corpus_term_t *
match_theme(const corpus_vocab_t *vocab, const char *text)
{
    const GPtrArray *themes = corpus_vocab_items(vocab, CORPUS_VOCAB_THEME);
    g_autofree char *folded = corpus__fold(text);
    gsize flen = strlen(folded);
    const corpus_term_t *best = NULL;
    gsize best_len = 0;

    if (!*folded)
        return NULL;
    for (guint i = 0; i < themes->len; i++) {
        const corpus_term_t *t = g_ptr_array_index(themes, i);

        if (is_section_theme(vocab, t))
            continue;
        for (guint a = 0; a < t->aliases->len; a++) {
            g_autofree char *alias =
                corpus__fold(g_ptr_array_index(t->aliases, a));
            gsize alen = strlen(alias);
            gboolean hit = FALSE;

            if (!*alias)
                continue;
            if (alen <= flen && strncmp(folded, alias, alen) == 0
                && (folded[alen] == '\0' || folded[alen] == ' '))
                hit = TRUE;
            else if (flen < alen && strncmp(alias, folded, flen) == 0
                     && alias[flen] == ' ' && corpus__n_words(folded) >= 3)
                hit = TRUE;
            if (hit && alen > best_len) {
                best = t;
                best_len = alen;
            }
        }
    }
    return best;
}

static gboolean
is_table_header(const char *c1, const char *c2)
{
    g_autofree char *f1 = corpus__fold(c1);
    g_autofree char *f2 = corpus__fold(c2);

    return (strcmp(f1, "objectives") == 0 || strcmp(f1, "objective") == 0)
        && g_str_has_prefix(f2, "organization");
}

/* Whether a cell names organizations and little else. */
static gboolean
is_org_cell(const corpus_vocab_t *vocab, const char *text)
{
    g_autoptr(GPtrArray) orgs = NULL;

    if (corpus_vocab_lookup(vocab, CORPUS_VOCAB_ORG, text))
        return TRUE;
    orgs = corpus_vocab_scan(vocab, CORPUS_VOCAB_ORG, text);
    return orgs->len > 0 && corpus__n_words(text) <= 6;
}

/* ------------------------------------------------------------------- Pass 1 */

static row_t *
row_new(parser_t *p, guint line)
{
    row_t *r = g_new0(row_t, 1);

    r->col1 = g_string_new(NULL);
    r->col2 = g_string_new(NULL);
    r->col3 = g_string_new(NULL);
    r->section = p->section;
    r->section_theme = g_strdup(p->section_theme);
    r->theme = g_strdup(p->theme);
    r->first_line = r->last_line = line;
    r->index = (gint)p->rows->len;
    g_ptr_array_add(p->rows, r);
    return r;
}

static void
set_line(parser_t *p, guint line, gint row)
{
    g_array_index(p->m->line_entry, gint, line - 1) = row;
}

static void
enter_section(parser_t *p, char letter, const char *heading)
{
    const corpus_term_t *t = section_theme(p->vocab, letter, heading);

    p->section = letter;
    g_free(p->section_theme);
    p->section_theme = t ? g_strdup(t->slug) : NULL;
    g_clear_pointer(&p->theme, g_free);
    p->last = NULL;
}

/* Splits a line into the three cells of a row, shifting and merging cells
 * when the line has too few or too many, with a warning. */
static void
split_row(parser_t *p, guint line, const char *text, char **c1, char **c2,
          char **c3)
{
    g_auto(GStrv) cells = g_strsplit(text, "\t", -1);
    guint n = g_strv_length(cells);

    for (guint i = 0; i < n; i++)
        g_strstrip(cells[i]);
    *c1 = g_strdup(n > 0 ? cells[0] : "");
    *c2 = g_strdup(n > 1 ? cells[1] : "");
    *c3 = g_strdup(n > 2 ? cells[2] : "");
    if (n == 1) {
        /* One cell that is not a heading: the tabs were lost.  Reading it
         * as activity text keeps its words with the activity above. */
        warn(p, line, "row has 1 cell; read as activity text");
        g_free(*c3);
        *c3 = g_steal_pointer(c1);
        *c1 = g_strdup("");
    } else if (n == 2 && **c2) {
        g_autofree char *p1 = corpus__plain(*c1);
        g_autofree char *p2 = corpus__plain(*c2);

        if (!**c1 || is_org_cell(p->vocab, p1)) {
            /* "UN Women\t<p>...": organization and text, kind above. */
            if (**c1)
                warn(p, line, "row has 2 cells; read as organization "
                     "and activity");
            g_free(*c3);
            *c3 = g_steal_pointer(c2);
            *c2 = g_steal_pointer(c1);
            *c1 = g_strdup("");
        } else if (!is_org_cell(p->vocab, p2)) {
            warn(p, line, "row has 2 cells; read as kind and activity");
            g_free(*c3);
            *c3 = g_steal_pointer(c2);
            *c2 = g_strdup("");
        }
    } else if (n > 3) {
        GString *extra = g_string_new(*c3);
        gboolean any = FALSE;

        for (guint i = 3; i < n; i++) {
            if (!*cells[i])
                continue;
            any = TRUE;
            if (extra->len > 0)
                g_string_append_c(extra, ' ');
            g_string_append(extra, cells[i]);
        }
        if (any)
            warn(p, line, "row has %u cells; cells after the third "
                 "appended to the activity text", n);
        g_free(*c3);
        *c3 = g_string_free(extra, FALSE);
    }
}

/* The preamble (title lines and introductory paragraphs) becomes one
 * entry; its text is plain, not HTML ("<https://...>" is a link there). */
static void
add_preamble(parser_t *p, guint line, const char *text)
{
    g_auto(GStrv) bold = g_strsplit(text, "**", -1);
    g_autofree char *joined = g_strjoinv("", bold);
    g_autofree char *flat = corpus__collapse_ws(joined);

    if (!*flat)
        return;
    if (!p->intro) {
        p->intro = row_new(p, line);
        p->intro->intro = TRUE;
        p->intro->section = 0;
        g_clear_pointer(&p->intro->section_theme, g_free);
        g_clear_pointer(&p->intro->theme, g_free);
    }
    if (p->intro->col3->len > 0)
        g_string_append_c(p->intro->col3, '\n');
    g_string_append(p->intro->col3, flat);
    p->intro->last_line = line;
    set_line(p, line, p->intro->index);
}

static void
continue_row(parser_t *p, guint line, const char *c1, const char *c2,
             const char *c3)
{
    row_t *r = p->last;

    corpus__join_fragment(p->words, r->col1, c1);
    corpus__join_fragment(p->words, r->col2, c2);
    corpus__join_fragment(p->words, r->col3, c3);
    r->last_line = line;
    set_line(p, line, r->index);
}

/* A new activity; an empty kind or organization cell continues the one
 * above (issue: "an empty kind or organization cell continues the
 * previous one"). */
static void
new_row(parser_t *p, guint line, const char *c1, const char *c2,
        const char *c3)
{
    row_t *prev = p->last;
    row_t *r = row_new(p, line);

    if (*c1) {
        g_string_append(r->col1, c1);
        r->own_col1 = TRUE;
    } else if (prev) {
        g_string_append(r->col1, prev->col1->str);
    } else {
        warn(p, line, "empty kind or objective cell with none above to "
             "continue");
    }
    if (*c2)
        g_string_append(r->col2, c2);
    else if (prev)
        g_string_append(r->col2, prev->col2->str);
    else
        warn(p, line, "empty organization cell with none above to "
             "continue");
    g_string_append(r->col3, c3);
    p->last = r;
    set_line(p, line, r->index);
}

/* A line of the table, after the preamble. */
static void
body_line(parser_t *p, guint line, const char *text, gboolean after_blank)
{
    g_autoptr(GPtrArray) cells = nonempty_cells(text);
    g_autofree char *c1 = NULL;
    g_autofree char *c2 = NULL;
    g_autofree char *c3 = NULL;
    g_autofree char *p1 = NULL;
    g_autofree char *p3 = NULL;
    gboolean was_heading = p->after_heading;
    gboolean sub_themed = p->section >= 'D';
    char letter;

    p->after_heading = FALSE;
    if (cells->len == 1) {
        g_autofree char *only = corpus__plain(g_ptr_array_index(cells, 0));
        const char *first_cell = g_ptr_array_index(cells, 0);
        gboolean in_col1 = g_str_has_prefix(text + strspn(text, " "),
                                            first_cell);
        const corpus_term_t *t;

        if (section_heading(p->vocab, only, &letter)) {
            enter_section(p, letter, only);
            return;
        }
        if (in_col1 && sub_themed
            && (t = match_theme(p->vocab, only)) != NULL) {
            g_free(p->theme);
            p->theme = g_strdup(t->slug);
            p->last = NULL;
            p->after_heading = TRUE;
            return;
        }
        if (in_col1 && was_heading && corpus__starts_lower(only)) {
            /* The end of a theme heading the page break cut (line 158 in
             * the table of contents: "by facilitating skills ..."). */
            p->after_heading = TRUE;
            return;
        }
    }
    split_row(p, line, text, &c1, &c2, &c3);
    if (is_table_header(c1, c2))
        return;
    if (!*c1 && !*c2 && !*c3)
        return;
    p1 = corpus__plain(c1);
    p3 = corpus__plain(c3);

    if (*c1 && !*c2 && !*c3 && sub_themed && corpus__starts_upper(p1)
        && corpus__n_words(p1) >= 3
        && !corpus_vocab_lookup(p->vocab, CORPUS_VOCAB_KIND, p1)) {
        /* A heading the vocabulary does not know yet: a new edition's new
         * theme.  Tags take canonical values only, so its rows are filed
         * under the section's theme until themes.tsv learns it. */
        g_autofree char *short_text = excerpt(p1);

        warn(p, line, "theme heading not in themes.tsv: %s", short_text);
        g_free(p->theme);
        p->theme = g_strdup(p->section_theme);
        p->last = NULL;
        p->after_heading = TRUE;
        return;
    }
    if (p->last && after_blank
        && (!*c2 || (!*c1 && corpus__starts_lower(p3)))) {
        continue_row(p, line, c1, c2, c3);
        return;
    }
    if (p->last && *c1 && !*c2 && !*c3) {
        /* The rest of the objective cell above, cut by the layout. */
        continue_row(p, line, c1, c2, c3);
        return;
    }
    if (p->section == 0)
        warn(p, line, "table row before the first section heading");
    new_row(p, line, c1, c2, c3);
}

static void
parse_lines(parser_t *p)
{
    gboolean preamble = TRUE;
    gboolean toc = FALSE;

    for (guint i = 0; i < p->lines->len; i++) {
        const char *line = g_ptr_array_index(p->lines, i);
        guint ln = i + 1;
        gboolean after_blank = p->after_blank;

        set_line(p, ln, -1);
        if (is_blank(line) || is_decoration(line)) {
            p->after_blank = TRUE;
            continue;
        }
        p->after_blank = FALSE;
        if (preamble) {
            g_autoptr(GPtrArray) cells = nonempty_cells(line);
            g_autofree char *first = corpus__plain(g_ptr_array_index(cells, 0));
            g_autofree char *folded = corpus__fold(first);
            const char *last = g_ptr_array_index(cells, cells->len - 1);
            char letter;

            if (toc && is_toc_line(p, i))
                continue;
            toc = FALSE;
            if (cells->len == 1 && (strcmp(folded, "contents") == 0
                                    || strcmp(folded, "table of contents")
                                    == 0)) {
                toc = TRUE;
                continue;
            }
            if (cells->len >= 2 && is_page_number(last))
                continue;       /* a contents line with no title above */
            if (cells->len == 1
                && !section_heading(p->vocab, first, &letter)) {
                add_preamble(p, ln, line);
                continue;
            }
            preamble = FALSE;
        }
        body_line(p, ln, line, after_blank);
    }
}

/* ------------------------------------------------------------------- Pass 2 */

static gboolean
objective_section(char section)
{
    return section >= 'A' && section <= 'C';
}

static GPtrArray *
slugs_of(GPtrArray *terms)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; i < terms->len; i++) {
        const corpus_term_t *t = g_ptr_array_index(terms, i);

        g_ptr_array_add(out, g_strdup(t->slug));
    }
    return out;
}

static const char *
kind_of(parser_t *p, const row_t *r, const char *kind_raw)
{
    const corpus_term_t *t =
        corpus_vocab_lookup(p->vocab, CORPUS_VOCAB_KIND, kind_raw);

    if (!t) {
        g_autoptr(GPtrArray) found =
            corpus_vocab_scan(p->vocab, CORPUS_VOCAB_KIND, kind_raw);

        if (found->len > 0)
            t = g_ptr_array_index(found, 0);
    }
    if (t)
        return t->slug;
    switch (r->section) {
    case 'A':
        return "project";
    case 'B':
        return "knowledge-sharing";
    case 'C':
        return "strategy";
    default:
        break;
    }
    {
        g_autofree char *short_text = excerpt(kind_raw);

        warn(p, r->first_line, "unknown kind \"%s\"; filed as project",
             short_text);
    }
    return "project";
}

static char *
intro_title(const char *text)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    const char *pick = NULL;

    for (guint i = 0; lines[i] && !pick; i++)
        if (strlen(lines[i]) < 150 && strstr(lines[i], "Mapping"))
            pick = lines[i];
    for (guint i = 0; lines[i] && !pick; i++)
        if (strlen(lines[i]) < 150)
            pick = lines[i];
    if (!pick)
        return g_strdup("Introduction");
    return g_strdup_printf("%s: introduction", pick);
}

static void
add_theme(GPtrArray *themes, const char *slug)
{
    if (slug && !g_ptr_array_find_with_equal_func(themes, slug, g_str_equal,
                                                  NULL))
        g_ptr_array_add(themes, g_strdup(slug));
}

static void
add_links(corpus_entry_t *e, GHashTable *seen, const char *text)
{
    g_autoptr(GPtrArray) links = corpus_links_find(text);

    for (guint i = 0; i < links->len; i++) {
        corpus_link_t *l = g_ptr_array_index(links, i);
        char *norm = corpus_url_normalize(l->url);

        if (g_hash_table_contains(seen, norm)) {
            g_free(norm);
            continue;
        }
        g_hash_table_add(seen, norm);
        g_ptr_array_add(e->links, g_ptr_array_steal_index(links, i));
        i--;
    }
}

static corpus_entry_t *
build_entry(parser_t *p, const row_t *r, const char *edition)
{
    corpus_entry_t *e = g_new0(corpus_entry_t, 1);
    g_autoptr(GPtrArray) orgs = NULL;
    g_autoptr(GPtrArray) countries = NULL;
    g_autoptr(GPtrArray) donors = NULL;
    g_autoptr(GHashTable) seen_links = NULL;
    g_autofree char *all = NULL;
    g_autofree char *donor_text = NULL;
    g_autofree char *activity_text = NULL;

    e->section = r->intro ? 0 : r->section;
    e->edition = g_strdup(edition ? edition : "");
    e->first_line = r->first_line;
    e->last_line = r->last_line;
    e->titles = g_ptr_array_new_with_free_func(g_free);
    e->themes = g_ptr_array_new_with_free_func(g_free);
    e->links = g_ptr_array_new_with_free_func(
        (GDestroyNotify)corpus_link_free);

    if (r->intro) {
        e->text = g_strdup(r->col3->str);
        e->kind_raw = g_strdup("");
        e->orgs_raw = g_strdup("");
        e->kind = g_strdup("overview");
        e->title = intro_title(e->text);
        orgs = corpus_vocab_scan(p->vocab, CORPUS_VOCAB_ORG, e->text);
    } else {
        const corpus_term_t *sub = NULL;
        gboolean col2_title;

        e->kind_raw = corpus__plain(r->col1->str);
        e->orgs_raw = corpus__plain(r->col2->str);
        e->text = corpus_html_to_text(r->col3->str, e->titles);
        e->kind = g_strdup(kind_of(p, r, e->kind_raw));
        orgs = corpus_vocab_scan(p->vocab, CORPUS_VOCAB_ORG, e->orgs_raw);
        if (orgs->len == 0) {
            g_autofree char *short_text = excerpt(e->orgs_raw);

            warn(p, r->first_line, "no known organization in \"%s\"",
                 short_text);
        }
        col2_title = corpus__org_cell_is_title(p->vocab, e->orgs_raw);

        if (objective_section(r->section)) {
            add_theme(e->themes, r->section_theme);
            if (r->own_col1)
                sub = match_theme(p->vocab, e->kind_raw);
            if (sub)
                add_theme(e->themes, sub->slug);
        } else {
            if (!r->theme && r->section_theme)
                warn(p, r->first_line, "row before the first theme "
                     "heading of section %c", r->section);
            add_theme(e->themes, r->theme);
            add_theme(e->themes, r->section_theme);
        }
        if (e->themes->len > 0)
            e->theme = g_strdup(g_ptr_array_index(e->themes, 0));

        /* An objective names its activity in sections A-C; an inherited
         * one names the group, so the row's own words make a better
         * title. */
        if (objective_section(r->section) && r->own_col1 && *e->kind_raw)
            e->title = g_strdup(e->kind_raw);
        else if (col2_title)
            e->title = g_strdup(e->orgs_raw);
        else if (e->titles->len > 0)
            e->title = g_strdup(g_ptr_array_index(e->titles, 0));
        else if (*e->text)
            e->title = corpus__lead_of(e->text);
        else
            e->title = g_strdup(*e->kind_raw ? e->kind_raw : e->orgs_raw);
    }
    if (!e->theme && e->themes->len > 0)
        e->theme = g_strdup(g_ptr_array_index(e->themes, 0));
    e->orgs = slugs_of(orgs);

    all = g_strjoin("\n", e->kind_raw, e->orgs_raw, e->text, NULL);
    donor_text = corpus__cue_clauses(all, corpus__donor_cues, &activity_text);
    countries = corpus_vocab_scan(p->vocab, CORPUS_VOCAB_COUNTRY,
                                  activity_text);
    e->countries = slugs_of(countries);
    donors = corpus_vocab_scan(p->vocab, CORPUS_VOCAB_COUNTRY, donor_text);
    e->donors = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < donors->len; i++) {
        const corpus_term_t *t = g_ptr_array_index(donors, i);

        if (!g_ptr_array_find_with_equal_func(e->countries, t->slug,
                                              g_str_equal, NULL))
            g_ptr_array_add(e->donors, g_strdup(t->slug));
    }
    e->years = corpus__find_years(all, corpus__edition_year(edition));
    seen_links = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                       NULL);
    add_links(e, seen_links, e->text);
    add_links(e, seen_links, e->kind_raw);
    add_links(e, seen_links, e->orgs_raw);
    return e;
}

/* Adds to @e's organizations those its text names as implementers
 * (corpus__implementer_cues) and, when the organization cell names none
 * ("Policy Brief"), every one its text names -- a link to
 * osce-academy.net counts.  Called once the id is made: the id hashes the
 * cell's organizations only, so it stays what it was before. */
static void
add_text_orgs(parser_t *p, corpus_entry_t *e)
{
    g_autofree char *clauses = NULL;
    g_autoptr(GPtrArray) named = NULL;

    if (!*e->orgs_raw && e->section == 0)
        return;
    if (e->orgs->len == 0) {
        g_autofree char *spaced = g_strdelimit(g_strdup(e->text), "-./", ' ');

        named = corpus_vocab_scan(p->vocab, CORPUS_VOCAB_ORG, spaced);
    } else {
        clauses = corpus__cue_clauses(e->text, corpus__implementer_cues,
                                    NULL);
        named = corpus_vocab_scan(p->vocab, CORPUS_VOCAB_ORG, clauses);
    }
    for (guint i = 0; i < named->len; i++) {
        const corpus_term_t *t = g_ptr_array_index(named, i);

        if (!g_ptr_array_find_with_equal_func(e->orgs, t->slug, g_str_equal,
                                              NULL))
            g_ptr_array_add(e->orgs, g_strdup(t->slug));
    }
}

/* "e-" + 16 hex digits of SHA-256 over what identifies an activity:
 * theme, kind, organizations and the start of its text, normalised so
 * that layout changes between editions keep the id. */
static char *
entry_id(const corpus_entry_t *e, guint ordinal)
{
    g_autoptr(GPtrArray) orgs = g_ptr_array_new();
    g_autofree char *nfkc = g_utf8_normalize(e->text, -1,
                                             G_NORMALIZE_NFKC);
    g_autofree char *lower = g_utf8_strdown(nfkc ? nfkc : "", -1);
    g_autofree char *norm = corpus__collapse_ws(lower);
    g_autofree char *hash = NULL;
    GString *key = g_string_new(e->theme ? e->theme : "");

    for (guint i = 0; i < e->orgs->len; i++)
        g_ptr_array_add(orgs, g_ptr_array_index(e->orgs, i));
    g_ptr_array_sort(orgs, corpus__cmp_str);
    if (g_utf8_strlen(norm, -1) > 200)
        *g_utf8_offset_to_pointer(norm, 200) = '\0';
    g_string_append_c(key, '\x1f');
    g_string_append(key, e->kind);
    g_string_append_c(key, '\x1f');
    for (guint i = 0; i < orgs->len; i++) {
        if (i > 0)
            g_string_append_c(key, ',');
        g_string_append(key, g_ptr_array_index(orgs, i));
    }
    g_string_append_c(key, '\x1f');
    g_string_append(key, norm);
    if (ordinal > 0)
        g_string_append_printf(key, "\x1f%u", ordinal);
    hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, key->str,
                                         key->len);
    g_string_free(key, TRUE);
    return g_strdup_printf("e-%.16s", hash);
}

static void
build_entries(parser_t *p, const char *edition)
{
    g_autoptr(GHashTable) same = g_hash_table_new_full(
        g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GHashTable) any = g_hash_table_new_full(
        g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GHashTable) ids = g_hash_table_new(g_str_hash, g_str_equal);
    g_autofree gint *row_entry = g_new0(gint, p->rows->len + 1);
    GPtrArray *entries = p->m->entries;

    for (guint i = 0; i < p->rows->len; i++) {
        const row_t *r = g_ptr_array_index(p->rows, i);
        corpus_entry_t *e = build_entry(p, r, edition);
        char *row_key = g_strjoin("\x1f", e->kind_raw, e->orgs_raw, e->text,
                                  NULL);
        char *theme_key = g_strjoin("\x1f", e->theme ? e->theme : "",
                                    row_key, NULL);
        corpus_entry_t *twin = g_hash_table_lookup(same, theme_key);
        guint ordinal = 0;

        if (twin) {
            warn(p, r->first_line, "row repeats line %u under the same "
                 "theme; merged", twin->first_line);
            for (guint j = 0; j < entries->len; j++)
                if (g_ptr_array_index(entries, j) == twin)
                    row_entry[i] = (gint)j;
            corpus_entry_free(e);
            g_free(row_key);
            g_free(theme_key);
            continue;
        }
        twin = g_hash_table_lookup(any, row_key);
        if (twin)
            warn(p, r->first_line, "row repeats line %u (theme %s) under "
                 "theme %s; kept as a separate entry", twin->first_line,
                 twin->theme ? twin->theme : "none",
                 e->theme ? e->theme : "none");
        else
            g_hash_table_insert(any, row_key, e);
        if (twin)
            g_free(row_key);
        g_hash_table_insert(same, theme_key, e);

        e->id = entry_id(e, 0);
        for (twin = g_hash_table_lookup(ids, e->id); twin;
             twin = g_hash_table_lookup(ids, e->id)) {
            if (ordinal == 0)
                warn(p, r->first_line, "entry id %s already used by line "
                     "%u; made distinct", e->id, twin->first_line);
            g_free(e->id);
            e->id = entry_id(e, ++ordinal + 1);
        }
        g_hash_table_insert(ids, e->id, e);
        add_text_orgs(p, e);
        row_entry[i] = (gint)entries->len;
        g_ptr_array_add(entries, e);
    }
    for (guint l = 0; l < p->m->line_entry->len; l++) {
        gint *slot = &g_array_index(p->m->line_entry, gint, l);

        if (*slot >= 0)
            *slot = row_entry[*slot];
    }
}

/* ---------------------------------------------------------------------- API */

static gint
by_line(gconstpointer a, gconstpointer b)
{
    const corpus_warning_t *wa = *(const corpus_warning_t *const *)a;
    const corpus_warning_t *wb = *(const corpus_warning_t *const *)b;

    return (wa->line > wb->line) - (wa->line < wb->line);
}

/* Splits the input into lines, replacing what is not UTF-8 (NUL bytes
 * included) so that everything after works on valid strings. */
static void
split_lines(parser_t *p, const char *text, gsize len)
{
    const guint max_reported = 20;
    gsize pos = 0;

    while (text && pos < len) {
        const char *start = text + pos;
        const char *nl = memchr(start, '\n', len - pos);
        gsize l = nl ? (gsize)(nl - start) : len - pos;
        gsize keep = l;
        guint line = p->lines->len + 1;

        if (keep > 0 && start[keep - 1] == '\r')
            keep--;
        if (g_utf8_validate_len(start, keep, NULL)) {
            g_ptr_array_add(p->lines, g_strndup(start, keep));
        } else {
            g_ptr_array_add(p->lines, g_utf8_make_valid(start, keep));
            if (p->n_invalid < max_reported)
                warn(p, line, "invalid UTF-8 or NUL bytes replaced");
            else if (p->n_invalid == max_reported)
                warn(p, line, "invalid UTF-8 or NUL bytes replaced; "
                     "further such lines not reported");
            p->n_invalid++;
        }
        pos += l + (nl ? 1 : 0);
    }
}

corpus_mapping_t *
corpus_mapping_parse(const char *text, gsize len, const char *edition,
                     const corpus_vocab_t *vocab)
{
    corpus_mapping_t *m = g_new0(corpus_mapping_t, 1);
    parser_t p = { 0 };

    m->entries = g_ptr_array_new_with_free_func(
        (GDestroyNotify)corpus_entry_free);
    m->warnings = g_ptr_array_new_with_free_func(
        (GDestroyNotify)corpus_warning_free);
    m->line_entry = g_array_new(FALSE, TRUE, sizeof(gint));
    g_return_val_if_fail(vocab != NULL, m);

    p.vocab = vocab;
    p.m = m;
    p.lines = g_ptr_array_new_with_free_func(g_free);
    p.rows = g_ptr_array_new_with_free_func(row_free);
    p.words = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    split_lines(&p, text, len);
    g_array_set_size(m->line_entry, p.lines->len);
    for (guint i = 0; i < p.lines->len; i++)
        corpus__count_words(p.words, g_ptr_array_index(p.lines, i));
    parse_lines(&p);
    build_entries(&p, edition);
    g_ptr_array_sort(m->warnings, by_line);

    g_ptr_array_unref(p.lines);
    g_ptr_array_unref(p.rows);
    g_hash_table_unref(p.words);
    g_free(p.section_theme);
    g_free(p.theme);
    return m;
}

corpus_mapping_t *
corpus_mapping_load(const char *path, const corpus_vocab_t *vocab,
                    GError **error)
{
    g_autofree char *data = NULL;
    g_autofree char *base = NULL;
    g_autoptr(GError) local = NULL;
    gsize len = 0;
    char *dot;

    g_return_val_if_fail(path != NULL && vocab != NULL, NULL);
    if (!g_file_get_contents(path, &data, &len, &local)) {
        g_set_error(error, CORPUS_ERROR, CORPUS_ERROR_IO, "%s",
                    local->message);
        return NULL;
    }
    base = g_path_get_basename(path);
    dot = strrchr(base, '.');
    if (dot && dot != base)
        *dot = '\0';
    return corpus_mapping_parse(data, len, base, vocab);
}
