/* schema.c -- the schema's tables as data (xc_fields, from XC_FIELD_LIST)
 * and its one slug rule, xc_slug(), which every boolean term value goes
 * through: the indexer's, the query parser's field:value and searchd's
 * filters.  Plain C on GLib's Unicode tables, so that all three agree
 * with the corpus rule character for character. */
#include <glib.h>

#include "schema.h"

const xc_field_info_t xc_fields[XC_FIELD_N] = {
#define XC__FIELD_ROW(id, name, query, prefix, slot, many, facet) \
    [XC_FIELD_##id] = {name, query, prefix, slot, many, facet},
    XC_FIELD_LIST(XC__FIELD_ROW)
#undef XC__FIELD_ROW
};

char *
xc_slug(const char *text)
{
    g_autofree char *valid = g_utf8_make_valid(text ? text : "", -1);
    GString *out = g_string_new(NULL);
    gboolean dash = FALSE;

    for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);

        if (!g_unichar_isalnum(c)) {
            dash = out->len > 0;
            continue;
        }
        if (dash)
            g_string_append_c(out, '-');
        dash = FALSE;
        g_string_append_unichar(out, g_unichar_tolower(c));
    }
    return g_string_free(out, FALSE);
}
