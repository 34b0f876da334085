/* test_file.c - util/file: atomic writes, reads, mkdirs. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../check.h"
#include "util/file.h"

int main(void) {
    lm_error err;
    char dir[] = "/tmp/lmntk-test-file-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char *sub = lm_path_join(dir, "a/b/c");
    CHECK(lm_mkdirs(sub, &err) == 0);
    CHECK(lm_dir_exists(sub));
    char *path = lm_path_join(sub, "x.txt");
    CHECK(lm_write_file_atomic(path, "hello", 5, &err) == 0);
    size_t n = 0;
    char *data = lm_read_file(path, &n, &err);
    CHECK(data && n == 5 && strcmp(data, "hello") == 0);
    free(data);
    CHECK(lm_read_file("/nonexistent/lmntk", &n, &err) == NULL);
    CHECK(strstr(err.msg, "/nonexistent/lmntk") != NULL);
    free(path);
    free(sub);
    return check_exit("test_file");
}
