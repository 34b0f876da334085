/* test_rootpath.c - util/rootpath: spec paths stay inside the data root
 * (no absolute paths, no "..", no symbolic link leading out). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../check.h"
#include "util/file.h"
#include "util/rootpath.h"

static int resolves(const char *root, const char *rel, lm_root_kind kind) {
    char *real = NULL;
    lm_error err;
    int rc = lm_root_path_resolve(root, rel, kind, &real, &err);
    if (rc == 0) CHECK(real && real[0] == '/');
    else CHECK(real == NULL && err.msg[0]);
    free(real);
    return rc == 0;
}

int main(void) {
    lm_error err;
    CHECK(lm_root_path_form("k-shot/SST-2", &err) == 0);
    CHECK(lm_root_path_form("a/b..c/./d", &err) == 0);     /* ".." only as a whole component */
    CHECK(lm_root_path_form("", &err) != 0);
    CHECK(lm_root_path_form("/etc", &err) != 0 && strstr(err.msg, "absolute"));
    CHECK(lm_root_path_form("..", &err) != 0 && strstr(err.msg, ".."));
    CHECK(lm_root_path_form("a/../../b", &err) != 0);
    CHECK(lm_root_path_form("a//..", &err) != 0);

    char base[] = "/tmp/lmntk-test-rootpath-XXXXXX";
    CHECK(mkdtemp(base) != NULL);
    char *root = lm_path_join(base, "root"), *outside = lm_path_join(base, "outside");
    char *split = lm_path_join(root, "k-shot/SST-2/16-13");
    CHECK(lm_mkdirs(split, &err) == 0 && lm_mkdirs(outside, &err) == 0);
    char *file = lm_path_join(root, "corpus.txt"), *secret = lm_path_join(outside, "secret.txt");
    CHECK(lm_write_file_atomic(file, "x\n", 2, &err) == 0);
    CHECK(lm_write_file_atomic(secret, "s\n", 2, &err) == 0);
    char *out_link = lm_path_join(root, "escape"), *in_link = lm_path_join(root, "alias");
    CHECK(symlink(outside, out_link) == 0);
    CHECK(symlink("k-shot", in_link) == 0);

    CHECK(resolves(root, "k-shot/SST-2", LM_ROOT_DIR));
    CHECK(resolves(root, "k-shot/SST-2/16-13", LM_ROOT_DIR));
    CHECK(!resolves(root, "k-shot/SST-2/16-21", LM_ROOT_DIR));  /* missing */
    CHECK(resolves(root, "corpus.txt", LM_ROOT_FILE));
    CHECK(!resolves(root, "corpus.txt", LM_ROOT_DIR));          /* a file is no folder */
    CHECK(!resolves(root, "k-shot", LM_ROOT_FILE));             /* nor the other way */
    CHECK(!resolves(root, "escape/secret.txt", LM_ROOT_FILE));  /* a link out of the root */
    CHECK(!resolves(root, "escape", LM_ROOT_DIR));
    CHECK(resolves(root, "alias/SST-2", LM_ROOT_DIR));          /* a link that stays inside */
    CHECK(!resolves(root, "../outside/secret.txt", LM_ROOT_FILE));
    CHECK(!resolves(root, secret, LM_ROOT_FILE));               /* absolute */
    char *real = NULL;
    CHECK(lm_root_path_resolve(root, "escape/secret.txt", LM_ROOT_FILE, &real, &err) != 0 &&
          strstr(err.msg, "leads out of the data root"));
    CHECK(lm_root_path_resolve("/nonexistent/lmntk-root", "a", LM_ROOT_DIR, &real, &err) != 0 &&
          strstr(err.msg, "the data root"));

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    CHECK(system(cmd) == 0);
    free(root); free(outside); free(split); free(file); free(secret); free(out_link); free(in_link);
    return check_exit("test_rootpath");
}
