/* test_readers.c - the file readers: pandas-style csv and Python-csv tsv
 * parsing, each task format, custom tsv/jsonl, and the error messages
 * (file, line, field) on small broken files in a temporary directory.
 * usage: test_prompt_readers DATA_DIR (../shared/data/k-shot-1k-test) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../check.h"
#include "prompt/dataset.h"
#include "prompt/rows.h"
#include "util/file.h"

static char tmp[] = "/tmp/lm_prompt_rd_XXXXXX";
static char *made[64];
static int n_made;

/* Writes tmp/name (replacing it) and returns its path (owned here). */
static const char *put(const char *name, const char *text) {
    char *path = lm_path_join(tmp, name);
    lm_error err = {0};
    if (lm_write_file_atomic(path, text, strlen(text), &err) < 0) fprintf(stderr, "%s\n", err.msg);
    for (int i = 0; i < n_made; i++)
        if (!strcmp(made[i], path)) { free(path); return made[i]; }
    made[n_made++] = path;
    return path;
}

static void gone(const char *name) {
    char *path = lm_path_join(tmp, name);
    unlink(path);
    free(path);
}

static lm_task *task(const char *name) {
    lm_error err = {0};
    lm_task *t = lm_task_builtin(name, &err);
    if (!t) fprintf(stderr, "%s\n", err.msg);
    return t;
}

/* Reading split of task t from tmp fails with a message holding all of
 * the given fragments. */
static void expect_fail(const lm_task *t, const char *split, const char *f1, const char *f2,
                        const char *f3) {
    lm_dataset d;
    lm_error err = {0};
    int rc = lm_dataset_read(t, tmp, split, &d, &err);
    CHECK_MSG(rc < 0, "%s %s should fail", t->name, split);
    if (rc == 0) { lm_dataset_free(&d); return; }
    const char *frags[3] = {f1, f2, f3};
    for (int i = 0; i < 3; i++)
        CHECK_MSG(!frags[i] || strstr(err.msg, frags[i]), "message '%s' lacks '%s'", err.msg,
                  frags[i]);
}

static void test_rows_csv(void) {
    lm_rows r;
    lm_error err = {0};
    const char *p = put("a.csv", "\xEF\xBB\xBF" "0,\"a, \"\"quoted\"\" text\r\nwith newline\"\r\n"
                        "\n   \n1,plain \"inner\" quote\n2,\"ab\"cd\r3,\n4\n");
    CHECK_MSG(lm_rows_read_csv(p, &r, &err) == 0, "%s", err.msg);
    CHECK(r.n == 5);
    if (r.n == 5) {
        CHECK(!strcmp(lm_rows_get(&r, 0, 0), "0"));
        CHECK(!strcmp(lm_rows_get(&r, 0, 1), "a, \"quoted\" text\r\nwith newline"));
        CHECK(r.line[0] == 1 && r.line[1] == 5 && r.line[2] == 6 && r.line[3] == 7);
        CHECK(!strcmp(lm_rows_get(&r, 1, 1), "plain \"inner\" quote"));
        CHECK(!strcmp(lm_rows_get(&r, 2, 1), "abcd"));
        CHECK(lm_rows_width(&r, 3) == 2 && !strcmp(lm_rows_get(&r, 3, 1), ""));
        CHECK(lm_rows_width(&r, 4) == 2 && !strcmp(lm_rows_get(&r, 4, 1), "")); /* padded */
        CHECK(lm_rows_get(&r, 4, 2) == NULL);
    }
    lm_rows_free(&r);
    p = put("b.csv", "0,a\n1,b,c\n");
    CHECK(lm_rows_read_csv(p, &r, &err) < 0 && strstr(err.msg, "line 2") && strstr(err.msg, "b.csv"));
    p = put("b.csv", "0,a\n1,\"open\nquote\n");
    CHECK(lm_rows_read_csv(p, &r, &err) < 0 && strstr(err.msg, "line 2"));
    p = put("b.csv", "0,ok\n1,caf\xE9\n");
    CHECK(lm_rows_read_csv(p, &r, &err) < 0 && strstr(err.msg, "line 2, field 2") &&
          strstr(err.msg, "UTF-8"));
    gone("a.csv");
    gone("b.csv");
}

static void test_rows_tsv(void) {
    lm_rows r;
    lm_error err = {0};
    const char *p = put("a.tsv", "\xEF\xBB\xBFh1\th2\n\"a\tb\"\n\nx\r\ny\rz");
    CHECK_MSG(lm_rows_read_tsv(p, &r, &err) == 0, "%s", err.msg);
    CHECK(r.n == 6);
    if (r.n == 6) {
        CHECK(!strcmp(lm_rows_get(&r, 0, 0), "h1"));              /* BOM skipped */
        CHECK(!strcmp(lm_rows_get(&r, 1, 0), "\"a") && !strcmp(lm_rows_get(&r, 1, 1), "b\""));
        CHECK(lm_rows_width(&r, 2) == 0);                          /* empty line */
        CHECK(!strcmp(lm_rows_get(&r, 3, 0), "x") && r.line[3] == 4);
        CHECK(!strcmp(lm_rows_get(&r, 4, 0), "y") && !strcmp(lm_rows_get(&r, 5, 0), "z"));
    }
    lm_rows_free(&r);
    gone("a.tsv");
}

static void test_glue(void) {
    lm_task *sst = task("SST-2");
    lm_error err = {0};
    lm_dataset d;
    put("train.tsv", "sentence\tlabel\na \"fine\" film .\t1\nbad .\t0\n");
    CHECK_MSG(lm_dataset_read(sst, tmp, "train", &d, &err) == 0, "%s", err.msg);
    CHECK(d.n == 2 && d.n_sentences == 1 && d.ex[0].label == 1 && d.ex[1].label == 0);
    CHECK(d.n == 2 && !strcmp(d.ex[0].text[0], "a \"fine\" film .") && !d.ex[0].text[1]);
    CHECK(d.n == 2 && d.ex[1].line == 3);
    lm_dataset_free(&d);
    put("train.tsv", "sentence\tlabel\nok .\t1\nbad .\t2\n");
    expect_fail(sst, "train", "train.tsv: line 3, field 2 (label)", "unknown label '2'", "0, 1");
    put("train.tsv", "sentence\tlabel\nok .\t1\nno label\n");
    expect_fail(sst, "train", "line 3", "label is field 2 (label)", NULL);
    put("train.tsv", "sentence\tlabel\nok .\t1\n\nbad .\t0\n");
    expect_fail(sst, "train", "line 3: empty line", NULL, NULL);
    put("train.tsv", "sentence\tlabel\nbad \xC3(\t0\n");
    expect_fail(sst, "train", "line 2, field 1", "invalid UTF-8", NULL);
    put("train.tsv", "sentence\tlabel\n");
    expect_fail(sst, "train", "train.tsv: no examples", NULL, NULL);
    expect_fail(sst, "dev", "dev.tsv: no such file", "split dev", NULL);
    expect_fail(sst, "validation", "unknown split 'validation'", NULL, NULL);
    gone("train.tsv");
    lm_task_free(sst);

    /* MNLI: dev/test are the matched files, the label is the last column */
    lm_task *mnli = task("MNLI");
    const char *hdr = "index\tpromptID\tpairID\tgenre\tb1\tb2\tp1\tp2\tsentence1\tsentence2\tlabel1\tgold_label\n";
    char buf[1024];
    snprintf(buf, sizeof buf, "%s0\t1\t2\tg\t.\t.\t.\t.\tA man.\tA person.\tentailment\tentailment\n"
             "1\t1\t2\tg\t.\t.\t.\t.\tA b.\tC d.\tx\ty\tz\tneutral\n", hdr);
    put("dev_matched.tsv", buf);
    CHECK_MSG(lm_dataset_read(mnli, tmp, "dev", &d, &err) == 0, "%s", err.msg);
    CHECK(d.n == 2 && d.n_sentences == 2 && d.ex[0].label == 1 && d.ex[1].label == 2);
    CHECK(d.n == 2 && !strcmp(d.ex[0].text[1], "A person."));
    lm_dataset_free(&d);
    expect_fail(mnli, "test_mismatched", "test_mismatched.tsv: no such file", NULL, NULL);
    snprintf(buf, sizeof buf, "%s0\t1\t2\tg\t.\t.\t.\t.\tA man.\n", hdr);
    put("dev_matched.tsv", buf);
    expect_fail(mnli, "dev", "line 2", "text_b is field 10 (sentence2)", NULL);
    snprintf(buf, sizeof buf, "%s0\t1\t2\tg\t.\t.\t.\t.\tA.\tB.\tentailment\tmaybe\n", hdr);
    put("dev_matched.tsv", buf);
    expect_fail(mnli, "dev", "line 2, field 12 (the last)", "unknown label 'maybe'", NULL);
    gone("dev_matched.tsv");
    lm_task_free(mnli);

    /* QQP skips rows lacking a column, as the reference's try/except does */
    lm_task *qqp = task("QQP");
    put("test.tsv", "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n"
        "1\t2\t3\tWhy?\tHow?\t1\n2\t3\t4\tshort row\n3\t4\t5\tA?\tB?\t0\n");
    CHECK_MSG(lm_dataset_read(qqp, tmp, "test", &d, &err) == 0, "%s", err.msg);
    CHECK(d.n == 2 && d.ex[1].label == 0 && d.ex[1].line == 4);
    lm_dataset_free(&d);
    gone("test.tsv");
    lm_task_free(qqp);
}

static void test_csv_tasks(void) {
    lm_task *mr = task("mr");
    lm_error err = {0};
    lm_dataset d;
    put("train.csv", "0,\"good, but \"\"long\"\"\"\n1,\n1.0,NA\n0,null text\n");
    CHECK_MSG(lm_dataset_read(mr, tmp, "train", &d, &err) == 0, "%s", err.msg);
    CHECK(d.n == 4);
    if (d.n == 4) {
        CHECK(!strcmp(d.ex[0].text[0], "good, but \"long\""));
        CHECK(!strcmp(d.ex[1].text[0], "") && !strcmp(d.ex[2].text[0], "")); /* NaN -> '' */
        CHECK(d.ex[2].label == 1 && !strcmp(d.ex[3].text[0], "null text"));
    }
    lm_dataset_free(&d);
    put("train.csv", "0,a\n2,b\n");
    expect_fail(mr, "train", "train.csv: line 2, field 1 (label)", "unknown label '2'", NULL);
    put("train.csv", "0,a\npos,b\n");
    expect_fail(mr, "train", "line 2", "unknown label 'pos'", NULL);
    put("train.csv", "0\n1\n");
    expect_fail(mr, "train", "line 1", "1 column", NULL);
    put("train.csv", "0,a\n1,b,c\n");
    expect_fail(mr, "train", "line 2", "fields", NULL);
    put("train.csv", "\n\n");
    expect_fail(mr, "train", "no examples", NULL, NULL);
    gone("train.csv");
    lm_task_free(mr);

    /* ag_news: label 1-4 in column 0, the description (column 2) is the text */
    lm_task *ag = task("ag_news");
    put("test.csv", "\"3\",\"Wall St. Bears\",\"Reuters - Short-sellers, a dwindling band\"\n");
    CHECK_MSG(lm_dataset_read(ag, tmp, "test", &d, &err) == 0, "%s", err.msg);
    CHECK(d.n == 1 && d.ex[0].label == 2 &&
          !strcmp(d.ex[0].text[0], "Reuters - Short-sellers, a dwindling band"));
    lm_dataset_free(&d);
    gone("test.csv");
    lm_task_free(ag);
}

static void test_custom(void) {
    lm_error err = {0};
    const char *labels[] = {"neg", "pos"};
    lm_task *t = lm_task_custom("mine", labels, 2, NULL, NULL, 0, &err);
    lm_dataset d;
    put("train.tsv", "id\tlabel\ttext_b\ttext_a\n7\tpos\tsecond\tfirst\n\n8\tneg\tb\ta\n");
    CHECK_MSG(lm_dataset_read(t, tmp, "train", &d, &err) == 0, "%s", err.msg);
    CHECK(d.n == 2 && d.n_sentences == 2 && d.ex[0].label == 1 &&
          !strcmp(d.ex[0].text[0], "first") && !strcmp(d.ex[0].text[1], "second"));
    lm_dataset_free(&d);
    put("train.tsv", "text\tlabel\nx\tpos\n");
    expect_fail(t, "train", "line 1", "text_a", NULL);
    put("train.tsv", "text_a\tlabel\nx\tpositive\n");
    expect_fail(t, "train", "line 2, field label", "unknown label 'positive'", "neg, pos");
    put("train.tsv", "text_a\tlabel\nx\n");
    expect_fail(t, "train", "line 2", "label is field 2", NULL);
    put("train.jsonl", "{\"text_a\": \"x\", \"label\": \"pos\"}\n");
    expect_fail(t, "train", "both", "keep one", NULL);
    gone("train.tsv");
    expect_fail(t, "dev", "neither", "dev.tsv", "dev.jsonl");

    put("train.jsonl", "{\"text_a\": \"caf\\u00e9\", \"label\": \"pos\"}\n\n"
        "{\"text_a\": \"b\", \"label\": \"neg\", \"extra\": 1}\n");
    CHECK_MSG(lm_dataset_read(t, tmp, "train", &d, &err) == 0, "%s", err.msg);
    CHECK(d.n == 2 && d.n_sentences == 1 && !strcmp(d.ex[0].text[0], "caf\xC3\xA9") &&
          d.ex[1].line == 3 && d.ex[1].label == 0);
    lm_dataset_free(&d);
    put("train.jsonl", "{\"text_a\": \"x\", \"text_b\": \"y\", \"label\": \"pos\"}\n"
        "{\"text_a\": \"x\", \"label\": \"pos\"}\n");
    expect_fail(t, "train", "line 2", "lacks text_b", NULL);
    put("train.jsonl", "{\"text_a\": \"x\", \"label\": \"pos\"}\n{\"text_a\": \"x\", label}\n");
    expect_fail(t, "train", "train.jsonl: line 2", "JSON", NULL);
    put("train.jsonl", "{\"text_a\": 3, \"label\": \"pos\"}\n");
    expect_fail(t, "train", "line 1, field text_a", "not a string", NULL);
    put("train.jsonl", "{\"text_a\": \"x\"}\n");
    expect_fail(t, "train", "line 1, field label", "missing", NULL);
    put("train.jsonl", "{\"text_a\": \"x\xFF\", \"label\": \"pos\"}\n");
    expect_fail(t, "train", "line 1", "invalid UTF-8", NULL);
    lm_task_free(t);
    /* integer labels in JSON match labels "0".."n-1" */
    t = lm_task_custom("nums", NULL, 2, NULL, NULL, 0, &err);
    put("train.jsonl", "{\"text_a\": \"x\", \"label\": 1}\n");
    CHECK_MSG(lm_dataset_read(t, tmp, "train", &d, &err) == 0, "%s", err.msg);
    CHECK(d.n == 1 && d.ex[0].label == 1);
    lm_dataset_free(&d);
    /* numbers that are no integer a label can name (1.1e3000 reads as inf) */
    put("train.jsonl", "{\"text_a\": \"x\", \"label\": 1.1e3000}\n");
    expect_fail(t, "train", "line 1, field label", "not a string or an integer", NULL);
    put("train.jsonl", "{\"text_a\": \"x\", \"label\": 1.5}\n");
    expect_fail(t, "train", "line 1, field label", "not a string or an integer", NULL);
    gone("train.jsonl");
    lm_task_free(t);
}

/* The real 16-shot seed-42 files: sizes and splits of every task. */
static void test_real(const char *data) {
    static const struct { const char *task, *split; int n; } want[] = {
        {"SST-2", "train", 32}, {"SST-2", "test", 872}, {"sst-5", "dev", 80},
        {"trec", "test", 500}, {"MNLI", "dev", 48}, {"MNLI", "test", 1000},
        {"MNLI", "test_mismatched", 1000}, {"SNLI", "train", 48}, {"QNLI", "test", 1000},
        {"RTE", "test", 277}, {"MRPC", "test", 408}, {"QQP", "test", 1000},
        {"mpqa", "test", 1000}, {"subj", "train", 32}, {"cr", "dev", 32}, {"mr", "test", 1000},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        lm_task *t = task(want[i].task);
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s/16-42", data, want[i].task);
        lm_dataset d;
        lm_error err = {0};
        int rc = lm_dataset_read(t, dir, want[i].split, &d, &err);
        CHECK_MSG(rc == 0, "%s", err.msg);
        if (rc == 0) {
            CHECK_MSG(d.n == want[i].n, "%s %s: %d examples", want[i].task, want[i].split, d.n);
            lm_dataset_free(&d);
        }
        lm_task_free(t);
    }
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
        return 2;
    }
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    test_rows_csv();
    test_rows_tsv();
    test_glue();
    test_csv_tasks();
    test_custom();
    test_real(argv[1]);
    for (int i = 0; i < n_made; i++) {
        unlink(made[i]);
        free(made[i]);
    }
    rmdir(tmp);
    return check_exit("test_prompt_readers");
}
