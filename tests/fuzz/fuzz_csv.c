/* fuzz_csv.c - comma-separated dataset files as pandas reads them
 * (common/prompt: rows_csv.c, dataset_csv.c).
 *
 * Input: one byte picking the task (sst-5, mr, trec, ag_news: label first,
 * text in column 1 or, for ag_news, 1 and 2), then the file.  Checks:
 * fuzz_dataset.h. */
#include <stdint.h>
#include <stdlib.h>
#include "fuzz_dataset.h"

static lm_task *tasks[4];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    if (!tasks[0]) {
        static const char *const names[4] = {"sst-5", "mr", "trec", "ag_news"};
        lm_error err;
        for (int i = 0; i < 4; i++)
            if (!(tasks[i] = lm_task_builtin(names[i], &err))) abort();
    }
    fuzz_read_dataset(tasks[data[0] % 4], "train.csv", data + 1, size - 1);
    return 0;
}
