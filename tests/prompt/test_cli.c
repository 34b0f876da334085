/* test_cli.c - `lmntk encode` end to end (cmd_encode linked in): its JSON
 * lines for a real split, --no-prompt, a custom task, and exit codes.
 * usage: test_prompt_cli DATA_DIR TOKENIZER_DIR */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../check.h"
#include "commands.h"
#include "util/file.h"

static char out_path[] = "/tmp/lm_prompt_cli_XXXXXX";

/* Runs cmd_encode with stdout sent to out_path; returns its exit code and
 * the output in *text (new string). */
static int run(char **text, const char *a0, ...) {
    char *argv[32];
    int argc = 0;
    va_list ap;
    va_start(ap, a0);
    for (const char *a = a0; a && argc < 31; a = va_arg(ap, const char *)) argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    fflush(stdout);
    int saved = dup(1);
    int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 1);
    close(fd);
    int rc = cmd_encode(argc, argv);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    *text = lm_read_file(out_path, NULL, NULL);
    return rc;
}

static int count_lines(const char *s) {
    int n = 0;
    for (; s && *s; s++) n += *s == '\n';
    return n;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s DATA_DIR TOKENIZER_DIR\n", argv[0]);
        return 2;
    }
    int fd = mkstemp(out_path);
    if (fd < 0) return 1;
    close(fd);
    char sst[4096], tmpdir[] = "/tmp/lm_prompt_cli_d_XXXXXX";
    snprintf(sst, sizeof sst, "%s/SST-2/16-42", argv[1]);
    const char *tok = argv[2];
    char *out = NULL;

    int rc = run(&out, "encode", "--model", tok, "--task", "sst-2", "--data", sst, "--split", "train", NULL);
    CHECK(rc == 0 && count_lines(out) == 32);
    /* the first example of the fixture: "... overly melodramatic ..." */
    const char *first = "{\"input_ids\": [0, 734, 14860, 15352, 1630, 4040, 5183, 1666, 85, 21, "
                        "50264, 4, 2], \"mask_pos\": 10, \"label\": 0}\n";
    CHECK_MSG(out && !strncmp(out, first, strlen(first)), "got %.200s", out ? out : "(null)");
    free(out);

    rc = run(&out, "encode", "--model", tok, "--task", "SST-2", "--data", sst, "--split=train",
             "--no-prompt", NULL);
    const char *np = "{\"input_ids\": [0, 734, 14860, 15352, 1630, 4040, 5183, 1666, 2], "
                     "\"mask_pos\": -1, \"label\": 0}\n";
    CHECK(rc == 0 && out && !strncmp(out, np, strlen(np)));
    free(out);

    /* overriding the template and label words of a built-in task */
    rc = run(&out, "encode", "--model", tok, "--task", "SST-2", "--data", sst, "--split", "train",
             "--template", "*cls**mask*:*+sent_0**sep+*", "--label-words", "{'0':'bad','1':'good'}",
             "--max-len", "6", NULL);
    const char *ov = "{\"input_ids\": [0, 50264, 35, 1666, 14860, 15352], \"mask_pos\": 1, \"label\": 0}\n";
    CHECK_MSG(rc == 0 && out && !strncmp(out, ov, strlen(ov)), "got %.200s", out ? out : "(null)");
    free(out);

    /* a custom task from a jsonl file */
    if (mkdtemp(tmpdir)) {
        char *path = lm_path_join(tmpdir, "test.jsonl");
        const char *jl = "{\"text_a\": \"great movie\", \"label\": \"pos\"}\n"
                         "{\"text_a\": \"a b\", \"label\": \"neg\"}\n";
        lm_write_file_atomic(path, jl, strlen(jl), NULL);
        rc = run(&out, "encode", "--model", tok, "--task", "reviews", "--data", tmpdir, "--split",
                 "test", "--labels", "neg,pos", "--label-words", "terrible,great", "--template",
                 "*cls**sent_0*_It_was*mask*.*sep+*", NULL);
        const char *cu = "{\"input_ids\": [0, 12338, 1569, 85, 21, 50264, 4, 2], \"mask_pos\": 5, "
                         "\"label\": 1}\n";
        CHECK_MSG(rc == 0 && count_lines(out) == 2 && out && !strncmp(out, cu, strlen(cu)),
                  "got %.200s", out ? out : "(null)");
        free(out);
        /* a label word that is not one token */
        rc = run(&out, "encode", "--model", tok, "--task", "reviews", "--data", tmpdir, "--split",
                 "test", "--labels", "neg,pos", "--label-words", "terrible,xyzzyq", "--template",
                 "*cls**sent_0*_It_was*mask*.*sep+*", NULL);
        CHECK(rc == 1 && count_lines(out) == 0);
        free(out);
        unlink(path);
        free(path);
        rmdir(tmpdir);
    }

    rc = run(&out, "encode", "--model", tok, "--task", "SST2", "--data", sst, "--split", "train", NULL);
    CHECK(rc == 1);
    free(out);
    rc = run(&out, "encode", "--model", tok, "--task", "SST-2", NULL);
    CHECK(rc == 2);
    free(out);
    rc = run(&out, "encode", "--model", tok, "--task", "SST-2", "--data", sst, "--split", "train",
             "--bogus", "1", NULL);
    CHECK(rc == 2);
    free(out);
    rc = run(&out, "encode", "--help", NULL);
    CHECK(rc == 0 && out && strstr(out, "--label-words"));
    free(out);
    unlink(out_path);
    return check_exit("test_prompt_cli");
}
