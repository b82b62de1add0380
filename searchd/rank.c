/* rank.c -- the order of a result page: BM25 as Xapian ranks it, with
 * near-duplicates (an entry and the documents it cites, the same title
 * twice) moved down so that they do not crowd the first page. */
#include <string.h>

#include "searchd-int.h"

/* Bytes of letters and digits of a title that make it "the same" title:
 * enough to tell programmes apart, few enough that "..., Kyrgyzstan, and
 * Iraq." and "... & Kyrgyzstan" are one. */
#define TITLE_KEY_BYTES     48
/* Shorter titles ("Report", "Handbook") say nothing about sameness. */
#define TITLE_KEY_MIN       16

void
sd_rank_slot_clear(gpointer data)
{
    g_free(((sd_rank_slot_t *)data)->duplicate_of);
}

/* Returns: (transfer full) (nullable): the sameness key of @title. */
static char *
title_key(const char *title)
{
    g_autofree char *lower = g_utf8_strdown(title, -1);
    GString *key = g_string_new(NULL);
    const char *p;

    for (p = lower; *p && key->len < TITLE_KEY_BYTES;
         p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);

        if (g_unichar_isalnum(c))
            g_string_append_unichar(key, c);
    }
    if (key->len < TITLE_KEY_MIN) {
        g_string_free(key, TRUE);
        return NULL;
    }
    return g_string_free(key, FALSE);
}

/* Adds the keys under which hit @o is someone's near-duplicate: its id,
 * the ids of the documents it cites and of the entries citing it, and its
 * title's key.  Each maps to the id of @o. */
static void
add_keys(JsonObject *o, const char *id, GHashTable *keys)
{
    static const char *const links[] = {"cites", "cited_by"};
    const char *title = json_object_get_string_member_with_default(
        o, "title", NULL);
    char *tkey = title ? title_key(title) : NULL;
    size_t k;
    guint i;

    g_hash_table_insert(keys, g_strconcat("id:", id, NULL), g_strdup(id));
    if (tkey) {
        g_hash_table_insert(keys, g_strconcat("title:", tkey, NULL),
                            g_strdup(id));
        g_free(tkey);
    }
    for (k = 0; k < G_N_ELEMENTS(links); k++) {
        JsonNode *n = json_object_get_member(o, links[k]);
        JsonArray *a;

        if (!n || !JSON_NODE_HOLDS_ARRAY(n))
            continue;
        a = json_node_get_array(n);
        for (i = 0; i < json_array_get_length(a); i++) {
            const char *other = json_array_get_string_element(a, i);

            if (other)
                g_hash_table_insert(keys, g_strconcat("id:", other, NULL),
                                    g_strdup(id));
        }
    }
}

/* Returns: (transfer none) (nullable): the id of the hit already kept
 * that @o near-duplicates. */
static const char *
find_original(JsonObject *o, const char *id, GHashTable *keys)
{
    const char *title = json_object_get_string_member_with_default(
        o, "title", NULL);
    g_autofree char *tkey = title ? title_key(title) : NULL;
    g_autofree char *by_id = g_strconcat("id:", id, NULL);
    const char *orig = g_hash_table_lookup(keys, by_id);

    if (!orig && tkey) {
        g_autofree char *by_title = g_strconcat("title:", tkey, NULL);

        orig = g_hash_table_lookup(keys, by_title);
    }
    return orig;
}

typedef struct {
    size_t index;
    double key;
    char *duplicate_of;         /* owned */
} entry_t;

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

    g_array_set_clear_func(page, sd_rank_slot_clear);
    if (!diversify) {
        for (i = 0; i < n; i++) {
            sd_rank_slot_t s = {i, 0, NULL};

            g_array_append_val(page, s);
        }
        return page;
    }
    keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (i = 0; i < n; i++) {
        g_autoptr(JsonNode) node = NULL;
        entry_t e = {i, (double)i, NULL};
        xc_hit_t hit;
        xc_status_t st = xc_mset_hit(m, i, &hit);
        JsonObject *o;
        const char *id, *orig;

        if (st != XC_OK) {
            g_array_unref(page);
            sd_index_fail(db, st, "cannot read hit", error);
            return NULL;
        }
        node = sd_json_parse(hit.data);
        if (node && JSON_NODE_HOLDS_OBJECT(node)) {
            o = json_node_get_object(node);
            id = json_object_get_string_member_with_default(o, "id", NULL);
            orig = id ? find_original(o, id, keys) : NULL;
            if (orig) {
                e.duplicate_of = g_strdup(orig);
            } else if (id) {
                add_keys(o, id, keys);
            }
        }
        g_array_append_val(all, e);
    }
    place_duplicates(all);
    g_array_sort(all, by_key);
    for (i = offset; i < all->len && i < offset + limit; i++) {
        entry_t *e = &g_array_index(all, entry_t, i);
        sd_rank_slot_t s = {e->index, (unsigned)i + 1, e->duplicate_of};

        e->duplicate_of = NULL;
        g_array_append_val(page, s);
    }
    for (i = 0; i < all->len; i++)
        g_free(g_array_index(all, entry_t, i).duplicate_of);
    return page;
}
