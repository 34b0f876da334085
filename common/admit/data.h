/* data.h - what a spec reads from the data root, checked before any job
 * runs (the daemon, at submit): the split root "data" and its "<k>-<seed>"
 * folder for every seed, or each pre-training corpus file.  Paths are
 * relative to the data root and stay inside it (util/rootpath.h), which is
 * also where lm_run_job looks for them (lm_run_options.data_root). */
#ifndef LM_ADMIT_DATA_H
#define LM_ADMIT_DATA_H

#include <stddef.h>
#include "spec/spec.h"
#include "util/error.h"

/* With data_root NULL only the form of the paths is checked.  On failure
 * field is the spec field ("data", "pretrain.corpus[1]") and err says why. */
int lm_admit_check_data(const lm_spec *spec, const char *data_root, char *field, size_t field_len,
                      lm_error *err);

#endif
