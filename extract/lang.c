/* lang.c -- placeholder until written. */
