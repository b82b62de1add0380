/* corpus.h -- libctmap_corpus: the mapping text turned into entries, the
 * links they cite, and the vocabularies that give every tag its canonical
 * value.
 *
 * The library never prints and never exits: problems in the input become
 * warnings (corpus_warning_t) the caller decides how to show, and failures
 * that stop the work become a GError in CORPUS_ERROR.
 */
#ifndef CTMAP_CORPUS_CORPUS_H
#define CTMAP_CORPUS_CORPUS_H

#include <glib.h>

G_BEGIN_DECLS

/* ---------------------------------------------------------------- Errors */

#define CORPUS_ERROR (corpus_error_quark())
GQuark corpus_error_quark(void);

typedef enum {
    CORPUS_ERROR_IO,            /* a file could not be read */
    CORPUS_ERROR_VOCAB          /* a vocabulary file is malformed */
} corpus_error_t;

/* ------------------------------------------------------------ Vocabularies */

/* One canonical vocabulary item: an organization, theme, country or
 * acronym. */
typedef struct {
    char *slug;                 /* "unodc"; the value of boolean terms */
    char *name;                 /* "United Nations Office on Drugs and Crime" */
    char *label;                /* "UNODC": short label for facets */
    char *extra;                /* themes: section letter "A".."E";
                                 * acronyms: Russian expansion;
                                 * countries: ISO 3166 code; else "" */
    GPtrArray *aliases;         /* (element-type utf8) every spelling */
    char *label_ru;             /* "Казахстан": the Russian facet label,
                                 * or "" (a label, not an alias) */
} corpus_term_t;

typedef enum {
    CORPUS_VOCAB_ORG,
    CORPUS_VOCAB_THEME,
    CORPUS_VOCAB_COUNTRY,
    CORPUS_VOCAB_ACRONYM,
    CORPUS_VOCAB_KIND,
    CORPUS_VOCAB_N
} corpus_vocab_kind_t;

typedef struct corpus_vocab corpus_vocab_t;

/* Loads organizations.tsv, themes.tsv, countries.tsv, acronyms.tsv,
 * kinds.tsv and, when it is there, glossary.tsv from @dir.  Returns:
 * (transfer full): free with corpus_vocab_free(). */
corpus_vocab_t *corpus_vocab_load(const char *dir, GError **error);
void corpus_vocab_free(corpus_vocab_t *vocab);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(corpus_vocab_t, corpus_vocab_free)

/* The pairs of glossary.tsv (if @dir has one), each "english\nrussian",
 * one for every English x Russian spelling of a line.  Returns:
 * (transfer none) (element-type utf8). */
const GPtrArray *corpus_vocab_glossary(const corpus_vocab_t *vocab);
/* What corpus_vocab_load() skipped, as "path:line: why" messages, for the
 * caller to show.  Returns: (transfer none) (element-type utf8). */
const GPtrArray *corpus_vocab_warnings(const corpus_vocab_t *vocab);

/* Every item of one vocabulary.  Returns: (transfer none). */
const GPtrArray *corpus_vocab_items(const corpus_vocab_t *vocab,
                                    corpus_vocab_kind_t kind);

/* Looks up a spelling (case, punctuation, dashes and spaces folded).
 * Returns: (transfer none) (nullable). */
const corpus_term_t *corpus_vocab_lookup(const corpus_vocab_t *vocab,
                                         corpus_vocab_kind_t kind,
                                         const char *spelling);
/* Looks up by slug.  Returns: (transfer none) (nullable). */
const corpus_term_t *corpus_vocab_by_slug(const corpus_vocab_t *vocab,
                                          corpus_vocab_kind_t kind,
                                          const char *slug);

/* Finds every item of @kind named anywhere in @text, by whole-word
 * alias match, longest alias first so "UN Women" is not also "UN".
 * Returns: (transfer container) (element-type corpus_term_t): distinct
 * items in order of first appearance. */
GPtrArray *corpus_vocab_scan(const corpus_vocab_t *vocab,
                             corpus_vocab_kind_t kind, const char *text);

/* ---------------------------------------------------------------- Links */

typedef enum {
    CORPUS_LINK_HTTP,           /* http:// or https:// */
    CORPUS_LINK_WWW,            /* www.example.org: http:// prepended */
    CORPUS_LINK_FILE            /* file:// -- someone's disk */
} corpus_link_kind_t;

typedef struct {
    char *url;                  /* repaired, absolute */
    char *written;              /* as it appears in the text */
    corpus_link_kind_t kind;
    char *host;                 /* lower-case, no "www."; NULL for file */
} corpus_link_t;

void corpus_link_free(corpus_link_t *link);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(corpus_link_t, corpus_link_free)

/* Finds links in plain @text, repairing those broken by the layout (a
 * space inside a path, trailing punctuation, a '>' glued on).
 * Returns: (transfer full) (element-type corpus_link_t). */
GPtrArray *corpus_links_find(const char *text);

/* Returns: (transfer full): @url without the "user:password@" its
 * authority may hold: a password written into a citation must not be
 * stored, shown or sent.  Anything that is not "scheme://..." is copied
 * as it is. */
char *corpus_url_strip_userinfo(const char *url);

/* Returns: (transfer full): @url normalised for identity: scheme and host
 * lower-cased, default port, user name, password and fragment dropped,
 * "www." kept. */
char *corpus_url_normalize(const char *url);

/* ---------------------------------------------------------------- Entries */

typedef struct {
    char *id;                   /* "e-" + 16 hex */
    char section;               /* 'A'..'E'; 0 for the introduction */
    char *theme;                /* (nullable) theme slug (themes.tsv);
                                 * NULL for the introduction */
    char *title;                /* objective cell, italic title or lead */
    char *kind;                 /* kind slug (kinds.tsv) */
    char *kind_raw;             /* the kind/objective cell as written */
    char *orgs_raw;             /* the organization cell as written */
    GPtrArray *orgs;            /* (element-type utf8) org slugs: the
                                 * cell's, then implementers the text
                                 * names (all the text names when the
                                 * cell names none) */
    GPtrArray *countries;       /* (element-type utf8) country slugs of
                                 * the activity (not its donors) */
    GPtrArray *donors;          /* (element-type utf8) country slugs
                                 * named only as paying ("co-funded by
                                 * ... the Netherlands") */
    GPtrArray *years;           /* (element-type utf8) "2019" ...: when
                                 * it happened or was published, not
                                 * resolution years or horizons */
    char *text;                 /* plain text; list items one per line */
    GPtrArray *titles;          /* (element-type utf8) italic titles */
    GPtrArray *links;           /* (element-type corpus_link_t) */
    guint first_line;           /* 1-based line range in the mapping */
    guint last_line;
    char *edition;              /* the mapping's name, e.g. "mapping-2020-07" */
    GPtrArray *themes;          /* (element-type utf8) every theme slug,
                                 * the first = @theme: D-E: sub-theme,
                                 * then section; A-C: section, then the
                                 * sub-theme the objective names, if any;
                                 * empty for the introduction */
} corpus_entry_t;

void corpus_entry_free(corpus_entry_t *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(corpus_entry_t, corpus_entry_free)

typedef struct {
    guint line;                 /* 1-based; 0 when not tied to a line */
    char *message;              /* one line, no trailing newline */
} corpus_warning_t;

void corpus_warning_free(corpus_warning_t *w);

typedef struct {
    GPtrArray *entries;         /* (element-type corpus_entry_t) */
    GPtrArray *warnings;        /* (element-type corpus_warning_t) */
    /* For the no-text-lost check: for each line of the input, the index
     * into @entries it landed in, or -1 for headings, blank lines, the
     * table of contents and the table header.  Line N (1-based) is
     * element N - 1; len is the number of lines. */
    GArray *line_entry;         /* (element-type gint) */
} corpus_mapping_t;

/* Parses mapping text.  Never fails on content: empty, binary or
 * non-UTF-8 input gives what can be salvaged plus warnings.  @edition names
 * the source (stored in each entry).  Returns: (transfer full): free with
 * corpus_mapping_free(). */
corpus_mapping_t *corpus_mapping_parse(const char *text, gsize len,
                                       const char *edition,
                                       const corpus_vocab_t *vocab);
/* Reads and parses @path; NULL with CORPUS_ERROR_IO when unreadable. */
corpus_mapping_t *corpus_mapping_load(const char *path,
                                      const corpus_vocab_t *vocab,
                                      GError **error);
void corpus_mapping_free(corpus_mapping_t *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(corpus_mapping_t, corpus_mapping_free)

/* Returns: (transfer full): @html with tags removed, entities decoded,
 * <li>/<p>/<br> and "- " / "• " list markers turned into line breaks,
 * whitespace collapsed within lines.  Italic spans are appended to
 * @titles when non-NULL. */
char *corpus_html_to_text(const char *html, GPtrArray *titles);

G_END_DECLS

#endif /* CTMAP_CORPUS_CORPUS_H */
