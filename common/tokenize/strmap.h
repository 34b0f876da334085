/* strmap.h - the two hash maps of the tokenizers.
 *
 * lm_strmap: byte string -> int32 (vocabularies).  Keys are copied into one
 * pool and kept NUL-terminated, so a key doubles as the token's C string.
 * lm_pairmap: (symbol a, symbol b) -> (merge rank, merged symbol), the BPE
 * merge table.  Both are open addressing with linear probing over a
 * power-of-two array: one cache line per probe in the common case. */
#ifndef LM_TOKENIZE_STRMAP_H
#define LM_TOKENIZE_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct lm_strmap_slot {
    uint32_t hash, off, len;   /* len == UINT32_MAX: empty */
    int32_t val;
} lm_strmap_slot;

typedef struct lm_strmap {
    lm_strmap_slot *slots;
    size_t cap, n;
    char *pool;
    size_t pool_len, pool_cap;
} lm_strmap;

void lm_strmap_init(lm_strmap *m);
void lm_strmap_free(lm_strmap *m);
/* Inserts or overwrites; returns the pool offset of the key's NUL-terminated
 * copy (offsets stay valid while the pool grows; see lm_strmap_key). */
uint32_t lm_strmap_put(lm_strmap *m, const char *key, size_t len, int32_t val);
/* Value of key, or -1. */
int32_t lm_strmap_get(const lm_strmap *m, const char *key, size_t len);
static inline const char *lm_strmap_key(const lm_strmap *m, uint32_t off) {
    return m->pool + off;
}

typedef struct lm_pair_slot {
    uint64_t key;              /* UINT64_MAX: empty */
    int32_t rank, merged;
} lm_pair_slot;

typedef struct lm_pairmap {
    lm_pair_slot *slots;
    size_t cap, n;
} lm_pairmap;

void lm_pairmap_init(lm_pairmap *m);
void lm_pairmap_free(lm_pairmap *m);
void lm_pairmap_put(lm_pairmap *m, int32_t a, int32_t b, int32_t rank, int32_t merged);

static inline uint64_t lm_pair_key(int32_t a, int32_t b) {
    return ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
}

/* The slot of (a, b), or NULL. */
static inline const lm_pair_slot *lm_pairmap_get(const lm_pairmap *m, int32_t a, int32_t b) {
    uint64_t k = lm_pair_key(a, b);
    size_t mask = m->cap - 1;
    size_t i = (size_t)((k * 0x9E3779B97F4A7C15ull) >> 32) & mask;
    for (;;) {
        const lm_pair_slot *s = &m->slots[i];
        if (s->key == k) return s;
        if (s->key == UINT64_MAX) return NULL;
        i = (i + 1) & mask;
    }
}

#endif
