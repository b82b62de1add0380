/* result.c -- placeholder until written. */
