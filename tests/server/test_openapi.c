/* test_openapi.c - schema/openapi.yaml documents exactly the daemon's
 * routes (server/routes.c): every route is in the document, and every
 * path and method of the document is a route. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../check.h"
#include "http.h"
#include "util/file.h"

#define MAX_OPS 128

/* "METHOD /path" for every operation under paths: (2-space paths, 4-space
 * methods: the layout of the document). */
static int read_operations(const char *text, char ops[][256]) {
    static const char *methods[] = {"get", "post", "put", "delete", "patch", "head", "options"};
    int n = 0, in_paths = 0;
    char path[200] = "";
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char buf[512];
        snprintf(buf, sizeof buf, "%.*s", (int)(len < sizeof buf - 1 ? len : sizeof buf - 1), line);
        if (buf[0] && buf[0] != ' ' && buf[0] != '#') in_paths = strncmp(buf, "paths:", 6) == 0;
        else if (in_paths && !strncmp(buf, "  /", 3) && strchr(buf, ':')) {
            snprintf(path, sizeof path, "%.*s", (int)(strrchr(buf, ':') - buf - 2), buf + 2);
        } else if (in_paths && !strncmp(buf, "    ", 4) && isalpha((unsigned char)buf[4])) {
            for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) {
                size_t ml = strlen(methods[m]);
                if (strncmp(buf + 4, methods[m], ml) || buf[4 + ml] != ':') continue;
                char upper[16];
                for (size_t k = 0; k <= ml; k++) upper[k] = (char)toupper((unsigned char)methods[m][k]);
                if (n < MAX_OPS) snprintf(ops[n++], 256, "%s %s", upper, path);
            }
        }
        line = end ? end + 1 : NULL;
    }
    return n;
}

int main(void) {
    lm_error err;
    char *text = lm_read_file(OPENAPI_PATH, NULL, &err);
    CHECK_MSG(text != NULL, "%s", err.msg);
    if (!text) return check_exit("test_openapi");
    static char ops[MAX_OPS][256];
    int n = read_operations(text, ops);
    CHECK_MSG(n >= 10, "found %d operations", n);

    for (int i = 0; i < lmd_n_routes; i++) {
        char want[256];
        snprintf(want, sizeof want, "%s %s", lmd_routes[i].method, lmd_routes[i].pattern);
        int found = 0;
        for (int k = 0; k < n; k++) found |= !strcmp(ops[k], want);
        CHECK_MSG(found, "route '%s' is not documented in schema/openapi.yaml", want);
    }
    for (int k = 0; k < n; k++) {
        int found = 0;
        for (int i = 0; i < lmd_n_routes; i++) {
            char have[256];
            snprintf(have, sizeof have, "%s %s", lmd_routes[i].method, lmd_routes[i].pattern);
            found |= !strcmp(ops[k], have);
        }
        CHECK_MSG(found, "schema/openapi.yaml documents '%s', which no route serves", ops[k]);
    }
    CHECK_MSG(n == lmd_n_routes, "%d documented operations, %d routes", n, lmd_n_routes);
    free(text);
    return check_exit("test_openapi");
}
