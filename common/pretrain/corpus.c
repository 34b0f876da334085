/* corpus.c - round-robin line reader over gzip/plain text files. */
#include "pretrain/corpus.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static int reopen(lm_corpus *c, int i, lm_error *err) {
    if (c->gz[i]) gzclose((gzFile)c->gz[i]);
    gzFile f = gzopen(c->paths[i], "rb");
    if (!f) return lm_fail(err, "%s: cannot open", c->paths[i]);
    gzbuffer(f, 1 << 17);
    c->gz[i] = f;
    return 0;
}

int lm_corpus_open(lm_corpus *c, const char *const *paths, int n, lm_error *err) {
    memset(c, 0, sizeof *c);
    if (n <= 0) return lm_fail(err, "corpus: no files");
    c->n_files = n;
    c->paths = lm_xcalloc((size_t)n, sizeof *c->paths);
    c->gz = lm_xcalloc((size_t)n, sizeof *c->gz);
    c->lines = lm_xcalloc((size_t)n, sizeof *c->lines);
    c->epoch_lines = lm_xcalloc((size_t)n, sizeof *c->epoch_lines);
    for (int i = 0; i < n; i++) {
        c->paths[i] = lm_xstrdup(paths[i]);
        if (reopen(c, i, err)) {
            lm_corpus_close(c);
            return -1;
        }
    }
    c->cap = 1 << 16;
    c->buf = lm_xmalloc(c->cap);
    return 0;
}

void lm_corpus_close(lm_corpus *c) {
    for (int i = 0; i < c->n_files; i++) {
        if (c->gz && c->gz[i]) gzclose((gzFile)c->gz[i]);
        if (c->paths) free(c->paths[i]);
    }
    free(c->paths);
    free(c->gz);
    free(c->lines);
    free(c->epoch_lines);
    free(c->buf);
    memset(c, 0, sizeof *c);
}

/* One physical line of file i into c->buf (any length); 0 at end of file. */
static int read_line(lm_corpus *c, int i, size_t *len, lm_error *err) {
    gzFile f = (gzFile)c->gz[i];
    size_t n = 0;
    for (;;) {
        if (!gzgets(f, c->buf + n, (int)(c->cap - n))) {
            int e;
            const char *msg = gzerror(f, &e);
            if (e != Z_OK && e != Z_BUF_ERROR) return lm_fail(err, "%s: %s", c->paths[i], msg);
            break;
        }
        n += strlen(c->buf + n);
        if (n > 0 && c->buf[n - 1] == '\n') break;
        if (n + 1 >= c->cap) c->buf = lm_xrealloc(c->buf, c->cap *= 2);
    }
    if (n == 0) return 0;
    while (n > 0 && (c->buf[n - 1] == '\n' || c->buf[n - 1] == '\r')) n--;
    c->buf[n] = 0;
    *len = n;
    return 1;
}

/* Next non-empty line of file i, wrapping at its end. */
static int next_of(lm_corpus *c, int i, size_t *len, lm_error *err) {
    int wrapped = 0;
    for (;;) {
        int r = read_line(c, i, len, err);
        if (r < 0) return -1;
        if (r == 0) {
            if (wrapped) return lm_fail(err, "%s: no text", c->paths[i]);
            if (!c->epoch_lines[i]) c->epoch_lines[i] = c->lines[i];
            if (reopen(c, i, err)) return -1;
            wrapped = 1;
            continue;
        }
        if (*len == 0) continue;
        c->lines[i]++;
        return 0;
    }
}

int lm_corpus_next(lm_corpus *c, const char **line, size_t *len, lm_error *err) {
    int i = (int)(c->turn % (uint64_t)c->n_files);
    if (next_of(c, i, len, err)) return -1;
    c->turn++;
    *line = c->buf;
    return 0;
}

int lm_corpus_seek(lm_corpus *c, uint64_t turn, const uint64_t *lines, lm_error *err) {
    for (int i = 0; i < c->n_files; i++) {
        if (reopen(c, i, err)) return -1;
        c->lines[i] = 0;
        size_t len;
        while (c->lines[i] < lines[i])
            if (next_of(c, i, &len, err)) return -1;
    }
    c->turn = turn;
    return 0;
}
