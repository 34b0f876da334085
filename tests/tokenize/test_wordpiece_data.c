/* test_wordpiece_data.c - WordPiece against wordpiece_ref.py on every
 * distinct text string of shared/data (data_strings.h), with the bert-mini
 * vocabulary, uncased and cased.  The fixture wordpiece_data_ids.txt.gz
 * holds a digest of the reference ids of each string (FNV32 of the ids as
 * little-endian int32), in data order; a mismatch prints the text and the C
 * ids (`wordpiece_ref.py tests/fixtures/tokenize/bert-mini TEXT` gives the
 * reference's).
 *
 * usage: test_wordpiece_data SHARED_DIR FIXTURES_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "../check.h"
#include "data_strings.h"
#include "tok_check.h"

enum { MAX_SHOWN = 8 };

static uint32_t ids_digest(const int32_t *ids, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 4; k++) h = (h ^ (((uint32_t)ids[i] >> (8 * k)) & 0xFF)) * 0x100000001b3ull;
    return (uint32_t)h;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s SHARED_DIR FIXTURES_DIR\n", argv[0]);
        return 2;
    }
    lm_error err;
    tok_strings data;
    CHECK_MSG(tok_data_strings(argv[1], &data, &err) == 0, "%s", err.msg);
    char *mini = lm_path_join(argv[2], "tokenize/bert-mini");
    lm_tokenizer *unc = lm_tokenizer_load(mini, &err);
    CHECK_MSG(unc != NULL, "%s", err.msg);
    /* The cased tokenizer: the same vocabulary with do_lower_case false. */
    char dir[] = "/tmp/lmntk-test-wpd-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char *vp = lm_path_join(mini, "vocab.txt");
    char *vocab = lm_read_file(vp, NULL, &err);
    CHECK(vocab != NULL);
    tc_write(dir, "vocab.txt", vocab ? vocab : "");
    tc_write(dir, "tokenizer_config.json", "{\"do_lower_case\": false}");
    lm_tokenizer *cas = lm_tokenizer_load(dir, &err);
    CHECK_MSG(cas != NULL, "%s", err.msg);
    tc_remove(dir, "vocab.txt");
    tc_remove(dir, "tokenizer_config.json");
    rmdir(dir);
    char *fix = lm_path_join(argv[2], "tokenize/wordpiece_data_ids.txt.gz");
    gzFile gz = gzopen(fix, "rb");
    CHECK_MSG(gz != NULL, "%s: cannot open", fix);
    if (!unc || !cas || !gz || data.n == 0) return check_exit("test_wordpiece_data");

    char line[256];
    size_t i = 0, bad = 0, tokens = 0, unks = 0;
    int32_t unk = lm_tokenizer_special(unc).unk;
    while (gzgets(gz, line, sizeof line)) {
        if (line[0] == '#') continue;
        unsigned wu, wc;
        if (sscanf(line, "%x %x", &wu, &wc) != 2 || i >= data.n) {
            CHECK_MSG(0, "fixture line %zu malformed or beyond the data", i);
            break;
        }
        const lm_tokenizer *tk[2] = {unc, cas};
        unsigned want[2] = {wu, wc};
        for (int k = 0; k < 2; k++) {
            int32_t *ids;
            size_t n;
            int rc = tc_tokenize(tk[k], data.s[i], data.len[i], &ids, &n, &err);
            CHECK_MSG(rc == 0, "string #%zu: %s", i, err.msg);
            tokens += n;
            for (size_t j = 0; j < n; j++) unks += ids[j] == unk;
            if (ids_digest(ids, n) != want[k] && bad++ < MAX_SHOWN) {
                fprintf(stderr, "string #%zu (%s) differs from wordpiece_ref.py: \"%.300s\"\n",
                        i, k ? "cased" : "uncased", data.s[i]);
                tc_print_ids(stderr, "got", ids, n);
            }
            free(ids);
        }
        i++;
    }
    gzclose(gz);
    CHECK_MSG(i == data.n, "fixture has %zu strings, the data %zu", i, data.n);
    CHECK_MSG(bad == 0, "%zu tokenizations differ from the reference", bad);
    fprintf(stderr, "test_wordpiece_data: %zu strings x (uncased, cased), %zu tokens "
            "(%zu [UNK]), %zu mismatches\n", i, tokens, unks, bad);
    free(fix);
    free(vp);
    free(vocab);
    free(mini);
    lm_tokenizer_free(unc);
    lm_tokenizer_free(cas);
    tok_strings_free(&data);
    return check_exit("test_wordpiece_data");
}
