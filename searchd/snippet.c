/* snippet.c -- snippets from the full text at little cost: find the page
 * where the query's terms cluster, and let Xapian highlight that page
 * alone (DESIGN.md, "Index schema"). */
#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "searchd-int.h"

#define NO_PAGE G_MAXUINT

static int
collect_position(unsigned pos, void *rock)
{
    g_array_append_val((GArray *)rock, pos);
    return 0;
}

/* Returns the 0-based page holding most of @pos, ties to the earlier
 * page, or NO_PAGE when no position falls on a page.  @starts are the
 * term positions where pages begin, ascending; positions before the first
 * page (the title's) count for none, and with no @starts the text is one
 * page starting at 0. */
CTMAP_TESTABLE unsigned
sd_snippet_best_page(const unsigned *starts, size_t n_starts,
                     const unsigned *pos, size_t n_pos)
{
    static const unsigned zero = 0;
    g_autofree unsigned *counts = NULL;
    unsigned best = NO_PAGE;
    size_t i;

    if (n_starts == 0) {
        starts = &zero;
        n_starts = 1;
    }
    counts = g_new0(unsigned, n_starts);
    for (i = 0; i < n_pos; i++) {
        size_t lo = 0, hi = n_starts;

        /* The last page whose start is <= pos[i]. */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;

            if (starts[mid] <= pos[i])
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo > 0)
            counts[lo - 1]++;
    }
    for (i = 0; i < n_starts; i++)
        if (counts[i] > 0 && (best == NO_PAGE || counts[i] > counts[best]))
            best = (unsigned)i;
    return best;
}

/* Parses XC_SLOT_PAGES: decimal positions separated by spaces. */
static GArray *
parse_starts(const char *text)
{
    GArray *starts = g_array_new(FALSE, FALSE, sizeof(unsigned));
    const char *p = text;

    while (p && *p) {
        char *end = NULL;
        guint64 v = g_ascii_strtoull(p, &end, 10);
        unsigned u;

        if (end == p) {
            p++;
            continue;
        }
        u = (unsigned)MIN(v, G_MAXUINT);
        g_array_append_val(starts, u);
        p = end;
    }
    return starts;
}

char *
sd_snippet_plain(const char *text, size_t max)
{
    g_autofree char *valid = g_utf8_make_valid(text, -1);
    g_autoptr(GString) out = g_string_new(NULL);
    const char *p = valid;
    gboolean cut = FALSE;

    for (;;) {
        const char *w;

        while (*p && g_unichar_isspace(g_utf8_get_char(p)))
            p = g_utf8_next_char(p);
        if (!*p)
            break;
        w = p;
        while (*p && !g_unichar_isspace(g_utf8_get_char(p)))
            p = g_utf8_next_char(p);
        if (out->len + (out->len ? 1 : 0) + (size_t)(p - w) > max) {
            /* A first word longer than @max is cut on a character
             * boundary, so the snippet is never empty. */
            if (out->len == 0) {
                const char *stop = w;

                while (*stop && (size_t)(g_utf8_next_char(stop) - w) <= max)
                    stop = g_utf8_next_char(stop);
                g_string_append_len(out, w, stop - w);
            }
            cut = TRUE;
            break;
        }
        if (out->len)
            g_string_append_c(out, ' ');
        g_string_append_len(out, w, p - w);
    }
    {
        char *escaped = g_markup_escape_text(out->str, (gssize)out->len);

        if (!cut)
            return escaped;
        g_string_assign(out, escaped);
        g_free(escaped);
        g_string_append(out, "\xE2\x80\xA6");   /* U+2026 ellipsis */
        return g_string_free(g_steal_pointer(&out), FALSE);
    }
}

char *
sd_snippet_for_hit(xc_mset_t *m, size_t i, unsigned *page, GError **error)
{
    char *pages = NULL, *one = NULL, *snippet = NULL;
    size_t pages_len = 0;
    g_autoptr(GArray) starts = NULL;
    g_autoptr(GArray) pos = g_array_new(FALSE, FALSE, sizeof(unsigned));
    unsigned best;
    char *result = NULL;
    xc_status_t st;

    *page = 0;
    st = xc_mset_value(m, i, XC_SLOT_PAGES, &pages, &pages_len);
    if (st == XC_OK)
        st = xc_mset_positions(m, i, collect_position, pos);
    if (st != XC_OK)
        goto fail;
    starts = parse_starts(pages);
    best = sd_snippet_best_page((const unsigned *)(void *)starts->data,
                                starts->len,
                                (const unsigned *)(void *)pos->data,
                                pos->len);
    /* Browsing and boolean-only queries have no positions: the snippet
     * is then the start of the text, escaped by hand, since there is
     * nothing for Xapian to highlight. */
    unsigned want = best == NO_PAGE ? 0 : best;
    st = xc_mset_passage(m, i, &want, &one, NULL);
    if (st != XC_OK)
        goto fail;
    *page = want + 1;
    if (!*one) {
        *page = 0;
        result = g_strdup("");
        goto out;
    }
    if (best != NO_PAGE) {
        st = xc_mset_snippet(m, one, SD_SNIPPET_BYTES, &snippet);
        if (st == XC_OK && snippet && *snippet)
            result = g_strdup(snippet);
    }
    if (!result)
        result = sd_snippet_plain(one, SD_SNIPPET_BYTES);
    goto out;

fail:
    g_set_error(error, SD_ERROR, st == XC_ERR_MODIFIED
                ? SD_ERROR_INDEX_MODIFIED : SD_ERROR_INDEX,
                "cannot read hit: %s", xc_strerror(st));
out:
    free(one);
    free(pages);
    free(snippet);
    return result;
}
