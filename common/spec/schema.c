/* schema.c - validating JSON against a JSON Schema subset (see schema.h). */
#include "spec/schema.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/jpath.h"
#include "spec/json_strict.h"

struct lm_schema {
    cJSON *root;
};

/* Recursion guard for $ref cycles in a schema (none in ours). */
#define MAX_SCHEMA_DEPTH 128

/* ---- loading: check that every keyword is one we implement ------------ */

static const char *const annotations[] = {
    "$schema", "$id", "$comment", "title", "description", "default",
    "examples", "deprecated", "readOnly", "writeOnly", NULL};

static const char *const type_names[] = {
    "null", "boolean", "object", "array", "number", "string", "integer", NULL};

static int in_list(const char *s, const char *const *list) {
    for (; *list; list++)
        if (strcmp(s, *list) == 0) return 1;
    return 0;
}

static const cJSON *resolve_ref(const cJSON *root, const char *ref) {
    static const char prefix[] = "#/$defs/";
    if (strncmp(ref, prefix, sizeof prefix - 1) != 0) return NULL;
    const cJSON *defs = cJSON_GetObjectItemCaseSensitive(root, "$defs");
    return defs ? cJSON_GetObjectItemCaseSensitive(defs, ref + sizeof prefix - 1) : NULL;
}

static int check_schema(const cJSON *root, const cJSON *node, char *where, size_t wlen,
                        size_t wcap, lm_error *err);

/* Extends `where` (a JSON pointer into the schema) for the duration of one
 * recursive check. */
static int check_sub(const cJSON *root, const cJSON *node, char *where, size_t wlen,
                     size_t wcap, const char *a, const char *b, lm_error *err) {
    int n = snprintf(where + wlen, wcap - wlen, "/%s%s%s", a, b ? "/" : "", b ? b : "");
    size_t nl = wlen + (n > 0 ? (size_t)n : 0);
    if (nl >= wcap) nl = wcap - 1;
    int rc = check_schema(root, node, where, nl, wcap, err);
    where[wlen] = '\0';
    return rc;
}

static int is_nonneg_int(const cJSON *v) {
    return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble == floor(v->valuedouble);
}

static int check_schema(const cJSON *root, const cJSON *node, char *where, size_t wlen,
                        size_t wcap, lm_error *err) {
    if (cJSON_IsBool(node)) return 0;
    if (!cJSON_IsObject(node)) return lm_fail(err, "schema %s: a schema must be an object or a boolean", where);
    for (const cJSON *k = node->child; k; k = k->next) {
        const char *kw = k->string;
        char idx[24];
        if (in_list(kw, annotations)) continue;
        if (strcmp(kw, "type") == 0) {
            if (cJSON_IsString(k) && in_list(k->valuestring, type_names)) continue;
            int ok = cJSON_IsArray(k) && cJSON_GetArraySize(k) > 0;
            for (const cJSON *t = ok ? k->child : NULL; t; t = t->next)
                if (!cJSON_IsString(t) || !in_list(t->valuestring, type_names)) ok = 0;
            if (!ok) return lm_fail(err, "schema %s: bad \"type\"", where);
        } else if (strcmp(kw, "enum") == 0) {
            if (!cJSON_IsArray(k) || cJSON_GetArraySize(k) == 0)
                return lm_fail(err, "schema %s: \"enum\" must be a non-empty array", where);
        } else if (strcmp(kw, "const") == 0) {
            continue;
        } else if (strcmp(kw, "properties") == 0 || strcmp(kw, "$defs") == 0) {
            if (!cJSON_IsObject(k)) return lm_fail(err, "schema %s: \"%s\" must be an object", where, kw);
            for (const cJSON *p = k->child; p; p = p->next)
                if (check_sub(root, p, where, wlen, wcap, kw, p->string, err)) return -1;
        } else if (strcmp(kw, "required") == 0) {
            if (!cJSON_IsArray(k)) return lm_fail(err, "schema %s: \"required\" must be an array", where);
            for (const cJSON *r = k->child; r; r = r->next)
                if (!cJSON_IsString(r)) return lm_fail(err, "schema %s: \"required\" must list strings", where);
        } else if (strcmp(kw, "additionalProperties") == 0 || strcmp(kw, "items") == 0) {
            if (check_sub(root, k, where, wlen, wcap, kw, NULL, err)) return -1;
        } else if (strcmp(kw, "anyOf") == 0 || strcmp(kw, "oneOf") == 0 || strcmp(kw, "allOf") == 0) {
            if (!cJSON_IsArray(k) || cJSON_GetArraySize(k) == 0)
                return lm_fail(err, "schema %s: \"%s\" must be a non-empty array", where, kw);
            int i = 0;
            for (const cJSON *b = k->child; b; b = b->next, i++) {
                snprintf(idx, sizeof idx, "%d", i);
                if (check_sub(root, b, where, wlen, wcap, kw, idx, err)) return -1;
            }
        } else if (strcmp(kw, "minimum") == 0 || strcmp(kw, "maximum") == 0 ||
                   strcmp(kw, "exclusiveMinimum") == 0 || strcmp(kw, "exclusiveMaximum") == 0) {
            if (!cJSON_IsNumber(k)) return lm_fail(err, "schema %s: \"%s\" must be a number", where, kw);
        } else if (strcmp(kw, "minLength") == 0 || strcmp(kw, "maxLength") == 0 ||
                   strcmp(kw, "minItems") == 0 || strcmp(kw, "maxItems") == 0) {
            if (!is_nonneg_int(k))
                return lm_fail(err, "schema %s: \"%s\" must be a non-negative integer", where, kw);
        } else if (strcmp(kw, "uniqueItems") == 0) {
            if (!cJSON_IsBool(k)) return lm_fail(err, "schema %s: \"uniqueItems\" must be a boolean", where);
        } else if (strcmp(kw, "$ref") == 0) {
            if (!cJSON_IsString(k) || !resolve_ref(root, k->valuestring))
                return lm_fail(err, "schema %s: \"$ref\" must name an entry of \"#/$defs/\"", where);
        } else {
            return lm_fail(err, "schema %s: unsupported keyword \"%s\"", where, kw);
        }
    }
    return 0;
}

lm_schema *lm_schema_load(const char *json, size_t len, lm_error *err) {
    char field[LM_JPATH_MAX];
    cJSON *root = lm_json_parse_strict(json, len, field, sizeof field, err);
    if (!root) {
        lm_fail_prefix(err, "schema%s%s", field[0] ? " " : "", field);
        return NULL;
    }
    char where[LM_JPATH_MAX] = "#";
    if (check_schema(root, root, where, 1, sizeof where, err) != 0) {
        cJSON_Delete(root);
        return NULL;
    }
    lm_schema *s = lm_xcalloc(1, sizeof *s);
    s->root = root;
    return s;
}

void lm_schema_free(lm_schema *s) {
    if (!s) return;
    cJSON_Delete(s->root);
    free(s);
}

const cJSON *lm_schema_root(const lm_schema *s) { return s->root; }

const cJSON *lm_schema_deref(const lm_schema *s, const cJSON *sub) {
    for (int i = 0; sub && i < MAX_SCHEMA_DEPTH; i++) {
        const cJSON *ref = cJSON_GetObjectItemCaseSensitive(sub, "$ref");
        if (!cJSON_IsString(ref)) return sub;
        sub = resolve_ref(s->root, ref->valuestring);
    }
    return sub;
}

/* ---- validation -------------------------------------------------------- */

/* One failure.  `types` is set when the failure is a type mismatch at the
 * value itself: anyOf then merges the alternatives ("a number or an
 * array") instead of picking one.  `rank` says how far the value got
 * through the checks: a type mismatch (0), a value outside an enum or const
 * (1), anything else (2). */
typedef struct verr {
    lm_jpath path;
    char msg[400];
    char types[120];
    int rank;
} verr;

typedef struct vctx {
    const lm_schema *s;
    int depth;
} vctx;

static int fail_at(verr *e, const lm_jpath *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_at(verr *e, const lm_jpath *path, const char *fmt, ...) {
    e->path = *path;
    e->types[0] = '\0';
    e->rank = 2;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return -1;
}

/* Shortest text that reads back as the same double. */
static void fmt_num(double d, char *out, size_t n) {
    if (d == floor(d) && fabs(d) < 1e15) {
        snprintf(out, n, "%.0f", d);
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(out, n, "%.*g", prec, d);
        if (strtod(out, NULL) == d) return;
    }
}

/* As JSON Schema: a number with no fractional part (1e300 is one; bounds
 * are for minimum/maximum to report). */
static int is_integer(const cJSON *v) {
    return cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble);
}

static int type_matches(const cJSON *v, const char *t) {
    switch (t[0]) {
    case 'n': return t[1] == 'u' && t[2] == 'l' ? cJSON_IsNull(v) : cJSON_IsNumber(v);
    case 'b': return cJSON_IsBool(v);
    case 'o': return cJSON_IsObject(v);
    case 'a': return cJSON_IsArray(v);
    case 's': return cJSON_IsString(v);
    case 'i': return is_integer(v);
    }
    return 0;
}

static const char *article(const char *t) {
    return (t[0] == 'a' || t[0] == 'i' || t[0] == 'o') ? "an " : (strcmp(t, "null") == 0 ? "" : "a ");
}

static void append_type(char *types, size_t n, const char *t) {
    size_t len = strlen(types);
    if (strstr(types, t)) return;
    snprintf(types + len, n - len, "%s%s%s", len ? " or " : "", article(t), t);
}

/* strcat that stops at the buffer's end (messages may be cut, not overrun). */
static void append_cut(char *dst, size_t cap, const char *s) {
    size_t len = strlen(dst), n = strlen(s);
    if (len + 1 >= cap) return;
    if (n > cap - 1 - len) n = cap - 1 - len;
    memcpy(dst + len, s, n);
    dst[len + n] = '\0';
}

static int json_equal(const cJSON *a, const cJSON *b) {
    if (cJSON_IsNumber(a) && cJSON_IsNumber(b)) return a->valuedouble == b->valuedouble;
    if ((a->type & 0xFF) != (b->type & 0xFF)) return 0;
    if (cJSON_IsString(a)) return strcmp(a->valuestring, b->valuestring) == 0;
    if (cJSON_IsArray(a)) {
        const cJSON *x = a->child, *y = b->child;
        for (; x && y; x = x->next, y = y->next)
            if (!json_equal(x, y)) return 0;
        return !x && !y;
    }
    if (cJSON_IsObject(a)) {
        if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b)) return 0;
        for (const cJSON *x = a->child; x; x = x->next) {
            const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
            if (!y || !json_equal(x, y)) return 0;
        }
        return 1;
    }
    return 1; /* null, true, false */
}

/* "a", "b", "c" - the allowed values, for messages. */
static void list_values(const cJSON *arr, char *out, size_t n) {
    size_t len = 0;
    out[0] = '\0';
    for (const cJSON *v = arr->child; v && len + 1 < n; v = v->next) {
        char *t = cJSON_PrintUnformatted(v);
        int w = snprintf(out + len, n - len, "%s%s", len ? ", " : "", t ? t : "?");
        free(t);
        if (w < 0) break;
        len += (size_t)w;
    }
    if (len >= n && n > 4) memcpy(out + n - 4, "...", 4);
}

static size_t utf8_length(const char *s) {
    size_t n = 0;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if ((*c & 0xC0) != 0x80) n++;
    return n;
}

static int validate(vctx *c, const cJSON *sch, const cJSON *v, lm_jpath *path, verr *e);

/* Ranks two failures of alternatives: the one that got further into the
 * value explains more ("solver.regularization[1]: must be >= 0" beats
 * "solver.regularization: must be a number"; "must not be empty" beats
 * "must be one of ..." for []). */
static int better(const verr *a, const verr *b) {
    if (a->path.n != b->path.n) return a->path.n > b->path.n;
    return a->rank > b->rank;
}

static int validate_alternatives(vctx *c, const cJSON *list, const cJSON *v, lm_jpath *path,
                                 verr *e, int exactly_one) {
    verr best, cur;
    int have = 0, matches = 0, all_types = 1;
    char types[sizeof best.types] = "";
    for (const cJSON *b = list->child; b; b = b->next) {
        size_t saved = path->n;
        if (validate(c, b, v, path, &cur) == 0) {
            matches++;
            if (!exactly_one) return 0;
            continue;
        }
        lm_jpath_restore(path, saved);
        if (cur.types[0] && cur.path.n == path->n) {
            if (types[0]) append_cut(types, sizeof types, " or ");
            append_cut(types, sizeof types, cur.types);
        } else {
            all_types = 0;
        }
        if (!have || better(&cur, &best)) best = cur;
        have = 1;
    }
    if (matches == 1) return 0;
    if (matches > 1) return fail_at(e, path, "must match exactly one alternative, matches %d", matches);
    if (all_types) {
        fail_at(e, path, "must be %s", types);
        snprintf(e->types, sizeof e->types, "%s", types);
        e->rank = 0;
        return -1;
    }
    *e = best;
    return -1;
}

static int validate_number(const cJSON *sch, const cJSON *v, lm_jpath *path, verr *e) {
    double d = v->valuedouble;
    char num[40];
    const cJSON *k;
    if ((k = cJSON_GetObjectItemCaseSensitive(sch, "minimum")) && !(d >= k->valuedouble)) {
        fmt_num(k->valuedouble, num, sizeof num);
        return fail_at(e, path, "must be >= %s", num);
    }
    if ((k = cJSON_GetObjectItemCaseSensitive(sch, "exclusiveMinimum")) && !(d > k->valuedouble)) {
        fmt_num(k->valuedouble, num, sizeof num);
        return fail_at(e, path, "must be > %s", num);
    }
    if ((k = cJSON_GetObjectItemCaseSensitive(sch, "maximum")) && !(d <= k->valuedouble)) {
        fmt_num(k->valuedouble, num, sizeof num);
        return fail_at(e, path, "must be <= %s", num);
    }
    if ((k = cJSON_GetObjectItemCaseSensitive(sch, "exclusiveMaximum")) && !(d < k->valuedouble)) {
        fmt_num(k->valuedouble, num, sizeof num);
        return fail_at(e, path, "must be < %s", num);
    }
    return 0;
}

static int validate_string(const cJSON *sch, const cJSON *v, lm_jpath *path, verr *e) {
    const cJSON *k;
    size_t n = utf8_length(v->valuestring);
    if ((k = cJSON_GetObjectItemCaseSensitive(sch, "minLength")) && n < (size_t)k->valuedouble) {
        if (k->valuedouble == 1) return fail_at(e, path, "must not be empty");
        return fail_at(e, path, "must be at least %.0f characters long", k->valuedouble);
    }
    if ((k = cJSON_GetObjectItemCaseSensitive(sch, "maxLength")) && n > (size_t)k->valuedouble)
        return fail_at(e, path, "must be at most %.0f characters long", k->valuedouble);
    return 0;
}

static int validate_array(vctx *c, const cJSON *sch, const cJSON *v, lm_jpath *path, verr *e) {
    const cJSON *k;
    size_t n = (size_t)cJSON_GetArraySize(v);
    /* Sizes first: a huge array is refused before walking it. */
    if ((k = cJSON_GetObjectItemCaseSensitive(sch, "minItems")) && n < (size_t)k->valuedouble) {
        if (k->valuedouble == 1) return fail_at(e, path, "must not be empty");
        return fail_at(e, path, "must have at least %.0f items", k->valuedouble);
    }
    if ((k = cJSON_GetObjectItemCaseSensitive(sch, "maxItems")) && n > (size_t)k->valuedouble)
        return fail_at(e, path, "must have at most %.0f items", k->valuedouble);
    if ((k = cJSON_GetObjectItemCaseSensitive(sch, "items"))) {
        size_t i = 0;
        for (const cJSON *it = v->child; it; it = it->next, i++) {
            size_t saved = lm_jpath_push_index(path, i);
            if (validate(c, k, it, path, e) != 0) return -1;
            lm_jpath_restore(path, saved);
        }
    }
    if ((k = cJSON_GetObjectItemCaseSensitive(sch, "uniqueItems")) && cJSON_IsTrue(k)) {
        size_t j = 0;
        for (const cJSON *b = v->child; b; b = b->next, j++) {
            size_t i = 0;
            for (const cJSON *a = v->child; a != b; a = a->next, i++) {
                if (json_equal(a, b)) {
                    size_t saved = lm_jpath_push_index(path, j);
                    fail_at(e, path, "repeats item [%zu] (items must be unique)", i);
                    lm_jpath_restore(path, saved);
                    return -1;
                }
            }
        }
    }
    return 0;
}

static int validate_object(vctx *c, const cJSON *sch, const cJSON *v, lm_jpath *path, verr *e) {
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(sch, "properties");
    const cJSON *extra = cJSON_GetObjectItemCaseSensitive(sch, "additionalProperties");
    /* Members in document order, before "required": a misspelt key is then
     * reported as unknown rather than as the missing key it was meant to be. */
    for (const cJSON *m = v->child; m; m = m->next) {
        const cJSON *ps = props ? cJSON_GetObjectItemCaseSensitive(props, m->string) : NULL;
        const cJSON *use = ps ? ps : extra;
        if (!use) continue;
        size_t saved = lm_jpath_push_key(path, m->string);
        if (!ps && cJSON_IsFalse(extra)) return fail_at(e, path, "unknown field");
        if (validate(c, use, m, path, e) != 0) return -1;
        lm_jpath_restore(path, saved);
    }
    const cJSON *req = cJSON_GetObjectItemCaseSensitive(sch, "required");
    for (const cJSON *r = req ? req->child : NULL; r; r = r->next) {
        if (!cJSON_GetObjectItemCaseSensitive(v, r->valuestring)) {
            size_t saved = lm_jpath_push_key(path, r->valuestring);
            fail_at(e, path, "is required");
            lm_jpath_restore(path, saved);
            return -1;
        }
    }
    return 0;
}

static int validate(vctx *c, const cJSON *sch, const cJSON *v, lm_jpath *path, verr *e) {
    if (cJSON_IsTrue(sch)) return 0;
    if (cJSON_IsFalse(sch)) return fail_at(e, path, "is not allowed");
    if (++c->depth > MAX_SCHEMA_DEPTH) {
        c->depth--;
        return fail_at(e, path, "schema nests too deeply (a $ref cycle?)");
    }
    int rc = -1;
    const cJSON *k;
    if ((k = cJSON_GetObjectItemCaseSensitive(sch, "$ref")) &&
        validate(c, resolve_ref(c->s->root, k->valuestring), v, path, e) != 0)
        goto out;
    if ((k = cJSON_GetObjectItemCaseSensitive(sch, "type"))) {
        int ok = 0;
        char types[sizeof e->types] = "";
        if (cJSON_IsString(k)) {
            ok = type_matches(v, k->valuestring);
            append_type(types, sizeof types, k->valuestring);
        } else {
            for (const cJSON *t = k->child; t; t = t->next) {
                ok |= type_matches(v, t->valuestring);
                append_type(types, sizeof types, t->valuestring);
            }
        }
        if (!ok) {
            fail_at(e, path, "must be %s", types);
            snprintf(e->types, sizeof e->types, "%s", types);
            e->rank = 0;
            goto out;
        }
    }
    if ((k = cJSON_GetObjectItemCaseSensitive(sch, "enum"))) {
        int found = 0;
        for (const cJSON *x = k->child; x && !found; x = x->next) found = json_equal(x, v);
        if (!found) {
            char list[300];
            list_values(k, list, sizeof list);
            fail_at(e, path, "must be one of %s", list);
            e->rank = 1;
            goto out;
        }
    }
    if ((k = cJSON_GetObjectItemCaseSensitive(sch, "const")) && !json_equal(k, v)) {
        char *t = cJSON_PrintUnformatted(k);
        fail_at(e, path, "must be %s", t ? t : "?");
        e->rank = 1;
        free(t);
        goto out;
    }
    if (cJSON_IsNumber(v) && validate_number(sch, v, path, e) != 0) goto out;
    if (cJSON_IsString(v) && validate_string(sch, v, path, e) != 0) goto out;
    if (cJSON_IsArray(v) && validate_array(c, sch, v, path, e) != 0) goto out;
    if (cJSON_IsObject(v) && validate_object(c, sch, v, path, e) != 0) goto out;
    if ((k = cJSON_GetObjectItemCaseSensitive(sch, "allOf"))) {
        for (const cJSON *b = k->child; b; b = b->next)
            if (validate(c, b, v, path, e) != 0) goto out;
    }
    if ((k = cJSON_GetObjectItemCaseSensitive(sch, "anyOf")) &&
        validate_alternatives(c, k, v, path, e, 0) != 0)
        goto out;
    if ((k = cJSON_GetObjectItemCaseSensitive(sch, "oneOf")) &&
        validate_alternatives(c, k, v, path, e, 1) != 0)
        goto out;
    rc = 0;
out:
    c->depth--;
    return rc;
}

int lm_schema_validate(const lm_schema *s, const cJSON *instance, char *field,
                       size_t field_len, lm_error *err) {
    vctx c = {.s = s, .depth = 0};
    lm_jpath path;
    lm_jpath_init(&path);
    verr *e = lm_xmalloc(sizeof *e);
    int rc = validate(&c, s->root, instance, &path, e);
    if (rc != 0) {
        lm_jpath_copy(&e->path, field, field_len);
        lm_fail(err, "%s", e->msg);
    } else if (field && field_len) {
        field[0] = '\0';
    }
    free(e);
    return rc;
}
