/* fuzz_pdf.c -- libFuzzer target: extract_document() on any bytes served
 * as application/pdf, poppler included. */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_extract(data, size, "application/pdf");
    return 0;
}
