/* utf8.h - the few UTF-8 operations the prompt code needs: validation with
 * Python's strictness (a file Python would refuse to decode is refused here
 * too), and code-point steps for the template's character-level edits. */
#ifndef LM_PROMPT_UTF8_H
#define LM_PROMPT_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Offset of the first byte that is not well-formed UTF-8 (overlongs,
 * surrogates and code points above U+10FFFF included), or len if all is. */
size_t lm_utf8_invalid_at(const char *s, size_t len);

/* Decodes the code point at s (well-formed input); returns its byte length. */
int lm_utf8_decode(const char *s, size_t len, uint32_t *cp);

/* Writes cp as UTF-8 into out[4]; returns the byte length. */
int lm_utf8_encode(uint32_t cp, char *out);

/* Byte length of the last code point of s[0..len) (0 when len is 0). */
size_t lm_utf8_last_len(const char *s, size_t len);

#endif
