/* jpath.c - JSON paths for error messages. */
#include "spec/jpath.h"

#include <stdio.h>
#include <string.h>

/* Keys longer than this are shown cut, so that one silly key cannot crowd
 * the rest of the path out. */
#define KEY_SHOW_MAX 64

static void append(lm_jpath *p, const char *s, size_t len) {
    size_t room = LM_JPATH_MAX - 1 - p->n;
    if (len > room) {
        len = room;
        memcpy(p->s + p->n, s, len);
        p->n += len;
        if (p->n >= 3) memcpy(p->s + p->n - 3, "...", 3);
    } else {
        memcpy(p->s + p->n, s, len);
        p->n += len;
    }
    p->s[p->n] = '\0';
}

static int is_plain_key(const char *k) {
    if (!*k) return 0;
    if (!((*k >= 'A' && *k <= 'Z') || (*k >= 'a' && *k <= 'z') || *k == '_' || *k == '$'))
        return 0;
    for (const char *c = k; *c; c++) {
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
              (*c >= '0' && *c <= '9') || *c == '_' || *c == '-' || *c == '$'))
            return 0;
    }
    return 1;
}

size_t lm_jpath_push_key(lm_jpath *p, const char *key) {
    size_t old = p->n;
    if (is_plain_key(key) && strlen(key) <= KEY_SHOW_MAX) {
        if (p->n > 0) append(p, ".", 1);
        append(p, key, strlen(key));
        return old;
    }
    /* Anything else is shown as ["..."], escaped so that the message stays
     * one printable line whatever the key holds. */
    char buf[KEY_SHOW_MAX * 6 + 16];
    size_t b = 0;
    buf[b++] = '[';
    buf[b++] = '"';
    size_t shown = 0;
    const unsigned char *c = (const unsigned char *)key;
    for (; *c && shown < KEY_SHOW_MAX; c++, shown++) {
        if (*c == '"' || *c == '\\') {
            buf[b++] = '\\';
            buf[b++] = (char)*c;
        } else if (*c < 0x20 || *c == 0x7f) {
            b += (size_t)snprintf(buf + b, sizeof buf - b, "\\u%04x", *c);
        } else {
            buf[b++] = (char)*c;
        }
    }
    if (*c) {
        /* Do not end inside a UTF-8 sequence. */
        while (b > 2 && ((unsigned char)buf[b - 1] & 0xC0) == 0x80) b--;
        if (b > 2 && ((unsigned char)buf[b - 1] & 0xC0) == 0xC0) b--;
        memcpy(buf + b, "...", 3);
        b += 3;
    }
    buf[b++] = '"';
    buf[b++] = ']';
    append(p, buf, b);
    return old;
}

size_t lm_jpath_push_index(lm_jpath *p, size_t i) {
    size_t old = p->n;
    char buf[32];
    int n = snprintf(buf, sizeof buf, "[%zu]", i);
    append(p, buf, (size_t)n);
    return old;
}

void lm_jpath_copy(const lm_jpath *p, char *field, size_t field_len) {
    if (!field || field_len == 0) return;
    size_t n = p->n < field_len - 1 ? p->n : field_len - 1;
    memcpy(field, p->s, n);
    field[n] = '\0';
}
