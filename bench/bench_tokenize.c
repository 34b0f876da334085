/* bench_tokenize.c - tokenizer speed on every distinct text string of the
 * task data (the strings the exactness tests use), single-threaded.
 *
 * usage: bench_tokenize [SHARED_DIR [FIXTURES_DIR]]   (defaults ../shared,
 * tests/fixtures; run from the repository root).  Prints load time and
 * sentences/s, tokens/s and MB/s for RoBERTa BPE and for WordPiece (the
 * test vocabulary bert-mini, uncased). */
#include "util/clock.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../tests/tokenize/data_strings.h"
#include "tokenize/tokenizer.h"
#include "util/file.h"

static void run(const char *name, const char *dir, const tok_strings *data) {
    lm_error err;
    double t0 = lm_now();
    lm_tokenizer *t = lm_tokenizer_load(dir, &err);
    double load = lm_now() - t0;
    if (!t) {
        fprintf(stderr, "%s\n", err.msg);
        return;
    }
    size_t bytes = 0;
    for (size_t i = 0; i < data->n; i++) bytes += data->len[i];
    int32_t *ids = NULL;
    size_t cap = 0, tokens = 0;
    double best = 1e30;
    for (int rep = 0; rep < 3; rep++) {
        tokens = 0;
        t0 = lm_now();
        for (size_t i = 0; i < data->n; i++) {
            size_t n = 0;
            if (lm_tokenize(t, data->s[i], data->len[i], &ids, &n, &cap, &err)) {
                fprintf(stderr, "%s\n", err.msg);
                exit(1);
            }
            tokens += n;
        }
        double dt = lm_now() - t0;
        if (dt < best) best = dt;
    }
    printf("%-10s load %6.1f ms | %zu sentences, %zu tokens, %.1f MB in %.3f s: "
           "%.0f sentences/s, %.2f M tokens/s, %.1f MB/s\n", name, load * 1e3, data->n,
           tokens, bytes / 1e6, best, data->n / best, tokens / best / 1e6, bytes / best / 1e6);
    free(ids);
    lm_tokenizer_free(t);
}

int main(int argc, char **argv) {
    const char *shared = argc > 1 ? argv[1] : "../shared";
    const char *fixtures = argc > 2 ? argv[2] : "tests/fixtures";
    lm_error err;
    tok_strings data;
    if (tok_data_strings(shared, &data, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    char *bpe = lm_path_join(shared, "data/tokenizers/roberta-base");
    char *wp = lm_path_join(fixtures, "tokenize/bert-mini");
    run("bpe", bpe, &data);
    run("wordpiece", wp, &data);
    free(bpe);
    free(wp);
    tok_strings_free(&data);
    return 0;
}
