/* query.c -- turns a checked /search request into an xc_query_t: the
 * user's text through Xapian's parser, the facet filters as boolean
 * terms. */
#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "searchd-int.h"

static void
filter_free(gpointer data)
{
    sd_filter_t *f = data;

    g_ptr_array_unref(f->values);
    if (f->qualified)
        g_ptr_array_unref(f->qualified);
    g_free(f);
}

void
sd_search_req_init(sd_search_req_t *req)
{
    memset(req, 0, sizeof(*req));
    req->filters = g_ptr_array_new_with_free_func(filter_free);
    req->limit = SD_DEFAULT_LIMIT;
    req->sort = -1;
    req->snippets = TRUE;
}

void
sd_search_req_clear(sd_search_req_t *req)
{
    g_clear_pointer(&req->q, g_free);
    g_clear_pointer(&req->corrected, g_free);
    g_clear_pointer(&req->filters, g_ptr_array_unref);
}

void
sd_search_req_add_filter(sd_search_req_t *req, const char *prefix,
                         const char *value)
{
    g_autofree char *slug = xc_slug(value);
    sd_filter_t *f = NULL;
    guint i;

    if (!*slug)
        return;
    for (i = 0; i < req->filters->len; i++) {
        sd_filter_t *cand = g_ptr_array_index(req->filters, i);

        if (g_str_equal(cand->prefix, prefix))
            f = cand;
    }
    if (!f) {
        f = g_new0(sd_filter_t, 1);
        f->prefix = prefix;
        f->values = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(req->filters, f);
    }
    g_ptr_array_add(f->values, g_steal_pointer(&slug));
}

/* Whether @q uses the field @name ("status") of the query syntax: the
 * name right after the start, a space, '(' or a sign, then ':'. */
static gboolean
text_has_field(const char *q, const char *name)
{
    size_t len = strlen(name);

    for (const char *p = q ? strstr(q, name) : NULL; p;
         p = strstr(p + 1, name))
        if ((p == q || strchr(" \t(+-", p[-1])) && p[len] == ':')
            return TRUE;
    return FALSE;
}

void
sd_search_req_finish(sd_search_req_t *req)
{
    /* The fields whose tags have a source (the indexer's tag_sources). */
    static const char *const tagged[] = {
        XC_PREFIX_ORG, XC_PREFIX_THEME, XC_PREFIX_COUNTRY, XC_PREFIX_YEAR,
    };
    const sd_filter_t *origins =
        sd_search_req_filter(req, XC_PREFIX_TAGSRC);

    /* A title-only document only repeats a title its entry's text holds,
     * so the entry answers whatever the document would; asking for a
     * status is asking for documents as they are. */
    req->fold_title_only =
        !sd_search_req_filter(req, XC_PREFIX_STATUS)
        && !text_has_field(req->q, xc_fields[XC_FIELD_STATUS].query);

    for (guint i = 0; origins && i < req->filters->len; i++) {
        sd_filter_t *f = g_ptr_array_index(req->filters, i);

        for (gsize t = 0; t < G_N_ELEMENTS(tagged); t++) {
            if (!g_str_equal(f->prefix, tagged[t]))
                continue;
            f->qualified = g_ptr_array_new_with_free_func(g_free);
            for (guint v = 0; v < f->values->len; v++)
                for (guint o = 0; o < origins->values->len; o++)
                    g_ptr_array_add(f->qualified, g_strconcat(
                        (char *)g_ptr_array_index(origins->values, o), ":",
                        f->prefix, (char *)g_ptr_array_index(f->values, v),
                        NULL));
        }
    }
}

const sd_filter_t *
sd_search_req_filter(const sd_search_req_t *req, const char *prefix)
{
    guint i;

    for (i = 0; i < req->filters->len; i++) {
        const sd_filter_t *f = g_ptr_array_index(req->filters, i);

        if (g_str_equal(f->prefix, prefix))
            return f;
    }
    return NULL;
}

const char *const sd_status_names[SD_STATUS_N] = {
#define SD__STATUS_NAME(id, name, label) name,
    XC_DOC_STATUS_LIST(SD__STATUS_NAME)
#undef SD__STATUS_NAME
};

gboolean
sd_search_req_narrows(const sd_search_req_t *req, const char *prefix)
{
    return sd_search_req_filter(req, prefix)
        || (req->fold_title_only && g_str_equal(prefix, XC_PREFIX_STATUS));
}

static int
count_term(const char *term, uint64_t freq, void *rock)
{
    (void)term;
    (void)freq;
    ++*(size_t *)rock;
    return 0;
}

/* Xapian expands a wildcard before matching starts, out of reach of the
 * time limit, and keeping the XC_MAX_EXPANSION most frequent words means
 * reading every word it matches: 0.5-1 s for "wq*" over 300,000 words,
 * eight times that for eight of them.  A wildcard matching more than
 * SD_MAX_WILDCARD_WORDS words is refused before that, the count itself
 * bounded by the same number. */
static gboolean
wildcards_ok(xc_db_t *db, const char *text, GError **error)
{
    const char *p;

    for (p = strchr(text, '*'); p; p = strchr(p + 1, '*')) {
        const char *start = p;
        g_autofree char *word = NULL;
        size_t n = 0;
        xc_status_t st;

        while (start > text) {
            const char *prev = g_utf8_find_prev_char(text, start);

            if (!prev || !g_unichar_isalnum(g_utf8_get_char(prev)))
                break;
            start = prev;
        }
        if (start == p)
            continue;           /* no word: Xapian ignores the '*' */
        word = g_utf8_strdown(start, p - start);
        st = xc_db_allterms(db, word, SD_MAX_WILDCARD_WORDS + 1, count_term,
                            &n);
        if (st != XC_OK)
            return sd_index_fail(db, st, "cannot expand wildcard", error);
        if (n > SD_MAX_WILDCARD_WORDS) {
            g_set_error(error, SD_ERROR, SD_ERROR_BAD_QUERY,
                        "'%s*' matches more than %d words; type more of "
                        "the word", word, SD_MAX_WILDCARD_WORDS);
            return FALSE;
        }
    }
    return TRUE;
}

xc_query_t *
sd_query_build(xc_db_t *db, const sd_search_req_t *req, GError **error)
{
    const char *text = req->use_corrected ? req->corrected : req->q;
    xc_query_t *q = NULL;
    xc_status_t st;

    if (text && !wildcards_ok(db, text, error))
        return NULL;
    /* Synonyms always expand acronyms and organization aliases. */
    st = xc_query_parse(db, text ? text : "", XC_PARSE_SYNONYMS, &q);
    /* A search that runs past the bound (a huge OR counted for facets,
     * say) is refused with 503 "timeout" rather than left to hold a
     * thread. */
    if (st == XC_OK)
        st = xc_query_set_time_limit(q, SD_QUERY_SECONDS);
    if (st != XC_OK) {
        sd_index_fail(db, st, "cannot parse query", error);
        xc_query_free(q);
        return NULL;
    }
    return q;
}

size_t
sd_search_filters(const sd_search_req_t *req, const char *skip_prefix,
                  xc_filter_t *out)
{
    size_t n = 0;

    if (req->fold_title_only
        && !(skip_prefix && g_str_equal(skip_prefix, XC_PREFIX_STATUS)))
        out[n++] = (xc_filter_t){XC_PREFIX_STATUS,
                                 &sd_status_names[SD_STATUS_TITLE_ONLY], 1, 1};
    for (guint i = 0; i < req->filters->len; i++) {
        const sd_filter_t *f = g_ptr_array_index(req->filters, i);

        if (skip_prefix && g_str_equal(f->prefix, skip_prefix))
            continue;
        out[n++] = f->qualified
            ? (xc_filter_t){XC_PREFIX_TAGSRC,
                            (const char *const *)f->qualified->pdata,
                            f->qualified->len, 0}
            : (xc_filter_t){f->prefix,
                            (const char *const *)f->values->pdata,
                            f->values->len, 0};
    }
    return n;
}

/* Operators of the query syntax, which are not words to correct. */
static const char *const operators[] = {
    "AND", "OR", "NOT", "XOR", "NEAR", "ADJ", NULL,
};

/* Appends to @out the word @word (@len bytes), or its spelling
 * correction when the index has no such word but a close one, while
 * *@budget lasts (each unknown word spends one).  Returns TRUE when it
 * corrected. */
static gboolean
correct_word(xc_db_t *db, GString *out, const char *word, size_t len,
             guint *budget)
{
    g_autofree char *lower = g_utf8_strdown(word, (gssize)len);
    char *suggestion = NULL;
    int known = 0;
    gboolean done = FALSE;
    const char *p;

    /* Short words and anything with digits are too easily "corrected"
     * into another real word (a year, an acronym). */
    for (p = lower; *p; p++)
        if (g_ascii_isdigit(*p))
            goto keep;
    if (g_utf8_strlen(lower, -1) < 4
        || xc_db_word_known(db, lower, &known) != XC_OK || known
        || *budget == 0)
        goto keep;
    --*budget;
    if (xc_db_spell(db, lower, &suggestion) == XC_OK && suggestion
        && *suggestion) {
        g_string_append(out, suggestion);
        done = TRUE;
    }
    free(suggestion);
    if (done)
        return TRUE;
keep:
    g_string_append_len(out, word, (gssize)len);
    return FALSE;
}

/* Xapian's own correction (FLAG_SPELLING_CORRECTION) also "corrects"
 * words the index has ("prisons" into the more frequent "prison"), so
 * the words are checked here: only a word the index does not know
 * (xc_db_word_known(): not in any document, in no case form, not an
 * acronym or glossary term) is replaced, by the closest word of the
 * spelling data.  Field values
 * ("org:unodc", "year:2019") and operators are left alone. */
char *
sd_query_correct(xc_db_t *db, const char *q)
{
    g_autoptr(GString) out = g_string_new(NULL);
    gboolean changed = FALSE;
    guint budget = SD_MAX_CORRECTIONS;
    const char *p = q;

    while (*p) {
        const char *end = p;
        size_t i;
        gboolean literal = FALSE;

        if (g_ascii_isspace(*p)) {
            g_string_append_c(out, *p++);
            continue;
        }
        while (*end && !g_ascii_isspace(*end))
            end++;
        /* A field value, or a wildcard: "wqab*" is no misspelling. */
        if (memchr(p, ':', (size_t)(end - p))
            || memchr(p, '*', (size_t)(end - p)))
            literal = TRUE;
        for (i = 0; operators[i] && !literal; i++)
            if ((size_t)(end - p) == strlen(operators[i])
                && strncmp(p, operators[i], (size_t)(end - p)) == 0)
                literal = TRUE;
        while (p < end) {
            const char *w = p;

            if (literal || !g_unichar_isalnum(g_utf8_get_char(p))) {
                const char *next = literal ? end : g_utf8_next_char(p);

                g_string_append_len(out, p, next - p);
                p = next;
                continue;
            }
            while (p < end && g_unichar_isalnum(g_utf8_get_char(p)))
                p = g_utf8_next_char(p);
            changed |= correct_word(db, out, w, (size_t)(p - w), &budget);
        }
    }
    return changed ? g_strdup(out->str) : NULL;
}
