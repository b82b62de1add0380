/* test_mapping.c -- the mapping parser against the real July 2020 mapping
 * (counts checked by hand, continuation rows, links, the no-text-lost
 * check, stable ids) and against bad input.
 */
#include "corpus-test.h"

static corpus_vocab_t *vocab;
static corpus_mapping_t *map;

static void
setup(void)
{
    vocab = test_vocab();
    map = test_mapping(vocab);
}

static void
teardown(void)
{
    corpus_mapping_free(map);
    corpus_vocab_free(vocab);
}

TestSuite(mapping, .init = setup, .fini = teardown);

/* ---------------------------------------------------------- Counts */

/* Counted by hand from the file: section A has 33 activity rows (lines
 * 53-99, page-break continuations folded in), B 19, C 6, D 77, E 91, plus
 * the introduction.  DESIGN.md says "over 200 entries". */
Test(mapping, entry_counts_per_section)
{
    guint n[256] = { 0 };

    for (guint i = 0; i < map->entries->len; i++) {
        const corpus_entry_t *e = g_ptr_array_index(map->entries, i);

        n[(unsigned char)e->section]++;
    }
    cr_expect_eq(n[0], 1, "introduction");
    cr_expect_eq(n['A'], 33);
    cr_expect_eq(n['B'], 19);
    cr_expect_eq(n['C'], 6);
    cr_expect_eq(n['D'], 77);
    cr_expect_eq(n['E'], 91);
    cr_assert_geq(map->entries->len, 200);
    cr_assert_leq(map->entries->len, 260);
    cr_assert_eq(map->entries->len, 1 + 33 + 19 + 6 + 77 + 91);
}

/* Per theme, counted by hand: prisons lines 237-245 (7 rows, 240 + 242
 * one row); financing 255-279 (6 projects, 6 publications, 6 workshops,
 * 1 research, 3 conferences); victims 308 and 309 + 311; terrorist travel
 * has a heading and no rows; socio-economic 159-167 (7). */
Test(mapping, entry_counts_per_theme)
{
    cr_expect_eq(count_theme(map, "prisons"), 7);
    cr_expect_eq(count_theme(map, "financing"), 22);
    cr_expect_eq(count_theme(map, "victims"), 2);
    cr_expect_eq(count_theme(map, "travel"), 0);
    cr_expect_eq(count_theme(map, "socio-economic"), 7);
    cr_expect_eq(count_theme(map, "cbrn"), 7);
    cr_expect_eq(count_theme(map, "tolerance"), 1);
    cr_expect_eq(count_theme(map, "parliaments"), 1);
    cr_expect_eq(count_theme(map, "agency-programmes"), 33);
}

Test(mapping, entries_are_complete)
{
    for (guint i = 0; i < map->entries->len; i++) {
        const corpus_entry_t *e = g_ptr_array_index(map->entries, i);

        cr_assert(g_str_has_prefix(e->id, "e-") && strlen(e->id) == 18,
                  "%s", e->id);
        cr_assert_str_eq(e->edition, "mapping-2020-07");
        cr_assert(e->title && *e->title, "entry at line %u", e->first_line);
        cr_assert(e->kind && *e->kind);
        cr_assert_not_null(corpus_vocab_by_slug(vocab, CORPUS_VOCAB_KIND,
                                                e->kind), "%s", e->kind);
        cr_assert_leq(e->first_line, e->last_line);
        cr_assert(e->text && e->kind_raw && e->orgs_raw);
        if (e->section == 0)
            continue;
        cr_assert_not_null(e->theme, "line %u", e->first_line);
        cr_assert_str_eq(g_ptr_array_index(e->themes, 0), e->theme);
        for (guint t = 0; t < e->themes->len; t++)
            cr_assert_not_null(corpus_vocab_by_slug(
                vocab, CORPUS_VOCAB_THEME,
                g_ptr_array_index(e->themes, t)));
        for (guint o = 0; o < e->orgs->len; o++)
            cr_assert_not_null(corpus_vocab_by_slug(
                vocab, CORPUS_VOCAB_ORG, g_ptr_array_index(e->orgs, o)));
    }
}

Test(mapping, warnings_are_few_and_located)
{
    guint dup = 0;

    for (guint i = 0; i < map->warnings->len; i++) {
        const corpus_warning_t *w = g_ptr_array_index(map->warnings, i);

        cr_assert_gt(w->line, 0, "%s", w->message);
        cr_assert_null(strchr(w->message, '\n'));
        dup += strstr(w->message, "repeats line") != NULL;
    }
    cr_expect_eq(dup, 2);
    cr_expect_leq(map->warnings->len, 6);
}

/* ---------------------------------------------------------- Rows */

Test(mapping, introduction_is_one_entry)
{
    const corpus_entry_t *e = g_ptr_array_index(map->entries, 0);
    const corpus_link_t *l;

    cr_assert_eq(e->section, 0);
    cr_assert_null(e->theme);
    cr_assert_str_eq(e->kind, "overview");
    cr_assert_str_eq(e->title, "Mapping of PCVE and CT Initiatives in "
                     "Central Asia: introduction");
    cr_assert_eq(entry_at(map, 5), e);
    cr_assert_eq(entry_at(map, 17), e);
    cr_assert_null(entry_at(map, 19));          /* "Contents" */
    cr_assert(strstr(e->text, "mentioned in red in this document"));
    cr_assert_eq(e->links->len, 1);
    l = g_ptr_array_index(e->links, 0);
    cr_assert(g_str_has_suffix(l->url, "?usp=sharing"), "%s", l->url);
    cr_assert(strv_has(e->orgs, "unoct") && strv_has(e->orgs, "unrcca"));
}

Test(mapping, page_break_continues_cells)
{
    /* Lines 63 + 65: the col1 fragment joins col1, the text fragment
     * joins the text inside the same paragraph ("Strengthening the"). */
    const corpus_entry_t *e = entry_at(map, 63);

    cr_assert_eq(entry_at(map, 65), e);
    cr_assert_null(entry_at(map, 64));
    cr_assert_eq(e->last_line, 65);
    cr_assert(strstr(e->kind_raw, "(international/regional) nal "
                     "organizations) efforts coordination"), "%s",
              e->kind_raw);
    cr_assert(strstr(e->text, "priorities - Strengthening the national "
                     "AML/CFT"), "%s", e->text);
    cr_assert(strv_has(e->orgs, "eag"));
    /* Lines 142 + 144: "in-" / "country" is one word again. */
    cr_assert(strstr(entry_at(map, 144)->text, "sustainable, in-country "
                     "capacities"));
    /* Lines 53 + 55: "JPoA and" / "countering" stays one line. */
    cr_assert(strstr(entry_at(map, 55)->text, "JPoA and countering and "
                     "preventing"));
}

Test(mapping, col1_only_rows_continue_the_objective)
{
    const corpus_entry_t *e = entry_at(map, 67);

    cr_assert_eq(entry_at(map, 69), e);
    cr_assert(g_str_has_suffix(e->kind_raw, "Flyer of STRIVE Global "
                               "projects in Central Asia"), "%s",
              e->kind_raw);
    cr_assert(g_str_has_suffix(entry_at(map, 120)->kind_raw, "protect "
                               "critical infrastructure against terrorist "
                               "attacks"));
}

Test(mapping, empty_cells_inherit_and_start_new_entries)
{
    const corpus_entry_t *e103 = entry_at(map, 103);
    const corpus_entry_t *e104 = entry_at(map, 104);
    const corpus_entry_t *e121 = entry_at(map, 121);

    cr_assert_neq(e103, e104);
    cr_assert_str_eq(e104->orgs_raw, "EU STRIVE Global");
    cr_assert(strv_has(e104->orgs, "eu"));
    cr_assert_str_eq(e104->kind_raw, "Research on drivers of "
                     "radicalization and violent extremism");
    cr_assert(g_str_has_prefix(e104->text, "A training package"));
    cr_assert_neq(entry_at(map, 122), e121);
    cr_assert_neq(entry_at(map, 123), entry_at(map, 122));
    cr_assert_str_eq(entry_at(map, 123)->orgs_raw, "UNODC");
    cr_assert_str_eq(entry_at(map, 123)->kind, "knowledge-sharing");
    /* Lines 71-79 take SCO-RATS from line 71. */
    cr_assert(strv_has(entry_at(map, 79)->orgs, "sco-rats"));
    /* Lines 85-89 take the objective of line 84 but are titled by their
     * own text. */
    cr_assert_str_eq(entry_at(map, 88)->kind_raw,
                     entry_at(map, 84)->kind_raw);
    cr_assert(g_str_has_prefix(entry_at(map, 88)->title, "In Kyrgyzstan"));
}

Test(mapping, shifted_cells_are_read_as_org_and_text)
{
    const corpus_entry_t *e = entry_at(map, 138);

    cr_assert_neq(e, entry_at(map, 136));
    cr_assert_eq(e->orgs->len, 1);
    cr_assert_str_eq(g_ptr_array_index(e->orgs, 0), "un-women");
    cr_assert_str_eq(e->kind_raw, "National Strategies");
    cr_assert_str_eq(e->kind, "strategy");
    cr_assert(g_str_has_prefix(e->text, "Tajikistan:\nUN Women has been"));
}

Test(mapping, organization_cell_split_by_page_break)
{
    const corpus_entry_t *e = entry_at(map, 147);
    const corpus_entry_t *f = entry_at(map, 362);

    cr_assert_eq(entry_at(map, 149), e);
    cr_assert(strv_has(e->orgs, "undp") && strv_has(e->orgs, "unoct")
              && strv_has(e->orgs, "unodc"));
    cr_assert(strstr(e->text, "identify development solutions to be "
                     "implemented"), "%s", e->text);
    cr_assert_eq(entry_at(map, 364), f);
    cr_assert(strv_has(f->orgs, "gctf") && strv_has(f->orgs, "unodc"));
    cr_assert(strstr(f->text, "Responses to Terrorism, covering also"));
}

Test(mapping, organization_cell_that_is_a_title)
{
    const corpus_entry_t *e = entry_at(map, 343);

    cr_assert(g_str_has_prefix(e->title, "The Counter-Terrorism CBRN Field "
                               "Exercise"), "%s", e->title);
    cr_assert(strv_has(e->orgs, "eu-cbrn-coe"));
    cr_assert_str_eq(e->kind, "conference");
    cr_assert(strv_has(e->years, "2019"));
}

Test(mapping, themes_and_kinds)
{
    const corpus_entry_t *a = entry_at(map, 73);
    const corpus_entry_t *d = entry_at(map, 158 + 1);

    cr_assert_str_eq(a->theme, "agency-programmes");
    cr_assert(strv_has(a->themes, "financing"));
    cr_assert_str_eq(d->theme, "socio-economic");
    cr_assert_str_eq(g_ptr_array_index(d->themes, 1), "pcve");
    cr_assert_str_eq(d->kind, "project");
    cr_assert_str_eq(entry_at(map, 157)->kind, "research");
    cr_assert_str_eq(entry_at(map, 101)->kind, "research");
    cr_assert_str_eq(entry_at(map, 115)->kind, "guidance");
    cr_assert_null(entry_at(map, 158));         /* the heading */
    cr_assert_null(entry_at(map, 333));         /* an empty theme */
}

Test(mapping, entry_fields_on_sample_rows)
{
    const corpus_entry_t *e = entry_at(map, 142);
    const corpus_entry_t *u = entry_at(map, 84);

    cr_assert_str_eq(e->title, "Cross-border and cross-sector dialogue for "
                     "tolerance and peace in Central Asia");
    cr_assert_eq(e->titles->len, 3);
    cr_assert(strv_has(e->countries, "kyrgyzstan")
              && strv_has(e->countries, "tajikistan")
              && strv_has(e->countries, "uzbekistan"));
    cr_assert(strv_has(e->years, "2020") && strv_has(e->years, "2023"));
    cr_assert(strv_has(u->orgs, "unodc") && strv_has(u->orgs, "unoct")
              && strv_has(u->orgs, "cted"));
    cr_assert_eq(u->orgs->len, 3);
    for (guint i = 1; i < e->years->len; i++)
        cr_assert_lt(strcmp(g_ptr_array_index(e->years, i - 1),
                            g_ptr_array_index(e->years, i)), 0);
}

static const corpus_link_t *
find_link(const corpus_entry_t *e, const char *suffix)
{
    for (guint i = 0; i < e->links->len; i++) {
        const corpus_link_t *l = g_ptr_array_index(e->links, i);

        if (g_str_has_suffix(l->url, suffix))
            return l;
    }
    return NULL;
}

Test(mapping, links_are_repaired_in_entries)
{
    const corpus_link_t *l;

    l = find_link(entry_at(map, 202), "/Use_of_Internet_for_Terrorist_"
                  "Purposes/Use_of_the_internet_for_terrorist_purposes_"
                  "Russian.pdf");
    cr_assert_not_null(l);
    /* Lines 309-311: the link after the page break belongs to the
     * entry of line 309, whole. */
    l = find_link(entry_at(map, 309), "Publications/Good%20practices%20on"
                  "%20victims/goos_practices_victims_R.pdf");
    cr_assert_not_null(l);
    cr_assert_eq(entry_at(map, 311), entry_at(map, 309));
    cr_assert_not_null(find_link(entry_at(map, 150), "book.iuk.edu.kg"));
    cr_assert_not_null(find_link(entry_at(map, 205),
                                 "?search_query=counter-terrorism"));
    l = find_link(entry_at(map, 152), "WEB-compressed.pdf");
    cr_assert_not_null(l);
    cr_assert_eq(l->kind, CORPUS_LINK_FILE);
    /* Duplicates within an entry are dropped. */
    cr_assert_eq(entry_at(map, 187)->links->len, 2);
}

Test(mapping, duplicated_rows_under_two_themes_are_kept)
{
    const corpus_entry_t *a = entry_at(map, 269);
    const corpus_entry_t *b = entry_at(map, 294);

    cr_assert_neq(a, b);
    cr_assert_str_eq(a->text, b->text);
    cr_assert_str_eq(a->theme, "financing");
    cr_assert_str_eq(b->theme, "ftf");
    cr_assert_str_neq(a->id, b->id);
    cr_assert_str_neq(entry_at(map, 270)->id, entry_at(map, 295)->id);
}

Test(mapping, ids_are_unique)
{
    g_autoptr(GHashTable) ids = g_hash_table_new(g_str_hash, g_str_equal);

    for (guint i = 0; i < map->entries->len; i++) {
        const corpus_entry_t *e = g_ptr_array_index(map->entries, i);

        cr_assert(g_hash_table_add(ids, e->id), "%s twice", e->id);
    }
}

/* ---------------------------------------------------------- No text lost */

/* Lines that carry no entry text: the table of contents (19-49), section
 * and theme headings, the table header (52) and the table rule at the
 * end (372).  Checked by hand against the file. */
static gboolean
expect_no_entry(guint line)
{
    static const guint headings[] = {
        51, 52, 100, 128, 139, 141, 158, 168, 188, 194, 220, 233, 236, 246,
        249, 252, 254, 280, 307, 312, 321, 333, 335, 344, 355, 367, 372
    };

    if (line >= 19 && line <= 49)
        return TRUE;
    for (guint i = 0; i < G_N_ELEMENTS(headings); i++)
        if (headings[i] == line)
            return TRUE;
    return FALSE;
}

static void
add_words(GHashTable *set, const char *text)
{
    g_autofree char *folded = corpus__fold(text);
    g_auto(GStrv) words = g_strsplit(folded, " ", -1);

    for (guint i = 0; words[i]; i++)
        if (*words[i])
            g_hash_table_add(set, g_strdup(words[i]));
}

/* Every word of every cell of every line that is not a heading, the
 * contents or blank is found in the entry the line landed in: in its
 * title, kind, organization cell or text.  A word a page break cut may be
 * glued to its other half, so a word of three letters or more may also
 * be part of a longer one. */
Test(mapping, no_text_is_lost)
{
    g_autofree char *data = NULL;
    g_auto(GStrv) lines = NULL;
    guint checked = 0;

    cr_assert(g_file_get_contents(TEST_MAPPING, &data, NULL, NULL));
    lines = g_strsplit(data, "\n", -1);
    cr_assert_eq(g_strv_length(lines), map->line_entry->len);
    for (guint i = 0; lines[i]; i++) {
        guint line = i + 1;
        const corpus_entry_t *e = entry_at(map, line);
        g_autoptr(GHashTable) have = NULL;
        g_autofree char *all = NULL;
        g_autofree char *all_folded = NULL;
        g_auto(GStrv) cells = NULL;

        if (g_strstrip(lines[i])[0] == '\0' || expect_no_entry(line)) {
            cr_expect_null(e, "line %u should carry no entry", line);
            continue;
        }
        cr_assert_not_null(e, "line %u landed in no entry", line);
        all = g_strjoin(" ", e->title, e->kind_raw, e->orgs_raw, e->text,
                        NULL);
        all_folded = corpus__fold(all);
        have = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        add_words(have, all);
        cells = g_strsplit(lines[i], "\t", -1);
        for (guint c = 0; cells[c]; c++) {
            /* The preamble is plain text ("<https://...>" is a link). */
            g_autofree char *text = e->section == 0 ? g_strdup(cells[c])
                : corpus_html_to_text(cells[c], NULL);
            g_autofree char *folded = corpus__fold(text);
            g_auto(GStrv) words = g_strsplit(folded, " ", -1);

            for (guint w = 0; words[w]; w++) {
                if (!*words[w] || g_hash_table_contains(have, words[w]))
                    continue;
                cr_expect(strlen(words[w]) >= 3
                          && strstr(all_folded, words[w]),
                          "line %u: \"%s\" lost", line, words[w]);
            }
        }
        checked++;
    }
    cr_assert_gt(checked, 250);
}

/* ---------------------------------------------------------- Stable ids */

Test(mapping, ids_are_stable_across_parses)
{
    g_autoptr(corpus_mapping_t) again = test_mapping(vocab);

    cr_assert_eq(again->entries->len, map->entries->len);
    for (guint i = 0; i < map->entries->len; i++) {
        const corpus_entry_t *a = g_ptr_array_index(map->entries, i);
        const corpus_entry_t *b = g_ptr_array_index(again->entries, i);

        cr_assert_str_eq(a->id, b->id);
    }
}

/* A later edition: line 59 dropped, line 61 edited, a row added after
 * line 62 and one in section E.  Every other entry keeps its id.  (Line
 * 59 names its own organization, so the rows below it inherit nothing
 * from it.) */
Test(mapping, ids_survive_edits_elsewhere)
{
    g_autofree char *data = NULL;
    g_auto(GStrv) lines = NULL;
    GString *edited = g_string_new(NULL);
    g_autoptr(corpus_mapping_t) later = NULL;
    g_autoptr(GHashTable) ids = g_hash_table_new(g_str_hash, g_str_equal);

    cr_assert(g_file_get_contents(TEST_MAPPING, &data, NULL, NULL));
    lines = g_strsplit(data, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        guint line = i + 1;

        if (line == 59)
            continue;
        if (line == 61) {
            g_string_append(edited, "Crime control\t\t<p>Interstate program "
                            "of joint measures to combat crime for "
                            "2024-2028.</p>\n");
            continue;
        }
        g_string_append(edited, lines[i]);
        if (lines[i + 1])
            g_string_append_c(edited, '\n');
        if (line == 62)
            g_string_append(edited, "New objective\tOSCE\tA new activity "
                            "in 2021.\n");
        if (line == 256)
            g_string_append(edited, "\tEAG\tA new financing project.\n");
    }
    later = corpus_mapping_parse(edited->str, edited->len, "later", vocab);
    g_string_free(edited, TRUE);
    cr_assert_eq(later->entries->len, map->entries->len + 1);
    for (guint i = 0; i < later->entries->len; i++) {
        const corpus_entry_t *e = g_ptr_array_index(later->entries, i);

        g_hash_table_add(ids, e->id);
    }
    for (guint i = 0; i < map->entries->len; i++) {
        const corpus_entry_t *e = g_ptr_array_index(map->entries, i);
        gboolean changed = e->first_line == 59 || e->first_line == 61;

        cr_expect_eq(g_hash_table_contains(ids, e->id), !changed,
                     "entry of line %u", e->first_line);
    }
}

/* ---------------------------------------------------------- Page breaks */

Test(mapping, word_cut_by_page_break_is_joined)
{
    static const struct {
        const char *before, *after;
        gboolean glued;
    } cases[] = {
        {"Donors (internatio", "nal organ", TRUE},
        {"build sustainable, in-", "country", TRUE},
        {"the Kostan", "ai academy", TRUE},
        {"Strengthening", "the national", FALSE},
        {"regional)", "nal organ", FALSE},
        {"Russian:", "https://x", FALSE},
        {"the", "Uppercase", FALSE},
        {"brought in", "to", FALSE},
        {"", "x", FALSE},
    };
    g_autoptr(GHashTable) words = g_hash_table_new_full(
        g_str_hash, g_str_equal, g_free, NULL);

    corpus__count_words(words, "international donors; in-country work; "
                        "internatio nal; the national systems; Kostan ai "
                        "into in to");
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
        cr_assert_eq(corpus__glued_by_break(words, cases[i].before,
                                            cases[i].after),
                     cases[i].glued, "'%s' | '%s'", cases[i].before,
                     cases[i].after);
}

Test(mapping, page_break_inside_a_word_in_a_cell)
{
    static const char text[] =
        "A. SUMMARY OF AGENCIES' PROJECTS, PROGRAMS AND STRATEGIES\t\t\n"
        "Objectives\tOrganizations\tActivities\n"
        "Donors (internatio\tEAG\t<p>One of the priorities - "
        "Strengthen</p>\n"
        "\n"
        "<p>nal organizations) efforts</p>\t\t<p>ing the national "
        "systems.</p>\n"
        "Other\tOSCE\tWork with international partners and Strengthening "
        "ties.\n";
    g_autoptr(corpus_mapping_t) m =
        corpus_mapping_parse(text, sizeof(text) - 1, "t", vocab);
    const corpus_entry_t *e;

    cr_assert_eq(m->entries->len, 2);
    e = entry_at(m, 3);
    cr_assert_eq(entry_at(m, 5), e);
    cr_assert_str_eq(e->kind_raw, "Donors (international organizations) "
                     "efforts");
    cr_assert_str_eq(e->text, "One of the priorities - Strengthening the "
                     "national systems.");
    cr_assert_null(entry_at(m, 1));
    cr_assert_null(entry_at(m, 2));
    cr_assert_null(entry_at(m, 4));
}

/* ------------------------------------------------ Tags to facet on */

static gboolean
years_are(const char *text, gint64 edition, const char *const *want)
{
    g_autoptr(GPtrArray) got = corpus__find_years(text, edition);
    guint n = g_strv_length((char **)want);

    if (got->len != n)
        return FALSE;
    for (guint i = 0; i < n; i++)
        if (strcmp(g_ptr_array_index(got, i), want[i]) != 0)
            return FALSE;
    return TRUE;
}

/* Issue 12: a year tag says when the activity happened or was published;
 * a resolution's adoption year, a document symbol's and a name's horizon
 * stay in the text only. */
Test(mapping, years_leave_out_resolutions_symbols_and_horizons)
{
    static const char *const y2019[] = {"2019", NULL};
    static const char *const y2018[] = {"2018", NULL};
    static const char *const range[] = {"2021", "2025", NULL};
    static const char *const none[] = {NULL};

    cr_assert(years_are("UNSC resolution 2396 (2017), a workshop in 2019",
                        2020, y2019));
    cr_assert(years_are("resolutions (incl. 1373 (2001), 1624 (2005) and "
                        "2462 (2019))", 2020, none));
    cr_assert(years_are("supporting SCR.2370/2017 in 2019", 2020, y2019));
    cr_assert(years_are("Framework (S/2017/375) implemented in 2019", 2020,
                        y2019));
    cr_assert(years_are("the NSHR 2030 and its Action Plan", 2020, none));
    /* Without the mapping's year nothing is a horizon. */
    static const char *const y2030[] = {"2030", NULL};
    cr_assert(years_are("the NSHR 2030 and its Action Plan", 0, y2030));
    cr_assert(years_are("the programme for 2021-2025", 2020, range));
    cr_assert(years_are("the programme for 2021 \u2013 2025", 2020, range));
    cr_assert(years_are("a workshop planned in 2021", 2020,
                        (const char *const[]){"2021", NULL}));
    cr_assert(years_are("in November 2021", 2020,
                        (const char *const[]){"2021", NULL}));
    /* An event named with its (past) year happened then. */
    cr_assert(years_are("FIFA World Cup 2018 in Russia", 2020, y2018));
    /* Not a resolution: a national action plan consulted on in 2019. */
    cr_assert(years_are("consultations on NAP 1325 (2019)", 2020, y2019));
}

Test(mapping, entry_years_on_sample_rows)
{
    const corpus_entry_t *e = entry_at(map, 237);     /* NSHR 2030 */
    const corpus_entry_t *c = entry_at(map, 58);      /* CTED resolutions */

    cr_assert(strv_has(e->years, "2020") && strv_has(e->years, "2021"));
    cr_assert_not(strv_has(e->years, "2030"));
    cr_assert(strv_has(c->years, "2020"));
    cr_assert_not(strv_has(c->years, "2001"));
    cr_assert_not(strv_has(c->years, "2017"));
    for (guint i = 0; i < map->entries->len; i++) {
        const corpus_entry_t *x = g_ptr_array_index(map->entries, i);

        cr_assert_not(strv_has(x->years, "2030"), "line %u",
                      x->first_line);
    }
}

/* Countries named only as paying are donors, not where the activity is;
 * a country named both ways is the activity's. */
Test(mapping, donors_are_not_countries_of_the_activity)
{
    const corpus_entry_t *g = entry_at(map, 195);     /* "with the support
                                                       * of France, ..." */
    const corpus_entry_t *v = entry_at(map, 238);     /* co-funded by the
                                                       * Netherlands */
    const corpus_entry_t *j = entry_at(map, 106);     /* supported by Japan */
    const corpus_entry_t *t = entry_at(map, 156);     /* in Tajikistan ...
                                                       * supported by UN
                                                       * Women, Tajikistan */

    cr_assert_eq(g->countries->len, 0);
    cr_assert(strv_has(g->donors, "france") && strv_has(g->donors, "japan")
              && strv_has(g->donors, "germany")
              && strv_has(g->donors, "united-states"));
    cr_assert(strv_has(v->countries, "kazakhstan"));
    cr_assert_not(strv_has(v->countries, "netherlands"));
    cr_assert(strv_has(v->donors, "netherlands"));
    cr_assert(strv_has(j->donors, "japan"));
    cr_assert_not(strv_has(j->countries, "japan"));
    cr_assert(strv_has(j->countries, "kazakhstan"));
    cr_assert(strv_has(t->countries, "tajikistan"));
    cr_assert_eq(t->donors->len, 0);
}

/* Implementers the text names join the cell's organizations; a cell that
 * names none takes what the text names.  (Ids hash the cell's only:
 * tests/relevance/judgments.tsv, judged before, still names them.) */
Test(mapping, implementers_join_organizations)
{
    const corpus_entry_t *s = entry_at(map, 103);     /* STRIVE Global */
    const corpus_entry_t *f = entry_at(map, 237);     /* EU-FPI2, IPHR */
    const corpus_entry_t *b = entry_at(map, 317);     /* "Policy Brief" */

    cr_assert(strv_has(s->orgs, "eu") && strv_has(s->orgs, "hedayah"));
    cr_assert_str_eq(g_ptr_array_index(s->orgs, 0), "eu");
    cr_assert(strv_has(f->orgs, "iphr") && strv_has(f->orgs, "khoma"));
    cr_assert(strv_has(b->orgs, "osce-academy"));
}

Test(mapping, lead_titles)
{
    g_autofree char *a =
        corpus__lead_of("In Kazakhstan:\nReturning fighters");
    g_autofree char *b =
        corpus__lead_of("Policy Brief No. 59 on terrorism. Next one.");
    g_autofree char *c = corpus__lead_of("Handbook (2013). Available in "
                                         "Russian: https://x.org/a.pdf");
    g_autofree char *d = corpus__lead_of("word word word word word word "
                                         "word word word word word word "
                                         "word word word word word word "
                                         "word word word word word word "
                                         "word word");

    cr_assert_str_eq(a, "In Kazakhstan: Returning fighters");
    cr_assert_str_eq(b, "Policy Brief No. 59 on terrorism.");
    cr_assert_str_eq(c, "Handbook (2013).");
    cr_assert_leq(g_utf8_strlen(d, -1), 121);
    cr_assert(g_str_has_suffix(d, "word…"), "%s", d);
}

/* ---------------------------------------------------------- Bad input */

Test(mapping, empty_input_gives_nothing)
{
    g_autoptr(corpus_mapping_t) a = corpus_mapping_parse("", 0, "e", vocab);
    g_autoptr(corpus_mapping_t) b = corpus_mapping_parse(NULL, 0, "e", vocab);
    g_autoptr(corpus_mapping_t) c =
        corpus_mapping_parse("\n\n  \n", 4, "e", vocab);

    cr_assert_eq(a->entries->len, 0);
    cr_assert_eq(a->warnings->len, 0);
    cr_assert_eq(a->line_entry->len, 0);
    cr_assert_eq(b->entries->len, 0);
    cr_assert_eq(c->entries->len, 0);
    cr_assert_eq(c->line_entry->len, 3);
}

static void
assert_warnings_located(const corpus_mapping_t *m, guint n_lines)
{
    for (guint i = 0; i < m->warnings->len; i++) {
        const corpus_warning_t *w = g_ptr_array_index(m->warnings, i);

        cr_assert(w->line >= 1 && w->line <= n_lines, "line %u: %s",
                  w->line, w->message);
        cr_assert(g_utf8_validate(w->message, -1, NULL));
    }
}

Test(mapping, binary_input_is_salvaged)
{
    guint8 bytes[8192];
    g_autoptr(GRand) rand = g_rand_new_with_seed(20200706);
    g_autoptr(corpus_mapping_t) m = NULL;
    guint lines = 1;

    for (guint i = 0; i < sizeof(bytes); i++) {
        bytes[i] = (guint8)g_rand_int_range(rand, 0, 256);
        if (i % 97 == 0)
            bytes[i] = '\t';
        lines += bytes[i] == '\n';
    }
    m = corpus_mapping_parse((const char *)bytes, sizeof(bytes), "bin",
                             vocab);
    cr_assert_eq(m->line_entry->len,
                 lines - (bytes[sizeof(bytes) - 1] == '\n'));
    cr_assert_gt(m->warnings->len, 0);
    assert_warnings_located(m, m->line_entry->len);
    for (guint i = 0; i < m->entries->len; i++) {
        const corpus_entry_t *e = g_ptr_array_index(m->entries, i);

        cr_assert(g_utf8_validate(e->text, -1, NULL));
        cr_assert(g_utf8_validate(e->title, -1, NULL));
    }
}

Test(mapping, nul_bytes_and_invalid_utf8_are_replaced)
{
    static const char text[] =
        "C. SUPPORT TO THE DEVELOPMENT OF STRATEGIES\n"
        "National Strategies\tUNODC\tGood\n"
        "Regional Strategies\tOSCE\tBad \xff\xfe bytes and a \0 NUL\n";
    g_autoptr(corpus_mapping_t) m =
        corpus_mapping_parse(text, sizeof(text) - 1, "bad", vocab);
    const corpus_warning_t *w;
    const corpus_entry_t *e;

    cr_assert_eq(m->entries->len, 2);
    cr_assert_eq(m->warnings->len, 1);
    w = g_ptr_array_index(m->warnings, 0);
    cr_assert_eq(w->line, 3);
    cr_assert(strstr(w->message, "UTF-8"), "%s", w->message);
    e = entry_at(m, 3);
    cr_assert(strstr(e->text, "Bad \xef\xbf\xbd"), "%s", e->text);
    cr_assert(strstr(e->text, "NUL"), "%s", e->text);
    cr_assert_str_eq(e->kind, "strategy");
}

Test(mapping, rows_with_one_or_many_cells_warn)
{
    static const char text[] =
        "B. SUPPORT TO KNOWLEDGE GENERATION AND KNOWLEDGE SHARING\t\t\n"
        "Knowledge sharing\tUNODC\tFirst activity.\n"
        "text whose tabs were lost\n"
        "Knowledge sharing\tOSCE\tThird\textra one\t\textra two\n"
        "Knowledge sharing\tNobody Known\tFourth\n";
    g_autoptr(corpus_mapping_t) m =
        corpus_mapping_parse(text, sizeof(text) - 1, "cells", vocab);
    gboolean one = FALSE, many = FALSE, no_org = FALSE;

    cr_assert_eq(m->entries->len, 4);
    for (guint i = 0; i < m->warnings->len; i++) {
        const corpus_warning_t *w = g_ptr_array_index(m->warnings, i);

        one |= w->line == 3 && strstr(w->message, "1 cell") != NULL;
        many |= w->line == 4 && strstr(w->message, "6 cells") != NULL;
        no_org |= w->line == 5 && strstr(w->message, "organization");
    }
    cr_assert(one && many && no_org);
    assert_warnings_located(m, 5);
    cr_assert_str_eq(entry_at(m, 3)->text, "text whose tabs were lost");
    cr_assert_str_eq(entry_at(m, 3)->orgs_raw, "UNODC");
    cr_assert_str_eq(entry_at(m, 4)->text, "Third extra one extra two");
    cr_assert_eq(entry_at(m, 5)->orgs->len, 0);
}

Test(mapping, identical_rows_under_one_theme_are_merged)
{
    static const char text[] =
        "E. THEMATIC AREAS: 2) COUNTERING TERRORISM\n"
        "Victims of Terrorism\t\t\n"
        "Publication\tUNODC\tA handbook.\n"
        "Publication\tUNODC\tA handbook.\n";
    g_autoptr(corpus_mapping_t) m =
        corpus_mapping_parse(text, sizeof(text) - 1, "dup", vocab);
    const corpus_warning_t *w;

    cr_assert_eq(m->entries->len, 1);
    cr_assert_eq(entry_at(m, 3), entry_at(m, 4));
    cr_assert_eq(m->warnings->len, 1);
    w = g_ptr_array_index(m->warnings, 0);
    cr_assert_eq(w->line, 4);
    cr_assert(strstr(w->message, "merged"));
}

Test(mapping, load_reports_unreadable_file)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(corpus_mapping_t) m =
        corpus_mapping_load("/nonexistent/mapping.txt", vocab, &error);

    cr_assert_null(m);
    cr_assert(g_error_matches(error, CORPUS_ERROR, CORPUS_ERROR_IO));
}
