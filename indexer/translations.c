/* translations.c -- links the language versions of one document: files
 * and URLs whose names differ only by a language tag ("Handbook_ru.pdf",
 * "Handbook-en.pdf", "Handbook (RUS).pdf", UNODC's "..._R.pdf").  Each
 * version's record then lists the others as "translations".  Names alone
 * decide, so the links are known when the plan is made and are the same
 * on every run, extracted or not.  Once the text is extracted, documents
 * that name the same UN document symbol at their head or the same ISBN
 * are linked too: a symbol ("S/2017/375") is the same in all six
 * languages, and so is a book's ISBN when its versions are one edition. */
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

/* Whether @src already lists @id among its translations. */
static gboolean
lists(const ix_source_t *src, const char *id)
{
    for (guint i = 0; src->translations && i < src->translations->len; i++)
        if (strcmp(((ix_translation_t *)g_ptr_array_index(
                       src->translations, i))->id, id) == 0)
            return TRUE;
    return FALSE;
}

void
ix_translation_add(ix_source_t *to, const ix_source_t *other,
                   const char *lang)
{
    ix_translation_t *t;

    if (lists(to, other->id))
        return;
    if (!to->translations)
        to->translations = g_ptr_array_new_with_free_func(
            (GDestroyNotify)ix_translation_free);
    t = g_new0(ix_translation_t, 1);
    t->id = g_strdup(other->id);
    t->lang = g_strdup(lang);
    t->title = g_strdup(other->title);
    t->url = g_strdup(other->url);
    g_ptr_array_add(to->translations, t);
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

                if (a != b && strcmp(va->lang, vb->lang) != 0)
                    ix_translation_add(va->src, vb->src, vb->lang);
            }
        }
    }
}

/* ------------------------------------------------- Identifiers in text */

#define SYMBOL_WINDOW 1500      /* characters: where a UN symbol opens a
                                 * document (its masthead) */
#define ISBN_MAX 4              /* more is a reading list, not the book's */
#define SHARED_MAX 8            /* more documents sharing one identifier
                                 * cite it rather than bear it */

/* A UN document symbol: the organ (A, S, E, ST, CTC, HRC...), series
 * ("RES", "CN.15"), then one to three numbers; a year in parentheses
 * after a resolution's number is the same resolution. */
static const char symbol_re[] =
    "(?<![\\w/.])((?:A|S|E|ST|CTC|HRC|UNODC|CCPCJ)"
    "(?:/[A-Z][A-Z0-9.]{0,15})*(?:/\\d{1,5}){1,3})"
    "(?![\\w/])";

static const char isbn_re[] =
    "ISBN(?:[- ]?1[03])?[:\\s]*((?:\\d[- ]?){9}[\\dXx](?:[- ]?\\d){0,3})";

/* "S/RES/2396" from the match: a symbol needs two parts after the organ
 * or a number after a series, so "A/1" in prose is none.  Returns:
 * (transfer full) (nullable). */
static char *
symbol_key(const char *match)
{
    guint slashes = 0;

    for (const char *p = match; *p; p++)
        slashes += *p == '/';
    if (slashes < 2)
        return NULL;
    return g_strconcat("un:", match, NULL);
}

/* The ISBN-13 of @digits (10 or 13 digits, hyphens and spaces removed),
 * or NULL when its check digit is wrong.  Returns: (transfer full)
 * (nullable). */
static char *
isbn13(const char *digits)
{
    size_t n = strlen(digits);
    char d[14];
    guint sum = 0;

    if (n == 10) {
        for (guint i = 0; i < 10; i++) {
            guint v = digits[i] == 'X' || digits[i] == 'x'
                      ? (i == 9 ? 10 : 99) : (guint)(digits[i] - '0');

            if (v == 99)
                return NULL;
            sum += (10 - i) * v;
        }
        if (sum % 11)
            return NULL;
        /* One book, one key: its ISBN-10 is 978 + nine digits + a new
         * check digit. */
        memcpy(d, "978", 3);
        memcpy(d + 3, digits, 9);
        sum = 0;
        for (guint i = 0; i < 12; i++)
            sum += (guint)(d[i] - '0') * (i % 2 ? 3 : 1);
        d[12] = (char)('0' + (10 - sum % 10) % 10);
        d[13] = '\0';
        return g_strdup(d);
    }
    if (n != 13 || strspn(digits, "0123456789") != 13
        || (strncmp(digits, "978", 3) != 0 && strncmp(digits, "979", 3) != 0))
        return NULL;
    for (guint i = 0; i < 13; i++)
        sum += (guint)(digits[i] - '0') * (i % 2 ? 3 : 1);
    return sum % 10 ? NULL : g_strdup(digits);
}

static void
find_isbns(GRegex *re, const char *text, GPtrArray *out)
{
    g_autoptr(GMatchInfo) m = NULL;

    g_regex_match(re, text, 0, &m);
    for (; g_match_info_matches(m); g_match_info_next(m, NULL)) {
        g_autofree char *raw = g_match_info_fetch(m, 1);
        GString *digits = g_string_new(NULL);
        g_autofree char *isbn = NULL;

        for (const char *p = raw; *p; p++)
            if (*p != '-' && *p != ' ')
                g_string_append_c(digits, *p);
        isbn = isbn13(digits->str);
        /* "ISBN 978-92-1-130335-9 (print)": a longer digit run read
         * past the ISBN is tried without its tail. */
        while (!isbn && digits->len > 10) {
            g_string_truncate(digits, digits->len - 1);
            isbn = isbn13(digits->str);
        }
        g_string_free(digits, TRUE);
        if (isbn) {
            g_autofree char *key = g_strconcat("isbn:", isbn, NULL);

            ix_strset_add(out, key);
        }
    }
}

GPtrArray *
ix_identifiers_find(const GPtrArray *passages)
{
    static GRegex *symbol, *isbn;
    static gsize compiled;
    g_autoptr(GString) head = g_string_new(NULL);
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) isbns = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GMatchInfo) m = NULL;

    /* Compiled once for the process and kept (the extraction callbacks
     * may run in several threads); constant patterns cannot fail. */
    if (g_once_init_enter(&compiled)) {
        isbn = g_regex_new(isbn_re, G_REGEX_OPTIMIZE, 0, NULL);
        symbol = g_regex_new(symbol_re, G_REGEX_OPTIMIZE, 0, NULL);
        g_once_init_leave(&compiled, 1);
    }
    for (guint i = 0; i < passages->len && head->len < SYMBOL_WINDOW; i++)
        g_string_append_printf(head, "%s\n",
                               (char *)g_ptr_array_index(passages, i));
    if (head->len > SYMBOL_WINDOW)
        g_string_truncate(head, SYMBOL_WINDOW);
    /* A cut inside a UTF-8 sequence would fail the match. */
    {
        const char *end = NULL;

        if (!g_utf8_validate(head->str, head->len, &end))
            g_string_truncate(head, end - head->str);
    }
    if (g_regex_match(symbol, head->str, 0, &m)) {
        g_autofree char *s = g_match_info_fetch(m, 1);
        g_autofree char *key = symbol_key(s);

        if (key)
            ix_strset_add(ids, key);
    }
    for (guint i = 0; i < passages->len; i++)
        if (i < 3 || i + 1 == passages->len)
            find_isbns(isbn, g_ptr_array_index(passages, i), isbns);
    if (isbns->len <= ISBN_MAX)
        ix_strset_merge(ids, isbns);
    return ids->len ? g_steal_pointer(&ids) : NULL;
}

/* A document that can be linked by identifier: it has one, and a known
 * language to list it under. */
static gboolean
linkable(const ix_source_t *src)
{
    return src->type == IX_SOURCE_DOCUMENT && src->identifiers
           && src->lang && *src->lang;
}

void
ix_translations_link_identifiers(ix_plan_t *plan)
{
    g_autoptr(GHashTable) groups = g_hash_table_new_full(
        g_str_hash, g_str_equal, NULL, (GDestroyNotify)g_ptr_array_unref);

    for (guint i = 0; i < plan->sources->len; i++) {
        ix_source_t *src = g_ptr_array_index(plan->sources, i);

        if (!linkable(src))
            continue;
        for (guint k = 0; k < src->identifiers->len; k++) {
            char *key = g_ptr_array_index(src->identifiers, k);
            GPtrArray *group = g_hash_table_lookup(groups, key);

            if (!group) {
                group = g_ptr_array_new();
                g_hash_table_insert(groups, key, group);
            }
            if (!group->len || g_ptr_array_index(group, group->len - 1)
                != src)
                g_ptr_array_add(group, src);
        }
    }
    /* In plan order, so the lists and the records' hashes are the same
     * on every run. */
    for (guint i = 0; i < plan->sources->len; i++) {
        ix_source_t *src = g_ptr_array_index(plan->sources, i);

        if (!linkable(src))
            continue;
        for (guint k = 0; k < src->identifiers->len; k++) {
            GPtrArray *group = g_hash_table_lookup(
                groups, g_ptr_array_index(src->identifiers, k));

            for (guint b = 0; group->len <= SHARED_MAX && b < group->len;
                 b++) {
                const ix_source_t *other = g_ptr_array_index(group, b);

                if (other != src && strcmp(src->lang, other->lang) != 0)
                    ix_translation_add(src, other, other->lang);
            }
        }
    }
}
