/* json.c -- JSON replies through json-glib: serializing, parsing stored
 * records, and the one shape of error bodies. */
#include "searchd-int.h"

char *
sd_json_to_string(JsonNode *root, size_t *len)
{
    g_autoptr(JsonGenerator) gen = json_generator_new();
    gsize n = 0;
    char *text;

    json_generator_set_root(gen, root);
    text = json_generator_to_data(gen, &n);
    if (len)
        *len = n;
    return text;
}

JsonNode *
sd_json_parse(const char *text)
{
    g_autoptr(JsonParser) parser = json_parser_new();

    if (!text || !*text || !json_parser_load_from_data(parser, text, -1,
                                                       NULL))
        return NULL;
    return json_parser_steal_root(parser);
}

void
sd_json_reply(JsonNode *root, unsigned status, sd_reply_t *reply)
{
    reply->status = status;
    reply->content_type = SD_JSON_TYPE;
    reply->body = sd_json_to_string(root, &reply->len);
}

void
sd_json_error_reply(const GError *error, sd_reply_t *reply)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonNode) root = NULL;
    int code = SD_ERROR_INTERNAL;

    if (error->domain == SD_ERROR)
        code = error->code;
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "error");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "code");
    json_builder_add_string_value(b, sd_error_code(code));
    json_builder_set_member_name(b, "message");
    json_builder_add_string_value(b, error->message);
    json_builder_end_object(b);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    sd_json_reply(root, sd_error_http_status(code), reply);
    reply->error_code = sd_error_code(code);
}

void
sd_reply_clear(sd_reply_t *reply)
{
    g_clear_pointer(&reply->body, g_free);
    g_clear_pointer(&reply->etag, g_free);
    reply->len = 0;
}

/* RFC 9110 13.1.2: a list of entity tags, or "*"; compared weakly (a
 * W/ prefix ignored), as If-None-Match requires. */
void
sd_reply_revalidate(sd_reply_t *reply, const char *if_none_match)
{
    g_auto(GStrv) tags = NULL;
    const char *ours;
    gboolean match = FALSE;
    size_t i;

    if (!if_none_match || !reply->etag || reply->status != 200)
        return;
    ours = g_str_has_prefix(reply->etag, "W/") ? reply->etag + 2 : reply->etag;
    tags = g_strsplit(if_none_match, ",", -1);
    for (i = 0; tags[i] && !match; i++) {
        const char *tag = g_strstrip(tags[i]);

        if (g_str_has_prefix(tag, "W/"))
            tag += 2;
        match = g_str_equal(tag, "*") || g_str_equal(tag, ours);
    }
    if (!match)
        return;
    g_clear_pointer(&reply->body, g_free);
    reply->len = 0;
    reply->status = 304;
}
