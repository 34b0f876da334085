/* tiles.c - a sharded kernel: its tile jobs and its merge (jobs.h).
 *
 * A tile job computes all training rows x part p of n of the evaluation
 * sets (train, dev, test): their canonical blocks, set after set, cut into
 * n runs of about equal work by lm_kernel_split_sets here on the worker
 * (a part holds a run of whole blocks of one, two or three sets, so the
 * tiles carry equal work even where a set has fewer blocks than tiles):
 * the daemon names p and n only, and never reads the data.  The training side's features (forward and backward
 * of the training examples) are computed once per (model, output, training
 * split, block size) and shared through the cache, so tiles on workers
 * that share it do not recompute them; each tile is cached too.  A tile
 * job's tiles go to its merge job as one file, LM_RUN_TILES_FILE:
 *
 *   "LMTILES1", int32 {n_tiles, part, of}, the job's key (64 hex bytes),
 *   then per tile: double {seconds, flops}, int64 bytes, lm_kernel_tile_pack
 *
 * The key hashes what the kernel's cache key does for each of the three
 * splits, and the block size, so the merge refuses a tile made from another
 * model file, split, formula, parameter set or block size instead of
 * merging it.  The merge checks that the tiles cover every entry exactly
 * once and copies them into place: the kernel is the unsharded job's, bit
 * for bit (common/kernel/DESIGN.md, "Sharding: tiles"). */
#include "run/jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/artifacts.h"
#include "util/file.h"
#include "util/log.h"

#define TILES_MAGIC "LMTILES1"
#define TILES_HEADER (8 + 3 * 4 + LM_CACHE_KEY_LEN)
#define TILE_CACHE_VERSION "lmntk-kernel-tile-v1"
#define FEATURES_CACHE_VERSION "lmntk-train-features-v1"

static const char *const set_names[3] = {"train", "dev", "test"};

static lm_example_set as_set(const lm_encoded_split *s) { return (lm_example_set){s->n, s->ex}; }

/* The digests of the job's splits: the training split and each of the
 * three evaluation sets, hashed once for every key below. */
typedef struct split_digests {
    char train[LM_SHA256_HEX_LEN + 1], x[3][LM_SHA256_HEX_LEN + 1];
} split_digests;

static void digest_splits(const lm_kernel_request *rq, split_digests *d) {
    lm_encoded_split_digest(rq->train, d->train);
    for (int s = 0; s < rq->n_sets && s < 3; s++) lm_encoded_split_digest(rq->sets[s], d->x[s]);
}

/* The job's key: every split's kernel description and the block size. */
static void job_key(const lm_run_kernel_ctx *kc, const split_digests *sd, char key[LM_CACHE_KEY_LEN + 1]) {
    const lm_kernel_request *rq = &kc->rq;
    char desc[2048];
    lm_sha256_ctx c;
    lm_sha256_init(&c);
    for (int s = 0; s < rq->n_sets; s++) {
        lm_kernel_request_describe(rq, sd->train, sd->x[s], desc, sizeof desc);
        lm_sha256_update(&c, desc, strlen(desc) + 1);
    }
    int bt = lm_kernel_block_tokens(rq->model, &rq->os, &rq->opt);
    lm_sha256_update(&c, &bt, sizeof bt);
    uint8_t d[LM_SHA256_LEN];
    lm_sha256_final(&c, d);
    lm_hex(d, sizeof d, key);
}

/* ---- the tile job -------------------------------------------------------- */

typedef struct tile_slot {
    int set, c0, c1;
    int blocks;              /* of the whole set: at most this many tiles hold a part of it */
    char key[LM_CACHE_KEY_LEN + 1];
    lm_cache_keylock lock;
    void *packed;            /* lm_kernel_tile_pack bytes */
    size_t len;
    double seconds, flops;
    int hit;
} tile_slot;

static void tile_cache_key(const lm_run_kernel_ctx *kc, const split_digests *sd, const tile_slot *t, int n_train,
                           char key[LM_CACHE_KEY_LEN + 1]) {
    char desc[2300];
    int n = snprintf(desc, sizeof desc, "%s|", TILE_CACHE_VERSION);
    lm_kernel_request_describe(&kc->rq, sd->train, sd->x[t->set], desc + n, sizeof desc - n);
    n = (int)strlen(desc);
    snprintf(desc + n, sizeof desc - n, "|blocks=%d|rows=0,%d|cols=%d,%d",
             lm_kernel_block_tokens(kc->rq.model, &kc->rq.os, &kc->rq.opt), n_train, t->c0, t->c1);
    lm_cache_key(desc, key);
}

/* The training features of all training rows: from the cache, or computed
 * (and put there) under the key's lock, so that workers sharing the cache
 * compute them once.  *hit says which. */
static lm_kernel_train_features *train_features(lm_cache *cache, const lm_run_kernel_ctx *kc, const char *train_d,
                                                int *hit, lm_error *err) {
    const lm_kernel_request *rq = &kc->rq;
    lm_example_set train = as_set(rq->train);
    char desc[1400], key[LM_CACHE_KEY_LEN + 1];
    int n = snprintf(desc, sizeof desc, "%s|", FEATURES_CACHE_VERSION);
    n += lm_kernel_request_describe_output(rq, desc + n, sizeof desc - n);
    snprintf(desc + n, sizeof desc - n, "|train=%s|blocks=%d|rows=0,%d", train_d,
             lm_kernel_block_tokens(rq->model, &rq->os, &rq->opt), train.n);
    lm_cache_key(desc, key);
    lm_cache_keylock lock = {.fd = -1};
    lm_kernel_train_features *tf = NULL;
    *hit = 0;
    if (cache) {
        void *data = NULL;
        size_t len = 0;
        lm_error cerr;
        int got = lm_cache_get_or_lock(cache, key, "train-features", &data, &len, &lock, &cerr);
        if (got == 1) {
            tf = lm_kernel_train_features_unpack(rq->model, &rq->os, &rq->opt, &train, data, len, &cerr);
            if (!tf) lm_warn("cached training features: %s; computing them", cerr.msg);
        }
        free(data);
    }
    if (tf) {
        *hit = 1;
    } else {
        tf = lm_kernel_train_features_compute(rq->model, &rq->os, &rq->opt, &train, 0, train.n, err);
        if (tf && cache) {
            size_t len;
            lm_error cerr;
            void *bytes = lm_kernel_train_features_pack(tf, rq->model, &rq->os, &len);
            lm_cache_put(cache, key, "train-features", bytes, len, &cerr); /* a failed put is logged */
            free(bytes);
        }
    }
    lm_cache_unlock(&lock);
    return tf;
}

/* Whether the features fit beside every missing tile under the budget;
 * when not, the tiles compute the training side themselves (streamed
 * under the budget, as the unsharded job does). */
static int features_fit(const lm_run_kernel_ctx *kc, const lm_kernel_train_features *tf, const tile_slot *t,
                        int n_tiles) {
    const lm_kernel_request *rq = &kc->rq;
    lm_example_set train = as_set(rq->train);
    size_t budget = rq->opt.mem_budget ? rq->opt.mem_budget : LM_KERNEL_DEFAULT_BUDGET;
    for (int i = 0; i < n_tiles; i++) {
        if (t[i].hit) continue;
        lm_example_set x = as_set(rq->sets[t[i].set]);
        size_t need;
        lm_error ignored;
        if (lm_kernel_tile_min_memory(rq->model, &rq->os, &rq->opt, &train, 0, train.n, &x, t[i].c0, t[i].c1, tf,
                                      &need, &ignored) || need > budget)
            return 0;
    }
    return 1;
}

/* Writes the tiles as LM_RUN_TILES_FILE in dir. */
static int write_tiles(const char *dir, const char *key, int part, int of, const tile_slot *t, int n, lm_error *err) {
    size_t len = TILES_HEADER;
    for (int i = 0; i < n; i++) len += 2 * sizeof(double) + sizeof(int64_t) + t[i].len;
    char *buf = lm_xmalloc(len), *q = buf;
    int32_t hdr[3] = {n, part, of};
    memcpy(q, TILES_MAGIC, 8), q += 8;
    memcpy(q, hdr, sizeof hdr), q += sizeof hdr;
    memcpy(q, key, LM_CACHE_KEY_LEN), q += LM_CACHE_KEY_LEN;
    for (int i = 0; i < n; i++) {
        double d[2] = {t[i].seconds, t[i].flops};
        int64_t l = (int64_t)t[i].len;
        memcpy(q, d, sizeof d), q += sizeof d;
        memcpy(q, &l, sizeof l), q += sizeof l;
        memcpy(q, t[i].packed, t[i].len), q += t[i].len;
    }
    char *path = lm_path_join(dir, LM_RUN_TILES_FILE);
    int rc = lm_write_file_atomic(path, buf, len, err);
    free(path);
    free(buf);
    return rc;
}

int lm_run_kernel_tile_job(const lm_spec *spec, lm_job_setup *js, lm_kernel_formula formula, uint32_t seed,
                           int part, int of, const lm_run_options *opt, const lm_run_hooks *hooks,
                           const char *out_dir, cJSON *res, lm_error *err) {
    lm_run_kernel_ctx kc;
    if (lm_run_kernel_prepare(spec, js, formula, seed, opt, hooks, &kc, err)) return -1;
    const lm_kernel_request *rq = &kc.rq;
    if (rq->opt.projection_dim > 0) {
        lm_run_kernel_ctx_free(&kc);
        return lm_fail(err, "kernel.shards: a projected kernel is not split into tiles");
    }
    lm_example_set train = as_set(rq->train);
    split_digests sd;
    char key[LM_CACHE_KEY_LEN + 1];
    digest_splits(rq, &sd);
    job_key(&kc, &sd, key);

    /* this part of each set: a run of whole blocks (the blocks of the three
     * sets cut together into parts of about equal work), or nothing */
    tile_slot t[3];
    int n = 0, rc = 0;
    memset(t, 0, sizeof t);
    lm_example_set sets[3];
    for (int s = 0; s < 3; s++) sets[s] = as_set(rq->sets[s]);
    int *c0 = lm_xcalloc((size_t)of * 3, sizeof *c0), *c1 = lm_xcalloc((size_t)of * 3, sizeof *c1);
    int blocks[3];
    int parts = lm_kernel_split_sets(rq->model, &rq->os, &rq->opt, sets, 3, of, c0, c1, blocks);
    for (int s = 0; s < 3; s++) {
        int i = (part - 1) * 3 + s;
        if (part <= parts && c0[i] < c1[i]) {
            t[n] = (tile_slot){.set = s, .c0 = c0[i], .c1 = c1[i], .blocks = blocks[s], .lock = {.fd = -1}};
            tile_cache_key(&kc, &sd, &t[n], train.n, t[n].key);
            n++;
        }
    }
    free(c0);
    free(c1);

    /* the tiles in the cache (or their locks: another worker may be making one) */
    lm_cache *cache = lm_run_cache_open(opt);
    int hits = 0, misses = 0;
    for (int i = 0; i < n && cache; i++) {
        lm_error cerr;
        int got = lm_cache_get_or_lock(cache, t[i].key, "kernel-tile", &t[i].packed, &t[i].len, &t[i].lock, &cerr);
        t[i].hit = got == 1;
        if (!t[i].hit) {
            free(t[i].packed);
            t[i].packed = NULL;
        }
    }
    for (int i = 0; i < n; i++) hits += t[i].hit, misses += !t[i].hit;

    /* the missing ones, from the training features computed once */
    double t0 = lm_now(), t_features = 0, flops = 0;
    int features_hit = -1;
    if (misses > 0) {
        lm_kernel_train_features *tf = train_features(cache, &kc, sd.train, &features_hit, err);
        t_features = lm_now() - t0;
        if (!tf) rc = -1;
        if (tf && !features_fit(&kc, tf, t, n)) {
            lm_warn("tile %d/%d: the training features do not fit in the memory budget beside the tiles; "
                    "the tiles compute the training side themselves", part, of);
            lm_kernel_train_features_free(tf);
            tf = NULL;
        }
        size_t rows = 0, done = 0;
        for (int i = 0; i < n; i++) rows += t[i].hit ? 0 : (size_t)(t[i].c1 - t[i].c0);
        for (int i = 0; i < n && rc == 0; i++) {
            if (t[i].hit) continue;
            lm_example_set x = as_set(rq->sets[t[i].set]);
            kc.progress.lo = 0.05 + 0.9 * (double)done / (double)(rows ? rows : 1);
            done += (size_t)(t[i].c1 - t[i].c0);
            kc.progress.hi = 0.05 + 0.9 * (double)done / (double)(rows ? rows : 1);
            double ts = lm_now();
            lm_kernel_tile tile;
            rc = lm_kernel_tile_compute(rq->model, &rq->os, &rq->opt, &train, 0, train.n, &x, t[i].set, t[i].c0,
                                        t[i].c1, tf, &tile, err);
            if (rc) {
                lm_fail_prefix(err, "tile %d/%d of %s", part, of, set_names[t[i].set]);
                break;
            }
            t[i].seconds = lm_now() - ts;
            t[i].flops = tile.flops;
            flops += tile.flops;
            t[i].packed = lm_kernel_tile_pack(&tile, &t[i].len);
            lm_kernel_tile_free(&tile);
            if (cache) {
                lm_error cerr; /* a failed put is logged by the cache; the job goes on */
                lm_cache_put(cache, t[i].key, "kernel-tile", t[i].packed, t[i].len, &cerr);
            }
        }
        lm_kernel_train_features_free(tf);
    }
    for (int i = 0; i < n; i++) lm_cache_unlock(&t[i].lock);
    if (cache) lm_cache_close(cache);
    double t_kernel = lm_now() - t0;

    if (rc == 0 && out_dir) rc = write_tiles(out_dir, key, part, of, t, n, err);
    if (rc == 0) {
        cJSON *to = cJSON_AddObjectToObject(res, "tile");
        cJSON_AddNumberToObject(to, "part", part);
        cJSON_AddNumberToObject(to, "of", of);
        cJSON *list = cJSON_AddArrayToObject(res, "tiles");
        for (int i = 0; i < n; i++) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "set", set_names[t[i].set]);
            cJSON *r = cJSON_AddArrayToObject(e, "rows");
            cJSON_AddItemToArray(r, cJSON_CreateNumber(0));
            cJSON_AddItemToArray(r, cJSON_CreateNumber(train.n));
            cJSON *c = cJSON_AddArrayToObject(e, "cols");
            cJSON_AddItemToArray(c, cJSON_CreateNumber(t[i].c0));
            cJSON_AddItemToArray(c, cJSON_CreateNumber(t[i].c1));
            cJSON_AddBoolToObject(e, "cached", t[i].hit);
            cJSON_AddNumberToObject(e, "set_blocks", t[i].blocks);
            cJSON_AddNumberToObject(e, "seconds", t[i].seconds);
            cJSON_AddItemToArray(list, e);
        }
        cJSON *tm = cJSON_AddObjectToObject(res, "timings");
        cJSON_AddNumberToObject(tm, "kernel_s", t_kernel);
        cJSON_AddNumberToObject(tm, "features_s", t_features);
        cJSON_AddNumberToObject(tm, "kernel_gflop", flops / 1e9);
        cJSON *ch = cJSON_AddObjectToObject(res, "cache");
        cJSON_AddNumberToObject(ch, "hits", hits);
        cJSON_AddNumberToObject(ch, "misses", misses);
        if (features_hit >= 0) cJSON_AddBoolToObject(ch, "features_hit", features_hit);
        cJSON *m = cJSON_AddArrayToObject(res, "artifacts");
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "file", LM_RUN_TILES_FILE);
        cJSON_AddStringToObject(f, "content", "kernel tiles for the merge job (lmntk's own format, common/run/tiles.c)");
        cJSON_AddItemToArray(m, f);
    }
    for (int i = 0; i < n; i++) free(t[i].packed);
    lm_run_kernel_ctx_free(&kc);
    return rc;
}

/* ---- the merge ------------------------------------------------------------- */

/* One tile job's file into out: each tile checked against the key, its
 * entries marked in cover[set] (an entry twice is an error). */
static int merge_file(const char *path, const char *key, int of, int *seen_part, lm_kernel_result *out,
                      unsigned char **cover, double *seconds, lm_error *err) {
    size_t len;
    char *data = lm_read_file(path, &len, err);
    if (!data) return -1;
    const char *q = data, *end = data + len;
    int32_t hdr[3];
    int rc = 0;
    if (len < TILES_HEADER || memcmp(q, TILES_MAGIC, 8)) {
        rc = lm_fail(err, "%s: not a file of kernel tiles", path);
        goto out;
    }
    memcpy(hdr, q + 8, sizeof hdr);
    q += 8 + sizeof hdr;
    if (memcmp(q, key, LM_CACHE_KEY_LEN)) {
        rc = lm_fail(err, "%s: tiles of another kernel (model file, splits, formula, parameters or block size "
                          "differ from this job's)", path);
        goto out;
    }
    q += LM_CACHE_KEY_LEN;
    if (hdr[2] != of || hdr[1] < 1 || hdr[1] > of || hdr[0] < 0 || hdr[0] > 3) {
        rc = lm_fail(err, "%s: part %d of %d, this kernel has %d tiles", path, hdr[1], hdr[2], of);
        goto out;
    }
    if (seen_part[hdr[1]]++) {
        rc = lm_fail(err, "%s: part %d of %d twice", path, hdr[1], of);
        goto out;
    }
    for (int i = 0; i < hdr[0] && rc == 0; i++) {
        double d[2];
        int64_t l;
        if ((size_t)(end - q) < sizeof d + sizeof l) {
            rc = lm_fail(err, "%s: truncated", path);
            break;
        }
        memcpy(d, q, sizeof d), q += sizeof d;
        memcpy(&l, q, sizeof l), q += sizeof l;
        if (l < 0 || (uint64_t)l > (uint64_t)(end - q)) {
            rc = lm_fail(err, "%s: truncated", path);
            break;
        }
        lm_kernel_tile t;
        if (lm_kernel_tile_unpack(q, (size_t)l, &t, err)) {
            rc = lm_fail_prefix(err, "%s", path);
            break;
        }
        q += l;
        t.flops = d[1];
        *seconds += d[0];
        if (t.set < 0 || t.set >= out->n_sets || t.r1 > out->n_train || t.c1 > out->n_x[t.set]) {
            rc = lm_fail(err, "%s: a tile [%d,%d) x [%d,%d) of set %d outside the kernel", path, t.r0, t.r1, t.c0,
                         t.c1, t.set);
        } else {
            size_t nx = (size_t)out->n_x[t.set];
            for (int a = t.r0; a < t.r1 && rc == 0; a++)
                for (int c = t.c0; c < t.c1 && rc == 0; c++)
                    if (cover[t.set][(size_t)a * nx + c]++)
                        rc = lm_fail(err, "%s: entry (%d, %d) of %s in two tiles", path, a, c, set_names[t.set]);
            if (rc == 0) rc = lm_kernel_result_merge(out, &t, err);
        }
        lm_kernel_tile_free(&t);
    }
    if (rc == 0 && q != end) rc = lm_fail(err, "%s: %zu bytes after the last tile", path, (size_t)(end - q));
out:
    free(data);
    return rc;
}

int lm_run_kernel_merge(const lm_run_kernel_ctx *kc, const cJSON *merge_job, const lm_run_options *opt,
                        lm_kernel_result *out, cJSON *res, lm_error *err) {
    const lm_kernel_request *rq = &kc->rq;
    const cJSON *after = cJSON_GetObjectItemCaseSensitive(merge_job, "after");
    const cJSON *tiles = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(merge_job, "merge"), "tiles");
    int of = cJSON_IsNumber(tiles) ? (int)tiles->valuedouble : 0;
    memset(out, 0, sizeof *out);
    if (!cJSON_IsArray(after) || of < 1 || cJSON_GetArraySize(after) != of)
        return lm_fail(err, "job: a merge job needs \"merge\": {\"tiles\": n} and the n tile jobs in \"after\"");
    if (rq->opt.projection_dim > 0) return lm_fail(err, "kernel.shards: a projected kernel is not split into tiles");
    split_digests sd;
    char key[LM_CACHE_KEY_LEN + 1];
    digest_splits(rq, &sd);
    job_key(kc, &sd, key);
    int n_x[3];
    for (int s = 0; s < 3; s++) n_x[s] = rq->sets[s]->n;
    lm_kernel_result_alloc(out, rq->train->n, 3, n_x, lm_output_dim(&rq->os), rq->opt.formula == LM_KF_ASYM);
    unsigned char *cover[3];
    for (int s = 0; s < 3; s++) cover[s] = lm_xcalloc((size_t)out->n_train * n_x[s] + 1, 1);
    int *seen = lm_xcalloc((size_t)of + 1, sizeof *seen), rc = 0, done = 0;
    double seconds = 0;
    const lm_run_hooks *hooks = kc->progress.hooks;
    for (const cJSON *a = after->child; a && rc == 0; a = a->next) {
        char *path = cJSON_IsNumber(a) ? lm_run_input_path(opt, (int)a->valuedouble, LM_RUN_TILES_FILE) : NULL;
        rc = path ? merge_file(path, key, of, seen, out, cover, &seconds, err)
                  : lm_fail(err, "job: no inputs for the tile job %g this merge job is after",
                            cJSON_IsNumber(a) ? a->valuedouble : -1.0);
        free(path);
        done++;
        if (rc == 0 && hooks && hooks->progress && hooks->progress(hooks->ctx, 0.05 + 0.8 * done / of, "merge"))
            rc = lm_fail(err, "cancelled");
    }
    /* every entry of every set, from some tile */
    for (int s = 0; s < 3 && rc == 0; s++)
        for (size_t i = 0; i < (size_t)out->n_train * n_x[s]; i++)
            if (!cover[s][i]) {
                rc = lm_fail(err, "the tiles leave entry (%zu, %zu) of %s uncovered", i / (size_t)n_x[s],
                             i % (size_t)n_x[s], set_names[s]);
                break;
            }
    for (int s = 0; s < 3; s++) free(cover[s]);
    free(seen);
    if (rc) {
        lm_kernel_result_free(out);
        return -1;
    }
    cJSON *sh = cJSON_AddObjectToObject(res, "shards");
    cJSON_AddNumberToObject(sh, "tiles", of);
    cJSON_AddNumberToObject(sh, "tile_kernel_s", seconds);
    return 0;
}
