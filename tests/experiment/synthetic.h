/* synthetic.h - a large checkpoint sweep for the aggregation's test and
 * benchmark: its spec, its job list (lm_experiment_jobs) and a result for
 * every job, each a copy of a real result (a kernel job's or a fine-tuning
 * job's, from tests/fixtures/experiment) made that job's: its seed, method
 * and model, a pre-training step by checkpoint, a dev metric that varies. */
#ifndef LM_TESTS_SYNTHETIC_H
#define LM_TESTS_SYNTHETIC_H

#include <cjson/cJSON.h>

/* checkpoints x seeds x (3 formulas + n_finetune methods; finetune:0 is
 * Adam, the others SGD) jobs.  Returns 0, or -1 with a message on stderr. */
int synthetic_sweep(int checkpoints, int seeds, int n_finetune, const cJSON *kernel_result,
                    const cJSON *finetune_result, char **spec, cJSON **jobs, cJSON **results);

#endif
