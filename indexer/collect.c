/* collect.c -- gets every planned document's text: fetch what is cited by
 * URL, extract, follow same-site links from the pages marked to follow,
 * and merge documents whose bytes are the same.
 *
 * Rounds: round 0 fetches and extracts what the mappings cite; each later
 * round fetches the documents the previous round's pages link to, until
 * the depth runs out or nothing new turns up.
 */
#include <string.h>

#include "indexer.h"

/* Links worth following from a page: documents, not more pages, so that
 * following a site's index page cannot turn into crawling the site. */
static const char *const document_exts[] = {
    ".pdf", ".txt", ".text", ".doc", ".docx", ".odt", ".rtf", NULL
};

static gboolean
is_network_url(const char *url)
{
    /* Schemes are case-insensitive: HTTP://X is fetched like http://x. */
    return url && (g_ascii_strncasecmp(url, "http://", 7) == 0
                   || g_ascii_strncasecmp(url, "https://", 8) == 0);
}

/* A planned document whose fetch was not tried yet (and that no other
 * step gave a status or a file since). */
static gboolean
awaits_fetch(const ix_source_t *src)
{
    return src->type == IX_SOURCE_DOCUMENT && !src->path
           && src->fetch == IX_FETCH_PENDING
           && src->status == IX_STATUS_UNREACHABLE
           && is_network_url(src->url);
}

typedef struct {
    GPtrArray *srcs;            /* (element-type ix_source_t) by index */
    ix_collect_stats_t *stats;
    ix_progress_t *progress;    /* (nullable) */
} fetch_round_t;

static void
on_fetched(guint index, const ix_fetch_result_t *r, gpointer rock)
{
    fetch_round_t *f = rock;
    ix_source_t *src = g_ptr_array_index(f->srcs, index);

    ix_progress_done(f->progress, IX_STAGE_FETCHED, 1);
    src->fetch = IX_FETCH_TRIED;
    src->fetched_at = r->fetched_at;
    g_free(src->reason);
    src->reason = r->reason ? g_strdup(r->reason) : NULL;
    if ((r->status == IX_STATUS_INDEXED || r->status == IX_STATUS_UNCHANGED)
        && r->body_path) {
        src->status = IX_STATUS_INDEXED;
        src->path = g_strdup(r->body_path);
        src->base_url = g_strdup(r->final_url ? r->final_url : r->url);
        src->hint_type = g_strdup(r->media_type);
        src->hint_charset = g_strdup(r->charset);
        g_free(src->content_hash);
        src->content_hash = g_strdup(r->content_hash);
        if (r->status == IX_STATUS_UNCHANGED)
            f->stats->unchanged++;
        else
            f->stats->fetched++;
        return;
    }
    /* A failure: the status and reason say why; there is no text. */
    src->status = r->status;
    src->extracted = TRUE;
    if (!src->reason)
        src->reason = g_strdup(ix_status_name(r->status));
    f->stats->failed++;
}

static gboolean
fetch_round(ix_plan_t *plan, const ix_fetch_opts_t *fo,
            ix_collect_stats_t *stats, GError **error)
{
    g_autoptr(GPtrArray) srcs = g_ptr_array_new();
    g_autoptr(GPtrArray) urls = g_ptr_array_new();
    fetch_round_t f = { srcs, stats, plan->progress };

    for (guint i = 0; i < plan->sources->len; i++) {
        ix_source_t *src = g_ptr_array_index(plan->sources, i);

        if (awaits_fetch(src)) {
            g_ptr_array_add(srcs, src);
            g_ptr_array_add(urls, src->url);
        }
    }
    if (!srcs->len)
        return TRUE;
    ix_progress_expect(plan->progress, IX_STAGE_FETCHED, srcs->len);
    return ix_fetch_run(fo, (const char *const *)urls->pdata, urls->len,
                        on_fetched, &f, error);
}

static const char *
bare_host(const char *url)
{
    const char *h = strstr(url, "://");

    h = h ? h + 3 : url;
    return g_str_has_prefix(h, "www.") ? h + 4 : h;
}

/* TRUE when @a and @b are on the same site: same host, "www." aside. */
static gboolean
same_site(const char *a, const char *b)
{
    const char *ha = bare_host(a), *hb = bare_host(b);
    size_t la = strcspn(ha, "/?#"), lb = strcspn(hb, "/?#");

    return la == lb && g_ascii_strncasecmp(ha, hb, la) == 0;
}

static gboolean
looks_like_document(const char *url)
{
    g_autofree char *path = g_strndup(url, strcspn(url, "?#"));
    g_autofree char *lower = g_ascii_strdown(path, -1);

    for (guint i = 0; document_exts[i]; i++)
        if (g_str_has_suffix(lower, document_exts[i]))
            return TRUE;
    return FALSE;
}

/* A document found on @page: tagged like the page, which is how a PDF
 * added to the repository page gets the page's organizations and themes,
 * and recorded as found there rather than cited by an entry. */
static gboolean
add_discovered(ix_plan_t *plan, const ix_source_t *page, const char *link,
               ix_collect_stats_t *stats)
{
    /* A page may link with a password in the URL: neither kept nor
     * sent. */
    g_autofree char *url = corpus_url_strip_userinfo(link);
    g_autofree char *norm = corpus_url_normalize(url);
    g_autofree char *id = ix_document_id("url", norm);
    g_autofree char *base = NULL;
    ix_source_t *doc;
    const char *slash;

    if (g_hash_table_contains(plan->by_id, id))
        return FALSE;
    doc = ix_source_new(IX_SOURCE_DOCUMENT, id);
    doc->url = g_strdup(url);
    ix_strset_add(doc->urls, url);
    base = g_strndup(url, strcspn(url, "?#"));
    slash = strrchr(base, '/');
    doc->title = g_uri_unescape_string(slash ? slash + 1 : base, NULL);
    if (!doc->title || !g_utf8_validate(doc->title, -1, NULL)) {
        g_free(doc->title);
        doc->title = g_strdup(slash ? slash + 1 : base);
    }
    doc->host = g_strndup(bare_host(url), strcspn(bare_host(url), "/?#:"));
    doc->status = IX_STATUS_UNREACHABLE;
    doc->reason = g_strdup(IX_REASON_NOT_FETCHED);
    doc->fetch = IX_FETCH_PENDING;
    doc->depth = page->depth + 1;
    doc->section = page->section;
    doc->found_on = g_strdup(page->url);
    g_free(doc->kind);
    doc->kind = g_strdup("publication");
    ix_strset_merge(doc->orgs, page->orgs);
    ix_strset_merge(doc->themes, page->themes);
    ix_strset_merge(doc->countries, page->countries);
    ix_strset_merge(doc->org_names, page->org_names);
    g_ptr_array_add(plan->sources, doc);
    g_hash_table_insert(plan->by_id, doc->id, doc);
    plan->n_documents++;
    stats->discovered++;
    return TRUE;
}

/* Returns the number of documents found this round.  One page adds at
 * most @max new documents (0: no limit): a page of 5,000 links must not
 * become 5,000 fetches; the excess is a warning naming the page. */
static guint
discover(ix_plan_t *plan, guint depth, guint follow, gboolean follow_all,
         guint max, ix_collect_stats_t *stats)
{
    guint before = stats->discovered;
    guint n = plan->sources->len;

    for (guint i = 0; i < n; i++) {
        ix_source_t *page = g_ptr_array_index(plan->sources, i);

        if (page->depth != depth || depth >= follow || !page->out_links
            || !(follow_all || page->follow) || !is_network_url(page->url))
            continue;
        guint added = 0, over = 0;

        for (guint l = 0; l < page->out_links->len; l++) {
            const char *url = g_ptr_array_index(page->out_links, l);

            if (!is_network_url(url) || !same_site(url, page->url)
                || !looks_like_document(url))
                continue;
            if (max && added >= max) {
                g_autofree char *clean = corpus_url_strip_userinfo(url);
                g_autofree char *norm = corpus_url_normalize(clean);
                g_autofree char *id = ix_document_id("url", norm);

                over += !g_hash_table_contains(plan->by_id, id);
                continue;
            }
            added += add_discovered(plan, page, url, stats);
        }
        if (over)
            g_ptr_array_add(plan->warnings, g_strdup_printf(
                "%s: %u more document links not followed (the first %u "
                "were; --max-discovered)", page->url, over, max));
        /* Links are followed once. */
        g_clear_pointer(&page->out_links, g_ptr_array_unref);
    }
    return stats->discovered - before;
}

/* Points every entry that cited @dup at @keep instead. */
static void
recite(ix_plan_t *plan, const ix_source_t *dup, const char *keep)
{
    for (guint c = 0; c < dup->links->len; c++) {
        ix_source_t *e = g_hash_table_lookup(plan->by_id,
                                             g_ptr_array_index(dup->links,
                                                               c));

        for (guint i = 0; e && i < e->links->len; i++) {
            if (strcmp(g_ptr_array_index(e->links, i), dup->id) != 0)
                continue;
            g_ptr_array_remove_index(e->links, i);
            ix_strset_add(e->links, keep);
            break;
        }
    }
}

/* The same bytes at two URLs are one document known by both: the first
 * planned keeps its id and takes the other's URLs, citations and tags. */
static void
merge_duplicates(ix_plan_t *plan, ix_collect_stats_t *stats)
{
    g_autoptr(GHashTable) by_hash = g_hash_table_new(g_str_hash,
                                                     g_str_equal);

    for (guint i = 0; i < plan->sources->len;) {
        ix_source_t *src = g_ptr_array_index(plan->sources, i);
        ix_source_t *keep;

        if (src->type != IX_SOURCE_DOCUMENT || !src->content_hash
            || (src->status != IX_STATUS_INDEXED
                && src->status != IX_STATUS_UNCHANGED)) {
            i++;
            continue;
        }
        keep = g_hash_table_lookup(by_hash, src->content_hash);
        if (!keep) {
            g_hash_table_insert(by_hash, src->content_hash, src);
            i++;
            continue;
        }
        ix_strset_merge(keep->urls, src->urls);
        ix_strset_merge(keep->links, src->links);
        ix_strset_merge(keep->orgs, src->orgs);
        ix_strset_merge(keep->themes, src->themes);
        ix_strset_merge(keep->countries, src->countries);
        ix_strset_merge(keep->years, src->years);
        ix_strset_merge(keep->org_names, src->org_names);
        recite(plan, src, keep->id);
        g_hash_table_remove(plan->by_id, src->id);
        g_ptr_array_remove_index(plan->sources, i);
        plan->n_documents--;
        stats->merged++;
    }
}

gboolean
ix_collect(ix_plan_t *plan, ix_writer_t *w, const ix_fetch_opts_t *fo,
           guint follow, guint workers, ix_collect_stats_t *stats,
           ix_content_stats_t *cstats, GError **error)
{
    /* --follow N follows every fetched page; without it only the pages
     * the plan marked (the repository page) are followed, one level. */
    gboolean follow_all = follow > 0;
    guint depth_limit = follow_all ? follow : 1;
    gboolean ok = TRUE;

    for (guint depth = 0;; depth++) {
        if (fo && !fetch_round(plan, fo, stats, error))
            return FALSE;
        if (!ix_content_extract(plan, w, workers, cstats, error))
            ok = FALSE;
        if (!ok || !fo || !discover(plan, depth, depth_limit, follow_all,
                                    fo->max_discovered, stats))
            break;
    }
    merge_duplicates(plan, stats);
    return ok;
}
