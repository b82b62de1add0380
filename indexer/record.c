/* record.c -- the JSON record of a source: what the index stores as
 * document data and what searchd returns for a hit, so its shape is the
 * API's (DESIGN.md, "HTTP API").
 */
#include <string.h>

#include "indexer-int.h"

/* The labels of @slugs from vocabulary @kind, so a client can show "UN
 * Women" without a second lookup; a slug the vocabulary lacks labels
 * itself. */
static void
add_labels(JsonBuilder *b, const char *name, const GPtrArray *slugs,
           const corpus_vocab_t *vocab, corpus_vocab_kind_t kind)
{
    json_builder_set_member_name(b, name);
    json_builder_begin_array(b);
    for (guint i = 0; slugs && i < slugs->len; i++) {
        const char *slug = g_ptr_array_index(slugs, i);
        const corpus_term_t *t = corpus_vocab_by_slug(vocab, kind, slug);

        json_builder_add_string_value(b, t ? t->label : slug);
    }
    json_builder_end_array(b);
}

static void
add_nullable(JsonBuilder *b, const char *name, const char *value)
{
    json_builder_set_member_name(b, name);
    if (value && *value)
        json_builder_add_string_value(b, value);
    else
        json_builder_add_null_value(b);
}

/* Whether the string set @set (nullable) holds @s. */
static gboolean
has(const GPtrArray *set, const char *s)
{
    for (guint i = 0; set && i < set->len; i++)
        if (strcmp(g_ptr_array_index(set, i), s) == 0)
            return TRUE;
    return FALSE;
}

const char *const ix_text_tag_fields[IX_TEXT_TAG_N] = {
    [IX_TEXT_TAG_ORG] = "org", [IX_TEXT_TAG_THEME] = "theme",
    [IX_TEXT_TAG_COUNTRY] = "country", [IX_TEXT_TAG_YEAR] = "year",
};

const GPtrArray *
ix_tag_set(const ix_source_t *src, ix_text_tag_t k)
{
    const GPtrArray *sets[IX_TEXT_TAG_N] = {
        src->orgs, src->themes, src->countries, src->years,
    };

    return sets[k];
}

guint
ix_tag_origins(const ix_source_t *src, ix_text_tag_t k, const char *slug,
               const char *out[2])
{
    const ix_text_tags_t *tt = src->text_tags;
    guint n = 0;

    /* Without the text's tags, every tag is the entries' or folders'. */
    if (!tt || has(tt->base[k], slug)) {
        g_autofree char *key = g_strconcat(ix_text_tag_fields[k], ":", slug,
                                           NULL);

        out[n++] = src->type == IX_SOURCE_DOCUMENT
                   && has(src->folder_tags, key) ? "folder" : "mapping";
    }
    if (tt && has(tt->found[k], slug))
        out[n++] = "text";
    return n;
}

/* "tag_sources": {"country": {"kazakhstan": ["mapping", "text"]}, ...}:
 * where each tag of the fields that text tagging adds to came from: the
 * citing entries ("mapping"), the folders ("folder"), the document's own
 * text ("text"), so a client can tell a document about Kazakhstan from
 * one filed under it. */
static void
add_tag_sources(JsonBuilder *b, const ix_source_t *src)
{
    json_builder_set_member_name(b, "tag_sources");
    json_builder_begin_object(b);
    for (guint k = 0; k < IX_TEXT_TAG_N; k++) {
        const GPtrArray *set = ix_tag_set(src, k);

        json_builder_set_member_name(b, ix_text_tag_fields[k]);
        json_builder_begin_object(b);
        for (guint i = 0; i < set->len; i++) {
            const char *slug = g_ptr_array_index(set, i);
            const char *from[2];
            guint n = ix_tag_origins(src, k, slug, from);

            json_builder_set_member_name(b, slug);
            json_builder_begin_array(b);
            for (guint j = 0; j < n; j++)
                json_builder_add_string_value(b, from[j]);
            json_builder_end_array(b);
        }
        json_builder_end_object(b);
    }
    json_builder_end_object(b);
}

/* "translations": [{"id", "lang", "title", "url"}]: the document's other
 * language versions (DESIGN.md, HTTP API). */
static void
add_translations(JsonBuilder *b, const GPtrArray *list)
{
    json_builder_set_member_name(b, "translations");
    json_builder_begin_array(b);
    for (guint i = 0; i < list->len; i++) {
        const ix_translation_t *t = g_ptr_array_index(list, i);

        json_builder_begin_object(b);
        add_nullable(b, "id", t->id);
        add_nullable(b, "lang", t->lang);
        add_nullable(b, "title", t->title);
        add_nullable(b, "url", t->url);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

/* "ocr": [{"page", "confidence"}], the pages read by OCR, so a reader of
 * a hit knows its text may hold recognition errors, and where. */
static void
add_ocr(JsonBuilder *b, const GArray *ocr)
{
    json_builder_set_member_name(b, "ocr");
    json_builder_begin_array(b);
    for (guint i = 0; i < ocr->len; i++) {
        const extract_ocr_page_t *o =
            &g_array_index(ocr, extract_ocr_page_t, i);

        json_builder_begin_object(b);
        ix__json_add_int(b, "page", o->page);
        ix__json_add_int(b, "confidence", o->confidence);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

JsonNode *
ix_record_build(const ix_source_t *src, const corpus_vocab_t *vocab)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    char section[2] = { src->section, '\0' };
    gboolean entry = src->type == IX_SOURCE_ENTRY;

    json_builder_begin_object(b);
    ix__json_add_string(b, "id", src->id);
    ix__json_add_string(b, "type", ix_type_name(src->type));
    ix__json_add_string(b, "title", src->title ? src->title : "");
    add_nullable(b, "url", src->url);
    if (!entry) {
        ix__json_add_strings(b, "urls", src->urls);
        add_nullable(b, "host", src->host);
    }
    ix__json_add_strings(b, "org", src->orgs);
    add_labels(b, "org_labels", src->orgs, vocab, CORPUS_VOCAB_ORG);
    ix__json_add_strings(b, "theme", src->themes);
    add_labels(b, "theme_labels", src->themes, vocab, CORPUS_VOCAB_THEME);
    add_nullable(b, "section", section);
    ix__json_add_strings(b, "country", src->countries);
    if (entry)
        ix__json_add_strings(b, "donor", src->donors);
    add_nullable(b, "kind", src->kind);
    ix__json_add_strings(b, "year", src->years);
    add_nullable(b, "lang", src->lang);
    ix__json_add_string(b, "status", ix_status_name(src->status));
    add_nullable(b, "reason", src->reason);
    ix__json_add_strings(b, entry ? "cites" : "cited_by", src->links);
    if (entry) {
        add_nullable(b, "edition", src->edition);
        json_builder_set_member_name(b, "lines");
        json_builder_begin_array(b);
        json_builder_add_int_value(b, src->first_line);
        json_builder_add_int_value(b, src->last_line);
        json_builder_end_array(b);
    } else {
        g_autofree char *fetched = NULL;

        if (src->fetched_at) {
            g_autoptr(GDateTime) t =
                g_date_time_new_from_unix_utc(src->fetched_at);

            fetched = t ? g_date_time_format_iso8601(t) : NULL;
        }
        add_nullable(b, "fetched_at", fetched);
        add_nullable(b, "media_type", src->media_type);
        add_nullable(b, "content_hash", src->content_hash);
        if (src->found_on)
            add_nullable(b, "found_on", src->found_on);
        if (src->context)
            add_nullable(b, "context", src->context);
        if (src->identifiers)
            ix__json_add_strings(b, "identifiers", src->identifiers);
        if (src->translations)
            add_translations(b, src->translations);
        if (src->text_tags)
            add_tag_sources(b, src);
        if (src->n_pages)
            ix__json_add_int(b, "pages", src->n_pages);
        if (src->ocr)
            add_ocr(b, src->ocr);
    }
    json_builder_end_object(b);
    return json_builder_get_root(b);
}
