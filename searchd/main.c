/* main.c -- ctmap-searchd: parse the command line, start the server, run
 * until told to stop; the only place that picks exit codes. */
#include <locale.h>

#include "searchd.h"

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

    setlocale(LC_ALL, "");
    sd_config_init(&cfg);
    if (!sd_config_parse(&cfg, &argc, &argv, &error)
        || !sd_config_validate(&cfg, &error))
        return sd_die(2, error);                /* bad arguments */
    g_autoptr(sd_server_t) srv = sd_server_new(&cfg, &error);
    if (!srv)
        return sd_die(1, error);                /* cannot bind or start */
    sd_server_run(srv);                         /* until SIGTERM/SIGINT */
    return 0;
}
