/* fuzz_html.c -- libFuzzer target: extract_document() on any bytes served
 * as text/html (broken nesting, wrong charsets, huge scripts). */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_extract(data, size, "text/html");
    return 0;
}
