/* data.c - a spec's data paths against the data root (see data.h). */
#include "admit/data.h"

#include <stdio.h>
#include <stdlib.h>
#include "util/file.h"
#include "util/rootpath.h"

static int check(const char *root, const char *rel, lm_root_kind kind, const char *field_name,
                 char *field, size_t field_len, lm_error *err) {
    int rc;
    if (root) {
        char *real = NULL;
        rc = lm_root_path_resolve(root, rel, kind, &real, err);
        free(real);
    } else {
        rc = lm_root_path_form(rel, err);
    }
    if (rc) snprintf(field, field_len, "%s", field_name);
    return rc;
}

int lm_admit_check_data(const lm_spec *spec, const char *data_root, char *field, size_t field_len,
                      lm_error *err) {
    if (field_len) field[0] = '\0';
    if (spec->is_pretrain) {
        for (int i = 0; i < spec->pretrain.n_corpus; i++) {
            char name[48];
            snprintf(name, sizeof name, "pretrain.corpus[%d]", i);
            if (check(data_root, spec->pretrain.corpus[i], LM_ROOT_FILE, name, field, field_len, err))
                return -1;
        }
        return 0;
    }
    if (check(data_root, spec->data, LM_ROOT_DIR, "data", field, field_len, err)) return -1;
    if (!data_root) return 0;
    for (int i = 0; i < spec->n_seeds; i++) {
        char leaf[64];
        snprintf(leaf, sizeof leaf, "%d-%u", spec->k, spec->seeds[i]);
        char *split = lm_path_join(spec->data, leaf);
        int rc = check(data_root, split, LM_ROOT_DIR, "data", field, field_len, err);
        free(split);
        if (rc) {
            return lm_fail_prefix(err, "no k-shot split folder %s/%s for k = %d and seed %u", spec->data,
                                  leaf, spec->k, spec->seeds[i]);
        }
    }
    return 0;
}
