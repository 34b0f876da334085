/* artifacts.h - the files of experiments, on disk and in the artifacts table:
 *
 *   <data>/artifacts/<experiment>/result.json          the aggregate result
 *   <data>/artifacts/<experiment>/<job index>/<file>   what a job uploaded
 *
 * A job's file is one name or one folder and a name ("finetuned-model/
 * config.json").  Its public names, relative to /v1/experiments/<id>/
 * artifacts/, are "<job index>/<file>" and, the form a user can write from
 * the experiment's seeds and methods, "[<model>/]seed<S>/<method>/<file>"
 * with the method's ':' written '-' (experiment/methods.h), the same paths as
 * under `lmntk run --out`.  Every path component is checked against a small
 * alphabet before it touches the file system, so no name can reach outside
 * its experiment's folder.  The table keeps each file's size and, for .npy,
 * dtype and shape, read from its header when it is stored. */
#ifndef LMD_ARTIFACTS_H
#define LMD_ARTIFACTS_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include <cjson/cJSON.h>
#include "util/error.h"

#define LMD_ARTIFACT_NAME_MAX 128

/* 1 when s is a safe file name: [A-Za-z0-9._-], 1..128 bytes, not starting
 * with '.'. */
int lmd_artifact_file_ok(const char *s);
/* 1 when s is a job's file: a safe name, or a safe folder name, '/' and a
 * safe name. */
int lmd_artifact_rel_ok(const char *s);

/* Splits "result.json" (job index -1) or "<job index>/<file>".  Returns -1
 * when the name is of neither form. */
int lmd_artifact_parse(const char *name, int *job_idx, const char **file);

/* The seed form "[<model>/]seed<S>/<slug>/<file>": model ("" without one,
 * 256 bytes), seed, method slug (64 bytes) and a pointer to the file part
 * of name.  Returns -1 when name is not of this form. */
int lmd_artifact_parse_seed_form(const char *name, char *model, long long *seed, char *slug,
                                 const char **file);

/* <dir>/<experiment>[/<job>] (job < 0: the experiment's folder). */
char *lmd_artifact_dir(const char *artifacts_dir, const char *experiment, int job_idx);

/* Writes data as <experiment>/<file> atomically. */
int lmd_artifact_write(const char *artifacts_dir, const char *experiment, const char *file,
                       const void *data, size_t len, lm_error *err);

/* Notes a stored file in the table (size; dtype and shape of a .npy). */
int lmd_artifact_record(sqlite3 *h, const char *artifacts_dir, const char *experiment, int job_idx,
                        const char *file, lm_error *err);

/* Every artifact of an experiment, in job order:
 * [{name, file, path, url, job, seed, method, label, model, bytes, dtype,
 * shape}]: name the file's own name, file its name in the job's folder
 * ("finetuned-model/config.json"), path its public name (the seed form for
 * a job's file, the file itself for the experiment's own). */
cJSON *lmd_artifact_files(sqlite3 *h, const char *experiment, lm_error *err);

/* Opens an artifact for reading; returns the fd (size in *size) or -1. */
int lmd_artifact_open(const char *artifacts_dir, const char *experiment, int job_idx,
                      const char *file, uint64_t *size);

/* Deleting an experiment's folder in steps that survive a crash: renamed
 * aside (1 when there was one, 0 when none, -1 on failure), put back, or
 * removed for good. */
int lmd_artifact_trash(const char *artifacts_dir, const char *experiment, lm_error *err);
void lmd_artifact_untrash(const char *artifacts_dir, const char *experiment);
void lmd_artifact_remove_trash(const char *artifacts_dir, const char *experiment);

/* At start-up: folders renamed aside by a delete that did not finish are
 * put back when their experiment is still there, removed otherwise; files
 * stored by a daemon from before the artifacts table are entered in it. */
int lmd_artifact_settle(sqlite3 *h, const char *artifacts_dir, lm_error *err);

/* Content-Type from a file name's extension.  Without active_ok, types a
 * browser would run (HTML, scripts, SVG) come out as octet-stream: artifacts
 * are data, and must not script the dashboard's origin. */
const char *lmd_content_type(const char *name, int active_ok);

#endif
