/* vocab_json.c - reads vocab.json, a flat JSON object {"token": id, ...}.
 *
 * A small parser of its own rather than cJSON: it reports the line of a
 * defect and fills the vocabulary without building a 50k-node tree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tokenize/tok_internal.h"
#include "tokenize/unicode.h"

typedef struct {
    const char *path, *buf;
    size_t len, pos;
    lm_error *err;
} parser;

static int fail_at(parser *p, const char *what) {
    return lm_fail(p->err, "%s:%d: malformed vocab.json: %s", p->path,
                   lm_line_of(p->buf, p->pos), what);
}

static void skip_ws(parser *p) {
    while (p->pos < p->len) {
        char c = p->buf[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->pos++;
    }
}

static int hex4(parser *p, uint32_t *out) {
    if (p->len - p->pos < 4) return fail_at(p, "short \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p->buf[p->pos++];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
        else return fail_at(p, "bad hex digit in \\u escape");
    }
    *out = v;
    return 0;
}

/* Parses a JSON string at pos (opening quote) into *out (malloc'd). */
static int parse_string(parser *p, char **out, size_t *outlen) {
    if (p->pos >= p->len || p->buf[p->pos] != '"') return fail_at(p, "expected a string");
    p->pos++;
    size_t cap = 32, n = 0;
    char *s = lm_xmalloc(cap);
    for (;;) {
        if (p->pos >= p->len) { free(s); return fail_at(p, "unterminated string"); }
        if (n + 8 > cap) s = lm_xrealloc(s, cap *= 2);
        unsigned char c = (unsigned char)p->buf[p->pos];
        if (c == '"') { p->pos++; break; }
        if (c < 0x20) { free(s); return fail_at(p, "control character in string"); }
        if (c != '\\') { s[n++] = (char)c; p->pos++; continue; }
        if (++p->pos >= p->len) { free(s); return fail_at(p, "unterminated escape"); }
        char e = p->buf[p->pos++];
        switch (e) {
        case '"': s[n++] = '"'; break;
        case '\\': s[n++] = '\\'; break;
        case '/': s[n++] = '/'; break;
        case 'b': s[n++] = '\b'; break;
        case 'f': s[n++] = '\f'; break;
        case 'n': s[n++] = '\n'; break;
        case 'r': s[n++] = '\r'; break;
        case 't': s[n++] = '\t'; break;
        case 'u': {
            uint32_t cp, lo;
            if (hex4(p, &cp)) { free(s); return -1; }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (p->len - p->pos < 6 || p->buf[p->pos] != '\\' || p->buf[p->pos + 1] != 'u') {
                    free(s);
                    return fail_at(p, "unpaired surrogate in \\u escape");
                }
                p->pos += 2;
                if (hex4(p, &lo)) { free(s); return -1; }
                if (lo < 0xDC00 || lo > 0xDFFF) {
                    free(s);
                    return fail_at(p, "unpaired surrogate in \\u escape");
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                free(s);
                return fail_at(p, "unpaired surrogate in \\u escape");
            }
            n += lm_utf8_encode(cp, s + n);
            break;
        }
        default: free(s); return fail_at(p, "bad escape in string");
        }
    }
    if (lm_utf8_invalid_at(s, n) != n) { free(s); return fail_at(p, "invalid UTF-8 in string"); }
    s[n] = '\0';
    *out = s;
    *outlen = n;
    return 0;
}

int lm_vocab_json_parse(const char *path, const char *buf, size_t len, lm_vocab *v,
                        lm_error *err) {
    parser p = {path, buf, len, 0, err};
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) p.pos = 3;   /* BOM */
    skip_ws(&p);
    if (p.pos >= len || buf[p.pos] != '{') return fail_at(&p, "expected '{'");
    p.pos++;
    skip_ws(&p);
    int count = 0;
    if (p.pos < len && buf[p.pos] == '}') { p.pos++; goto done; }
    for (;;) {
        char *key = NULL;
        size_t klen = 0;
        skip_ws(&p);
        if (parse_string(&p, &key, &klen)) return -1;
        skip_ws(&p);
        if (p.pos >= len || buf[p.pos] != ':') { free(key); return fail_at(&p, "expected ':'"); }
        p.pos++;
        skip_ws(&p);
        /* A non-negative integer id (json.load would also take 1.0: ids never are). */
        size_t start = p.pos;
        int64_t id = 0;
        while (p.pos < len && buf[p.pos] >= '0' && buf[p.pos] <= '9' && id <= LM_VOCAB_MAX_ID)
            id = id * 10 + (buf[p.pos++] - '0');
        if (p.pos == start || id > LM_VOCAB_MAX_ID || (p.pos < len && (buf[p.pos] == '.' ||
            buf[p.pos] == 'e' || buf[p.pos] == 'E' || (buf[p.pos] >= '0' && buf[p.pos] <= '9')))) {
            char what[128];
            snprintf(what, sizeof what, "the id of token \"%.40s\" is not an integer in [0, %d]",
                     key, LM_VOCAB_MAX_ID);
            free(key);
            return fail_at(&p, what);
        }
        lm_vocab_add(v, key, klen, (int32_t)id);
        free(key);
        count++;
        skip_ws(&p);
        if (p.pos < len && buf[p.pos] == ',') { p.pos++; continue; }
        if (p.pos < len && buf[p.pos] == '}') { p.pos++; break; }
        return fail_at(&p, "expected ',' or '}'");
    }
done:
    skip_ws(&p);
    if (p.pos != len) return fail_at(&p, "text after the closing '}'");
    if (count == 0) return fail_at(&p, "empty vocabulary");
    return 0;
}

int lm_vocab_add_json(lm_vocab *v, const cJSON *vocab, const char *path, lm_error *err) {
    const cJSON *it;
    cJSON_ArrayForEach(it, vocab) {
        double d = cJSON_IsNumber(it) ? it->valuedouble : -1;
        if (d < 0 || d > LM_VOCAB_MAX_ID || d != (double)(int32_t)d)
            return lm_fail(err, "%s: model.vocab[\"%.40s\"]: expected an integer id in "
                           "[0, %d]", path, it->string, LM_VOCAB_MAX_ID);
        lm_vocab_add(v, it->string, strlen(it->string), (int32_t)d);
    }
    return 0;
}
