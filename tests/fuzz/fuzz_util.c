/* fuzz_util.c - the scratch folder and input splitting of the fuzz targets. */
#include <stdint.h>
#include "fuzz_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir_path[4096];

/* Removes the scratch folder and what the harness left in it (files only:
 * no harness makes subfolders but fuzz_server's, which cleans up itself). */
static void remove_dir(const char *path) {
    DIR *d = opendir(path);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char p[4352];
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        if (e->d_type == DT_DIR) remove_dir(p);
        else unlink(p);
    }
    closedir(d);
    rmdir(path);
}

static void cleanup(void) {
    if (dir_path[0]) remove_dir(dir_path);
}

const char *fuzz_dir(void) {
    if (dir_path[0]) return dir_path;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir_path, sizeof dir_path, "%s/lmntk-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir_path)) {
        fprintf(stderr, "fuzz: cannot make a scratch folder %s: %s\n", dir_path, strerror(errno));
        abort();
    }
    atexit(cleanup);
    return dir_path;
}

char *fuzz_write(const char *name, const void *data, size_t n) {
    size_t len = strlen(fuzz_dir()) + strlen(name) + 2;
    char *path = malloc(len);
    if (!path) abort();
    snprintf(path, len, "%s/%s", fuzz_dir(), name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "fuzz: cannot write %s: %s\n", path, strerror(errno));
        abort();
    }
    const char *p = data;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) {
            fprintf(stderr, "fuzz: cannot write %s: %s\n", path, strerror(errno));
            abort();
        }
        p += w;
        n -= (size_t)w;
    }
    close(fd);
    return path;
}

void fuzz_remove(const char *name) {
    char path[4352];
    snprintf(path, sizeof path, "%s/%s", fuzz_dir(), name);
    unlink(path);
}

int fuzz_split(const uint8_t *data, size_t n, int max, size_t *off, size_t *len) {
    const size_t sep_len = sizeof FUZZ_SEP - 1;
    int k = 0;
    size_t start = 0;
    while (k < max - 1) {
        const uint8_t *hit = n - start >= sep_len ? memmem(data + start, n - start, FUZZ_SEP, sep_len) : NULL;
        if (!hit) break;
        off[k] = start;
        len[k] = (size_t)(hit - data) - start;
        k++;
        start = (size_t)(hit - data) + sep_len;
    }
    off[k] = start;
    len[k] = n - start;
    return k + 1;
}

char *fuzz_strndup(const uint8_t *data, size_t n) {
    char *s = malloc(n + 1);
    if (!s) abort();
    if (n) memcpy(s, data, n);
    s[n] = '\0';
    return s;
}

const char *fuzz_source_root(void) {
    return LM_SOURCE_ROOT;
}
