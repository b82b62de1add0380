/* pool.c -- placeholder until written. */
