/* test_client.c -- ctmap-search against a running daemon: its output,
 * its --json mode and its exit codes. */
#include <string.h>

#include <criterion/criterion.h>

#include "helpers.h"

static void
setup(void)
{
    fx_init();
    fx_index(fx_corpus, fx_corpus_len);
    fx_start(NULL);
}

TestSuite(client, .init = setup, .fini = fx_fini, .timeout = 60);

Test(client, hits_print_readably_and_exit_0)
{
    const char *argv[] = {CTMAP_SEARCH_BIN, "--socket", fx.sock,
                          "reintegration", "children", NULL};
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    cr_assert_eq(fx_run(argv, &out, &err), 0, "%s", err);
    cr_assert(strstr(out, "1. Handbook on children affected"), "%s", out);
    cr_assert(strstr(out, "OSCE \xC2\xB7 returnees \xC2\xB7 2018 \xC2\xB7 "
                     "document/indexed"), "%s", out);
    cr_assert(strstr(out, "https://example.org/files/handbook.pdf#page=2"),
              "%s", out);
    /* Not a terminal: matches as *word*, no tags, no escapes. */
    cr_assert(strstr(out, "*reintegration*"), "%s", out);
    cr_assert_null(strstr(out, "<mark>"), "%s", out);
    cr_assert(strstr(out, "1 of 1 results"), "%s", out);
}

Test(client, snippet_entities_are_decoded)
{
    const char *argv[] = {CTMAP_SEARCH_BIN, "--socket", fx.sock,
                          "--org", "unodc", "--country", "kazakhstan",
                          NULL};
    g_autofree char *out = NULL;

    cr_assert_eq(fx_run(argv, &out, NULL), 0);
    cr_assert(strstr(out, "<script>alert(1)</script> Radicalization online "
                     "& offline"), "%s", out);
}

Test(client, filters_and_limit_are_sent)
{
    const char *argv[] = {CTMAP_SEARCH_BIN, "--socket", fx.sock, "--json",
                          "--org", "unodc", "--org", "osce", "--limit", "1",
                          NULL};
    g_autofree char *out = NULL;
    g_autoptr(JsonParser) p = json_parser_new();
    JsonObject *o;

    cr_assert_eq(fx_run(argv, &out, NULL), 0);
    cr_assert(json_parser_load_from_data(p, out, -1, NULL), "%s", out);
    o = fx_obj(json_parser_get_root(p));
    cr_assert_eq(json_object_get_int_member(o, "total"), 4);
    cr_assert_eq(json_object_get_int_member(o, "limit"), 1);
    cr_assert_eq(json_array_get_length(fx_member_arr(o, "hits")), 1);
}

/* --no-snippets sends snippets=0: the same hit, its link without the
 * snippet's page, and no snippet text. */
Test(client, no_snippets_prints_hits_without_snippets)
{
    const char *argv[] = {CTMAP_SEARCH_BIN, "--socket", fx.sock,
                          "--no-snippets", "reintegration", "children",
                          NULL};
    const char *json_argv[] = {CTMAP_SEARCH_BIN, "--socket", fx.sock,
                               "--json", "--no-snippets", "reintegration",
                               NULL};
    g_autofree char *out = NULL;
    g_autofree char *jout = NULL;
    g_autofree char *err = NULL;

    cr_assert_eq(fx_run(argv, &out, &err), 0, "%s", err);
    cr_assert(strstr(out, "1. Handbook on children affected"), "%s", out);
    cr_assert(strstr(out, "https://example.org/files/handbook.pdf\n"),
              "%s", out);
    cr_assert_null(strstr(out, "*reintegration*"), "%s", out);
    cr_assert_null(strstr(out, "#page="), "%s", out);
    cr_assert_eq(fx_run(json_argv, &jout, NULL), 0);
    cr_assert(strstr(jout, "\"hits\""), "%s", jout);
    cr_assert_null(strstr(jout, "\"snippet\""), "%s", jout);
}

Test(client, no_hits_exit_1)
{
    const char *argv[] = {CTMAP_SEARCH_BIN, "--socket", fx.sock,
                          "zzyzzyva", NULL};
    g_autofree char *out = NULL;

    cr_assert_eq(fx_run(argv, &out, NULL), 1);
    cr_assert(strstr(out, "0 of 0 results"), "%s", out);
}

Test(client, daemon_errors_exit_2)
{
    const char *argv[] = {CTMAP_SEARCH_BIN, "--socket", fx.sock,
                          "year:2020..abc", NULL};
    g_autofree char *err = NULL;

    cr_assert_eq(fx_run(argv, NULL, &err), 2);
    cr_assert(strstr(err, "HTTP 400"), "%s", err);
}

Test(client, unreachable_daemon_exit_2)
{
    g_autofree char *sock = g_build_filename(fx.dir, "absent.sock", NULL);
    const char *argv[] = {CTMAP_SEARCH_BIN, "--socket", sock, "x", NULL};
    g_autofree char *err = NULL;

    cr_assert_eq(fx_run(argv, NULL, &err), 2);
    cr_assert(strstr(err, "cannot reach ctmap-searchd at"), "%s", err);
    cr_assert(strstr(err, sock), "%s", err);
}

Test(client, bad_arguments_exit_2)
{
    const char *argv[] = {CTMAP_SEARCH_BIN, "--limit", "lots", "x", NULL};
    g_autofree char *err = NULL;

    cr_assert_eq(fx_run(argv, NULL, &err), 2);
    cr_assert(strstr(err, "--limit"), "%s", err);
}

Test(client, correction_and_labels_are_shown)
{
    const char *fixed[] = {CTMAP_SEARCH_BIN, "--socket", fx.sock,
                           "reintegraton", NULL};
    const char *label[] = {CTMAP_SEARCH_BIN, "--socket", fx.sock,
                           "--status", "unreachable", "--section", "D",
                           "--lang", "en", NULL};
    g_autofree char *out = NULL;
    g_autofree char *out2 = NULL;

    cr_assert_eq(fx_run(fixed, &out, NULL), 0);
    cr_assert(strstr(out, "Showing results for \"reintegration\" (instead "
                     "of \"reintegraton\")"), "%s", out);
    cr_assert_eq(fx_run(label, &out2, NULL), 0);
    cr_assert(strstr(out2, "1. Report on prisons in Central Asia"), "%s",
              out2);
    cr_assert(strstr(out2, "   [Link unreachable]\n"), "%s", out2);
    cr_assert(strstr(out2, "1 of 1 results"), "%s", out2);
}

Test(client, suggest_prints_completions)
{
    const char *argv[] = {CTMAP_SEARCH_BIN, "--socket", fx.sock,
                          "--suggest", "reint", NULL};
    const char *none[] = {CTMAP_SEARCH_BIN, "--socket", fx.sock,
                          "--suggest", "zzyzz", NULL};
    const char *bad[] = {CTMAP_SEARCH_BIN, "--socket", fx.sock,
                         "--suggest", "--org", "unodc", "reint", NULL};
    const char *json[] = {CTMAP_SEARCH_BIN, "--socket", fx.sock,
                          "--suggest", "--json", "reint", NULL};
    g_autofree char *out = NULL;
    g_autofree char *out2 = NULL;
    g_autofree char *err = NULL;

    cr_assert_eq(fx_run(argv, &out, NULL), 0);
    cr_assert(g_str_has_prefix(out, "reintegration\t1\n"), "%s", out);
    cr_assert_eq(fx_run(none, NULL, NULL), 1);
    cr_assert_eq(fx_run(bad, NULL, &err), 2);
    cr_assert(strstr(err, "--suggest"), "%s", err);
    cr_assert_eq(fx_run(json, &out2, NULL), 0);
    cr_assert(strstr(out2, "\"suggestions\""), "%s", out2);
}
