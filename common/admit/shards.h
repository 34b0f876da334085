/* shards.h - how many tiles each kernel of an experiment is split into when
 * its spec leaves `kernel.shards` "auto": the daemon decides at submit
 * (lm_experiment_jobs_sharded) from a cost model of one kernel job and the
 * number of live workers, without loading the model or reading the data.
 *
 * The cost model (common/kernel/DESIGN.md, "Cost"), with P the encoder's
 * dense parameters from config.json (L (4 H^2 + 2 H I)), R outputs per
 * example (1 in binary mode, else the classes), T tokens of all examples
 * (train, dev and test; the training set is an evaluation set too), N_T
 * training and N_X evaluation examples:
 *
 *   flops   = 2 P (1 + R) T               forward and backward of every output
 *           + 2 P (N_T R) (N_X R)         the products of gradient pairs
 *   seconds = flops / (LM_SHARD_WORKER_GFLOPS 1e9)
 *   shards  = min(floor(seconds / LM_SHARD_MIN_SECONDS), live workers,
 *                 LM_SHARD_MAX), at least 1
 *
 * so a tile holds at least a minute of work (the model load, the training
 * features and the upload of a tile stay small beside it), there are no
 * more tiles than workers to run them, and one worker (or none alive yet)
 * gets the unsharded job.  T is the size of the first seed's split files
 * in bytes over 4 (about 4 bytes of English text per BPE token), N_T is k
 * examples per class and N_X is T over the mean tokens of a training
 * example; without a data root, 1000 test examples of 40 tokens are
 * assumed.  The roberta-base SST-2 16-shot sgd job comes out at about 3e13
 * FLOPs, 300 s: 5 tiles when 5 or more workers are alive
 * (bench/README.md compares the model with measured times). */
#ifndef LM_ADMIT_SHARDS_H
#define LM_ADMIT_SHARDS_H

#include "model/config.h"
#include "spec/spec.h"

#define LM_SHARD_WORKER_GFLOPS 100.0
#define LM_SHARD_MIN_SECONDS 60.0
#define LM_SHARD_MAX 64

typedef struct lm_shard_estimate {
    double tokens;           /* T */
    double train_examples;   /* N_T */
    double eval_examples;    /* N_X (train, dev and test) */
    double flops;
    double seconds;
    int shards;
} lm_shard_estimate;

/* split_dir: the first seed's k-shot folder (its files' sizes are read,
 * never their contents), or NULL when it cannot be known. */
void lm_admit_shards(const lm_spec *spec, const lm_config *cfg, const char *split_dir, int live_workers,
                     lm_shard_estimate *out);

#endif
