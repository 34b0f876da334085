/* rows_csv.c - comma-separated files as pandas.read_csv(path, header=None) reads
 * them (its C tokenizer with the defaults: quotechar '"', doublequote,
 * no escape char, skip_blank_lines):
 *   - a quote opens a quoted field only at the start of a field; inside,
 *     "" is one quote, and commas and line ends are text; after the closing
 *     quote any other character continues the field unquoted;
 *   - lines that are empty or hold only spaces and tabs are skipped;
 *   - "\n", "\r\n" and a lone "\r" end a line;
 *   - the first row fixes the width: a wider row is an error, a narrower one
 *     is padded with empty fields (which pandas reads as NaN). */
#include "prompt/rows.h"

#include <stdlib.h>
#include "util/file.h"

static int is_eol(char c) { return c == '\n' || c == '\r'; }

/* Skips a line end at s[*i] ("\r\n" counts once). */
static void eat_eol(const char *s, size_t len, size_t *i) {
    if (*i < len && s[*i] == '\r') {
        (*i)++;
        if (*i < len && s[*i] == '\n') (*i)++;
    } else if (*i < len && s[*i] == '\n') {
        (*i)++;
    }
}

/* True when the line at s[i] is empty or only spaces/tabs. */
static int blank_line(const char *s, size_t len, size_t i) {
    while (i < len && (s[i] == ' ' || s[i] == '\t')) i++;
    return i >= len || is_eol(s[i]);
}

int lm_rows_read_csv(const char *path, lm_rows *out, lm_error *err) {
    size_t len;
    char *s = lm_read_file(path, &len, err);
    if (!s) return -1;
    lm_rows_builder b;
    lm_rows_builder_init(&b, path);
    size_t i = lm_rows_bom_len(s, len);
    int line = 1, width = -1;
    while (i < len) {
        if (blank_line(s, len, i)) {
            while (i < len && !is_eol(s[i])) i++;
            eat_eol(s, len, &i);
            line++;
            continue;
        }
        int row_line = line;
        lm_rows_begin_row(&b, row_line);
        int nf = 0;
        for (;;) { /* one field per pass */
            if (i < len && s[i] == '"') {
                int qline = line;
                i++;
                for (;;) {
                    if (i >= len) {
                        lm_fail(err, "%s: line %d: end of file inside a quoted field "
                                "(its quote opens on line %d)", path, line, qline);
                        goto fail;
                    }
                    if (s[i] == '"') {
                        if (i + 1 < len && s[i + 1] == '"') { lm_rows_push(&b, "\"", 1); i += 2; continue; }
                        i++;
                        break;
                    }
                    if (s[i] == '\n' || (s[i] == '\r' && !(i + 1 < len && s[i + 1] == '\n'))) line++;
                    lm_rows_push(&b, s + i, 1);
                    i++;
                }
            }
            size_t j = i; /* unquoted text, or what follows a closing quote */
            while (j < len && s[j] != ',' && !is_eol(s[j])) j++;
            lm_rows_push(&b, s + i, j - i);
            if (lm_rows_end_field(&b, err) < 0) goto fail;
            nf++;
            i = j;
            if (i < len && s[i] == ',') { i++; continue; }
            break;
        }
        if (width < 0) width = nf;
        if (nf > width) {
            lm_fail(err, "%s: line %d: %d fields, but the first row has %d "
                    "(an unquoted comma in a text?)", path, row_line, nf, width);
            goto fail;
        }
        for (; nf < width; nf++)
            if (lm_rows_end_field(&b, err) < 0) goto fail;
        lm_rows_end_row(&b);
        eat_eol(s, len, &i);
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
