/* experiment.h - experiments as data: a spec expanded into jobs, a job's
 * reported result checked and read into a struct, the results of all jobs
 * combined into result.json.
 *
 * This is everything lmntkd needs of an experiment, and all of it is JSON
 * bookkeeping: the library depends on spec/ and util/ only, never on the
 * model math (run/ executes jobs; the daemon does not link it).
 *
 * A job is {"seed": s, "method": m} (plus "model" in a checkpoint sweep),
 * with m one of "kernel:<formula>", "finetune:<index>" or "pretrain"; a
 * sharded kernel is tile jobs and a merge job (lm_experiment_jobs).  A
 * job result is the object lm_run_job returns and a worker reports with
 * `complete`; lm_job_result_parse is the one reader of it, so the daemon's
 * check of a report and the aggregation agree on what a result must hold. */
#ifndef LM_EXPERIMENT_EXPERIMENT_H
#define LM_EXPERIMENT_EXPERIMENT_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "spec/spec.h"
#include "util/error.h"

/* Parses and validates a spec; on failure err reads "field: reason". */
int lm_experiment_spec(const char *spec_json, lm_spec *spec, lm_error *err);

/* The methods of a model experiment in job order: the kernel formulas
 * (when kernels run), then the fine-tuning methods.  A slot is a method's
 * position in that order. */
int lm_experiment_n_methods(const lm_spec *spec);
/* The slot of a method name, -1 when the spec has no such method. */
int lm_experiment_method_slot(const lm_spec *spec, const char *method);
/* The slot's name: "kernel:sgd", "finetune:0". */
void lm_experiment_method_name(const lm_spec *spec, int slot, char *buf, size_t cap);
/* Whether a slot is a kernel formula (else a fine-tuning method). */
int lm_experiment_slot_is_kernel(const lm_spec *spec, int slot);

/* Lists the jobs of a spec: a JSON array of {"seed", "method", "label"
 * [, "model"]}, one per (checkpoint, data seed, method) in that order, or
 * the one "pretrain" job.  Validates the spec; on a bad spec err names the
 * field.  A kernel of `kernel.shards` N > 1 is N tile jobs
 *   {"seed", "method": "kernel:sgd", "label": "K(SGD) tile 2/7",
 *    "tile": {"part": 2, "of": 7}}
 * (all training rows x part 2 of 7 of the evaluation sets' blocks, cut
 * on the worker by lm_kernel_split_sets, so the list does not depend on
 * the data),
 * then one merge job {"seed", "method", "label", "merge": {"tiles": 7},
 * "after": [indices of its tiles]} that assembles the kernel and solves
 * it; its result is the method's.  "after" is the one dependency a queue
 * must honour: a job is not run before every job it names succeeded.
 * "auto" (or no shards) is 1 here. */
int lm_experiment_jobs(const char *spec_json, cJSON **jobs, lm_error *err);
/* The same with "auto" meaning auto_shards (the daemon's cost model,
 * common/admit/shards.h). */
int lm_experiment_jobs_sharded(const char *spec_json, int auto_shards, cJSON **jobs, lm_error *err);
/* The tiles of each kernel job: the spec's shards, or auto_shards for
 * "auto" (1 with a projection, which has no tiles). */
int lm_experiment_kernel_shards(const lm_spec *spec, int auto_shards);

/* A job result, read once.  Pointers borrow from the cJSON tree. */
typedef struct lm_job_result {
    const cJSON *json;              /* the reported object */
    uint32_t seed;
    const char *method;
    const char *model;              /* NULL when the result names none */
    const char *metric;             /* NULL when not reported */
    double seconds;
    /* kernel and fine-tuning jobs */
    const cJSON *point;             /* grid[selected.index] */
    double dev, test;               /* the selected point's metrics */
    int has_zero_shot;
    double zero_shot_dev, zero_shot_test;
    const cJSON *test_predictions;  /* array of class indices; NULL: none */
    const char *optimizer;          /* fine-tuning: "adam", "sgd", "signgd" */
    const cJSON *diagnostics;       /* object; NULL: none */
    double pretrain_step, pretrain_tokens; /* of the model's checkpoint; NAN: not known */
    /* pre-training jobs */
    const cJSON *pretrain;
    /* a kernel's tile job: its part of `of` (0: not a tile).  Its result is
     * intermediate: its merge job's is the method's. */
    int tile_part, tile_of;
    /* where the job sits in the spec (set by the aggregation; -1 until then) */
    int checkpoint, seed_index, slot;
} lm_job_result;

/* Reads and checks the result reported for job: every field the
 * aggregation reads, with its type and range, and that it is this job's
 * (same seed, method and model).  Fields it does not read pass as they
 * are.  On failure `field` gets the path of the offending value
 * ("result.selected.dev") and err the reason. */
int lm_job_result_parse(const cJSON *job, const cJSON *result, lm_job_result *out, char *field,
                        size_t field_len, lm_error *err);

/* lm_job_result_parse as a yes/no check (the daemon's, before it stores a
 * reported result). */
int lm_experiment_check_result(const cJSON *job, const cJSON *result, char *field, size_t field_len,
                               lm_error *err);

/* Combines the job results (same order as the job list) into result.json's
 * object: per method the selected point of each seed, mean and population
 * std over seeds, the fine-tuning diagnostics completed with their kernel
 * partner, the pre-training curve of a sweep.  One pass over the jobs: the
 * cost is linear in their number.  A result that does not parse fails the
 * aggregation with the job and the field named. */
int lm_experiment_aggregate(const char *spec_json, const cJSON *jobs, const cJSON *job_results,
                            cJSON **result, lm_error *err);

/* result.json's "pretraining_curve" of a checkpoint sweep: per checkpoint,
 * in pre-training step order, each method's summary row and the mean and
 * std over seeds of every numeric diagnostic.  summary is result.json's
 * per-checkpoint summary; r[i].checkpoint says whose each result is, and
 * r[i].diagnostics is read as completed by the aggregation. */
cJSON *lm_experiment_curve(const lm_spec *spec, const cJSON *summary, const lm_job_result *r, int n);

#endif
