/* admission.h - a spec is refused at submit when it can never run: a data
 * path outside the data root (or absolute), a missing k-shot split folder,
 * a corpus file that is not there, a model whose config.json cannot be
 * read, or a job whose least memory (common/admit/memory.h) is above what the
 * largest worker has (max_job_memory).  The same estimates go with the jobs
 * into the queue, which leases a job only to a worker whose advertised
 * memory it fits. */
#ifndef LMD_ADMISSION_H
#define LMD_ADMISSION_H

#include <stdint.h>
#include <cjson/cJSON.h>
#include "http.h"
#include "spec/spec.h"

/* Checks a spec (valid already, parsed once by the submit) and its jobs
 * (lm_experiment_jobs' array).
 * 0 with *mem (one entry per job, 0 when unknown: a spec without a model
 * runs on each worker's built-in default, which the daemon cannot read;
 * free it) when admitted; -1 with the 400 in rep. */
int lmd_admit_spec(lmd_server *srv, const lm_spec *spec, const cJSON *jobs, uint64_t **mem, lmd_reply *rep);

/* The tiles of a kernel whose spec leaves kernel.shards "auto": the cost
 * model of common/admit/shards.h on the spec's (first) model's config.json,
 * the first seed's split files and the workers alive now; 1 when the model
 * or the data cannot be read here (the built-in default model). */
int lmd_admit_auto_shards(lmd_server *srv, const lm_spec *spec);

#endif
