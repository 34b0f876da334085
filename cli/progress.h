/* progress.h - a progress bar with ETA on a terminal (stderr), plain lines
 * when stderr is not a terminal. */
#ifndef LM_CLI_PROGRESS_H
#define LM_CLI_PROGRESS_H

typedef struct cli_progress {
    double start;
    double last_draw;
    int tty;
    char label[64];
} cli_progress;

void cli_progress_init(cli_progress *p, const char *label);
/* Matches lm_run_hooks.progress / lm_kernel_progress.fn; never cancels. */
int cli_progress_update(void *ctx, double fraction, const char *stage);
void cli_progress_done(cli_progress *p);

#endif
