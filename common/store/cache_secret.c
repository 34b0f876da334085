/* cache_secret.c - the secret that keys the cache entries' MACs: read from
 * a file, or made once per user (see cache.h). */
#include "store/cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/file.h"
#include "util/log.h"

char *lm_cache_secret_default_path(lm_error *err) {
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    char *base;
    if (xdg && xdg[0] == '/') base = lm_xstrdup(xdg);
    else if (home && home[0] == '/') base = lm_path_join(home, ".config");
    else {
        lm_fail(err, "cache secret: HOME is not set; name a secret file with --cache-secret-file "
                     "or LMNTK_CACHE_SECRET_FILE");
        return NULL;
    }
    char *dir = lm_path_join(base, "lmntk");
    char *path = lm_path_join(dir, "cache-secret");
    free(dir);
    free(base);
    return path;
}

/* Makes path with 32 random bytes as hex, mode 0600, unless it exists: the
 * temporary file is linked into place, so two processes doing this at once
 * both end up reading the one that won. */
static int create_secret(const char *path, lm_error *err) {
    char *dir = lm_xstrndup(path, (size_t)(strrchr(path, '/') - path));
    int rc = lm_mkdirs(dir, err);
    if (rc == 0) chmod(dir, 0700); /* ours alone; a failure only leaves it 0755 */
    free(dir);
    if (rc) return lm_fail_prefix(err, "cache secret");
    uint8_t bytes[32];
    if (getrandom(bytes, sizeof bytes, 0) != (ssize_t)sizeof bytes)
        return lm_fail(err, "cache secret: no random bytes: %s", strerror(errno));
    char text[2 * sizeof bytes + 2];
    lm_hex(bytes, sizeof bytes, text);
    strcat(text, "\n");
    size_t n = strlen(path) + 16;
    char *tmp = lm_xmalloc(n);
    snprintf(tmp, n, "%s.tmp.XXXXXX", path);
    int fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 */
    if (fd < 0) {
        lm_fail(err, "cache secret %s: cannot create: %s", path, strerror(errno));
        free(tmp);
        return -1;
    }
    int ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text) && fsync(fd) == 0;
    int e = errno;
    close(fd);
    if (ok && link(tmp, path) != 0 && errno != EEXIST) {
        ok = 0;
        e = errno;
    }
    unlink(tmp);
    free(tmp);
    if (!ok) return lm_fail(err, "cache secret %s: cannot write: %s", path, strerror(e));
    lm_info("cache secret: made %s (copy it to every worker that shares the cache)", path);
    return 0;
}

/* Reads a secret file: a regular file that no one but its owner (and its
 * group) can read or write, whose text, without trailing white space, is
 * LM_CACHE_SECRET_MIN..LM_CACHE_SECRET_MAX bytes. */
static int read_secret(const char *path, uint8_t *secret, size_t *len, lm_error *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return lm_fail(err, "cache secret %s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return lm_fail(err, "cache secret %s: not a regular file", path);
    }
    /* Whoever can read it can forge entries; whoever can write it can make
     * workers accept theirs. */
    if (st.st_mode & (S_IROTH | S_IWOTH | S_IWGRP)) {
        close(fd);
        return lm_fail(err, "cache secret %s: mode %04o lets other users read or change it; "
                            "chmod 600 it (640 if its group may share it)",
                       path, (unsigned)(st.st_mode & 07777));
    }
    uint8_t buf[LM_CACHE_SECRET_MAX + 2];
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    if (n < 0) return lm_fail(err, "cache secret %s: cannot read: %s", path, strerror(errno));
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t')) n--;
    if (n > LM_CACHE_SECRET_MAX)
        return lm_fail(err, "cache secret %s: longer than %d bytes", path, LM_CACHE_SECRET_MAX);
    if (n < LM_CACHE_SECRET_MIN)
        return lm_fail(err, "cache secret %s: shorter than %d bytes (make one with: "
                            "head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n' > FILE)",
                       path, LM_CACHE_SECRET_MIN);
    memcpy(secret, buf, (size_t)n);
    memset(buf, 0, sizeof buf);
    *len = (size_t)n;
    return 0;
}

int lm_cache_secret_load(const char *file, uint8_t secret[LM_CACHE_SECRET_MAX], size_t *len,
                         lm_error *err) {
    if (!file || !*file) file = getenv("LMNTK_CACHE_SECRET_FILE");
    if (file && *file) return read_secret(file, secret, len, err);
    char *path = lm_cache_secret_default_path(err);
    if (!path) return -1;
    int rc = 0;
    if (access(path, F_OK) != 0) rc = create_secret(path, err);
    if (rc == 0) rc = read_secret(path, secret, len, err);
    free(path);
    return rc;
}
