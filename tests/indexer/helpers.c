/* helpers.c -- scaffolding the indexer's integration suites share (the
 * faults, reindex and end-to-end suites): files to index, and reading
 * back what an index holds. */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "helpers.h"
#include "schema.h"

static int
collect_id(const char *term, uint64_t freq, void *rock)
{
    (void)freq;
    g_ptr_array_add(rock, g_strdup(term + strlen(XC_PREFIX_ID)));
    return 0;
}

char *
it_dump_db(xc_db_t *db)
{
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
    GString *s = g_string_new(NULL);

    cr_assert_eq(xc_db_allterms(db, XC_PREFIX_ID, G_MAXSIZE, collect_id,
                                ids), XC_OK);
    for (guint i = 0; i < ids->len; i++) {
        const char *id = g_ptr_array_index(ids, i);
        char *rec = NULL, *text = NULL;

        cr_assert_eq(xc_db_get_data(db, id, &rec), XC_OK);
        cr_assert_eq(xc_db_get_value(db, id, XC_SLOT_TEXT, &text, NULL),
                     XC_OK);
        g_string_append_printf(s, "%s %s\n%s\n", id, rec, text);
        free(rec);
        free(text);
    }
    return g_string_free(s, FALSE);
}

void
it_write_file(const char *dir, const char *rel, const char *text)
{
    g_autofree char *path = g_build_filename(dir, rel, NULL);
    g_autofree char *parent = g_path_get_dirname(path);

    cr_assert_eq(g_mkdir_with_parents(parent, 0755), 0, "mkdir %s", parent);
    cr_assert(g_file_set_contents(path, text, -1, NULL), "write %s", path);
}

gint64
it_json_int(const char *dir, const char *file, const char *object,
            const char *member)
{
    g_autofree char *path = g_build_filename(dir, file, NULL);
    g_autoptr(JsonParser) p = json_parser_new();
    g_autoptr(GError) error = NULL;
    JsonObject *root;

    cr_assert(json_parser_load_from_file(p, path, &error), "%s: %s", path,
              error ? error->message : "");
    root = json_node_get_object(json_parser_get_root(p));
    return json_object_get_int_member(
        json_object_get_object_member(root, object), member);
}
