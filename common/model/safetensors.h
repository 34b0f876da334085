/* safetensors.h - reading (mmap) and writing of .safetensors files.
 *
 * Layout: 8-byte little-endian header length N, N bytes of JSON
 * {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}},
 * then the raw data; offsets are relative to the end of the header. */
#ifndef LM_MODEL_SAFETENSORS_H
#define LM_MODEL_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>
#include "util/error.h"

#define LM_ST_MAX_DIMS 8

typedef enum { LM_ST_F32 = 1, LM_ST_F16, LM_ST_BF16, LM_ST_F64, LM_ST_I64, LM_ST_I32,
               LM_ST_OTHER } lm_st_dtype;

typedef struct lm_st_tensor {
    char *name;
    lm_st_dtype dtype;
    char dtype_name[16];
    int ndim;
    int64_t shape[LM_ST_MAX_DIMS];
    size_t begin, end;  /* byte offsets into the data area */
} lm_st_tensor;

typedef struct lm_st_file {
    char *path;
    const uint8_t *map;  /* whole file, mmap'ed read-only */
    size_t map_len;
    const uint8_t *data; /* start of the data area */
    size_t data_len;
    int n_tensors;
    lm_st_tensor *tensors;
} lm_st_file;

int lm_st_open(const char *path, lm_st_file *f, lm_error *err);
void lm_st_close(lm_st_file *f);
const lm_st_tensor *lm_st_find(const lm_st_file *f, const char *name);

/* Converts a tensor (F32, F16, BF16 or F64) to float32 into out[numel]. */
int lm_st_read_f32(const lm_st_file *f, const lm_st_tensor *t, float *out, lm_error *err);
int64_t lm_st_numel(const lm_st_tensor *t);

/* Writing: float32 tensors, in the given order. */
typedef struct lm_st_out_tensor {
    const char *name;
    const float *data;
    int ndim;
    int64_t shape[LM_ST_MAX_DIMS];
} lm_st_out_tensor;

int lm_st_write(const char *path, const lm_st_out_tensor *t, int n, lm_error *err);

#endif
