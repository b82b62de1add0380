/* pdf.c -- placeholder until written. */
