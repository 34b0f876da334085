/* lmfx.h - reader of the solver fixtures (tests/fixtures/solve/NAME.lmfx).
 *
 * Format (make_fixtures.py): b"LMFX1\n", then records of
 * name[32] (NUL-padded), dtype ('d' float64 / 'i' int32), int32 ndim,
 * int32 dims[ndim], row-major little-endian data. */
#ifndef LM_TESTS_LMFX_H
#define LM_TESTS_LMFX_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/file.h"

typedef struct lmfx_array {
    char name[33];
    char dtype;
    int ndim, dims[8];
    size_t count;
    const void *data;
} lmfx_array;

typedef struct lmfx {
    char *buf;
    int n;
    lmfx_array arr[128];
} lmfx;

static inline int lmfx_load(lmfx *f, const char *path) {
    lm_error err;
    size_t len = 0;
    memset(f, 0, sizeof(*f));
    f->buf = lm_read_file(path, &len, &err);
    if (!f->buf) { fprintf(stderr, "%s\n", err.msg); return -1; }
    if (len < 6 || memcmp(f->buf, "LMFX1\n", 6)) { fprintf(stderr, "%s: not lmfx\n", path); return -1; }
    size_t off = 6;
    while (off < len && f->n < 128) {
        lmfx_array *a = &f->arr[f->n++];
        memcpy(a->name, f->buf + off, 32);
        a->name[32] = 0;
        a->dtype = f->buf[off + 32];
        memcpy(&a->ndim, f->buf + off + 33, 4);
        off += 37;
        a->count = 1;
        for (int d = 0; d < a->ndim; d++) {
            memcpy(&a->dims[d], f->buf + off, 4);
            off += 4;
            a->count *= (size_t)a->dims[d];
        }
        a->data = f->buf + off;
        off += a->count * (a->dtype == 'd' ? 8 : 4);
        if (off > len) { fprintf(stderr, "%s: truncated at %s\n", path, a->name); return -1; }
    }
    return 0;
}

static inline const lmfx_array *lmfx_get(const lmfx *f, const char *name) {
    for (int i = 0; i < f->n; i++)
        if (!strcmp(f->arr[i].name, name)) return &f->arr[i];
    fprintf(stderr, "fixture has no array '%s'\n", name);
    exit(2);
}

/* Copies (the data may be unaligned in the file buffer). */
static inline double *lmfx_d(const lmfx *f, const char *name, size_t *count) {
    const lmfx_array *a = lmfx_get(f, name);
    double *out = malloc(a->count * sizeof(double) + 1);
    if (a->dtype == 'd') memcpy(out, a->data, a->count * 8);
    else for (size_t i = 0; i < a->count; i++) { int v; memcpy(&v, (const char *)a->data + 4 * i, 4); out[i] = v; }
    if (count) *count = a->count;
    return out;
}

static inline int *lmfx_i(const lmfx *f, const char *name, size_t *count) {
    const lmfx_array *a = lmfx_get(f, name);
    int *out = malloc(a->count * sizeof(int) + 1);
    if (a->dtype == 'i') memcpy(out, a->data, a->count * 4);
    else for (size_t i = 0; i < a->count; i++) { double v; memcpy(&v, (const char *)a->data + 8 * i, 8); out[i] = (int)v; }
    if (count) *count = a->count;
    return out;
}

static inline int lmfx_int(const lmfx *f, const char *name) {
    int *v = lmfx_i(f, name, NULL), r = v[0];
    free(v);
    return r;
}

static inline double lmfx_double(const lmfx *f, const char *name) {
    double *v = lmfx_d(f, name, NULL), r = v[0];
    free(v);
    return r;
}

static inline void lmfx_free(lmfx *f) { free(f->buf); }

#endif
