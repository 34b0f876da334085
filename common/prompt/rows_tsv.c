/* rows_tsv.c - tab-separated files as transformers' DataProcessor._read_tsv reads
 * them: Python's csv.reader with delimiter '\t' and quotechar None, so a
 * quote is an ordinary character and a field cannot hold a tab or newline.
 * Python opens the file with universal newlines: "\r\n" and a lone "\r"
 * end a line just as "\n" does. */
#include "prompt/rows.h"

#include <stdlib.h>
#include "util/file.h"

static int is_eol(char c) { return c == '\n' || c == '\r'; }

int lm_rows_read_tsv(const char *path, lm_rows *out, lm_error *err) {
    size_t len;
    char *s = lm_read_file(path, &len, err);
    if (!s) return -1;
    lm_rows_builder b;
    lm_rows_builder_init(&b, path);
    size_t i = lm_rows_bom_len(s, len);
    int line = 1;
    while (i < len) {
        lm_rows_begin_row(&b, line);
        if (!is_eol(s[i])) { /* an empty line is a row of zero fields */
            for (;;) {
                size_t j = i;
                while (j < len && s[j] != '\t' && !is_eol(s[j])) j++;
                lm_rows_push(&b, s + i, j - i);
                if (lm_rows_end_field(&b, err) < 0) goto fail;
                i = j;
                if (i < len && s[i] == '\t') { i++; continue; }
                break;
            }
        }
        lm_rows_end_row(&b);
        if (i < len && s[i] == '\r') i++;
        if (i < len && s[i] == '\n') i++; /* "\r\n" is one line end */
        line++;
    }
    free(s);
    lm_rows_finish(&b, out);
    return 0;
fail:
    free(s);
    lm_rows_builder_free(&b);
    return -1;
}
