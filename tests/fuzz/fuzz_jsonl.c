/* fuzz_jsonl.c - a custom task's <split>.jsonl (common/prompt/
 * dataset_custom.c): one JSON object a line with text_a, optional text_b,
 * and a label given as a string or an integer.
 *
 * Input: the file, read for a task of labels "neg", "pos", "0", "1", "-3"
 * (integers in the file name the labels "0", "1", "-3").  Checks:
 * fuzz_dataset.h. */
#include <stdint.h>
#include <stdlib.h>
#include "fuzz_dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static lm_task *task;
    if (!task) {
        static const char *const labels[5] = {"neg", "pos", "0", "1", "-3"};
        lm_error err;
        if (!(task = lm_task_custom("custom", labels, 5, NULL, NULL, 0, &err))) abort();
    }
    fuzz_read_dataset(task, "train.jsonl", data, size);
    return 0;
}
