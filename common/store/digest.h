/* digest.h - content digests of files (model weights, split files) for
 * cache keys. */
#ifndef LM_STORE_DIGEST_H
#define LM_STORE_DIGEST_H

#include "store/sha256.h"
#include "util/error.h"

/* SHA-256 of a file's bytes, streamed (constant memory), as 64 hex
 * characters + NUL. */
int lm_file_digest(const char *path, char hex[LM_SHA256_HEX_LEN + 1], lm_error *err);

#endif
