/* unicode.c - lookups in the generated Unicode tables. */
#include "tokenize/unicode.h"

/* Class of the run that contains cp: runs are (start << 8) | class. */
static int run_class(const uint32_t *runs, int n, uint32_t cp) {
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if ((runs[mid] >> 8) <= cp) lo = mid; else hi = mid - 1;
    }
    return (int)(runs[lo] & 0xFF);
}

int lm_uc_bpe_class(uint32_t cp) {
    if (cp < 128) return lm_uc_bpe_ascii[cp];
    return run_class(lm_uc_bpe_runs, lm_uc_bpe_nruns, cp);
}

int lm_uc_bert_class(uint32_t cp) {
    if (cp < 128) return lm_uc_bert_ascii[cp];
    return run_class(lm_uc_bert_runs, lm_uc_bert_nruns, cp);
}

size_t lm_uc_lower(uint32_t cp, uint32_t *out) {
    if (cp < 128) {
        out[0] = (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
        return 1;
    }
    for (int i = 0; i < lm_uc_lower_nmultis; i++) {
        if (lm_uc_lower_multis[i].cp == cp) {
            for (int k = 0; k < lm_uc_lower_multis[i].len; k++)
                out[k] = lm_uc_lower_multis[i].to[k];
            return lm_uc_lower_multis[i].len;
        }
    }
    /* Last run starting at or before cp; a member if on its stride. */
    int lo = 0, hi = lm_uc_lower_nruns - 1;
    out[0] = cp;
    if (hi < 0 || lm_uc_lower_runs[0].start > cp) return 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (lm_uc_lower_runs[mid].start <= cp) lo = mid; else hi = mid - 1;
    }
    const lm_uc_lower_run *r = &lm_uc_lower_runs[lo];
    uint32_t off = cp - r->start;
    if (off % r->stride == 0 && off / r->stride < r->count)
        out[0] = (uint32_t)((int32_t)cp + r->delta);
    return 1;
}

int lm_uc_ccc(uint32_t cp) {
    if (cp < 0x300) return 0;
    int lo = 0, hi = lm_uc_nccc_runs - 1;
    if (lm_uc_ccc_runs[0].start > cp) return 0;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (lm_uc_ccc_runs[mid].start <= cp) lo = mid; else hi = mid - 1;
    }
    const lm_uc_ccc_run *r = &lm_uc_ccc_runs[lo];
    return cp - r->start < r->count ? r->ccc : 0;
}

/* Hangul syllables decompose arithmetically (Unicode ch. 3.12). */
enum { H_SBASE = 0xAC00, H_LBASE = 0x1100, H_VBASE = 0x1161, H_TBASE = 0x11A7,
       H_TCOUNT = 28, H_NCOUNT = 588, H_SCOUNT = 11172 };

size_t lm_uc_decompose(uint32_t cp, uint32_t *out) {
    if (cp < 0xC0) { out[0] = cp; return 1; }
    if (cp >= H_SBASE && cp < H_SBASE + H_SCOUNT) {
        uint32_t s = cp - H_SBASE;
        out[0] = H_LBASE + s / H_NCOUNT;
        out[1] = H_VBASE + (s % H_NCOUNT) / H_TCOUNT;
        if (s % H_TCOUNT == 0) return 2;
        out[2] = H_TBASE + s % H_TCOUNT;
        return 3;
    }
    int lo = 0, hi = lm_uc_ndecomps - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        uint32_t m = lm_uc_decomps[mid].cp;
        if (m == cp) {
            const lm_uc_decomp *d = &lm_uc_decomps[mid];
            for (int k = 0; k < d->len; k++) out[k] = lm_uc_decomp_pool[d->off + k];
            return d->len;
        }
        if (m < cp) lo = mid + 1; else hi = mid - 1;
    }
    out[0] = cp;
    return 1;
}

void lm_uc_reorder(uint32_t *cps, size_t n) {
    /* Stable insertion sort by combining class inside each run of non-starters. */
    for (size_t i = 1; i < n; i++) {
        int c = lm_uc_ccc(cps[i]);
        if (c == 0) continue;
        uint32_t x = cps[i];
        size_t j = i;
        while (j > 0) {
            int p = lm_uc_ccc(cps[j - 1]);
            if (p <= c) break;    /* also stops at a starter (class 0) */
            cps[j] = cps[j - 1];
            j--;
        }
        cps[j] = x;
    }
}
