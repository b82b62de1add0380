/* schema.h -- the index schema shared by ctmap-indexer and ctmap-searchd.
 *
 * Term prefixes, value slots and metadata keys are the contract between the
 * program that writes the index and the one that reads it; changing one of
 * them means a full re-index, so they live here and nowhere else.
 */
#ifndef CTMAP_XAPIANC_SCHEMA_H
#define CTMAP_XAPIANC_SCHEMA_H

/* ---------------------------------------------------------------- Terms */

/* Boolean terms; values are slugs (xc_slug()). */
#define XC_PREFIX_ID       "Q"
#define XC_PREFIX_TYPE     "XTYPE"
#define XC_PREFIX_ORG      "XORG"
#define XC_PREFIX_THEME    "XTHEME"
#define XC_PREFIX_SECTION  "XSECT"
#define XC_PREFIX_KIND     "XKIND"
#define XC_PREFIX_COUNTRY  "XCOUNTRY"
#define XC_PREFIX_YEAR     "XYEAR"
#define XC_PREFIX_LANG     "XLANG"
#define XC_PREFIX_STATUS   "XSTATUS"
#define XC_PREFIX_HOST     "XHOST"
/* Where a tag came from: "XTS" SOURCE ":" FIELD-PREFIX SLUG for each
 * org, theme, country and year tag ("XTStext:XCOUNTRYkazakhstan"), and
 * "XTS" SOURCE once for a source giving any; SOURCE "mapping", "folder"
 * or "text" (/search?tag_source=). */
#define XC_PREFIX_TAGSRC   "XTS"

/* Free-text prefixes. */
#define XC_PREFIX_TITLE    "S"
#define XC_PREFIX_ORGTEXT  "XO"

/* Free-text weights (wdf increments), BM25F-style: the title's words are
 * added to the body field again with more wdf, before BM25 saturates
 * them, rather than scored as a field of their own.  Tuned on the tuning
 * half of tests/relevance/: title 3 (2: -0.005, 5: -0.002 nDCG@10);
 * organization names gain nothing over the body (2: -0.012, 4: -0.024):
 * their names already come with the acronym synonyms, and a query naming
 * an organization is better served by its topic words. */
#define XC_WEIGHT_TITLE    3
#define XC_WEIGHT_ORGTEXT  1
/* A country of the activity (its tag) that the entry's text does not
 * name is added to the body as a word, so "Kyrgyzstan research" finds
 * the entries tagged Kyrgyzstan whose text says "Kyrgyz Republic" or
 * names no country above the regional or global ones that do not.  Only
 * the countries the text does not name: every added word lengthens the
 * document, and a tag the text repeats tells BM25 nothing new.  Tuned on
 * the tuning half: country + topic 0.896 -> 0.904 (1), 0.909 (2); added
 * for every tag, 0.912 (1), 0.918 (2) but keywords -0.002. */
#define XC_WEIGHT_COUNTRY  2
#define XC_WEIGHT_BODY     1

/* ---------------------------------------------------------------- Fields */

/* The boolean fields, one row each, in the order /search lists facets:
 *   X(ID, name, query, prefix, slot, many, facet)
 * ID      XC_FIELD_<ID> (enum xc_field_t) and XC_SLOT_<ID>
 * name    the /search filter and facet name, the ctmap-search option, and
 *         the member of XC_META_LABELS holding the field's labels
 * query   the query parser's prefix ("site:"), or NULL when the field has
 *         none or one of its own (year: ranges, org: free text)
 * prefix  the term prefix: each value v is the boolean term prefix + v
 * slot    the value slot holding the values joined by XC_MULTI_SEP
 * many    1 when a document may have several values
 * facet   1 when /search filters and counts it
 * Everything listing fields (the parser's prefixes, searchd's parameters
 * and facets, the indexer's writer, ctmap-search's options, the tests'
 * index builder) walks this table.  Adding a row and its slot is a full
 * re-index. */
#define XC_FIELD_LIST(X)                                                    \
    X(ORG, "org", NULL, XC_PREFIX_ORG, 1, 1, 1)                             \
    X(THEME, "theme", "theme", XC_PREFIX_THEME, 2, 1, 1)                    \
    X(COUNTRY, "country", "country", XC_PREFIX_COUNTRY, 5, 1, 1)            \
    X(KIND, "kind", "kind", XC_PREFIX_KIND, 4, 0, 1)                        \
    X(TYPE, "type", "type", XC_PREFIX_TYPE, 0, 0, 1)                        \
    X(LANG, "lang", "lang", XC_PREFIX_LANG, 7, 0, 1)                        \
    X(YEAR, "year", NULL, XC_PREFIX_YEAR, 6, 1, 1)                          \
    X(SECTION, "section", "section", XC_PREFIX_SECTION, 3, 0, 1)            \
    X(STATUS, "status", "status", XC_PREFIX_STATUS, 8, 0, 1)                \
    X(HOST, "site", "site", XC_PREFIX_HOST, 9, 0, 0)

typedef enum {
#define XC__FIELD_ENUM(id, name, query, prefix, slot, many, facet) \
    XC_FIELD_##id,
    XC_FIELD_LIST(XC__FIELD_ENUM)
#undef XC__FIELD_ENUM
    XC_FIELD_N
} xc_field_t;

typedef struct {
    const char *name;
    const char *query;          /* NULL: no boolean query prefix */
    const char *prefix;
    unsigned slot;
    int many;
    int facet;
} xc_field_info_t;

/* The table as data, indexed by xc_field_t (defined in schema.cc). */
#ifdef __cplusplus
extern "C" {
#endif
extern const xc_field_info_t xc_fields[XC_FIELD_N];
/* Returns: (transfer full) (free with free()): @text as a boolean term
 * value: its letters and digits lower-cased, each run of anything else
 * one '-' between them ("Kyrgyz Republic" -> "kyrgyz-republic"); invalid
 * UTF-8 is repaired first; NULL gives "".  The indexer's values, the
 * query parser's field:value and searchd's filters all go through it, so
 * they agree. */
char *xc_slug(const char *text);
#ifdef __cplusplus
}
#endif

/* ---------------------------------------------------------------- Statuses */

/* What happened to a source, X(ID, name, label): the indexer's
 * ix_status_t, the values of XC_PREFIX_STATUS, /stats' by_status and the
 * status facet's labels.  Statuses whose record has the whole text come
 * first (sd_facets_status_label()). */
#define XC_DOC_STATUS_LIST(X)                                  \
    X(INDEXED, "indexed", "Full text")                         \
    X(UNCHANGED, "unchanged", "Full text")                     \
    X(TITLE_ONLY, "title-only", "Title only (no link known)")  \
    X(UNREACHABLE, "unreachable", "Link unreachable")          \
    X(UNSUPPORTED, "unsupported", "Unsupported format")        \
    X(LOCAL_PATH, "local-path", "Link to a local disk")        \
    X(TOO_LARGE, "too-large", "Too large")                     \
    X(BROKEN, "broken", "Could not be read")

/* The kinds of document, X(ID, name, label): values of XC_PREFIX_TYPE. */
#define XC_DOC_TYPE_LIST(X)                          \
    X(ENTRY, "entry", "Mapping entry")               \
    X(DOCUMENT, "document", "Cited document")

/* ---------------------------------------------------------------- Values */

/* Facet slots hold the field's slugs joined by XC_MULTI_SEP, which the
 * multi-valued facet counter splits again. */
#define XC_MULTI_SEP       '\n'

/* The slots of the fields come from XC_FIELD_LIST; the others follow. */
enum {
#define XC__FIELD_SLOT(id, name, query, prefix, slot, many, facet) \
    XC_SLOT_##id = slot,
    XC_FIELD_LIST(XC__FIELD_SLOT)
#undef XC__FIELD_SLOT
    XC_SLOT_DATE = 10,      /* "YYYYMMDD", sortable; newest first on browse */
    XC_SLOT_HASH = 11,      /* content hash (hex) for incremental runs */
    XC_SLOT_TEXT = 12,      /* full text; pages/passages split by '\f';
                             * xapianc stores it deflated in blocks (the
                             * values of Glass are not compressed) and
                             * hands it back inflated */
    XC_SLOT_PAGES = 13,     /* term position where each page starts, as
                             * decimal numbers separated by spaces */
    XC_SLOT_COUNT,
    /* This slot and those after it hold the further blocks of a long
     * XC_SLOT_TEXT; only xapianc reads them. */
    XC_SLOT_TEXT_MORE = 256
};

/* ---------------------------------------------------------------- Metadata */

#define XC_META_SCHEMA      "ctmap:schema"      /* XC_SCHEMA_VERSION */
#define XC_META_LAST_RUN    "ctmap:last-run"    /* report summary, JSON */
/* {"org": {slug: label}, "theme": {...}, ...}; "org_names" and
 * "acronym_names" map slugs to the long forms (organization names,
 * acronym expansions) where they differ from the label; "org_ru",
 * "theme_ru", ... (field + XC_META_LABELS_RU_SUFFIX) to the Russian labels
 * where the vocabulary has one. */
#define XC_META_LABELS      "ctmap:labels"
#define XC_META_LABELS_RU_SUFFIX "_ru"
/* "1" when every document holding a multi-word synonym ("counter terrorism
 * committee executive directorate") also holds its one-word synonyms
 * ("cted") as terms at that position: xapianc's writer adds them, and the
 * query then needs no phrase to expand an acronym.  Set when the first
 * document goes into an empty index, "0" when synonyms change under
 * documents written before. */
#define XC_META_PHRASE_TERMS "ctmap:phrase-terms"
/* A sharded index's query-side database only: the JSON array of every
 * document's title (documents in id order, at most XC_TITLES_MAX), which
 * searchd's suggestions need and which remote shards would serve one
 * round trip a document. */
#define XC_META_TITLES      "ctmap:titles"
/* Documents whose titles become suggestion phrases, at most: beyond it the
 * titles are left out (labels are always in). */
#define XC_TITLES_MAX       200000
/* A sharded index's render records (issue 18): the query-side database
 * holds, under XC_META_HIT_PREFIX "S:DID", what a hit of shard S's
 * document DID needs to render (xapianc/shards.cc), so hits of remote
 * shards render without a round trip a document.  XC_META_RENDER is the
 * token of the last commit: the query-side database's "TOKEN", each
 * shard's "TOKEN/S"; a shard whose token differs is read over the
 * network instead. */
#define XC_META_RENDER      "ctmap:render"
#define XC_META_HIT_PREFIX  "ctmap:hit:"
/* Written by xc_compact() to raise a copy's revision. */
#define XC_META_COMPACTED   "ctmap:compacted"
/* The indexer's digest of the vocabularies it last indexed with. */
#define XC_META_VOCAB       "ctmap:vocab-digest"
/* The XC_META_SCHEMA of an index this code reads and writes; searchd
 * refuses an index with another one (503, rebuild with --full). */
/* 2: Russian words stemmed from their hunspell dictionary form, British
 * spellings from the American one, "and"/"or" stopwords, glossary
 * translations among the synonyms. */
#define XC_SCHEMA_VERSION   "2"

/* Page separator inside XC_SLOT_TEXT. */
#define XC_PAGE_SEP         '\f'

/* Characters of a title kept (a PDF's /Title may be megabytes): a
 * longer one is cut and ends in XC_CUT_MARK, by the indexer when it
 * stores it and by searchd when it returns one stored before. */
#define XC_MAX_TITLE_CHARS  300
#define XC_CUT_MARK         "\u2026"

/* Terms longer than this (bytes) get their tail replaced by a hash. */
#define XC_MAX_TERM         240

#endif /* CTMAP_XAPIANC_SCHEMA_H */
