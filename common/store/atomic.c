/* atomic.c - temp file + fsync + rename + directory fsync. */
#include "store/atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_all(int fd, const void *data, size_t len) {
    const char *p = data;
    while (len > 0) {
        /* Linux writes at most ~2 GiB per call; loop on short writes. */
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* The rename is only durable once the directory entry is on disk. */
static void sync_parent_dir(const char *path) {
    const char *slash = strrchr(path, '/');
    char *dir = slash ? lm_xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : lm_xstrdup(".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

int lm_write_parts_atomic(const char *path, const lm_buf_part *parts, int nparts,
                          lm_error *err) {
    size_t plen = strlen(path);
    char *tmp = lm_xmalloc(plen + 16);
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp.XXXXXX", 12);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        lm_fail(err, "%s: cannot create a temporary file: %s", path, strerror(errno));
        free(tmp);
        return -1;
    }
    const char *what = NULL;
    if (fchmod(fd, 0644) != 0) what = "cannot set its mode";
    for (int i = 0; !what && i < nparts; i++)
        if (parts[i].len && write_all(fd, parts[i].data, parts[i].len) != 0) what = "write failed";
    if (!what && fsync(fd) != 0) what = "fsync failed";
    int e = errno;
    if (close(fd) != 0 && !what) {
        what = "close failed";
        e = errno;
    }
    if (!what && rename(tmp, path) != 0) {
        what = "cannot rename into place";
        e = errno;
    }
    if (what) {
        unlink(tmp);
        free(tmp);
        return lm_fail(err, "%s: %s: %s", path, what, strerror(e));
    }
    free(tmp);
    sync_parent_dir(path);
    return 0;
}
