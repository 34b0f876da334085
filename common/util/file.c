/* file.c - whole-file reads, atomic writes, directories. */
#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *lm_read_file(const char *path, size_t *len, lm_error *err) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        lm_fail(err, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = lm_xmalloc(cap);
    for (;;) {
        if (n + 1 >= cap) buf = lm_xrealloc(buf, cap *= 2);
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        lm_fail(err, "%s: read error", path);
        return NULL;
    }
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

int lm_write_file_atomic(const char *path, const void *data, size_t len,
                         lm_error *err) {
    size_t plen = strlen(path);
    char *tmp = lm_xmalloc(plen + 32);
    snprintf(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        lm_fail(err, "%s: cannot create: %s", tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR) continue;
            lm_fail(err, "%s: write failed: %s", tmp, strerror(errno));
            close(fd);
            unlink(tmp);
            free(tmp);
            return -1;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        lm_fail(err, "%s: cannot flush: %s", tmp, strerror(errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    if (rename(tmp, path) != 0) {
        lm_fail(err, "%s: cannot rename into place: %s", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

int lm_mkdirs(const char *path, lm_error *err) {
    char *p = lm_xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            lm_fail(err, "%s: cannot create directory: %s", p, strerror(errno));
            free(p);
            return -1;
        }
        *s = '/';
    }
    if (mkdir(p, 0755) != 0 && errno != EEXIST) {
        lm_fail(err, "%s: cannot create directory: %s", p, strerror(errno));
        free(p);
        return -1;
    }
    free(p);
    return 0;
}

int lm_file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int lm_dir_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

char *lm_path_join(const char *dir, const char *name) {
    size_t a = strlen(dir), b = strlen(name);
    while (a > 1 && dir[a - 1] == '/') a--;
    char *p = lm_xmalloc(a + b + 2);
    memcpy(p, dir, a);
    p[a] = '/';
    memcpy(p + a + 1, name, b + 1);
    return p;
}

static int plain_span(const char *s, size_t n) {
    if (n == 0 || n > 128 || s[0] == '.') return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

int lm_plain_name_ok(const char *s) { return plain_span(s, strlen(s)); }

int lm_model_name_ok(const char *s) {
    const char *slash = strchr(s, '/');
    if (!slash) return lm_plain_name_ok(s);
    return plain_span(s, (size_t)(slash - s)) && lm_plain_name_ok(slash + 1);
}

int lm_checkpoint_name_step(const char *path) {
    size_t e = strlen(path);
    while (e > 1 && path[e - 1] == '/') e--;
    size_t b = e;
    while (b > 0 && path[b - 1] != '/') b--;
    static const char pre[] = "checkpoint-";
    size_t np = sizeof pre - 1;
    if (e - b <= np || strncmp(path + b, pre, np)) return -1;
    long v = 0;
    for (size_t i = b + np; i < e; i++) {
        if (path[i] < '0' || path[i] > '9' || v > 100000000) return -1;
        v = 10 * v + (path[i] - '0');
    }
    return (int)v;
}

/* path made absolute (against the working directory) with ".", ".." and
 * repeated '/' resolved by spelling alone, symbolic links left as they are:
 * a link in a models folder is one of its models even when it points away. */
static char *lexical_absolute(const char *path) {
    char cwd[4096] = "";
    if (path[0] != '/' && !getcwd(cwd, sizeof cwd)) return NULL;
    size_t n = strlen(cwd) + strlen(path) + 2;
    char *joined = lm_xmalloc(n), *out = lm_xmalloc(n);
    snprintf(joined, n, "%s/%s", cwd, path);
    size_t len = 0;
    for (char *seg = joined; *seg;) {
        char *end = strchr(seg, '/');
        size_t k = end ? (size_t)(end - seg) : strlen(seg);
        if (k == 2 && seg[0] == '.' && seg[1] == '.') {
            while (len > 0 && out[len - 1] != '/') len--;
            if (len > 0) len--;
        } else if (k > 0 && !(k == 1 && seg[0] == '.')) {
            out[len++] = '/';
            memcpy(out + len, seg, k);
            len += k;
        }
        seg += k + (end ? 1 : 0);
    }
    if (len == 0) out[len++] = '/';
    out[len] = '\0';
    free(joined);
    return out;
}

char *lm_path_under(const char *path, const char *root) {
    char *p = lexical_absolute(path), *roots[2] = {lexical_absolute(root), realpath(root, NULL)};
    char *rel = NULL;
    for (int i = 0; i < 2 && p && !rel; i++) {
        size_t n = roots[i] ? strlen(roots[i]) : 0;
        if (n == 1) n = 0; /* the root folder "/" */
        if (roots[i] && !strncmp(p, roots[i], n) && p[n] == '/' && p[n + 1]) rel = lm_xstrdup(p + n + 1);
    }
    free(p);
    free(roots[0]);
    free(roots[1]);
    return rel;
}
