/* data_strings.c - walks shared/data as make_fixtures.py does (see .h). */
#include "data_strings.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include "tokenize/strmap.h"
#include "util/file.h"

uint64_t tok_fnv1a64(const void *p, size_t n) {
    const unsigned char *b = p;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

/* Text columns of the .tsv files per task directory (spec 1.2). */
static const struct { const char *task; int cols[2]; } TSV_COLS[] = {
    {"SST-2", {0, -1}}, {"MNLI", {8, 9}}, {"SNLI", {7, 8}}, {"QNLI", {1, 2}},
    {"RTE", {1, 2}}, {"MRPC", {3, 4}}, {"QQP", {3, 4}},
};

typedef struct { tok_strings *l; lm_strmap seen; } walker;

static void add(walker *w, const char *s, size_t len) {
    tok_strings *l = w->l;
    l->fields++;
    if (lm_strmap_get(&w->seen, s, len) >= 0) return;
    lm_strmap_put(&w->seen, s, len, (int32_t)l->n);
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->s = lm_xrealloc(l->s, l->cap * sizeof *l->s);
        l->len = lm_xrealloc(l->len, l->cap * sizeof *l->len);
    }
    l->s[l->n] = lm_xstrndup(s, len);
    l->len[l->n++] = len;
}

static void read_tsv(walker *w, const char *task, const char *buf, size_t len) {
    const int *cols = NULL;
    for (size_t i = 0; i < sizeof TSV_COLS / sizeof TSV_COLS[0]; i++)
        if (strcmp(TSV_COLS[i].task, task) == 0) cols = TSV_COLS[i].cols;
    if (!cols) return;
    const char *p = memchr(buf, '\n', len), *end = buf + len;
    if (!p) return;
    for (p++; p < end;) {       /* the header line is skipped */
        const char *e = memchr(p, '\n', (size_t)(end - p));
        if (!e) e = end;
        const char *le = e > p && e[-1] == '\r' ? e - 1 : e;
        if (le > p) {
            const char *f = p;
            for (int col = 0; f <= le; col++) {
                const char *fe = memchr(f, '\t', (size_t)(le - f));
                if (!fe) fe = le;
                if (col == cols[0] || col == cols[1]) add(w, f, (size_t)(fe - f));
                f = fe + 1;
            }
        }
        p = e + 1;
    }
}

/* Python's csv.reader, default dialect, non-strict: a field that starts
 * with '"' is quoted ('""' is a quote) and what follows its closing quote
 * up to the delimiter is appended; elsewhere quotes are plain characters.
 * Empty lines give no row.  Every column but the first is text. */
static void read_csv(walker *w, const char *buf, size_t len) {
    size_t cap = 256, n;
    char *field = lm_xmalloc(cap);
    size_t i = 0;
    while (i < len) {
        if (buf[i] == '\n' || buf[i] == '\r') { i++; continue; }   /* empty line */
        for (int col = 0;; col++) {
            n = 0;
            int quoted = buf[i] == '"';
            if (quoted) i++;
            while (i < len) {
                char c = buf[i];
                if (quoted) {
                    if (c == '"') {
                        if (i + 1 < len && buf[i + 1] == '"') { c = '"'; i++; }
                        else { quoted = 0; i++; continue; }
                    }
                } else if (c == ',' || c == '\n' || c == '\r') {
                    break;
                }
                if (n + 1 >= cap) field = lm_xrealloc(field, cap *= 2);
                field[n++] = c;
                i++;
            }
            if (col > 0) add(w, field, n);
            if (i < len && buf[i] == ',') { i++; continue; }
            if (i < len && buf[i] == '\r') i++;
            if (i < len && buf[i] == '\n') i++;
            break;
        }
    }
    free(field);
}

static int read_file(walker *w, const char *task, const char *path, lm_error *err) {
    size_t n = strlen(path), len;
    int tsv = n > 4 && strcmp(path + n - 4, ".tsv") == 0;
    int csv = n > 4 && strcmp(path + n - 4, ".csv") == 0;
    if (!tsv && !csv) return 0;
    char *buf = lm_read_file(path, &len, err);
    if (!buf) return -1;
    if (tsv) read_tsv(w, task, buf, len);
    else read_csv(w, buf, len);
    free(buf);
    w->l->files++;
    return 0;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in dir (byte order, as Python's sorted() of ASCII names). */
static char **list_dir(const char *dir, size_t *n, lm_error *err) {
    DIR *d = opendir(dir);
    if (!d) {
        lm_fail(err, "%s: cannot open folder", dir);
        return NULL;
    }
    size_t cap = 16;
    char **names = lm_xmalloc(cap * sizeof *names);
    *n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (*n == cap) names = lm_xrealloc(names, (cap *= 2) * sizeof *names);
        names[(*n)++] = lm_xstrdup(e->d_name);
    }
    closedir(d);
    qsort(names, *n, sizeof *names, cmp_str);
    return names;
}

static void free_names(char **names, size_t n) {
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

int tok_data_strings(const char *shared_dir, tok_strings *out, lm_error *err) {
    memset(out, 0, sizeof *out);
    walker w = {out, {0}};
    lm_strmap_init(&w.seen);
    static const char *modes[] = {"k-shot", "k-shot-1k-test"};
    int rc = 0;
    char *data = lm_path_join(shared_dir, "data");
    for (int m = 0; m < 2 && rc == 0; m++) {
        char *mdir = lm_path_join(data, modes[m]);
        size_t nt = 0;
        char **tasks = list_dir(mdir, &nt, err);
        if (!tasks) rc = -1;
        for (size_t t = 0; t < nt && rc == 0; t++) {
            char *tdir = lm_path_join(mdir, tasks[t]);
            size_t ns = 0;
            char **splits = list_dir(tdir, &ns, err);
            if (!splits) rc = -1;
            for (size_t s = 0; s < ns && rc == 0; s++) {
                char *sdir = lm_path_join(tdir, splits[s]);
                size_t nf = 0;
                char **files = list_dir(sdir, &nf, err);
                if (!files) rc = -1;
                for (size_t f = 0; f < nf && rc == 0; f++) {
                    char *path = lm_path_join(sdir, files[f]);
                    rc = read_file(&w, tasks[t], path, err);
                    free(path);
                }
                if (files) free_names(files, nf);
                free(sdir);
            }
            if (splits) free_names(splits, ns);
            free(tdir);
        }
        if (tasks) free_names(tasks, nt);
        free(mdir);
    }
    if (rc == 0) {
        char *ag = lm_path_join(data, "original/ag_news/test.csv");
        rc = read_file(&w, "ag_news", ag, err);
        free(ag);
    }
    free(data);
    lm_strmap_free(&w.seen);
    if (rc) tok_strings_free(out);
    return rc;
}

void tok_strings_free(tok_strings *l) {
    for (size_t i = 0; i < l->n; i++) free(l->s[i]);
    free(l->s);
    free(l->len);
    memset(l, 0, sizeof *l);
}
