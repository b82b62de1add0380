/* notify.c -- life under systemd: the listening socket handed over by
 * socket activation (LISTEN_FDS/LISTEN_PID) and the sd_notify() messages
 * of a Type=notify service (READY, STATUS, RELOADING, STOPPING).
 *
 * libsystemd does both rather than a hand-written datagram sender: its
 * sd_notify() already handles abstract and path NOTIFY_SOCKETs, passes
 * credentials and is the reference of the protocol, and sd_listen_fds()
 * checks LISTEN_PID and unsets the variables so that nothing this process
 * starts inherits them.  Outside systemd every call here is a no-op.
 *
 * The names are sd_notify_<verb> after this file (STYLE.md); libsystemd's
 * own sd_notify(), sd_notifyf() and sd_listen_fds() are the only ones
 * called. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <gio/gio.h>
#include <systemd/sd-daemon.h>

#include "searchd-int.h"

gboolean
sd_notify_listen_fd(int *fd, GError **error)
{
    int n = sd_listen_fds(1);
    int flags;

    *fd = -1;
    if (n < 0) {
        g_set_error(error, SD_ERROR, SD_ERROR_CANNOT_START,
                    "socket activation: %s", g_strerror(-n));
        return FALSE;
    }
    if (n == 0)
        return TRUE;
    /* One socket, stream, listening: what ctmap-searchd.socket passes.
     * Anything else is a unit written for another program. */
    if (n != 1 || sd_is_socket(SD_LISTEN_FDS_START, AF_UNSPEC, SOCK_STREAM,
                               1) <= 0) {
        g_set_error(error, SD_ERROR, SD_ERROR_CANNOT_START,
                    "socket activation: expected one listening stream "
                    "socket, got %d descriptor(s)", n);
        return FALSE;
    }
    /* libmicrohttpd polls the listener and must never block in
     * accept(); a socket we bind ourselves is made non-blocking too. */
    flags = fcntl(SD_LISTEN_FDS_START, F_GETFL);
    if (flags < 0 || fcntl(SD_LISTEN_FDS_START, F_SETFL,
                           flags | O_NONBLOCK) != 0
        || fcntl(SD_LISTEN_FDS_START, F_SETFD, FD_CLOEXEC) != 0) {
        g_set_error(error, SD_ERROR, SD_ERROR_CANNOT_START,
                    "socket activation: %s", g_strerror(errno));
        return FALSE;
    }
    *fd = SD_LISTEN_FDS_START;
    return TRUE;
}

char *
sd_notify_describe_fd(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    memset(&ss, 0, sizeof(ss));
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return g_strdup_printf("descriptor %d", fd);
    if (ss.ss_family == AF_UNIX) {
        const struct sockaddr_un *sun = (const struct sockaddr_un *)&ss;

        /* An abstract socket's name starts with a NUL byte. */
        if (len > offsetof(struct sockaddr_un, sun_path) && sun->sun_path[0])
            return g_strdup(sun->sun_path);
        return g_strdup("an abstract Unix socket");
    } else {
        g_autoptr(GSocketAddress) sa = g_socket_address_new_from_native(
            &ss, len);

        if (G_IS_INET_SOCKET_ADDRESS(sa)) {
            g_autofree char *host = g_inet_address_to_string(
                g_inet_socket_address_get_address(
                    G_INET_SOCKET_ADDRESS(sa)));

            return g_strdup_printf(
                ss.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", host,
                g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(sa)));
        }
    }
    return g_strdup_printf("descriptor %d", fd);
}

/* The STATUS= text systemctl status shows: what is being served. */
static char *
status_text(sd_index_t *index)
{
    uint64_t rev = 0;

    if (!sd_index_revision(index, &rev))
        return g_strdup("no index yet; waiting for ctmap-indexer");
    return g_strdup_printf("serving index revision %" G_GUINT64_FORMAT,
                           (guint64)rev);
}

/* sd_notify() returns 0 outside systemd and a negative errno when the
 * socket cannot be written; neither changes what the daemon does, so
 * the result is only logged. */
static void
send_state(const char *state)
{
    int rc = sd_notify(0, state);

    if (rc < 0)
        g_debug("sd_notify: %s", g_strerror(-rc));
}

void
sd_notify_ready(sd_index_t *index)
{
    g_autofree char *status = status_text(index);
    g_autofree char *msg = g_strdup_printf("READY=1\nSTATUS=%s", status);

    send_state(msg);
}

void
sd_notify_status(sd_index_t *index)
{
    g_autofree char *status = status_text(index);
    g_autofree char *msg = g_strdup_printf("STATUS=%s", status);

    send_state(msg);
}

void
sd_notify_reloading(void)
{
    send_state("RELOADING=1\nSTATUS=reopening the index");
}

void
sd_notify_stopping(void)
{
    send_state("STOPPING=1\nSTATUS=stopping");
}
