/* static_files.c - the dashboard: files of the web directory at /.
 *
 * Each path component must be a plain name ([A-Za-z0-9._-], not starting
 * with '.'), so "..", dot files and encoded tricks never reach open(). */
#include "api.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "artifacts.h"
#include "util/file.h"

static void serve(lmd_request *req, lmd_reply *rep, const char *rel) {
    const char *root = req->srv->web_root;
    if (!root) {
        lmd_reply_error(rep, 404, "not_found", NULL, "no dashboard is configured (--web DIR)");
        return;
    }
    char path[LMD_MAX_PATH + 64];
    size_t n = (size_t)snprintf(path, sizeof path, "%s", root);
    char comp[LMD_MAX_PATH];
    for (const char *s = rel; *s;) {
        size_t len = strcspn(s, "/");
        if (len == 0 || len >= sizeof comp) goto not_found;
        memcpy(comp, s, len);
        comp[len] = '\0';
        if (!lmd_artifact_file_ok(comp)) goto not_found;
        n += (size_t)snprintf(path + n, sizeof path - n, "/%s", comp);
        if (n >= sizeof path - 16) goto not_found;
        s += len;
        if (*s == '/') s++;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        snprintf(path + n, sizeof path - n, "/index.html");
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0 && fstat(fd, &st) != 0) { close(fd); fd = -1; }
    }
    if (fd < 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0) close(fd);
        goto not_found;
    }
    lmd_reply_file(rep, fd, (uint64_t)st.st_size, lmd_content_type(path, 1));
    return;
not_found:
    lmd_reply_error(rep, 404, "not_found", NULL, "no such file");
}

void lmd_static_index(lmd_request *req, lmd_reply *rep) { serve(req, rep, "index.html"); }

void lmd_static_file(lmd_request *req, lmd_reply *rep) {
    /* The path param is everything after the first '/'. */
    serve(req, rep, req->params[0]);
}
