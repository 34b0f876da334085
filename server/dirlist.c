/* dirlist.c - sorted, filtered folder listings. */
#include "dirlist.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include "util/error.h"

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **lmd_dir_names(const char *dir, lmd_dir_keep keep, size_t *n) {
    *n = 0;
    DIR *d = dir ? opendir(dir) : NULL;
    if (!d) return NULL;
    char **names = NULL;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!keep(dir, e->d_name)) continue;
        if (*n == cap) names = lm_xrealloc(names, (cap = cap ? cap * 2 : 16) * sizeof *names);
        names[(*n)++] = lm_xstrdup(e->d_name);
    }
    closedir(d);
    if (*n) qsort(names, *n, sizeof *names, compare_names);
    return names;
}

void lmd_dir_names_free(char **names, size_t n) {
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}
