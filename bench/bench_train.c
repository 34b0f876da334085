/* bench_train.c - one fine-tuning step of a roberta-base-shaped model
 * (random weights) at batch 8: forward, cross-entropy over the label-word
 * logits, backward into summed gradients, clipping and the optimizer
 * update of all 164M parameters.  Prints step time, its split into
 * forward+backward and optimizer, GFLOP/s of the model math, the
 * machine's SGEMM GFLOP/s measured in the same run, and peak RSS.
 *
 *   build/bench/bench_train [--layers 12] [--steps 3] [--batch 8]
 *                           [--mode full|lora|linearized] [--optimizer adam|sgd]
 *
 * Sequences are 24-64 tokens (LM-BFF prompts of single-sentence tasks),
 * one mask each.  bench/torch_train.py runs the same step in PyTorch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "train/trainer.h"
#include "util/rng.h"

int main(int argc, char **argv) {
    int layers = 12, steps = 3, batch = 8;
    const char *mode = "full", *optname = "adam";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--layers")) layers = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--steps")) steps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--batch")) batch = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--mode")) mode = argv[i + 1];
        else if (!strcmp(argv[i], "--optimizer")) optname = argv[i + 1];
    }
    lm_model m;
    bench_roberta_base(&m, layers, 1);
    int32_t vocab[2] = {6587, 372};
    lm_output_spec os = {.head = LM_HEAD_MLM, .n_out = 2, .vocab = vocab};
    lm_train_config tc = {.optimizer = strcmp(optname, "sgd") ? LM_OPT_ADAMW : LM_OPT_SGD,
                          .lr = 1e-5, .steps = 1000, .max_grad_norm = 1.0, .weight_decay = 0.0,
                          .linearized = !strcmp(mode, "linearized"),
                          .params = !strcmp(mode, "lora") ? LM_PS_LORA : LM_PS_ALL,
                          .lora = {.r = 8, .alpha = 16, .targets = LM_LORA_QUERY | LM_LORA_VALUE}};
    lm_trainer t;
    lm_error err;
    if (lm_trainer_init(&t, &m, &os, &tc, &err)) {
        fprintf(stderr, "bench_train: %s\n", err.msg);
        return 1;
    }
    lm_rng rng;
    lm_rng_seed(&rng, 1);
    lm_encoded_example *ex = lm_xcalloc((size_t)batch, sizeof *ex);
    const lm_encoded_example **bp = lm_xmalloc((size_t)batch * sizeof *bp);
    size_t H = 768, I = 3072;
    double per_tok_dense = 2.0 * layers * (4 * H * H + 2 * H * I);
    double t_grad = 0, t_opt = 0, flops = 0;
    long tokens = 0;
    for (int it = 0; it <= steps; it++) {
        double attn = 0;
        int T = 0;
        for (int s = 0; s < batch; s++) {
            int L = 24 + (int)lm_rng_below(&rng, 41);
            free(ex[s].ids);
            ex[s].ids = lm_xmalloc((size_t)L * sizeof(int32_t));
            ex[s].ids[0] = 0;
            for (int i = 1; i < L - 1; i++) ex[s].ids[i] = 4 + (int32_t)lm_rng_below(&rng, 50000);
            ex[s].ids[L - 1] = 2;
            ex[s].mask_pos = L - 3;
            ex[s].ids[L - 3] = 50264;
            ex[s].n_tokens = L;
            ex[s].type_ids = NULL;
            ex[s].label = s % 2;
            bp[s] = &ex[s];
            T += L;
            attn += 4.0 * layers * (double)L * L * H;
        }
        double t0 = bench_now();
        lm_trainer_grad(&t, bp, batch);
        double t1 = bench_now();
        lm_optim_step(&t.opt);
        if (t.mode == LM_TRAIN_LORA) lm_lora_merge(&t.lora, NULL, &t.m);
        double t2 = bench_now();
        if (it == 0) continue; /* warm-up */
        t_grad += t1 - t0;
        t_opt += t2 - t1;
        tokens += T;
        /* forward + backward (input and weight gradients) of the encoder and
         * the head's dense layer; the linearized step adds a factor pass of
         * C replicas and one weight GEMM per layer, not counted here */
        flops += 3.0 * (per_tok_dense * T + attn + 2.0 * H * H * batch);
    }
    double sg = bench_sgemm_gflops((int)(tokens / steps), 3072, 768);
    double gf = flops / t_grad / 1e9;
    printf("{\"bench\": \"train_step\", \"mode\": \"%s\", \"optimizer\": \"%s\", \"layers\": %d, "
           "\"batch\": %d, \"steps\": %d, \"tokens_per_step\": %.1f, \"trainable\": %zu, "
           "\"seconds_per_step\": %.3f, \"forward_backward_s\": %.3f, \"optimizer_s\": %.3f, "
           "\"gflops_forward_backward\": %.2f, \"sgemm_gflops_same_shapes\": %.2f, "
           "\"ratio_to_sgemm\": %.3f, \"peak_rss_mb\": %.1f}\n",
           mode, optname, layers, batch, steps, (double)tokens / steps, t.opt.n,
           (t_grad + t_opt) / steps, t_grad / steps, t_opt / steps, gf, sg, gf / sg,
           bench_peak_rss_mb());
    for (int s = 0; s < batch; s++) free(ex[s].ids);
    free(ex);
    free(bp);
    lm_trainer_free(&t);
    lm_model_free(&m);
    return 0;
}
