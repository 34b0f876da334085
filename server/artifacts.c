/* artifacts.c - names, folders and files of experiment artifacts. */
#include "artifacts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "dirlist.h"
#include "util/file.h"

int lmd_artifact_file_ok(const char *s) { return lm_plain_name_ok(s); }

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
    if (!lmd_artifact_file_ok(slash + 1)) return -1;
    *job_idx = idx;
    *file = slash + 1;
    return 0;
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

/* Regular files with artifact names (uploads in flight start with '.'). */
static int is_artifact(const char *dir, const char *name) {
    if (!lmd_artifact_file_ok(name)) return 0;
    char *full = lm_path_join(dir, name);
    int regular = lm_file_exists(full);
    free(full);
    return regular;
}

cJSON *lmd_artifact_list(const char *artifacts_dir, const char *experiment, int job_idx) {
    cJSON *out = cJSON_CreateArray();
    char *dir = lmd_artifact_dir(artifacts_dir, experiment, job_idx);
    size_t n;
    char **names = lmd_dir_names(dir, is_artifact, &n);
    for (size_t i = 0; i < n; i++) {
        char name[LMD_ARTIFACT_NAME_MAX + 16];
        if (job_idx < 0) snprintf(name, sizeof name, "%s", names[i]);
        else snprintf(name, sizeof name, "%d/%s", job_idx, names[i]);
        cJSON_AddItemToArray(out, cJSON_CreateString(name));
    }
    lmd_dir_names_free(names, n);
    free(dir);
    return out;
}

int lmd_artifact_open(const char *artifacts_dir, const char *experiment, int job_idx,
                      const char *file, uint64_t *size) {
    if (!lmd_artifact_file_ok(file)) return -1;
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
