/* fuzz_safetensors.c - .safetensors files (common/model/safetensors.c): the
 * 8-byte header length, the JSON header, the tensors' dtype, shape and
 * data_offsets against the data area.  lm_st_open maps a file, so the input
 * is written to one.
 *
 * Checked beyond "no crash, no leak, no UB": every tensor of an accepted
 * file lies inside the data area and converts (lm_st_read_f32, for the
 * float dtypes) without reading outside it. */
#include <stdint.h>
#include <stdlib.h>
#include "fuzz_util.h"
#include "model/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *path = fuzz_write("model.safetensors", data, size);
    lm_st_file f;
    lm_error err = {{0}};
    if (lm_st_open(path, &f, &err) == 0) {
        for (int i = 0; i < f.n_tensors; i++) {
            const lm_st_tensor *t = &f.tensors[i];
            if (t->begin > t->end || t->end > f.data_len) abort();
            if (lm_st_find(&f, t->name) == NULL) abort();
            int64_t n = lm_st_numel(t);
            if (n < 0 || n > (1 << 20)) continue; /* the data area bounds it; keep runs fast */
            float *out = malloc((size_t)(n ? n : 1) * sizeof *out);
            int rc = lm_st_read_f32(&f, t, out, &err);
            int is_float = t->dtype == LM_ST_F32 || t->dtype == LM_ST_F16 ||
                           t->dtype == LM_ST_BF16 || t->dtype == LM_ST_F64;
            if ((rc == 0) != is_float) abort();
            free(out);
        }
        lm_st_close(&f);
    } else if (!err.msg[0]) {
        abort();
    }
    free(path);
    return 0;
}
