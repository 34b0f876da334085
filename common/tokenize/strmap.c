/* strmap.c - string and pair hash maps (see strmap.h). */
#include "tokenize/strmap.h"

#include <stdlib.h>
#include <string.h>
#include "util/error.h"

/* FNV-1a, folded to 32 bits: tokens are short, so a byte loop is fine. */
static uint32_t hash_bytes(const char *s, size_t len) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ull;
    }
    return (uint32_t)(h ^ (h >> 32));
}

static void strmap_alloc(lm_strmap *m, size_t cap) {
    m->slots = lm_xmalloc(cap * sizeof *m->slots);
    for (size_t i = 0; i < cap; i++) m->slots[i].len = UINT32_MAX;
    m->cap = cap;
}

void lm_strmap_init(lm_strmap *m) {
    memset(m, 0, sizeof *m);
    strmap_alloc(m, 64);
}

void lm_strmap_free(lm_strmap *m) {
    free(m->slots);
    free(m->pool);
    memset(m, 0, sizeof *m);
}

static lm_strmap_slot *find(const lm_strmap *m, const char *key, size_t len, uint32_t h) {
    size_t mask = m->cap - 1, i = h & mask;
    for (;;) {
        lm_strmap_slot *s = &m->slots[i];
        if (s->len == UINT32_MAX) return s;
        if (s->hash == h && s->len == len && memcmp(m->pool + s->off, key, len) == 0)
            return s;
        i = (i + 1) & mask;
    }
}

static void grow(lm_strmap *m) {
    lm_strmap_slot *old = m->slots;
    size_t oldcap = m->cap;
    strmap_alloc(m, oldcap * 2);
    for (size_t i = 0; i < oldcap; i++) {
        if (old[i].len == UINT32_MAX) continue;
        size_t mask = m->cap - 1, j = old[i].hash & mask;
        while (m->slots[j].len != UINT32_MAX) j = (j + 1) & mask;
        m->slots[j] = old[i];
    }
    free(old);
}

uint32_t lm_strmap_put(lm_strmap *m, const char *key, size_t len, int32_t val) {
    uint32_t h = hash_bytes(key, len);
    lm_strmap_slot *s = find(m, key, len, h);
    if (s->len != UINT32_MAX) {
        s->val = val;
        return s->off;
    }
    if (m->pool_len + len + 1 > m->pool_cap) {
        m->pool_cap = (m->pool_cap ? m->pool_cap * 2 : 4096) + len + 1;
        m->pool = lm_xrealloc(m->pool, m->pool_cap);
    }
    uint32_t off = (uint32_t)m->pool_len;
    memcpy(m->pool + off, key, len);
    m->pool[off + len] = '\0';
    m->pool_len += len + 1;
    s->hash = h;
    s->off = off;
    s->len = (uint32_t)len;
    s->val = val;
    if (++m->n * 2 > m->cap) grow(m);
    return off;
}

int32_t lm_strmap_get(const lm_strmap *m, const char *key, size_t len) {
    const lm_strmap_slot *s = find(m, key, len, hash_bytes(key, len));
    return s->len == UINT32_MAX ? -1 : s->val;
}

static void pairmap_alloc(lm_pairmap *m, size_t cap) {
    m->slots = lm_xmalloc(cap * sizeof *m->slots);
    for (size_t i = 0; i < cap; i++) m->slots[i].key = UINT64_MAX;
    m->cap = cap;
}

void lm_pairmap_init(lm_pairmap *m) {
    memset(m, 0, sizeof *m);
    pairmap_alloc(m, 64);
}

void lm_pairmap_free(lm_pairmap *m) {
    free(m->slots);
    memset(m, 0, sizeof *m);
}

static lm_pair_slot *pair_find(lm_pairmap *m, uint64_t k) {
    size_t mask = m->cap - 1;
    size_t i = (size_t)((k * 0x9E3779B97F4A7C15ull) >> 32) & mask;
    while (m->slots[i].key != k && m->slots[i].key != UINT64_MAX) i = (i + 1) & mask;
    return &m->slots[i];
}

void lm_pairmap_put(lm_pairmap *m, int32_t a, int32_t b, int32_t rank, int32_t merged) {
    uint64_t k = lm_pair_key(a, b);
    lm_pair_slot *s = pair_find(m, k);
    if (s->key == UINT64_MAX) {
        s->key = k;
        m->n++;
    }
    s->rank = rank;
    s->merged = merged;
    /* Keep the load under 1/2 so that misses stop early. */
    if (m->n * 2 > m->cap) {
        lm_pair_slot *old = m->slots;
        size_t oldcap = m->cap;
        pairmap_alloc(m, oldcap * 2);
        for (size_t i = 0; i < oldcap; i++)
            if (old[i].key != UINT64_MAX) *pair_find(m, old[i].key) = old[i];
        free(old);
    }
}
