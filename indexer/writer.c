/* writer.c -- writes sources into the Xapian index through xapianc: terms,
 * values, text by passage, the JSON record, synonyms and labels.
 *
 * A source whose content hash matches the stored one is not rewritten, so
 * re-running on an unchanged mapping changes nothing in the index.
 */
#include <string.h>
#include <unistd.h>

#include "indexer-int.h"
#include "schema.h"
#include "xapianc.h"

/* Digest of the vocabularies the index holds (user metadata). */

/* Positions between fields and passages are spaced out so that a phrase
 * never matches across a boundary. */
#define POS_GAP 100

struct ix_writer {
    xc_dbw_t *db;
    ix_counts_t counts;
    gboolean in_txn;
    gboolean force;
    GHashTable *outcomes;       /* id -> GINT_TO_POINTER(ix_outcome_t) */
    GHashTable *previous;       /* (nullable) id -> hash, not owned */
    guint64 budget;             /* bytes the process may grow by within
                                 * a transaction; 0: no budget */
    guint64 rss_at_begin;       /* resident bytes when it began */
    GPtrArray *capped;          /* ids the term cap cut short */
};

/* Resident bytes of this process (/proc/self/statm); 0 when unknown.
 * The writer's memory is Xapian's buffered changes, which only a commit
 * releases, and the resident size is the one measure that sees them. */
static guint64
rss_bytes(void)
{
    g_autofree char *statm = NULL;
    g_auto(GStrv) fields = NULL;

    if (!g_file_get_contents("/proc/self/statm", &statm, NULL, NULL))
        return 0;
    fields = g_strsplit(statm, " ", 3);
    if (!fields[0] || !fields[1])
        return 0;
    return g_ascii_strtoull(fields[1], NULL, 10) * (guint64)sysconf(
        _SC_PAGESIZE);
}

static gboolean
fail(ix_writer_t *w, xc_status_t st, const char *what, GError **error)
{
    int code = st == XC_ERR_LOCKED ? IX_ERROR_LOCKED : IX_ERROR_INDEX;

    g_set_error(error, IX_ERROR, code, "%s: %s", what,
                w && w->db ? xc_dbw_errmsg(w->db) : xc_strerror(st));
    return FALSE;
}

/* @shards: 0 for a single database at @path, else @path holds the
 * query-side database and @shards shards (xc_dbw_open_shards()). */
static ix_writer_t *
writer_open(const char *path, guint shards, GError **error)
{
    g_autofree char *msg = NULL;
    xc_dbw_t *db = NULL;
    xc_status_t st = shards ? xc_dbw_open_shards(path, shards, 1, &db, &msg)
                            : xc_dbw_open(path, 1, &db, &msg);

    if (st != XC_OK) {
        if (st == XC_ERR_LOCKED)
            g_set_error(error, IX_ERROR, IX_ERROR_LOCKED,
                        "index %s is locked: another ctmap-indexer is "
                        "writing it", path);
        else
            g_set_error(error, IX_ERROR, IX_ERROR_INDEX,
                        "cannot open index %s: %s", path,
                        msg ? msg : xc_strerror(st));
        free(g_steal_pointer(&msg));
        return NULL;
    }
    free(g_steal_pointer(&msg));

    ix_writer_t *w = g_new0(ix_writer_t, 1);
    w->db = db;
    w->outcomes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                        NULL);
    w->capped = g_ptr_array_new_with_free_func(g_free);
    return w;
}

ix_writer_t *
ix_writer_open(const char *path, GError **error)
{
    return writer_open(path, 0, error);
}

ix_writer_t *
ix_writer_open_shards(const char *dir, guint n, GError **error)
{
    return writer_open(dir, n, error);
}

void
ix_writer_set_limits(ix_writer_t *w, guint64 max_terms, guint64 budget)
{
    xc_dbw_set_max_terms(w->db, max_terms);
    w->budget = budget;
}

gboolean
ix_writer_over_budget(const ix_writer_t *w)
{
    guint64 now;

    if (!w->budget || !w->in_txn)
        return FALSE;
    now = rss_bytes();
    return now > w->rss_at_begin && now - w->rss_at_begin > w->budget;
}

const GPtrArray *
ix_writer_capped(const ix_writer_t *w)
{
    return w->capped;
}

void
ix_writer_close(ix_writer_t *w)
{
    if (!w)
        return;
    if (w->in_txn)
        xc_dbw_cancel(w->db);
    xc_dbw_close(w->db);
    g_hash_table_unref(w->outcomes);
    g_ptr_array_unref(w->capped);
    g_free(w);
}

void
ix_writer_set_previous(ix_writer_t *w, GHashTable *hashes)
{
    w->previous = hashes;
}

ix_outcome_t
ix_writer_outcome(const ix_writer_t *w, const char *id)
{
    return GPOINTER_TO_INT(g_hash_table_lookup(w->outcomes, id));
}

void
ix_writer_set_force(ix_writer_t *w, gboolean force)
{
    w->force = force;
}

const ix_counts_t *
ix_writer_counts(const ix_writer_t *w)
{
    return &w->counts;
}

guint64
ix_writer_revision(ix_writer_t *w)
{
    uint64_t rev = 0;

    xc_dbw_revision(w->db, &rev);
    return rev;
}

gboolean
ix_writer_begin(ix_writer_t *w, GError **error)
{
    xc_status_t st = xc_dbw_begin(w->db);

    if (st != XC_OK)
        return fail(w, st, "cannot begin a transaction", error);
    w->in_txn = TRUE;
    w->rss_at_begin = rss_bytes();
    return TRUE;
}

gboolean
ix_writer_commit(ix_writer_t *w, GError **error)
{
    xc_status_t st = xc_dbw_commit(w->db);

    w->in_txn = FALSE;
    if (st != XC_OK)
        return fail(w, st, "cannot commit", error);
    return TRUE;
}

gboolean
ix_writer_set_meta(ix_writer_t *w, const char *key, const char *value,
                   GError **error)
{
    xc_status_t st = xc_dbw_set_metadata(w->db, key, value);

    if (st != XC_OK)
        return fail(w, st, "cannot write metadata", error);
    return TRUE;
}

static int
collect_id(const char *id, void *rock)
{
    g_ptr_array_add(rock, g_strdup(id));
    return 0;
}

static gint
by_id(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

gboolean
ix_writer_set_titles(ix_writer_t *w, GError **error)
{
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(JsonArray) titles = json_array_new();
    g_autoptr(JsonNode) root = json_node_new(JSON_NODE_ARRAY);
    g_autofree char *json = NULL;
    xc_status_t st = xc_dbw_foreach_id(w->db, collect_id, ids);
    guint i;

    if (st != XC_OK)
        return fail(w, st, "cannot list documents", error);
    /* The order searchd's own pass over a single index takes (its "Q"
     * terms, byte order), so that the first of two titles equal but for
     * case is the one shown either way. */
    g_ptr_array_sort(ids, by_id);
    for (i = 0; i < ids->len && i < XC_TITLES_MAX; i++) {
        g_autofree char *data = NULL;
        g_autoptr(JsonNode) node = NULL;
        JsonNode *title;

        st = xc_dbw_get_data(w->db, g_ptr_array_index(ids, i), &data);
        if (st == XC_ERR_NOT_FOUND)
            continue;
        if (st != XC_OK)
            return fail(w, st, "cannot read a document's title", error);
        node = json_from_string(data, NULL);
        if (!node || !JSON_NODE_HOLDS_OBJECT(node))
            continue;
        title = json_object_get_member(json_node_get_object(node), "title");
        if (title && JSON_NODE_HOLDS_VALUE(title)
            && json_node_get_value_type(title) == G_TYPE_STRING)
            json_array_add_string_element(titles,
                                          json_node_get_string(title));
    }
    json_node_set_array(root, titles);
    json = json_to_string(root, FALSE);
    return ix_writer_set_meta(w, XC_META_TITLES, json, error);
}

/* ---------------------------------------------------------------- Vocab */

/* The synonym pairs of the vocabularies, as "a\nb" strings: an acronym
 * and its expansion, an organization's label and its names and aliases.
 * Each is stored in both directions, so the acronym finds the expansion
 * and the expansion finds the acronym. */
static void
add_pair(GPtrArray *pairs, const char *a, const char *b)
{
    g_autofree char *la = NULL, *lb = NULL;

    if (!a || !b || !*a || !*b)
        return;
    la = g_utf8_strdown(a, -1);
    lb = g_utf8_strdown(b, -1);
    if (strcmp(la, lb) != 0)
        g_ptr_array_add(pairs, g_strconcat(la, "\n", lb, NULL));
}

static GPtrArray *
synonym_pairs(const corpus_vocab_t *vocab)
{
    static const corpus_vocab_kind_t syn_kinds[] = {
        CORPUS_VOCAB_ACRONYM, CORPUS_VOCAB_ORG
    };
    GPtrArray *pairs = g_ptr_array_new_with_free_func(g_free);

    for (guint k = 0; k < G_N_ELEMENTS(syn_kinds); k++) {
        const GPtrArray *items = corpus_vocab_items(vocab, syn_kinds[k]);

        for (guint i = 0; items && i < items->len; i++) {
            const corpus_term_t *t = g_ptr_array_index(items, i);

            add_pair(pairs, t->label, t->name);
            for (guint a = 0; t->aliases && a < t->aliases->len; a++)
                add_pair(pairs, t->label, g_ptr_array_index(t->aliases, a));
            if (t->extra && *t->extra
                && syn_kinds[k] == CORPUS_VOCAB_ACRONYM)
                add_pair(pairs, t->label, t->extra);
        }
    }
    return pairs;
}

/* Which string of a term labels_member() lists. */
typedef enum {
    LABEL_SHORT,                /* every term's label */
    LABEL_LONG,                 /* its name, where it differs from the label */
    LABEL_RU,                   /* its Russian label, where it has one */
} label_form_t;

/* {slug: string} of @kind under @name, the string chosen by @form. */
static void
labels_member(JsonBuilder *b, const char *name, const corpus_vocab_t *vocab,
              corpus_vocab_kind_t kind, label_form_t form)
{
    const GPtrArray *items = corpus_vocab_items(vocab, kind);

    json_builder_set_member_name(b, name);
    json_builder_begin_object(b);
    for (guint i = 0; items && i < items->len; i++) {
        const corpus_term_t *t = g_ptr_array_index(items, i);
        const char *value = form == LABEL_SHORT ? t->label
                          : form == LABEL_LONG ? t->name : t->label_ru;

        if (!value || !*value
            || (form == LABEL_LONG && g_ascii_strcasecmp(value, t->label) == 0))
            continue;
        json_builder_set_member_name(b, t->slug);
        json_builder_add_string_value(b, value);
    }
    json_builder_end_object(b);
}

static char *
labels_json(const corpus_vocab_t *vocab)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonNode) root = NULL;

    /* The fields whose values are vocabulary slugs. */
    static const struct {
        xc_field_t field;
        corpus_vocab_kind_t kind;
    } vocabs[] = {
        {XC_FIELD_ORG, CORPUS_VOCAB_ORG},
        {XC_FIELD_THEME, CORPUS_VOCAB_THEME},
        {XC_FIELD_COUNTRY, CORPUS_VOCAB_COUNTRY},
        {XC_FIELD_KIND, CORPUS_VOCAB_KIND},
    };

    json_builder_begin_object(b);
    for (size_t i = 0; i < G_N_ELEMENTS(vocabs); i++) {
        const char *field = xc_fields[vocabs[i].field].name;
        g_autofree char *ru = g_strconcat(field, XC_META_LABELS_RU_SUFFIX,
                                          NULL);

        labels_member(b, field, vocab, vocabs[i].kind, LABEL_SHORT);
        /* The Russian interface's facet labels, e.g. "country_ru". */
        labels_member(b, ru, vocab, vocabs[i].kind, LABEL_RU);
    }
    /* The long forms a visitor may type, offered by /suggest. */
    labels_member(b, "org_names", vocab, CORPUS_VOCAB_ORG, LABEL_LONG);
    labels_member(b, "acronym_names", vocab, CORPUS_VOCAB_ACRONYM,
                  LABEL_LONG);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    return json_to_string(root, FALSE);
}

static void
sum_pairs(GChecksum *sum, const GPtrArray *pairs)
{
    for (guint i = 0; i < pairs->len; i++)
        g_checksum_update(sum, g_ptr_array_index(pairs, i),
                          strlen(g_ptr_array_index(pairs, i)) + 1);
}

/* Stores each "a\nb" of @pairs with @add in both directions. */
static xc_status_t
store_pairs(ix_writer_t *w, const GPtrArray *pairs,
            xc_status_t (*add)(xc_dbw_t *, const char *, const char *))
{
    xc_status_t st = XC_OK;

    for (guint i = 0; i < pairs->len && st == XC_OK; i++) {
        g_auto(GStrv) ab = g_strsplit(g_ptr_array_index(pairs, i), "\n", 2);

        st = add(w->db, ab[0], ab[1]);
        if (st == XC_OK)
            st = add(w->db, ab[1], ab[0]);
    }
    return st;
}

/* The vocabularies are rewritten only when they changed (their digest is
 * kept in XC_META_VOCAB), so that a run that changes nothing leaves the
 * index, and its revision, as they were. */
gboolean
ix_writer_set_vocab(ix_writer_t *w, const corpus_vocab_t *vocab,
                    GError **error)
{
    g_autoptr(GPtrArray) pairs = synonym_pairs(vocab);
    const GPtrArray *gloss = corpus_vocab_glossary(vocab);
    g_autofree char *json = labels_json(vocab);
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    g_autofree char *stored = NULL;
    xc_status_t st = XC_OK;

    g_checksum_update(sum, (const guchar *)json, strlen(json));
    sum_pairs(sum, pairs);
    sum_pairs(sum, gloss);
    if (xc_dbw_get_metadata(w->db, XC_META_VOCAB, &stored) == XC_OK
        && g_strcmp0(stored, g_checksum_get_string(sum)) == 0)
        return TRUE;

    st = store_pairs(w, pairs, xc_dbw_add_synonym);
    /* The glossary translates both ways: Russian queries find English
     * entries, English queries Russian documents. */
    if (st == XC_OK)
        st = store_pairs(w, gloss, xc_dbw_add_translation);
    if (st != XC_OK)
        return fail(w, st, "cannot store synonyms", error);
    return ix_writer_set_meta(w, XC_META_LABELS, json, error)
           && ix_writer_set_meta(w, XC_META_VOCAB,
                                 g_checksum_get_string(sum), error);
}

/* ---------------------------------------------------------------- Documents */

static char *
join_set(const GPtrArray *set)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; set && i < set->len; i++) {
        if (i)
            g_string_append_c(s, XC_MULTI_SEP);
        g_string_append(s, g_ptr_array_index(set, i));
    }
    return g_string_free(s, FALSE);
}

/* Boolean terms and the facet value of one field. */
static xc_status_t
add_field(xc_dbw_t *db, const xc_field_info_t *field,
          const GPtrArray *values)
{
    xc_status_t st = XC_OK;
    g_autofree char *joined = join_set(values);

    for (guint i = 0; i < values->len && st == XC_OK; i++) {
        g_autofree char *term = g_strconcat(
            field->prefix, (char *)g_ptr_array_index(values, i), NULL);

        st = xc_dbw_add_term(db, term);
    }
    if (st == XC_OK && *joined)
        st = xc_dbw_set_value(db, field->slot, joined, strlen(joined));
    return st;
}

static void
add_value(GPtrArray *out, const char *value)
{
    if (value && *value)
        g_ptr_array_add(out, (gpointer)value);
}

static void
add_values(GPtrArray *out, const GPtrArray *values)
{
    for (guint i = 0; values && i < values->len; i++)
        add_value(out, g_ptr_array_index(values, i));
}

/* Adds to @out (borrowed strings) the values of field @k of @src; @sect
 * is its section, lower-cased.  No default: -Wswitch names a field of
 * XC_FIELD_LIST that has no source here. */
static void
field_values(const ix_source_t *src, xc_field_t k, const char *sect,
             GPtrArray *out)
{
    switch (k) {
    case XC_FIELD_ORG:
        add_values(out, src->orgs);
        break;
    case XC_FIELD_THEME:
        add_values(out, src->themes);
        break;
    case XC_FIELD_COUNTRY:
        add_values(out, src->countries);
        break;
    case XC_FIELD_KIND:
        add_value(out, src->kind);
        break;
    case XC_FIELD_TYPE:
        add_value(out, ix_type_name(src->type));
        break;
    case XC_FIELD_LANG:
        add_value(out, src->lang);
        break;
    case XC_FIELD_YEAR:
        add_values(out, src->years);
        break;
    case XC_FIELD_SECTION:
        add_value(out, sect);
        break;
    case XC_FIELD_STATUS:
        add_value(out, ix_status_name(src->status));
        break;
    case XC_FIELD_HOST:
        add_value(out, src->host);
        break;
    case XC_FIELD_N:
        break;
    }
}

/* The boolean terms and facet values of every field of XC_FIELD_LIST. */
static xc_status_t
add_fields(xc_dbw_t *db, const ix_source_t *src, const char *sect)
{
    g_autoptr(GPtrArray) values = g_ptr_array_new();
    xc_status_t st = XC_OK;

    for (size_t k = 0; k < XC_FIELD_N && st == XC_OK; k++) {
        g_ptr_array_set_size(values, 0);
        field_values(src, (xc_field_t)k, sect, values);
        /* A single-valued field keeps its first value. */
        if (!xc_fields[k].many && values->len > 1)
            g_ptr_array_set_size(values, 1);
        st = add_field(db, &xc_fields[k], values);
    }
    return st;
}

/* The tag-source terms of @src (XC_PREFIX_TAGSRC), so /search can keep
 * the tags a document's own text gives apart from those it was filed
 * under. */
static xc_status_t
add_tag_origins(xc_dbw_t *db, const ix_source_t *src)
{
    static const char *const prefixes[IX_TEXT_TAG_N] = {
        [IX_TEXT_TAG_ORG] = XC_PREFIX_ORG,
        [IX_TEXT_TAG_THEME] = XC_PREFIX_THEME,
        [IX_TEXT_TAG_COUNTRY] = XC_PREFIX_COUNTRY,
        [IX_TEXT_TAG_YEAR] = XC_PREFIX_YEAR,
    };
    g_autoptr(GHashTable) any = g_hash_table_new(g_str_hash, g_str_equal);
    xc_status_t st = XC_OK;
    GHashTableIter it;
    gpointer origin;

    for (guint k = 0; k < IX_TEXT_TAG_N && st == XC_OK; k++) {
        const GPtrArray *set = ix_tag_set(src, k);

        for (guint i = 0; i < set->len && st == XC_OK; i++) {
            const char *slug = g_ptr_array_index(set, i);
            const char *from[2];
            guint n = ix_tag_origins(src, k, slug, from);

            for (guint j = 0; j < n && st == XC_OK; j++) {
                g_autofree char *term = g_strconcat(
                    XC_PREFIX_TAGSRC, from[j], ":", prefixes[k], slug, NULL);

                g_hash_table_add(any, (gpointer)from[j]);
                st = xc_dbw_add_term(db, term);
            }
        }
    }
    g_hash_table_iter_init(&it, any);
    while (st == XC_OK && g_hash_table_iter_next(&it, &origin, NULL)) {
        g_autofree char *term = g_strconcat(XC_PREFIX_TAGSRC, origin, NULL);

        st = xc_dbw_add_term(db, term);
    }
    return st;
}

/* "YYYY0000" for the latest year a source names, so browsing lists the
 * newest first; sources with no year sort last. */
static char *
sort_date(const ix_source_t *src)
{
    gint64 best = 0;

    for (guint i = 0; i < src->years->len; i++)
        best = MAX(best, g_ascii_strtoll(g_ptr_array_index(src->years, i),
                                         NULL, 10));
    return g_strdup_printf("%08" G_GINT64_FORMAT, best * 10000);
}

/* Whether @passages name the country @slug (as its slug, with
 * spaces for hyphens, case-folded): then its tag adds nothing to the body
 * (XC_WEIGHT_COUNTRY). */
static gboolean
text_names(const GPtrArray *passages, const char *slug)
{
    g_autofree char *word = g_strdelimit(g_strdup(slug), "-", ' ');

    for (guint i = 0; i < passages->len; i++) {
        g_autofree char *folded =
            g_utf8_casefold(g_ptr_array_index(passages, i), -1);

        if (strstr(folded, word))
            return TRUE;
    }
    return FALSE;
}

/* The text is stored whole (pages joined by XC_PAGE_SEP) beside the term
 * position at which each page starts, so searchd can run the snippet on
 * the best page alone. */
static xc_status_t
add_text(xc_dbw_t *db, const ix_source_t *src, const GPtrArray *passages)
{
    xc_status_t st = xc_dbw_add_text(db, src->title, XC_PREFIX_TITLE,
                                     XC_WEIGHT_TITLE);
    g_autoptr(GString) text = g_string_new(NULL);
    g_autoptr(GString) pages = g_string_new(NULL);

    if (st == XC_OK)
        st = xc_dbw_add_text(db, src->title, "", XC_WEIGHT_TITLE);
    for (guint i = 0; i < src->org_names->len && st == XC_OK; i++) {
        const char *name = g_ptr_array_index(src->org_names, i);

        st = xc_dbw_next_pos(db, POS_GAP, NULL);
        if (st == XC_OK)
            st = xc_dbw_add_text(db, name, XC_PREFIX_ORGTEXT,
                                 XC_WEIGHT_ORGTEXT);
        if (st == XC_OK)
            st = xc_dbw_add_text(db, name, "", XC_WEIGHT_ORGTEXT);
    }
    for (guint i = 0; i < src->countries->len && st == XC_OK; i++) {
        const char *slug = g_ptr_array_index(src->countries, i);

        if (text_names(passages, slug))
            continue;
        st = xc_dbw_next_pos(db, POS_GAP, NULL);
        if (st == XC_OK)
            st = xc_dbw_add_text(db, slug, "", XC_WEIGHT_COUNTRY);
    }
    for (guint i = 0; i < passages->len && st == XC_OK; i++) {
        unsigned pos = 0;

        st = xc_dbw_next_pos(db, POS_GAP, &pos);
        if (st == XC_OK)
            st = xc_dbw_add_text(db, g_ptr_array_index(passages, i), "",
                                 XC_WEIGHT_BODY);
        if (i) {
            g_string_append_c(text, XC_PAGE_SEP);
            g_string_append_c(pages, ' ');
        }
        g_string_append(text, g_ptr_array_index(passages, i));
        g_string_append_printf(pages, "%u", pos);
    }
    if (st == XC_OK)
        st = xc_dbw_set_value(db, XC_SLOT_TEXT, text->str, text->len);
    if (st == XC_OK)
        st = xc_dbw_set_value(db, XC_SLOT_PAGES, pages->str, pages->len);
    return st;
}

/* SHA-256 of the text: the digest stored beside the document hash, so
 * that a source whose bytes did not change can be judged without loading
 * its text from the index. */
char *
ix__text_digest(const GPtrArray *passages)
{
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);

    for (guint i = 0; i < passages->len; i++) {
        const char *p = g_ptr_array_index(passages, i);

        g_checksum_update(sum, (const guchar *)"\f", 1);
        g_checksum_update(sum, (const guchar *)p, strlen(p));
    }
    return g_strdup(g_checksum_get_string(sum));
}

static char *
text_digest(const ix_source_t *src)
{
    if (src->text_digest)
        return g_strdup(src->text_digest);
    return ix__text_digest(src->passages);
}

/* The hash kept in XC_SLOT_HASH: "DOC:TEXT", DOC a hash of the record,
 * the text digest and the organization names, so any change a searcher
 * could see rewrites the document and nothing else does; TEXT the text
 * digest alone, for ix_writer_reuse().  A repository file's stamp
 * follows as ":STAMP". */
static char *
content_hash(const char *record, const ix_source_t *src)
{
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    g_autofree char *digest = text_digest(src);

    g_checksum_update(sum, (const guchar *)record, strlen(record));
    g_checksum_update(sum, (const guchar *)"\f", 1);
    g_checksum_update(sum, (const guchar *)digest, strlen(digest));
    for (guint i = 0; i < src->org_names->len; i++) {
        const char *p = g_ptr_array_index(src->org_names, i);

        g_checksum_update(sum, (const guchar *)"\n", 1);
        g_checksum_update(sum, (const guchar *)p, strlen(p));
    }
    return g_strconcat(g_checksum_get_string(sum), ":", digest, NULL);
}

/* TRUE when the stored value @old and the new @hash ("DOC:TEXT") say
 * the same document: the file stamp after them does not count, so a file
 * merely touched is not rewritten. */
static gboolean
same_hash(const char *old, const char *hash)
{
    size_t n = strlen(hash);

    return old && strncmp(old, hash, n) == 0
           && (old[n] == '\0' || old[n] == ':');
}

/* The text @src has in the index, by passage.  Returns: (transfer full)
 * (nullable). */
static GPtrArray *
stored_text(ix_writer_t *w, const char *id)
{
    g_autofree char *text = NULL;
    g_auto(GStrv) pages = NULL;
    const char sep[] = { XC_PAGE_SEP, '\0' };
    GPtrArray *passages;

    if (xc_dbw_get_value(w->db, id, XC_SLOT_TEXT, &text, NULL) != XC_OK)
        return NULL;
    pages = g_strsplit(text, sep, -1);
    passages = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; pages[i]; i++)
        g_ptr_array_add(passages, g_steal_pointer(&pages[i]));
    return passages;
}

/* The hash stored with @id by an earlier run, or NULL. */
static char *
stored_hash(ix_writer_t *w, const char *id)
{
    char *value = NULL;
    char *hash = NULL;

    if (w->previous)
        return g_strdup(g_hash_table_lookup(w->previous, id));
    if (xc_dbw_get_value(w->db, id, XC_SLOT_HASH, &value, NULL) == XC_OK
        && value && *value)
        hash = g_strdup(value);
    free(value);
    return hash;
}

/* The record as it is hashed: "unchanged" and "indexed" say the same of
 * the text, so a document that merely went from one to the other between
 * runs is not rewritten; nor is one merely fetched again (a 304 or the
 * same bytes), so fetched_at stays the time of the fetch that brought
 * the bytes the index holds.  Nor is a link still unreachable for another
 * reason ("offline: not in the cache" after "HTTP 404"): a searcher sees
 * the same label, the index keeps the reason it has, and the report gives
 * this attempt's. */
static char *
hashed_record(const ix_source_t *src, const corpus_vocab_t *vocab)
{
    g_autoptr(JsonNode) node = ix_record_build(src, vocab);
    JsonObject *o = json_node_get_object(node);

    if (src->status == IX_STATUS_UNCHANGED)
        json_object_set_string_member(o, "status",
                                      ix_status_name(IX_STATUS_INDEXED));
    json_object_remove_member(o, "fetched_at");
    if (src->status == IX_STATUS_UNREACHABLE)
        json_object_remove_member(o, "reason");
    return json_to_string(node, FALSE);
}

/* The OCR'd pages of the record @o, back into @src: the bytes did not
 * change, so neither did what OCR made of them, and the record (and its
 * hash) must say so again. */
static void
reuse_ocr(ix_source_t *src, JsonObject *o)
{
    JsonArray *a = json_object_has_member(o, "ocr")
                   ? json_object_get_array_member(o, "ocr") : NULL;

    if (src->ocr)
        g_array_unref(src->ocr);
    src->ocr = NULL;
    for (guint i = 0; a && i < json_array_get_length(a); i++) {
        JsonNode *n = json_array_get_element(a, i);
        extract_ocr_page_t page = { 0, 0, TRUE };

        if (!JSON_NODE_HOLDS_OBJECT(n))
            continue;
        page.page = (guint)json_object_get_int_member_with_default(
            json_node_get_object(n), "page", 0);
        page.confidence = (gint)json_object_get_int_member_with_default(
            json_node_get_object(n), "confidence", 0);
        if (!src->ocr)
            src->ocr = g_array_new(FALSE, TRUE, sizeof(page));
        g_array_append_val(src->ocr, page);
    }
}

/* The identifiers of the record @o, back into @src: the same text names
 * the same symbols, and the links by identifier need every document's,
 * extracted in this run or not. */
static void
reuse_identifiers(ix_source_t *src, JsonObject *o)
{
    JsonArray *a = json_object_has_member(o, "identifiers")
                   ? json_object_get_array_member(o, "identifiers") : NULL;

    if (src->identifiers)
        g_ptr_array_unref(src->identifiers);
    src->identifiers = NULL;
    for (guint i = 0; a && i < json_array_get_length(a); i++) {
        const char *id = json_array_get_string_element(a, i);

        if (!id)
            continue;
        if (!src->identifiers)
            src->identifiers = g_ptr_array_new_with_free_func(g_free);
        ix_strset_add(src->identifiers, id);
    }
}

/* Strings from xapianc are malloc'd; GLib's allocator is the system's
 * since 2.46, so g_autofree frees them correctly.  The text itself stays
 * in the index: only its digest is taken, and ix_writer_add() loads the
 * text if the document must be rewritten after all (its tags changed).
 * An index written before digests were stored gives the text now. */
gboolean
ix_writer_reuse(ix_writer_t *w, ix_source_t *src, const char *hash)
{
    g_autofree char *data = NULL, *stored = NULL;
    g_autoptr(JsonParser) parser = json_parser_new();
    g_auto(GStrv) parts = NULL;
    const char *indexed;
    ix_status_t status;
    JsonObject *o;

    if ((!hash && !src->file_stamp)
        || xc_dbw_get_value(w->db, src->id, XC_SLOT_HASH, &stored, NULL)
           != XC_OK
        || xc_dbw_get_data(w->db, src->id, &data) != XC_OK
        || !json_parser_load_from_data(parser, data, -1, NULL)
        || !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
        return FALSE;
    o = json_node_get_object(json_parser_get_root(parser));
    indexed = json_object_get_string_member_with_default(o, "content_hash",
                                                         NULL);
    /* "DOC:TEXT:STAMP", the last two absent in older indexes. */
    parts = g_strsplit(stored, ":", 3);
    if (!indexed
        || (hash ? strcmp(indexed, hash) != 0
                 : g_strv_length(parts) < 3
                   || strcmp(parts[2], src->file_stamp) != 0))
        return FALSE;
    if (!hash) {
        g_free(src->content_hash);
        src->content_hash = g_strdup(indexed);
    }
    if (g_strv_length(parts) >= 2) {
        g_free(src->text_digest);
        src->text_digest = g_strdup(parts[1]);
        g_ptr_array_set_size(src->passages, 0);
    } else {
        g_autoptr(GPtrArray) text = stored_text(w, src->id);

        if (!text)
            return FALSE;
        g_ptr_array_set_size(src->passages, 0);
        for (guint i = 0; i < text->len; i++)
            g_ptr_array_add(src->passages,
                            g_strdup(g_ptr_array_index(text, i)));
    }
    g_free(src->title);
    src->title = g_strdup(json_object_get_string_member_with_default(
        o, "title", src->id));
    g_free(src->lang);
    src->lang = g_strdup(json_object_get_string_member_with_default(
        o, "lang", ""));
    if (!src->lang)
        src->lang = g_strdup("");
    g_free(src->media_type);
    src->media_type = g_strdup(json_object_get_string_member_with_default(
        o, "media_type", NULL));
    src->n_pages = json_object_get_int_member_with_default(o, "pages", 0);
    reuse_ocr(src, o);
    reuse_identifiers(src, o);
    /* The same bytes have the same outcome: a file that could not be
     * read, or whose format is not supported, stays so with its reason
     * (and its label), rather than turning "unchanged" and rewritten. */
    status = ix_status_from_name(json_object_get_string_member_with_default(
        o, "status", NULL), IX_STATUS_INDEXED);
    src->status = status == IX_STATUS_INDEXED ? IX_STATUS_UNCHANGED
                                              : status;
    g_free(src->reason);
    src->reason = g_strdup(json_object_get_string_member_with_default(
        o, "reason", NULL));
    return TRUE;
}

/* Points @view's org, theme, country and year sets at copies holding
 * their own values and then those of @tt, and @tt's base at the sets they
 * replace.  Returns: (transfer full): the copies, which must outlive
 * @view's use. */
static GPtrArray *
with_text_tags(ix_source_t *view, ix_text_tags_t *tt)
{
    GPtrArray **sets[IX_TEXT_TAG_N] = {
        [IX_TEXT_TAG_ORG] = &view->orgs,
        [IX_TEXT_TAG_THEME] = &view->themes,
        [IX_TEXT_TAG_COUNTRY] = &view->countries,
        [IX_TEXT_TAG_YEAR] = &view->years,
    };
    GPtrArray *owned = g_ptr_array_new_with_free_func(
        (GDestroyNotify)g_ptr_array_unref);

    for (guint k = 0; k < IX_TEXT_TAG_N; k++) {
        GPtrArray *set = g_ptr_array_new_with_free_func(g_free);

        tt->base[k] = *sets[k];
        ix_strset_merge(set, *sets[k]);
        ix_strset_merge(set, tt->found[k]);
        *sets[k] = set;
        g_ptr_array_add(owned, set);
    }
    view->text_tags = tt;
    return owned;
}

gboolean
ix_writer_add(ix_writer_t *w, const ix_source_t *src,
              const corpus_vocab_t *vocab, GError **error)
{
    g_autoptr(JsonNode) node = ix_record_build(src, vocab);
    g_autofree char *record = json_to_string(node, FALSE);
    g_autofree char *hashed = hashed_record(src, vocab);
    g_autofree char *hash = content_hash(hashed, src);
    g_autofree char *old = stored_hash(w, src->id);
    g_autofree char *date = sort_date(src);
    g_autofree char *sect = NULL;
    g_autoptr(GPtrArray) stored = NULL;
    g_autofree char *value = src->file_stamp
        ? g_strconcat(hash, ":", src->file_stamp, NULL) : g_strdup(hash);
    g_autoptr(ix_text_tags_t) text_tags = NULL;
    g_autoptr(GPtrArray) merged = NULL;
    g_autoptr(JsonNode) node_view = NULL;
    ix_source_t view;
    xc_status_t st;

    if (same_hash(old, hash)) {
        w->counts.unchanged++;
        g_hash_table_replace(w->outcomes, g_strdup(src->id),
                             GINT_TO_POINTER(IX_OUTCOME_UNCHANGED));
        /* A fresh database (--full) needs every document, changed or
         * not; the counts still say what changed. */
        if (!w->force)
            return TRUE;
    }
    sect = src->section ? g_ascii_strdown(&src->section, 1) : NULL;
    if (src->spool) {
        stored = ix__spool_get(src->spool, src->spool_off, src->spool_len,
                               error);
        if (!stored)
            return FALSE;
    } else if (src->text_digest) {
        /* Reused text, needed after all: it is read before the document
         * is replaced. */
        stored = stored_text(w, src->id);
        if (!stored) {
            g_set_error(error, IX_ERROR, IX_ERROR_INDEX,
                        "%s: its text is no longer in the index", src->id);
            return FALSE;
        }
    }

    /* The tags of the document's own text join its own (tag.c); only the
     * written record and terms carry them, never the hashed record, since
     * the text's digest is in the hash already. */
    if (src->type == IX_SOURCE_DOCUMENT &&
        (src->status == IX_STATUS_INDEXED ||
         src->status == IX_STATUS_UNCHANGED)) {
        text_tags = ix_tag_text(vocab, stored ? stored : src->passages);
        view = *src;
        merged = with_text_tags(&view, text_tags);
        src = &view;
        node_view = ix_record_build(src, vocab);
        g_free(record);
        record = json_to_string(node_view, FALSE);
    }

    st = xc_dbw_begin_doc(w->db, src->id);
    if (st == XC_OK)
        st = add_text(w->db, src, stored ? stored : src->passages);
    if (st == XC_OK)
        st = add_fields(w->db, src, sect);
    if (st == XC_OK)
        st = add_tag_origins(w->db, src);
    if (st == XC_OK)
        st = xc_dbw_set_value(w->db, XC_SLOT_DATE, date, strlen(date));
    if (st == XC_OK)
        st = xc_dbw_set_value(w->db, XC_SLOT_HASH, value, strlen(value));
    if (st == XC_OK)
        st = xc_dbw_set_data(w->db, record);
    if (st == XC_OK && xc_dbw_doc_capped(w->db))
        g_ptr_array_add(w->capped, g_strdup(src->id));
    if (st == XC_OK)
        st = xc_dbw_end_doc(w->db);
    if (st != XC_OK)
        return fail(w, st, src->id, error);
    if (same_hash(old, hash))
        return TRUE;
    if (old)
        w->counts.updated++;
    else
        w->counts.added++;
    g_hash_table_replace(w->outcomes, g_strdup(src->id),
                         GINT_TO_POINTER(old ? IX_OUTCOME_UPDATED
                                             : IX_OUTCOME_ADDED));
    return TRUE;
}

typedef struct {
    GHashTable *keep;
    GPtrArray *gone;
} unseen_t;

static int
collect_unseen(const char *id, void *rock)
{
    unseen_t *u = rock;

    if (!g_hash_table_contains(u->keep, id))
        g_ptr_array_add(u->gone, g_strdup(id));
    return 0;
}

gboolean
ix_writer_delete_unseen(ix_writer_t *w, GHashTable *keep, GError **error)
{
    g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func(g_free);
    unseen_t u = { keep, gone };
    xc_status_t st = xc_dbw_foreach_id(w->db, collect_unseen, &u);

    for (guint i = 0; i < gone->len && st == XC_OK; i++) {
        st = xc_dbw_delete_doc(w->db, g_ptr_array_index(gone, i));
        if (st == XC_OK)
            w->counts.deleted++;
    }
    if (st != XC_OK)
        return fail(w, st, "cannot delete stale documents", error);
    return TRUE;
}
