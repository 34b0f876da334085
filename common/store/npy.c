/* npy.c - NumPy .npy reading and writing (format: numpy/lib/format.py). */
#include "store/npy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/atomic.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "npy.c writes host memory as little-endian data"
#endif

static const char MAGIC[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};
/* Header sizes are capped when reading: a real one is < 1 KiB. */
#define MAX_HEADER (1 << 20)
/* numpy leaves room for the first axis to grow to this many digits. */
#define GROWTH_AXIS_MAX_DIGITS 21
#define ARRAY_ALIGN 64

static const struct {
    const char *descr;
    size_t size;
} dtypes[] = {{"<f8", 8}, {"<f4", 4}, {"<i8", 8}, {"<i4", 4}};

size_t lm_npy_dtype_size(lm_npy_dtype t) { return (unsigned)t < 4 ? dtypes[t].size : 0; }
const char *lm_npy_dtype_descr(lm_npy_dtype t) { return (unsigned)t < 4 ? dtypes[t].descr : NULL; }

/* Element count times size, refusing negative dims and overflow. */
static int array_bytes(lm_npy_dtype t, int rank, const int64_t *shape, size_t *out, lm_error *err) {
    if ((unsigned)t >= 4) return lm_fail(err, "npy: unknown dtype %d", (int)t);
    if (rank < 0 || rank > LM_NPY_MAX_RANK) return lm_fail(err, "npy: rank %d out of range 0..%d", rank, LM_NPY_MAX_RANK);
    size_t n = dtypes[t].size;
    for (int i = 0; i < rank; i++) {
        if (shape[i] < 0) return lm_fail(err, "npy: negative dimension %lld", (long long)shape[i]);
        if (__builtin_mul_overflow(n, (size_t)shape[i], &n))
            return lm_fail(err, "npy: array size overflows");
    }
    *out = n;
    return 0;
}

/* ---- writing ----------------------------------------------------------- */

int lm_npy_header(lm_npy_dtype t, int rank, const int64_t *shape, char *buf, size_t cap,
                  size_t *len, lm_error *err) {
    size_t nbytes;
    if (array_bytes(t, rank, shape, &nbytes, err) != 0) return -1;
    char dict[1400];
    size_t d = (size_t)snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                                dtypes[t].descr);
    for (int i = 0; i < rank; i++)
        d += (size_t)snprintf(dict + d, sizeof dict - d, "%s%lld", i ? ", " : "", (long long)shape[i]);
    d += (size_t)snprintf(dict + d, sizeof dict - d, "%s), }", rank == 1 ? "," : "");
    if (rank > 0) {
        char first[24];
        int digits = snprintf(first, sizeof first, "%lld", (long long)shape[0]);
        for (int i = digits; i < GROWTH_AXIS_MAX_DIGITS; i++) dict[d++] = ' ';
    }
    /* As numpy's _wrap_header: hlen counts the final '\n'; the padding
     * brings the data to a multiple of 64 and is a full 64 when already
     * aligned. */
    size_t hlen = d + 1;
    size_t prefix = 10;
    size_t pad = ARRAY_ALIGN - (prefix + hlen) % ARRAY_ALIGN;
    if (hlen + pad > 65535) {
        prefix = 12;
        pad = ARRAY_ALIGN - (prefix + hlen) % ARRAY_ALIGN;
    }
    size_t total = prefix + hlen + pad;
    if (total > cap) return lm_fail(err, "npy: header needs %zu bytes, buffer has %zu", total, cap);
    memcpy(buf, MAGIC, 6);
    size_t field = hlen + pad;
    buf[6] = prefix == 10 ? 1 : 2;
    buf[7] = 0;
    buf[8] = (char)(field & 0xFF);
    buf[9] = (char)((field >> 8) & 0xFF);
    if (prefix == 12) {
        buf[10] = (char)((field >> 16) & 0xFF);
        buf[11] = (char)((field >> 24) & 0xFF);
    }
    memcpy(buf + prefix, dict, d);
    memset(buf + prefix + d, ' ', pad);
    buf[total - 1] = '\n';
    *len = total;
    return 0;
}

int lm_npy_write(const char *path, lm_npy_dtype t, int rank, const int64_t *shape,
                 const void *data, lm_error *err) {
    char header[2048];
    size_t hlen, nbytes;
    if (array_bytes(t, rank, shape, &nbytes, err) != 0 ||
        lm_npy_header(t, rank, shape, header, sizeof header, &hlen, err) != 0)
        return lm_fail_prefix(err, "%s", path);
    lm_buf_part parts[2] = {{header, hlen}, {data, nbytes}};
    return lm_write_parts_atomic(path, parts, 2, err);
}

int lm_npy_encode(lm_npy_dtype t, int rank, const int64_t *shape, const void *data,
                  void **out, size_t *len, lm_error *err) {
    char header[2048];
    size_t hlen, nbytes;
    if (array_bytes(t, rank, shape, &nbytes, err) != 0 ||
        lm_npy_header(t, rank, shape, header, sizeof header, &hlen, err) != 0)
        return -1;
    char *buf = lm_xmalloc(hlen + nbytes);
    memcpy(buf, header, hlen);
    if (nbytes) memcpy(buf + hlen, data, nbytes);
    *out = buf;
    *len = hlen + nbytes;
    return 0;
}

/* ---- reading ----------------------------------------------------------- */

/* A cursor over the header's Python dict literal. */
typedef struct {
    const char *s, *end;
} cur;

static void ws(cur *c) {
    while (c->s < c->end && (*c->s == ' ' || *c->s == '\t' || *c->s == '\n' || *c->s == '\r')) c->s++;
}

static int eat(cur *c, char ch) {
    ws(c);
    if (c->s < c->end && *c->s == ch) {
        c->s++;
        return 1;
    }
    return 0;
}

/* A quoted Python string without escapes (all that numpy writes). */
static int pystr(cur *c, char *out, size_t cap) {
    ws(c);
    if (c->s >= c->end || (*c->s != '\'' && *c->s != '"')) return -1;
    char q = *c->s++;
    size_t n = 0;
    while (c->s < c->end && *c->s != q) {
        if (*c->s == '\\' || n + 1 >= cap) return -1;
        out[n++] = *c->s++;
    }
    if (c->s >= c->end) return -1;
    c->s++;
    out[n] = '\0';
    return 0;
}

static int pyint(cur *c, int64_t *v) {
    ws(c);
    const char *start = c->s;
    int64_t x = 0;
    while (c->s < c->end && *c->s >= '0' && *c->s <= '9') {
        if (__builtin_mul_overflow(x, 10, &x) || __builtin_add_overflow(x, *c->s - '0', &x)) return -1;
        c->s++;
    }
    if (c->s == start) return -1;
    if (c->s < c->end && *c->s == 'L') c->s++; /* Python 2 long */
    *v = x;
    return 0;
}

static int parse_dict(const char *h, size_t n, lm_npy *a, lm_error *err) {
    cur c = {h, h + n};
    int have_descr = 0, have_order = 0, have_shape = 0;
    if (!eat(&c, '{')) return lm_fail(err, "npy header: expected '{'");
    for (;;) {
        if (eat(&c, '}')) break;
        char key[32], val[32];
        if (pystr(&c, key, sizeof key) != 0 || !eat(&c, ':'))
            return lm_fail(err, "npy header: expected a quoted key and ':' at offset %td", c.s - h);
        if (strcmp(key, "descr") == 0 && !have_descr) {
            if (pystr(&c, val, sizeof val) != 0) return lm_fail(err, "npy header: 'descr' is not a simple dtype string");
            int found = -1;
            for (int i = 0; i < 4; i++)
                if (strcmp(val, dtypes[i].descr) == 0) found = i;
            if (found < 0)
                return lm_fail(err, "npy: dtype '%s' is not supported (only <f8 <f4 <i8 <i4)", val);
            a->dtype = (lm_npy_dtype)found;
            have_descr = 1;
        } else if (strcmp(key, "fortran_order") == 0 && !have_order) {
            ws(&c);
            if (c.end - c.s >= 5 && memcmp(c.s, "False", 5) == 0) {
                c.s += 5;
            } else if (c.end - c.s >= 4 && memcmp(c.s, "True", 4) == 0) {
                return lm_fail(err, "npy: Fortran-order arrays are not supported (save with C order)");
            } else {
                return lm_fail(err, "npy header: 'fortran_order' must be True or False");
            }
            have_order = 1;
        } else if (strcmp(key, "shape") == 0 && !have_shape) {
            if (!eat(&c, '(')) return lm_fail(err, "npy header: 'shape' must be a tuple");
            a->rank = 0;
            while (!eat(&c, ')')) {
                if (a->rank == LM_NPY_MAX_RANK) return lm_fail(err, "npy: more than %d dimensions", LM_NPY_MAX_RANK);
                if (pyint(&c, &a->shape[a->rank]) != 0) return lm_fail(err, "npy header: bad dimension in 'shape'");
                a->rank++;
                if (!eat(&c, ',')) {
                    if (!eat(&c, ')')) return lm_fail(err, "npy header: expected ',' or ')' in 'shape'");
                    break;
                }
            }
            have_shape = 1;
        } else {
            return lm_fail(err, "npy header: unexpected or repeated key '%s'", key);
        }
        if (!eat(&c, ',')) {
            if (!eat(&c, '}')) return lm_fail(err, "npy header: expected ',' or '}'");
            break;
        }
    }
    ws(&c);
    if (c.s != c.end) return lm_fail(err, "npy header: unexpected text after the dict");
    if (!have_descr || !have_order || !have_shape)
        return lm_fail(err, "npy header: needs 'descr', 'fortran_order' and 'shape'");
    return 0;
}

/* Parses magic, version and header length from the first bytes.  On
 * success hstart and hlen locate the dict text. */
static int parse_prefix(const unsigned char *p, size_t n, size_t *hstart, size_t *hlen, lm_error *err) {
    if (n < 10 || memcmp(p, MAGIC, 6) != 0) return lm_fail(err, "not a .npy file (bad magic)");
    if (p[6] == 1 && p[7] == 0) {
        *hstart = 10;
        *hlen = (size_t)p[8] | (size_t)p[9] << 8;
    } else if ((p[6] == 2 || p[6] == 3) && p[7] == 0) {
        if (n < 12) return lm_fail(err, "npy: truncated header");
        *hstart = 12;
        *hlen = (size_t)p[8] | (size_t)p[9] << 8 | (size_t)p[10] << 16 | (size_t)p[11] << 24;
    } else {
        return lm_fail(err, "npy: unsupported format version %u.%u", p[6], p[7]);
    }
    if (*hlen > MAX_HEADER) return lm_fail(err, "npy: header of %zu bytes is implausible", *hlen);
    return 0;
}

int lm_npy_decode(const void *buf, size_t len, lm_npy *a, lm_error *err) {
    memset(a, 0, sizeof *a);
    const unsigned char *p = buf;
    size_t hstart = 0, hlen = 0;
    if (parse_prefix(p, len, &hstart, &hlen, err) != 0) return -1;
    if (hstart + hlen > len) return lm_fail(err, "npy: truncated header");
    if (parse_dict((const char *)p + hstart, hlen, a, err) != 0) return -1;
    size_t nbytes;
    if (array_bytes(a->dtype, a->rank, a->shape, &nbytes, err) != 0) return -1;
    size_t off = hstart + hlen;
    if (len - off != nbytes) {
        memset(a, 0, sizeof *a);
        return lm_fail(err, "npy: data is %zu bytes, the shape needs %zu", len - off, nbytes);
    }
    a->data = lm_xalloc_aligned(nbytes);
    if (nbytes) memcpy(a->data, p + off, nbytes);
    a->nbytes = nbytes;
    return 0;
}

static int read_full(int fd, void *buf, size_t n, size_t *got) {
    char *p = buf;
    *got = 0;
    while (*got < n) {
        ssize_t r = read(fd, p + *got, n - *got);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (r == 0) break;
        *got += (size_t)r;
    }
    return 0;
}

/* Reads magic, version and the header dict from fd into a (no data);
 * leaves fd at the first data byte. */
static int read_header_fd(int fd, lm_npy *a, lm_error *err) {
    unsigned char pre[12];
    char *hdr = NULL;
    size_t got, hstart = 0, hlen = 0;
    int rc = -1;
    if (read_full(fd, pre, sizeof pre, &got) != 0) {
        lm_fail(err, "read error: %s", strerror(errno));
        goto out;
    }
    if (parse_prefix(pre, got, &hstart, &hlen, err) != 0) goto out;
    size_t first = got;
    if (hstart + hlen < first) {
        lm_fail(err, "npy: header too short");
        goto out;
    }
    size_t need = hstart + hlen - first;
    hdr = lm_xmalloc(hstart + hlen);
    memcpy(hdr, pre, first);
    if (read_full(fd, hdr + first, need, &got) != 0 || got != need) {
        lm_fail(err, "npy: truncated header");
        goto out;
    }
    if (parse_dict(hdr + hstart, hlen, a, err) != 0) goto out;
    if (array_bytes(a->dtype, a->rank, a->shape, &a->nbytes, err) != 0) goto out;
    rc = 0;
out:
    free(hdr);
    return rc;
}

/* Reads straight into the aligned array (no second copy of big kernels). */
int lm_npy_read(const char *path, lm_npy *a, lm_error *err) {
    memset(a, 0, sizeof *a);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return lm_fail(err, "%s: cannot open: %s", path, strerror(errno));
    size_t got;
    int rc = -1;
    if (read_header_fd(fd, a, err) != 0) goto out;
    size_t nbytes = a->nbytes;
    a->data = lm_xalloc_aligned(nbytes);
    if (read_full(fd, a->data, nbytes, &got) != 0) {
        lm_fail(err, "read error: %s", strerror(errno));
        goto out;
    }
    char extra;
    size_t more = 0;
    if (got != nbytes || (read_full(fd, &extra, 1, &more) == 0 && more)) {
        lm_fail(err, "npy: data size does not match the shape (truncated or trailing bytes)");
        goto out;
    }
    rc = 0;
out:
    close(fd);
    if (rc != 0) {
        lm_npy_free(a);
        lm_fail_prefix(err, "%s", path);
    }
    return rc;
}

int lm_npy_read_header(const char *path, lm_npy *a, lm_error *err) {
    memset(a, 0, sizeof *a);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return lm_fail(err, "%s: cannot open: %s", path, strerror(errno));
    int rc = read_header_fd(fd, a, err);
    off_t data_at = rc == 0 ? lseek(fd, 0, SEEK_CUR) : -1, end = rc == 0 ? lseek(fd, 0, SEEK_END) : -1;
    if (rc == 0 && (data_at < 0 || end < data_at || (uint64_t)(end - data_at) != a->nbytes))
        rc = lm_fail(err, "npy: data size does not match the shape (truncated or trailing bytes)");
    close(fd);
    if (rc != 0) {
        memset(a, 0, sizeof *a);
        lm_fail_prefix(err, "%s", path);
    }
    return rc;
}

void lm_npy_free(lm_npy *a) {
    if (!a) return;
    free(a->data);
    memset(a, 0, sizeof *a);
}
