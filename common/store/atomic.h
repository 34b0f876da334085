/* atomic.h - writing a file from several buffers so that readers see the
 * old file or the whole new one, never a torn one, even with several
 * processes writing the same path at once. */
#ifndef LM_STORE_ATOMIC_H
#define LM_STORE_ATOMIC_H

#include <stddef.h>
#include "util/error.h"

typedef struct lm_buf_part {
    const void *data;
    size_t len;
} lm_buf_part;

/* Writes the parts in order to a uniquely named temporary file beside path
 * (mkstemp, so concurrent writers never share one), fsyncs it, renames it
 * over path and fsyncs the directory.  Mode 0644. */
int lm_write_parts_atomic(const char *path, const lm_buf_part *parts, int nparts,
                          lm_error *err);

#endif
