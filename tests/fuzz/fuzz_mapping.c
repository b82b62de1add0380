/* fuzz_mapping.c -- libFuzzer target: corpus_mapping_parse() with the real
 * vocabularies, which never fails on content and must never crash. */
#include <stdint.h>
#include <stdlib.h>

#include "corpus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Loaded once and kept for the process: the vocabularies are the same for
 * every input, and reloading them would cost most of each run. */
static corpus_vocab_t *vocab;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    corpus_mapping_t *m;

    if (!vocab) {
        g_autoptr(GError) error = NULL;

        vocab = corpus_vocab_load(CTMAP_CORPUS_DIR, &error);
        if (!vocab) {
            g_printerr("fuzz_mapping: %s\n", error->message);
            abort();
        }
    }
    m = corpus_mapping_parse((const char *)data, size, "fuzz", vocab);
    if (!m)
        abort();
    corpus_mapping_free(m);
    return 0;
}
