/* artifacts.c - names, folders, files and the table of experiment artifacts. */
#include "artifacts.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "db.h"
#include "dirlist.h"
#include "experiments.h"
#include "experiment/methods.h"
#include "store/npy.h"
#include "util/file.h"
#include "util/log.h"

#define TRASH_PREFIX ".deleted-"

int lmd_artifact_file_ok(const char *s) { return lm_plain_name_ok(s); }

int lmd_artifact_rel_ok(const char *s) {
    const char *slash = strchr(s, '/');
    if (!slash) return lmd_artifact_file_ok(s);
    size_t n = (size_t)(slash - s);
    char folder[LMD_ARTIFACT_NAME_MAX + 1];
    if (n == 0 || n > LMD_ARTIFACT_NAME_MAX) return 0;
    memcpy(folder, s, n);
    folder[n] = '\0';
    return lmd_artifact_file_ok(folder) && lmd_artifact_file_ok(slash + 1);
}

int lmd_artifact_parse(const char *name, int *job_idx, const char **file) {
    const char *slash = strchr(name, '/');
    if (!slash) {
        if (!lmd_artifact_file_ok(name)) return -1;
        *job_idx = -1;
        *file = name;
        return 0;
    }
    /* A decimal index without leading zeros, so one job has one name. */
    size_t digits = (size_t)(slash - name);
    if (digits == 0 || digits > 7 || (digits > 1 && name[0] == '0')) return -1;
    int idx = 0;
    for (size_t i = 0; i < digits; i++) {
        if (name[i] < '0' || name[i] > '9') return -1;
        idx = idx * 10 + (name[i] - '0');
    }
    if (!lmd_artifact_rel_ok(slash + 1)) return -1;
    *job_idx = idx;
    *file = slash + 1;
    return 0;
}

/* "seed<digits>", the digits a plain decimal. */
static int seed_component(const char *s, size_t n, long long *seed) {
    if (n < 5 || n > 14 || strncmp(s, "seed", 4) || (n > 5 && s[4] == '0')) return 0;
    long long v = 0;
    for (size_t i = 4; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (s[i] - '0');
    }
    *seed = v;
    return 1;
}

int lmd_artifact_parse_seed_form(const char *name, char *model, long long *seed, char *slug,
                                 const char **file) {
    /* the seed may come after a model of one or two components */
    const char *c = name;
    for (int k = 0; k < 3 && *c; k++) {
        size_t n = strcspn(c, "/");
        if (c[n] == '/' && seed_component(c, n, seed)) {
            const char *m = c + n + 1;
            size_t ms = strcspn(m, "/");
            if (m[ms] != '/' || ms == 0 || ms >= 64) return -1;
            memcpy(slug, m, ms);
            slug[ms] = '\0';
            size_t mlen = c > name ? (size_t)(c - name - 1) : 0;
            if (!lmd_artifact_file_ok(slug) || mlen >= 256 || !lmd_artifact_rel_ok(m + ms + 1)) return -1;
            memcpy(model, name, mlen);
            model[mlen] = '\0';
            if (mlen && !lm_model_name_ok(model)) return -1;
            *file = m + ms + 1;
            return 0;
        }
        if (c[n] != '/') break;
        c += n + 1;
    }
    return -1;
}

char *lmd_artifact_dir(const char *artifacts_dir, const char *experiment, int job_idx) {
    size_t n = strlen(artifacts_dir) + strlen(experiment) + 16;
    char *p = lm_xmalloc(n);
    if (job_idx < 0) snprintf(p, n, "%s/%s", artifacts_dir, experiment);
    else snprintf(p, n, "%s/%s/%d", artifacts_dir, experiment, job_idx);
    return p;
}

int lmd_artifact_write(const char *artifacts_dir, const char *experiment, const char *file,
                       const void *data, size_t len, lm_error *err) {
    char *dir = lmd_artifact_dir(artifacts_dir, experiment, -1);
    char *path = lm_path_join(dir, file);
    int rc = lm_mkdirs(dir, err) == 0 ? lm_write_file_atomic(path, data, len, err) : -1;
    free(path);
    free(dir);
    return rc;
}

int lmd_artifact_record(sqlite3 *h, const char *artifacts_dir, const char *experiment, int job_idx,
                        const char *file, lm_error *err) {
    char *dir = lmd_artifact_dir(artifacts_dir, experiment, job_idx);
    char *path = lm_path_join(dir, file);
    free(dir);
    struct stat sb;
    if (stat(path, &sb) != 0) {
        lm_fail(err, "artifact %s: %s", file, strerror(errno));
        free(path);
        return -1;
    }
    char dtype[8] = "", shape[512] = "";
    size_t n = strlen(file);
    lm_npy a;
    lm_error npy_err;
    if (n > 4 && !strcmp(file + n - 4, ".npy") && lm_npy_read_header(path, &a, &npy_err) == 0) {
        snprintf(dtype, sizeof dtype, "%s", lm_npy_dtype_descr(a.dtype));
        size_t len = (size_t)snprintf(shape, sizeof shape, "[");
        for (int i = 0; i < a.rank && len < sizeof shape - 24; i++)
            len += (size_t)snprintf(shape + len, sizeof shape - len, "%s%lld", i ? "," : "", (long long)a.shape[i]);
        snprintf(shape + len, sizeof shape - len, "]");
    }
    free(path);
    sqlite3_stmt *st = lmd_db_prepare(h,
        "INSERT OR REPLACE INTO artifacts(experiment_id, job_idx, file, bytes, dtype, shape, created_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, experiment, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, job_idx);
    sqlite3_bind_text(st, 3, file, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)sb.st_size);
    lmd_db_bind_text(st, 5, dtype[0] ? dtype : NULL);
    lmd_db_bind_text(st, 6, shape[0] ? shape : NULL);
    sqlite3_bind_double(st, 7, lmd_now());
    return lmd_db_step_done(st, err);
}

cJSON *lmd_artifact_files(sqlite3 *h, const char *experiment, lm_error *err) {
    sqlite3_stmt *st = lmd_db_prepare(h,
        "SELECT a.job_idx, a.file, a.bytes, a.dtype, a.shape, j.job, j.seed, j.method,"
        " json_extract(j.job, '$.label'), json_extract(j.job, '$.model')"
        " FROM artifacts a LEFT JOIN jobs j ON j.experiment_id = a.experiment_id AND j.idx = a.job_idx"
        " WHERE a.experiment_id = ?1 ORDER BY a.job_idx, a.file", err);
    if (!st) return NULL;
    sqlite3_bind_text(st, 1, experiment, -1, SQLITE_STATIC);
    cJSON *out = cJSON_CreateArray();
    while (sqlite3_step(st) == SQLITE_ROW) {
        int idx = sqlite3_column_int(st, 0);
        const char *file = lmd_db_text(st, 1);
        char path[640] = "", dir[512];
        cJSON *job = idx >= 0 ? cJSON_Parse(lmd_db_text(st, 5) ? lmd_db_text(st, 5) : "") : NULL;
        if (idx < 0) snprintf(path, sizeof path, "%s", file);
        else if (job && lm_method_job_dir(job, dir, sizeof dir) == 0) snprintf(path, sizeof path, "%s/%s", dir, file);
        else snprintf(path, sizeof path, "%d/%s", idx, file);
        cJSON_Delete(job);
        cJSON *e = cJSON_CreateObject();
        const char *base = strrchr(file, '/');
        cJSON_AddStringToObject(e, "name", base ? base + 1 : file);
        cJSON_AddStringToObject(e, "file", file);
        cJSON_AddStringToObject(e, "path", path);
        char url[800];
        snprintf(url, sizeof url, "/v1/experiments/%s/artifacts/%s", experiment, path);
        cJSON_AddStringToObject(e, "url", url);
        if (idx < 0) cJSON_AddNullToObject(e, "job");
        else cJSON_AddNumberToObject(e, "job", idx);
        cJSON_AddItemToObject(e, "seed", idx < 0 ? cJSON_CreateNull() : lmd_int_json(st, 6));
        cJSON_AddItemToObject(e, "method", lmd_text_json(st, 7));
        cJSON_AddItemToObject(e, "label", lmd_text_json(st, 8));
        cJSON_AddItemToObject(e, "model", lmd_text_json(st, 9));
        cJSON_AddNumberToObject(e, "bytes", (double)sqlite3_column_int64(st, 2));
        cJSON_AddItemToObject(e, "dtype", lmd_text_json(st, 3));
        const char *shape = lmd_db_text(st, 4);
        cJSON *sh = shape ? cJSON_Parse(shape) : NULL;
        cJSON_AddItemToObject(e, "shape", sh ? sh : cJSON_CreateNull());
        cJSON_AddItemToArray(out, e);
    }
    sqlite3_finalize(st);
    return out;
}

int lmd_artifact_open(const char *artifacts_dir, const char *experiment, int job_idx,
                      const char *file, uint64_t *size) {
    if (job_idx < 0 ? !lmd_artifact_file_ok(file) : !lmd_artifact_rel_ok(file)) return -1;
    char *dir = lmd_artifact_dir(artifacts_dir, experiment, job_idx);
    char *path = lm_path_join(dir, file);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    free(path);
    free(dir);
    if (fd < 0) return -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return -1;
    }
    *size = (uint64_t)st.st_size;
    return fd;
}

/* ---- deleting ----------------------------------------------------------------- */

static char *trash_path(const char *artifacts_dir, const char *experiment) {
    char name[64];
    snprintf(name, sizeof name, TRASH_PREFIX "%s", experiment);
    return lm_path_join(artifacts_dir, name);
}

int lmd_artifact_trash(const char *artifacts_dir, const char *experiment, lm_error *err) {
    char *dir = lmd_artifact_dir(artifacts_dir, experiment, -1), *trash = trash_path(artifacts_dir, experiment);
    int rc = rename(dir, trash) == 0 ? 1 : errno == ENOENT ? 0 : -1;
    if (rc < 0) lm_fail(err, "cannot move the artifacts of %s aside: %s", experiment, strerror(errno));
    free(dir);
    free(trash);
    return rc;
}

void lmd_artifact_untrash(const char *artifacts_dir, const char *experiment) {
    char *dir = lmd_artifact_dir(artifacts_dir, experiment, -1), *trash = trash_path(artifacts_dir, experiment);
    if (rename(trash, dir) != 0) lm_warn("cannot put the artifacts of %s back: %s", experiment, strerror(errno));
    free(dir);
    free(trash);
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb; (void)flag; (void)ftw;
    if (remove(path) != 0) lm_warn("cannot remove %s: %s", path, strerror(errno));
    return 0;
}

void lmd_artifact_remove_trash(const char *artifacts_dir, const char *experiment) {
    char *trash = trash_path(artifacts_dir, experiment);
    nftw(trash, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(trash);
}

/* ---- start-up ------------------------------------------------------------------ */

static int is_trash(const char *dir, const char *name) {
    (void)dir;
    return !strncmp(name, TRASH_PREFIX, strlen(TRASH_PREFIX));
}

static int experiment_exists(sqlite3 *h, const char *id) {
    lm_error err;
    sqlite3_stmt *st = lmd_db_prepare(h, "SELECT 1 FROM experiments WHERE id = ?1", &err);
    if (!st) return 1; /* when in doubt, keep the files */
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

static int is_entry(const char *dir, const char *name) {
    if (!lmd_artifact_file_ok(name)) return 0;
    char *p = lm_path_join(dir, name);
    int ok = lm_file_exists(p) || lm_dir_exists(p);
    free(p);
    return ok;
}

/* Enters the files of one folder (job_idx -1: the experiment's own; a job's
 * folder also one level of sub-folders). */
static int index_folder(sqlite3 *h, const char *artifacts_dir, const char *id, int job_idx,
                        const char *sub, lm_error *err) {
    char *base = lmd_artifact_dir(artifacts_dir, id, job_idx);
    char *dir = sub ? lm_path_join(base, sub) : lm_xstrdup(base);
    free(base);
    size_t n;
    char **names = lmd_dir_names(dir, is_entry, &n);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char *full = lm_path_join(dir, names[i]);
        char rel[2 * LMD_ARTIFACT_NAME_MAX + 2];
        snprintf(rel, sizeof rel, "%s%s%s", sub ? sub : "", sub ? "/" : "", names[i]);
        if (lm_file_exists(full)) rc = lmd_artifact_record(h, artifacts_dir, id, job_idx, rel, err);
        else if (job_idx >= 0 && !sub) rc = index_folder(h, artifacts_dir, id, job_idx, names[i], err);
        free(full);
    }
    lmd_dir_names_free(names, n);
    free(dir);
    return rc;
}

static int is_job_folder(const char *dir, const char *name) {
    int idx;
    const char *file;
    char probe[32];
    snprintf(probe, sizeof probe, "%.12s/x", name);
    if (lmd_artifact_parse(probe, &idx, &file) != 0 || idx < 0) return 0;
    char *p = lm_path_join(dir, name);
    int ok = lm_dir_exists(p);
    free(p);
    return ok;
}

int lmd_artifact_settle(sqlite3 *h, const char *artifacts_dir, lm_error *err) {
    size_t n;
    char **names = lmd_dir_names(artifacts_dir, is_trash, &n);
    for (size_t i = 0; i < n; i++) {
        const char *id = names[i] + strlen(TRASH_PREFIX);
        if (experiment_exists(h, id)) {
            lm_info("experiment %s: its delete did not finish; artifacts put back", id);
            lmd_artifact_untrash(artifacts_dir, id);
        } else {
            lm_info("experiment %s: removing the artifacts of its delete", id);
            lmd_artifact_remove_trash(artifacts_dir, id);
        }
    }
    lmd_dir_names_free(names, n);

    /* experiments with files but no rows: stored before the table existed */
    sqlite3_stmt *st = lmd_db_prepare(h,
        "SELECT id FROM experiments e WHERE NOT EXISTS"
        " (SELECT 1 FROM artifacts a WHERE a.experiment_id = e.id)", err);
    if (!st) return -1;
    cJSON *ids = cJSON_CreateArray();
    while (sqlite3_step(st) == SQLITE_ROW) {
        char *dir = lmd_artifact_dir(artifacts_dir, lmd_db_text(st, 0), -1);
        if (lm_dir_exists(dir)) cJSON_AddItemToArray(ids, cJSON_CreateString(lmd_db_text(st, 0)));
        free(dir);
    }
    sqlite3_finalize(st);
    int rc = cJSON_GetArraySize(ids) ? lmd_db_begin(h, err) : 0, count = 0;
    for (const cJSON *e = ids->child; e && rc == 0; e = e->next, count++) {
        const char *id = e->valuestring;
        char *dir = lmd_artifact_dir(artifacts_dir, id, -1), *result = lm_path_join(dir, "result.json");
        if (lm_file_exists(result)) rc = lmd_artifact_record(h, artifacts_dir, id, -1, "result.json", err);
        char **jobs = rc == 0 ? lmd_dir_names(dir, is_job_folder, &n) : NULL;
        for (size_t i = 0; jobs && i < n && rc == 0; i++)
            rc = index_folder(h, artifacts_dir, id, atoi(jobs[i]), NULL, err);
        lmd_dir_names_free(jobs, jobs ? n : 0);
        free(result);
        free(dir);
    }
    if (cJSON_GetArraySize(ids)) {
        if (rc == 0) rc = lmd_db_commit(h, err);
        else lmd_db_rollback(h);
        if (rc == 0) lm_info("indexed the artifacts of %d earlier experiment%s", count, count == 1 ? "" : "s");
    }
    cJSON_Delete(ids);
    return rc;
}

const char *lmd_content_type(const char *name, int active_ok) {
    static const struct { const char *ext, *type; int active; } types[] = {
        {".json", "application/json", 0}, {".npy", "application/octet-stream", 0},
        {".log", "text/plain; charset=utf-8", 0}, {".txt", "text/plain; charset=utf-8", 0},
        {".html", "text/html; charset=utf-8", 1}, {".js", "text/javascript; charset=utf-8", 1},
        {".mjs", "text/javascript; charset=utf-8", 1}, {".css", "text/css; charset=utf-8", 1},
        {".svg", "image/svg+xml", 1}, {".png", "image/png", 0}, {".ico", "image/x-icon", 0},
        {".csv", "text/csv; charset=utf-8", 0}, {".map", "application/json", 0},
        {".woff2", "font/woff2", 0}, {".jsonl", "application/x-ndjson", 0},
    };
    const char *dot = strrchr(name, '.');
    if (dot)
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (!strcmp(dot, types[i].ext) && (active_ok || !types[i].active)) return types[i].type;
    return "application/octet-stream";
}
