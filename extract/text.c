/* text.c -- placeholder until written. */
