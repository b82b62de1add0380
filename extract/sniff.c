/* sniff.c -- placeholder until written. */
