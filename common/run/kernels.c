/* kernels.c - cached kernels and their export. */
#include "run/kernels.h"
#include "run/artifacts.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/npy.h"
#include "util/file.h"

/* Bump when the numbers a cached entry holds would change (v2: the
 * canonical block grid of common/kernel/DESIGN.md; the block size, which
 * moves sgd's last bits, is in the key). */
#define KERNEL_CACHE_VERSION "lmntk-kernel-v2"

void lm_encoded_split_digest(const lm_encoded_split *s, char hex[LM_SHA256_HEX_LEN + 1]) {
    lm_sha256_ctx c;
    lm_sha256_init(&c);
    int32_t n = s->n;
    lm_sha256_update(&c, &n, sizeof n);
    for (int i = 0; i < s->n; i++) {
        const lm_encoded_example *e = &s->ex[i];
        int32_t hdr[2] = {e->n_tokens, e->mask_pos};
        lm_sha256_update(&c, hdr, sizeof hdr);
        lm_sha256_update(&c, e->ids, (size_t)e->n_tokens * sizeof *e->ids);
        if (e->type_ids) lm_sha256_update(&c, e->type_ids, (size_t)e->n_tokens * sizeof *e->type_ids);
    }
    uint8_t d[LM_SHA256_LEN];
    lm_sha256_final(&c, d);
    lm_hex(d, sizeof d, hex);
}

int lm_kernel_request_describe_output(const lm_kernel_request *rq, char *desc, size_t cap) {
    int n = snprintf(desc, cap, "model=%s|tied=%d|head=%d|binary=%d|out=", rq->model_digest, rq->model->tied,
                     rq->os.head, rq->os.binary);
    for (int j = 0; j < rq->os.n_out && n < (int)cap - 16; j++)
        n += snprintf(desc + n, cap - n, "%d,", rq->os.vocab ? rq->os.vocab[j] : j);
    return n;
}

void lm_kernel_request_describe(const lm_kernel_request *rq, const char *train_d, const char *x_d, char *desc,
                                size_t cap) {
    int n = snprintf(desc, cap, "%s|", KERNEL_CACHE_VERSION);
    n += lm_kernel_request_describe_output(rq, desc + n, cap - n);
    char lora[LM_SHA256_HEX_LEN + 1] = "-";
    const lm_kernel_lora *L = rq->opt.params == LM_PS_LORA ? rq->opt.lora : NULL;
    if (L) { /* the factors' values, scale and targets */
        lm_sha256_ctx c;
        lm_sha256_init(&c);
        lm_sha256_update(&c, &L->r, sizeof L->r);
        lm_sha256_update(&c, &L->scale, sizeof L->scale);
        for (int j = 0; j < L->n; j++) {
            const lm_param_tensor *t = &rq->model->tensors[L->tensor[j]];
            lm_sha256_update(&c, &L->tensor[j], sizeof L->tensor[j]);
            lm_sha256_update(&c, L->A[j], (size_t)L->r * t->cols * sizeof(float));
            lm_sha256_update(&c, L->B[j], (size_t)t->rows * L->r * sizeof(float));
        }
        uint8_t d[LM_SHA256_LEN];
        lm_sha256_final(&c, d);
        lm_hex(d, sizeof d, lora);
    }
    n += snprintf(desc + n, cap - n, "|formula=%s|params=%s|lora=%s|projection=%d:%llu|blocks=%d|train=%s|x=%s",
                  lm_kernel_formula_name(rq->opt.formula), lm_param_set_name(rq->opt.params), lora,
                  rq->opt.projection_dim, (unsigned long long)rq->opt.projection_seed,
                  lm_kernel_block_tokens(rq->model, &rq->os, &rq->opt), train_d, x_d);
}

static void entry_key(const lm_kernel_request *rq, const char *train_d, const char *x_d,
                      char key[LM_CACHE_KEY_LEN + 1]) {
    char desc[2048];
    lm_kernel_request_describe(rq, train_d, x_d, desc, sizeof desc);
    lm_cache_key(desc, key);
}

/* Payload: int32 {n_train, dim, n_x, asym}, K, K_flip (asym), f0_x, f0_train. */
static void *pack(const lm_kernel_result *r, int set, size_t *len) {
    int asym = r->K_flip != NULL;
    size_t cells = (size_t)r->n_train * r->dim * r->n_x[set] * r->dim;
    size_t fx = (size_t)r->n_x[set] * r->dim, ft = (size_t)r->n_train * r->dim;
    *len = 16 + cells * 8 * (asym ? 2 : 1) + (fx + ft) * 4;
    char *p = lm_xmalloc(*len), *q = p;
    int32_t hdr[4] = {r->n_train, r->dim, r->n_x[set], asym};
    memcpy(q, hdr, 16), q += 16;
    memcpy(q, r->K[set], cells * 8), q += cells * 8;
    if (asym) memcpy(q, r->K_flip[set], cells * 8), q += cells * 8;
    memcpy(q, r->f0[set], fx * 4), q += fx * 4;
    memcpy(q, r->f0_train, ft * 4);
    return p;
}

static int unpack(const void *data, size_t len, lm_kernel_result *r, int set, int want_asym) {
    const char *q = data;
    int32_t hdr[4];
    if (len < 16) return -1;
    memcpy(hdr, q, 16), q += 16;
    size_t cells = (size_t)hdr[0] * hdr[1] * hdr[2] * hdr[1];
    size_t fx = (size_t)hdr[2] * hdr[1], ft = (size_t)hdr[0] * hdr[1];
    if (hdr[3] != want_asym || hdr[0] != r->n_train || hdr[1] != r->dim || hdr[2] != r->n_x[set] ||
        len != 16 + cells * 8 * (want_asym ? 2 : 1) + (fx + ft) * 4)
        return -1;
    r->K[set] = lm_xmalloc(cells * 8 + 8);
    memcpy(r->K[set], q, cells * 8), q += cells * 8;
    if (want_asym) {
        r->K_flip[set] = lm_xmalloc(cells * 8 + 8);
        memcpy(r->K_flip[set], q, cells * 8), q += cells * 8;
    }
    r->f0[set] = lm_xmalloc(fx * 4 + 4);
    memcpy(r->f0[set], q, fx * 4), q += fx * 4;
    if (!r->f0_train) {
        r->f0_train = lm_xmalloc(ft * 4 + 4);
        memcpy(r->f0_train, q, ft * 4);
    }
    return 0;
}

static lm_example_set as_set(const lm_encoded_split *s) { return (lm_example_set){s->n, s->ex}; }

int lm_kernels_cached(lm_cache *cache, const lm_kernel_request *rq, lm_kernel_result *out,
                      lm_kernel_cache_stats *stats, lm_error *err) {
    int S = rq->n_sets, asym = rq->opt.formula == LM_KF_ASYM, rc = -1;
    memset(out, 0, sizeof *out);
    if (stats) memset(stats, 0, sizeof *stats);
    out->n_train = rq->train->n;
    out->n_sets = S;
    out->dim = lm_output_dim(&rq->os);
    out->n_x = lm_xcalloc((size_t)S + 1, sizeof *out->n_x);
    out->K = lm_xcalloc((size_t)S + 1, sizeof *out->K);
    out->K_flip = asym ? lm_xcalloc((size_t)S + 1, sizeof *out->K_flip) : NULL;
    out->f0 = lm_xcalloc((size_t)S + 1, sizeof *out->f0);
    char train_d[LM_SHA256_HEX_LEN + 1], (*keys)[LM_CACHE_KEY_LEN + 1] = lm_xcalloc((size_t)S + 1, sizeof *keys);
    lm_cache_keylock *locks = lm_xcalloc((size_t)S + 1, sizeof *locks);
    int *missing = lm_xcalloc((size_t)S + 1, sizeof *missing), n_missing = 0;
    for (int s = 0; s < S; s++) locks[s].fd = -1;
    lm_encoded_split_digest(rq->train, train_d);
    for (int s = 0; s < S; s++) {
        char xd[LM_SHA256_HEX_LEN + 1];
        out->n_x[s] = rq->sets[s]->n;
        lm_encoded_split_digest(rq->sets[s], xd);
        entry_key(rq, train_d, xd, keys[s]);
        void *data = NULL;
        size_t len = 0;
        int got = 0;
        if (cache) {
            /* The cache's troubles are warnings it logs itself, never the
             * job's error: any -1 is a miss (store/cache.h). */
            lm_error cerr;
            got = lm_cache_get_or_lock(cache, keys[s], "kernel", &data, &len, &locks[s], &cerr);
        }
        if (got == 1 && unpack(data, len, out, s, asym) == 0) {
            if (stats) stats->hits++;
        } else {
            missing[n_missing++] = s;
            if (stats) stats->misses++;
        }
        free(data);
    }
    if (n_missing > 0) {
        lm_example_set train = as_set(rq->train);
        lm_example_set *sets = lm_xcalloc((size_t)n_missing, sizeof *sets);
        for (int i = 0; i < n_missing; i++) sets[i] = as_set(rq->sets[missing[i]]);
        lm_kernel_result part;
        int crc = lm_kernel_compute(rq->model, &rq->os, &rq->opt, &train, sets, n_missing, &part, err);
        free(sets);
        if (crc) goto done;
        out->flops = part.flops;
        out->peak_bytes = part.peak_bytes;
        out->projection_rel_error = part.projection_rel_error;
        if (!out->f0_train) {
            out->f0_train = part.f0_train;
            part.f0_train = NULL;
        }
        for (int i = 0; i < n_missing; i++) {
            int s = missing[i];
            out->K[s] = part.K[i], part.K[i] = NULL;
            if (asym) out->K_flip[s] = part.K_flip[i], part.K_flip[i] = NULL;
            out->f0[s] = part.f0[i], part.f0[i] = NULL;
            if (cache) { /* a failed put is logged by the cache; the job goes on */
                size_t len;
                lm_error cerr;
                void *payload = pack(out, s, &len);
                lm_cache_put(cache, keys[s], "kernel", payload, len, &cerr);
                free(payload);
            }
        }
        lm_kernel_result_free(&part);
    }
    rc = 0;
done:
    for (int s = 0; s < S; s++) lm_cache_unlock(&locks[s]);
    free(locks);
    free(keys);
    free(missing);
    if (rc) lm_kernel_result_free(out);
    return rc;
}

static double *stack_flip(const double *k, const double *kf, size_t cells) {
    double *st = lm_xmalloc(2 * cells * sizeof(double));
    memcpy(st, k, cells * sizeof(double));
    memcpy(st + cells, kf, cells * sizeof(double));
    return st;
}

int lm_kernels_export(const char *dir, const char *prefix, const lm_kernel_result *res,
                      const char *const *set_names, cJSON *manifest, lm_error *err) {
    if (lm_mkdirs(dir, err)) return -1;
    char name[512];
    int D = res->dim, N = res->n_train;
    for (int s = 0; s < res->n_sets; s++) {
        int M = res->n_x[s], asym = res->K_flip != NULL;
        size_t cells = (size_t)N * D * M * D;
        int64_t shape[5] = {2, N, D, M, D};
        snprintf(name, sizeof name, "%skernel-%s.npy", prefix, set_names[s]);
        double *st = asym ? stack_flip(res->K[s], res->K_flip[s], cells) : NULL;
        int rc = lm_run_npy_artifact(dir, name, asym ? "kernel [K, K_flip] x [train, C, X, C]"
                                                     : "kernel [train, C, X, C]",
                                     LM_NPY_F8, asym ? 5 : 4, asym ? shape : shape + 1,
                                     asym ? st : res->K[s], manifest, err);
        free(st);
        if (rc) return -1;
        int64_t fs[2] = {M, D};
        snprintf(name, sizeof name, "%sf0-%s.npy", prefix, set_names[s]);
        if (lm_run_npy_artifact(dir, name, "pre-trained outputs f0 [X, C]", LM_NPY_F4, 2, fs, res->f0[s],
                                manifest, err))
            return -1;
    }
    return 0;
}
