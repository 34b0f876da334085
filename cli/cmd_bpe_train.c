/* cmd_bpe_train.c - `lmntk bpe-train --corpus A.txt.gz,B.txt.gz --vocab-size
 * 8192 --out DIR`: a byte-level BPE vocabulary (vocab.json + merges.txt)
 * trained on a plain-text corpus. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_args.h"
#include "commands.h"
#include "pretrain/bpe_train.h"

static void usage(FILE *to) {
    fprintf(to, "usage: lmntk bpe-train --corpus FILE[,FILE...] --out DIR [--vocab-size 8192]\n"
                "                       [--max-bytes 40M] [--min-count 2] [--reserve \" great, terrible\"]\n"
                "  Files are plain text or gzip, one document a line, read round-robin.\n"
                "  Ids: <s>=0 <pad>=1 </s>=2 <unk>=3, bytes, merges, <mask> last.\n"
                "  Reserved words (default: the paper's label words \" great\", \" terrible\",\n"
                "  \" Yes\", \" No\", \" Maybe\", ...) always encode as one token; --reserve takes\n"
                "  a comma-separated list, each word with its leading space.\n");
}

/* Splits a comma-separated list in place. */
static int split_list(char *s, const char **out, int max) {
    int n = 0;
    for (char *p = s; p && *p && n < max;) {
        char *c = strchr(p, ',');
        if (c) *c = 0;
        if (*p) out[n++] = p;
        p = c ? c + 1 : NULL;
    }
    return n;
}

int cmd_bpe_train(int argc, char **argv) {
    const char *out = NULL, *v;
    char *corpus = NULL, *reserve = NULL;
    int vocab = 8192, min_count = 2;
    unsigned long long max_bytes = 40ull << 20;
    cli_args a = {argc, argv, 1};
    while (cli_next(&a)) {
        if (cli_flag(&a, "--help")) { usage(stdout); return 0; }
        else if ((v = cli_value(&a, "--out"))) out = v;
        else if ((v = cli_value(&a, "--corpus"))) { free(corpus); corpus = strdup(v); }
        else if ((v = cli_value(&a, "--reserve"))) { free(reserve); reserve = strdup(v); }
        else if ((v = cli_value(&a, "--vocab-size"))) {
            if (cli_parse_int(v, 300, 1 << 20, &vocab)) return cli_bad("bpe-train", "--vocab-size must be in [300, 1048576]");
        } else if ((v = cli_value(&a, "--min-count"))) {
            if (cli_parse_int(v, 2, 1 << 30, &min_count)) return cli_bad("bpe-train", "--min-count must be >= 2");
        } else if ((v = cli_value(&a, "--max-bytes"))) {
            if (cli_parse_size(v, &max_bytes)) return cli_bad("bpe-train", "--max-bytes takes a size such as 40M");
        } else return cli_unknown("bpe-train", &a);
    }
    if (!out || !corpus) { usage(stderr); free(corpus); free(reserve); return 2; }
    const char *files[64], *res[64];
    int nf = split_list(corpus, files, 64);
    int nr = 0;
    if (reserve) nr = split_list(reserve, res, 64);
    else
        while (lm_bpe_default_reserved[nr]) { res[nr] = lm_bpe_default_reserved[nr]; nr++; }
    lm_bpe_train_config cfg = {.corpus = files, .n_corpus = nf, .max_bytes = max_bytes,
                               .vocab_size = vocab, .min_count = min_count, .reserved = res,
                               .n_reserved = nr, .out_dir = out};
    lm_bpe_train_stats st;
    lm_error err;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = lm_bpe_train(&cfg, &st, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    free(corpus);
    free(reserve);
    if (rc) return cli_fail("bpe-train", err.msg);
    printf("{\"bytes\": %zu, \"words\": %zu, \"unique_words\": %zu, \"merges\": %d, "
           "\"vocab_size\": %d, \"seconds\": %.1f}\n", st.bytes, st.words, st.unique_words,
           st.merges, st.vocab_size, (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
    return 0;
}
