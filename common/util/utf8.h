/* utf8.h - the UTF-8 operations the tokenizers and the prompt code share:
 * validation with Python's strictness (overlong forms, surrogates and code
 * points above U+10FFFF are invalid, so a file Python would refuse to decode
 * is refused here too), decoding and encoding of code points. */
#ifndef LM_UTIL_UTF8_H
#define LM_UTIL_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Offset of the first byte that is not well-formed UTF-8 (overlongs,
 * surrogates and code points above U+10FFFF included), or len if all is. */
size_t lm_utf8_invalid_at(const char *s, size_t len);

/* Decodes the code point at s (well-formed input); returns its byte length. */
int lm_utf8_decode(const char *s, size_t len, uint32_t *cp);

/* Writes cp as UTF-8 into out[4]; returns the byte length. */
int lm_utf8_encode(uint32_t cp, char *out);

/* Decodes the code point at s[*pos] of valid UTF-8 and advances *pos. */
static inline uint32_t lm_utf8_next(const char *s, size_t *pos) {
    const unsigned char *u = (const unsigned char *)s + *pos;
    if (u[0] < 0x80) { *pos += 1; return u[0]; }
    if (u[0] < 0xE0) { *pos += 2; return ((uint32_t)(u[0] & 0x1F) << 6) | (u[1] & 0x3F); }
    if (u[0] < 0xF0) {
        *pos += 3;
        return ((uint32_t)(u[0] & 0x0F) << 12) | ((uint32_t)(u[1] & 0x3F) << 6) | (u[2] & 0x3F);
    }
    *pos += 4;
    return ((uint32_t)(u[0] & 0x07) << 18) | ((uint32_t)(u[1] & 0x3F) << 12) |
           ((uint32_t)(u[2] & 0x3F) << 6) | (u[3] & 0x3F);
}

/* Byte length of the last code point of s[0..len) (0 when len is 0). */
size_t lm_utf8_last_len(const char *s, size_t len);

#endif
