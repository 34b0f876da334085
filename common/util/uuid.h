/* uuid.h - the canonical text of a UUID, as ids travel in URLs. */
#ifndef LM_UTIL_UUID_H
#define LM_UTIL_UUID_H

#define LM_UUID_LEN 36 /* without the NUL */

/* 1 for 8-4-4-4-12 lowercase hex digits (what uuid_unparse_lower makes),
 * so an id checked here is safe to put in a path. */
int lm_uuid_ok(const char *s);

#endif
