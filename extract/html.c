/* html.c -- placeholder until written. */
