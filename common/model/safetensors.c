/* safetensors.c - mmap'ed safetensors reading, float32 writing. */
#include "model/safetensors.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/file.h"

static const struct { const char *name; lm_st_dtype dtype; size_t size; } dtypes[] = {
    {"F32", LM_ST_F32, 4}, {"F16", LM_ST_F16, 2}, {"BF16", LM_ST_BF16, 2},
    {"F64", LM_ST_F64, 8}, {"I64", LM_ST_I64, 8}, {"I32", LM_ST_I32, 4},
    {"I16", LM_ST_OTHER, 2}, {"I8", LM_ST_OTHER, 1}, {"U8", LM_ST_OTHER, 1},
    {"BOOL", LM_ST_OTHER, 1},
};

static size_t dtype_size(const char *name, lm_st_dtype *dt) {
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (strcmp(name, dtypes[i].name) == 0) {
            *dt = dtypes[i].dtype;
            return dtypes[i].size;
        }
    return 0;
}

int64_t lm_st_numel(const lm_st_tensor *t) {
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= t->shape[i];
    return n;
}

static int parse_tensor(const cJSON *e, lm_st_tensor *t, const char *path, size_t data_len,
                        lm_error *err) {
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype");
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(e, "shape");
    const cJSON *off = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    if (!cJSON_IsObject(e) || !cJSON_IsString(dt) || !cJSON_IsArray(sh) || !cJSON_IsArray(off) ||
        cJSON_GetArraySize(off) != 2)
        return lm_fail(err, "%s: header entry for tensor \"%s\" lacks dtype, shape or data_offsets",
                       path, t->name);
    size_t esize = dtype_size(dt->valuestring, &t->dtype);
    if (!esize)
        return lm_fail(err, "%s: tensor \"%s\" has unknown dtype \"%s\"", path, t->name,
                       dt->valuestring);
    snprintf(t->dtype_name, sizeof t->dtype_name, "%s", dt->valuestring);
    t->ndim = cJSON_GetArraySize(sh);
    if (t->ndim > LM_ST_MAX_DIMS)
        return lm_fail(err, "%s: tensor \"%s\" has %d dimensions (max %d)", path, t->name,
                       t->ndim, LM_ST_MAX_DIMS);
    double numel = 1;
    for (int i = 0; i < t->ndim; i++) {
        const cJSON *d = cJSON_GetArrayItem(sh, i);
        if (!cJSON_IsNumber(d) || d->valuedouble < 0 || d->valuedouble != floor(d->valuedouble) ||
            d->valuedouble > 1e12)
            return lm_fail(err, "%s: tensor \"%s\" has a bad shape entry %d", path, t->name, i);
        t->shape[i] = (int64_t)d->valuedouble;
        numel *= d->valuedouble;
    }
    const cJSON *ob = cJSON_GetArrayItem(off, 0), *oe = cJSON_GetArrayItem(off, 1);
    if (!cJSON_IsNumber(ob) || !cJSON_IsNumber(oe) || ob->valuedouble != floor(ob->valuedouble) ||
        oe->valuedouble != floor(oe->valuedouble))
        return lm_fail(err, "%s: tensor \"%s\" data_offsets must be two whole numbers", path, t->name);
    double b = ob->valuedouble, en = oe->valuedouble;
    if (!(b >= 0 && en >= b && en <= (double)data_len))
        return lm_fail(err, "%s: tensor \"%s\" data_offsets [%.0f, %.0f] lie outside the %zu-byte "
                       "data area (file truncated?)", path, t->name, b, en, data_len);
    t->begin = (size_t)b;
    t->end = (size_t)en;
    if ((double)(t->end - t->begin) != numel * (double)esize)
        return lm_fail(err, "%s: tensor \"%s\" spans %zu bytes but shape and dtype %s need %.0f",
                       path, t->name, t->end - t->begin, t->dtype_name, numel * (double)esize);
    return 0;
}

int lm_st_open(const char *path, lm_st_file *f, lm_error *err) {
    memset(f, 0, sizeof *f);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return lm_fail(err, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return lm_fail(err, "%s: cannot stat: %s", path, strerror(errno));
    }
    size_t len = (size_t)st.st_size;
    if (len < 8) {
        close(fd);
        return lm_fail(err, "%s: %zu bytes is too short for a safetensors header", path, len);
    }
    /* MAP_POPULATE: the pages are read in one go rather than faulted one
     * by one while the tensors are copied out */
    void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return lm_fail(err, "%s: cannot mmap: %s", path, strerror(errno));
    f->path = lm_xstrdup(path);
    f->map = map;
    f->map_len = len;
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | f->map[i];
    if (hlen > len - 8 || hlen > (100u << 20)) {
        lm_fail(err, "%s: header length %llu at byte 0 exceeds the file size %zu (truncated or "
                "not a safetensors file)", path, (unsigned long long)hlen, len);
        lm_st_close(f);
        return -1;
    }
    char *json = lm_xstrndup((const char *)f->map + 8, hlen);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(json, &end, 0);
    if (!root || !cJSON_IsObject(root)) {
        size_t at = end ? (size_t)(end - json) + 8 : 8;
        lm_fail(err, "%s: malformed JSON header near byte %zu", path, at);
        cJSON_Delete(root);
        free(json);
        lm_st_close(f);
        return -1;
    }
    f->data = f->map + 8 + hlen;
    f->data_len = len - 8 - hlen;
    int n = 0;
    for (cJSON *e = root->child; e; e = e->next)
        if (strcmp(e->string, "__metadata__") != 0) n++;
    f->tensors = lm_xcalloc((size_t)n, sizeof *f->tensors);
    int rc = 0;
    for (cJSON *e = root->child; e && rc == 0; e = e->next) {
        if (strcmp(e->string, "__metadata__") == 0) continue;
        lm_st_tensor *t = &f->tensors[f->n_tensors++];
        t->name = lm_xstrdup(e->string);
        rc = parse_tensor(e, t, path, f->data_len, err);
    }
    cJSON_Delete(root);
    free(json);
    if (rc) lm_st_close(f);
    return rc;
}

void lm_st_close(lm_st_file *f) {
    if (f->map) munmap((void *)f->map, f->map_len);
    for (int i = 0; i < f->n_tensors; i++) free(f->tensors[i].name);
    free(f->tensors);
    free(f->path);
    memset(f, 0, sizeof *f);
}

const lm_st_tensor *lm_st_find(const lm_st_file *f, const char *name) {
    for (int i = 0; i < f->n_tensors; i++)
        if (strcmp(f->tensors[i].name, name) == 0) return &f->tensors[i];
    return NULL;
}

static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0) {
        if (man == 0) bits = sign;
        else { /* subnormal: normalise */
            exp = 127 - 15 + 1;
            while (!(man & 0x400)) { man <<= 1; exp--; }
            bits = sign | (exp << 23) | ((man & 0x3ff) << 13);
        }
    } else if (exp == 31) bits = sign | 0x7f800000 | (man << 13);
    else bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
    float out;
    memcpy(&out, &bits, 4);
    return out;
}

int lm_st_read_f32(const lm_st_file *f, const lm_st_tensor *t, float *out, lm_error *err) {
    int64_t n = lm_st_numel(t);
    const uint8_t *p = f->data + t->begin;
    switch (t->dtype) {
    case LM_ST_F32:
        memcpy(out, p, (size_t)n * 4);
        break;
    case LM_ST_F16:
        for (int64_t i = 0; i < n; i++) out[i] = half_to_float((uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
        break;
    case LM_ST_BF16:
        for (int64_t i = 0; i < n; i++) {
            uint32_t bits = (uint32_t)(p[2 * i] | p[2 * i + 1] << 8) << 16;
            memcpy(&out[i], &bits, 4);
        }
        break;
    case LM_ST_F64:
        for (int64_t i = 0; i < n; i++) {
            double d;
            memcpy(&d, p + 8 * i, 8);
            out[i] = (float)d;
        }
        break;
    default:
        return lm_fail(err, "%s: tensor \"%s\" has dtype %s; expected F32, F16, BF16 or F64",
                       f->path, t->name, t->dtype_name);
    }
    return 0;
}

int lm_st_write(const char *path, const lm_st_out_tensor *t, int n, lm_error *err) {
    cJSON *root = cJSON_CreateObject();
    cJSON *meta = cJSON_AddObjectToObject(root, "__metadata__");
    cJSON_AddStringToObject(meta, "format", "pt");
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        cJSON *e = cJSON_AddObjectToObject(root, t[i].name);
        cJSON_AddStringToObject(e, "dtype", "F32");
        cJSON *sh = cJSON_AddArrayToObject(e, "shape");
        size_t numel = 1;
        for (int d = 0; d < t[i].ndim; d++) {
            cJSON_AddItemToArray(sh, cJSON_CreateNumber((double)t[i].shape[d]));
            numel *= (size_t)t[i].shape[d];
        }
        cJSON *o = cJSON_AddArrayToObject(e, "data_offsets");
        cJSON_AddItemToArray(o, cJSON_CreateNumber((double)off));
        cJSON_AddItemToArray(o, cJSON_CreateNumber((double)(off + numel * 4)));
        off += numel * 4;
    }
    char *json = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    size_t hlen = strlen(json), padded = (hlen + 7) & ~(size_t)7; /* 8-byte aligned data */
    size_t total = 8 + padded + off;
    uint8_t *buf = lm_xmalloc(total);
    for (int i = 0; i < 8; i++) buf[i] = (uint8_t)((uint64_t)padded >> (8 * i));
    memcpy(buf + 8, json, hlen);
    memset(buf + 8 + hlen, ' ', padded - hlen);
    free(json);
    size_t pos = 8 + padded;
    for (int i = 0; i < n; i++) {
        size_t numel = 1;
        for (int d = 0; d < t[i].ndim; d++) numel *= (size_t)t[i].shape[d];
        memcpy(buf + pos, t[i].data, numel * 4);
        pos += numel * 4;
    }
    int rc = lm_write_file_atomic(path, buf, total, err);
    free(buf);
    return rc;
}
