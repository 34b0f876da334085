/* json_strict.h - a strict RFC 8259 JSON reader that builds cJSON trees.
 *
 * cJSON's own parser is lenient where a service that takes JSON from users
 * must not be: it keeps duplicate keys, passes invalid UTF-8 through, accepts
 * raw control characters and leading zeros, turns 1e400 into inf and reports
 * errors through a global.  This reader rejects all of those and says where:
 *
 *   - syntax errors: field "" and a message naming the byte offset;
 *   - errors inside a value (invalid UTF-8, a lone surrogate or NUL escape in
 *     a string, a number that overflows a double, a duplicate key): field is
 *     the JSON path of that value, e.g. "kernel.formula" or "seeds[2]".
 *
 * The tree is ordinary cJSON (free with cJSON_Delete); member order is
 * document order. */
#ifndef LM_SPEC_JSON_STRICT_H
#define LM_SPEC_JSON_STRICT_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "util/error.h"

/* Deeper nesting is refused (bounds the recursion on hostile input). */
#define LM_JSON_MAX_DEPTH 64

/* text need not be NUL-terminated.  Returns NULL on error, with field set to
 * the path ("" for syntax errors) and err to the reason. */
cJSON *lm_json_parse_strict(const char *text, size_t len, char *field,
                            size_t field_len, lm_error *err);

#endif
