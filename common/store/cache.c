/* cache.c - content-addressed entries with MAC'd headers, atomic writes and
 * per-key flock()s (see cache.h). */
#include "store/cache.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/atomic.h"
#include "store/hmac.h"
#include "util/file.h"
#include "util/log.h"

/* Entry header, little-endian:
 *   0  magic "LMNTKCE\n"      8  u32 version      12 u32 header size (128)
 *   16 u64 payload length     24 MAC (entry_mac)  56 key (64 hex chars)
 *   120 reserved (zero)
 * Version 1 had a plain SHA-256 of the payload where the MAC is. */
static const char MAGIC[8] = {'L', 'M', 'N', 'T', 'K', 'C', 'E', '\n'};
#define VERSION 2

struct lm_cache {
    char *dir;
    uint8_t secret[LM_CACHE_SECRET_MAX];
    size_t secret_len;
    atomic_uint_least64_t hits, misses, corrupt, rejected, puts;
    atomic_int writes_off;  /* a write failed: later ones are skipped */
    atomic_int read_warned; /* an I/O error on reading was logged */
    pthread_mutex_t lock;   /* guards last_rejected */
    char last_rejected[LM_CACHE_KEY_LEN + LM_CACHE_KIND_MAX + 2]; /* "kind/key" last logged */
};

static int valid_key(const char *key) {
    if (!key) return 0;
    size_t n = 0;
    for (; key[n]; n++)
        if (!((key[n] >= '0' && key[n] <= '9') || (key[n] >= 'a' && key[n] <= 'f'))) return 0;
    return n == LM_CACHE_KEY_LEN;
}

static int valid_kind(const char *kind) {
    if (!kind) return 0;
    size_t n = 0;
    for (; kind[n]; n++)
        if (!((kind[n] >= 'a' && kind[n] <= 'z') || (kind[n] >= '0' && kind[n] <= '9') ||
              kind[n] == '_' || kind[n] == '-'))
            return 0;
    return n >= 1 && n <= LM_CACHE_KIND_MAX;
}

static int check_key(const char *key, lm_error *err) {
    if (valid_key(key)) return 0;
    return lm_fail(err, "cache: bad key \"%.80s\" (want 64 lowercase hex characters)", key ? key : "(null)");
}

static int check_args(const char *key, const char *kind, lm_error *err) {
    if (check_key(key, err) != 0) return -1;
    if (valid_kind(kind)) return 0;
    return lm_fail(err, "cache: bad kind \"%.80s\" (want [a-z0-9_-], 1..%d characters)",
                   kind ? kind : "(null)", LM_CACHE_KIND_MAX);
}

lm_cache *lm_cache_open(const char *dir, const char *secret_file, lm_error *err) {
    if (lm_mkdirs(dir, err) != 0) return NULL;
    lm_cache *c = lm_xcalloc(1, sizeof *c);
    if (lm_cache_secret_load(secret_file, c->secret, &c->secret_len, err) != 0) {
        free(c);
        return NULL;
    }
    c->dir = lm_xstrdup(dir);
    atomic_init(&c->hits, 0);
    atomic_init(&c->misses, 0);
    atomic_init(&c->corrupt, 0);
    atomic_init(&c->rejected, 0);
    atomic_init(&c->puts, 0);
    atomic_init(&c->writes_off, 0);
    atomic_init(&c->read_warned, 0);
    pthread_mutex_init(&c->lock, NULL);
    return c;
}

void lm_cache_close(lm_cache *c) {
    if (!c) return;
    free(c->dir);
    memset(c->secret, 0, sizeof c->secret);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* The first failed write turns writes off for this handle, with one
 * warning: a full or read-only cache must not fail the job, nor fill its
 * log, nor be retried for every entry. */
static int write_failed(lm_cache *c, lm_error *err) {
    if (atomic_exchange(&c->writes_off, 1) == 0)
        lm_warn("cache %s: %s; computing without storing entries", c->dir, err ? err->msg : "");
    return -1;
}

static int writes_are_off(lm_cache *c, lm_error *err) {
    if (!atomic_load(&c->writes_off)) return 0;
    return lm_fail(err, "cache %s: not writable (logged at the first failure)", c->dir);
}

static void read_failed(lm_cache *c, const lm_error *err) {
    if (atomic_exchange(&c->read_warned, 1) == 0)
        lm_warn("cache %s: %s; reading it as a miss", c->dir, err->msg);
}

/* Counts an entry whose MAC does not verify and logs it - once, though the
 * compute-once pattern reads it twice (before and after the lock). */
static void rejected(lm_cache *c, const char *kind, const char *key, const char *path) {
    char id[sizeof c->last_rejected];
    snprintf(id, sizeof id, "%s/%s", kind, key);
    atomic_fetch_add(&c->rejected, 1);
    pthread_mutex_lock(&c->lock);
    int again = strcmp(id, c->last_rejected) == 0;
    memcpy(c->last_rejected, id, sizeof id);
    pthread_mutex_unlock(&c->lock);
    if (!again)
        lm_warn("cache: entry %s has no valid MAC (written without this cache's secret, or altered); "
                "ignored, recomputing", path);
}

const char *lm_cache_dir(const lm_cache *c) { return c->dir; }

void lm_cache_key(const char *description, char key[LM_CACHE_KEY_LEN + 1]) {
    lm_sha256_hex(description, strlen(description), key);
}

/* <dir>/<sub>/<key[0:2]>[/<key><suffix>]: the two-character fan-out keeps
 * directories small on filesystems that dislike huge ones. */
static char *entry_path(const char *dir, const char *sub, const char *key, const char *suffix) {
    size_t n = strlen(dir) + strlen(sub) + LM_CACHE_KEY_LEN + strlen(suffix) + 8;
    char *p = lm_xmalloc(n);
    snprintf(p, n, "%s/%s/%.2s/%s%s", dir, sub, key, key, suffix);
    return p;
}

static char *parent_of(const char *path) {
    const char *slash = strrchr(path, '/');
    return lm_xstrndup(path, slash ? (size_t)(slash - path) : 0);
}

char *lm_cache_path(const lm_cache *c, const char *key, const char *kind) {
    if (!valid_key(key) || !valid_kind(kind)) return NULL;
    return entry_path(c->dir, kind, key, "");
}

static void put_u32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void put_u64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t get_u32(const unsigned char *p) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) v = v << 8 | p[i];
    return v;
}
static uint64_t get_u64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

/* HMAC over everything an entry claims: its kind, key, length and payload
 * (so an entry cannot be replayed under another key or kind). */
static void entry_mac(const lm_cache *c, const char *kind, const char *key, const void *data,
                      size_t len, uint8_t out[LM_SHA256_LEN]) {
    static const char domain[] = "lmntk-cache-entry-v2";
    unsigned char n[8];
    put_u64(n, (uint64_t)len);
    lm_hmac_ctx h;
    lm_hmac_init(&h, c->secret, c->secret_len);
    lm_hmac_update(&h, domain, sizeof domain); /* with its NUL */
    lm_hmac_update(&h, kind, strlen(kind) + 1);
    lm_hmac_update(&h, key, LM_CACHE_KEY_LEN);
    lm_hmac_update(&h, n, sizeof n);
    lm_hmac_update(&h, data, len);
    lm_hmac_final(&h, out);
}

int lm_cache_put(lm_cache *c, const char *key, const char *kind, const void *data,
                 size_t len, lm_error *err) {
    if (check_args(key, kind, err) != 0 || writes_are_off(c, err) != 0) return -1;
    unsigned char h[LM_CACHE_HEADER_SIZE] = {0};
    memcpy(h, MAGIC, 8);
    put_u32(h + 8, VERSION);
    put_u32(h + 12, LM_CACHE_HEADER_SIZE);
    put_u64(h + 16, (uint64_t)len);
    entry_mac(c, kind, key, data, len, h + 24);
    memcpy(h + 56, key, LM_CACHE_KEY_LEN);
    char *path = entry_path(c->dir, kind, key, "");
    char *dir = parent_of(path);
    int rc = lm_mkdirs(dir, err);
    if (rc == 0) {
        lm_buf_part parts[2] = {{h, sizeof h}, {data, len}};
        rc = lm_write_parts_atomic(path, parts, 2, err);
    }
    if (rc == 0) {
        atomic_fetch_add(&c->puts, 1);
    } else {
        lm_fail_prefix(err, "cache put %s/%.12s", kind, key);
        write_failed(c, err);
    }
    free(dir);
    free(path);
    return rc;
}

static int read_full(int fd, void *buf, size_t n) {
    char *p = buf;
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (r == 0) return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Removes a corrupt entry, but only if the path still names the file we
 * read: a writer may have just renamed a good entry over it. */
static void drop_corrupt(lm_cache *c, const char *path, int fd, const char *why) {
    struct stat a, b;
    if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        unlink(path);
    atomic_fetch_add(&c->corrupt, 1);
    lm_warn("cache: corrupt entry %s (%s); deleted, recomputing", path, why);
}

int lm_cache_get(lm_cache *c, const char *key, const char *kind, void **data,
                 size_t *len, lm_error *err) {
    *data = NULL;
    *len = 0;
    if (check_args(key, kind, err) != 0) return -1;
    char *path = entry_path(c->dir, kind, key, "");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT) {
            atomic_fetch_add(&c->misses, 1);
            free(path);
            return 0;
        }
        lm_fail(err, "%s: cannot open: %s", path, strerror(e));
        read_failed(c, err);
        free(path);
        return -1;
    }
    int rc = -1;
    const char *why = NULL;
    unsigned char h[LM_CACHE_HEADER_SIZE];
    struct stat st;
    void *buf = NULL;
    if (fstat(fd, &st) != 0) {
        lm_fail(err, "%s: cannot stat: %s", path, strerror(errno));
        read_failed(c, err);
        goto out;
    }
    if ((size_t)st.st_size < sizeof h || read_full(fd, h, sizeof h) != 0) {
        why = "short header";
    } else if (memcmp(h, MAGIC, 8) != 0) {
        why = "bad magic";
    } else if (get_u32(h + 8) != VERSION || get_u32(h + 12) != LM_CACHE_HEADER_SIZE) {
        why = "unknown version";
    } else if (memcmp(h + 56, key, LM_CACHE_KEY_LEN) != 0) {
        why = "entry of another key";
    } else if (get_u64(h + 16) != (uint64_t)st.st_size - sizeof h) {
        why = "length mismatch";
    } else {
        size_t n = (size_t)get_u64(h + 16);
        buf = lm_xalloc_aligned(n);
        if (read_full(fd, buf, n) != 0) {
            why = "short payload";
        } else {
            uint8_t mac[LM_SHA256_LEN];
            entry_mac(c, kind, key, buf, n, mac);
            if (!lm_mac_equal(mac, h + 24, sizeof mac)) {
                /* Not deleted: the recomputed entry replaces it, and a
                 * worker with another secret must not delete ours. */
                rejected(c, kind, key, path);
                rc = 0;
            } else {
                *data = buf;
                *len = n;
                buf = NULL;
                rc = 1;
            }
        }
    }
    if (why) {
        drop_corrupt(c, path, fd, why);
        rc = 0;
    }
    if (rc == 1) atomic_fetch_add(&c->hits, 1);
    else if (rc == 0) atomic_fetch_add(&c->misses, 1);
out:
    free(buf);
    close(fd);
    free(path);
    return rc;
}

/* Takes the flock on the key's lock file.  After getting it, checks that the
 * file is still the one at the path: the previous holder unlinks it on
 * unlock, and a lock on an unlinked file would exclude nobody. */
static int lock_impl(lm_cache *c, const char *key, lm_cache_keylock *lk, int wait, lm_error *err) {
    lk->fd = -1;
    lk->path = NULL;
    if (check_key(key, err) != 0) return -1;
    /* ".locks" cannot clash with a kind: kinds have no dots. */
    if (writes_are_off(c, err) != 0) return -1;
    char *path = entry_path(c->dir, ".locks", key, ".lock");
    char *dir = parent_of(path);
    if (lm_mkdirs(dir, err) != 0) {
        free(dir);
        free(path);
        return write_failed(c, err);
    }
    free(dir);
    for (;;) {
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            lm_fail(err, "%s: cannot open lock: %s", path, strerror(errno));
            free(path);
            return write_failed(c, err);
        }
        if (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
            int e = errno;
            close(fd);
            if (e == EINTR) continue;
            if (!wait && e == EWOULDBLOCK) {
                free(path);
                return 0;
            }
            lm_fail(err, "%s: cannot lock: %s", path, strerror(e));
            free(path);
            return -1;
        }
        struct stat a, b;
        if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
            lk->fd = fd;
            lk->path = path;
            return 1;
        }
        close(fd); /* lost a race with an unlock: take the new file */
    }
}

int lm_cache_lock(lm_cache *c, const char *key, lm_cache_keylock *lk, lm_error *err) {
    return lock_impl(c, key, lk, 1, err) == 1 ? 0 : -1;
}

int lm_cache_trylock(lm_cache *c, const char *key, lm_cache_keylock *lk, lm_error *err) {
    return lock_impl(c, key, lk, 0, err);
}

void lm_cache_unlock(lm_cache_keylock *lk) {
    if (!lk || lk->fd < 0) return;
    /* Unlink while still holding the lock, so no lock files pile up; waiters
     * notice (see lock_impl) and retry on a fresh file. */
    unlink(lk->path);
    close(lk->fd);
    free(lk->path);
    lk->fd = -1;
    lk->path = NULL;
}

lm_cache_stats lm_cache_get_stats(const lm_cache *c) {
    lm_cache_stats s;
    s.hits = atomic_load(&((lm_cache *)c)->hits);
    s.misses = atomic_load(&((lm_cache *)c)->misses);
    s.corrupt = atomic_load(&((lm_cache *)c)->corrupt);
    s.rejected = atomic_load(&((lm_cache *)c)->rejected);
    s.puts = atomic_load(&((lm_cache *)c)->puts);
    return s;
}

int lm_cache_get_or_lock(lm_cache *c, const char *key, const char *kind, void **data, size_t *len,
                         lm_cache_keylock *lk, lm_error *err) {
    int got = lm_cache_get(c, key, kind, data, len, err);
    if (got != 1 && lm_cache_lock(c, key, lk, err) == 0) got = lm_cache_get(c, key, kind, data, len, err);
    return got;
}
