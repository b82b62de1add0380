/* suggest.c -- suggestions for the search box: completions of known
 * phrases (organizations, themes, countries, kinds, titles) and of the
 * last word typed, ranked by how many documents they would find. */
#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "searchd-int.h"

/* Titles longer than this are sentences, not phrases anyone types. */
#define MAX_PHRASE_CHARS    120
/* The phrase list reads every document once per revision; beyond this
 * many documents the titles are left out (labels are always in). */
#define MAX_TITLE_DOCS      200000
/* Index terms looked at per word completion, by the length of the
 * prefix: a one-letter prefix over a large index has tens of thousands,
 * and the most frequent among them are not worth an unbounded scan (the
 * ranking is then over the first terms in order); longer prefixes have
 * few enough to rank them all. */
static const size_t max_word_scan[] = {0, 1000, 4000, 20000};

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

/* Adds @text (or counts it once more when already there, by key). */
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
        p->count += count;
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

/* The labels of the vocabularies, each counted by its boolean term. */
static void
add_labels(xc_db_t *db, GPtrArray *phrases, GHashTable *by_key)
{
    JsonObject *labels = sd_facets_labels(db);
    size_t k;

    /* The fields with a vocabulary are those XC_META_LABELS has. */
    for (k = 0; labels && k < XC_FIELD_N; k++) {
        const xc_field_info_t *field = &xc_fields[k];
        JsonNode *n = json_object_get_member(labels, field->name);
        g_autoptr(GList) slugs = NULL;
        GList *l;

        if (!n || !JSON_NODE_HOLDS_OBJECT(n))
            continue;
        slugs = json_object_get_members(json_node_get_object(n));
        for (l = slugs; l; l = l->next) {
            JsonNode *v = json_object_get_member(json_node_get_object(n),
                                                 l->data);
            g_autofree char *term = g_strconcat(field->prefix, l->data,
                                                NULL);
            uint64_t count = 0;

            if (!JSON_NODE_HOLDS_VALUE(v)
                || json_node_get_value_type(v) != G_TYPE_STRING
                || xc_db_termfreq(db, term, &count) != XC_OK || !count)
                continue;
            add_phrase(phrases, by_key, json_node_get_string(v), count,
                       field->name);
        }
    }
}

static int
collect_id(const char *term, uint64_t freq, void *rock)
{
    (void)freq;
    g_ptr_array_add(rock, g_strdup(term + strlen(XC_PREFIX_ID)));
    return 0;
}

/* Every document's title; a title several documents share (an entry and
 * the document it cites) counts each. */
static gboolean
add_titles(xc_db_t *db, GPtrArray *phrases, GHashTable *by_key,
           GError **error)
{
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
    xc_status_t st = xc_db_allterms(db, XC_PREFIX_ID, MAX_TITLE_DOCS,
                                    collect_id, ids);
    guint i;

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
    add_labels(db, phrases, by_key);
    if (!add_titles(db, phrases, by_key, error))
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

/* Where @needle starts a word of @key: 0 at the start, 1 inside, -1
 * nowhere. */
static int
word_match(const char *key, const char *needle)
{
    const char *p = key;

    if (g_str_has_prefix(key, needle))
        return 0;
    for (p = strchr(p, ' '); p; p = strchr(p, ' ')) {
        p++;
        if (g_str_has_prefix(p, needle))
            return 1;
    }
    return -1;
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

/* Index terms that are words a person would type: no prefix (those
 * start with a capital), not a one- or two-letter word, no stopword. */
static int
collect_word(const char *term, uint64_t freq, void *rock)
{
    words_ctx_t *ctx = rock;
    suggestion_t s;

    if (g_utf8_strlen(term, -1) < 3 || g_ascii_isupper(term[0])
        || g_strv_contains(stopwords, term))
        return 0;
    s.text = g_strconcat(ctx->head, term, NULL);
    s.count = freq;
    s.source = "word";
    s.tier = 0;
    g_array_append_val(ctx->out, s);
    return 0;
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
