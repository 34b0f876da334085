/* kernels.h - eNTK kernels through the cache, and their export as .npy.
 *
 * One cache entry per (training split, evaluation split) pair holds the
 * kernel (and flipped kernel), f0 of both splits.  Its key hashes everything
 * the numbers depend on: the model file's digest and decoder layout, the
 * output (head, label-word ids, binary), the formula, the parameter set and
 * the exact token sequences of both splits (labels are not inputs).  So a
 * second run on the same model and split hits, and adding evaluation
 * examples leaves the train x train and train x dev entries valid. */
#ifndef LM_RUN_KERNELS_H
#define LM_RUN_KERNELS_H

#include "kernel/kernel.h"
#include "store/cache.h"
#include <cjson/cJSON.h>

typedef struct lm_kernel_request {
    const lm_model *model;
    const char *model_digest;     /* hex SHA-256 of model.safetensors */
    lm_output_spec os;
    lm_kernel_options opt;
    const lm_encoded_split *train;
    int n_sets;
    const lm_encoded_split *const *sets; /* [n_sets] evaluation splits */
} lm_kernel_request;

typedef struct lm_kernel_cache_stats {
    int hits, misses;
} lm_kernel_cache_stats;

/* Kernels of every set through the cache (NULL: no cache), computing the
 * missing ones in one pass.  Locks the missing keys so that workers sharing
 * the cache compute each once. */
int lm_kernels_cached(lm_cache *cache, const lm_kernel_request *rq, lm_kernel_result *out,
                      lm_kernel_cache_stats *stats, lm_error *err);

/* Writes <dir>/<prefix>kernel-<name>.npy ([N,C,M,C] float64; asymmetric:
 * [2,N,C,M,C] with the flipped kernel at [1]), <prefix>f0-<name>.npy ([M,C]
 * float32) and f0 of the training split, and adds their descriptions to a
 * manifest array (may be NULL). */
int lm_kernels_export(const char *dir, const char *prefix, const lm_kernel_result *res,
                      const char *const *set_names, cJSON *manifest, lm_error *err);

/* What a kernel cache entry's key hashes: the version, the output
 * (lm_kernel_request_describe_output: model digest, decoder layout, head,
 * binary, label-word ids), formula, parameter set and LoRA factors,
 * projection, block size, and the digests of the training and evaluation
 * splits.  Tiles and training features are keyed from the same words. */
void lm_kernel_request_describe(const lm_kernel_request *rq, const char *train_digest, const char *x_digest,
                                char *desc, size_t cap);
int lm_kernel_request_describe_output(const lm_kernel_request *rq, char *desc, size_t cap);

/* Hex SHA-256 of a split's token sequences (ids, types, mask positions). */
void lm_encoded_split_digest(const lm_encoded_split *s, char hex[LM_SHA256_HEX_LEN + 1]);

#endif
