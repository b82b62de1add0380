/* fixture-server-main.c -- the fixture-server program for scripts: the
 * library of fixture-server.c (the same code the suites use in-process)
 * serving a folder until SIGTERM or SIGINT. */
#include <signal.h>
#include <stdio.h>

#include <glib.h>
#include <glib-unix.h>

#include "fixture-server.h"


static gboolean
on_signal(gpointer loop)
{
    g_main_loop_quit(loop);
    return G_SOURCE_REMOVE;
}

/* fixture-server --root DIR [--port N] [--port-file FILE]: serves DIR
 * until SIGTERM or SIGINT; prints the port alone on stdout and, with
 * --port-file, writes it there (atomically, so a script polling for the
 * file never reads half of it). */
int
main(int argc, char **argv)
{
    g_autofree char *root = NULL;
    g_autofree char *port_file = NULL;
    gint port = 0;
    GOptionEntry entries[] = {
        { "root", 'r', 0, G_OPTION_ARG_FILENAME, &root,
          "Folder to serve", "DIR" },
        { "port", 'p', 0, G_OPTION_ARG_INT, &port,
          "Port on 127.0.0.1 (default: any free one)", "N" },
        { "port-file", 0, 0, G_OPTION_ARG_FILENAME, &port_file,
          "Write the port to FILE", "FILE" },
        { NULL, 0, 0, 0, NULL, NULL, NULL }
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new(
        "- serve a folder with fault injection on 127.0.0.1");
    g_autoptr(GError) error = NULL;
    g_autoptr(GMainLoop) loop = NULL;
    fx_server_t *srv;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        fprintf(stderr, "fixture-server: %s\n", error->message);
        return 2;
    }
    if (!root || port < 0 || port > 65535) {
        fprintf(stderr, "fixture-server: usage: fixture-server --root DIR"
                " [--port N] [--port-file FILE]\n");
        return 2;
    }
    srv = fx_server_start_port(root, (guint)port, &error);
    if (!srv) {
        fprintf(stderr, "fixture-server: %s\n", error->message);
        return 1;
    }
    if (port_file) {
        g_autofree char *text = g_strdup_printf("%u\n", fx_server_port(srv));

        if (!g_file_set_contents(port_file, text, -1, &error)) {
            fprintf(stderr, "fixture-server: %s\n", error->message);
            fx_server_stop(srv);
            return 1;
        }
    }
    printf("%u\n", fx_server_port(srv));
    fflush(stdout);
    fprintf(stderr, "fixture-server: serving %s on http://127.0.0.1:%u/\n",
            root, fx_server_port(srv));

    loop = g_main_loop_new(NULL, FALSE);
    g_unix_signal_add(SIGTERM, on_signal, loop);
    g_unix_signal_add(SIGINT, on_signal, loop);
    g_main_loop_run(loop);
    fprintf(stderr, "fixture-server: %u requests served\n",
            fx_server_total_hits(srv));
    fx_server_stop(srv);
    return 0;
}
