/* cmd_pretrain.c - `lmntk pretrain --tokenizer DIR --corpus FILES --out DIR`:
 * pre-trains a RoBERTa-style masked LM from scratch (common/pretrain). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_args.h"
#include "commands.h"
#include "pretrain/pretrain.h"
#include "progress.h"

static void usage(FILE *to) {
    fprintf(to,
        "usage: lmntk pretrain --tokenizer DIR --corpus FILE[,FILE...] --out DIR [options]\n"
        "  --resume DIR/checkpoint-N   continue a run (needs checkpoint-N.state beside it)\n"
        "  --layers 4 --hidden 256 --heads 4 --ffn 1024   shape (RoBERTa, tied decoder)\n"
        "  --block 128 --batch 16      tokens per sequence (<s>, </s> included), sequences per step\n"
        "  --steps 1000 --warmup N     (default 6%% of steps) --lr 1e-3 --weight-decay 0.01\n"
        "  --mask-prob 0.15 --seed 42 --log-every 10\n"
        "  --init-std 0.05             std of the normal initialisation (LayerNorms 1/0, biases 0;\n"
        "                              RoBERTa's is 0.02)\n"
        "  --pos-init sinusoidal|normal   position embeddings: sinusoids of RMS std (default),\n"
        "                              or normal(0, std) as RoBERTa\n"
        "  --save-steps 0,500,1000     extra checkpoints (0: the random initialisation);\n"
        "                              the last step is always saved\n"
        "  Writes DIR/checkpoint-<step>/ (HuggingFace folder), DIR/checkpoint-<step>.state,\n"
        "  DIR/loss.tsv.\n");
}

static int parse_double(const char *s, double *out) {
    char *e;
    *out = strtod(s, &e);
    return *s == 0 || *e != 0;
}

typedef struct cli_report { cli_progress bar; int tty; } cli_report;

static int report(void *ctx, const lm_pretrain_report *r) {
    cli_report *c = ctx;
    char stage[64];
    snprintf(stage, sizeof stage, "loss %.3f", r->loss);
    if (!c->tty || r->checkpoint)
        fprintf(stderr, "step %d/%d  loss %.4f  lr %.3g  |g| %.3f  %.0f tok/s  ETA %.0f s%s%s\n",
                r->step, r->steps, r->loss, r->lr, r->grad_norm, r->tokens_per_s, r->eta_s,
                r->checkpoint ? "  saved " : "", r->checkpoint ? r->checkpoint : "");
    else
        cli_progress_update(&c->bar, (double)r->step / r->steps, stage);
    return 0;
}

int cmd_pretrain(int argc, char **argv) {
    lm_pretrain_config c;
    lm_pretrain_defaults(&c);
    char *corpus = NULL, *saves = NULL;
    const char *v, *files[64];
    int save_steps[256];
    cli_args a = {argc, argv, 1};
    struct { const char *flag; int *dst; long lo, hi; } ints[] = {
        {"--layers", &c.layers, 1, 64}, {"--hidden", &c.hidden, 8, 8192},
        {"--heads", &c.heads, 1, 128}, {"--ffn", &c.intermediate, 8, 65536},
        {"--block", &c.block, 8, 4096}, {"--batch", &c.batch, 1, 1 << 16},
        {"--steps", &c.steps, 0, 1 << 30}, {"--warmup", &c.warmup, 0, 1 << 30},
        {"--log-every", &c.log_every, 1, 1 << 30}};
    struct { const char *flag; double *dst; } dbls[] = {
        {"--lr", &c.lr}, {"--weight-decay", &c.weight_decay}, {"--mask-prob", &c.mask_prob}};
    while (cli_next(&a)) {
        if (cli_flag(&a, "--help")) { usage(stdout); return 0; }
        if ((v = cli_value(&a, "--tokenizer"))) { c.tokenizer_dir = v; continue; }
        if ((v = cli_value(&a, "--out"))) { c.out_dir = v; continue; }
        if ((v = cli_value(&a, "--resume"))) { c.resume = v; continue; }
        if ((v = cli_value(&a, "--corpus"))) { free(corpus); corpus = strdup(v); continue; }
        if ((v = cli_value(&a, "--save-steps"))) { free(saves); saves = strdup(v); continue; }
        if ((v = cli_value(&a, "--pos-init"))) {
            if ((c.pos_init = lm_pos_init_parse(v)) < 0) {
                fprintf(stderr, "lmntk pretrain: --pos-init must be normal or sinusoidal\n");
                return 2;
            }
            continue;
        }
        if ((v = cli_value(&a, "--init-std"))) {
            double x;
            if (parse_double(v, &x) || !(x > 0 && x <= 1)) {
                fprintf(stderr, "lmntk pretrain: --init-std must be a number in (0, 1]\n");
                return 2;
            }
            c.init_std = x;
            continue;
        }
        if ((v = cli_value(&a, "--seed"))) { c.seed = strtoull(v, NULL, 10); continue; }
        int done = 0;
        for (size_t i = 0; i < sizeof ints / sizeof ints[0] && !done; i++)
            if ((v = cli_value(&a, ints[i].flag))) {
                if (cli_parse_int(v, ints[i].lo, ints[i].hi, ints[i].dst)) {
                    fprintf(stderr, "lmntk pretrain: %s must be an integer in [%ld, %ld]\n",
                            ints[i].flag, ints[i].lo, ints[i].hi);
                    return 2;
                }
                done = 1;
            }
        for (size_t i = 0; i < sizeof dbls / sizeof dbls[0] && !done; i++)
            if ((v = cli_value(&a, dbls[i].flag))) {
                if (parse_double(v, dbls[i].dst)) {
                    fprintf(stderr, "lmntk pretrain: %s must be a number\n", dbls[i].flag);
                    return 2;
                }
                done = 1;
            }
        if (!done) return cli_unknown("pretrain", &a);
    }
    if (!c.tokenizer_dir || !corpus || !c.out_dir) { usage(stderr); free(corpus); free(saves); return 2; }
    for (char *p = corpus; p && *p && c.n_corpus < 64;) {
        char *e = strchr(p, ',');
        if (e) *e = 0;
        if (*p) files[c.n_corpus++] = p;
        p = e ? e + 1 : NULL;
    }
    c.corpus = files;
    for (char *p = saves; p && *p && c.n_save_steps < 256;) {
        char *e = strchr(p, ',');
        if (e) *e = 0;
        if (*p && cli_parse_int(p, 0, 1 << 30, &save_steps[c.n_save_steps++])) {
            free(corpus); free(saves);
            return cli_bad("pretrain", "--save-steps takes comma-separated step numbers");
        }
        p = e ? e + 1 : NULL;
    }
    c.save_steps = save_steps;
    cli_report rc_ctx;
    cli_progress_init(&rc_ctx.bar, "pretrain");
    rc_ctx.tty = rc_ctx.bar.tty;
    lm_pretrain_hooks hooks = {report, &rc_ctx};
    lm_error err;
    int rc = lm_pretrain_run(&c, &hooks, &err);
    cli_progress_done(&rc_ctx.bar);
    free(corpus);
    free(saves);
    if (rc) return cli_fail("pretrain", err.msg);
    return 0;
}
