/* html.c -- HTML through libxml2's HTML parser: charset, title,
 * description, the main text without boilerplate, and the links. */
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>

#include "extract-int.h"

/* ---------------------------------------------------------------- Charset */

/* How far the <meta> charset is looked for; HTML asks for 1024 bytes, and
 * pages with long <head> comments go a little past that. */
#define META_WINDOW 2048

/* Reads one attribute at @p (stopping at @end), as the HTML prescan does:
 * name, optional '=' and a quoted or bare value.  Returns the position
 * after it, or NULL at '>' or the end. */
static const char *
next_attr(const char *p, const char *end, char *name, gsize nsize,
          char *value, gsize vsize)
{
    gsize n = 0, v = 0;

    while (p < end && (g_ascii_isspace(*p) || *p == '/'))
        p++;
    if (p >= end || *p == '>')
        return NULL;
    while (p < end && !g_ascii_isspace(*p) && *p != '=' && *p != '>') {
        if (n + 1 < nsize)
            name[n++] = g_ascii_tolower(*p);
        p++;
    }
    name[n] = '\0';
    while (p < end && g_ascii_isspace(*p))
        p++;
    if (p < end && *p == '=') {
        p++;
        while (p < end && g_ascii_isspace(*p))
            p++;
        if (p < end && (*p == '"' || *p == '\'')) {
            char q = *p++;
            while (p < end && *p != q) {
                if (v + 1 < vsize)
                    value[v++] = *p;
                p++;
            }
            if (p < end)
                p++;
        } else {
            while (p < end && !g_ascii_isspace(*p) && *p != '>') {
                if (v + 1 < vsize)
                    value[v++] = *p;
                p++;
            }
        }
    }
    value[v] = '\0';
    return p;
}

/* The charset in "text/html; charset=windows-1251", copied to @out. */
static gboolean
charset_from_content(const char *content, char *out, gsize size)
{
    const char *c = g_strstr_len(content, -1, "charset");
    gsize n = 0;

    if (!c) {
        g_autofree char *lower = g_ascii_strdown(content, -1);
        const char *l = strstr(lower, "charset");
        if (!l)
            return FALSE;
        c = content + (l - lower);
    }
    c += 7;
    while (*c && (g_ascii_isspace(*c) || *c == '='))
        c++;
    if (*c == '"' || *c == '\'')
        c++;
    while (*c && (g_ascii_isalnum(*c) || strchr("-_.:", *c)) && n + 1 < size)
        out[n++] = *c++;
    out[n] = '\0';
    return n > 0;
}

/* The charset a <meta> in the first META_WINDOW bytes declares, into
 * @out: <meta charset="..."> or <meta http-equiv="Content-Type"
 * content="...; charset=...">. */
static gboolean
html_meta_charset(const guint8 *data, gsize len, char *out, gsize size)
{
    const char *p = (const char *)data;
    const char *end = p + MIN(len, META_WINDOW);

    while (p < end) {
        const char *m = g_strstr_len(p, end - p, "<");
        char name[32], value[256], content[256] = "";
        gboolean http_equiv = FALSE;

        if (!m)
            break;
        p = m + 1;
        if (end - p < 5 || g_ascii_strncasecmp(p, "meta", 4) != 0 ||
            !(g_ascii_isspace(p[4]) || p[4] == '/'))
            continue;
        p += 4;
        while (p) {
            p = next_attr(p, end, name, sizeof(name), value, sizeof(value));
            if (!p)
                break;
            if (strcmp(name, "charset") == 0 && value[0]) {
                g_strlcpy(out, g_strstrip(value), size);
                return TRUE;
            }
            if (strcmp(name, "http-equiv") == 0)
                http_equiv = g_ascii_strcasecmp(value, "content-type") == 0;
            if (strcmp(name, "content") == 0)
                g_strlcpy(content, value, sizeof(content));
        }
        if (http_equiv && charset_from_content(content, out, size))
            return TRUE;
        p = m + 1;
    }
    return FALSE;
}

/* ---------------------------------------------------------------- Tree */

static gboolean
is(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE &&
           g_ascii_strcasecmp((const char *)n->name, name) == 0;
}

static gboolean
is_any(const xmlNode *n, const char *const *names)
{
    for (guint i = 0; names[i]; i++)
        if (is(n, names[i]))
            return TRUE;
    return FALSE;
}

/* An attribute's value, or NULL.  Returns: (transfer full). */
static char *
attr(const xmlNode *n, const char *name)
{
    return (char *)xmlGetProp(n, (const xmlChar *)name);
}

/* Text of @n and its descendants, whitespace collapsed.  For short things
 * only (title, h1). */
static char *
node_text(xmlNode *n)
{
    xmlChar *raw = xmlNodeGetContent(n);
    char *s;

    if (!raw)
        return NULL;
    s = g_strdup((const char *)raw);
    xmlFree(raw);
    return s;
}

/* Depth-first iteration without recursion, so that a page nested ten
 * thousand deep costs no stack.  @descend says whether to enter the
 * children of the node just returned. */
static xmlNode *
walk_next(xmlNode *n, xmlNode *root, gboolean descend)
{
    if (descend && n->children)
        return n->children;
    while (n && n != root) {
        if (n->next)
            return n->next;
        n = n->parent;
    }
    return NULL;
}

/* Finds the first element named @name under @root. */
static xmlNode *
find_first(xmlNode *root, const char *name)
{
    for (xmlNode *n = root; n; n = walk_next(n, root, TRUE))
        if (is(n, name))
            return n;
    return NULL;
}

/* ---------------------------------------------------------------- Text */

static const char *const skipped[] = {
    "script", "style", "noscript", "template", "svg", "nav", "aside",
    "form", "iframe", "object", "embed", "canvas", "button", "select",
    "textarea", "head", "title", "map", NULL
};

static const char *const blocks[] = {
    "address", "article", "blockquote", "body", "caption", "dd", "details",
    "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "h1",
    "h2", "h3", "h4", "h5", "h6", "hr", "li", "main", "ol", "p", "pre",
    "section", "summary", "table", "tbody", "thead", "tfoot", "tr", "ul",
    "header", "footer", "center", "legend", NULL
};

/* Class and id words that mark boilerplate; a class matches when one of
 * its words (split at anything not a letter or digit) is in the list, so
 * "main-menu" and "cookie_banner" match and "menus-of-options" does not. */
static const char *const boilerplate_words[] = {
    "nav", "navbar", "navigation", "menu", "menubar", "submenu", "footer",
    "sidebar", "cookie", "cookies", "breadcrumb", "breadcrumbs", "skiplink",
    NULL
};

static const char *const boilerplate_roles[] = {
    "navigation", "banner", "contentinfo", "complementary", "search", NULL
};

static gboolean
has_boilerplate_word(const char *value)
{
    g_auto(GStrv) words = NULL;
    g_autofree char *lower = NULL;

    if (!value)
        return FALSE;
    lower = g_ascii_strdown(value, -1);
    for (char *p = lower; *p; p++)
        if (!g_ascii_isalnum(*p))
            *p = ' ';
    words = g_strsplit(lower, " ", -1);
    for (guint i = 0; words[i]; i++)
        for (guint j = 0; boilerplate_words[j]; j++)
            if (strcmp(words[i], boilerplate_words[j]) == 0)
                return TRUE;
    return FALSE;
}

static gboolean
is_boilerplate(xmlNode *n)
{
    g_autofree char *role = NULL, *cls = NULL, *id = NULL, *hidden = NULL;

    if (is(n, "html") || is(n, "body") || is(n, "main") || is(n, "article"))
        return FALSE;
    role = attr(n, "role");
    if (role) {
        for (guint i = 0; boilerplate_roles[i]; i++)
            if (g_ascii_strcasecmp(g_strstrip(role), boilerplate_roles[i]) == 0)
                return TRUE;
    }
    hidden = attr(n, "hidden");
    if (hidden)
        return TRUE;
    cls = attr(n, "class");
    id = attr(n, "id");
    return has_boilerplate_word(cls) || has_boilerplate_word(id);
}

typedef struct {
    GString *buf;               /* blocks separated by "\n\n" */
    gboolean space;             /* a space is due before the next text */
    gboolean keep_sections;     /* header/footer are the content's own */
} text_walk_t;

static void
block_break(text_walk_t *w)
{
    GString *b = w->buf;

    w->space = FALSE;
    if (b->len == 0 || (b->len >= 2 && b->str[b->len - 1] == '\n' &&
                        b->str[b->len - 2] == '\n'))
        return;
    if (b->str[b->len - 1] == '\n')
        g_string_append_c(b, '\n');
    else
        g_string_append(b, "\n\n");
}

static void
add_text(text_walk_t *w, const char *s, gboolean pre)
{
    GString *b = w->buf;

    if (pre) {
        if (w->space && b->len && b->str[b->len - 1] != '\n')
            g_string_append_c(b, ' ');
        w->space = FALSE;
        g_string_append(b, s);
        return;
    }
    for (; *s; s++) {
        if (g_ascii_isspace(*s)) {
            w->space = TRUE;
            continue;
        }
        if (w->space && b->len && b->str[b->len - 1] != '\n')
            g_string_append_c(b, ' ');
        w->space = FALSE;
        g_string_append_c(b, *s);
    }
}

static gboolean
inside_pre(xmlNode *n, xmlNode *root)
{
    for (; n && n != root->parent; n = n->parent)
        if (is(n, "pre"))
            return TRUE;
    return FALSE;
}

/* Appends the text under @root to @w->buf: block elements become blank
 * lines, <br> a line break, table cells a space; skipped and boilerplate
 * elements contribute nothing. */
static void
collect_text(xmlNode *root, text_walk_t *w)
{
    xmlNode *n = root;

    while (n) {
        gboolean descend = TRUE;

        if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
            if (n->content)
                add_text(w, (const char *)n->content, inside_pre(n, root));
        } else if (n->type == XML_ELEMENT_NODE) {
            if (n != root &&
                (is_any(n, skipped) || (!w->keep_sections &&
                                        (is(n, "header") || is(n, "footer")))
                 || is_boilerplate(n))) {
                descend = FALSE;
            } else if (is(n, "br")) {
                w->space = FALSE;
                g_string_append_c(w->buf, '\n');
            } else if (is(n, "td") || is(n, "th") || is(n, "img")) {
                w->space = TRUE;
            } else if (is_any(n, blocks)) {
                block_break(w);
            }
        } else {
            descend = FALSE;            /* comments, PIs, entities */
        }
        /* A block that ends also ends its paragraph: leaving a block is
         * seen as the next sibling's (or ancestor's sibling's) turn, so
         * every block start breaks, and so does the end of the walk. */
        if (!descend || !n->children) {
            for (xmlNode *up = n; up && up != root; up = up->parent) {
                if (up->type == XML_ELEMENT_NODE && is_any(up, blocks))
                    block_break(w);
                if (up->next)
                    break;
            }
        }
        n = walk_next(n, root, descend);
    }
}

/* The content root: <main> (or role="main"), else the only <article>;
 * NULL when neither exists. */
static xmlNode *
content_root(xmlNode *body)
{
    xmlNode *article = NULL;
    guint articles = 0;

    for (xmlNode *n = body; n; n = walk_next(n, body, TRUE)) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (is(n, "main"))
            return n;
        g_autofree char *role = attr(n, "role");
        if (role && g_ascii_strcasecmp(role, "main") == 0)
            return n;
        if (is(n, "article")) {
            if (!article)
                article = n;
            articles++;
        }
    }
    return articles == 1 ? article : NULL;
}

/* <main> or <article> wins when it holds at least 30% of the page's
 * (already de-boilerplated) text or 2 KB of it: less, and the page's real
 * content is elsewhere (a "main" that wraps a search box, say). */
static char *
main_text(xmlNode *body, gsize *len)
{
    text_walk_t all = { g_string_new(NULL), FALSE, FALSE };
    xmlNode *root = content_root(body);

    collect_text(body, &all);
    if (root) {
        text_walk_t part = { g_string_new(NULL), FALSE, TRUE };
        collect_text(root, &part);
        if (part.buf->len * 10 >= all.buf->len * 3 || part.buf->len >= 2048) {
            g_string_free(all.buf, TRUE);
            *len = part.buf->len;
            return g_string_free(part.buf, FALSE);
        }
        g_string_free(part.buf, TRUE);
    }
    *len = all.buf->len;
    return g_string_free(all.buf, FALSE);
}

/* ---------------------------------------------------------------- Links */

#define URI_FLAGS (G_URI_FLAGS_PARSE_RELAXED | G_URI_FLAGS_ENCODED | \
                   G_URI_FLAGS_SCHEME_NORMALIZE)

/* @href made absolute against @base (nullable), http(s) only, without its
 * fragment.  Returns: (transfer full) (nullable). */
static char *
resolve_link(GUri *base, const char *href)
{
    g_autofree char *h = g_strdup(href);
    g_autoptr(GUri) u = NULL;
    const char *scheme;
    char *w = h;
    gint port;

    /* Browsers drop tabs and newlines anywhere in a URL and spaces at
     * either end. */
    for (const char *r = h; *r; r++)
        if (*r != '\t' && *r != '\n' && *r != '\r')
            *w++ = *r;
    *w = '\0';
    g_strstrip(h);
    if (!*h || *h == '#')
        return NULL;
    u = base ? g_uri_parse_relative(base, h, URI_FLAGS, NULL)
             : g_uri_parse(h, URI_FLAGS, NULL);
    if (!u)
        return NULL;
    scheme = g_uri_get_scheme(u);
    if (!scheme || (g_ascii_strcasecmp(scheme, "http") != 0 &&
                    g_ascii_strcasecmp(scheme, "https") != 0) ||
        !g_uri_get_host(u) || !*g_uri_get_host(u))
        return NULL;
    /* SCHEME_NORMALIZE fills in the default port; written out it would
     * make "https://a/" and "https://a:443/" two links. */
    port = g_uri_get_port(u);
    if ((port == 80 && g_ascii_strcasecmp(scheme, "http") == 0) ||
        (port == 443 && g_ascii_strcasecmp(scheme, "https") == 0))
        port = -1;
    return g_uri_join(G_URI_FLAGS_ENCODED, scheme, g_uri_get_userinfo(u),
                      g_uri_get_host(u), port, g_uri_get_path(u),
                      g_uri_get_query(u), NULL);
}

static void
collect_links(xmlNode *root, GUri *base, GPtrArray *links)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

    for (xmlNode *n = root; n; n = walk_next(n, root, TRUE)) {
        if (!is(n, "a") && !is(n, "area"))
            continue;
        g_autofree char *href = attr(n, "href");
        char *abs = href ? resolve_link(base, href) : NULL;
        if (!abs)
            continue;
        if (g_hash_table_contains(seen, abs)) {
            g_free(abs);
            continue;
        }
        g_ptr_array_add(links, abs);
        g_hash_table_add(seen, abs);    /* owned by @links */
    }
}

/* ---------------------------------------------------------------- Head */

/* A <meta>'s content by name= or property=, case-insensitive.
 * Returns: (transfer full) (nullable). */
static char *
meta_content(xmlNode *root, const char *key)
{
    for (xmlNode *n = root; n; n = walk_next(n, root, TRUE)) {
        if (!is(n, "meta"))
            continue;
        g_autofree char *name = attr(n, "name");
        g_autofree char *prop = attr(n, "property");
        if ((name && g_ascii_strcasecmp(name, key) == 0) ||
            (prop && g_ascii_strcasecmp(prop, key) == 0)) {
            char *content = attr(n, "content");
            if (content && *content)
                return content;
            g_free(content);
        }
    }
    return NULL;
}

static char *
nonblank_text(xmlNode *n)
{
    char *s = n ? node_text(n) : NULL;

    if (s && !*g_strstrip(s)) {
        g_free(s);
        return NULL;
    }
    return s;
}

/* The base for links: <base href> resolved against the input URL. */
static GUri *
link_base(xmlNode *root, const char *url)
{
    g_autoptr(GUri) page = url ? g_uri_parse(url, URI_FLAGS, NULL) : NULL;
    xmlNode *b = find_first(root, "base");
    g_autofree char *href = b ? attr(b, "href") : NULL;

    if (href && *g_strstrip(href)) {
        GUri *u = page ? g_uri_parse_relative(page, href, URI_FLAGS, NULL)
                       : g_uri_parse(href, URI_FLAGS, NULL);
        if (u)
            return u;
    }
    return page ? g_uri_ref(page) : NULL;
}

/* ---------------------------------------------------------------- Backend */

/* Script and style contents reach the tree through the cdataBlock SAX
 * callback alone; dropping them there keeps 10 MB of inline script out of
 * the tree (no copy, no growth of one huge text node). */
static void
skip_cdata(void *ctx, const xmlChar *value, int len)
{
    (void)ctx;
    (void)value;
    (void)len;
}

/* Bytes to parse, in UTF-8: the BOM, the HTTP charset, then <meta>
 * decide, each only if the bytes fit what it says (see
 * extract__charset_choose()).  Sets @charset (transfer full).
 * Returns: (transfer full) (nullable): a converted copy, or NULL when
 * @in's bytes (from @skip on) can be parsed as they are. */
static char *
to_utf8(const extract_input_t *in, gsize *skip, gsize *len, char **charset)
{
    const guint8 *d = in->data;
    char meta[64];
    const char *declared = in->charset, *cs;
    char *conv;

    *skip = 0;
    *len = in->len;
    if (in->len >= 3 && memcmp(d, "\xef\xbb\xbf", 3) == 0) {
        *skip = 3;
        *len -= 3;
        *charset = g_strdup("utf-8");
        cs = "utf-8";
    } else if (in->len >= 2 && (memcmp(d, "\xff\xfe", 2) == 0 ||
                                memcmp(d, "\xfe\xff", 2) == 0)) {
        cs = d[0] == 0xff ? "utf-16le" : "utf-16be";
        *charset = g_strdup(cs);
        return extract__charset_convert(d + 2, in->len - 2, cs, len);
    } else {
        if (!declared || !*declared)
            declared = html_meta_charset(d, in->len, meta, sizeof(meta))
                       ? meta : NULL;
        cs = extract__charset_choose(d, in->len, declared);
        *charset = g_ascii_strdown(cs, -1);
    }
    if (g_ascii_strcasecmp(cs, "utf-8") == 0 ||
        g_ascii_strcasecmp(cs, "utf8") == 0) {
        /* libxml2 gives up on UTF-8 at the first bad byte and re-reads the
         * rest as Latin-1, so stray bytes are replaced first. */
        if (g_utf8_validate((const char *)d + *skip, (gssize)*len, NULL))
            return NULL;
        conv = g_utf8_make_valid((const char *)d + *skip, (gssize)*len);
        *len = strlen(conv);
        return conv;
    }
    return extract__charset_convert(d, in->len, cs, len);
}

static gboolean
html_run(const extract_input_t *in, const extract_limits_t *limits,
         extract_result_t *out, GError **error)
{
    g_autofree char *conv = NULL;
    g_autofree char *text = NULL;
    const char *buf;
    gsize skip, len, tlen;
    htmlParserCtxtPtr ctxt;
    htmlDocPtr doc;
    xmlNode *root, *body, *title;
    g_autoptr(GUri) base = NULL;
    g_autofree char *lang = NULL;

    (void)limits;
    conv = to_utf8(in, &skip, &len, &out->charset);
    buf = conv ? conv : (const char *)in->data + skip;
    if (len > G_MAXINT) {
        g_set_error(error, EXTRACT_ERROR, EXTRACT_ERROR_TOO_LARGE,
                    "HTML larger than 2 GB");
        return FALSE;
    }
    ctxt = htmlNewParserCtxt();
    if (!ctxt) {
        g_set_error(error, EXTRACT_ERROR, EXTRACT_ERROR_BACKEND,
                    "libxml2: cannot create a parser");
        return FALSE;
    }
    ctxt->sax->cdataBlock = skip_cdata;
    doc = htmlCtxtReadMemory(ctxt, buf, (int)len, in->url, "UTF-8",
                             HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
                             HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
                             HTML_PARSE_COMPACT | HTML_PARSE_IGNORE_ENC);
    htmlFreeParserCtxt(ctxt);
    root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (!root) {
        if (doc)
            xmlFreeDoc(doc);
        /* Markup with nothing in it (a lone comment, say) is an empty
         * page, not a broken one. */
        return TRUE;
    }

    title = find_first(root, "title");
    out->title = nonblank_text(title);
    if (!out->title)
        out->title = meta_content(root, "og:title");
    if (!out->title)
        out->title = nonblank_text(find_first(root, "h1"));
    out->description = meta_content(root, "description");
    if (!out->description)
        out->description = meta_content(root, "og:description");
    lang = attr(root, "lang");
    if (lang && *lang) {
        char *dash = strchr(lang, '-');
        if (dash)
            *dash = '\0';
        g_free(out->lang);
        out->lang = g_ascii_strdown(g_strstrip(lang), -1);
    }

    base = link_base(root, in->url);
    collect_links(root, base, out->links);

    body = find_first(root, "body");
    text = main_text(body ? body : root, &tlen);
    extract__passages_split(text, tlen, out->pages);
    xmlFreeDoc(doc);
    return TRUE;
}

static const char *const html_types[] = {
    "text/html", "application/xhtml+xml", NULL
};

const extract_backend_t extract__backend_html = {
    "html", html_types, html_run,
};
