/* dirlist.h - the sorted entries of a folder that pass a filter (artifact
 * listings, the models directory). */
#ifndef LMD_DIRLIST_H
#define LMD_DIRLIST_H

#include <stddef.h>

typedef int (*lmd_dir_keep)(const char *dir, const char *name);

/* Names in dir that keep accepts, sorted bytewise; NULL with *n = 0 when
 * the folder cannot be read.  Free with lmd_dir_names_free. */
char **lmd_dir_names(const char *dir, lmd_dir_keep keep, size_t *n);
void lmd_dir_names_free(char **names, size_t n);

#endif
