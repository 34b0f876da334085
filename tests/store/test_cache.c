/* test_cache.c - store/cache: hits and misses, layout, corruption detected
 * and dropped, entries without a valid MAC ignored, the MAC secret's file,
 * a full or unwritable cache as warnings, concurrent writers and readers
 * (fork) never see a torn entry, per-key locks exclude and compute an entry
 * once. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "../check.h"
#include "store/cache.h"
#include "util/file.h"
#include "util/log.h"

static char dir[] = "/tmp/lmntk-test-cache-XXXXXX";
static char secret_a[600], secret_b[600]; /* two secrets' files */

/* Writes text to path with mode. */
static void write_mode(const char *path, const char *text, mode_t mode) {
    lm_error err;
    CHECK(lm_write_file_atomic(path, text, strlen(text), &err) == 0);
    CHECK(chmod(path, mode) == 0);
}

static void test_basic(void) {
    lm_error err;
    lm_cache *c = lm_cache_open(dir, secret_a, &err);
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
    lm_cache *c = lm_cache_open(dir, secret_a, &err);
    char key[LM_CACHE_KEY_LEN + 1], key2[LM_CACHE_KEY_LEN + 1];
    lm_cache_key("corrupt-me", key);
    lm_cache_key("another", key2);
    char payload[4096];
    memset(payload, 7, sizeof payload);
    char *path = lm_cache_path(c, key, "feat");
    void *p;
    size_t n;

    /* A flipped payload byte: the MAC does not verify, a miss; the entry
     * stays until a put replaces it. */
    CHECK(lm_cache_put(c, key, "feat", payload, sizeof payload, &err) == 0);
    poke(path, LM_CACHE_HEADER_SIZE + 1000, 8);
    CHECK(lm_cache_get(c, key, "feat", &p, &n, &err) == 0 && p == NULL);
    CHECK(lm_file_exists(path));
    CHECK(lm_cache_get_stats(c).rejected == 1 && lm_cache_get_stats(c).corrupt == 0);

    /* A flipped MAC byte: the same. */
    CHECK(lm_cache_put(c, key, "feat", payload, sizeof payload, &err) == 0);
    CHECK(lm_cache_get(c, key, "feat", &p, &n, &err) == 1);
    free(p);
    poke(path, 30, 0);
    CHECK(lm_cache_get(c, key, "feat", &p, &n, &err) == 0 && lm_file_exists(path));
    CHECK(lm_cache_get_stats(c).rejected == 2);

    /* A bad magic, a truncated file: broken, deleted. */
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
    CHECK(lm_cache_get_stats(c).corrupt == 4 && lm_cache_get_stats(c).rejected == 2);

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

/* Entries written without the secret are misses and never hits: a writer
 * that knows the format but holds another secret, or none. */
static void test_mac(void) {
    lm_error err;
    lm_cache *a = lm_cache_open(dir, secret_a, &err), *b = lm_cache_open(dir, secret_b, &err);
    CHECK(a && b);
    char key[LM_CACHE_KEY_LEN + 1];
    lm_cache_key("mac-me", key);
    char *path = lm_cache_path(a, key, "mac");
    void *p;
    size_t n;
    CHECK(lm_cache_put(a, key, "mac", "from a", 6, &err) == 0);
    CHECK(lm_cache_get(a, key, "mac", &p, &n, &err) == 1 && n == 6);
    free(p);
    /* b does not trust a's entry, and leaves it (a may still want it) */
    CHECK(lm_cache_get(b, key, "mac", &p, &n, &err) == 0 && p == NULL && lm_file_exists(path));
    CHECK(lm_cache_get_stats(b).rejected == 1 && lm_cache_get_stats(b).hits == 0);
    /* b's recomputation replaces it; now a refuses b's */
    CHECK(lm_cache_put(b, key, "mac", "from b", 6, &err) == 0);
    CHECK(lm_cache_get(b, key, "mac", &p, &n, &err) == 1 && memcmp(p, "from b", 6) == 0);
    free(p);
    CHECK(lm_cache_get(a, key, "mac", &p, &n, &err) == 0 && lm_cache_get_stats(a).rejected == 1);

    /* A forger with no secret: a well-formed header whose MAC field holds
     * the payload's plain SHA-256 (version 1's checksum). */
    unsigned char h[LM_CACHE_HEADER_SIZE] = {'L', 'M', 'N', 'T', 'K', 'C', 'E', '\n', 2, 0, 0, 0, 128, 0, 0, 0, 6};
    lm_sha256("forged", 6, h + 24);
    memcpy(h + 56, key, LM_CACHE_KEY_LEN);
    char file[LM_CACHE_HEADER_SIZE + 6];
    memcpy(file, h, sizeof h);
    memcpy(file + sizeof h, "forged", 6);
    CHECK(lm_write_file_atomic(path, file, sizeof file, &err) == 0);
    CHECK(lm_cache_get(a, key, "mac", &p, &n, &err) == 0 && lm_cache_get(b, key, "mac", &p, &n, &err) == 0);
    /* The same bytes as a version-1 entry: broken, deleted. */
    file[8] = 1;
    CHECK(lm_write_file_atomic(path, file, sizeof file, &err) == 0);
    CHECK(lm_cache_get(a, key, "mac", &p, &n, &err) == 0 && !lm_file_exists(path));

    /* The MAC covers the kind: a's entry copied to another kind's path. */
    char key2[LM_CACHE_KEY_LEN + 1];
    lm_cache_key("kind-swap", key2);
    CHECK(lm_cache_put(a, key2, "logits", "payload", 7, &err) == 0);
    char *from = lm_cache_path(a, key2, "logits"), *to = lm_cache_path(a, key2, "kernel");
    char *to_dir = lm_xstrndup(to, (size_t)(strrchr(to, '/') - to));
    size_t len;
    char *bytes = lm_read_file(from, &len, &err);
    CHECK(bytes && lm_mkdirs(to_dir, &err) == 0 && lm_write_file_atomic(to, bytes, len, &err) == 0);
    CHECK(lm_cache_get(a, key2, "kernel", &p, &n, &err) == 0 && lm_cache_get(a, key2, "logits", &p, &n, &err) == 1);
    free(p);
    free(bytes);
    free(to_dir);
    free(from);
    free(to);
    free(path);
    lm_cache_close(a);
    lm_cache_close(b);
}

/* The secret's file: trailing white space dropped, short and shared ones
 * refused, the per-user default made once with mode 0600. */
static void test_secret(void) {
    lm_error err;
    uint8_t s1[LM_CACHE_SECRET_MAX], s2[LM_CACHE_SECRET_MAX];
    size_t n1, n2;
    char *f = lm_path_join(dir, "secret-nl");
    write_mode(f, "0123456789abcdef0123\n", 0600);
    CHECK(lm_cache_secret_load(f, s1, &n1, &err) == 0 && n1 == 20 && memcmp(s1, "0123456789abcdef0123", 20) == 0);
    write_mode(f, "short\n", 0600);
    CHECK(lm_cache_secret_load(f, s1, &n1, &err) == -1 && strstr(err.msg, "shorter than 16 bytes"));
    write_mode(f, "0123456789abcdef0123", 0644);
    CHECK(lm_cache_secret_load(f, s1, &n1, &err) == -1 && strstr(err.msg, "chmod 600"));
    write_mode(f, "0123456789abcdef0123", 0620);
    CHECK(lm_cache_secret_load(f, s1, &n1, &err) == -1 && strstr(err.msg, "mode 0620"));
    write_mode(f, "0123456789abcdef0123", 0640); /* the group may share it */
    CHECK(lm_cache_secret_load(f, s1, &n1, &err) == 0);
    CHECK(lm_cache_secret_load("/nonexistent/secret", s1, &n1, &err) == -1 && strstr(err.msg, "cannot open"));
    CHECK(lm_cache_open(dir, "/nonexistent/secret", &err) == NULL);

    /* The default: $LMNTK_CACHE_SECRET_FILE, else made under $HOME. */
    char *home = lm_path_join(dir, "home");
    CHECK(lm_mkdirs(home, &err) == 0);
    setenv("HOME", home, 1);
    unsetenv("XDG_CONFIG_HOME");
    setenv("LMNTK_CACHE_SECRET_FILE", secret_b, 1);
    CHECK(lm_cache_secret_load(NULL, s1, &n1, &err) == 0 && lm_cache_secret_load(secret_b, s2, &n2, &err) == 0);
    CHECK(n1 == n2 && memcmp(s1, s2, n1) == 0);
    unsetenv("LMNTK_CACHE_SECRET_FILE");
    char *made = lm_path_join(home, ".config/lmntk/cache-secret");
    CHECK(!lm_file_exists(made));
    CHECK(lm_cache_secret_load(NULL, s1, &n1, &err) == 0 && n1 == 64);
    struct stat st;
    CHECK(stat(made, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_size == 65);
    CHECK(lm_cache_secret_load(NULL, s2, &n2, &err) == 0 && n2 == 64 && memcmp(s1, s2, 64) == 0);
    char *def = lm_cache_secret_default_path(&err);
    CHECK(def && strcmp(def, made) == 0);
    free(def);
    /* Two caches on the default secret share entries. */
    lm_cache *c1 = lm_cache_open(dir, NULL, &err), *c2 = lm_cache_open(dir, "", &err);
    char key[LM_CACHE_KEY_LEN + 1];
    lm_cache_key("default-secret", key);
    void *p;
    size_t n;
    CHECK(c1 && c2 && lm_cache_put(c1, key, "d", "v", 1, &err) == 0 && lm_cache_get(c2, key, "d", &p, &n, &err) == 1);
    free(p);
    lm_cache_close(c1);
    lm_cache_close(c2);
    unsetenv("HOME");
    CHECK(lm_cache_secret_load(NULL, s1, &n1, &err) == -1 && strstr(err.msg, "HOME is not set"));
    free(made);
    free(home);
    free(f);
}

/* ---- a full or unwritable cache: one warning, then no writes ---- */

static int count_in_file(const char *path, const char *needle) {
    lm_error err;
    char *text = lm_read_file(path, NULL, &err);
    int n = 0;
    for (const char *p = text ? text : ""; (p = strstr(p, needle)); p += strlen(needle)) n++;
    free(text);
    return n;
}

/* Runs fn in a child with its log in dir/<name>.log; the child's checks
 * count as the parent's; 77 from the child is a skip with its reason. */
static void in_child(const char *name, int (*fn)(const char *cache_dir)) {
    char *log = lm_path_join(dir, name), cache_dir[600];
    snprintf(cache_dir, sizeof cache_dir, "%s/%s-cache", dir, name);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 2);
        lm_log_set_level(LM_LOG_WARN);
        int rc = fn(cache_dir);
        _exit(rc == 77 ? 77 : check_failures_ ? 1 : 0);
    }
    int st;
    CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st));
    if (WEXITSTATUS(st) == 77) {
        fprintf(stderr, "# %s: skipped (%s)\n", name, "no user and mount namespaces here");
    } else if (WEXITSTATUS(st) != 0) {
        char *text = lm_read_file(log, NULL, NULL);
        CHECK_MSG(0, "%s failed:\n%s", name, text ? text : "");
        free(text);
    }
    free(log);
}

/* Puts under a write failure: -1 naming why, one warning for all, the
 * handle still serves what is there, no temporary files left. */
static void check_writes_fail(lm_cache *c, const char *why, const char *cache_dir, const char *log_path) {
    lm_error err;
    char key[LM_CACHE_KEY_LEN + 1], key2[LM_CACHE_KEY_LEN + 1];
    lm_cache_key("there-before", key);
    lm_cache_key("new", key2);
    static char big[256 * 1024];
    memset(big, 3, sizeof big);
    void *p;
    size_t n;
    uint64_t puts = lm_cache_get_stats(c).puts;
    CHECK(lm_cache_get(c, key, "k", &p, &n, &err) == 1 && n == 5);
    free(p);
    int first_rc = lm_cache_put(c, key2, "k", big, sizeof big, &err);
    CHECK_MSG(first_rc == -1 && strstr(err.msg, why), "put: %d %s", first_rc, err.msg);
    CHECK(lm_cache_put(c, key2, "k", "x", 1, &err) == -1 && strstr(err.msg, "not writable"));
    lm_cache_keylock lk;
    CHECK(lm_cache_lock(c, key2, &lk, &err) == -1);
    CHECK(lm_cache_get(c, key2, "k", &p, &n, &err) == 0);
    CHECK(lm_cache_get(c, key, "k", &p, &n, &err) == 1);
    free(p);
    CHECK(lm_cache_get_stats(c).puts == puts);
    fflush(stderr);
    CHECK_MSG(count_in_file(log_path, "computing without storing entries") == 1, "one warning");
    CHECK(count_in_file(log_path, why) >= 1);
    char cmd[800];
    snprintf(cmd, sizeof cmd, "test -z \"$(find %s -name '*.tmp.*')\"", cache_dir);
    CHECK(system(cmd) == 0);
}

/* Makes cache_dir with one entry, under secret_a. */
static lm_cache *cache_with_entry(const char *cache_dir) {
    lm_error err;
    lm_cache *c = lm_cache_open(cache_dir, secret_a, &err);
    char key[LM_CACHE_KEY_LEN + 1];
    lm_cache_key("there-before", key);
    CHECK(c && lm_cache_put(c, key, "k", "value", 5, &err) == 0);
    return c;
}

static char log_of[3][600];

/* A full disk as the kernel reports a file size limit (EFBIG): works as
 * any user, on any machine. */
static int child_file_limit(const char *cache_dir) {
    lm_cache *c = cache_with_entry(cache_dir);
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {64 * 1024, 64 * 1024};
    CHECK(setrlimit(RLIMIT_FSIZE, &rl) == 0);
    check_writes_fail(c, "File too large", cache_dir, log_of[0]);
    lm_cache_close(c);
    return 0;
}

/* A user and mount namespace of the calling child, where it may mount;
 * -1 where the system forbids them (some containers do). */
static int own_mount_namespace(void) {
    char map[64];
    uid_t uid = geteuid();
    gid_t gid = getegid();
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return -1;
    lm_error err;
    int n = snprintf(map, sizeof map, "0 %u 1", (unsigned)uid);
    if (lm_write_file_atomic("/proc/self/setgroups", "deny", 4, &err) != 0) {
        int fd = open("/proc/self/setgroups", O_WRONLY);
        if (fd < 0 || write(fd, "deny", 4) != 4) return -1;
        close(fd);
    }
    int fd = open("/proc/self/uid_map", O_WRONLY);
    if (fd < 0 || write(fd, map, (size_t)n) != n) return -1;
    close(fd);
    n = snprintf(map, sizeof map, "0 %u 1", (unsigned)gid);
    fd = open("/proc/self/gid_map", O_WRONLY);
    if (fd < 0 || write(fd, map, (size_t)n) != n) return -1;
    close(fd);
    return mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL);
}

/* A real full file system: a 128 KiB tmpfs. */
static int child_disk_full(const char *cache_dir) {
    lm_error err;
    if (lm_mkdirs(cache_dir, &err) != 0 || own_mount_namespace() != 0 ||
        mount("tmpfs", cache_dir, "tmpfs", 0, "size=128k") != 0)
        return 77;
    lm_cache *c = cache_with_entry(cache_dir);
    check_writes_fail(c, "No space left on device", cache_dir, log_of[1]);
    lm_cache_close(c);
    return 0;
}

/* A read-only cache folder (a read-only bind mount: root too is refused). */
static int child_read_only(const char *cache_dir) {
    lm_cache *c = cache_with_entry(cache_dir);
    lm_cache_close(c);
    if (own_mount_namespace() != 0 || mount(cache_dir, cache_dir, NULL, MS_BIND, NULL) != 0 ||
        mount(NULL, cache_dir, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) != 0)
        return 77;
    lm_error err;
    c = lm_cache_open(cache_dir, secret_a, &err);
    CHECK(c != NULL);
    if (!c) return 0;
    check_writes_fail(c, "Read-only file system", cache_dir, log_of[2]);
    lm_cache_close(c);
    return 0;
}

static void test_unwritable(void) {
    static const char *names[3] = {"file-limit", "disk-full", "read-only"};
    for (int i = 0; i < 3; i++) snprintf(log_of[i], sizeof log_of[i], "%s/%s", dir, names[i]);
    in_child(names[0], child_file_limit);
    in_child(names[1], child_disk_full);
    in_child(names[2], child_read_only);
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
    lm_cache *c = lm_cache_open(dir, secret_a, &err);
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
    lm_cache *c = lm_cache_open(dir, secret_a, &err);
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
    lm_cache *c = lm_cache_open(dir, secret_a, &err);
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
    lm_cache *c = lm_cache_open(dir, secret_a, &err);
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
    lm_cache *c = lm_cache_open(dir, secret_a, &err);
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
    lm_cache *c = lm_cache_open(dir, secret_a, &err);
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
        lm_cache *cc = lm_cache_open(dir, secret_a, &err);
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
    snprintf(secret_a, sizeof secret_a, "%s/secret-a", dir);
    snprintf(secret_b, sizeof secret_b, "%s/secret-b", dir);
    write_mode(secret_a, "the workers' shared secret\n", 0600);
    write_mode(secret_b, "somebody else's secret\n", 0600);
    test_basic();
    test_corruption();
    test_mac();
    test_secret();
    test_unwritable();
    test_concurrent_writers();
    test_locks();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return check_exit("test_cache");
}
