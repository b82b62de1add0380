/* fuzz.h -- what every extraction fuzz target checks of a result beyond
 * "did not crash": the text contract of extract.h, and that the result
 * survives the worker protocol's JSON form unchanged. */
#ifndef CTMAP_TESTS_FUZZ_FUZZ_H
#define CTMAP_TESTS_FUZZ_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* abort() rather than return: libFuzzer records a crash and its input. */
static void
fuzz_require(gboolean ok, const char *what)
{
    if (!ok) {
        g_printerr("fuzz: contract broken: %s\n", what);
        abort();
    }
}

static void
fuzz_check_text(const char *s, const char *what)
{
    fuzz_require(s != NULL, what);
    fuzz_require(g_utf8_validate(s, -1, NULL), what);
    for (const char *p = s; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);

        fuzz_require(c == '\n' || !g_unichar_iscntrl(c), what);
    }
}

static void
fuzz_check_result(const extract_result_t *r)
{
    extract_result_t back;
    g_autoptr(GError) error = NULL;
    g_autofree char *json = NULL;
    g_autofree char *json2 = NULL;
    gsize len, len2;

    fuzz_require(r->media_type != NULL, "media_type set");
    for (guint i = 0; i < r->pages->len; i++)
        fuzz_check_text(g_ptr_array_index(r->pages, i), "page text");
    if (r->title)
        fuzz_check_text(r->title, "title");

    json = extract_result_to_json(r, &len);
    memset(&back, 0, sizeof(back));
    extract_result_init(&back);
    fuzz_require(extract_result_from_json(&back, json, len, &error),
                 "result JSON reads back");
    json2 = extract_result_to_json(&back, &len2);
    fuzz_require(len == len2 && memcmp(json, json2, len) == 0,
                 "result JSON round-trips");
    extract_result_clear(&back);
}

/* Extracts @data with @media_type as the hint under small limits, so one
 * input cannot take the fuzzer's whole time budget. */
static void
fuzz_extract(const uint8_t *data, size_t size, const char *media_type)
{
    extract_input_t in = { 0 };
    extract_limits_t limits;
    extract_result_t r;
    g_autoptr(GError) error = NULL;

    extract_limits_init(&limits);
    limits.max_pages = 20;
    limits.max_text = 1024 * 1024;
    /* The parsers are the target: Tesseract costs seconds per scanned
     * page, which would leave a 20 s run a handful of inputs; OCR has its
     * own suite (tests/extract/test_ocr.c). */
    limits.ocr = EXTRACT_OCR_OFF;
    in.data = data;
    in.len = size;
    in.media_type = media_type;
    in.url = "https://www.example.org/dir/page.html";
    memset(&r, 0, sizeof(r));
    if (extract_document(&in, &limits, &r, &error)) {
        fuzz_check_result(&r);
    } else {
        fuzz_require(error != NULL && error->domain == EXTRACT_ERROR,
                     "failure has an EXTRACT_ERROR");
        fuzz_require(strchr(error->message, '\n') == NULL,
                     "error message is one line");
    }
    extract_result_clear(&r);
}

#endif /* CTMAP_TESTS_FUZZ_FUZZ_H */
