/* extract.c -- placeholder until written. */
