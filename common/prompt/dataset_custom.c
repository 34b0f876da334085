/* dataset_custom.c - a custom task's split files:
 *   <split>.tsv    a header line naming the columns text_a, label and
 *                  optionally text_b (any order; other columns ignored),
 *                  then one example a line, tab-separated, no quoting;
 *   <split>.jsonl  one JSON object a line: {"text_a": "...", "text_b": "...",
 *                  "label": "..." or an integer}; text_b optional.
 * Blank lines are skipped.  Every example of a file has text_b or none has. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "prompt/dataset_read.h"
#include "prompt/rows.h"
#include "util/utf8.h"
#include "util/file.h"

static int check_label(const lm_task *t, const char *path, int line, const char *label,
                       lm_error *err) {
    int li = lm_task_label_index(t, label);
    if (li < 0) {
        char labels[512];
        lm_task_labels_str(t, labels, sizeof labels);
        lm_fail(err, "%s: line %d, field label: unknown label '%s' (task %s labels: %s)",
                path, line, label, t->name, labels);
    }
    return li;
}

int lm_read_custom_tsv(const lm_task *t, const char *path, lm_dataset *out, lm_error *err) {
    lm_rows r;
    if (lm_rows_read_tsv(path, &r, err) < 0) return -1;
    int col[3] = {-1, -1, -1}; /* text_a, text_b, label */
    const char *names[3] = {"text_a", "text_b", "label"};
    int hw = r.n > 0 ? lm_rows_width(&r, 0) : 0;
    for (int j = 0; j < hw; j++)
        for (int k = 0; k < 3; k++)
            if (strcmp(lm_rows_get(&r, 0, j), names[k]) == 0) {
                if (col[k] >= 0) {
                    lm_fail(err, "%s: line 1: column '%s' appears twice", path, names[k]);
                    goto fail;
                }
                col[k] = j;
            }
    if (col[0] < 0 || col[2] < 0) {
        lm_fail(err, "%s: line 1: the header must name the columns text_a and label "
                "(and text_b for pairs), tab-separated", path);
        goto fail;
    }
    out->n_sentences = col[1] >= 0 ? 2 : 1;
    for (int i = 1; i < r.n; i++) {
        int w = lm_rows_width(&r, i), line = r.line[i];
        if (w == 0) continue;
        for (int k = 0; k < 3; k++)
            if (col[k] >= w) {
                lm_fail(err, "%s: line %d: the row has %d field%s, but %s is field %d",
                        path, line, w, w == 1 ? "" : "s", names[k], col[k] + 1);
                goto fail;
            }
        int li = check_label(t, path, line, lm_rows_get(&r, i, col[2]), err);
        if (li < 0) goto fail;
        lm_dataset_add(out, lm_rows_get(&r, i, col[0]),
                       col[1] >= 0 ? lm_rows_get(&r, i, col[1]) : NULL, li, line);
    }
    lm_rows_free(&r);
    return 0;
fail:
    lm_rows_free(&r);
    return -1;
}

/* The string member key of o: NULL if absent or null; err set if not a
 * string or not valid UTF-8 after unescaping. */
static const char *json_text(const cJSON *o, const char *key, const char *path, int line,
                             int *bad, lm_error *err) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || cJSON_IsNull(v)) return NULL;
    if (!cJSON_IsString(v)) {
        *bad = 1;
        lm_fail(err, "%s: line %d, field %s: not a string", path, line, key);
        return NULL;
    }
    size_t n = strlen(v->valuestring);
    if (lm_utf8_invalid_at(v->valuestring, n) < n) {
        *bad = 1;
        lm_fail(err, "%s: line %d, field %s: invalid UTF-8 after unescaping", path, line, key);
        return NULL;
    }
    return v->valuestring;
}

static int jsonl_line(const lm_task *t, const char *path, int line, const char *s, size_t n,
                      lm_dataset *out, lm_error *err) {
    size_t bad_at = lm_utf8_invalid_at(s, n);
    if (bad_at < n)
        return lm_fail(err, "%s: line %d: invalid UTF-8 (byte 0x%02X at column %zu)", path,
                       line, (unsigned char)s[bad_at], bad_at + 1);
    if (memchr(s, '\0', n)) return lm_fail(err, "%s: line %d: NUL byte", path, line);
    cJSON *o = cJSON_ParseWithLength(s, n);
    if (!o || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return lm_fail(err, "%s: line %d: not a JSON object", path, line);
    }
    int bad = 0, rc = -1;
    const char *a = json_text(o, "text_a", path, line, &bad, err);
    const char *b = bad ? NULL : json_text(o, "text_b", path, line, &bad, err);
    if (bad) goto done;
    if (!a) { lm_fail(err, "%s: line %d: no field text_a", path, line); goto done; }
    const cJSON *lv = cJSON_GetObjectItemCaseSensitive(o, "label");
    char num[32];
    const char *label = NULL;
    if (cJSON_IsString(lv)) label = lv->valuestring;
    /* an integer: whole and small enough that the cast is defined (1e300
     * and the infinity cJSON makes of 1e3000 are not) */
    else if (cJSON_IsNumber(lv) && fabs(lv->valuedouble) < 1e15 &&
             lv->valuedouble == floor(lv->valuedouble)) {
        snprintf(num, sizeof num, "%lld", (long long)lv->valuedouble);
        label = num;
    }
    if (!label) {
        lm_fail(err, "%s: line %d, field label: %s", path, line,
                lv ? "not a string or an integer" : "missing");
        goto done;
    }
    int li = check_label(t, path, line, label, err);
    if (li < 0) goto done;
    int ns = b ? 2 : 1;
    if (out->n_sentences && out->n_sentences != ns) {
        lm_fail(err, "%s: line %d: %s text_b, unlike the lines before it", path, line,
                b ? "has" : "lacks");
        goto done;
    }
    out->n_sentences = ns;
    lm_dataset_add(out, a, b, li, line);
    rc = 0;
done:
    cJSON_Delete(o);
    return rc;
}

int lm_read_custom_jsonl(const lm_task *t, const char *path, lm_dataset *out, lm_error *err) {
    size_t len;
    char *s = lm_read_file(path, &len, err);
    if (!s) return -1;
    size_t i = 0;
    if (len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) i = 3;
    int line = 1, rc = 0;
    while (i < len && rc == 0) {
        size_t j = i;
        while (j < len && s[j] != '\n') j++;
        size_t k = i;
        while (k < j && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r')) k++;
        if (k < j) rc = jsonl_line(t, path, line, s + i, j - i, out, err);
        i = j + 1;
        line++;
    }
    free(s);
    return rc;
}
