/* artifacts.h - the files of experiments on disk:
 *
 *   <data>/artifacts/<experiment>/result.json      the aggregate result
 *   <data>/artifacts/<experiment>/<job index>/<file> what a job uploaded
 *
 * A public artifact name is "result.json" or "<job index>/<file>".  Every
 * path component is checked against a small alphabet before it touches the
 * file system, so no name can reach outside its experiment's folder. */
#ifndef LMD_ARTIFACTS_H
#define LMD_ARTIFACTS_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "util/error.h"

#define LMD_ARTIFACT_NAME_MAX 128

/* 1 when s is a safe file name: [A-Za-z0-9._-], 1..128 bytes, not starting
 * with '.'. */
int lmd_artifact_file_ok(const char *s);

/* Splits a public name into job index (-1 for the experiment's own files)
 * and file.  Returns -1 when the name is not of either form. */
int lmd_artifact_parse(const char *name, int *job_idx, const char **file);

/* <dir>/<experiment>[/<job>] (job < 0: the experiment's folder). */
char *lmd_artifact_dir(const char *artifacts_dir, const char *experiment, int job_idx);

/* Writes data as <experiment>/<file> atomically. */
int lmd_artifact_write(const char *artifacts_dir, const char *experiment, const char *file,
                       const void *data, size_t len, lm_error *err);

/* Public names of the files present (job_idx < 0: the experiment's own,
 * otherwise that job's), sorted; an empty array when there are none. */
cJSON *lmd_artifact_list(const char *artifacts_dir, const char *experiment, int job_idx);

/* Opens an artifact for reading; returns the fd (size in *size) or -1. */
int lmd_artifact_open(const char *artifacts_dir, const char *experiment, int job_idx,
                      const char *file, uint64_t *size);

/* Content-Type from a file name's extension.  Without active_ok, types a
 * browser would run (HTML, scripts, SVG) come out as octet-stream: artifacts
 * are data, and must not script the dashboard's origin. */
const char *lmd_content_type(const char *name, int active_ok);

#endif
