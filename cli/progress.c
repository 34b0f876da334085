/* progress.c - terminal progress bar with ETA. */
#include "util/clock.h"
#include "progress.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void cli_progress_init(cli_progress *p, const char *label) {
    memset(p, 0, sizeof *p);
    p->start = lm_now();
    p->tty = isatty(STDERR_FILENO);
    snprintf(p->label, sizeof p->label, "%s", label);
}

int cli_progress_update(void *ctx, double f, const char *stage) {
    cli_progress *p = ctx;
    double t = lm_now();
    /* redraw at most 10 times a second on a terminal, every 10 s otherwise */
    if (t - p->last_draw < (p->tty ? 0.1 : 10.0) && f < 1.0) return 0;
    p->last_draw = t;
    if (f < 0) f = 0;
    if (f > 1) f = 1;
    double el = t - p->start, eta = f > 0.001 ? el * (1 - f) / f : 0;
    if (p->tty) {
        char bar[31];
        int fill = (int)(f * 30);
        for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : '-';
        bar[30] = '\0';
        fprintf(stderr, "\r%s [%s] %5.1f%% %-8s %6.0fs elapsed, ETA %6.0fs ", p->label, bar,
                100 * f, stage, el, eta);
    } else {
        fprintf(stderr, "%s: %.1f%% %s, %.0fs elapsed, ETA %.0fs\n", p->label, 100 * f, stage, el, eta);
    }
    fflush(stderr);
    return 0;
}

void cli_progress_done(cli_progress *p) {
    if (p->tty) fputc('\n', stderr);
}
