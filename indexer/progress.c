/* progress.c -- what a long run is doing, on stderr: a bar redrawn in
 * place on a terminal, a plain line every few seconds in a log (cron), and
 * nothing with --quiet.
 */
#include <stdio.h>
#include <unistd.h>

#include "indexer.h"

/* A terminal is redrawn at most this often; a log gets a line at most
 * this often, so that a 10,000-document run logs a few dozen lines. */
#define TTY_INTERVAL_US (200 * 1000)
#define LOG_INTERVAL_US (5 * G_USEC_PER_SEC)

struct ix_progress {
    gboolean quiet;
    gboolean tty;
    gboolean drawn;             /* a bar is on the current line */
    gint64 started;
    gint64 last;                /* when the last update was shown */
    guint planned;
    guint done[IX_STAGE_N];
    guint expected[IX_STAGE_N];
};

static const char *const stage_names[IX_STAGE_N] = {
    "fetched", "extracted", "indexed"
};

/* NO_COLOR counts when set and not empty, as the convention says. */
static gboolean
no_color(void)
{
    const char *v = g_getenv("NO_COLOR");

    return v && *v;
}

ix_progress_t *
ix_progress_new(gboolean quiet)
{
    ix_progress_t *p = g_new0(ix_progress_t, 1);

    p->quiet = quiet;
    /* The bar redraws its line with terminal escapes: only on a
     * terminal, and not when NO_COLOR (https://no-color.org) asks for
     * none; plain lines otherwise, as journald wants them. */
    p->tty = isatty(STDERR_FILENO) && !no_color();
    p->started = g_get_monotonic_time();
    return p;
}

/* Rate and ETA over all the work seen so far: each source counts once
 * per stage it is expected to go through. */
static void
show(ix_progress_t *p, gboolean force)
{
    gint64 now = g_get_monotonic_time();
    double secs = (now - p->started) / 1e6;
    guint done = 0, expected = 0;
    g_autoptr(GString) line = g_string_new(NULL);

    if (p->quiet
        || (!force && now - p->last < (p->tty ? TTY_INTERVAL_US
                                              : LOG_INTERVAL_US)))
        return;
    p->last = now;
    for (int s = 0; s < IX_STAGE_N; s++) {
        done += MIN(p->done[s], p->expected[s]);
        expected += p->expected[s];
    }
    if (p->tty) {
        const int width = 20;
        int fill = expected ? (int)((guint64)done * width / expected) : 0;

        g_string_append_c(line, '[');
        for (int i = 0; i < width; i++)
            g_string_append_c(line, i < fill ? '#' : '.');
        g_string_append(line, "] ");
    } else {
        g_string_append(line, "ctmap-indexer: progress: ");
    }
    g_string_append_printf(line, "planned %u", p->planned);
    for (int s = 0; s < IX_STAGE_N; s++)
        if (p->expected[s])
            g_string_append_printf(line, ", %s %u/%u", stage_names[s],
                                   p->done[s], p->expected[s]);
    if (secs > 0.5 && done)
        g_string_append_printf(line, ", %.0f/s", done / secs);
    if (secs > 2 && done && done < expected)
        g_string_append_printf(line, ", ETA %.0f s",
                               (expected - done) * secs / done);
    if (p->tty) {
        /* Clear to the end of the line: the new text may be shorter. */
        fprintf(stderr, "\r%s\033[K", line->str);
        p->drawn = TRUE;
    } else {
        fprintf(stderr, "%s\n", line->str);
    }
    fflush(stderr);
}

void
ix_progress_break(ix_progress_t *p)
{
    if (p && p->drawn) {
        fputc('\n', stderr);
        p->drawn = FALSE;
    }
}

void
ix_progress_free(ix_progress_t *p)
{
    if (!p)
        return;
    ix_progress_break(p);
    g_free(p);
}

void
ix_progress_planned(ix_progress_t *p, guint n)
{
    if (!p)
        return;
    p->planned = n;
    show(p, TRUE);
}

void
ix_progress_expect(ix_progress_t *p, ix_stage_t stage, guint n)
{
    if (!p)
        return;
    p->expected[stage] += n;
    show(p, FALSE);
}

void
ix_progress_done(ix_progress_t *p, ix_stage_t stage, guint n)
{
    if (!p)
        return;
    p->done[stage] += n;
    show(p, p->done[stage] == p->expected[stage]);
}
