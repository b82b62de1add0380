/* translations.c -- links the language versions of one document: files
 * and URLs whose names differ only by a language tag ("Handbook_ru.pdf",
 * "Handbook-en.pdf", "Handbook (RUS).pdf", UNODC's "..._R.pdf").  Each
 * version's record then lists the others as "translations".  Names alone
 * decide, so the links are known when the plan is made and are the same
 * on every run, extracted or not; versions told by a shared UN symbol or
 * ISBN in their text are not linked here. */
#include <string.h>

#include "indexer-int.h"

/* The language tags of file names, each with its language: the tag is the
 * stem's last part after '_', '-', '.' or ' ', or in parentheses. */
static const struct {
    const char *tag;
    const char *lang;
} lang_tags[] = {
    { "en", "en" }, { "eng", "en" }, { "english", "en" }, { "e", "en" },
    { "ru", "ru" }, { "rus", "ru" }, { "russian", "ru" }, { "r", "ru" },
    { "kk", "kk" }, { "kz", "kk" }, { "kaz", "kk" },
    { "ky", "ky" }, { "kg", "ky" }, { "kyr", "ky" },
    { "tg", "tg" }, { "tj", "tg" }, { "taj", "tg" },
    { "uz", "uz" }, { "uzb", "uz" },
    { "fr", "fr" }, { "fre", "fr" }, { "ar", "ar" }, { "ara", "ar" },
    { "zh", "zh" }, { "chi", "zh" }, { "es", "es" }, { "spa", "es" },
};

static const char *
tag_lang(const char *tag)
{
    for (gsize i = 0; i < G_N_ELEMENTS(lang_tags); i++)
        if (g_ascii_strcasecmp(tag, lang_tags[i].tag) == 0)
            return lang_tags[i].lang;
    return NULL;
}

/* The name @src is known by: its repository path, else its URL's path
 * with the host, without query or fragment.  Returns: (transfer full)
 * (nullable). */
static char *
name_of(const ix_source_t *src)
{
    const char *url = src->url;
    char *s;

    if (src->path && !src->url)
        return g_strdup(src->path);
    if (!url)
        return NULL;
    if (g_str_has_prefix(url, "http://") || g_str_has_prefix(url, "https://")
        || g_str_has_prefix(url, "file://"))
        url = strstr(url, "//") + 2;
    s = g_ascii_strdown(url, -1);
    s[strcspn(s, "?#")] = '\0';
    /* "Handbook%20(RUS).pdf" is "Handbook (RUS).pdf"; a name that does not
     * unescape to UTF-8 is compared as written. */
    {
        char *plain = g_uri_unescape_string(s, NULL);

        if (plain && g_utf8_validate(plain, -1, NULL)) {
            g_free(s);
            return plain;
        }
        g_free(plain);
    }
    return s;
}

/* Splits @name ("dir/Handbook_ru.pdf") into the key its versions share
 * ("dir/handbook\x01.pdf") and the language of its tag.  Returns:
 * (transfer full) (nullable): NULL when the name has no language tag. */
static char *
version_key(const char *name, const char **lang)
{
    g_autofree char *s = g_ascii_strdown(name, -1);
    char *slash = strrchr(s, '/');
    char *stem = slash ? slash + 1 : s;
    char *dot = strrchr(stem, '.');
    g_autofree char *ext = g_strdup(dot && dot != stem ? dot : "");
    char *end, *tag;

    if (dot && dot != stem)
        *dot = '\0';
    end = stem + strlen(stem);
    if (end > stem && end[-1] == ')') {
        tag = strrchr(stem, '(');
        if (!tag)
            return NULL;
        end[-1] = '\0';
        *tag++ = '\0';
    } else {
        tag = end;
        while (tag > stem && !strchr("_-. ", tag[-1]))
            tag--;
        if (tag == stem)
            return NULL;
        tag[-1] = '\0';
    }
    *lang = tag_lang(g_strstrip(tag));
    if (!*lang)
        return NULL;
    /* "Handbook_ru" and "Handbook (RUS)" share "handbook". */
    g_strstrip(stem);
    while (*stem && strchr("_-. ", stem[strlen(stem) - 1]))
        stem[strlen(stem) - 1] = '\0';
    if (!*stem)
        return NULL;
    return g_strdup_printf("%.*s%s\x01%s", (int)(stem - s), s, stem, ext);
}

void
ix_translation_free(ix_translation_t *t)
{
    if (!t)
        return;
    g_free(t->id);
    g_free(t->lang);
    g_free(t->title);
    g_free(t->url);
    g_free(t);
}

typedef struct {
    ix_source_t *src;
    const char *lang;
} version_t;

void
ix_translations_link(ix_plan_t *plan)
{
    g_autoptr(GHashTable) groups = g_hash_table_new_full(
        g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_array_unref);
    GHashTableIter it;
    gpointer value;

    for (guint i = 0; i < plan->sources->len; i++) {
        ix_source_t *src = g_ptr_array_index(plan->sources, i);
        g_autofree char *name = NULL;
        char *key;
        version_t v = { src, NULL };
        GArray *group;

        if (src->type != IX_SOURCE_DOCUMENT)
            continue;
        name = name_of(src);
        key = name ? version_key(name, &v.lang) : NULL;
        if (!key)
            continue;
        group = g_hash_table_lookup(groups, key);
        if (!group) {
            group = g_array_new(FALSE, FALSE, sizeof(version_t));
            g_hash_table_insert(groups, key, group);
        } else {
            g_free(key);
        }
        g_array_append_val(group, v);
    }
    g_hash_table_iter_init(&it, groups);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        GArray *group = value;

        for (guint a = 0; group->len > 1 && a < group->len; a++) {
            version_t *va = &g_array_index(group, version_t, a);

            for (guint b = 0; b < group->len; b++) {
                version_t *vb = &g_array_index(group, version_t, b);
                ix_translation_t *t;

                if (a == b || strcmp(va->lang, vb->lang) == 0)
                    continue;
                if (!va->src->translations)
                    va->src->translations = g_ptr_array_new_with_free_func(
                        (GDestroyNotify)ix_translation_free);
                t = g_new0(ix_translation_t, 1);
                t->id = g_strdup(vb->src->id);
                t->lang = g_strdup(vb->lang);
                t->title = g_strdup(vb->src->title);
                t->url = g_strdup(vb->src->url);
                g_ptr_array_add(va->src->translations, t);
            }
        }
    }
}
