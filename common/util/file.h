/* file.h - whole-file reads and atomic writes. */
#ifndef LM_UTIL_FILE_H
#define LM_UTIL_FILE_H

#include <stddef.h>
#include "util/error.h"

/* Reads a whole file; the buffer is NUL-terminated (not counted in *len). */
char *lm_read_file(const char *path, size_t *len, lm_error *err);

/* Writes to a temporary file beside `path`, fsyncs it, then renames it into
 * place: readers see the old file or the new one, never a torn one. */
int lm_write_file_atomic(const char *path, const void *data, size_t len,
                         lm_error *err);

/* mkdir -p. */
int lm_mkdirs(const char *path, lm_error *err);

int lm_file_exists(const char *path);
int lm_dir_exists(const char *path);

/* A name a client may give for a file or folder: 1-128 of [A-Za-z0-9._-],
 * not starting with '.' (so no "..", no hidden files, no separators). */
int lm_plain_name_ok(const char *s);
/* A model name: a plain name, or "run/checkpoint" (two plain names), the
 * checkpoints a pre-training run keeps in its folder. */
int lm_model_name_ok(const char *s);

/* N of a path whose last component is "checkpoint-N" (digits only; a
 * trailing '/' allowed), the folders a pre-training run keeps; -1 otherwise. */
int lm_checkpoint_name_step(const char *path);

/* The part of path below root ("roberta-base" for "/srv/models/roberta-base"
 * under "/srv/models"), or NULL when path is not below it.  Both are made
 * absolute and "."/".." resolved by spelling, and root is also tried as its
 * real path; links below root are not followed, so what comes back is the
 * name of an entry of root, never a way out of it. */
char *lm_path_under(const char *path, const char *root);

/* Joins a directory and a name with one '/'; returns a new string. */
char *lm_path_join(const char *dir, const char *name);

#endif
