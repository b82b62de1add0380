/* rank.c -- the order of a result page: BM25 as Xapian ranks it, with
 * near-duplicates (an entry and the documents it cites, the same text
 * twice) moved down so that they do not crowd the first page, and the
 * title-only documents an entry cites listed under it (its "folded"). */
#include <stdlib.h>
#include <string.h>

#include "schema.h"

#include "searchd-int.h"

void
sd_rank_slot_clear(gpointer data)
{
    g_free(((sd_rank_slot_t *)data)->duplicate_of);
}

/* Two hits are the same when their texts are: the text digest of
 * XC_SLOT_HASH ("DOC:TEXT[:STAMP]", indexer/writer.c) is equal.  Titles
 * are not enough -- the main UNODC/UNCCT/CTED prisons project and a
 * workshop of it share 48 letters of title, and two rows of one project
 * under two themes share the whole title while their texts differ, and
 * each answers on its own.  Returns: (transfer full) (nullable). */
static char *
text_key(const char *hash)
{
    const char *colon = hash ? strchr(hash, ':') : NULL;
    const char *end;

    if (!colon || !colon[1])
        return NULL;
    end = strchr(colon + 1, ':');
    return end ? g_strndup(colon + 1, (gsize)(end - colon - 1))
               : g_strdup(colon + 1);
}

/* What ranking needs of one hit, read from its record once per index
 * revision and HTTP thread: parsing 30 records per query would cost more
 * than the search. */
typedef struct {
    char *id;                   /* NULL when the record has none */
    char *text_key;             /* NULL when the hit has no text digest */
    GPtrArray *links;           /* ids it cites and ids citing it */
    gboolean is_entry;
    /* (element-type JsonObject) {"id", "title"} of the title-only
     * documents an entry cites, in its "cites" order: read on first use
     * (folded_of()). */
    GPtrArray *folded;
} hit_keys_t;

static void
hit_keys_free(gpointer data)
{
    hit_keys_t *k = data;

    g_free(k->id);
    g_free(k->text_key);
    g_ptr_array_unref(k->links);
    if (k->folded)
        g_ptr_array_unref(k->folded);
    g_free(k);
}

/* @hash: the hit's XC_SLOT_HASH value. */
static hit_keys_t *
hit_keys_new(JsonObject *o, const char *hash)
{
    static const char *const links[] = {"cites", "cited_by"};
    hit_keys_t *k = g_new0(hit_keys_t, 1);
    size_t n;
    guint i;

    k->links = g_ptr_array_new_with_free_func(g_free);
    if (!o)
        return k;
    k->id = g_strdup(json_object_get_string_member_with_default(o, "id",
                                                                NULL));
    k->text_key = text_key(hash);
    k->is_entry = g_strcmp0(json_object_get_string_member_with_default(
                                o, "type", NULL), "entry") == 0;
    for (n = 0; n < G_N_ELEMENTS(links); n++) {
        JsonNode *node = json_object_get_member(o, links[n]);
        JsonArray *a;

        if (!node || !JSON_NODE_HOLDS_ARRAY(node))
            continue;
        a = json_node_get_array(node);
        for (i = 0; i < json_array_get_length(a); i++) {
            const char *other = json_array_get_string_element(a, i);

            if (other)
                g_ptr_array_add(k->links, g_strdup(other));
        }
    }
    return k;
}

/* Entries beyond which the cache starts over, bounding its memory on a
 * large index. */
#define MAX_CACHED_HITS     100000

/* docid -> hit_keys_t (owned), for one revision. */
static GPrivate keys_key = G_PRIVATE_INIT(sd_rev_cache_free);

/* Returns: (transfer none) (nullable): the keys of hit @i. */
static const hit_keys_t *
hit_keys(xc_db_t *db, xc_mset_t *m, size_t i, GError **error)
{
    g_autoptr(JsonNode) node = NULL;
    unsigned docid = 0;
    uint64_t rev = 0;
    gboolean current = FALSE;
    sd_rev_cache_t *c = sd_rev_cache_get(&keys_key, db, &rev, &current,
                                         error);
    GHashTable *by_docid;
    hit_keys_t *k;
    xc_hit_t hit;
    xc_status_t st;
    char *hash = NULL;
    size_t len = 0;

    if (!c)
        return NULL;
    st = xc_mset_docid(m, i, &docid);
    if (st != XC_OK) {
        sd_index_fail(db, st, "cannot read hit", error);
        return NULL;
    }
    if (!current || !c->value
        || g_hash_table_size(c->value) >= MAX_CACHED_HITS)
        sd_rev_cache_set(c, rev,
                         g_hash_table_new_full(g_direct_hash, g_direct_equal,
                                               NULL, hit_keys_free),
                         (GDestroyNotify)g_hash_table_unref);
    by_docid = c->value;
    k = g_hash_table_lookup(by_docid, GUINT_TO_POINTER(docid));
    if (k)
        return k;
    st = xc_mset_hit(m, i, &hit);
    if (st != XC_OK) {
        sd_index_fail(db, st, "cannot read hit", error);
        return NULL;
    }
    st = xc_mset_value(m, i, XC_SLOT_HASH, &hash, &len);
    if (st != XC_OK) {
        sd_index_fail(db, st, "cannot read hit", error);
        return NULL;
    }
    node = sd_json_parse(hit.data);
    k = hit_keys_new(node && JSON_NODE_HOLDS_OBJECT(node)
                     ? json_node_get_object(node) : NULL, hash);
    free(hash);
    g_hash_table_insert(by_docid, GUINT_TO_POINTER(docid), k);
    return k;
}

/* Adds the keys under which hit @k is someone's near-duplicate: its id,
 * the ids it cites or is cited by, and its text's digest.  Each maps to
 * the id of @k. */
static void
add_keys(const hit_keys_t *k, GHashTable *keys)
{
    guint i;

    g_hash_table_insert(keys, g_strconcat("id:", k->id, NULL),
                        g_strdup(k->id));
    if (k->text_key)
        g_hash_table_insert(keys, g_strconcat("text:", k->text_key, NULL),
                            g_strdup(k->id));
    for (i = 0; i < k->links->len; i++)
        g_hash_table_insert(keys, g_strconcat("id:",
                                              (char *)g_ptr_array_index(
                                                  k->links, i), NULL),
                            g_strdup(k->id));
}

/* Returns: (transfer none) (nullable): the id of the hit already kept
 * that @k near-duplicates. */
static const char *
find_original(const hit_keys_t *k, GHashTable *keys)
{
    g_autofree char *by_id = g_strconcat("id:", k->id, NULL);
    const char *orig = g_hash_table_lookup(keys, by_id);

    if (!orig && k->text_key) {
        g_autofree char *by_text = g_strconcat("text:", k->text_key,
                                                NULL);

        orig = g_hash_table_lookup(keys, by_text);
    }
    return orig;
}

typedef struct {
    size_t index;
    double key;
    char *duplicate_of;         /* owned */
} entry_t;

static void
entry_clear(gpointer data)
{
    g_free(((entry_t *)data)->duplicate_of);
}

static gint
by_key(gconstpointer a, gconstpointer b)
{
    const entry_t *x = a, *y = b;

    return x->key < y->key ? -1 : x->key > y->key;
}

/* Gives each near-duplicate in @all the key that puts it right after the
 * SD_DIVERSIFY_DEMOTE-th distinct hit following it, or at the end of the
 * window, in its order, when fewer follow: a first page of up to that
 * many hits then holds distinct hits only, whenever there are enough. */
static void
place_duplicates(GArray *all)
{
    g_autoptr(GArray) distinct = g_array_new(FALSE, FALSE, sizeof(size_t));
    size_t i, before = 0;

    for (i = 0; i < all->len; i++)
        if (!g_array_index(all, entry_t, i).duplicate_of)
            g_array_append_val(distinct, i);
    for (i = 0; i < all->len; i++) {
        entry_t *e = &g_array_index(all, entry_t, i);
        size_t target;

        if (!e->duplicate_of) {
            before++;
            continue;
        }
        target = before + SD_DIVERSIFY_DEMOTE - 1;
        /* The fraction keeps duplicates placed at one spot in order. */
        e->key = target < distinct->len
            ? (double)g_array_index(distinct, size_t, target) + 0.5
              + (double)i / (double)(all->len + 1)
            : (double)all->len + (double)i;
    }
}

/* The window is reordered as a whole, and only ever within itself, so
 * pages cut from it are consistent with each other and with the pages
 * after it (which Xapian ranks unchanged). */
GArray *
sd_rank_page(xc_db_t *db, xc_mset_t *m, size_t offset, size_t limit,
             gboolean diversify, GError **error)
{
    GArray *page = g_array_new(FALSE, TRUE, sizeof(sd_rank_slot_t));
    g_autoptr(GArray) all = g_array_new(FALSE, TRUE, sizeof(entry_t));
    g_autoptr(GHashTable) keys = NULL;
    size_t n = xc_mset_size(m), i;
    size_t window = MIN(n, SD_DIVERSIFY_WINDOW);

    g_array_set_clear_func(page, sd_rank_slot_clear);
    g_array_set_clear_func(all, entry_clear);
    if (!diversify) {
        for (i = 0; i < n; i++) {
            sd_rank_slot_t s = {i, 0, NULL};

            g_array_append_val(page, s);
        }
        return page;
    }
    keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (i = 0; i < window; i++) {
        entry_t e = {i, (double)i, NULL};
        const hit_keys_t *k = hit_keys(db, m, i, error);
        const char *orig;

        if (!k) {
            g_array_unref(page);
            return NULL;
        }
        if (k->id) {
            orig = find_original(k, keys);
            if (orig)
                e.duplicate_of = g_strdup(orig);
            else
                add_keys(k, keys);
        }
        g_array_append_val(all, e);
    }
    place_duplicates(all);
    g_array_sort(all, by_key);
    for (i = window; i < n; i++) {
        entry_t e = {i, (double)i, NULL};

        g_array_append_val(all, e);
    }
    for (i = offset; i < all->len && i < offset + limit; i++) {
        entry_t *e = &g_array_index(all, entry_t, i);
        sd_rank_slot_t s = {e->index, (unsigned)i + 1, e->duplicate_of};

        e->duplicate_of = NULL;     /* moved to the page */
        g_array_append_val(page, s);
    }
    return page;
}

/* ---------------------------------------------------------------- Folding */

/* Returns: (transfer none) (nullable): the folded documents of @k (hit_keys()
 * of an entry; empty for anything else), read once per revision and thread
 * from the records of the ids it cites. */
static const GPtrArray *
folded_of(xc_db_t *db, const hit_keys_t *k, GError **error)
{
    hit_keys_t *mut = (hit_keys_t *)k;  /* the cache's own, filled once */
    g_autoptr(GPtrArray) folded = NULL;

    if (k->folded)
        return k->folded;
    folded = g_ptr_array_new_with_free_func(
        (GDestroyNotify)json_object_unref);
    for (guint i = 0; k->is_entry && i < k->links->len; i++) {
        const char *id = g_ptr_array_index(k->links, i);
        g_autoptr(JsonNode) node = NULL;
        char *data = NULL;
        JsonObject *doc, *d;
        xc_status_t st = xc_db_get_data(db, id, &data);

        if (st == XC_ERR_NOT_FOUND)
            continue;           /* cited, not (yet) written */
        if (st != XC_OK) {
            sd_index_fail(db, st, "cannot read a cited document", error);
            return NULL;
        }
        node = sd_json_parse(data);
        free(data);
        if (!node || !JSON_NODE_HOLDS_OBJECT(node))
            continue;
        doc = json_node_get_object(node);
        if (g_strcmp0(json_object_get_string_member_with_default(
                          doc, "status", NULL),
                      sd_status_names[SD_STATUS_TITLE_ONLY]) != 0)
            continue;
        d = json_object_new();
        json_object_set_string_member(d, "id", id);
        json_object_set_string_member(
            d, "title",
            json_object_get_string_member_with_default(doc, "title", ""));
        g_ptr_array_add(folded, d);
    }
    mut->folded = g_steal_pointer(&folded);
    return k->folded;
}

GHashTable *
sd_rank_folded_matched(xc_db_t *db, xc_query_t *q, xc_mset_t *m,
                       const GArray *page, GError **error)
{
    GHashTable *matched = g_hash_table_new_full(g_str_hash, g_str_equal,
                                                g_free, NULL);
    /* Copies: a later hit_keys() may start the cache over. */
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
    xc_mset_t *found = NULL;
    xc_filter_t filter;
    xc_search_opts_t opts = {.sort = XC_SORT_RELEVANCE, .filters = &filter,
                             .n_filters = 1};
    xc_status_t st;
    size_t i;

    for (i = 0; i < page->len; i++) {
        const hit_keys_t *k = hit_keys(
            db, m, g_array_index(page, sd_rank_slot_t, i).index, error);
        const GPtrArray *folded = k ? folded_of(db, k, error) : NULL;

        if (!folded) {
            g_hash_table_unref(matched);
            return NULL;
        }
        for (guint f = 0; f < folded->len; f++)
            g_ptr_array_add(ids, g_strdup(json_object_get_string_member(
                                      g_ptr_array_index(folded, f), "id")));
    }
    /* Most pages fold nothing: then there is nothing to search. */
    if (!ids->len)
        return matched;
    filter = (xc_filter_t){XC_PREFIX_ID, (const char *const *)ids->pdata,
                           ids->len, 0};
    opts.limit = ids->len;
    st = xc_search(q, &opts, &found);
    for (i = 0; st == XC_OK && i < xc_mset_size(found); i++) {
        const hit_keys_t *k = hit_keys(db, found, i, error);

        if (!k) {
            xc_mset_free(found);
            g_hash_table_unref(matched);
            return NULL;
        }
        if (k->id)
            g_hash_table_add(matched, g_strdup(k->id));
    }
    xc_mset_free(found);
    if (st != XC_OK) {
        g_hash_table_unref(matched);
        sd_index_fail(db, st, "cannot match folded documents", error);
        return NULL;
    }
    return matched;
}

gboolean
sd_rank_add_folded(xc_db_t *db, xc_mset_t *m, size_t index, JsonObject *o,
                   GHashTable *matched, GError **error)
{
    const hit_keys_t *k = hit_keys(db, m, index, error);
    const GPtrArray *folded = k ? folded_of(db, k, error) : NULL;
    JsonArray *a;

    if (!folded)
        return FALSE;
    a = json_array_new();
    for (guint i = 0; i < folded->len; i++) {
        JsonObject *d = g_ptr_array_index(folded, i);
        const char *id = json_object_get_string_member(d, "id");
        JsonObject *v = json_object_new();

        json_object_set_string_member(v, "id", id);
        json_object_set_string_member(
            v, "title", json_object_get_string_member(d, "title"));
        json_object_set_boolean_member(
            v, "matched", matched && g_hash_table_contains(matched, id));
        json_array_add_object_element(a, v);
    }
    json_object_set_array_member(o, "folded", a);
    return TRUE;
}
