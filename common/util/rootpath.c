/* rootpath.c - paths confined to a root folder (see rootpath.h). */
#include "util/rootpath.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "util/file.h"

int lm_root_path_form(const char *rel, lm_error *err) {
    if (!rel[0]) return lm_fail(err, "an empty path");
    if (rel[0] == '/') return lm_fail(err, "\"%.200s\" is absolute; paths are relative to the data root", rel);
    for (const char *p = rel; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return lm_fail(err, "\"%.200s\" has a '..' component; paths stay inside the data root", rel);
        p += n;
        while (*p == '/') p++;
    }
    return 0;
}

int lm_root_path_resolve(const char *root, const char *rel, lm_root_kind kind, char **out,
                         lm_error *err) {
    *out = NULL;
    if (lm_root_path_form(rel, err)) return -1;
    char real_root[PATH_MAX], real[PATH_MAX];
    if (!realpath(root, real_root)) return lm_fail(err, "the data root %s: %s", root, strerror(errno));
    char *joined = lm_path_join(real_root, rel);
    int found = realpath(joined, real) != NULL;
    int why = errno;
    free(joined);
    if (!found)
        return lm_fail(err, "\"%.200s\": %s under the data root", rel,
                       why == ENOENT || why == ENOTDIR ? "no such path" : strerror(why));
    size_t n = strlen(real_root);
    int inside = !strncmp(real, real_root, n) && (real[n] == '/' || real[n] == '\0' || n == 1);
    if (!inside)
        return lm_fail(err, "\"%.200s\" leads out of the data root (a symbolic link)", rel);
    struct stat st;
    if (stat(real, &st) != 0) return lm_fail(err, "\"%.200s\": %s", rel, strerror(errno));
    if (kind == LM_ROOT_DIR && !S_ISDIR(st.st_mode))
        return lm_fail(err, "\"%.200s\" is not a folder under the data root", rel);
    if (kind == LM_ROOT_FILE && !S_ISREG(st.st_mode))
        return lm_fail(err, "\"%.200s\" is not a file under the data root", rel);
    *out = lm_xstrdup(real);
    return 0;
}
