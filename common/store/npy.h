/* npy.h - NumPy .npy files: what kernels and features are handed to users
 * as (np.load reads them).
 *
 * Writing: format 1.0 (2.0 when the header needs it), little-endian, C
 * order, header padded to 64 bytes exactly as numpy >= 1.24 pads it, so a
 * file is byte-identical to np.save of the same array.
 * Reading: formats 1.0, 2.0 and 3.0; dtypes '<f8' '<f4' '<i8' '<i4'; C order
 * only; any rank up to 32. */
#ifndef LM_STORE_NPY_H
#define LM_STORE_NPY_H

#include <stddef.h>
#include <stdint.h>
#include "util/error.h"

typedef enum { LM_NPY_F8 = 0, LM_NPY_F4, LM_NPY_I8, LM_NPY_I4 } lm_npy_dtype;

#define LM_NPY_MAX_RANK 32

typedef struct lm_npy {
    lm_npy_dtype dtype;
    int rank; /* 0 = a scalar (one element) */
    int64_t shape[LM_NPY_MAX_RANK];
    void *data;    /* C order, 64-byte aligned; owned, free with lm_npy_free */
    size_t nbytes; /* element size * product of shape */
} lm_npy;

size_t lm_npy_dtype_size(lm_npy_dtype t);
const char *lm_npy_dtype_descr(lm_npy_dtype t); /* "<f8" ... */

/* Writes the header (magic, version, length, dict, padding) for an array
 * into buf; *len = its length, a multiple of 64.  cap >= 256 suffices up to
 * rank 8; the header of rank 32 fits in 1024. */
int lm_npy_header(lm_npy_dtype t, int rank, const int64_t *shape, char *buf, size_t cap,
                  size_t *len, lm_error *err);

/* Writes an array to path atomically (temp + fsync + rename). */
int lm_npy_write(const char *path, lm_npy_dtype t, int rank, const int64_t *shape,
                 const void *data, lm_error *err);

/* The whole file in memory (e.g. a cache payload or an HTTP body); *out is
 * malloc'd. */
int lm_npy_encode(lm_npy_dtype t, int rank, const int64_t *shape, const void *data,
                  void **out, size_t *len, lm_error *err);

/* Reads a file, or decodes one held in memory.  On failure *a is empty. */
int lm_npy_read(const char *path, lm_npy *a, lm_error *err);
int lm_npy_decode(const void *buf, size_t len, lm_npy *a, lm_error *err);

/* The dtype and shape of a file without its data (a->data NULL, nbytes
 * the data's size, checked against the file's size). */
int lm_npy_read_header(const char *path, lm_npy *a, lm_error *err);

void lm_npy_free(lm_npy *a);

#endif
