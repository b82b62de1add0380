/* suggest.c -- suggestions for the search box: known phrases
 * (organizations, themes, countries, kinds, titles) holding the typed
 * words in order, and completions of the last word typed that continue
 * the words before it as a phrase of the indexed text, ranked by how many
 * documents they would find. */
#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "searchd-int.h"

/* Titles longer than this are sentences, not phrases anyone types. */
#define MAX_PHRASE_CHARS    120
/* Index terms looked at per word completion, by the length of the
 * prefix: a one-letter prefix over a large index has tens of thousands,
 * and the most frequent among them are not worth an unbounded scan (the
 * ranking is then over the first terms in order); longer prefixes have
 * few enough to rank them all. */
static const size_t max_word_scan[] = {0, 1000, 4000, 20000};
/* Completions after earlier words are each checked as a phrase (one
 * positional match), the most frequent words first, this many at most. */
#define MAX_PHRASE_CHECKS   24

typedef struct {
    char *text;                 /* as shown */
    char *key;                  /* lower case, single spaces */
    uint64_t count;             /* documents it finds */
    const char *source;         /* static: "org", "title", ... */
} phrase_t;

static void
phrase_free(gpointer data)
{
    phrase_t *p = data;

    g_free(p->text);
    g_free(p->key);
    g_free(p);
}

/* Returns: (transfer full): @text lower-cased with runs of white space
 * made one space and none at either end. */
static char *
normalize(const char *text)
{
    g_autofree char *lower = g_utf8_strdown(text, -1);
    g_auto(GStrv) words = g_strsplit_set(lower, " \t\r\n\f\v", -1);
    GString *out = g_string_new(NULL);
    size_t i;

    for (i = 0; words[i]; i++) {
        if (!*words[i])
            continue;
        if (out->len)
            g_string_append_c(out, ' ');
        g_string_append(out, words[i]);
    }
    return g_string_free(out, FALSE);
}

/* ---------------------------------------------------------------- Phrases */

/* The phrase list of one index revision, per HTTP thread, built on the
 * thread's first /suggest after the revision changed: no lock, and the
 * cost (one pass over the documents) is paid once per commit -- and no
 * more often than REBUILD_FACTOR times the last build took, so that an
 * indexer committing batch after batch into a large index does not make
 * every other suggestion a rebuild (the list is then a little stale). */
#define REBUILD_FACTOR      100

/* (element-type phrase_t), for one revision. */
static GPrivate phrase_key = G_PRIVATE_INIT(sd_rev_cache_free);

/* Adds @text; when already there (by key), a title several documents
 * share counts each, while a label met again under another source (a
 * theme named like an acronym's expansion) keeps the larger count:
 * those count the same documents twice. */
static void
add_phrase(GPtrArray *phrases, GHashTable *by_key, const char *text,
           uint64_t count, const char *source)
{
    g_autofree char *key = normalize(text);
    phrase_t *p;

    if (!*key || g_utf8_strlen(key, -1) > MAX_PHRASE_CHARS)
        return;
    p = g_hash_table_lookup(by_key, key);
    if (p) {
        if (g_str_equal(p->source, source))
            p->count += count;
        else
            p->count = MAX(p->count, count);
        return;
    }
    p = g_new0(phrase_t, 1);
    p->text = g_strstrip(g_strdup(text));
    p->key = g_steal_pointer(&key);
    p->count = count;
    p->source = source;
    g_ptr_array_add(phrases, p);
    g_hash_table_insert(by_key, p->key, p);
}

static gboolean phrase_count(xc_db_t *db, const char *text, uint64_t *count,
                             GError **error);

/* Adds the phrases of @member of XC_META_LABELS ({slug: text}), each
 * counted by its boolean term @prefix + slug, or as a phrase when
 * @prefix is NULL. */
static gboolean
add_member(xc_db_t *db, JsonObject *labels, const char *member,
           const char *prefix, const char *source, GPtrArray *phrases,
           GHashTable *by_key, GError **error)
{
    JsonNode *n = json_object_get_member(labels, member);
    g_autoptr(GList) slugs = NULL;
    GList *l;

    if (!n || !JSON_NODE_HOLDS_OBJECT(n))
        return TRUE;
    slugs = json_object_get_members(json_node_get_object(n));
    for (l = slugs; l; l = l->next) {
        JsonNode *v = json_object_get_member(json_node_get_object(n),
                                             l->data);
        g_autofree char *term = NULL;
        uint64_t count = 0;
        const char *text;

        if (!JSON_NODE_HOLDS_VALUE(v)
            || json_node_get_value_type(v) != G_TYPE_STRING)
            continue;
        text = json_node_get_string(v);
        if (prefix) {
            term = g_strconcat(prefix, l->data, NULL);
            if (xc_db_termfreq(db, term, &count) != XC_OK)
                continue;
        } else if (!phrase_count(db, text, &count, error)) {
            return FALSE;
        }
        if (count)
            add_phrase(phrases, by_key, text, count, source);
    }
    return TRUE;
}

/* The labels of the vocabularies, each counted by its boolean term, and
 * the long forms: organization names (counted as their organization)
 * and acronym expansions (counted as the phrase). */
static gboolean
add_labels(xc_db_t *db, GPtrArray *phrases, GHashTable *by_key,
           GError **error)
{
    static const struct {
        const char *member;
        const char *prefix;
        const char *source;
    } long_forms[] = {
        {"org_names", XC_PREFIX_ORG, "org"},
        {"acronym_names", NULL, "acronym"},
    };
    JsonObject *labels = sd_facets_labels(db);
    size_t k;

    /* The fields with a vocabulary are those XC_META_LABELS has. */
    for (k = 0; labels && k < XC_FIELD_N; k++)
        if (!add_member(db, labels, xc_fields[k].name, xc_fields[k].prefix,
                        xc_fields[k].name, phrases, by_key, error))
            return FALSE;
    for (k = 0; labels && k < G_N_ELEMENTS(long_forms); k++)
        if (!add_member(db, labels, long_forms[k].member,
                        long_forms[k].prefix, long_forms[k].source, phrases,
                        by_key, error))
            return FALSE;
    return TRUE;
}

static int
collect_id(const char *term, uint64_t freq, void *rock)
{
    (void)freq;
    g_ptr_array_add(rock, g_strdup(term + strlen(XC_PREFIX_ID)));
    return 0;
}

/* The titles a sharded index's indexer stored in its query-side
 * database (XC_META_TITLES), which is local: over remote shards, reading
 * each document costs a round trip (10.7 s at 5,000 documents).  FALSE
 * when @db is a single index, or a stub from before the list (then the
 * documents are read). */
static gboolean
add_stored_titles(xc_db_t *db, GPtrArray *phrases, GHashTable *by_key)
{
    unsigned total = 0, failed = 0;
    g_autofree char *json = NULL;
    g_autoptr(JsonNode) node = NULL;
    JsonArray *titles;
    guint i;

    xc_db_shards(db, &total, &failed);
    if (!total || xc_db_get_metadata(db, XC_META_TITLES, &json) != XC_OK
        || !json || !*json)
        return FALSE;
    node = sd_json_parse(json);
    if (!node || !JSON_NODE_HOLDS_ARRAY(node))
        return FALSE;
    titles = json_node_get_array(node);
    for (i = 0; i < json_array_get_length(titles); i++) {
        JsonNode *t = json_array_get_element(titles, i);

        if (JSON_NODE_HOLDS_VALUE(t)
            && json_node_get_value_type(t) == G_TYPE_STRING)
            add_phrase(phrases, by_key, json_node_get_string(t), 1, "title");
    }
    return TRUE;
}

/* Every document's title; a title several documents share (an entry and
 * the document it cites) counts each. */
static gboolean
add_titles(xc_db_t *db, GPtrArray *phrases, GHashTable *by_key,
           GError **error)
{
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
    xc_status_t st;
    guint i;

    if (add_stored_titles(db, phrases, by_key))
        return TRUE;
    st = xc_db_allterms(db, XC_PREFIX_ID, XC_TITLES_MAX, collect_id, ids);
    if (st != XC_OK)
        return sd_index_fail(db, st, "cannot list documents", error);
    for (i = 0; i < ids->len; i++) {
        char *data = NULL;
        g_autoptr(JsonNode) node = NULL;
        JsonNode *title;

        st = xc_db_get_data(db, g_ptr_array_index(ids, i), &data);
        if (st == XC_ERR_NOT_FOUND)
            continue;
        if (st != XC_OK)
            return sd_index_fail(db, st, "cannot read document", error);
        node = sd_json_parse(data);
        free(data);
        if (!node || !JSON_NODE_HOLDS_OBJECT(node))
            continue;
        title = json_object_get_member(json_node_get_object(node), "title");
        if (title && JSON_NODE_HOLDS_VALUE(title)
            && json_node_get_value_type(title) == G_TYPE_STRING)
            add_phrase(phrases, by_key, json_node_get_string(title), 1,
                       "title");
    }
    return TRUE;
}

/* Returns: (transfer none) (nullable): the phrase list of @db's
 * revision. */
static GPtrArray *
phrases_get(xc_db_t *db, GError **error)
{
    g_autoptr(GHashTable) by_key = NULL;
    g_autoptr(GPtrArray) phrases = NULL;
    uint64_t rev = 0;
    gboolean current = FALSE;
    sd_rev_cache_t *c = sd_rev_cache_get(&phrase_key, db, &rev, &current,
                                         error);
    gint64 t0 = g_get_monotonic_time();

    if (!c)
        return NULL;
    if (c->loaded && (current
                      || t0 - c->built_at < c->build_us * REBUILD_FACTOR))
        return c->value;
    phrases = g_ptr_array_new_with_free_func(phrase_free);
    by_key = g_hash_table_new(g_str_hash, g_str_equal);
    if (!add_labels(db, phrases, by_key, error)
        || !add_titles(db, phrases, by_key, error))
        return NULL;
    sd_rev_cache_set(c, rev, g_steal_pointer(&phrases),
                     (GDestroyNotify)g_ptr_array_unref);
    c->build_us = c->built_at - t0;
    return c->value;
}

/* ---------------------------------------------------------------- Matching */

typedef struct {
    char *text;                 /* owned */
    uint64_t count;
    const char *source;
    int tier;                   /* 0: starts with the query; 1: a word */
} suggestion_t;

static void
suggestion_clear(gpointer data)
{
    g_free(((suggestion_t *)data)->text);
}

/* More documents first; then a match at the start before one inside;
 * then alphabetical, so that the order is stable. */
static gint
by_count(gconstpointer a, gconstpointer b)
{
    const suggestion_t *x = a, *y = b;

    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    if (x->tier != y->tier)
        return x->tier - y->tier;
    return g_strcmp0(x->text, y->text);
}

/* How the words of @q (the last one a prefix, the others whole words or
 * their beginnings) occur in @key, in order: 0 together at its start, 1
 * together inside, 2 apart; -1 not all in order. */
static int
word_match(const char *key, const char *q)
{
    g_auto(GStrv) kw = g_strsplit(key, " ", -1);
    g_auto(GStrv) qw = g_strsplit(q, " ", -1);
    guint k, i = 0, first = 0;
    gboolean together = TRUE;

    for (k = 0; kw[k] && qw[i]; k++) {
        if (!*qw[i] || !g_str_has_prefix(kw[k], qw[i])) {
            if (i > 0)
                together = FALSE;
            continue;
        }
        if (i == 0)
            first = k;
        i++;
    }
    if (qw[i] && *qw[i])
        return -1;
    if (!together)
        return 2;
    return first == 0 ? 0 : 1;
}

static void
match_phrases(GPtrArray *phrases, const char *q, GArray *out)
{
    guint i;

    for (i = 0; i < phrases->len; i++) {
        const phrase_t *p = g_ptr_array_index(phrases, i);
        int tier = word_match(p->key, q);
        suggestion_t s;

        if (tier < 0)
            continue;
        s.text = g_strdup(p->text);
        s.count = p->count;
        s.source = p->source;
        s.tier = tier;
        g_array_append_val(out, s);
    }
}

typedef struct {
    const char *head;           /* the words before the last one */
    GArray *out;
} words_ctx_t;

/* Frequent words that complete nothing anyone searches for. */
static const char *const stopwords[] = {
    "and", "are", "for", "from", "its", "not", "that", "the", "this", "was",
    "were", "with", NULL,
};

/* Whether @term is a word a person types: letters, with single hyphens
 * or apostrophes between them -- not an identifier's fragment
 * ("cbrn_module_", "a1b2"). */
static gboolean
is_word(const char *term)
{
    const char *p;
    gunichar prev = 0;

    for (p = term; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);

        if (c == '-' || c == '\'' || c == 0x2019) {
            if (!g_unichar_isalpha(prev) || !p[1])
                return FALSE;
        } else if (!g_unichar_isalpha(c)) {
            return FALSE;
        }
        prev = c;
    }
    return TRUE;
}

/* Index terms that are words a person would type: no prefix (those
 * start with a capital), not a one- or two-letter word, no stopword. */
static int
collect_word(const char *term, uint64_t freq, void *rock)
{
    words_ctx_t *ctx = rock;
    suggestion_t s;

    if (g_utf8_strlen(term, -1) < 3 || g_ascii_isupper(term[0])
        || g_strv_contains(stopwords, term) || !is_word(term))
        return 0;
    s.text = g_strconcat(ctx->head, term, NULL);
    s.count = freq;
    s.source = "word";
    s.tier = 0;
    g_array_append_val(ctx->out, s);
    return 0;
}

/* The documents holding @text as a phrase (0 when it does not parse). */
static gboolean
phrase_count(xc_db_t *db, const char *text, uint64_t *count, GError **error)
{
    g_autofree char *quoted = g_strdup_printf("\"%s\"", text);
    xc_search_opts_t opts = {.limit = 0, .check_at_least = SD_EXACT_TOTAL};
    xc_query_t *q = NULL;
    xc_mset_t *m = NULL;
    xc_status_t st;
    int exact;

    *count = 0;
    st = xc_query_parse(db, quoted, XC_PARSE_DEFAULT, &q);
    if (st == XC_ERR_QUERY)
        return TRUE;
    if (st == XC_OK)
        st = xc_search(q, &opts, &m);
    if (st == XC_OK)
        xc_mset_total(m, count, &exact);
    xc_mset_free(m);
    xc_query_free(q);
    if (st != XC_OK)
        return sd_index_fail(db, st, "cannot count a phrase", error);
    return TRUE;
}

/* Keeps, of the word completions @words (sorted, most frequent first),
 * those whose text the index holds as a phrase, counted as one; the
 * others follow the earlier words nowhere. */
static gboolean
keep_phrases(xc_db_t *db, GArray *words, GError **error)
{
    guint i, kept = 0;

    for (i = 0; i < words->len; i++) {
        suggestion_t *s = &g_array_index(words, suggestion_t, i);
        uint64_t n = 0;

        if (i < MAX_PHRASE_CHECKS && !phrase_count(db, s->text, &n, error))
            return FALSE;
        if (!n) {
            g_clear_pointer(&s->text, g_free);
            continue;
        }
        s->count = n;
        if (kept != i) {
            /* Moved: the slot left behind must not free the text when
             * g_array_set_size() clears it. */
            g_array_index(words, suggestion_t, kept) = *s;
            s->text = NULL;
        }
        kept++;
    }
    g_array_set_size(words, kept);
    return TRUE;
}

/* Moves up to @n suggestions from @from (sorted) to @to, skipping texts
 * already there. */
static void
take(GArray *from, guint *next, GArray *to, GHashTable *seen, size_t n)
{
    while (n > 0 && *next < from->len) {
        suggestion_t *s = &g_array_index(from, suggestion_t, *next);
        g_autofree char *key = normalize(s->text);

        (*next)++;
        if (g_hash_table_contains(seen, key))
            continue;
        g_hash_table_add(seen, g_steal_pointer(&key));
        g_array_append_val(to, *s);
        s->text = NULL;         /* moved */
        n--;
    }
}

JsonNode *
sd_suggest(xc_db_t *db, const char *q, size_t limit, GError **error)
{
    g_autofree char *norm = normalize(q ? q : "");
    g_autoptr(GArray) phr = g_array_new(FALSE, FALSE, sizeof(suggestion_t));
    g_autoptr(GArray) words = g_array_new(FALSE, FALSE,
                                          sizeof(suggestion_t));
    g_autoptr(GArray) out = g_array_new(FALSE, FALSE, sizeof(suggestion_t));
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash,
                                                       g_str_equal, g_free,
                                                       NULL);
    g_autoptr(JsonBuilder) b = json_builder_new();
    gint64 t0 = g_get_monotonic_time();
    guint next_p = 0, next_w = 0, i;

    g_array_set_clear_func(phr, suggestion_clear);
    g_array_set_clear_func(words, suggestion_clear);
    g_array_set_clear_func(out, suggestion_clear);
    if (*norm) {
        GPtrArray *phrases = phrases_get(db, error);
        const char *last = strrchr(norm, ' ');
        g_autofree char *head = last ? g_strndup(norm, last - norm + 1)
            : g_strdup("");
        words_ctx_t ctx = {head, words};
        /* Only the last word is completed: a query ending in a space
         * asks for phrases alone. */
        const char *prefix = last ? last + 1 : norm;
        xc_status_t st;

        if (!phrases)
            return NULL;
        match_phrases(phrases, norm, phr);
        if (*prefix && !g_str_has_suffix(q, " ")) {
            size_t chars = (size_t)g_utf8_strlen(prefix, -1);

            st = xc_db_allterms(db, prefix,
                                max_word_scan[MIN(chars, G_N_ELEMENTS(
                                    max_word_scan) - 1)],
                                collect_word, &ctx);
            if (st != XC_OK) {
                sd_index_fail(db, st, "cannot list terms", error);
                return NULL;
            }
        }
        g_array_sort(phr, by_count);
        g_array_sort(words, by_count);
        if (*head) {
            if (!keep_phrases(db, words, error))
                return NULL;
            g_array_sort(words, by_count);
        }
        /* Half the list for phrases, which name things, the rest for
         * words; either fills what the other leaves empty. */
        take(phr, &next_p, out, seen, (limit + 1) / 2);
        take(words, &next_w, out, seen, limit - out->len);
        take(phr, &next_p, out, seen, limit - out->len);
        g_array_sort(out, by_count);
    }
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "query");
    json_builder_add_string_value(b, q ? q : "");
    json_builder_set_member_name(b, "suggestions");
    json_builder_begin_array(b);
    for (i = 0; i < out->len; i++) {
        const suggestion_t *s = &g_array_index(out, suggestion_t, i);

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "text");
        json_builder_add_string_value(b, s->text);
        json_builder_set_member_name(b, "count");
        json_builder_add_int_value(b, (gint64)s->count);
        json_builder_set_member_name(b, "source");
        json_builder_add_string_value(b, s->source);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "took_ms");
    json_builder_add_double_value(b,
        (double)(g_get_monotonic_time() - t0) / 1000.0);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}
