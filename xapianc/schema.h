/* schema.h -- the index schema shared by ctmap-indexer and ctmap-searchd.
 *
 * Term prefixes, value slots and metadata keys are the contract between the
 * program that writes the index and the one that reads it; changing one of
 * them means a full re-index, so they live here and nowhere else.
 */
#ifndef CTMAP_XAPIANC_SCHEMA_H
#define CTMAP_XAPIANC_SCHEMA_H

/* ---------------------------------------------------------------- Terms */

/* Boolean terms; values are lower-case slugs (see corpus_slug()). */
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
#define XC_WEIGHT_BODY     1

/* ---------------------------------------------------------------- Values */

/* Facet slots hold the field's slugs joined by XC_MULTI_SEP, which the
 * multi-valued facet counter splits again. */
#define XC_MULTI_SEP       '\n'

enum {
    XC_SLOT_TYPE = 0,
    XC_SLOT_ORG = 1,
    XC_SLOT_THEME = 2,
    XC_SLOT_SECTION = 3,
    XC_SLOT_KIND = 4,
    XC_SLOT_COUNTRY = 5,
    XC_SLOT_YEAR = 6,
    XC_SLOT_LANG = 7,
    XC_SLOT_STATUS = 8,
    XC_SLOT_HOST = 9,
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
/* {"org": {slug: label}, "theme": {...}, ...} */
#define XC_META_LABELS      "ctmap:labels"
/* "1" when every document holding a multi-word synonym ("counter terrorism
 * committee executive directorate") also holds its one-word synonyms
 * ("cted") as terms at that position: xapianc's writer adds them, and the
 * query then needs no phrase to expand an acronym.  Set when the first
 * document goes into an empty index, "0" when synonyms change under
 * documents written before. */
#define XC_META_PHRASE_TERMS "ctmap:phrase-terms"
#define XC_SCHEMA_VERSION   "2"

/* Page separator inside XC_SLOT_TEXT. */
#define XC_PAGE_SEP         '\f'

/* Terms longer than this (bytes) get their tail replaced by a hash. */
#define XC_MAX_TERM         240

#endif /* CTMAP_XAPIANC_SCHEMA_H */
