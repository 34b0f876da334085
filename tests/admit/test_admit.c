/* test_memory.c - run/memory (a job's least memory from spec and config)
 * and admit/data (a spec's data paths against the data root). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../check.h"
#include "model/shape.h"
#include "model/model.h"
#include "admit/data.h"
#include "admit/memory.h"
#include "util/file.h"

static const lm_config cfg = {.arch = LM_ARCH_ROBERTA, .vocab_size = 1000, .hidden = 32, .n_layers = 2,
                              .n_heads = 2, .intermediate = 64, .max_positions = 130,
                              .type_vocab_size = 1, .pad_token_id = 1, .ln_eps = 1e-5f,
                              .act = LM_ACT_GELU, .tie_word_embeddings = 1};

static int parse(const char *json, lm_spec *s) {
    char field[128];
    lm_error err;
    int rc = lm_spec_parse(json, strlen(json), s, field, sizeof field, &err);
    CHECK_MSG(rc == 0, "%s: %s", field, err.msg);
    return rc;
}

static lm_job_memory estimate(const char *json, const char *method) {
    lm_spec s;
    lm_job_memory m;
    memset(&m, 0, sizeof m);
    lm_error err;
    if (parse(json, &s) == 0) CHECK_MSG(lm_admit_job_memory(&s, method, &cfg, &m, &err) == 0, "%s", err.msg);
    lm_spec_free(&s);
    return m;
}

static void test_memory(void) {
    /* the parameter count is the loader's: the same layout, nothing allocated */
    lm_load_options sep = {.decoder = LM_DECODER_SEPARATE};
    lm_model m;
    lm_model_init_empty(&m, &cfg, &sep);
    size_t P = m.n_params;
    lm_model_free(&m);
    CHECK(lm_model_n_params(&cfg, &sep) == P);

    const char *base = "{\"task\":\"SST-2\",\"data\":\"d\",\"model\":\"m\",\"seeds\":[13]";
    char spec[512];
    snprintf(spec, sizeof spec, "%s}", base);
    lm_job_memory k = estimate(spec, "kernel:sgd");
    CHECK(k.weights == 4 * P && k.projection == 0 && k.state == 0);
    /* SST-2: 2 classes, 16 per class, 128 tokens at most */
    CHECK(k.kernels == (uint64_t)32 * 2 * 32 * 2 * 8);
    CHECK(k.activations == (lm_encoder_bytes_per_token(&cfg, 2, 1) + 4 * 32 * 2 * 4) * 128);
    CHECK(k.total == k.weights + k.activations + k.kernels && !strcmp(k.field, "model"));

    snprintf(spec, sizeof spec, "%s,\"kernel\":{\"formula\":[\"sgd\",\"asymmetric_signgd\"],"
                                "\"projection\":{\"dim\":1000000}}}", base);
    lm_job_memory p = estimate(spec, "kernel:sgd"), a = estimate(spec, "kernel:asymmetric_signgd");
    CHECK(p.projection == (uint64_t)1000000 * 8 * 2 * (32 + 32));
    CHECK(a.projection == 2 * p.projection && a.kernels == 2 * p.kernels);
    CHECK(!strcmp(p.field, "kernel.projection.dim"));
    snprintf(spec, sizeof spec, "%s,\"max_length\":64,\"binary\":true}", base);
    lm_job_memory b = estimate(spec, "kernel:sgd");
    CHECK(b.activations == (lm_encoder_bytes_per_token(&cfg, 1, 1) + 4 * 32 * 4) * 64);

    snprintf(spec, sizeof spec, "%s,\"finetune\":[{\"lr\":[1e-3],\"batch_size\":[4,64]},"
                                "{\"optimizer\":\"sgd\",\"lr\":1e-3,\"linearized\":true}]}", base);
    lm_job_memory adam = estimate(spec, "finetune:0"), sgd = estimate(spec, "finetune:1");
    CHECK(adam.state == 4 * (3 * P + 2 * P));
    CHECK(adam.activations == lm_encoder_bytes_per_token(&cfg, 1, 0) * 64 * 128); /* the largest batch */
    CHECK(sgd.state == 4 * 4 * P && sgd.activations == lm_encoder_bytes_per_token(&cfg, 1, 0) * 8 * 128);
    CHECK(!strcmp(adam.field, "finetune[0].batch_size"));
    snprintf(spec, sizeof spec, "%s,\"prompt\":false,\"finetune\":[{\"lr\":1e-3}]}", base);
    lm_load_options cls = {.decoder = LM_DECODER_SEPARATE, .n_classes = 2};
    CHECK(estimate(spec, "finetune:0").weights == 4 * lm_model_n_params(&cfg, &cls));

    lm_job_memory pre = estimate("{\"pretrain\":{\"tokenizer\":\"t\",\"corpus\":[\"c.txt\"],\"out\":\"r\","
                                 "\"batch\":4,\"block\":64}}", "pretrain");
    size_t Pt = lm_model_n_params(&cfg, NULL);
    CHECK(pre.weights == 4 * Pt && pre.state == 12 * Pt);
    CHECK(pre.activations > lm_encoder_bytes_per_token(&cfg, 1, 0) * 4 * 64);

    lm_spec s;
    lm_job_memory out;
    lm_error err;
    if (parse(spec, &s) == 0) {
        CHECK(lm_admit_job_memory(&s, "kernel:signgd", &cfg, &out, &err) != 0);
        CHECK(lm_admit_job_memory(&s, "finetune:7", &cfg, &out, &err) != 0 && strstr(err.msg, "finetune:7"));
        CHECK(lm_admit_job_memory(&s, "pretrain", &cfg, &out, &err) != 0);
    }
    lm_spec_free(&s);
}

static int admitted(const char *json, const char *root, char *field) {
    lm_spec s;
    lm_error err;
    int rc = -1;
    if (parse(json, &s) == 0) rc = lm_admit_check_data(&s, root, field, 64, &err);
    lm_spec_free(&s);
    return rc == 0;
}

static void test_admit(void) {
    char root[] = "/tmp/lmntk-test-admit-XXXXXX";
    CHECK(mkdtemp(root) != NULL);
    lm_error err;
    char *d13 = lm_path_join(root, "k-shot/SST-2/16-13"), *d21 = lm_path_join(root, "k-shot/SST-2/16-21");
    char *corpus = lm_path_join(root, "corpus.txt");
    CHECK(lm_mkdirs(d13, &err) == 0 && lm_mkdirs(d21, &err) == 0);
    CHECK(lm_write_file_atomic(corpus, "a\n", 2, &err) == 0);
    char field[64];
    CHECK(admitted("{\"task\":\"SST-2\",\"data\":\"k-shot/SST-2\",\"seeds\":[13,21]}", root, field));
    CHECK(!admitted("{\"task\":\"SST-2\",\"data\":\"k-shot/SST-2\",\"seeds\":[13,42]}", root, field) &&
          !strcmp(field, "data"));                                         /* no 16-42 */
    CHECK(!admitted("{\"task\":\"SST-2\",\"data\":\"k-shot/SST-2\",\"k\":8,\"seeds\":[13]}", root, field));
    CHECK(!admitted("{\"task\":\"SST-2\",\"data\":\"k-shot/RTE\",\"seeds\":[13]}", root, field));
    CHECK(!admitted("{\"task\":\"SST-2\",\"data\":\"/etc\",\"seeds\":[13]}", root, field));
    CHECK(!admitted("{\"task\":\"SST-2\",\"data\":\"/etc\",\"seeds\":[13]}", NULL, field) &&
          !strcmp(field, "data"));                                         /* the form, without a root */
    CHECK(!admitted("{\"task\":\"SST-2\",\"data\":\"k-shot/../..\",\"seeds\":[13]}", NULL, field));
    CHECK(admitted("{\"task\":\"SST-2\",\"data\":\"anything\",\"seeds\":[13]}", NULL, field));
    CHECK(admitted("{\"pretrain\":{\"tokenizer\":\"t\",\"corpus\":[\"corpus.txt\"],\"out\":\"r\"}}", root, field));
    CHECK(!admitted("{\"pretrain\":{\"tokenizer\":\"t\",\"corpus\":[\"corpus.txt\",\"nope.txt\"],\"out\":\"r\"}}",
                    root, field) && !strcmp(field, "pretrain.corpus[1]"));
    CHECK(!admitted("{\"pretrain\":{\"tokenizer\":\"t\",\"corpus\":[\"k-shot\"],\"out\":\"r\"}}", root, field));
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    CHECK(system(cmd) == 0);
    free(d13); free(d21); free(corpus);
}

int main(void) {
    test_memory();
    test_admit();
    return check_exit("test_memory");
}
