/* test_units.c -- searchd's core functions without a daemon:
 * request targets, page choice, plain snippets, configuration. */
#include <string.h>
#include <sys/socket.h>

#include <criterion/criterion.h>

#include "searchd-int.h"

Test(units, uri_params_decode_in_order)
{
    g_autofree char *path = NULL;
    g_autoptr(GPtrArray) params = NULL;
    g_autoptr(GError) error = NULL;
    const sd_param_t *p;

    cr_assert(sd_api_parse_uri("/search?q=a+b%26c&org=x&org=y&flag",
                               &path, &params, &error));
    cr_assert_str_eq(path, "/search");
    cr_assert_eq(params->len, 4);
    p = g_ptr_array_index(params, 0);
    cr_assert_str_eq(p->name, "q");
    cr_assert_str_eq(p->value, "a b&c");
    p = g_ptr_array_index(params, 2);
    cr_assert_str_eq(p->value, "y");
    p = g_ptr_array_index(params, 3);
    cr_assert_str_eq(p->name, "flag");
    cr_assert_str_eq(p->value, "");
}

Test(units, uri_with_bad_bytes_is_refused)
{
    static const char *const bad[] = {
        "/search?q=%FF", "/search?q=%", "/search?q=%00", "/doc/%C0%AF",
    };
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *path = NULL;
        g_autoptr(GPtrArray) params = NULL;
        g_autoptr(GError) error = NULL;

        cr_assert_not(sd_api_parse_uri(bad[i], &path, &params, &error),
                      "%s", bad[i]);
        cr_assert(g_error_matches(error, SD_ERROR, SD_ERROR_BAD_PARAMETER));
        cr_assert_null(path);
    }
}

Test(units, best_page_is_where_terms_cluster)
{
    const unsigned starts[] = {100, 200, 300};
    const unsigned one[] = {5, 150, 210, 220, 230, 310};
    const unsigned title_only[] = {1, 2, 3};
    const unsigned tie[] = {310, 150};

    cr_assert_eq(sd_snippet_best_page(starts, 3, one, 6), 1);
    cr_assert_eq(sd_snippet_best_page(starts, 3, title_only, 3), G_MAXUINT);
    cr_assert_eq(sd_snippet_best_page(starts, 3, tie, 2), 0);
    cr_assert_eq(sd_snippet_best_page(starts, 3, NULL, 0), G_MAXUINT);
    cr_assert_eq(sd_snippet_best_page(NULL, 0, title_only, 3), 0);
}

Test(units, plain_snippet_cuts_between_words_and_escapes)
{
    g_autofree char *a = sd_snippet_plain("  <b>bold</b>\n\n and   more ",
                                          300);
    g_autofree char *b = sd_snippet_plain("alpha beta gamma", 12);
    g_autofree char *c = sd_snippet_plain("Ыыыыыыыы", 5);
    g_autofree char *d = sd_snippet_plain("", 300);

    cr_assert_str_eq(a, "&lt;b&gt;bold&lt;/b&gt; and more");
    cr_assert_str_eq(b, "alpha beta\xE2\x80\xA6");
    /* Cut on a character boundary: two 2-byte letters fit in 5 bytes. */
    cr_assert_str_eq(c, "Ыы\xE2\x80\xA6");
    cr_assert_str_eq(d, "");
}

Test(units, config_defaults_derive_from_data_dir)
{
    g_auto(sd_config_t) cfg = {0};
    g_autoptr(GError) error = NULL;

    sd_config_init(&cfg);
    cr_assert(sd_config_validate(&cfg, &error));
    cr_assert_str_eq(cfg.data_dir, "var");
    cr_assert_str_eq(cfg.index_dir, "var/index");
    cr_assert_str_eq(cfg.socket_path, "var/searchd.sock");
    cr_assert_eq(cfg.socket_mode, 0660);
    cr_assert_geq(cfg.threads, 1);
    cr_assert_leq(cfg.threads, SD_MAX_THREADS);
}

Test(units, listen_accepts_loopback_only)
{
    struct sockaddr_storage ss;
    size_t len = 0;

    cr_assert(sd_config_listen_address("127.0.0.1:8080", &ss, &len, NULL));
    cr_assert(sd_config_listen_address("[::1]:8080", &ss, &len, NULL));
    cr_assert(sd_config_listen_address("localhost:8080", &ss, &len, NULL));
    cr_assert_not(sd_config_listen_address("0.0.0.0:8080", &ss, &len,
                                           NULL));
    cr_assert_not(sd_config_listen_address("10.1.2.3:80", &ss, &len, NULL));
    cr_assert_not(sd_config_listen_address("127.0.0.1:99999", &ss, &len,
                                           NULL));
    cr_assert_not(sd_config_listen_address("127.0.0.1", &ss, &len, NULL));
}
