/* test_bpe_data.c - exactness on the task data: every distinct text string
 * of shared/data (all tasks, k, seeds, splits; data_strings.h), as-is and
 * with a leading space, must get the ids of the committed fixture
 * bpe_data_ids.txt.gz (made by bpe_ref.py, the GPT-2 encoder.py algorithm,
 * with the roberta-base files).  Decoding must give the string back.
 *
 * usage: test_bpe_data SHARED_DIR FIXTURES_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include "../check.h"
#include "data_strings.h"
#include "tok_check.h"

enum { MAX_SHOWN = 8 };

/* Parses "H IDS;D IDS2" into the ids of s and of ' ' + s. */
static int parse_line(char *line, uint32_t *h, int32_t **a, size_t *na, int32_t **b,
                      size_t *nb) {
    char *semi = strchr(line, ';');
    if (!semi) return -1;
    *semi = '\0';
    char *p = line, *end;
    *h = (uint32_t)strtoul(p, &end, 16);
    if (end == p) return -1;
    size_t cap = strlen(line) / 2 + 2;
    *a = lm_xmalloc(cap * sizeof **a);
    *na = 0;
    for (p = end;;) {
        long v = strtol(p, &end, 10);
        if (end == p) break;
        (*a)[(*na)++] = (int32_t)v;
        p = end;
    }
    long drop = strtol(semi + 1, &end, 10);
    if (end == semi + 1 || drop < 0 || (size_t)drop > *na) return -1;
    size_t cap2 = strlen(end) / 2 + *na + 2;
    *b = lm_xmalloc(cap2 * sizeof **b);
    *nb = 0;
    for (p = end;;) {
        long v = strtol(p, &end, 10);
        if (end == p) break;
        (*b)[(*nb)++] = (int32_t)v;
        p = end;
    }
    for (size_t i = (size_t)drop; i < *na; i++) (*b)[(*nb)++] = (*a)[i];
    return 0;
}

static void show(size_t i, const char *what, const char *s, const int32_t *want, size_t nw,
                 const int32_t *got, size_t ng) {
    fprintf(stderr, "string #%zu%s: \"%.300s\"\n", i, what, s);
    tc_print_ids(stderr, "want", want, nw);
    tc_print_ids(stderr, "got ", got, ng);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s SHARED_DIR FIXTURES_DIR\n", argv[0]);
        return 2;
    }
    lm_error err;
    tok_strings data;
    CHECK_MSG(tok_data_strings(argv[1], &data, &err) == 0, "%s", err.msg);
    char *rdir = lm_path_join(argv[1], "data/tokenizers/roberta-base");
    lm_tokenizer *t = lm_tokenizer_load(rdir, &err);
    CHECK_MSG(t != NULL, "%s", err.msg);
    char *fix = lm_path_join(argv[2], "tokenize/bpe_data_ids.txt.gz");
    gzFile gz = gzopen(fix, "rb");
    CHECK_MSG(gz != NULL, "%s: cannot open", fix);
    if (!t || !gz || data.n == 0) return check_exit("test_bpe_data");

    size_t cap = 1 << 20, line_no = 0, i = 0, bad = 0, bad_decode = 0, tokens = 0;
    char *line = lm_xmalloc(cap);
    char *spaced = NULL;
    size_t spaced_cap = 0;
    clock_t t0 = clock();
    while (gzgets(gz, line, (int)cap)) {
        line_no++;
        if (line[0] == '#') continue;
        line[strcspn(line, "\n")] = '\0';
        uint32_t h;
        int32_t *want, *want_sp, *got = NULL, *got_sp = NULL;
        size_t nw, nws, ng = 0, ngs = 0;
        if (parse_line(line, &h, &want, &nw, &want_sp, &nws)) {
            CHECK_MSG(0, "%s:%zu: malformed line", fix, line_no);
            break;
        }
        if (i >= data.n || (uint32_t)tok_fnv1a64(data.s[i], data.len[i]) != h) {
            CHECK_MSG(0, "string #%zu of the data is not the fixture's (data or the way "
                      "data_strings.c reads it changed: regenerate with make_fixtures.py)", i);
            free(want);
            free(want_sp);
            break;
        }
        const char *s = data.s[i];
        size_t len = data.len[i];
        if (len + 2 > spaced_cap) spaced = lm_xrealloc(spaced, spaced_cap = 2 * len + 2);
        spaced[0] = ' ';
        memcpy(spaced + 1, s, len + 1);
        int rc = tc_tokenize(t, s, len, &got, &ng, &err);
        rc |= tc_tokenize(t, spaced, len + 1, &got_sp, &ngs, &err);
        CHECK_MSG(rc == 0, "string #%zu: %s", i, err.msg);
        tokens += ng + ngs;
        int ok = tc_same(got, ng, want, nw), ok_sp = tc_same(got_sp, ngs, want_sp, nws);
        if ((!ok || !ok_sp) && bad++ < MAX_SHOWN) {
            if (!ok) show(i, "", s, want, nw, got, ng);
            if (!ok_sp) show(i, " with a leading space", s, want_sp, nws, got_sp, ngs);
        }
        char *d = lm_detokenize(t, got, ng);
        if ((strlen(d) != len || memcmp(d, s, len) != 0) && !strstr(s, "<mask>") &&
            bad_decode++ < MAX_SHOWN)
            fprintf(stderr, "string #%zu decodes to \"%.200s\"\n", i, d);
        free(d);
        free(want);
        free(want_sp);
        free(got);
        free(got_sp);
        i++;
    }
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    gzclose(gz);
    CHECK_MSG(i == data.n, "fixture has %zu strings, the data %zu", i, data.n);
    CHECK_MSG(bad == 0, "%zu of %zu strings differ from the reference ids", bad, i);
    CHECK_MSG(bad_decode == 0, "%zu strings do not decode back", bad_decode);
    fprintf(stderr, "test_bpe_data: %zu files, %zu text fields, %zu distinct strings x2, "
            "%zu tokens, %zu mismatches (%.2f s with decoding and fixture parsing)\n",
            data.files, data.fields, i, tokens, bad, secs);
    free(line);
    free(spaced);
    free(fix);
    free(rdir);
    lm_tokenizer_free(t);
    tok_strings_free(&data);
    return check_exit("test_bpe_data");
}
