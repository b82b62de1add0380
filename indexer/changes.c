/* changes.c -- what the index held before this run, and the change report
 * against it that a curator hands to the mapping's editors: entries and
 * documents added, changed and removed, links newly dead or newly back.
 */
#include <stdlib.h>
#include <string.h>

#include "indexer-int.h"
#include "schema.h"
#include "xapianc.h"

/* The string members of ix_prev_source_t, named as in the stored record:
 * one list from which reading and freeing them are derived. */
#define PREV_STRINGS(X)                                                   \
    X(status) X(title) X(url) X(edition) X(fetched_at) X(found_on)

static void
prev_source_free(gpointer data)
{
    ix_prev_source_t *p = data;

#define FREE_STRING(f) g_free(p->f);
    if (!p)
        return;
    PREV_STRINGS(FREE_STRING)
    g_free(p);
#undef FREE_STRING
}

void
ix_prev_free(ix_prev_t *prev)
{
    if (!prev)
        return;
    g_hash_table_unref(prev->sources);
    g_hash_table_unref(prev->hashes);
    g_free(prev->last_run);
    g_free(prev);
}

static int
collect_id(const char *term, uint64_t freq, void *rock)
{
    (void)freq;
    g_ptr_array_add(rock, g_strdup(term + strlen(XC_PREFIX_ID)));
    return 0;
}

/* Fills @p from the JSON record @data; a record that does not parse
 * leaves the fields empty (the source still counts as present). */
static void
read_record(ix_prev_source_t *p, const char *data)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *o;

    if (!data || !json_parser_load_from_data(parser, data, -1, NULL)
        || !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
        return;
    o = json_node_get_object(json_parser_get_root(parser));
    p->entry = g_strcmp0(json_object_get_string_member_with_default(
        o, "type", ""), ix_type_name(IX_SOURCE_ENTRY)) == 0;
#define READ_STRING(f) p->f = ix__json_member_string(o, #f);
    PREV_STRINGS(READ_STRING)
#undef READ_STRING
}

static gboolean
read_error(xc_db_t *db, xc_status_t st, const char *path, GError **error)
{
    g_set_error(error, IX_ERROR, IX_ERROR_INDEX, "cannot read index %s: %s",
                path, *xc_errmsg(db) ? xc_errmsg(db) : xc_strerror(st));
    return FALSE;
}

static gboolean
load_sources(ix_prev_t *prev, xc_db_t *db, const char *path,
             GError **error)
{
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
    uint64_t rev = 0;
    char *last_run = NULL;
    xc_status_t st = xc_db_revision(db, &rev);

    if (st == XC_OK)
        st = xc_db_get_metadata(db, XC_META_LAST_RUN, &last_run);
    if (st == XC_OK)
        st = xc_db_allterms(db, XC_PREFIX_ID, G_MAXSIZE, collect_id, ids);
    if (st != XC_OK)
        return read_error(db, st, path, error);
    prev->revision = rev;
    if (last_run && *last_run)
        prev->last_run = g_strdup(last_run);
    free(last_run);
    for (guint i = 0; i < ids->len; i++) {
        const char *id = g_ptr_array_index(ids, i);
        ix_prev_source_t *p = g_new0(ix_prev_source_t, 1);
        char *data = NULL, *hash = NULL;

        st = xc_db_get_data(db, id, &data);
        if (st == XC_OK)
            st = xc_db_get_value(db, id, XC_SLOT_HASH, &hash, NULL);
        if (st == XC_OK) {
            read_record(p, data);
            g_hash_table_replace(prev->hashes, g_strdup(id),
                                 g_strdup(hash));
        }
        free(data);
        free(hash);
        g_hash_table_replace(prev->sources, g_strdup(id), p);
        if (st != XC_OK)
            return read_error(db, st, path, error);
    }
    return TRUE;
}

ix_prev_t *
ix_prev_new(void)
{
    ix_prev_t *prev = g_new0(ix_prev_t, 1);

    prev->sources = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                          prev_source_free);
    prev->hashes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                         g_free);
    return prev;
}

/* An index written with another schema cannot be updated in place (its
 * terms and slots mean other things): IX_ERROR_INDEX, and --full
 * rebuilds it.  An empty index has no schema yet. */
static gboolean
check_schema(xc_db_t *db, const char *path, GError **error)
{
    uint64_t docs = 0;
    char *schema = NULL;
    gboolean ok = TRUE;

    if (xc_db_doccount(db, &docs) == XC_OK && docs > 0
        && xc_db_get_metadata(db, XC_META_SCHEMA, &schema) == XC_OK
        && !g_str_equal(schema, XC_SCHEMA_VERSION)) {
        g_set_error(error, IX_ERROR, IX_ERROR_INDEX,
                    "index %s has schema '%s', not '%s'", path, schema,
                    XC_SCHEMA_VERSION);
        ok = FALSE;
    }
    free(schema);
    return ok;
}

ix_prev_t *
ix_prev_load(const char *path, GError **error)
{
    g_autoptr(ix_prev_t) prev = ix_prev_new();
    xc_db_t *db = NULL;
    char *msg = NULL;
    xc_status_t st;
    gboolean ok;

    if (!g_file_test(path, G_FILE_TEST_EXISTS))
        return g_steal_pointer(&prev);
    st = xc_db_open(path, &db, &msg);
    if (st != XC_OK) {
        g_set_error(error, IX_ERROR, IX_ERROR_INDEX,
                    "cannot open index %s: %s", path,
                    msg ? msg : xc_strerror(st));
        free(msg);
        return NULL;
    }
    prev->exists = TRUE;
    ok = check_schema(db, path, error) && load_sources(prev, db, path, error);
    xc_db_close(db);
    return ok ? g_steal_pointer(&prev) : NULL;
}

GHashTable *
ix_prev_keep(const ix_prev_t *prev, const ix_plan_t *plan, guint *kept)
{
    GHashTable *keep = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GHashTable) down = g_hash_table_new(g_str_hash, g_str_equal);
    GHashTableIter it;
    gpointer id, value;

    if (kept)
        *kept = 0;
    for (guint i = 0; i < plan->sources->len; i++) {
        ix_source_t *src = g_ptr_array_index(plan->sources, i);

        g_hash_table_add(keep, src->id);
        if (src->url && src->status == IX_STATUS_UNREACHABLE)
            g_hash_table_add(down, src->url);
    }
    g_hash_table_iter_init(&it, prev->sources);
    while (g_hash_table_iter_next(&it, &id, &value)) {
        const ix_prev_source_t *p = value;

        if (p->found_on && !g_hash_table_contains(keep, id)
            && g_hash_table_contains(down, p->found_on)) {
            g_hash_table_add(keep, id);
            if (kept)
                (*kept)++;
        }
    }
    return keep;
}

guint
ix_prev_count_gone(const ix_prev_t *prev, GHashTable *keep)
{
    GHashTableIter it;
    gpointer id;
    guint n = 0;

    g_hash_table_iter_init(&it, prev->sources);
    while (g_hash_table_iter_next(&it, &id, NULL))
        n += !g_hash_table_contains(keep, id);
    return n;
}

/* ---------------------------------------------------------------- Report */

/* A link "works" when its bytes could be had, now or from an unchanged
 * copy. */
static gboolean
works(const char *status)
{
    return g_strcmp0(status, "indexed") == 0
           || g_strcmp0(status, "unchanged") == 0;
}

/* Returns: (transfer full) (nullable): when the previous run finished,
 * from its summary; "" when the summary does not say; NULL without a
 * previous run. */
static char *
previous_finished(const ix_prev_t *prev)
{
    g_autoptr(JsonParser) parser = NULL;

    if (!prev->last_run)
        return NULL;
    parser = json_parser_new();
    if (!json_parser_load_from_data(parser, prev->last_run, -1, NULL)
        || !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
        return NULL;
    return g_strdup(json_object_get_string_member_with_default(
        json_node_get_object(json_parser_get_root(parser)), "finished", ""));
}

/* Sorted, so that the report lists removals the same way on every run. */
static gint
by_string(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
list_add(ix_changes_t *c, int kind, const char *id, gboolean entry,
         const char *title, const char *url, const char *edition)
{
    ix_change_t item = {id, title, url, edition};

    g_array_append_val(c->lists[entry][kind], item);
}

static void
link_add(GArray *links, const ix_source_t *src, const char *last_worked)
{
    ix_link_change_t item = {src, g_strdup(last_worked)};

    g_array_append_val(links, item);
}

static void
link_change_clear(gpointer data)
{
    g_free(((ix_link_change_t *)data)->last_worked);
}

ix_changes_t *
ix_changes_compute(const ix_prev_t *prev, const ix_plan_t *plan,
                   GHashTable *keep, const ix_writer_t *w)
{
    ix_changes_t *c = g_new0(ix_changes_t, 1);
    g_autoptr(GPtrArray) gone = g_ptr_array_new();
    GHashTableIter it;
    gpointer key;

    for (int e = 0; e < 2; e++)
        for (int k = 0; k < IX_CHANGE_N; k++)
            c->lists[e][k] = g_array_new(FALSE, FALSE, sizeof(ix_change_t));
    for (int d = 0; d < 2; d++) {
        c->links[d] = g_array_new(FALSE, FALSE, sizeof(ix_link_change_t));
        g_array_set_clear_func(c->links[d], link_change_clear);
    }
    for (guint i = 0; i < plan->sources->len; i++) {
        const ix_source_t *src = g_ptr_array_index(plan->sources, i);
        const ix_prev_source_t *p = g_hash_table_lookup(prev->sources,
                                                        src->id);
        gboolean entry = src->type == IX_SOURCE_ENTRY;
        const char *status = ix_status_name(src->status);
        ix_outcome_t o = ix_writer_outcome(w, src->id);

        if (!p) {
            list_add(c, IX_CHANGE_ADDED, src->id, entry, src->title,
                     src->url, src->edition);
            continue;
        }
        if (o == IX_OUTCOME_UPDATED)
            list_add(c, IX_CHANGE_CHANGED, src->id, entry, src->title,
                     src->url, src->edition);
        if (entry || !src->url || !p->status)
            continue;
        if (works(p->status) && src->status == IX_STATUS_UNREACHABLE) {
            /* The fetcher keeps the time of the last good fetch even when
             * this one failed; the old record knows it too. */
            g_autofree char *when = ix__iso_time(src->fetched_at);

            link_add(c->links[IX_LINK_DEAD], src,
                     when ? when : p->fetched_at);
        } else if (g_strcmp0(p->status,
                             ix_status_name(IX_STATUS_UNREACHABLE)) == 0
                   && works(status)) {
            link_add(c->links[IX_LINK_BACK], src, p->fetched_at);
        }
    }

    g_hash_table_iter_init(&it, prev->sources);
    while (g_hash_table_iter_next(&it, &key, NULL))
        if (!g_hash_table_contains(keep, key))
            g_ptr_array_add(gone, key);
    g_ptr_array_sort(gone, by_string);
    for (guint i = 0; i < gone->len; i++) {
        const char *id = g_ptr_array_index(gone, i);
        const ix_prev_source_t *p = g_hash_table_lookup(prev->sources, id);

        list_add(c, IX_CHANGE_REMOVED, id, p->entry, p->title, p->url,
                 p->edition);
    }
    c->previous_run = previous_finished(prev);
    return c;
}

void
ix_changes_free(ix_changes_t *c)
{
    if (!c)
        return;
    for (int e = 0; e < 2; e++)
        for (int k = 0; k < IX_CHANGE_N; k++)
            g_array_unref(c->lists[e][k]);
    for (int d = 0; d < 2; d++)
        g_array_unref(c->links[d]);
    g_free(c->previous_run);
    g_free(c);
}

/* ---------------------------------------------------------------- Writing */

static void
write_item(JsonBuilder *b, const ix_change_t *item, gboolean entry)
{
    json_builder_begin_object(b);
    ix__json_add_string(b, "id", item->id);
    ix__json_add_string(b, "title", item->title);
    if (entry)
        ix__json_add_string(b, "edition", item->edition);
    else
        ix__json_add_string(b, "url", item->url);
    json_builder_end_object(b);
}

static void
write_link(JsonBuilder *b, const ix_link_change_t *l)
{
    const ix_source_t *src = l->src;

    json_builder_begin_object(b);
    ix__json_add_string(b, "id", src->id);
    ix__json_add_string(b, "url", src->url);
    ix__json_add_string(b, "title", src->title);
    ix__json_add_string(b, "status", ix_status_name(src->status));
    ix__json_add_string(b, "reason", src->reason);
    ix__json_add_string(b, "last_worked", l->last_worked);
    ix__json_add_strings(b, "cited_by", src->links);
    json_builder_end_object(b);
}

static void
write_lists(JsonBuilder *b, const ix_changes_t *c, gboolean entry)
{
    static const char *const names[] = { "added", "changed", "removed" };

    json_builder_set_member_name(b, entry ? "entries" : "documents");
    json_builder_begin_object(b);
    for (int k = 0; k < IX_CHANGE_N; k++) {
        GArray *list = c->lists[entry][k];

        json_builder_set_member_name(b, names[k]);
        json_builder_begin_array(b);
        for (guint i = 0; i < list->len; i++)
            write_item(b, &g_array_index(list, ix_change_t, i), entry);
        json_builder_end_array(b);
    }
    json_builder_end_object(b);
}

static void
write_links(JsonBuilder *b, const char *name, GArray *links)
{
    json_builder_set_member_name(b, name);
    json_builder_begin_array(b);
    for (guint i = 0; i < links->len; i++)
        write_link(b, &g_array_index(links, ix_link_change_t, i));
    json_builder_end_array(b);
}

JsonNode *
ix_changes_write(const ix_changes_t *c)
{
    static const char *const names[2][IX_CHANGE_N] = {
        { "documents_added", "documents_changed", "documents_removed" },
        { "entries_added", "entries_changed", "entries_removed" },
    };
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    ix__json_add_string(b, "previous_run", c->previous_run);
    json_builder_set_member_name(b, "counts");
    json_builder_begin_object(b);
    for (int e = 1; e >= 0; e--)
        for (int k = 0; k < IX_CHANGE_N; k++)
            ix__json_add_int(b, names[e][k], c->lists[e][k]->len);
    ix__json_add_int(b, "links_newly_dead", c->links[IX_LINK_DEAD]->len);
    ix__json_add_int(b, "links_newly_back", c->links[IX_LINK_BACK]->len);
    json_builder_end_object(b);
    write_lists(b, c, TRUE);
    write_lists(b, c, FALSE);
    json_builder_set_member_name(b, "links");
    json_builder_begin_object(b);
    write_links(b, "newly_dead", c->links[IX_LINK_DEAD]);
    write_links(b, "newly_back", c->links[IX_LINK_BACK]);
    json_builder_end_object(b);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

JsonNode *
ix_changes_build(const ix_prev_t *prev, const ix_plan_t *plan,
                 GHashTable *keep, const ix_writer_t *w)
{
    ix_changes_t *c = ix_changes_compute(prev, plan, keep, w);
    JsonNode *node = ix_changes_write(c);

    ix_changes_free(c);
    return node;
}
