/* fuzz_dataset.c - reading one split file and checking it (fuzz_dataset.h). */
#include <stdint.h>
#include "fuzz_dataset.h"

#include <stdlib.h>
#include <string.h>
#include "fuzz_util.h"
#include "prompt/dataset.h"
#include "util/utf8.h"

static int utf8_text(const char *s) {
    size_t n = strlen(s);
    return lm_utf8_invalid_at(s, n) == n;
}

void fuzz_read_dataset(const lm_task *t, const char *name, const uint8_t *data, size_t size) {
    char *path = fuzz_write(name, data, size);
    lm_dataset d;
    lm_error err = {{0}};
    if (lm_dataset_read_file(t, path, &d, &err) == 0) {
        if (d.n < 1 || (d.n_sentences != 1 && d.n_sentences != 2) || !d.path) abort();
        for (int i = 0; i < d.n; i++) {
            const lm_example *e = &d.ex[i];
            if (!e->text[0] || !utf8_text(e->text[0])) abort();
            if ((e->text[1] != NULL) != (d.n_sentences == 2)) abort();
            if (e->text[1] && !utf8_text(e->text[1])) abort();
            if (e->label < 0 || e->label >= t->n_labels || e->line < 1) abort();
        }
        lm_dataset_free(&d);
    } else if (!err.msg[0]) {
        abort();
    }
    free(path);
}
