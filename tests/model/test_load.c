/* test_load.c - model folders that are broken in every way a user meets:
 * each gives an error naming the tensor, key or byte offset, never a crash
 * or a silent default.  Also F16/BF16 conversion and the decoder layouts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../check.h"
#include "model/model.h"
#include "model/safetensors.h"
#include "util/file.h"

static char dir[64];

static void write_text(const char *name, const char *text) {
    char *p = lm_path_join(dir, name);
    lm_error err;
    CHECK(lm_write_file_atomic(p, text, strlen(text), &err) == 0);
    free(p);
}

static void write_bytes(const char *name, const void *data, size_t n) {
    char *p = lm_path_join(dir, name);
    lm_error err;
    CHECK(lm_write_file_atomic(p, data, n, &err) == 0);
    free(p);
}

/* Expects lm_model_load to fail with a message containing `want`. */
static void expect_fail(const char *want) {
    lm_model m;
    lm_error err = {{0}};
    int rc = lm_model_load(dir, NULL, &m, &err);
    CHECK_MSG(rc != 0, "loaded although %s", want);
    if (rc == 0) lm_model_free(&m);
    else CHECK_MSG(strstr(err.msg, want) != NULL, "error \"%s\" does not mention \"%s\"", err.msg, want);
}

static const char *CONFIG =
    "{\"model_type\": \"roberta\", \"vocab_size\": 10, \"hidden_size\": 4, \"num_hidden_layers\": 1,"
    " \"num_attention_heads\": 2, \"intermediate_size\": 8, \"max_position_embeddings\": 6,"
    " \"type_vocab_size\": 1, \"pad_token_id\": 1, \"layer_norm_eps\": 1e-5, \"tie_word_embeddings\": %s}";

/* A complete small model saved by lmntk, then loaded back. */
static void save_valid(int tied) {
    char cfg_text[512];
    snprintf(cfg_text, sizeof cfg_text, CONFIG, tied ? "true" : "false");
    lm_config cfg;
    lm_error err;
    CHECK(lm_config_parse(cfg_text, "test", &cfg, &err) == 0);
    lm_model m;
    lm_model_init_empty(&m, &cfg, NULL);
    lm_model_init_random(&m, 3, 0.5f);
    CHECK_MSG(lm_model_save(&m, dir, &err) == 0, "%s", err.msg);
    lm_model_free(&m);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/lmntk-test-load-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    lm_error err;

    /* round trip, untied and tied; decoder as its own block on request */
    save_valid(0);
    lm_model m;
    CHECK(lm_model_load(dir, NULL, &m, &err) == 0);
    CHECK(!m.tied && m.w.decoder_w != m.w.word_emb);
    lm_model_free(&m);
    save_valid(1);
    CHECK(lm_model_load(dir, NULL, &m, &err) == 0);
    CHECK(m.tied && m.w.decoder_w == m.w.word_emb);
    lm_model_free(&m);
    lm_load_options sep = {.decoder = LM_DECODER_SEPARATE};
    CHECK(lm_model_load(dir, &sep, &m, &err) == 0);
    CHECK(!m.tied && m.w.decoder_w != m.w.word_emb &&
          memcmp(m.w.decoder_w, m.w.word_emb, 10 * 4 * sizeof(float)) == 0);
    lm_model_free(&m);

    /* sinusoidal position rows: sin/cos of p * 10000^(-2i/H), RMS std */
    {
        lm_config cfg;
        char cfg_text[512];
        snprintf(cfg_text, sizeof cfg_text, CONFIG, "true");
        CHECK(lm_config_parse(cfg_text, "test", &cfg, &err) == 0);
        lm_model_init_empty(&m, &cfg, NULL);
        lm_model_init_random(&m, 3, 0.5f);
        float word0 = m.w.word_emb[5];
        lm_model_init_positions_sinusoidal(&m, 0.5f);
        const float *pe = m.w.pos_emb;
        float a = 0.5f * sqrtf(2.0f);
        CHECK_CLOSE(pe[0 * 4 + 0], 0.0, 0, 1e-7);
        CHECK_CLOSE(pe[0 * 4 + 1], a, 0, 1e-6);
        CHECK_CLOSE(pe[3 * 4 + 0], a * sin(3.0), 0, 1e-6);
        CHECK_CLOSE(pe[3 * 4 + 1], a * cos(3.0), 0, 1e-6);
        CHECK_CLOSE(pe[5 * 4 + 2], a * sin(5.0 / 100.0), 0, 1e-6);   /* 10000^(-2/4) = 1/100 */
        CHECK_CLOSE(pe[5 * 4 + 3], a * cos(5.0 / 100.0), 0, 1e-6);
        CHECK(m.w.word_emb[5] == word0);                           /* only the positions change */
        lm_model_free(&m);
    }

    /* config errors name the key */
    save_valid(0);
    write_text("config.json", "{\"model_type\": \"roberta\", \"vocab_size\": 10}");
    expect_fail("hidden_size");
    write_text("config.json", "{\"model_type\": \"gpt2\"}");
    expect_fail("gpt2");
    write_text("config.json", "not json");
    expect_fail("not a JSON object");
    /* RoBERTa's default pad_token_id 1 does not fit a vocabulary of 1 */
    write_text("config.json", "{\"model_type\": \"roberta\", \"vocab_size\": 1, \"hidden_size\": 4,"
               " \"num_hidden_layers\": 1, \"num_attention_heads\": 2, \"intermediate_size\": 8,"
               " \"max_position_embeddings\": 6}");
    expect_fail("\"pad_token_id\" is missing and its default 1 is outside [0, 0]");
    char cfg_text[512];
    snprintf(cfg_text, sizeof cfg_text, CONFIG, "false");
    char *bad = lm_xstrdup(cfg_text);
    char *h = strstr(bad, "\"num_attention_heads\": 2");
    memcpy(h, "\"num_attention_heads\": 3", 24);
    write_text("config.json", bad);
    expect_fail("not a multiple");
    free(bad);
    write_text("config.json", cfg_text);

    /* safetensors errors name the tensor or the offset */
    char *stp = lm_path_join(dir, "model.safetensors");
    size_t n;
    char *st = lm_read_file(stp, &n, &err);
    write_bytes("model.safetensors", st, 5);
    expect_fail("too short");
    write_bytes("model.safetensors", st, n - 10); /* header whole, data cut */
    expect_fail("data area");
    unsigned char big[16] = {0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0};
    write_bytes("model.safetensors", big, sizeof big);
    expect_fail("header length");
    char *mal = lm_xmalloc(n);
    memcpy(mal, st, n);
    mal[8] = '[';
    write_bytes("model.safetensors", mal, n);
    expect_fail("malformed JSON header");
    free(mal);

    /* a wrong shape (config says vocab 11) and a missing tensor */
    write_bytes("model.safetensors", st, n);
    char *v11 = lm_xstrdup(cfg_text);
    memcpy(strstr(v11, "\"vocab_size\": 10"), "\"vocab_size\": 11", 16);
    write_text("config.json", v11);
    expect_fail("word_embeddings.weight\" has shape [10,4]; config.json implies [11,4]");
    free(v11);
    write_text("config.json", cfg_text);
    lm_st_file f;
    CHECK(lm_st_open(stp, &f, &err) == 0);
    lm_st_out_tensor out[64];
    float *bufs[64];
    int k = 0;
    for (int i = 0; i < f.n_tensors && k < 64; i++) {
        const lm_st_tensor *t = &f.tensors[i];
        if (strstr(t->name, "attention.self.value.bias")) continue; /* drop one */
        bufs[k] = lm_xmalloc((size_t)lm_st_numel(t) * sizeof(float) + 4);
        lm_st_read_f32(&f, t, bufs[k], &err);
        out[k] = (lm_st_out_tensor){.name = t->name, .data = bufs[k], .ndim = t->ndim};
        for (int d = 0; d < t->ndim; d++) out[k].shape[d] = t->shape[d];
        k++;
    }
    CHECK(lm_st_write(stp, out, k, &err) == 0);
    expect_fail("missing tensor \"roberta.encoder.layer.0.attention.self.value.bias\"");
    for (int i = 0; i < k; i++) free(bufs[i]);
    lm_st_close(&f);

    /* F16 and BF16 values convert exactly */
    unsigned char hdr16[200];
    const char *js = "{\"a\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,6]},"
                     "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[6,10]}}";
    size_t jl = strlen(js);
    memset(hdr16, 0, sizeof hdr16);
    hdr16[0] = (unsigned char)jl;
    memcpy(hdr16 + 8, js, jl);
    unsigned char vals[10] = {0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00,  /* 1.0, -2.0, 2^-24 */
                              0x80, 0x3f, 0x40, 0xc0};             /* 1.0, -3.0 */
    memcpy(hdr16 + 8 + jl, vals, 10);
    write_bytes("h.safetensors", hdr16, 8 + jl + 10);
    char *hp = lm_path_join(dir, "h.safetensors");
    CHECK(lm_st_open(hp, &f, &err) == 0);
    float a[3], b[2];
    CHECK(lm_st_read_f32(&f, lm_st_find(&f, "a"), a, &err) == 0);
    CHECK(lm_st_read_f32(&f, lm_st_find(&f, "b"), b, &err) == 0);
    CHECK(a[0] == 1.0f && a[1] == -2.0f && a[2] == 0x1p-24f);
    CHECK(b[0] == 1.0f && b[1] == -3.0f);
    lm_st_close(&f);
    /* data_offsets that are not whole numbers (they read as 0 and were cut
     * to whole bytes) */
    const char *bad_off[2] = {"{\"a\":{\"dtype\":\"F16\",\"shape\":[0],\"data_offsets\":[\"0\",\"x\"]}}",
                              "{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0.5,4.5]}}"};
    for (int i = 0; i < 2; i++) {
        jl = strlen(bad_off[i]);
        memset(hdr16, 0, sizeof hdr16);
        hdr16[0] = (unsigned char)jl;
        memcpy(hdr16 + 8, bad_off[i], jl);
        write_bytes("h.safetensors", hdr16, 8 + jl + 10);
        lm_error e2 = {{0}};
        CHECK(lm_st_open(hp, &f, &e2) != 0 && strstr(e2.msg, "data_offsets must be two whole numbers"));
    }
    free(hp);
    free(st);
    free(stp);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    return check_exit("test_load");
}
