/* plan.c -- turns the mappings into the sources to index: one per entry and
 * one per document an entry cites, by link or by italic title.
 *
 * A document cited by several entries is planned once and carries the union
 * of their tags, so a researcher filtering by organization or theme finds
 * the document under every entry that points at it.
 */
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "indexer-int.h"

/* Passages are what the snippet generator works on; short enough that
 * MSet::snippet() stays cheap, long enough to hold a sentence or two. */
#define PASSAGE_MAX 1500

G_DEFINE_QUARK(ctmap-indexer-error-quark, ix_error)

#define IX__NAME(id, name, label) name,
static const char *const status_names[] = {XC_DOC_STATUS_LIST(IX__NAME)};
static const char *const type_names[] = {XC_DOC_TYPE_LIST(IX__NAME)};
#undef IX__NAME

const char *
ix_status_name(ix_status_t status)
{
    if ((unsigned)status >= IX_STATUS_N)
        return "broken";
    return status_names[status];
}

ix_status_t
ix_status_from_name(const char *name, ix_status_t fallback)
{
    for (guint s = 0; name && s < IX_STATUS_N; s++)
        if (strcmp(status_names[s], name) == 0)
            return s;
    return fallback;
}

const char *
ix_type_name(ix_source_type_t type)
{
    if ((unsigned)type >= IX_SOURCE_N)
        return type_names[IX_SOURCE_DOCUMENT];
    return type_names[type];
}

/* The members of ix_source_t a source always owns: its strings
 * (nullable) and its string sets (created with it).  One list from which
 * creating and freeing a source are derived. */
#define SOURCE_STRINGS(X)                                                 \
    X(id) X(title) X(url) X(host) X(reason) X(kind) X(lang) X(edition)   \
    X(path) X(media_type) X(base_url) X(hint_type) X(hint_charset)       \
    X(content_hash) X(text_digest) X(file_stamp) X(found_on) X(context)
#define SOURCE_SETS(X)                                                    \
    X(urls) X(orgs) X(themes) X(countries) X(donors) X(years)            \
    X(org_names) X(links) X(passages)

ix_source_t *
ix_source_new(ix_source_type_t type, const char *id)
{
    ix_source_t *src = g_new0(ix_source_t, 1);

#define NEW_SET(f) src->f = g_ptr_array_new_with_free_func(g_free);
    src->type = type;
    src->id = g_strdup(id);
    src->kind = g_strdup("");
    src->lang = g_strdup("");
    SOURCE_SETS(NEW_SET)
    return src;
#undef NEW_SET
}

void
ix_source_free(ix_source_t *src)
{
#define FREE_STRING(f) g_free(src->f);
#define FREE_SET(f) g_ptr_array_unref(src->f);
    if (!src)
        return;
    SOURCE_STRINGS(FREE_STRING)
    if (src->translations)
        g_ptr_array_unref(src->translations);
    if (src->identifiers)
        g_ptr_array_unref(src->identifiers);
    if (src->folder_tags)
        g_ptr_array_unref(src->folder_tags);
    if (src->out_links)
        g_ptr_array_unref(src->out_links);
    if (src->ocr)
        g_array_unref(src->ocr);
    SOURCE_SETS(FREE_SET)
    g_free(src);
#undef FREE_STRING
#undef FREE_SET
}

void
ix_strset_add(GPtrArray *set, const char *value)
{
    if (!value || !*value)
        return;
    for (guint i = 0; i < set->len; i++)
        if (strcmp(g_ptr_array_index(set, i), value) == 0)
            return;
    g_ptr_array_add(set, g_strdup(value));
}

void
ix_strset_merge(GPtrArray *set, const GPtrArray *more)
{
    for (guint i = 0; more && i < more->len; i++)
        ix_strset_add(set, g_ptr_array_index(more, i));
}

char *
ix_document_id(const char *kind, const char *key)
{
    g_autofree char *input = g_strconcat(kind, ":", key, NULL);
    g_autofree char *hex =
        g_compute_checksum_for_string(G_CHECKSUM_SHA256, input, -1);

    return g_strdup_printf("d-%.16s", hex);
}

/* Splits @text into passages of at most PASSAGE_MAX bytes at line breaks
 * (a single longer line becomes a passage of its own). */
static void
add_passages(GPtrArray *passages, const char *text)
{
    g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);
    g_autoptr(GString) cur = g_string_new(NULL);

    for (guint i = 0; lines[i]; i++) {
        const char *line = g_strstrip(lines[i]);

        if (!*line)
            continue;
        if (cur->len && cur->len + strlen(line) + 1 > PASSAGE_MAX) {
            g_ptr_array_add(passages, g_strdup(cur->str));
            g_string_truncate(cur, 0);
        }
        if (cur->len)
            g_string_append_c(cur, '\n');
        g_string_append(cur, line);
    }
    if (cur->len)
        g_ptr_array_add(passages, g_strdup(cur->str));
}

/* The words an organization is known by, indexed under XO so that
 * "org:UNODC" and "org:drugs" both find it. */
static void
add_org_names(GPtrArray *names, const corpus_vocab_t *vocab,
              const char *slug)
{
    const corpus_term_t *org =
        corpus_vocab_by_slug(vocab, CORPUS_VOCAB_ORG, slug);

    if (!org)
        return;
    ix_strset_add(names, org->label);
    ix_strset_add(names, org->name);
    for (guint i = 0; org->aliases && i < org->aliases->len; i++)
        ix_strset_add(names, g_ptr_array_index(org->aliases, i));
}

/* The line of @text around byte offset @at: the sentence a citation sits
 * in, which is all a reader knows of a document that was not fetched. */
static char *
context_line(const char *text, const char *at)
{
    const char *start = at, *end = at;

    while (start > text && start[-1] != '\n')
        start--;
    while (*end && *end != '\n')
        end++;
    return g_strndup(start, end - start);
}

/* A link is taken for a Russian document when its URL or the words just
 * before it say so ("Available in Russian: https://..."); other links get
 * no language until extraction tells. */
/* Whether the words just before @at announce a Russian version
 * ("Available in Russian: https://...", "Russian version:"). */
static gboolean
announced_russian(const char *text, const char *at)
{
    const char *from = at - MIN((gsize)(at - text), 60);
    g_autofree char *before = g_strndup(from, at - from);

    return strstr(before, "Russian") || strstr(before, "russian");
}

static const char *
guess_link_lang(const char *text, const char *at, const char *url)
{
    static const char *const url_marks[] = {
        "_R.pdf", "_R_", "Russian", "/ru/", "_rus", NULL
    };

    for (guint i = 0; url_marks[i]; i++)
        if (strstr(url, url_marks[i]))
            return "ru";
    return announced_russian(text, at) ? "ru" : "";
}

/* "Handbook: https://.../Handbook.pdf (available in Russian:
 * https://.../Russian.pdf)": a link the entry announces as the Russian
 * version is one of the link cited just before it.  That one's language
 * is its planned one, else English, the mapping's. */
static void
link_announced_versions(const corpus_entry_t *e, const char **link_at,
                        ix_source_t **docs)
{
    for (guint l = 0; l < e->links->len; l++) {
        int prev = -1;
        ix_source_t *other;

        if (!link_at[l] || !announced_russian(e->text, link_at[l]))
            continue;
        for (guint o = 0; o < e->links->len; o++)
            if (link_at[o] && link_at[o] < link_at[l]
                && (prev < 0 || link_at[o] > link_at[prev]))
                prev = (int)o;
        if (prev < 0 || docs[prev] == docs[l]
            || g_strcmp0(docs[prev]->lang, "ru") == 0)
            continue;
        other = docs[prev];
        ix_translation_add(docs[l], other,
                           *other->lang ? other->lang : "en");
        ix_translation_add(other, docs[l], "ru");
    }
}

/* The last segment of a link's path, unescaped; NULL for a site's home
 * page. */
static char *
url_basename(const corpus_link_t *link)
{
    const char *path = strchr(link->url + strlen("file://"), '/');
    g_autofree char *trimmed = NULL;
    const char *slash;

    if (!path || !path[1])
        return NULL;
    trimmed = g_strdup(path);
    while (*trimmed && trimmed[strlen(trimmed) - 1] == '/')
        trimmed[strlen(trimmed) - 1] = '\0';
    slash = strrchr(trimmed, '/');
    if (!slash || !slash[1])
        return NULL;

    g_autofree char *unescaped = g_uri_unescape_string(slash + 1, NULL);
    if (!unescaped || !g_utf8_validate(unescaped, -1, NULL))
        return g_strdup(slash + 1);
    return g_steal_pointer(&unescaped);
}

/* The sentence that introduces a link ("Good Practices in Supporting
 * Victims of Terrorism (2015). Available in Russian: https://...") names
 * the document better than its file name ("goos_practices_victims_R.pdf"):
 * walk back over the sentences before the link, skipping the ones that
 * only say where or in which language it is available. */
static char *
title_from_context(const char *line_start, const char *at)
{
    g_autofree char *before = g_strndup(line_start, at - line_start);
    g_auto(GStrv) sentences = g_regex_split_simple("(?<=[.!?;])\\s+",
                                                   before, 0, 0);
    guint n = g_strv_length(sentences);

    for (guint i = n; i-- > 0;) {
        g_autofree char *clean = g_strdup(sentences[i]);
        char *end;

        g_strstrip(clean);
        if (g_regex_match_simple("^\\(?\\s*(also )?available\\b", clean,
                                 G_REGEX_CASELESS, 0))
            continue;
        end = clean + strlen(clean);
        while (end > clean && strchr(" (:;,.-<", end[-1]))
            *--end = '\0';
        if (g_utf8_strlen(clean, -1) < 12)
            continue;
        if (g_utf8_strlen(clean, -1) > 160) {
            char *cut = g_utf8_offset_to_pointer(clean, 157);

            *cut = '\0';
            return g_strconcat(clean, "...", NULL);
        }
        return g_steal_pointer(&clean);
    }
    return NULL;
}

/* An introducing sentence is a title only when it is a name, not a clause
 * about the document: "Good Practices in Supporting Victims of Terrorism
 * (2015)" is; "which is available in English, Russian and Uzbek", "14 out
 * of 16 Modules are currently available in Russian" and "The handbook
 * takes stock of national experiences" are not.  From a clause the name
 * is taken where the sentence gives one: a quoted span of three words or
 * more ("published “A Whole-of-Society Approach …”"), or the subject
 * before the verb when it is a capitalised phrase of three words or more
 * ("UNODC's Online Counter-Terrorism Learning Platform (CTLP) is an
 * interactive tool").  Returns: (transfer full) (nullable): the name, NULL
 * when the sentence has none. */
static char *
name_from_sentence(const char *s)
{
    static const char verbs[] =
        "\\s(is|are|was|were|has|have|had|can|will|serves?|takes?|"
        "provides?|contains?|includes?|aims?|offers?|describes?|"
        "published|available|shared|designed|launched|developed)\\b";
    g_autoptr(GRegex) quoted = g_regex_new(
        "[\"“«]([^\"”»]+(?:\\s+[^\"”»\\s.]+){2,})(?:[\"”»]|\\.\\.\\.$)",
        0, 0, NULL);
    g_autoptr(GRegex) verb = g_regex_new(verbs, G_REGEX_CASELESS, 0, NULL);
    g_autoptr(GMatchInfo) m = NULL;
    gint start = 0;

    if (g_regex_match(quoted, s, 0, &m))
        return g_match_info_fetch(m, 1);
    /* An item of a list ("2) effective responses to ...") is no name. */
    if (g_regex_match_simple("^\\(?[0-9a-z]\\)", s, 0, 0))
        return NULL;
    g_clear_pointer(&m, g_match_info_unref);
    if (!g_regex_match(verb, s, 0, &m))
        return g_unichar_islower(g_utf8_get_char(s)) ? NULL : g_strdup(s);
    g_match_info_fetch_pos(m, 0, &start, NULL);
    {
        g_autofree char *subject = g_strstrip(g_strndup(s, (gsize)start));
        g_auto(GStrv) words = g_strsplit_set(subject, " ", -1);

        if (g_strv_length(words) >= 3 &&
            g_unichar_isupper(g_utf8_get_char(subject)))
            return g_steal_pointer(&subject);
    }
    return NULL;
}

/* A file name as a name: "goos_practices_victims_R.pdf" is "goos
 * practices victims R"; NULL for names that say nothing of the document
 * (index.html, view.php, a number). */
static char *
name_from_file(const char *base)
{
    g_autofree char *s = g_strdup(base);
    char *dot;
    guint letters = 0;

    s[strcspn(s, "?#")] = '\0';
    dot = strrchr(s, '.');
    if (dot && dot != s)
        *dot = '\0';
    g_strdelimit(s, "_+", ' ');
    g_strstrip(s);
    for (const char *p = s; *p; p = g_utf8_next_char(p))
        letters += g_unichar_isalpha(g_utf8_get_char(p)) != 0;
    if (letters < 4 || g_regex_match_simple(
            "^(index|default|view|login|home|main|courses?|page|"
            "russian|english|rus|eng|ru|en)$", s,
            G_REGEX_CASELESS, 0))
        return NULL;
    return g_steal_pointer(&s);
}

/* A title for a document known only by its link: the italic title paired
 * with it, else the sentence that introduces it when it is a name (or
 * holds one), else the file name, else the host (a site's home page is
 * best named by its host).  The sentence always stays in the document's
 * text, as its citing line; when it is not the title it goes to
 * *@context (transfer full; left alone otherwise). */
static char *
title_for_link(const corpus_link_t *link, const char *paired,
               const char *text, const char *at, char **context)
{
    g_autofree char *base = url_basename(link);
    g_autofree char *file = base ? name_from_file(base) : NULL;
    const char *line = at;

    if (paired)
        return g_strdup(paired);
    while (line > text && line[-1] != '\n')
        line--;

    g_autofree char *ctx = title_from_context(line, at);
    /* A link alone on its line is introduced by the line before. */
    if (!ctx && line > text) {
        const char *prev = line - 1;

        while (prev > text && prev[-1] != '\n')
            prev--;
        ctx = title_from_context(prev, line - 1);
    }
    char *name = ctx ? name_from_sentence(ctx) : NULL;

    if (ctx && g_strcmp0(name, ctx) != 0 && !*context)
        *context = g_strdup(ctx);
    if (name)
        return name;
    if (file)
        return g_steal_pointer(&file);
    return g_strdup(link->host ? link->host : base ? base : link->url);
}

/* Finds or creates the document @id, then adds what the citing @entry
 * contributes: its tags, its id in cited_by, the citing line. */
static ix_source_t *
cite_document(ix_plan_t *plan, const char *id, ix_source_t *entry,
              const char *context)
{
    ix_source_t *doc = g_hash_table_lookup(plan->by_id, id);

    if (!doc) {
        doc = ix_source_new(IX_SOURCE_DOCUMENT, id);
        g_free(doc->kind);
        doc->kind = g_strdup(entry->kind);
        doc->section = entry->section;
        g_ptr_array_add(plan->sources, doc);
        g_hash_table_insert(plan->by_id, doc->id, doc);
        plan->n_documents++;
    }
    ix_strset_merge(doc->orgs, entry->orgs);
    ix_strset_merge(doc->themes, entry->themes);
    ix_strset_merge(doc->countries, entry->countries);
    ix_strset_merge(doc->years, entry->years);
    ix_strset_merge(doc->org_names, entry->org_names);
    ix_strset_add(doc->links, entry->id);
    ix_strset_add(entry->links, doc->id);
    if (context && *context) {
        gboolean seen = FALSE;

        for (guint i = 0; i < doc->passages->len && !seen; i++)
            seen = strcmp(g_ptr_array_index(doc->passages, i),
                          context) == 0;
        if (!seen)
            g_ptr_array_add(doc->passages, g_strdup(context));
    }
    return doc;
}

/* Pairs each link with the italic title just before it (and no other
 * link in between), so "<i>Policy Brief No. 56</i> ... http://...pdf" is
 * one document with a real title rather than a URL and a title-only
 * twin.  @paired gets, per title, the link index it went to or -1. */
static void
pair_titles(const corpus_entry_t *e, int *paired, const char **title_at,
            const char **link_at)
{
    for (guint t = 0; t < e->titles->len; t++) {
        paired[t] = -1;
        title_at[t] = strstr(e->text, g_ptr_array_index(e->titles, t));
    }
    for (guint l = 0; l < e->links->len; l++) {
        const corpus_link_t *link = g_ptr_array_index(e->links, l);

        link_at[l] = strstr(e->text, link->written);
    }
    for (guint l = 0; l < e->links->len; l++) {
        int best = -1;

        if (!link_at[l])
            continue;
        for (guint t = 0; t < e->titles->len; t++) {
            gboolean blocked = FALSE;

            if (!title_at[t] || title_at[t] > link_at[l] || paired[t] >= 0)
                continue;
            for (guint o = 0; o < e->links->len && !blocked; o++)
                blocked = o != l && link_at[o] && link_at[o] > title_at[t]
                          && link_at[o] < link_at[l];
            if (!blocked && (best < 0 || title_at[t] > title_at[best]))
                best = (int)t;
        }
        if (best >= 0)
            paired[best] = (int)l;
    }
}

static void
plan_links(ix_plan_t *plan, const corpus_entry_t *e, ix_source_t *entry)
{
    guint nt = e->titles->len, nl = e->links->len;
    g_autofree int *paired = g_new0(int, nt + 1);
    g_autofree const char **title_at = g_new0(const char *, nt + 1);
    g_autofree const char **link_at = g_new0(const char *, nl + 1);
    g_autofree ix_source_t **docs = g_new0(ix_source_t *, nl + 1);

    pair_titles(e, paired, title_at, link_at);

    for (guint l = 0; l < nl; l++) {
        const corpus_link_t *link = g_ptr_array_index(e->links, l);
        g_autofree char *norm = corpus_url_normalize(link->url);
        g_autofree char *id = ix_document_id("url", norm);
        const char *at = link_at[l] ? link_at[l] : e->text;
        g_autofree char *ctx = context_line(e->text, at);
        ix_source_t *doc = cite_document(plan, id, entry, ctx);
        const char *title = NULL;

        docs[l] = doc;
        for (guint t = 0; t < nt; t++)
            if (paired[t] == (int)l)
                title = g_ptr_array_index(e->titles, t);
        if (!doc->title)
            doc->title = title_for_link(link, title, e->text, at,
                                        &doc->context);
        if (!doc->url) {
            doc->url = g_strdup(link->url);
            doc->host = g_strdup(link->host);
        }
        ix_strset_add(doc->urls, link->url);
        if (!*doc->lang) {
            g_free(doc->lang);
            doc->lang = g_strdup(guess_link_lang(e->text, at, link->url));
        }
        if (link->kind == CORPUS_LINK_FILE) {
            doc->status = IX_STATUS_LOCAL_PATH;
            g_free(doc->reason);
            doc->reason = g_strdup("link to a file on someone's disk");
        } else {
            doc->status = IX_STATUS_UNREACHABLE;
            g_free(doc->reason);
            doc->reason = g_strdup(IX_REASON_NOT_FETCHED);
            doc->fetch = IX_FETCH_PENDING;
        }
    }
    link_announced_versions(e, link_at, docs);

    for (guint t = 0; t < nt; t++) {
        const char *title = g_ptr_array_index(e->titles, t);
        g_autofree char *folded = NULL, *id = NULL, *ctx = NULL;
        ix_source_t *doc;

        if (paired[t] >= 0)
            continue;
        folded = xc_slug(title);
        id = ix_document_id("title", folded);
        ctx = context_line(e->text, title_at[t] ? title_at[t] : e->text);
        doc = cite_document(plan, id, entry, ctx);
        if (!doc->title)
            doc->title = g_strdup(title);
        doc->status = IX_STATUS_TITLE_ONLY;
        g_free(doc->lang);
        doc->lang = g_strdup("en");
    }
}

static ix_source_t *
plan_entry(ix_plan_t *plan, const corpus_vocab_t *vocab,
           const corpus_entry_t *e)
{
    ix_source_t *src = ix_source_new(IX_SOURCE_ENTRY, e->id);

    src->title = g_strdup(e->title && *e->title ? e->title : e->id);
    src->status = IX_STATUS_INDEXED;
    src->section = e->section;
    g_free(src->kind);
    src->kind = g_strdup(e->kind ? e->kind : "");
    g_free(src->lang);
    src->lang = g_strdup("en");
    src->edition = g_strdup(e->edition);
    src->first_line = e->first_line;
    src->last_line = e->last_line;
    ix_strset_merge(src->orgs, e->orgs);
    if (e->theme)
        ix_strset_add(src->themes, e->theme);
    ix_strset_merge(src->themes, e->themes);
    ix_strset_merge(src->countries, e->countries);
    ix_strset_merge(src->donors, e->donors);
    ix_strset_merge(src->years, e->years);
    for (guint i = 0; i < e->orgs->len; i++)
        add_org_names(src->org_names, vocab, g_ptr_array_index(e->orgs, i));
    ix_strset_add(src->org_names, e->orgs_raw);
    add_passages(src->passages, e->text);
    g_ptr_array_add(plan->sources, src);
    g_hash_table_insert(plan->by_id, src->id, src);
    plan->n_entries++;
    return src;
}

static gint
by_type(gconstpointer a, gconstpointer b)
{
    const ix_source_t *sa = *(const ix_source_t *const *)a;
    const ix_source_t *sb = *(const ix_source_t *const *)b;

    return (int)sa->type - (int)sb->type;
}

ix_plan_t *
ix_plan_build(const corpus_vocab_t *vocab, const char *const *mappings)
{
    ix_plan_t *plan = g_new0(ix_plan_t, 1);

    plan->sources = g_ptr_array_new_with_free_func(
        (GDestroyNotify)ix_source_free);
    plan->by_id = g_hash_table_new(g_str_hash, g_str_equal);
    plan->warnings = g_ptr_array_new_with_free_func(g_free);
    plan->vocab = vocab;

    g_autoptr(GPtrArray) maps = g_ptr_array_new_with_free_func(
        (GDestroyNotify)corpus_mapping_free);

    for (guint m = 0; mappings && mappings[m]; m++) {
        g_autoptr(GError) error = NULL;
        corpus_mapping_t *map = corpus_mapping_load(mappings[m], vocab,
                                                    &error);

        g_ptr_array_add(maps, map);
        if (!map) {
            g_ptr_array_add(plan->warnings,
                            g_strdup_printf("%s: %s", mappings[m],
                                            error->message));
            continue;
        }
        for (guint i = 0; i < map->warnings->len; i++) {
            const corpus_warning_t *w = g_ptr_array_index(map->warnings, i);

            g_ptr_array_add(plan->warnings,
                            g_strdup_printf("%s:%u: %s", mappings[m],
                                            w->line, w->message));
        }
    }
    /* Editions are planned newest (last named) first: a row that several
     * editions repeat comes from the newest, with its text, lines and
     * edition name, and a row an older edition alone has still stays. */
    for (guint m = maps->len; m-- > 0;) {
        const corpus_mapping_t *map = g_ptr_array_index(maps, m);

        for (guint i = 0; map && i < map->entries->len; i++) {
            const corpus_entry_t *e = g_ptr_array_index(map->entries, i);
            ix_source_t *entry;

            if (g_hash_table_contains(plan->by_id, e->id))
                continue;
            entry = plan_entry(plan, vocab, e);
            plan_links(plan, e, entry);
        }
    }

    /* Entries first, then documents: the report reads better so.  GLib's
     * pointer-array sort is stable, so first-seen order stays within each
     * type and from run to run. */
    g_ptr_array_sort(plan->sources, by_type);
    return plan;
}

/* ---------------------------------------------------------------- Folders */

/* Editors' and sync tools' leftovers, which are never documents. */
static gboolean
is_temporary(const char *name)
{
    static const char *const suffixes[] = {
        "~", ".tmp", ".temp", ".part", ".crdownload", ".swp", ".bak", NULL
    };

    if (name[0] == '.' || name[0] == '#' || g_str_has_prefix(name, "~$"))
        return TRUE;
    for (guint i = 0; suffixes[i]; i++)
        if (g_str_has_suffix(name, suffixes[i]))
            return TRUE;
    return FALSE;
}

/* Folders are organised by theme and by organization ("Prisons/",
 * "UNODC/Handbooks/"): a folder whose name is a theme or organization of
 * the vocabularies, or names one ("UNODC publications"), tags every file
 * below it.  Lookup folds case and punctuation, and the aliases cover the
 * abbreviations. */
/* Adds @s (transfer full) to the set *@set, created on first use. */
static void
set_add_owned(GPtrArray **set, char *s)
{
    if (!*set)
        *set = g_ptr_array_new_with_free_func(g_free);
    ix_strset_add(*set, s);
    g_free(s);
}

static void
tag_by_folders(const corpus_vocab_t *vocab, ix_source_t *doc,
               const char *rel)
{
    g_auto(GStrv) parts = g_strsplit(rel, G_DIR_SEPARATOR_S, -1);
    guint n = g_strv_length(parts);

    for (guint i = 0; vocab && i + 1 < n; i++) {
        g_autofree char *name = g_filename_display_name(parts[i]);
        g_autoptr(GPtrArray) orgs = NULL, themes = NULL;
        const corpus_term_t *t;

        g_strdelimit(name, "_", ' ');
        t = corpus_vocab_lookup(vocab, CORPUS_VOCAB_THEME, name);
        if (t)
            ix_strset_add(doc->themes, t->slug);
        t = corpus_vocab_lookup(vocab, CORPUS_VOCAB_ORG, name);
        if (t)
            ix_strset_add(doc->orgs, t->slug);
        themes = corpus_vocab_scan(vocab, CORPUS_VOCAB_THEME, name);
        for (guint k = 0; k < themes->len; k++)
            ix_strset_add(doc->themes, ((const corpus_term_t *)
                                        g_ptr_array_index(themes, k))->slug);
        orgs = corpus_vocab_scan(vocab, CORPUS_VOCAB_ORG, name);
        for (guint k = 0; k < orgs->len; k++) {
            const corpus_term_t *org = g_ptr_array_index(orgs, k);

            ix_strset_add(doc->orgs, org->slug);
            add_org_names(doc->org_names, vocab, org->slug);
        }
    }
    /* A repository file has no tags but its folders' (no entry cites it
     * by its path), so all it has now came from them: tag_sources says
     * "folder" for these. */
    for (guint i = 0; i < doc->themes->len; i++)
        set_add_owned(&doc->folder_tags, g_strconcat(
            "theme:", (char *)g_ptr_array_index(doc->themes, i), NULL));
    for (guint i = 0; i < doc->orgs->len; i++)
        set_add_owned(&doc->folder_tags, g_strconcat(
            "org:", (char *)g_ptr_array_index(doc->orgs, i), NULL));
}

/* The public URL of the file at @rel inside a folder published at @url:
 * each path segment percent-encoded (spaces, '#', '?', '%' and non-ASCII
 * bytes; the sub-delimiters RFC 3986 allows in a segment stay). */
static char *
published_url(const char *url, const char *rel)
{
    g_auto(GStrv) parts = g_strsplit(rel, G_DIR_SEPARATOR_S, -1);
    GString *out = g_string_new(url);

    for (guint i = 0; parts[i]; i++) {
        g_autofree char *seg = g_uri_escape_string(parts[i],
                                                   "!$&'()*+,;=:@", FALSE);

        if (i > 0)
            g_string_append_c(out, '/');
        g_string_append(out, seg);
    }
    return g_string_free(out, FALSE);
}

gboolean
ix_plan_repository_parse(const char *spec, char **dir, char **url,
                         GError **error)
{
    const char *eq = g_strrstr(spec, "=https://");
    g_autofree char *d = NULL;
    g_autoptr(GUri) uri = NULL;

    if (!eq)
        eq = g_strrstr(spec, "=http://");
    d = eq ? g_strndup(spec, (gsize)(eq - spec)) : g_strdup(spec);
    *url = NULL;
    if (eq) {
        uri = g_uri_parse(eq + 1, G_URI_FLAGS_NONE, NULL);
        if (!uri || !g_uri_get_host(uri) || !*g_uri_get_host(uri)) {
            g_set_error(error, IX_ERROR, IX_ERROR_USAGE,
                        "--repository %s: '%s' is not a URL", spec, eq + 1);
            return FALSE;
        }
    }
    /* A folder that is not there is a mistake in the command, which an
     * empty index would hide. */
    if (!g_file_test(d, G_FILE_TEST_IS_DIR)) {
        g_set_error(error, IX_ERROR, IX_ERROR_USAGE, "--repository %s: %s", d,
                    g_file_test(d, G_FILE_TEST_EXISTS) ? "not a folder"
                                                       : "no such folder");
        return FALSE;
    }
    if (eq)
        *url = g_str_has_suffix(eq + 1, "/") ? g_strdup(eq + 1)
               : g_strconcat(eq + 1, "/", NULL);
    *dir = g_steal_pointer(&d);
    return TRUE;
}

static void
add_file(ix_plan_t *plan, const char *path, const char *rel,
         const char *url, const GStatBuf *st)
{
    g_autofree char *id = ix_document_id("path", rel);
    g_autofree char *base = g_path_get_basename(rel);
    g_autofree char *uri = url ? published_url(url, rel)
                           : g_filename_to_uri(path, NULL, NULL);
    char *dot = strrchr(base, '.');
    ix_source_t *doc;

    if (g_hash_table_contains(plan->by_id, id))
        return;
    if (dot && dot != base)
        *dot = '\0';
    doc = ix_source_new(IX_SOURCE_DOCUMENT, id);
    doc->path = g_strdup(path);
    doc->root_len = strlen(path) - strlen(rel) - 1;   /* read from there */
    /* Size, modification time and inode: when all three are as the last
     * run saw them, the bytes are taken to be the same without reading
     * them (as omindex and make do). */
    doc->file_stamp = g_strdup_printf(
        "%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT ".%ld.%" G_GUINT64_FORMAT,
        (gint64)st->st_size, (gint64)st->st_mtim.tv_sec,
        (long)st->st_mtim.tv_nsec, (guint64)st->st_ino);
    doc->title = g_filename_display_name(base);
    doc->url = g_strdup(uri ? uri : path);
    ix_strset_add(doc->urls, doc->url);
    if (url) {
        g_autoptr(GUri) u = g_uri_parse(doc->url, G_URI_FLAGS_NONE, NULL);

        doc->host = u ? g_ascii_strdown(g_uri_get_host(u), -1) : NULL;
    }
    g_free(doc->kind);
    doc->kind = g_strdup("publication");
    doc->status = IX_STATUS_BROKEN;
    doc->reason = g_strdup("not extracted");
    tag_by_folders(plan->vocab, doc, rel);
    g_ptr_array_add(plan->sources, doc);
    g_hash_table_insert(plan->by_id, doc->id, doc);
    plan->n_documents++;
}

static gint
by_name(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Walks @dir depth first.  Symbolic links are not followed, so a link
 * loop or a link out of the repository cannot pull in other files. */
static void
walk(ix_plan_t *plan, const char *root, const char *url, const char *dir,
     guint depth)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GDir) d = g_dir_open(dir, 0, &error);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;

    if (!d) {
        g_ptr_array_add(plan->warnings,
                        g_strdup_printf("%s: %s", dir, error->message));
        return;
    }
    if (depth > 64) {
        g_ptr_array_add(plan->warnings,
                        g_strdup_printf("%s: deeper than 64 folders; "
                                        "skipped", dir));
        return;
    }
    for (name = g_dir_read_name(d); name; name = g_dir_read_name(d))
        g_ptr_array_add(names, g_strdup(name));
    /* Sorted, so documents are planned in the same order on every run. */
    g_ptr_array_sort(names, by_name);
    for (guint i = 0; i < names->len; i++) {
        const char *n = g_ptr_array_index(names, i);
        g_autofree char *path = g_build_filename(dir, n, NULL);
        GStatBuf st;

        if (is_temporary(n) || g_lstat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            walk(plan, root, url, path, depth + 1);
        else if (S_ISREG(st.st_mode))
            add_file(plan, path, path + strlen(root) + 1, url, &st);
    }
}

gboolean
ix_plan_add_urls(ix_plan_t *plan, const char *path, GError **error)
{
    g_autofree char *text = NULL;
    g_autoptr(GError) local = NULL;
    g_auto(GStrv) lines = NULL;

    if (!g_file_get_contents(path, &text, NULL, &local)) {
        g_set_error(error, IX_ERROR, IX_ERROR_USAGE, "--urls: %s",
                    local->message);
        return FALSE;
    }
    lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        char *line = g_strstrip(lines[i]);
        g_autoptr(GPtrArray) links = NULL;

        if (!*line || *line == '#')
            continue;
        links = corpus_links_find(line);
        if (!links->len) {
            g_ptr_array_add(plan->warnings,
                            g_strdup_printf("%s:%u: not a URL: %s", path,
                                            i + 1, line));
            continue;
        }
        for (guint l = 0; l < links->len; l++) {
            const corpus_link_t *link = g_ptr_array_index(links, l);
            g_autofree char *norm = corpus_url_normalize(link->url);
            g_autofree char *id = ix_document_id("url", norm);
            ix_source_t *doc;

            if (g_hash_table_contains(plan->by_id, id))
                continue;
            doc = ix_source_new(IX_SOURCE_DOCUMENT, id);
            doc->url = g_strdup(link->url);
            doc->host = g_strdup(link->host);
            ix_strset_add(doc->urls, link->url);
            const char *at = strstr(line, link->written);

            doc->title = title_for_link(link, NULL, line, at ? at : line,
                                        &doc->context);
            g_free(doc->kind);
            doc->kind = g_strdup("publication");
            doc->status = link->kind == CORPUS_LINK_FILE
                          ? IX_STATUS_LOCAL_PATH : IX_STATUS_UNREACHABLE;
            doc->reason = g_strdup(IX_REASON_NOT_FETCHED);
            if (doc->status == IX_STATUS_UNREACHABLE)
                doc->fetch = IX_FETCH_PENDING;
            g_ptr_array_add(plan->sources, doc);
            g_hash_table_insert(plan->by_id, doc->id, doc);
            plan->n_documents++;
        }
    }
    g_ptr_array_sort(plan->sources, by_type);
    return TRUE;
}

void
ix_plan_add_repository(ix_plan_t *plan, const char *dir, const char *url)
{
    g_autofree char *root = g_canonicalize_filename(dir, NULL);

    if (!g_file_test(root, G_FILE_TEST_IS_DIR)) {
        g_ptr_array_add(plan->warnings,
                        g_strdup_printf("%s: not a folder", dir));
        return;
    }
    walk(plan, root, url, root, 0);
    g_ptr_array_sort(plan->sources, by_type);
}

void
ix_plan_free(ix_plan_t *plan)
{
    if (!plan)
        return;
    g_hash_table_unref(plan->by_id);
    g_ptr_array_unref(plan->sources);
    g_ptr_array_unref(plan->warnings);
    ix__spool_free(plan->spool);
    g_free(plan->spool_dir);
    g_free(plan->ocr_cache);
    g_free(plan);
}
