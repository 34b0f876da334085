/* test_fixture.c - every example of the 16-shot seed-42 splits of the 13
 * tasks (and AG News's test.csv), encoded by lmntk, against the ids of
 * make_fixtures.py (an independent Python re-implementation of the
 * reference rules).
 * usage: test_prompt_fixture FIXTURE.gz DATA_ROOT(../shared/data) TOKENIZER_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "../check.h"
#include "prompt/prompt.h"
#include "util/file.h"

#define LINE_MAX_ (1 << 20)

typedef struct section {
    char task[64], split[64], mode[16], dir[256];
    int n, next, bad;
    lm_encoded_split s;
    int loaded;
} section;

static int n_examples, n_sections, n_mismatch;

static void close_section(section *sec) {
    if (!sec->loaded) return;
    CHECK_MSG(sec->next == sec->n, "%s %s %s: fixture has %d of %d examples", sec->task,
              sec->split, sec->mode, sec->next, sec->n);
    if (sec->bad) fprintf(stderr, "%s %s %s: %d of %d examples differ\n", sec->task,
                          sec->split, sec->mode, sec->bad, sec->n);
    lm_encoded_split_free(&sec->s);
    sec->loaded = 0;
}

static void open_section(section *sec, const char *line, const lm_tokenizer *tok,
                         const char *data) {
    char lw[256];
    if (sscanf(line, "= %63s %63s %15s %d %255s %255s", sec->task, sec->split, sec->mode,
               &sec->n, lw, sec->dir) != 6) {
        CHECK_MSG(0, "bad section line: %s", line);
        return;
    }
    lm_error err = {0};
    lm_task *task = lm_task_builtin(sec->task, &err);
    CHECK_MSG(task, "%s", err.msg);
    if (!task) return;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", data, sec->dir);
    int prompt = strcmp(sec->mode, "prompt") == 0;
    int rc = lm_prompt_load_split(tok, task, dir, sec->split, prompt, &sec->s, &err);
    lm_task_free(task);
    CHECK_MSG(rc == 0, "%s %s: %s", sec->task, sec->split, err.msg);
    if (rc < 0) return;
    sec->loaded = 1;
    sec->next = sec->bad = 0;
    n_sections++;
    CHECK_MSG(sec->s.n == sec->n, "%s %s %s: %d examples, fixture %d", sec->task, sec->split,
              sec->mode, sec->s.n, sec->n);
    if (prompt) {
        char got[256] = "";
        for (int i = 0; i < sec->s.n_labels; i++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%d", i ? "," : "",
                     sec->s.label_word_ids[i]);
        CHECK_MSG(strcmp(got, lw) == 0, "%s label words %s, fixture %s", sec->task, got, lw);
    } else {
        CHECK(sec->s.label_word_ids == NULL);
    }
}

static void check_example(section *sec, char *line) {
    if (!sec->loaded) return;
    int i = sec->next++;
    if (i >= sec->s.n) return;
    const lm_encoded_example *e = &sec->s.ex[i];
    char *p = line, *end;
    long label = strtol(p, &end, 10);
    p = end;
    long mask = strtol(p, &end, 10);
    p = end;
    int n = 0, first_diff = -1;
    for (;;) {
        long v = strtol(p, &end, 10);
        if (end == p) break;
        p = end;
        if (first_diff < 0 && (n >= e->n_tokens || e->ids[n] != v)) first_diff = n;
        n++;
    }
    if (first_diff < 0 && n != e->n_tokens) first_diff = n;
    int zero_types = 1;
    for (int k = 0; k < e->n_tokens; k++) zero_types &= e->type_ids[k] == 0;
    n_examples++;
    if (first_diff >= 0 || label != e->label || mask != e->mask_pos || !zero_types) {
        n_mismatch++;
        if (sec->bad++ < 3)
            CHECK_MSG(0, "%s %s %s example %d: label %d/%ld mask %d/%ld, %d/%d tokens, first "
                      "difference at %d, types zero %d", sec->task, sec->split, sec->mode, i,
                      e->label, label, e->mask_pos, mask, e->n_tokens, n, first_diff,
                      zero_types);
        else
            check_failures_++;
    }
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s FIXTURE.gz DATA_ROOT TOKENIZER_DIR\n", argv[0]);
        return 2;
    }
    lm_error err = {0};
    lm_tokenizer *tok = lm_tokenizer_load(argv[3], &err);
    if (!tok) {
        fprintf(stderr, "tokenizer: %s\n", err.msg);
        return 1;
    }
    gzFile f = gzopen(argv[1], "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot open\n", argv[1]);
        return 1;
    }
    char *line = malloc(LINE_MAX_);
    section sec = {0};
    while (gzgets(f, line, LINE_MAX_)) {
        if (line[0] == '#') continue;
        if (line[0] == '=') {
            close_section(&sec);
            open_section(&sec, line, tok, argv[2]);
        } else {
            check_example(&sec, line);
        }
    }
    close_section(&sec);
    gzclose(f);
    free(line);
    lm_tokenizer_free(tok);
    fprintf(stderr, "%d sections, %d examples compared, %d differ\n", n_sections, n_examples,
            n_mismatch);
    CHECK(n_sections >= 54 && n_examples > 20000);
    return check_exit("test_prompt_fixture");
}
