/* digest.c - streamed file digests. */
#include "store/digest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (1 << 20)

int lm_file_digest(const char *path, char hex[LM_SHA256_HEX_LEN + 1], lm_error *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return lm_fail(err, "%s: cannot open: %s", path, strerror(errno));
#ifdef POSIX_FADV_SEQUENTIAL
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    uint8_t *buf = lm_xmalloc(CHUNK);
    lm_sha256_ctx c;
    lm_sha256_init(&c);
    for (;;) {
        ssize_t n = read(fd, buf, CHUNK);
        if (n < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            free(buf);
            close(fd);
            return lm_fail(err, "%s: read error: %s", path, strerror(e));
        }
        if (n == 0) break;
        lm_sha256_update(&c, buf, (size_t)n);
    }
    free(buf);
    close(fd);
    uint8_t d[LM_SHA256_LEN];
    lm_sha256_final(&c, d);
    lm_hex(d, sizeof d, hex);
    return 0;
}
