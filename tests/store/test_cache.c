/* test_cache.c - store/cache: hits and misses, layout, corruption detected
 * and dropped, concurrent writers and readers (fork) never see a torn entry,
 * per-key locks exclude and compute an entry once. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "../check.h"
#include "store/cache.h"
#include "util/file.h"
#include "util/log.h"

static char dir[] = "/tmp/lmntk-test-cache-XXXXXX";

static void test_basic(void) {
    lm_error err;
    lm_cache *c = lm_cache_open(dir, &err);
    CHECK(c != NULL);
    char key[LM_CACHE_KEY_LEN + 1];
    lm_cache_key("kernel-v1|model=abc|split=def|formula=sgd", key);
    CHECK(strlen(key) == 64);
    void *p;
    size_t n;
    CHECK(lm_cache_get(c, key, "kernel", &p, &n, &err) == 0 && p == NULL);

    double v[1000];
    for (int i = 0; i < 1000; i++) v[i] = i * 0.25;
    CHECK(lm_cache_put(c, key, "kernel", v, sizeof v, &err) == 0);
    CHECK(lm_cache_get(c, key, "kernel", &p, &n, &err) == 1);
    CHECK(n == sizeof v && memcmp(p, v, n) == 0);
    CHECK(((uintptr_t)p & 63) == 0);
    free(p);
    /* Kinds are separate namespaces. */
    CHECK(lm_cache_get(c, key, "logits", &p, &n, &err) == 0);

    /* Layout: <dir>/<kind>/<key[0:2]>/<key>, header + payload. */
    char *path = lm_cache_path(c, key, "kernel");
    char want[512];
    snprintf(want, sizeof want, "%s/kernel/%.2s/%s", dir, key, key);
    CHECK(path && strcmp(path, want) == 0);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (size_t)st.st_size == LM_CACHE_HEADER_SIZE + sizeof v);

    /* Replacing, and an empty payload. */
    CHECK(lm_cache_put(c, key, "kernel", "xyz", 3, &err) == 0);
    CHECK(lm_cache_get(c, key, "kernel", &p, &n, &err) == 1 && n == 3 && memcmp(p, "xyz", 3) == 0);
    free(p);
    CHECK(lm_cache_put(c, key, "empty", "", 0, &err) == 0);
    CHECK(lm_cache_get(c, key, "empty", &p, &n, &err) == 1 && n == 0);
    free(p);

    lm_cache_stats s = lm_cache_get_stats(c);
    CHECK(s.hits == 3 && s.misses == 2 && s.puts == 3 && s.corrupt == 0);

    /* Bad keys and kinds are errors, not misses. */
    CHECK(lm_cache_get(c, "abc", "kernel", &p, &n, &err) == -1 && strstr(err.msg, "bad key"));
    CHECK(lm_cache_put(c, key, "../x", "a", 1, &err) == -1 && strstr(err.msg, "bad kind"));
    CHECK(lm_cache_put(c, key, NULL, "a", 1, &err) == -1);
    char upper[LM_CACHE_KEY_LEN + 1];
    memcpy(upper, key, sizeof upper);
    upper[0] = 'A';
    CHECK(lm_cache_get(c, upper, "kernel", &p, &n, &err) == -1);
    CHECK(lm_cache_path(c, key, "a/b") == NULL);
    free(path);
    lm_cache_close(c);
}

/* Rewrites one byte of an entry file in place. */
static void poke(const char *path, long off, char byte) {
    int fd = open(path, O_WRONLY);
    CHECK(fd >= 0 && pwrite(fd, &byte, 1, off) == 1);
    close(fd);
}

static void test_corruption(void) {
    lm_error err;
    lm_cache *c = lm_cache_open(dir, &err);
    char key[LM_CACHE_KEY_LEN + 1], key2[LM_CACHE_KEY_LEN + 1];
    lm_cache_key("corrupt-me", key);
    lm_cache_key("another", key2);
    char payload[4096];
    memset(payload, 7, sizeof payload);
    char *path = lm_cache_path(c, key, "feat");
    void *p;
    size_t n;

    /* A flipped payload byte: checksum mismatch, deleted, a miss. */
    CHECK(lm_cache_put(c, key, "feat", payload, sizeof payload, &err) == 0);
    poke(path, LM_CACHE_HEADER_SIZE + 1000, 8);
    CHECK(lm_cache_get(c, key, "feat", &p, &n, &err) == 0 && p == NULL);
    CHECK(!lm_file_exists(path));
    CHECK(lm_cache_get_stats(c).corrupt == 1);

    /* A flipped checksum byte, a bad magic, a truncated file. */
    CHECK(lm_cache_put(c, key, "feat", payload, sizeof payload, &err) == 0);
    poke(path, 30, 0);
    CHECK(lm_cache_get(c, key, "feat", &p, &n, &err) == 0 && !lm_file_exists(path));
    CHECK(lm_cache_put(c, key, "feat", payload, sizeof payload, &err) == 0);
    poke(path, 0, 'X');
    CHECK(lm_cache_get(c, key, "feat", &p, &n, &err) == 0 && !lm_file_exists(path));
    CHECK(lm_cache_put(c, key, "feat", payload, sizeof payload, &err) == 0);
    CHECK(truncate(path, LM_CACHE_HEADER_SIZE + 100) == 0);
    CHECK(lm_cache_get(c, key, "feat", &p, &n, &err) == 0 && !lm_file_exists(path));
    CHECK(lm_cache_put(c, key, "feat", payload, sizeof payload, &err) == 0);
    CHECK(truncate(path, 10) == 0);
    CHECK(lm_cache_get(c, key, "feat", &p, &n, &err) == 0 && !lm_file_exists(path));

    /* An intact entry copied under another key's name is refused too. */
    CHECK(lm_cache_put(c, key, "feat", payload, sizeof payload, &err) == 0);
    char *path2 = lm_cache_path(c, key2, "feat");
    char *dir2 = lm_xstrndup(path2, (size_t)(strrchr(path2, '/') - path2));
    CHECK(lm_mkdirs(dir2, &err) == 0);
    size_t len;
    char *bytes = lm_read_file(path, &len, &err);
    CHECK(bytes && lm_write_file_atomic(path2, bytes, len, &err) == 0);
    CHECK(lm_cache_get(c, key2, "feat", &p, &n, &err) == 0 && !lm_file_exists(path2));
    CHECK(lm_cache_get(c, key, "feat", &p, &n, &err) == 1);
    free(p);
    CHECK(lm_cache_get_stats(c).corrupt == 6);

    /* Recovery: a put after the corruption gives a hit again. */
    CHECK(lm_cache_put(c, key2, "feat", "ok", 2, &err) == 0);
    CHECK(lm_cache_get(c, key2, "feat", &p, &n, &err) == 1 && n == 2);
    free(p);
    free(bytes);
    free(dir2);
    free(path2);
    free(path);
    lm_cache_close(c);
}

#define WRITERS 4
#define READERS 2
#define ROUNDS 25
#define BIG (192 * 1024)

/* Writer w's payload in round r: every byte w*ROUNDS+r, plus the length
 * varying, so a mix of two writes is always detectable. */
static size_t payload_len(int w, int r) { return BIG + (size_t)(w * 977 + r * 13); }

static int child_writer(int w, const char *key) {
    lm_error err;
    lm_cache *c = lm_cache_open(dir, &err);
    unsigned char *buf = malloc(BIG + 8192);
    for (int r = 0; r < ROUNDS; r++) {
        memset(buf, w * ROUNDS + r, payload_len(w, r));
        if (lm_cache_put(c, key, "torn", buf, payload_len(w, r), &err) != 0) return 1;
    }
    free(buf);
    lm_cache_close(c);
    return 0;
}

static int child_reader(const char *key) {
    lm_error err;
    lm_cache *c = lm_cache_open(dir, &err);
    int bad = 0, hits = 0;
    for (int i = 0; i < 300 && !bad; i++) {
        void *p;
        size_t n;
        int rc = lm_cache_get(c, key, "torn", &p, &n, &err);
        if (rc < 0) bad = 1;
        if (rc != 1) continue;
        hits++;
        const unsigned char *b = p;
        int v = b[0], w = v / ROUNDS, r = v % ROUNDS;
        if (w >= WRITERS || n != payload_len(w, r)) bad = 1;
        for (size_t j = 0; j < n && !bad; j++)
            if (b[j] != v) bad = 1;
        free(p);
    }
    if (lm_cache_get_stats(c).corrupt) bad = 1;
    lm_cache_close(c);
    return bad ? 1 : 0;
}

static int wait_all(int n) {
    int failures = 0;
    for (int i = 0; i < n; i++) {
        int st;
        if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) failures++;
    }
    return failures;
}

static void test_concurrent_writers(void) {
    char key[LM_CACHE_KEY_LEN + 1];
    lm_cache_key("shared-entry", key);
    for (int i = 0; i < WRITERS + READERS; i++) {
        pid_t pid = fork();
        if (pid == 0) _exit(i < WRITERS ? child_writer(i, key) : child_reader(key));
        CHECK(pid > 0);
    }
    CHECK(wait_all(WRITERS + READERS) == 0);
    /* The survivor is one writer's last payload, whole. */
    lm_error err;
    lm_cache *c = lm_cache_open(dir, &err);
    void *p;
    size_t n;
    CHECK(lm_cache_get(c, key, "torn", &p, &n, &err) == 1);
    const unsigned char *b = p;
    int w = b[0] / ROUNDS;
    CHECK(b[0] % ROUNDS == ROUNDS - 1 && n == payload_len(w, ROUNDS - 1));
    free(p);
    /* No temporary files left behind. */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "test -z \"$(find %s/torn -name '*.tmp.*')\"", dir);
    CHECK(system(cmd) == 0);
    lm_cache_close(c);
}

/* Lock exclusion: read-modify-write of a counter file under the lock. */
static int child_counter(const char *key, const char *counter) {
    lm_error err;
    lm_cache *c = lm_cache_open(dir, &err);
    for (int i = 0; i < 20; i++) {
        lm_cache_keylock lk;
        if (lm_cache_lock(c, key, &lk, &err) != 0) return 1;
        size_t n;
        char *s = lm_read_file(counter, &n, &err);
        int v = s ? atoi(s) : 0;
        free(s);
        usleep(300);
        char buf[32];
        int len = snprintf(buf, sizeof buf, "%d", v + 1);
        if (lm_write_file_atomic(counter, buf, (size_t)len, &err) != 0) return 1;
        lm_cache_unlock(&lk);
    }
    lm_cache_close(c);
    return 0;
}

/* The compute-once pattern of cache.h: only one process computes. */
static int child_compute_once(const char *key, const char *log) {
    lm_error err;
    lm_cache *c = lm_cache_open(dir, &err);
    void *p;
    size_t n;
    int rc = lm_cache_get(c, key, "once", &p, &n, &err);
    if (rc == 0) {
        lm_cache_keylock lk;
        if (lm_cache_lock(c, key, &lk, &err) != 0) return 1;
        rc = lm_cache_get(c, key, "once", &p, &n, &err);
        if (rc == 0) {
            int fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0644);
            if (fd < 0 || write(fd, "x", 1) != 1) return 1;
            close(fd);
            usleep(100 * 1000); /* the expensive computation */
            if (lm_cache_put(c, key, "once", "value", 5, &err) != 0) return 1;
        } else {
            free(p);
        }
        lm_cache_unlock(&lk);
    } else if (rc == 1) {
        free(p);
    }
    lm_cache_close(c);
    return rc < 0;
}

static void test_locks(void) {
    lm_error err;
    lm_cache *c = lm_cache_open(dir, &err);
    char key[LM_CACHE_KEY_LEN + 1];
    lm_cache_key("lock-me", key);

    /* Two holders in one process: flock is per open file. */
    lm_cache_keylock a, b;
    CHECK(lm_cache_lock(c, key, &a, &err) == 0);
    CHECK(lm_cache_trylock(c, key, &b, &err) == 0 && b.fd == -1);
    lm_cache_unlock(&a);
    CHECK(lm_cache_trylock(c, key, &b, &err) == 1);
    lm_cache_unlock(&b);
    lm_cache_unlock(&b); /* harmless */
    char lockfile[512];
    snprintf(lockfile, sizeof lockfile, "%s/.locks/%.2s/%s.lock", dir, key, key);
    CHECK(!lm_file_exists(lockfile)); /* unlock removes it */
    CHECK(lm_cache_lock(c, "not-a-key", &a, &err) == -1);

    char *counter = lm_path_join(dir, "counter");
    for (int i = 0; i < 4; i++) {
        pid_t pid = fork();
        if (pid == 0) _exit(child_counter(key, counter));
        CHECK(pid > 0);
    }
    CHECK(wait_all(4) == 0);
    size_t n;
    char *s = lm_read_file(counter, &n, &err);
    CHECK_MSG(s && atoi(s) == 80, "counter %s, want 80", s ? s : "(none)");
    free(s);

    char *log = lm_path_join(dir, "computed");
    char key2[LM_CACHE_KEY_LEN + 1];
    lm_cache_key("compute-once", key2);
    for (int i = 0; i < 4; i++) {
        pid_t pid = fork();
        if (pid == 0) _exit(child_compute_once(key2, log));
        CHECK(pid > 0);
    }
    CHECK(wait_all(4) == 0);
    s = lm_read_file(log, &n, &err);
    CHECK_MSG(s && n == 1, "computed %zu times", s ? n : 0);
    free(s);

    /* A holder that dies releases the lock. */
    pid_t pid = fork();
    if (pid == 0) {
        lm_cache_keylock lk;
        lm_cache *cc = lm_cache_open(dir, &err);
        _exit(lm_cache_lock(cc, key, &lk, &err) == 0 ? 0 : 1); /* exits holding it */
    }
    CHECK(wait_all(1) == 0);
    CHECK(lm_cache_trylock(c, key, &a, &err) == 1);
    lm_cache_unlock(&a);

    free(log);
    free(counter);
    lm_cache_close(c);
}

int main(void) {
    lm_log_set_level(LM_LOG_ERROR); /* corrupt entries warn by design */
    CHECK(mkdtemp(dir) != NULL);
    test_basic();
    test_corruption();
    test_concurrent_writers();
    test_locks();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return check_exit("test_cache");
}
