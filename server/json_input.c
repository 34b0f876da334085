/* json_input.c - field checks for the daemon's own request bodies. */
#include "json_input.h"

#include <stdio.h>
#include <string.h>
#include "util/utf8.h"

int lmd_utf8_ok(const char *s, size_t len) {
    return lm_utf8_invalid_at(s, len) == len && memchr(s, '\0', len) == NULL;
}

static int problem(lmd_json_problem *p, const char *field, const char *detail) {
    snprintf(p->field, sizeof p->field, "%s", field);
    snprintf(p->detail, sizeof p->detail, "%s", detail);
    return -1;
}

int lmd_json_only_keys(const cJSON *obj, const char *const *allowed, lmd_json_problem *p) {
    for (const cJSON *it = obj->child; it; it = it->next) {
        int known = 0;
        for (const char *const *a = allowed; *a && !known; a++) known = strcmp(*a, it->string) == 0;
        if (!known) return problem(p, it->string, "unknown field");
    }
    return 0;
}

int lmd_json_string(const cJSON *obj, const char *key, size_t max_len, int required, int one_line,
                    const char **out, lmd_json_problem *p) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = NULL;
    if (!v) return required ? problem(p, key, "required") : 0;
    if (!cJSON_IsString(v)) return problem(p, key, "must be a string");
    if (strlen(v->valuestring) > max_len) {
        char why[64];
        snprintf(why, sizeof why, "longer than %zu bytes", max_len);
        return problem(p, key, why);
    }
    for (const char *c = v->valuestring; one_line && *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f) return problem(p, key, "must be one line of text");
    *out = v->valuestring;
    return 0;
}

int lmd_json_number(const cJSON *obj, const char *key, double lo, double hi, int required,
                    double *out, lmd_json_problem *p) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) return required ? problem(p, key, "required") : 0;
    if (!cJSON_IsNumber(v)) return problem(p, key, "must be a number");
    if (!(v->valuedouble >= lo && v->valuedouble <= hi)) {
        char why[96];
        snprintf(why, sizeof why, "must be in [%g, %g]", lo, hi);
        return problem(p, key, why);
    }
    *out = v->valuedouble;
    return 0;
}
