/* record.c -- the JSON record of a source: what the index stores as
 * document data and what searchd returns for a hit, so its shape is the
 * API's (DESIGN.md, "HTTP API").
 */
#include <string.h>

#include "indexer.h"

static void
add_strings(JsonBuilder *b, const char *name, const GPtrArray *values)
{
    json_builder_set_member_name(b, name);
    json_builder_begin_array(b);
    for (guint i = 0; values && i < values->len; i++)
        json_builder_add_string_value(b, g_ptr_array_index(values, i));
    json_builder_end_array(b);
}

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

JsonNode *
ix_record_build(const ix_source_t *src, const corpus_vocab_t *vocab)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    char section[2] = { src->section, '\0' };
    gboolean entry = src->type == IX_SOURCE_ENTRY;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "id");
    json_builder_add_string_value(b, src->id);
    json_builder_set_member_name(b, "type");
    json_builder_add_string_value(b, ix_type_name(src->type));
    json_builder_set_member_name(b, "title");
    json_builder_add_string_value(b, src->title ? src->title : "");
    add_nullable(b, "url", src->url);
    if (!entry) {
        add_strings(b, "urls", src->urls);
        add_nullable(b, "host", src->host);
    }
    add_strings(b, "org", src->orgs);
    add_labels(b, "org_labels", src->orgs, vocab, CORPUS_VOCAB_ORG);
    add_strings(b, "theme", src->themes);
    add_labels(b, "theme_labels", src->themes, vocab, CORPUS_VOCAB_THEME);
    add_nullable(b, "section", section);
    add_strings(b, "country", src->countries);
    add_nullable(b, "kind", src->kind);
    add_strings(b, "year", src->years);
    add_nullable(b, "lang", src->lang);
    json_builder_set_member_name(b, "status");
    json_builder_add_string_value(b, ix_status_name(src->status));
    add_nullable(b, "reason", src->reason);
    add_strings(b, entry ? "cites" : "cited_by", src->links);
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
        if (src->n_pages) {
            json_builder_set_member_name(b, "pages");
            json_builder_add_int_value(b, src->n_pages);
        }
    }
    json_builder_end_object(b);
    return json_builder_get_root(b);
}
