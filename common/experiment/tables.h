/* tables.h - an experiment's result (lm_experiment_aggregate's JSON) read as the
 * rows of tables: the headline a runs table shows for it, and one flat row
 * per (method, seed) for a spreadsheet.  Pure JSON reading: the daemon
 * computes both when it stores a result, so that listing, sorting and
 * export are queries. */
#ifndef LM_EXPERIMENT_TABLES_H
#define LM_EXPERIMENT_TABLES_H

#include <cjson/cJSON.h>

/* The headline of a result:
 *   {"metric": "acc", "seeds": 5, "model": "<checkpoint>" (sweeps: the one
 *    pre-trained longest),
 *    "kernel": {"method", "label", "dev": {mean, std}, "test": {mean, std}}
 *              the best kernel on dev ("kernel" over formulas, else the one
 *              formula), or null,
 *    "finetune": [{"method", "label", "dev", "test", "verdict"}],
 *    "zero_shot": {mean, std} of the test metric (the kernel row's, else
 *                 the first row's that has one), or null,
 *    "verdict": "kernel" | "not kernel" | "undecided" | "mixed" | null}
 * A fine-tuning method's verdict: "kernel" or "not kernel" when every seed
 * says so, "undecided" when no seed could decide, "mixed" otherwise; the
 * experiment's: its methods' when they agree, else "mixed".  Null for a
 * result without a summary (a pre-training experiment). */
cJSON *lm_experiment_headline(const cJSON *result);

/* The keys of a row, in column order (NULL-terminated). */
extern const char *const lm_experiment_row_keys[];

/* One object per (checkpoint, method, seed) of the summary, with the keys
 * of lm_experiment_row_keys (null where they do not apply): the method and its
 * label, the seed, the dev and test metric of the selected point and its
 * hyper-parameters, the zero-shot metrics, and the fine-tuning
 * diagnostics with their verdict. */
cJSON *lm_experiment_result_rows(const cJSON *result);

#endif
