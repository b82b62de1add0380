/* worker.c -- ctmap-extract-worker: reads requests from the pool, runs
 * extract_document() on each, writes the reply; exits 0 at end of input.
 *
 * Limits (address space, no core dumps, death with the parent) are set by
 * the pool before exec.  A failed allocation ends the worker with
 * EXTRACT_WORKER_EXIT_NOMEM so the pool can name the memory limit.
 *
 * In test builds (CTMAP_TESTING) a request with the media-type hint
 * "application/x-ctmap-fault" makes the worker fail on purpose, so the
 * pool's handling of each failure is tested with the real binary.  Real
 * hostile PDFs are covered by the backend tests and the fuzzers. */
#include "extract.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* Headroom under RLIMIT_AS within which an abort counts as running out of
 * memory: libraries that abort on a failed allocation (C++ bad_alloc
 * uncaught) do so close to the limit. */
#define NOMEM_SLACK (64UL * 1024 * 1024)

/* GLib reports a failed g_malloc() through g_error() and then aborts;
 * catching the message turns that abort into the memory-limit exit. */
static GLogWriterOutput
log_writer(GLogLevelFlags level, const GLogField *fields, gsize n,
           gpointer rock)
{
    if (level & G_LOG_LEVEL_ERROR) {
        for (gsize i = 0; i < n; i++) {
            if (strcmp(fields[i].key, "MESSAGE") == 0 &&
                fields[i].length < 0 &&
                strstr(fields[i].value, "failed to allocate")) {
                g_log_writer_standard_streams(level, fields, n, rock);
                _exit(EXTRACT_WORKER_EXIT_NOMEM);
            }
        }
    }
    return g_log_writer_default(level, fields, n, rock);
}

/* Async-signal-safe: the address space in use from /proc/self/statm. */
static unsigned long
vm_size(void)
{
    char buf[64];
    unsigned long pages = 0;
    ssize_t k;
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return 0;
    k = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    for (ssize_t i = 0; i < k && buf[i] >= '0' && buf[i] <= '9'; i++)
        pages = pages * 10 + (unsigned long)(buf[i] - '0');
    return pages * (unsigned long)sysconf(_SC_PAGESIZE);
}

/* An abort near the address-space limit is taken as out of memory;
 * any other abort goes on as the signal it was. */
static void
on_abort(int sig)
{
    struct rlimit as;

    if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY &&
        vm_size() + NOMEM_SLACK >= as.rlim_cur)
        _exit(EXTRACT_WORKER_EXIT_NOMEM);
    signal(sig, SIG_DFL);
    raise(sig);
}

#ifdef CTMAP_TESTING
/* Fails on purpose as the request asks; returns when it asks nothing. */
static void
fault(const extract_input_t *in, int fd)
{
    char what[32];

    if (!in->media_type ||
        strcmp(in->media_type, "application/x-ctmap-fault") != 0 ||
        in->len >= sizeof(what))
        return;
    memcpy(what, in->data, in->len);
    what[in->len] = '\0';
    if (strcmp(what, "crash") == 0) {
        /* The default action, not a sanitizer's handler: the pool must
         * see the signal, as it would from a real crash in a release
         * build. */
        signal(SIGSEGV, SIG_DFL);
        raise(SIGSEGV);
    } else if (strcmp(what, "hang") == 0) {
        for (;;)
            pause();
    } else if (strcmp(what, "oom") == 0) {
        struct rlimit as;

        /* Never eat the machine when run without a limit. */
        if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur == RLIM_INFINITY) {
            as.rlim_cur = 512UL * 1024 * 1024;
            setrlimit(RLIMIT_AS, &as);
        }
        for (;;)
            memset(g_malloc(16 * 1024 * 1024), 1, 16 * 1024 * 1024);
    } else if (strcmp(what, "garbage-reply") == 0) {
        static const char junk[] = "\0\0\0\5hello";

        (void)!write(fd, junk, sizeof(junk) - 1);
        for (;;)
            pause();
    } else if (strcmp(what, "huge-reply") == 0) {
        static const char junk[] = "\377\377\377\360{";

        (void)!write(fd, junk, sizeof(junk) - 1);
        for (;;)
            pause();
    } else if (strcmp(what, "exit") == 0) {
        _exit(3);
    }
}
#endif

/* The protocol runs on the descriptors the pool gave as stdin and stdout;
 * those are moved aside so a library that prints to stdout cannot corrupt
 * a frame (its output goes to stderr instead). */
int
main(void)
{
    g_autoptr(GError) error = NULL;
    int in_fd = dup(0);
    int out_fd = dup(1);
    int null_fd = open("/dev/null", O_RDONLY);

    if (in_fd < 0 || out_fd < 0 || null_fd < 0 || dup2(null_fd, 0) < 0 ||
        dup2(2, 1) < 0) {
        perror("ctmap-extract-worker: descriptors");
        return 1;
    }
    close(null_fd);
    g_log_set_writer_func(log_writer, NULL, NULL);
    signal(SIGABRT, on_abort);

    if (!extract_worker_write_ready(out_fd, &error)) {
        fprintf(stderr, "ctmap-extract-worker: %s\n", error->message);
        return 1;
    }
    for (;;) {
        g_autoptr(extract_request_t) req = NULL;
        g_autoptr(GError) failure = NULL;
        extract_result_t result;
        const extract_input_t *in;

        req = extract_worker_read_request(in_fd, &error);
        if (!req)
            break;
        in = extract_request_input(req);
#ifdef CTMAP_TESTING
        fault(in, out_fd);
#endif
        /* extract_document() initialises @result itself and leaves it
         * cleared on failure. */
        memset(&result, 0, sizeof(result));
        extract_document(in, extract_request_limits(req), &result, &failure);
        if (!extract_worker_write_reply(out_fd, &result,
                                        failure, &error)) {
            extract_result_clear(&result);
            break;
        }
        extract_result_clear(&result);
    }
    if (error) {
        fprintf(stderr, "ctmap-extract-worker: %s\n", error->message);
        return 1;
    }
    return 0;
}
