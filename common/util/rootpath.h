/* rootpath.h - paths that a spec names under a root folder (the data root
 * shared by the daemon and its workers): relative, without a ".."
 * component, and, once symbolic links are resolved, still inside the root.
 * A link inside the root that leads out of it is refused like "..": link
 * the whole root elsewhere instead. */
#ifndef LM_UTIL_ROOTPATH_H
#define LM_UTIL_ROOTPATH_H

#include "util/error.h"

/* The form alone (nothing is looked up): not empty, not absolute, no ".."
 * component.  -1 with err saying why. */
int lm_root_path_form(const char *rel, lm_error *err);

typedef enum { LM_ROOT_DIR, LM_ROOT_FILE } lm_root_kind;

/* root/rel checked for form, existence as a folder or a regular file, and
 * confinement (realpath inside realpath(root)).  0 and *out (the resolved
 * path, to free) when it passes; -1 with err when not. */
int lm_root_path_resolve(const char *root, const char *rel, lm_root_kind kind, char **out,
                         lm_error *err);

#endif
