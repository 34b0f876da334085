/* json_input.h - the checks on JSON request bodies that are the daemon's
 * own (the strict parse itself is common/spec/json_strict.h). */
#ifndef LMD_JSON_INPUT_H
#define LMD_JSON_INPUT_H

#include <stddef.h>
#include <cjson/cJSON.h>

/* Where and why a body was refused: field is a JSON path ("a.b[2]"), empty
 * when the problem is the body as a whole. */
typedef struct lmd_json_problem {
    char field[256];
    char detail[512];
} lmd_json_problem;

/* -1 (with p filled) when obj has a key not in allowed (NULL-terminated). */
int lmd_json_only_keys(const cJSON *obj, const char *const *allowed, lmd_json_problem *p);

/* The member key of obj as a string of at most max_len bytes, or absent
 * (*out NULL) when optional; -1 with p filled when it is something else.
 * With one_line, control characters are refused too (names that end up
 * in log lines). */
int lmd_json_string(const cJSON *obj, const char *key, size_t max_len, int required, int one_line,
                    const char **out, lmd_json_problem *p);

/* The member key of obj as a number in [lo, hi]; absent leaves *out. */
int lmd_json_number(const cJSON *obj, const char *key, double lo, double hi, int required,
                    double *out, lmd_json_problem *p);

/* 1 when s[0..len) is well-formed UTF-8 without NUL. */
int lmd_utf8_ok(const char *s, size_t len);

#endif
