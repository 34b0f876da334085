/* json_strict.c - strict RFC 8259 reader producing cJSON trees.
 *
 * Recursive descent over a byte buffer with an explicit length.  Errors in
 * the grammar report a byte offset and field ""; errors inside a value that
 * parses report the JSON path of that value (see json_strict.h). */
#include "spec/json_strict.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/jpath.h"

typedef struct parser {
    const unsigned char *s;
    size_t len, pos;
    int depth;
    lm_jpath path;
    char *field;
    size_t field_len;
    lm_error *err;
    char *buf; /* decoded string scratch, NUL-terminated */
    size_t cap, n;
} parser;

/* ---- errors ---------------------------------------------------------- */

static void describe_at(const parser *p, size_t at, char *out, size_t outlen) {
    if (at >= p->len) {
        snprintf(out, outlen, "end of input");
        return;
    }
    unsigned char c = p->s[at];
    if (c >= 0x20 && c < 0x7f) snprintf(out, outlen, "'%c'", c);
    else snprintf(out, outlen, "byte 0x%02x", c);
}

/* A grammar error: field "", the message names the offset. */
static cJSON *syntax(parser *p, size_t at, const char *expected) {
    char found[32];
    describe_at(p, at, found, sizeof found);
    if (p->field && p->field_len) p->field[0] = '\0';
    lm_fail(p->err, "malformed JSON at byte %zu: expected %s, found %s", at, expected, found);
    return NULL;
}

/* An error inside a value: field is the current path. */
static cJSON *bad_value(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static cJSON *bad_value(parser *p, const char *fmt, ...) {
    lm_jpath_copy(&p->path, p->field, p->field_len);
    if (p->err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err->msg, sizeof p->err->msg, fmt, ap);
        va_end(ap);
    }
    return NULL;
}

/* ---- lexing helpers -------------------------------------------------- */

static void skip_ws(parser *p) {
    while (p->pos < p->len) {
        unsigned char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->pos++;
    }
}

/* Length of the well-formed UTF-8 sequence at s (Unicode table 3-7: no
 * overlongs, no surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t avail) {
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c == 0xE0) { n = 3; lo = 0xA0; }
    else if (c >= 0xE1 && c <= 0xEC) n = 3;
    else if (c == 0xED) { n = 3; hi = 0x9F; }
    else if (c >= 0xEE && c <= 0xEF) n = 3;
    else if (c == 0xF0) { n = 4; lo = 0x90; }
    else if (c >= 0xF1 && c <= 0xF3) n = 4;
    else if (c == 0xF4) { n = 4; hi = 0x8F; }
    else return 0;
    if (avail < n) return 0;
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF) return 0;
    return n;
}

static void buf_put(parser *p, const void *src, size_t n) {
    if (p->n + n + 1 > p->cap) {
        while (p->n + n + 1 > p->cap) p->cap = p->cap ? p->cap * 2 : 256;
        p->buf = lm_xrealloc(p->buf, p->cap);
    }
    memcpy(p->buf + p->n, src, n);
    p->n += n;
    p->buf[p->n] = '\0';
}

static void buf_put_cp(parser *p, unsigned cp) {
    unsigned char u[4];
    size_t n;
    if (cp < 0x80) { u[0] = (unsigned char)cp; n = 1; }
    else if (cp < 0x800) { u[0] = (unsigned char)(0xC0 | cp >> 6); u[1] = (unsigned char)(0x80 | (cp & 0x3F)); n = 2; }
    else if (cp < 0x10000) {
        u[0] = (unsigned char)(0xE0 | cp >> 12); u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (unsigned char)(0x80 | (cp & 0x3F)); n = 3;
    } else {
        u[0] = (unsigned char)(0xF0 | cp >> 18); u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)); u[3] = (unsigned char)(0x80 | (cp & 0x3F)); n = 4;
    }
    buf_put(p, u, n);
}

static int hex4(const parser *p, size_t at, unsigned *out) {
    if (at + 4 > p->len) return -1;
    unsigned v = 0;
    for (size_t i = 0; i < 4; i++) {
        unsigned char c = p->s[at + i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

/* Decodes the string at p->pos (on the opening quote) into p->buf.  `what`
 * says what the string is ("a string", "a key") for the messages; for a key
 * the path is still that of the enclosing object. */
static int parse_string_raw(parser *p, const char *what) {
    p->n = 0;
    buf_put(p, "", 0);
    p->pos++; /* opening quote */
    for (;;) {
        if (p->pos >= p->len) {
            syntax(p, p->pos, "'\"' to close the string");
            return -1;
        }
        unsigned char c = p->s[p->pos];
        if (c == '"') {
            p->pos++;
            return 0;
        }
        if (c < 0x20) {
            syntax(p, p->pos, "a character (control characters in strings must be escaped)");
            return -1;
        }
        if (c != '\\') {
            size_t n = utf8_seq(p->s + p->pos, p->len - p->pos);
            if (n == 0) {
                bad_value(p, "invalid UTF-8 in %s at byte %zu", what, p->pos);
                return -1;
            }
            buf_put(p, p->s + p->pos, n);
            p->pos += n;
            continue;
        }
        size_t esc = p->pos;
        if (p->pos + 1 >= p->len) {
            syntax(p, p->pos + 1, "an escape character");
            return -1;
        }
        unsigned char e = p->s[p->pos + 1];
        p->pos += 2;
        char lit;
        switch (e) {
        case '"': lit = '"'; break;
        case '\\': lit = '\\'; break;
        case '/': lit = '/'; break;
        case 'b': lit = '\b'; break;
        case 'f': lit = '\f'; break;
        case 'n': lit = '\n'; break;
        case 'r': lit = '\r'; break;
        case 't': lit = '\t'; break;
        case 'u': {
            unsigned cp;
            if (hex4(p, p->pos, &cp) != 0) {
                syntax(p, p->pos, "4 hex digits after \\u");
                return -1;
            }
            p->pos += 4;
            if (cp >= 0xDC00 && cp <= 0xDFFF) {
                bad_value(p, "lone surrogate \\u%04X in %s at byte %zu", cp, what, esc);
                return -1;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (p->pos + 6 > p->len || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u' ||
                    hex4(p, p->pos + 2, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF) {
                    bad_value(p, "lone surrogate \\u%04X in %s at byte %zu", cp, what, esc);
                    return -1;
                }
                p->pos += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            /* cJSON strings are C strings: an embedded NUL would silently
             * cut them, so it is refused. */
            if (cp == 0) {
                bad_value(p, "NUL character (\\u0000) in %s at byte %zu", what, esc);
                return -1;
            }
            buf_put_cp(p, cp);
            continue;
        }
        default:
            syntax(p, esc + 1, "a valid escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
            return -1;
        }
        buf_put(p, &lit, 1);
    }
}

static cJSON *parse_value(parser *p);

static cJSON *parse_number(parser *p) {
    size_t start = p->pos, i = p->pos;
    const unsigned char *s = p->s;
    if (i < p->len && s[i] == '-') i++;
    if (i >= p->len || s[i] < '0' || s[i] > '9') return syntax(p, i, "a digit");
    if (s[i] == '0') {
        i++;
        if (i < p->len && s[i] >= '0' && s[i] <= '9')
            return syntax(p, i, "no digit after a leading zero");
    } else {
        while (i < p->len && s[i] >= '0' && s[i] <= '9') i++;
    }
    if (i < p->len && s[i] == '.') {
        i++;
        if (i >= p->len || s[i] < '0' || s[i] > '9') return syntax(p, i, "a digit after '.'");
        while (i < p->len && s[i] >= '0' && s[i] <= '9') i++;
    }
    if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < p->len && (s[i] == '+' || s[i] == '-')) i++;
        if (i >= p->len || s[i] < '0' || s[i] > '9') return syntax(p, i, "a digit in the exponent");
        while (i < p->len && s[i] >= '0' && s[i] <= '9') i++;
    }
    /* strtod needs a terminated copy; the grammar above already fixed the
     * text, so strtod cannot stop early.  (The process never calls
     * setlocale, so '.' is the decimal point.) */
    size_t n = i - start;
    char small[64];
    char *tmp = n < sizeof small ? small : lm_xmalloc(n + 1);
    memcpy(tmp, s + start, n);
    tmp[n] = '\0';
    double d = strtod(tmp, NULL);
    if (tmp != small) free(tmp);
    if (isinf(d)) return bad_value(p, "number at byte %zu is too large", start);
    p->pos = i;
    return cJSON_CreateNumber(d);
}

static cJSON *parse_literal(parser *p) {
    static const struct { const char *text; int type; } lits[] = {
        {"true", cJSON_True}, {"false", cJSON_False}, {"null", cJSON_NULL}};
    for (size_t k = 0; k < sizeof lits / sizeof lits[0]; k++) {
        size_t n = strlen(lits[k].text);
        if (p->len - p->pos >= n && memcmp(p->s + p->pos, lits[k].text, n) == 0) {
            p->pos += n;
            if (lits[k].type == cJSON_True) return cJSON_CreateTrue();
            if (lits[k].type == cJSON_False) return cJSON_CreateFalse();
            return cJSON_CreateNull();
        }
    }
    return syntax(p, p->pos, "a value");
}

static int cmp_child_names(const void *a, const void *b) {
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    return strcmp(x->string, y->string);
}

/* Finds a repeated key by sorting the names: an object from a hostile client
 * may have very many keys, so no quadratic scan. */
static const cJSON *find_duplicate(const cJSON *obj, size_t count) {
    if (count < 2) return NULL;
    const cJSON **v = lm_xmalloc(count * sizeof *v);
    size_t i = 0;
    for (const cJSON *c = obj->child; c; c = c->next) v[i++] = c;
    qsort(v, count, sizeof *v, cmp_child_names);
    const cJSON *dup = NULL;
    for (i = 1; i < count && !dup; i++)
        if (strcmp(v[i - 1]->string, v[i]->string) == 0) dup = v[i];
    free(v);
    return dup;
}

static cJSON *parse_object(parser *p) {
    size_t open = p->pos;
    p->pos++;
    cJSON *obj = cJSON_CreateObject();
    size_t count = 0;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == '}') {
        p->pos++;
        return obj;
    }
    for (;;) {
        skip_ws(p);
        if (p->pos >= p->len || p->s[p->pos] != '"') {
            cJSON_Delete(obj);
            return syntax(p, p->pos, count ? "'\"' to start the next key (no trailing commas)"
                                           : "'\"' to start a key or '}'");
        }
        if (parse_string_raw(p, "a key") != 0) {
            cJSON_Delete(obj);
            return NULL;
        }
        char *key = lm_xstrndup(p->buf, p->n);
        skip_ws(p);
        if (p->pos >= p->len || p->s[p->pos] != ':') {
            free(key);
            cJSON_Delete(obj);
            return syntax(p, p->pos, "':' after the key");
        }
        p->pos++;
        size_t saved = lm_jpath_push_key(&p->path, key);
        cJSON *v = parse_value(p);
        if (!v) {
            free(key);
            cJSON_Delete(obj);
            return NULL;
        }
        lm_jpath_restore(&p->path, saved);
        cJSON_AddItemToObject(obj, key, v);
        free(key);
        count++;
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == '}') {
            p->pos++;
            break;
        }
        cJSON_Delete(obj);
        char want[64];
        snprintf(want, sizeof want, "',' or '}' (object opened at byte %zu)", open);
        return syntax(p, p->pos, want);
    }
    const cJSON *dup = find_duplicate(obj, count);
    if (dup) {
        size_t saved = lm_jpath_push_key(&p->path, dup->string);
        bad_value(p, "duplicate key");
        lm_jpath_restore(&p->path, saved);
        cJSON_Delete(obj);
        return NULL;
    }
    return obj;
}

static cJSON *parse_array(parser *p) {
    p->pos++;
    cJSON *arr = cJSON_CreateArray();
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == ']') {
        p->pos++;
        return arr;
    }
    for (size_t i = 0;; i++) {
        size_t saved = lm_jpath_push_index(&p->path, i);
        cJSON *v = parse_value(p);
        if (!v) {
            cJSON_Delete(arr);
            return NULL;
        }
        lm_jpath_restore(&p->path, saved);
        cJSON_AddItemToArray(arr, v);
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == ']') {
            p->pos++;
            return arr;
        }
        cJSON_Delete(arr);
        return syntax(p, p->pos, "',' or ']'");
    }
}

static cJSON *parse_value(parser *p) {
    skip_ws(p);
    if (p->pos >= p->len) return syntax(p, p->pos, "a value");
    unsigned char c = p->s[p->pos];
    if (c == '{' || c == '[') {
        if (p->depth >= LM_JSON_MAX_DEPTH)
            return bad_value(p, "nested deeper than %d levels at byte %zu", LM_JSON_MAX_DEPTH, p->pos);
        p->depth++;
        cJSON *v = c == '{' ? parse_object(p) : parse_array(p);
        p->depth--;
        return v;
    }
    if (c == '"') {
        if (parse_string_raw(p, "a string") != 0) return NULL;
        return cJSON_CreateString(p->buf);
    }
    if (c == '-' || (c >= '0' && c <= '9')) return parse_number(p);
    return parse_literal(p);
}

cJSON *lm_json_parse_strict(const char *text, size_t len, char *field,
                            size_t field_len, lm_error *err) {
    parser p = {.s = (const unsigned char *)text, .len = text ? len : 0,
                .field = field, .field_len = field_len, .err = err};
    lm_jpath_init(&p.path);
    if (field && field_len) field[0] = '\0';
    cJSON *v = NULL;
    skip_ws(&p);
    if (p.pos >= p.len) {
        syntax(&p, p.pos, "a JSON value (the input is empty)");
    } else {
        v = parse_value(&p);
        if (v) {
            skip_ws(&p);
            if (p.pos < p.len) {
                cJSON_Delete(v);
                v = syntax(&p, p.pos, "end of input after the JSON value");
            }
        }
    }
    free(p.buf);
    return v;
}
