/* test_indexer.c -- the indexer core against the real mapping (planning,
 * records, incremental writing) and the ctmap-indexer binary's command
 * line, exit codes and report.
 */
#include <criterion/criterion.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "indexer.h"
#include "schema.h"
#include "xapianc.h"

static char *tmp;

static void
setup(void)
{
    tmp = g_dir_make_tmp("ctmap-indexer-XXXXXX", NULL);
    cr_assert_not_null(tmp);
}

static void
teardown(void)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmp);

    cr_assert_eq(system(cmd), 0);
    g_free(tmp);
}

static corpus_vocab_t *
vocab(void)
{
    g_autoptr(GError) error = NULL;
    corpus_vocab_t *v = corpus_vocab_load(CTMAP_CORPUS_DIR, &error);

    cr_assert_not_null(v, "vocab: %s", error ? error->message : "");
    return v;
}

static ix_plan_t *
real_plan(const corpus_vocab_t *v)
{
    const char *maps[] = { CTMAP_CORPUS_DIR "/mapping-2020-07.txt", NULL };

    return ix_plan_build(v, maps);
}

static guint
count_status(const ix_plan_t *plan, ix_status_t status)
{
    guint n = 0;

    for (guint i = 0; i < plan->sources->len; i++) {
        const ix_source_t *s = g_ptr_array_index(plan->sources, i);

        n += s->type == IX_SOURCE_DOCUMENT && s->status == status;
    }
    return n;
}

static gboolean
has(const GPtrArray *set, const char *value)
{
    for (guint i = 0; set && i < set->len; i++)
        if (strcmp(g_ptr_array_index(set, i), value) == 0)
            return TRUE;
    return FALSE;
}

static const ix_source_t *
doc_by_url_part(const ix_plan_t *plan, const char *part)
{
    for (guint i = 0; i < plan->sources->len; i++) {
        const ix_source_t *s = g_ptr_array_index(plan->sources, i);

        if (s->type == IX_SOURCE_DOCUMENT && s->url && strstr(s->url, part))
            return s;
    }
    return NULL;
}

TestSuite(plan, .init = setup, .fini = teardown);

Test(plan, entries_come_first_then_documents)
{
    g_autoptr(corpus_vocab_t) v = vocab();
    g_autoptr(ix_plan_t) plan = real_plan(v);
    gboolean seen_doc = FALSE;

    cr_assert_gt(plan->n_entries, 200);
    cr_assert_gt(plan->n_documents, 20);
    cr_assert_eq(plan->sources->len, plan->n_entries + plan->n_documents);
    for (guint i = 0; i < plan->sources->len; i++) {
        const ix_source_t *s = g_ptr_array_index(plan->sources, i);

        if (s->type == IX_SOURCE_DOCUMENT)
            seen_doc = TRUE;
        else
            cr_assert_not(seen_doc, "entry %s after a document", s->id);
    }
}

Test(plan, statuses_before_fetching)
{
    g_autoptr(corpus_vocab_t) v = vocab();
    g_autoptr(ix_plan_t) plan = real_plan(v);
    const ix_source_t *local = doc_by_url_part(plan, "file:///D:/");
    const ix_source_t *osce = doc_by_url_part(plan, "444340_0.pdf");

    cr_assert_eq(count_status(plan, IX_STATUS_LOCAL_PATH), 2);
    cr_assert_gt(count_status(plan, IX_STATUS_UNREACHABLE), 20);
    cr_assert_gt(count_status(plan, IX_STATUS_TITLE_ONLY), 20);
    cr_assert_eq(count_status(plan, IX_STATUS_INDEXED), 0);
    cr_assert_not_null(local);
    cr_assert_eq(local->status, IX_STATUS_LOCAL_PATH);
    cr_assert_not_null(osce);
    cr_assert_eq(osce->status, IX_STATUS_UNREACHABLE);
    cr_assert_str_eq(osce->reason, "not fetched");
    cr_assert_str_eq(osce->host, "osce.org");
}

Test(plan, document_carries_tags_of_citing_entries)
{
    g_autoptr(corpus_vocab_t) v = vocab();
    g_autoptr(ix_plan_t) plan = real_plan(v);

    for (guint i = 0; i < plan->sources->len; i++) {
        const ix_source_t *d = g_ptr_array_index(plan->sources, i);

        if (d->type != IX_SOURCE_DOCUMENT)
            continue;
        cr_assert_gt(d->links->len, 0, "%s is cited by nobody", d->id);
        for (guint c = 0; c < d->links->len; c++) {
            const ix_source_t *e =
                g_hash_table_lookup(plan->by_id,
                                    g_ptr_array_index(d->links, c));

            cr_assert_not_null(e);
            cr_assert(has(e->links, d->id), "%s does not cite %s", e->id,
                      d->id);
            for (guint o = 0; o < e->orgs->len; o++)
                cr_assert(has(d->orgs, g_ptr_array_index(e->orgs, o)));
            for (guint t = 0; t < e->themes->len; t++)
                cr_assert(has(d->themes, g_ptr_array_index(e->themes, t)));
        }
    }
}

Test(plan, russian_links_are_tagged_russian)
{
    g_autoptr(corpus_vocab_t) v = vocab();
    g_autoptr(ix_plan_t) plan = real_plan(v);
    const ix_source_t *gender = doc_by_url_part(plan, "19-01530_R_ebook");
    const ix_source_t *brief = doc_by_url_part(plan, "policy_brief_56");

    cr_assert_not_null(gender);
    cr_assert_str_eq(gender->lang, "ru");
    cr_assert_not_null(brief);
    cr_assert_str_eq(brief->lang, "");
}

Test(plan, italic_title_names_the_link_that_follows)
{
    g_autoptr(corpus_vocab_t) v = vocab();
    g_autoptr(ix_plan_t) plan = real_plan(v);
    const ix_source_t *brief = doc_by_url_part(plan, "policy_brief_54");

    cr_assert_not_null(brief);
    cr_assert(strstr(brief->title, "ISIS Threat to Tajikistan"),
              "title: %s", brief->title);
}

/* A cited link's title is a name: the italic title, a quoted name or a
 * subject inside the introducing sentence, the file name, the host; never
 * the clause itself, which stays as the record's context. */
Test(plan, cited_titles_are_names_not_sentences)
{
    g_autoptr(corpus_vocab_t) v = vocab();
    g_autoptr(ix_plan_t) plan = real_plan(v);
    const ix_source_t *game = doc_by_url_part(plan, "labyrinth.html");
    const ix_source_t *osce = doc_by_url_part(plan, "444340_0.pdf");
    const ix_source_t *ctlp = doc_by_url_part(plan, "ctlp.unodc.org");
    const ix_source_t *e4j = doc_by_url_part(plan, "tertiary/counter-"
                                                   "terrorism.html");
    const ix_source_t *good = doc_by_url_part(plan, "goos_practices");

    cr_assert_not_null(game);
    cr_assert_str_eq(game->title, "labyrinth");
    cr_assert(strstr(game->context, "available in English, Russian"),
              "context: %s", game->context);
    cr_assert_not_null(osce);
    cr_assert(g_str_has_prefix(osce->title, "A Whole-of-Society Approach"),
              "title: %s", osce->title);
    cr_assert_not_null(ctlp);
    cr_assert_str_eq(ctlp->title, "UNODC's Online Counter-Terrorism "
                                  "Learning Platform (CTLP)");
    cr_assert_not_null(e4j);
    cr_assert_str_eq(e4j->title, "counter-terrorism");
    cr_assert(g_str_has_prefix(e4j->context, "14 out of 16 Modules"));
    /* A sentence that is a name stays the title, with no context. */
    cr_assert_not_null(good);
    cr_assert(g_str_has_prefix(good->title, "Good Practices in Supporting "
                                            "Victims of Terrorism"));
    cr_assert_null(good->context);
}

/* The translation of @doc into @lang, or NULL. */
static const ix_translation_t *
translation(const ix_source_t *doc, const char *lang)
{
    for (guint i = 0; doc->translations && i < doc->translations->len; i++) {
        const ix_translation_t *t = g_ptr_array_index(doc->translations, i);

        if (strcmp(t->lang, lang) == 0)
            return t;
    }
    return NULL;
}

/* The identifiers of @text's passages ('\f' between them), as one
 * space-separated string for comparison ("" for none).  Returns:
 * (transfer full). */
static char *
identifiers_of(const char *text)
{
    g_auto(GStrv) parts = g_strsplit(text, "\f", -1);
    g_autoptr(GPtrArray) passages = g_ptr_array_new();
    g_autoptr(GPtrArray) ids = NULL;
    GString *out = g_string_new(NULL);

    for (guint i = 0; parts[i]; i++)
        g_ptr_array_add(passages, parts[i]);
    ids = ix_identifiers_find(passages);
    for (guint i = 0; ids && i < ids->len; i++)
        g_string_append_printf(out, "%s%s", i ? " " : "",
                               (char *)g_ptr_array_index(ids, i));
    return g_string_free(out, FALSE);
}

/* The document's own UN symbol is the first at its head, a resolution's
 * year dropped; ISBNs are checked and normalised to ISBN-13, and a list
 * of them is a bibliography. */
Test(plan, identifiers_from_the_text)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        { "United Nations S/2017/375\nSecurity Council\nLetter dated",
          "un:S/2017/375" },
        { "Резолюция S/RES/2396 (2017)\nСовет Безопасности",
          "un:S/RES/2396" },
        { "A/RES/70/291 General Assembly, then S/2015/975",
          "un:A/RES/70/291" },
        { "E/CN.15/2019/1 Commission on Crime Prevention",
          "un:E/CN.15/2019/1" },
        /* One part after the organ is prose, not a symbol. */
        { "Section A/1 of the plan", "" },
        /* A symbol cited after the masthead is not the document's. */
        { NULL, "" },
        { "Handbook\fISBN 978-92-1-130335-3\fchapter", "isbn:9789211303353" },
        { "ISBN: 92-1-130335-4 (print)", "isbn:9789211303353" },
        { "ISBN-13: 978 92 1 133866 9", "isbn:9789211338669" },
        { "ISBN 978-92-1-130335-4", "" },        /* wrong check digit */
        { "ISBN 92-1-130335-5", "" },
        { "Further reading: ISBN 9789211303353, ISBN 9789211338669, "
          "ISBN 9780306406157, ISBN 9780131103627, ISBN 9780262033848",
          "" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *text = NULL;
        g_autofree char *got = NULL;

        if (cases[i].text) {
            text = g_strdup(cases[i].text);
        } else {
            GString *t = g_string_new("Report on prisons\n");

            while (t->len < 2000)
                g_string_append(t, "The mission reviewed probation. ");
            g_string_append(t, "See S/2017/375.");
            text = g_string_free(t, FALSE);
        }
        got = identifiers_of(text);
        cr_expect_str_eq(got, cases[i].want, "case %zu: \"%.40s\"", i,
                         text);
    }
}

/* An entry that cites a link and then announces another as "Available
 * in Russian" cites two versions of one document; the embedded mapping
 * announces a Russian version with no other link before it, which links
 * nothing. */
Test(plan, language_versions_announced_by_the_entry)
{
    static const char cue[] = "The Use of the Internet for Terrorist "
                              "Purposes (2013). Available in Russian:";
    g_autoptr(corpus_vocab_t) v = vocab();
    g_autoptr(ix_plan_t) real = real_plan(v);
    g_autofree char *text = NULL;
    g_autofree char *dir = g_dir_make_tmp("ctmap-announced-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "mapping.txt", NULL);
    const char *maps[] = { path, NULL };
    g_autoptr(ix_plan_t) plan = NULL;
    g_auto(GStrv) parts = NULL;
    g_autofree char *edited = NULL;
    const ix_source_t *en, *ru;
    const ix_translation_t *t;

    ru = doc_by_url_part(real, "terrorist_purposes_Russian.pdf");
    cr_assert_not_null(ru);
    cr_assert_null(ru->translations, "nothing is cited before it");

    cr_assert(g_file_get_contents(CTMAP_CORPUS_DIR "/mapping-2020-07.txt",
                                  &text, NULL, NULL));
    parts = g_strsplit(text, cue, 2);
    cr_assert_not_null(parts[1], "the mapping no longer has the cue");
    edited = g_strconcat(parts[0], "The Use of the Internet for Terrorist "
                         "Purposes (2013): https://www.unodc.org/documents/"
                         "frontpage/Use_of_Internet_for_Terrorist_Purposes"
                         ".pdf. Available in Russian:", parts[1], NULL);
    cr_assert(g_file_set_contents(path, edited, -1, NULL));
    plan = ix_plan_build(v, maps);
    en = doc_by_url_part(plan, "frontpage/Use_of_Internet");
    ru = doc_by_url_part(plan, "terrorist_purposes_Russian.pdf");
    cr_assert(en && ru);
    t = translation(en, "ru");
    cr_assert_not_null(t, "the English link lists no Russian version");
    cr_assert_str_eq(t->id, ru->id);
    t = translation(ru, "en");
    cr_assert_not_null(t, "the Russian link lists no English version");
    cr_assert_str_eq(t->id, en->id);
    cr_assert_eq(ru->translations->len, 1);
    cr_assert_eq(g_unlink(path), 0);
    cr_assert_eq(g_rmdir(dir), 0);
}

/* Files whose names differ only by a language tag are versions of one
 * document; a name with a tag but no sibling, or siblings in another
 * folder, are not. */
Test(plan, language_versions_linked_by_file_name)
{
    g_autoptr(corpus_vocab_t) v = vocab();
    g_autoptr(ix_plan_t) plan = ix_plan_build(v, NULL);
    g_autofree char *dir = g_dir_make_tmp("ctmap-versions-XXXXXX", NULL);
    g_autofree char *sub = g_build_filename(dir, "Other", NULL);
    static const char *const names[] = {
        "Handbook_en.pdf", "Handbook (RUS).pdf", "Handbook-kk.pdf",
        "Strategy.pdf", "notes_R.txt", "Other/Handbook_uz.pdf",
    };
    const ix_source_t *en, *ru, *kk, *uz, *other, *notes;
    const ix_translation_t *t;

    cr_assert_eq(g_mkdir(sub, 0755), 0);
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *path = g_build_filename(dir, names[i], NULL);

        cr_assert(g_file_set_contents(path, "%PDF-1.4\n", -1, NULL));
    }
    ix_plan_add_repository(plan, dir, "https://docs.example.org/");
    ix_translations_link(plan);
    en = doc_by_url_part(plan, "Handbook_en.pdf");
    ru = doc_by_url_part(plan, "Handbook%20(RUS).pdf");
    kk = doc_by_url_part(plan, "Handbook-kk.pdf");
    uz = doc_by_url_part(plan, "Handbook_uz.pdf");
    other = doc_by_url_part(plan, "Strategy.pdf");
    notes = doc_by_url_part(plan, "notes_R.txt");
    cr_assert(en && ru && kk && uz && other && notes);
    cr_assert_eq(en->translations->len, 2);
    t = translation(en, "ru");
    cr_assert_not_null(t);
    cr_assert_str_eq(t->id, ru->id);
    cr_assert_str_eq(t->url, ru->url);
    cr_assert_str_eq(t->title, ru->title);
    cr_assert_not_null(translation(en, "kk"));
    cr_assert_not_null(translation(ru, "en"));
    cr_assert_not_null(translation(kk, "ru"));
    {
        g_autoptr(JsonNode) rec = ix_record_build(en, v);
        JsonArray *tr = json_object_get_array_member(
            json_node_get_object(rec), "translations");

        cr_assert_not_null(tr, "the record has no translations");
        cr_assert_eq(json_array_get_length(tr), 2);
    }
    cr_assert_null(uz->translations, "another folder is another document");
    cr_assert_null(other->translations);
    cr_assert_null(notes->translations);
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *path = g_build_filename(dir, names[i], NULL);

        g_unlink(path);
    }
    g_rmdir(sub);
    g_rmdir(dir);
}

/* Tags from a text, with the thresholds: a term counts once per
 * paragraph, needs 3 paragraphs and a quarter of its field's top count;
 * a bibliography's single mention is nothing. */
Test(tag, text_tags_keep_what_the_text_keeps_naming)
{
    g_autoptr(corpus_vocab_t) v = vocab();
    g_autoptr(GPtrArray) pages = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GString) p1 = g_string_new(NULL);
    g_autoptr(ix_text_tags_t) tt = NULL;
    const GPtrArray *countries, *years, *orgs;

    for (int i = 0; i < 13; i++)
        g_string_append_printf(p1, "In %s Kazakhstan reformed its prisons "
                               "in 2019.\n\n", i % 2 ? "rural" : "urban");
    for (int i = 0; i < 4; i++)
        g_string_append(p1, "Kyrgyzstan shared its experience.\n\n");
    for (int i = 0; i < 3; i++)
        g_string_append(p1, "Tajikistan was mentioned too.\n\n");
    for (int i = 0; i < 3; i++)
        g_string_append(p1, "The OSCE supported the work.\n\n");
    g_string_append(p1, "UNODC, UNODC and UNODC in one paragraph.");
    g_ptr_array_add(pages, g_strdup(p1->str));
    g_ptr_array_add(pages, g_strdup("References\n\nA study of "
                                    "Uzbekistan (2015)."));
    tt = ix_tag_text(v, pages);
    countries = tt->found[IX_TEXT_TAG_COUNTRY];
    years = tt->found[IX_TEXT_TAG_YEAR];
    orgs = tt->found[IX_TEXT_TAG_ORG];
    cr_assert_str_eq(g_ptr_array_index(countries, 0), "kazakhstan");
    cr_assert(has(countries, "kyrgyzstan"), "4 of 13 paragraphs");
    cr_assert_not(has(countries, "tajikistan"), "3 of 13: in passing");
    cr_assert_not(has(countries, "uzbekistan"), "the bibliography");
    cr_assert_eq(years->len, 1);
    cr_assert_str_eq(g_ptr_array_index(years, 0), "2019");
    cr_assert(has(orgs, "osce"), "orgs: %u", orgs->len);
    cr_assert_not(has(orgs, "unodc"), "one paragraph only");
}

/* Russian aliases count as English ones do. */
Test(tag, russian_names_tag_too)
{
    g_autoptr(corpus_vocab_t) v = vocab();
    g_autoptr(GPtrArray) pages = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(ix_text_tags_t) tt = NULL;

    g_ptr_array_add(pages, g_strdup(
        "Республика Казахстан приняла программу.\n\n"
        "Казахстан и Кыргызстан подписали соглашение.\n\n"
        "Кыргызстан и Казахстан провели встречу.\n\n"
        "Кыргызстан завершил работу."));
    tt = ix_tag_text(v, pages);
    cr_assert(has(tt->found[IX_TEXT_TAG_COUNTRY], "kazakhstan"));
    cr_assert(has(tt->found[IX_TEXT_TAG_COUNTRY], "kyrgyzstan"));
}

Test(plan, ids_are_stable_across_runs)
{
    g_autoptr(corpus_vocab_t) v = vocab();
    g_autoptr(ix_plan_t) a = real_plan(v);
    g_autoptr(ix_plan_t) b = real_plan(v);

    cr_assert_eq(a->sources->len, b->sources->len);
    for (guint i = 0; i < a->sources->len; i++) {
        const ix_source_t *sa = g_ptr_array_index(a->sources, i);
        const ix_source_t *sb = g_ptr_array_index(b->sources, i);

        cr_assert_str_eq(sa->id, sb->id);
    }
}

Test(plan, unreadable_mapping_is_a_warning)
{
    g_autoptr(corpus_vocab_t) v = vocab();
    const char *maps[] = { "/nonexistent/mapping.txt", NULL };
    g_autoptr(ix_plan_t) plan = ix_plan_build(v, maps);

    cr_assert_eq(plan->sources->len, 0);
    cr_assert_eq(plan->warnings->len, 1);
    cr_assert(strstr(g_ptr_array_index(plan->warnings, 0),
                     "/nonexistent/mapping.txt"));
}

/* ---------------------------------------------------------------- Records */

TestSuite(record, .init = setup, .fini = teardown);

Test(record, entry_record_has_the_api_fields)
{
    g_autoptr(corpus_vocab_t) v = vocab();
    g_autoptr(ix_plan_t) plan = real_plan(v);
    const ix_source_t *e = g_ptr_array_index(plan->sources, 0);
    g_autoptr(JsonNode) node = ix_record_build(e, v);
    JsonObject *o = json_node_get_object(node);
    static const char *const fields[] = {
        "id", "type", "title", "url", "org", "org_labels", "theme",
        "theme_labels", "section", "country", "kind", "year", "lang",
        "status", "reason", "cites", "edition", "lines", NULL
    };

    for (guint i = 0; fields[i]; i++)
        cr_assert(json_object_has_member(o, fields[i]), "missing %s",
                  fields[i]);
    cr_assert_str_eq(json_object_get_string_member(o, "type"), "entry");
    cr_assert_str_eq(json_object_get_string_member(o, "id"), e->id);
    cr_assert_eq(json_array_get_length(json_object_get_array_member(o,
                 "org")), json_array_get_length(
                 json_object_get_array_member(o, "org_labels")));
}

/* ---------------------------------------------------------------- Writer */

TestSuite(writer, .init = setup, .fini = teardown);

static void
index_plan(const char *path, const ix_plan_t *plan, const corpus_vocab_t *v,
           ix_counts_t *out)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ix_writer_t) w = ix_writer_open(path, &error);

    cr_assert_not_null(w, "%s", error ? error->message : "");
    cr_assert(ix_writer_set_vocab(w, v, &error));
    cr_assert(ix_writer_begin(w, &error));
    for (guint i = 0; i < plan->sources->len; i++)
        cr_assert(ix_writer_add(w, g_ptr_array_index(plan->sources, i), v,
                                &error), "%s", error ? error->message : "");
    cr_assert(ix_writer_delete_unseen(w, plan->by_id, &error));
    cr_assert(ix_writer_commit(w, &error));
    *out = *ix_writer_counts(w);
}

Test(writer, rerun_with_nothing_changed_rewrites_nothing)
{
    g_autoptr(corpus_vocab_t) v = vocab();
    g_autoptr(ix_plan_t) plan = real_plan(v);
    g_autofree char *path = g_build_filename(tmp, "index", NULL);
    ix_counts_t first, second;
    xc_db_t *db = NULL;
    char *msg = NULL;
    uint64_t rev1 = 0, rev2 = 0, count = 0;

    index_plan(path, plan, v, &first);
    cr_assert_eq(first.added, plan->sources->len);
    cr_assert_eq(xc_db_open(path, &db, &msg), XC_OK);
    cr_assert_eq(xc_db_revision(db, &rev1), XC_OK);
    cr_assert_eq(xc_db_doccount(db, &count), XC_OK);
    cr_assert_eq(count, plan->sources->len);

    index_plan(path, plan, v, &second);
    cr_assert_eq(second.added, 0);
    cr_assert_eq(second.updated, 0);
    cr_assert_eq(second.deleted, 0);
    cr_assert_eq(second.unchanged, plan->sources->len);
    cr_assert_eq(xc_db_reopen(db), XC_OK);
    cr_assert_eq(xc_db_revision(db, &rev2), XC_OK);
    /* Committing an empty transaction may or may not bump the revision;
     * what matters is that no document was rewritten. */
    cr_assert_eq(xc_db_doccount(db, &count), XC_OK);
    cr_assert_eq(count, plan->sources->len);
    cr_assert_geq(rev2, rev1);
    xc_db_close(db);
}

Test(writer, dropped_sources_are_deleted)
{
    g_autoptr(corpus_vocab_t) v = vocab();
    g_autoptr(ix_plan_t) plan = real_plan(v);
    g_autofree char *path = g_build_filename(tmp, "index", NULL);
    ix_counts_t c;
    ix_source_t *last;
    g_autofree char *gone = NULL;
    xc_db_t *db = NULL;
    char *msg = NULL, *data = NULL;

    index_plan(path, plan, v, &c);
    last = g_ptr_array_index(plan->sources, plan->sources->len - 1);
    gone = g_strdup(last->id);
    g_hash_table_remove(plan->by_id, gone);
    g_ptr_array_remove_index(plan->sources, plan->sources->len - 1);
    index_plan(path, plan, v, &c);
    cr_assert_eq(c.deleted, 1);
    cr_assert_eq(xc_db_open(path, &db, &msg), XC_OK);
    cr_assert_eq(xc_db_get_data(db, gone, &data), XC_ERR_NOT_FOUND);
    xc_db_close(db);
}

Test(writer, stored_terms_match_the_record)
{
    g_autoptr(corpus_vocab_t) v = vocab();
    g_autoptr(ix_plan_t) plan = real_plan(v);
    g_autofree char *path = g_build_filename(tmp, "index", NULL);
    ix_counts_t c;
    xc_db_t *db = NULL;
    char *msg = NULL;
    uint64_t n = 0;

    index_plan(path, plan, v, &c);
    cr_assert_eq(xc_db_open(path, &db, &msg), XC_OK);
    cr_assert_eq(xc_db_termfreq(db, XC_PREFIX_TYPE "entry", &n), XC_OK);
    cr_assert_eq(n, plan->n_entries);
    cr_assert_eq(xc_db_termfreq(db, XC_PREFIX_TYPE "document", &n), XC_OK);
    cr_assert_eq(n, plan->n_documents);
    cr_assert_eq(xc_db_termfreq(db, XC_PREFIX_STATUS "local-path", &n),
                 XC_OK);
    cr_assert_eq(n, count_status(plan, IX_STATUS_LOCAL_PATH));
    cr_assert_eq(xc_db_termfreq(db, XC_PREFIX_ORG "unodc", &n), XC_OK);
    cr_assert_gt(n, 20);
    xc_db_close(db);
}

/* ---------------------------------------------------------------- Binary */

TestSuite(cli, .init = setup, .fini = teardown);

static int
run_indexer(char **err_out, const char *first, ...)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GError) error = NULL;
    char *out = NULL, *err = NULL;
    int status = 0;
    va_list ap;

    g_ptr_array_add(argv, (gpointer)CTMAP_INDEXER);
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *))
        g_ptr_array_add(argv, (gpointer)a);
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    cr_assert(g_spawn_sync(NULL, (char **)argv->pdata, NULL, 0, NULL, NULL,
                           &out, &err, &status, &error));
    g_free(out);
    if (err_out)
        *err_out = err;
    else
        g_free(err);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Test(cli, unknown_option_exits_2)
{
    g_autofree char *err = NULL;

    cr_assert_eq(run_indexer(&err, "--no-such-option", NULL), 2);
    cr_assert(strstr(err, "no-such-option"), "%s", err);
    cr_assert_eq(strchr(err, '\n'), err + strlen(err) - 1, "one line");
}

/* A --repository that is not there is a mistake in the command, not
 * an empty folder: exit 2 naming it, and no index written. */
Test(cli, missing_repository_exits_2_naming_it)
{
    g_autofree char *missing = g_build_filename(tmp, "no-such-folder",
                                                NULL);
    g_autofree char *file = g_build_filename(tmp, "a-file.txt", NULL);
    g_autofree char *data = g_build_filename(tmp, "data", NULL);
    g_autofree char *index = g_build_filename(data, "index", NULL);
    g_autofree char *err = NULL, *err2 = NULL;

    cr_assert_eq(run_indexer(&err, "--quiet", "--data-dir", data,
                             "--repository", missing, NULL), 2, "%s", err);
    cr_assert(strstr(err, missing), "%s", err);
    cr_assert_not(g_file_test(index, G_FILE_TEST_EXISTS));
    cr_assert(g_file_set_contents(file, "x", 1, NULL));
    cr_assert_eq(run_indexer(&err2, "--quiet", "--data-dir", data,
                             "--repository", file, NULL), 2, "%s", err2);
    cr_assert(strstr(err2, file), "%s", err2);
}

Test(cli, unwritable_data_dir_exits_1)
{
    g_autofree char *file = g_build_filename(tmp, "plain-file", NULL);
    g_autofree char *dir = g_build_filename(file, "var", NULL);
    g_autofree char *err = NULL;

    cr_assert(g_file_set_contents(file, "x", 1, NULL));
    cr_assert_eq(run_indexer(&err, "--quiet", "--data-dir", dir, NULL), 1);
    cr_assert(strstr(err, "cannot write data dir"), "%s", err);
}

Test(cli, locked_index_exits_1)
{
    g_autofree char *path = g_build_filename(tmp, "index", NULL);
    g_autofree char *err = NULL;
    xc_dbw_t *w = NULL;
    char *msg = NULL;

    cr_assert_eq(xc_dbw_open(path, 1, &w, &msg), XC_OK);
    cr_assert_eq(run_indexer(&err, "--quiet", "--data-dir", tmp, NULL), 1);
    cr_assert(strstr(err, "locked"), "%s", err);
    xc_dbw_close(w);
}

Test(cli, indexes_and_reports)
{
    g_autofree char *report = g_build_filename(tmp, "report.json", NULL);
    g_autofree char *err = NULL;
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *root, *summary, *counts;
    JsonArray *sources;

    cr_assert_eq(run_indexer(&err, "--quiet", "--data-dir", tmp, NULL), 0,
                 "%s", err);
    cr_assert(json_parser_load_from_file(parser, report, NULL));
    root = json_node_get_object(json_parser_get_root(parser));
    summary = json_object_get_object_member(root, "summary");
    counts = json_object_get_object_member(summary, "counts");
    sources = json_object_get_array_member(root, "sources");
    cr_assert_gt(json_object_get_int_member(summary, "entries"), 200);
    cr_assert_eq(json_object_get_int_member(counts, "local-path"), 2);
    cr_assert_eq(json_array_get_length(sources),
                 json_object_get_int_member(summary, "entries")
                 + json_object_get_int_member(summary, "documents"));
    cr_assert_eq(json_object_get_int_member(summary, "added"),
                 json_array_get_length(sources));
    for (guint i = 0; i < json_array_get_length(sources); i++) {
        JsonObject *s = json_array_get_object_element(sources, i);
        const char *reason = json_object_get_string_member_with_default(
            s, "reason", NULL);

        cr_assert(json_object_has_member(s, "status"));
        cr_assert(json_object_has_member(s, "reason"));
        cr_assert(json_object_has_member(s, "url"));
        /* No network here: every cited URL was tried and says why it
         * has no text. */
        if (g_strcmp0(json_object_get_string_member(s, "status"),
                      "unreachable") == 0)
            cr_assert(reason && *reason && strcmp(reason, "not fetched"),
                      "%s: reason '%s'",
                      json_object_get_string_member(s, "url"),
                      reason ? reason : "");
    }
}

Test(cli, bad_mappings_are_parsed_as_far_as_possible)
{
    g_autofree char *empty = g_build_filename(tmp, "empty.txt", NULL);
    g_autofree char *binary = g_build_filename(tmp, "binary.txt", NULL);
    g_autofree char *latin = g_build_filename(tmp, "latin1.txt", NULL);
    g_autofree char *data = g_build_filename(tmp, "data", NULL);
    g_autofree char *err = NULL;
    static const char bin[] = "\x00\x01\x02\xff\xfe\tPK\x03\x04\n\x00\x00";
    static const char lat[] = "Projects\tUNODC\tCaf\xe9 training in "
                              "Kyrgyzstan 2019\n";

    cr_assert(g_file_set_contents(empty, "", 0, NULL));
    cr_assert(g_file_set_contents(binary, bin, sizeof(bin) - 1, NULL));
    cr_assert(g_file_set_contents(latin, lat, sizeof(lat) - 1, NULL));
    cr_assert_eq(run_indexer(&err, "--data-dir", data, "--mapping", empty,
                             "--mapping", binary, "--mapping", latin, NULL),
                 0, "%s", err);
    cr_assert(strstr(err, "binary.txt:"), "no warning names the file: %s",
              err);
    cr_assert(strstr(err, "latin1.txt:1:"), "no warning names the line: %s",
              err);
}

/* ---------------------------------------------------------------- Folders */

static JsonObject *
source_by_title(JsonArray *sources, const char *title)
{
    for (guint i = 0; i < json_array_get_length(sources); i++) {
        JsonObject *s = json_array_get_object_element(sources, i);

        if (g_strcmp0(json_object_get_string_member(s, "title"), title) == 0)
            return s;
    }
    return NULL;
}

static void
write_file(const char *dir, const char *name, const char *data, gssize len)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autofree char *parent = g_path_get_dirname(path);

    cr_assert_eq(g_mkdir_with_parents(parent, 0755), 0);
    cr_assert(g_file_set_contents(path, data, len, NULL));
}

Test(cli, repository_files_are_extracted_and_reported)
{
    g_autofree char *repo = g_build_filename(tmp, "repo", NULL);
    g_autofree char *outside = g_build_filename(tmp, "outside.txt", NULL);
    g_autofree char *link = g_build_filename(repo, "link.txt", NULL);
    g_autofree char *data = g_build_filename(tmp, "data", NULL);
    g_autofree char *report = g_build_filename(data, "report.json", NULL);
    g_autofree char *err = NULL;
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *root, *summary, *s;
    JsonArray *sources;
    static const char zip[] = "PK\x03\x04\x14\x00\x00\x00\x08\x00";

    write_file(repo, "Prisons/handbook-notes.txt",
               "Handbook notes\n\nRehabilitation of violent extremist "
               "prisoners in Kyrgyzstan.\n", -1);
    write_file(repo, "UNODC/page.html",
               "<html><head><title>Border management page</title></head>"
               "<body><p>Integrated border management in Central Asia."
               "</p></body></html>", -1);
    write_file(repo, "archive.zip", zip, sizeof(zip) - 1);
    {
        g_autofree char *bytes = NULL;
        gsize len = 0;

        cr_assert(g_file_get_contents(CTMAP_TEST_DATA
                                      "/extract/encrypted.pdf", &bytes,
                                      &len, NULL));
        write_file(repo, "Locked/encrypted.pdf", bytes, len);
    }
    write_file(repo, ".hidden.txt", "secret", -1);
    write_file(repo, "draft.txt~", "old draft", -1);
    /* A name in Latin-1, not UTF-8, as old shared drives have them. */
    write_file(repo, "UNODC/caf\xe9 notes.txt", "Notes in a Latin-1 name.\n",
               -1);
    cr_assert(g_file_set_contents(outside, "outside the repository", -1,
                                  NULL));
    cr_assert_eq(symlink(outside, link), 0);
    {
        /* A symbolic link loop: never followed, so never a hang. */
        g_autofree char *loop = g_build_filename(repo, "Prisons", "loop",
                                                 NULL);

        cr_assert_eq(symlink("..", loop), 0);
    }

    cr_assert_eq(run_indexer(&err, "--quiet", "--data-dir", data,
                             "--repository", repo, NULL), 0, "%s", err);
    cr_assert(json_parser_load_from_file(parser, report, NULL));
    root = json_node_get_object(json_parser_get_root(parser));
    summary = json_object_get_object_member(root, "summary");
    sources = json_object_get_array_member(root, "sources");
    /* No --mapping with --repository: the embedded mapping is not
     * indexed. */
    cr_assert_eq(json_object_get_int_member(summary, "entries"), 0);
    cr_assert_eq(json_array_get_length(sources), 5,
                 "hidden, temporary and symlinked files are skipped");
    s = source_by_title(sources, "Handbook notes");
    cr_assert_not_null(s, "text file titled from its first line");
    cr_assert_str_eq(json_object_get_string_member(s, "status"), "indexed");
    s = source_by_title(sources, "Border management page");
    cr_assert_not_null(s, "HTML titled from <title>");
    cr_assert_str_eq(json_object_get_string_member(s, "status"), "indexed");
    s = source_by_title(sources, "archive");
    cr_assert_not_null(s);
    cr_assert_str_eq(json_object_get_string_member(s, "status"),
                     "unsupported");
    cr_assert_not_null(json_object_get_string_member(s, "reason"));
    s = source_by_title(sources, "Notes in a Latin-1 name.");
    cr_assert_not_null(s, "a file with a non-UTF-8 name is indexed");
    cr_assert_str_eq(json_object_get_string_member(s, "status"), "indexed");
    s = source_by_title(sources, "encrypted");
    cr_assert_not_null(s);
    cr_assert_str_eq(json_object_get_string_member(s, "status"), "broken");
    cr_assert(strstr(json_object_get_string_member(s, "reason"),
                     "encrypted"), "reason: %s",
              json_object_get_string_member(s, "reason"));
    {
        /* Folders named after a theme or an organization tag the files
         * below them. */
        g_autofree char *index = g_build_filename(data, "index", NULL);
        xc_db_t *db = NULL;
        char *msg = NULL;
        uint64_t n = 0;

        cr_assert_eq(xc_db_open(index, &db, &msg), XC_OK);
        cr_assert_eq(xc_db_termfreq(db, XC_PREFIX_THEME "prisons", &n),
                     XC_OK);
        cr_assert_eq(n, 1);
        cr_assert_eq(xc_db_termfreq(db, XC_PREFIX_ORG "unodc", &n), XC_OK);
        cr_assert_eq(n, 2);
        xc_db_close(db);
    }
}

/* A file's own title (here an HTML <title> of 100,000 characters; a
 * PDF's /Title can be megabytes) is stored, indexed and reported cut to
 * XC_MAX_TITLE_CHARS with XC_CUT_MARK. */
Test(cli, long_file_titles_are_cut)
{
    g_autofree char *repo = g_build_filename(tmp, "repo", NULL);
    g_autofree char *data = g_build_filename(tmp, "data", NULL);
    g_autofree char *report = g_build_filename(data, "report.json", NULL);
    g_autofree char *index = g_build_filename(data, "index", NULL);
    g_autofree char *title = g_strnfill(100000, 'T');
    g_autofree char *head = g_strnfill(XC_MAX_TITLE_CHARS, 'T');
    g_autofree char *want = g_strconcat(head, XC_CUT_MARK, NULL);
    g_autofree char *page = g_strdup_printf(
        "<html><head><title>%s</title></head><body><p>A lighthouse."
        "</p></body></html>", title);
    g_autofree char *err = NULL;
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonArray *sources;
    JsonObject *s;
    xc_db_t *db = NULL;
    char *msg = NULL, *record = NULL;

    write_file(repo, "page.html", page, -1);
    cr_assert_eq(run_indexer(&err, "--quiet", "--data-dir", data,
                             "--repository", repo, NULL), 0, "%s", err);
    cr_assert(json_parser_load_from_file(parser, report, NULL));
    sources = json_object_get_array_member(
        json_node_get_object(json_parser_get_root(parser)), "sources");
    cr_assert_eq(json_array_get_length(sources), 1);
    s = json_array_get_object_element(sources, 0);
    cr_assert_str_eq(json_object_get_string_member(s, "title"), want);
    cr_assert_eq(xc_db_open(index, &db, &msg), XC_OK, "%s", msg);
    cr_assert_eq(xc_db_get_data(db, json_object_get_string_member(s, "id"),
                                &record), XC_OK);
    cr_assert_lt(strlen(record), 4096, "record of %zu bytes",
                 strlen(record));
    cr_assert(strstr(record, want), "%.200s", record);
    free(record);
    xc_db_close(db);
}

/* ---------------------------------------------------------------- ix_run */

TestSuite(run, .init = setup, .fini = teardown);

/* A run driven in-process: the steps of ix_run() write the index, the
 * report and the schema a later run and searchd check. */
Test(run, in_process_run_writes_index_and_report)
{
    g_autofree char *index = g_build_filename(tmp, "index", NULL);
    g_autofree char *report = g_build_filename(tmp, "report.json", NULL);
    g_autoptr(GError) error = NULL;
    ix_run_opts_t o;
    ix_run_result_t res;
    xc_db_t *db = NULL;
    uint64_t docs = 0;
    char *schema = NULL;
    char *argv0[] = {"ctmap-indexer", "--quiet", "--offline", "--data-dir",
                     tmp, NULL};
    char **argv = argv0;
    int argc = G_N_ELEMENTS(argv0) - 1;

    ix_run_opts_init(&o);
    cr_assert(ix_run_opts_parse(&o, &argc, &argv, &error), "%s",
              error ? error->message : "");
    cr_assert_str_eq(o.report, report);
    cr_assert(ix_run(&o, &res, &error), "%s", error ? error->message : "");
    cr_expect_not(res.failed);
    cr_expect_str_eq(res.report_path, report);
    cr_expect(g_file_test(report, G_FILE_TEST_EXISTS));
    cr_assert_eq(xc_db_open(index, &db, NULL), XC_OK);
    cr_assert_eq(xc_db_doccount(db, &docs), XC_OK);
    cr_expect_gt(docs, 200);
    cr_assert_eq(xc_db_get_metadata(db, XC_META_SCHEMA, &schema), XC_OK);
    cr_expect_str_eq(schema, XC_SCHEMA_VERSION);
    free(schema);
    xc_db_close(db);
    ix_run_result_clear(&res);
    ix_run_opts_clear(&o);
}

/* Bad values are usage errors (exit 2), caught before any work. */
Test(run, bad_option_values_are_usage_errors)
{
    static const char *const bad[][2] = {
        {"--follow", "11"}, {"--max-shrink", "101"}, {"--jobs", "300"},
        {"--jobs", "-1"},
    };

    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        ix_run_opts_t o;
        char *argv0[] = {"ctmap-indexer", (char *)bad[i][0],
                         (char *)bad[i][1], NULL};
        char **argv = argv0;
        int argc = 3;

        ix_run_opts_init(&o);
        cr_expect_not(ix_run_opts_parse(&o, &argc, &argv, &error), "%s %s",
                      bad[i][0], bad[i][1]);
        cr_expect(g_error_matches(error, IX_ERROR, IX_ERROR_USAGE));
        ix_run_opts_clear(&o);
    }
}

/* An index of another schema is not updated in place; --full rebuilds
 * it. */
Test(run, other_schema_needs_full)
{
    g_autofree char *index = g_build_filename(tmp, "index", NULL);
    ix_run_opts_t o;
    ix_run_result_t res;
    xc_dbw_t *w = NULL;

    for (int pass = 0; pass < 3; pass++) {
        g_autoptr(GError) error = NULL;
        /* Parsing takes the options out of argv: a new one each pass. */
        char *argv0[] = {"ctmap-indexer", "--quiet", "--offline",
                         "--data-dir", tmp, NULL};
        char **argv = argv0;
        int argc = G_N_ELEMENTS(argv0) - 1;
        gboolean ok;

        ix_run_opts_init(&o);
        cr_assert(ix_run_opts_parse(&o, &argc, &argv, &error));
        o.full = pass == 2;
        ok = ix_run(&o, &res, &error);
        cr_expect_eq(ok, pass != 1, "pass %d: %s", pass,
                     error ? error->message : "");
        if (pass == 1)
            cr_expect(strstr(error->message, "--full rebuilds it"), "%s",
                      error->message);
        ix_run_result_clear(&res);
        ix_run_opts_clear(&o);
        if (pass == 0) {
            cr_assert_eq(xc_dbw_open(index, 0, &w, NULL), XC_OK);
            cr_assert_eq(xc_dbw_set_metadata(w, XC_META_SCHEMA, "0"), XC_OK);
            cr_assert_eq(xc_dbw_close(w), XC_OK);
        }
    }
}
