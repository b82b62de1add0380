/* main.c -- ctmap-searchd: parse the command line, start the server, run
 * until told to stop; the only place that picks exit codes. */
#include <locale.h>
#include <unistd.h>

#include "searchd.h"

/* SIGTERM's drain ended with a worker still answering (DESIGN.md's 0, 1
 * and 2 keep their meanings). */
#define SD_EXIT_STUCK 3

/* Prints @error as one line and returns @code: 2 for bad arguments, 1
 * when the daemon cannot start (DESIGN.md, "Command lines"). */
static int
sd_die(int code, const GError *error)
{
    g_printerr("ctmap-searchd: %s\n", error ? error->message : "failed");
    return code;
}

int
main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_auto(sd_config_t) cfg = {0};
    guint stuck;

    setlocale(LC_ALL, "");
    sd_config_init(&cfg);
    if (!sd_config_parse(&cfg, &argc, &argv, &error)
        || !sd_config_validate(&cfg, &error))
        return sd_die(2, error);                /* bad arguments */
    g_autoptr(sd_server_t) srv = sd_server_new(&cfg, &error);
    if (!srv)
        return sd_die(1, error);                /* cannot bind or start */
    stuck = sd_server_run(srv);                 /* until SIGTERM/SIGINT */
    if (stuck) {
        g_printerr("ctmap-searchd: exiting with status %d: %u request(s) "
                   "still being answered after the %d s drain\n",
                   SD_EXIT_STUCK, stuck, cfg.timeout);
        /* _exit(), not return: a worker thread is still inside Xapian,
         * so freeing the server would wait for it (the thread pool joins
         * its threads), and exit() would run the C++ static destructors
         * and atexit handlers under its feet.  Nothing is left to flush:
         * the log goes to stderr, unbuffered, and the socket is gone. */
        _exit(SD_EXIT_STUCK);
    }
    return 0;
}
