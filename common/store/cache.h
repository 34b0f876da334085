/* cache.h - the content-addressed cache of intermediates (DESIGN.md data
 * flow, step 4): tokenized splits, pre-trained logits, gradient features,
 * kernel blocks, fine-tuned checkpoints.
 *
 * A key is the SHA-256 (hex) of a canonical description that the caller
 * builds from everything the value depends on, e.g.
 *   "kernel-v1|model=<digest>|split=<digest>|formula=sgd|params=all|...";
 * lm_cache_key() hashes it.  An entry lives at <dir>/<kind>/<key[0:2]>/<key>:
 * a 128-byte header (magic, version, payload length, MAC, the key) and the
 * payload.  Writes are atomic (temp + fsync + rename), so any number of
 * processes, on any hosts sharing the directory, may read and write at once;
 * a reader sees a whole entry or none.
 *
 * Trust: the MAC is HMAC-SHA256 over the kind, key and payload under a
 * secret that the workers sharing a cache share (lm_cache_secret_load).  An
 * entry whose MAC does not verify - written by someone without the secret,
 * or altered - is logged and read as a miss; the recomputed entry replaces
 * it.  A structurally broken entry (short, bad magic, another key) is
 * logged, deleted and read as a miss.
 *
 * The cache never fails a computation: a write that fails (full disk,
 * read-only or unwritable folder) is logged once per handle and later
 * writes are skipped; callers treat any -1 from get, lock or put as "no
 * cache for this entry" and compute.
 *
 * To compute an entry once across workers:
 *   if (lm_cache_get(c, key, kind, &p, &n, err) != 1) {      // miss
 *       lm_cache_lock(c, key, &lk, err);                     // may wait
 *       if (lm_cache_get(c, key, kind, &p, &n, err) != 1) {  // still a miss
 *           compute; lm_cache_put(c, key, kind, p, n, err);
 *       }
 *       lm_cache_unlock(&lk);
 *   }
 * Locks are flock()s on <dir>/.locks/<key[0:2]>/<key>.lock; the kernel drops
 * them when a worker dies, so a crash never leaves a key locked. */
#ifndef LM_STORE_CACHE_H
#define LM_STORE_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include "store/sha256.h"
#include "util/error.h"

#define LM_CACHE_KEY_LEN LM_SHA256_HEX_LEN /* 64 lowercase hex characters */
#define LM_CACHE_HEADER_SIZE 128           /* payload offset in an entry file */
#define LM_CACHE_KIND_MAX 32               /* kinds: [a-z0-9_-], 1..32 chars */
#define LM_CACHE_SECRET_MIN 16             /* bytes of a MAC secret */
#define LM_CACHE_SECRET_MAX 1024

typedef struct lm_cache lm_cache;

typedef struct lm_cache_stats {
    uint64_t hits, misses, puts; /* by this handle */
    uint64_t corrupt;             /* broken entries, deleted */
    uint64_t rejected;            /* entries whose MAC did not verify, ignored */
} lm_cache_stats;

typedef struct lm_cache_keylock {
    int fd; /* -1 when not held */
    char *path;
} lm_cache_keylock;

/* Opens (creating if needed) a cache directory with the MAC secret of
 * lm_cache_secret_load(secret_file).  NULL when the folder cannot be made
 * or the secret cannot be had. */
lm_cache *lm_cache_open(const char *dir, const char *secret_file, lm_error *err);
void lm_cache_close(lm_cache *c);
const char *lm_cache_dir(const lm_cache *c);

/* key = hex SHA-256 of the description string. */
void lm_cache_key(const char *description, char key[LM_CACHE_KEY_LEN + 1]);

/* The file of an entry (a new string), e.g. to serve it; NULL for a bad
 * key or kind. */
char *lm_cache_path(const lm_cache *c, const char *key, const char *kind);

/* The MAC secret: the text of file (trailing white space dropped); NULL or
 * "": $LMNTK_CACHE_SECRET_FILE; unset: the per-user file
 * lm_cache_secret_default_path(), made with 32 random bytes, mode 0600, on
 * first use.  A file that others may read or change is refused. */
int lm_cache_secret_load(const char *file, uint8_t secret[LM_CACHE_SECRET_MAX], size_t *len,
                         lm_error *err);
/* $XDG_CONFIG_HOME/lmntk/cache-secret, or ~/.config/lmntk/cache-secret. */
char *lm_cache_secret_default_path(lm_error *err);

/* Stores len bytes under (kind, key), replacing any previous entry.  -1
 * for a bad key or kind, or when the write failed (logged once per handle;
 * later puts are skipped). */
int lm_cache_put(lm_cache *c, const char *key, const char *kind, const void *data,
                 size_t len, lm_error *err);

/* 1: hit, *data (64-byte aligned, free with free()) and *len set.
 * 0: miss (absent; corrupt: logged, counted and deleted; a MAC that does
 * not verify: logged, counted and left for the next put to replace).
 * -1: error (bad key or kind, an I/O error other than absence: logged once
 * per handle). */
int lm_cache_get(lm_cache *c, const char *key, const char *kind, void **data,
                 size_t *len, lm_error *err);

/* Exclusive per-key lock between processes (and between threads, each with
 * its own lm_cache_keylock).  lm_cache_lock waits; lm_cache_trylock returns 1
 * when it got the lock, 0 when another holder has it.  -1 when the lock
 * file cannot be made (an unwritable cache: logged once per handle). */
int lm_cache_lock(lm_cache *c, const char *key, lm_cache_keylock *lk, lm_error *err);
int lm_cache_trylock(lm_cache *c, const char *key, lm_cache_keylock *lk, lm_error *err);
void lm_cache_unlock(lm_cache_keylock *lk);

/* Compute once: lm_cache_get; on a miss, lm_cache_lock (waiting for a
 * holder that may be making the entry) and lm_cache_get again.  On a miss
 * *lk holds the key's lock when it could be taken: make the entry, put
 * it, then unlock. */
int lm_cache_get_or_lock(lm_cache *c, const char *key, const char *kind, void **data, size_t *len,
                         lm_cache_keylock *lk, lm_error *err);

lm_cache_stats lm_cache_get_stats(const lm_cache *c);

#endif
