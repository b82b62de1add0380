/* html.c -- the HTML fragments of the mapping's activity cells turned into
 * plain text (one list item or paragraph per line) and italic titles.
 */
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "corpus-int.h"

typedef struct {
    GString *out;               /* text so far; '\n' separates lines */
    GPtrArray *titles;          /* (nullable) where italic spans go */
    int list_depth;             /* inside how many <ul>/<ol> */
    gboolean in_italic;         /* nested <i> inside <i> is one title */
} walk_t;

/* Elements that end a line.  Table cells are included because a fragment
 * pasted from a table reads better one cell per line than glued. */
static gboolean
is_block(const char *name)
{
    static const char *const blocks[] = {
        "p", "div", "ul", "ol", "li", "br", "tr", "td", "th", "table",
        "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "dl", "dt", "dd",
        "pre", "hr", "section", "article", "header", "footer", NULL
    };

    /* libxml2's HTML parser gives element names in lower case. */
    return g_strv_contains(blocks, name);
}

static void
newline(GString *out)
{
    if (out->len > 0 && out->str[out->len - 1] != '\n')
        g_string_append_c(out, '\n');
}

static gboolean
after_space(const GString *out)
{
    return out->len == 0 || out->str[out->len - 1] == ' '
        || out->str[out->len - 1] == '\n';
}

/* The last character written on the current line, ignoring spaces. */
static char
last_char(const GString *out)
{
    for (gsize i = out->len; i > 0; i--) {
        char c = out->str[i - 1];

        if (c == '\n')
            return '\n';
        if (c != ' ')
            return c;
    }
    return '\n';
}

/* Returns the byte length of a bullet character at @p ("•", "□", ...)
 * followed by a space or the end of the run, or 0. */
static gsize
bullet_len(const char *p)
{
    static const char *const bullets[] = {
        "\xe2\x80\xa2",         /* • */
        "\xe2\x96\xa1",         /* □ */
        "\xe2\x96\xaa",         /* ▪ */
        "\xe2\x97\xa6",         /* ◦ */
        "\xe2\x97\x8f",         /* ● */
        "\xe2\x96\xa0",         /* ■ */
        "\xef\x82\xa7",         /* Wingdings bullet in the private area */
        "\xef\x82\xb7",
        NULL
    };

    for (int i = 0; bullets[i]; i++) {
        gsize l = strlen(bullets[i]);

        if (strncmp(p, bullets[i], l) == 0
            && (p[l] == '\0' || g_unichar_isspace(g_utf8_get_char(p + l))))
            return l;
    }
    return 0;
}

/* Whether the word after "- " at @p starts like a list item: a capital,
 * a digit or an opening quote.  "IT - forum" inside a list stays one
 * line; "...communities - Strengthening ..." becomes two. */
static gboolean
item_start(const char *p)
{
    gunichar c;

    while (*p == ' ')
        p++;
    if (!*p)
        return FALSE;
    c = g_utf8_get_char(p);
    return g_unichar_isupper(c) || g_unichar_isdigit(c)
        || g_unichar_type(c) == G_UNICODE_INITIAL_PUNCTUATION || c == '"'
        || c == 0xAB;
}

/* Copies a text node, turning list markers into line breaks: a bullet
 * character anywhere after a space; "- " at the start of the run, after
 * sentence punctuation, or inside a list before a capital.  Hyphens
 * glued to a word ("Gender- Sensitive") are never markers. */
static void
add_text(walk_t *w, const char *text)
{
    gboolean run_start = TRUE;

    for (const char *p = text; *p;) {
        gunichar c = g_utf8_get_char(p);
        gsize blen;

        if (g_unichar_isspace(c)) {
            g_string_append_c(w->out, ' ');
            p = g_utf8_next_char(p);
            continue;
        }
        blen = bullet_len(p);
        if (blen > 0 && (run_start || after_space(w->out))) {
            newline(w->out);
            p += blen;
            run_start = FALSE;
            continue;
        }
        if (c == '-' && (p[1] == ' ' || p[1] == '\0')
            && (run_start || after_space(w->out))) {
            char prev = last_char(w->out);

            if (run_start || strchr(".;:!?\n", prev)
                || (w->list_depth > 0 && item_start(p + 1))) {
                newline(w->out);
                p++;
                run_start = FALSE;
                continue;
            }
        }
        run_start = FALSE;
        g_string_append_len(w->out, p, g_utf8_next_char(p) - p);
        p = g_utf8_next_char(p);
    }
}

/* Collapses runs of white space to one space and trims; shared by the
 * mapping parser.  Returns: (transfer full). */
char *
corpus__collapse_ws(const char *s)
{
    GString *out = g_string_new(NULL);
    gboolean gap = FALSE;

    for (const char *p = s; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);

        if (g_unichar_isspace(c)) {
            gap = TRUE;
            continue;
        }
        if (gap && out->len > 0)
            g_string_append_c(out, ' ');
        gap = FALSE;
        g_string_append_unichar(out, c);
    }
    return g_string_free(out, FALSE);
}

static gboolean
is_quote(gunichar c)
{
    GUnicodeType t = g_unichar_type(c);

    return c == '"' || c == '\'' || c == 0xAB || c == 0xBB
        || t == G_UNICODE_INITIAL_PUNCTUATION
        || t == G_UNICODE_FINAL_PUNCTUATION;
}

static const char *const link_starts[] = {
    "http://", "https://", "file://", "www.", NULL
};

/* Keeps an italic span as a title when it reads like one: quotes and
 * spaces stripped, at least 3 characters, and at least one capital or
 * digit, which leaves out Latin phrases such as "inter alia". */
static void
add_title(walk_t *w, xmlNode *node)
{
    xmlChar *raw = xmlNodeGetContent(node);
    g_autofree char *t = corpus__collapse_ws(raw ? (const char *)raw : "");
    char *start = t;
    char *end;
    gboolean capital = FALSE;

    xmlFree(raw);
    /* A link typed inside the italics is cited, not part of the title. */
    for (const char *const *l = link_starts; *l; l++) {
        char *at = strstr(t, *l);

        if (at && at > t)
            *at = '\0';
    }
    end = t + strlen(t);
    while (end > t && strchr(" ,;:", end[-1]))
        *--end = '\0';
    while (*start && (is_quote(g_utf8_get_char(start)) || *start == ' '))
        start = g_utf8_next_char(start);
    while (end > start) {
        char *prev = g_utf8_find_prev_char(start, end);

        if (!prev || !(is_quote(g_utf8_get_char(prev)) || *prev == ' '))
            break;
        end = prev;
    }
    *end = '\0';
    for (const char *p = start; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);

        if (g_unichar_isupper(c) || g_unichar_isdigit(c))
            capital = TRUE;
    }
    if (g_utf8_strlen(start, -1) < 3 || !capital)
        return;
    for (guint i = 0; i < w->titles->len; i++)
        if (strcmp(g_ptr_array_index(w->titles, i), start) == 0)
            return;
    g_ptr_array_add(w->titles, g_strdup(start));
}

static void
walk(walk_t *w, xmlNode *node)
{
    for (xmlNode *n = node; n; n = n->next) {
        if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
            add_text(w, (const char *)n->content);
        } else if (n->type == XML_ELEMENT_NODE) {
            const char *name = (const char *)n->name;
            gboolean block = is_block(name);
            gboolean list = g_ascii_strcasecmp(name, "ul") == 0
                || g_ascii_strcasecmp(name, "ol") == 0;
            gboolean italic = g_ascii_strcasecmp(name, "i") == 0
                || g_ascii_strcasecmp(name, "em") == 0;
            gboolean was_italic = w->in_italic;

            if (block)
                newline(w->out);
            if (italic && !w->in_italic && w->titles)
                add_title(w, n);
            w->list_depth += list;
            w->in_italic = w->in_italic || italic;
            walk(w, n->children);
            w->in_italic = was_italic;
            w->list_depth -= list;
            if (block)
                newline(w->out);
        }
        /* Comments, processing instructions and the like carry no text. */
    }
}

char *
corpus_html_to_text(const char *html, GPtrArray *titles)
{
    g_autofree char *doc_text = NULL;
    g_auto(GStrv) lines = NULL;
    GString *result;
    walk_t w = { 0 };
    htmlDocPtr doc;
    xmlNode *root;

    if (!html || !*html)
        return g_strdup("");
    doc_text = g_strconcat("<html><body>", html, "</body></html>", NULL);
    doc = htmlReadMemory(doc_text, (int)strlen(doc_text), NULL, "UTF-8",
                         HTML_PARSE_RECOVER | HTML_PARSE_NOERROR
                         | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
    if (!doc)
        return corpus__collapse_ws(html);
    w.out = g_string_new(NULL);
    w.titles = titles;
    root = xmlDocGetRootElement(doc);
    if (root)
        walk(&w, root->children);
    xmlFreeDoc(doc);

    lines = g_strsplit(w.out->str, "\n", 0);
    g_string_free(w.out, TRUE);
    result = g_string_new(NULL);
    for (guint i = 0; lines[i]; i++) {
        g_autofree char *line = corpus__collapse_ws(lines[i]);

        if (!*line)
            continue;
        if (result->len > 0)
            g_string_append_c(result, '\n');
        g_string_append(result, line);
    }
    return g_string_free(result, FALSE);
}
