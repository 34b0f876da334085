/* models.h - the models a server offers: the folders of its models
 * directory that hold a model (config.json).  Specs name these folders;
 * clients never give the daemon a file system path. */
#ifndef LMD_MODELS_H
#define LMD_MODELS_H

#include <cjson/cJSON.h>

/* 1 when name is a registered model of models_dir (NULL: none are). */
int lmd_model_registered(const char *models_dir, const char *name);

/* [{"name", "files": [...], "bytes"}], sorted by name. */
cJSON *lmd_model_list(const char *models_dir);

#endif
