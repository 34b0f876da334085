/* rows.c - the row container and the builder the readers share. */
#include "prompt/rows.h"

#include <stdlib.h>
#include <string.h>
#include "util/utf8.h"

void lm_rows_builder_init(lm_rows_builder *b, const char *path) {
    memset(b, 0, sizeof *b);
    b->path = path;
    b->r.first = lm_xmalloc(sizeof(int));
    b->r.first[0] = 0;
}

void lm_rows_begin_row(lm_rows_builder *b, int line) {
    if (b->r.n + 1 >= b->rcap) {
        b->rcap = b->rcap ? 2 * b->rcap : 256;
        b->r.line = lm_xrealloc(b->r.line, (size_t)b->rcap * sizeof(int));
        b->r.first = lm_xrealloc(b->r.first, (size_t)(b->rcap + 1) * sizeof(int));
    }
    b->r.line[b->r.n] = line;
    b->field_start = b->len;
}

void lm_rows_push(lm_rows_builder *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        while (b->len + n + 1 > b->cap) b->cap = b->cap ? 2 * b->cap : 4096;
        b->r.buf = lm_xrealloc(b->r.buf, b->cap);
    }
    memcpy(b->r.buf + b->len, s, n);
    b->len += n;
}

int lm_rows_end_field(lm_rows_builder *b, lm_error *err) {
    const char *f = b->r.buf ? b->r.buf + b->field_start : "";
    size_t n = b->len - b->field_start;
    int row = b->r.n, col = b->nf - b->r.first[row] + 1;
    const void *nul = n ? memchr(f, '\0', n) : NULL;
    if (nul)
        return lm_fail(err, "%s: line %d, field %d: NUL byte at byte %zu of the field",
                       b->path, b->r.line[row], col, (size_t)((const char *)nul - f));
    size_t bad = lm_utf8_invalid_at(f, n);
    if (bad < n)
        return lm_fail(err, "%s: line %d, field %d: invalid UTF-8 (byte 0x%02X at byte %zu "
                       "of the field)", b->path, b->r.line[row], col,
                       (unsigned char)f[bad], bad);
    lm_rows_push(b, "", 1); /* the NUL terminator */
    if (b->nf >= b->fcap) {
        b->fcap = b->fcap ? 2 * b->fcap : 1024;
        b->off = lm_xrealloc(b->off, (size_t)b->fcap * sizeof(size_t));
    }
    b->off[b->nf++] = b->field_start;
    b->field_start = b->len;
    return 0;
}

void lm_rows_end_row(lm_rows_builder *b) {
    b->r.n++;
    b->r.first[b->r.n] = b->nf;
}

void lm_rows_finish(lm_rows_builder *b, lm_rows *out) {
    b->r.field = lm_xmalloc((size_t)(b->nf ? b->nf : 1) * sizeof(char *));
    for (int i = 0; i < b->nf; i++) b->r.field[i] = b->r.buf + b->off[i];
    *out = b->r;
    free(b->off);
    memset(b, 0, sizeof *b);
}

void lm_rows_builder_free(lm_rows_builder *b) {
    lm_rows_free(&b->r);
    free(b->off);
    b->off = NULL;
}

void lm_rows_free(lm_rows *r) {
    if (!r) return;
    free(r->line);
    free(r->first);
    free(r->field);
    free(r->buf);
    memset(r, 0, sizeof *r);
}

size_t lm_rows_bom_len(const char *s, size_t len) {
    const unsigned char *u = (const unsigned char *)s;
    return len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF ? 3 : 0;
}
