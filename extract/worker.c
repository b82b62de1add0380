/* worker.c -- placeholder until written. */
int
main(void)
{
    return 2;
}
