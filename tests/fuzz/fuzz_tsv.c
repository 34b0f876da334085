/* fuzz_tsv.c - tab-separated dataset files (common/prompt: rows_tsv.c, the
 * GLUE reader dataset_tsv.c, a custom task's <split>.tsv in
 * dataset_custom.c).
 *
 * Input: one byte picking the task (SST-2, MNLI, QQP, RTE, or a custom task
 * with a header line), then the file.  Checks: fuzz_dataset.h. */
#include <stdint.h>
#include <stdlib.h>
#include "fuzz_dataset.h"

static lm_task *tasks[5];

static void load_once(void) {
    if (tasks[0]) return;
    static const char *const names[4] = {"SST-2", "MNLI", "QQP", "RTE"};
    lm_error err;
    for (int i = 0; i < 4; i++)
        if (!(tasks[i] = lm_task_builtin(names[i], &err))) abort();
    static const char *const labels[3] = {"neg", "pos", "0"};
    if (!(tasks[4] = lm_task_custom("custom", labels, 3, NULL, NULL, 0, &err))) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    load_once();
    fuzz_read_dataset(tasks[data[0] % 5], "train.tsv", data + 1, size - 1);
    return 0;
}
