/* config.h - the daemon's settings: defaults, then a config file, then flags.
 *
 * Every setting has one name; the file says `name = value`, the flag says
 * `--name value` with '-' for '_' (so --log-level, --rate-limit).  The file
 * may also be a JSON object of the same names. */
#ifndef LMD_CONFIG_H
#define LMD_CONFIG_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include "util/error.h"

typedef struct lmd_config {
    char listen_host[64];      /* IPv4 address to bind; 127.0.0.1 by default */
    int listen_port;           /* 0: any free port (see port_file) */
    char *data_dir;            /* DB and artifacts */
    char *models_dir;          /* model folders; NULL: none registered */
    char *web_dir;             /* dashboard files; NULL: none served */
    char *port_file;           /* where the bound port is written; NULL: nowhere */
    int log_level;
    int read_auth;             /* 1: GET of /v1 needs a token too */
    double lease_seconds;      /* a worker's lease without a heartbeat */
    int max_attempts;          /* leases of a job before it is failed */
    size_t max_body_bytes;     /* JSON request bodies */
    size_t max_spec_bytes;     /* an experiment spec */
    uint64_t max_artifact_bytes;
    int max_jobs;              /* jobs one experiment may expand into */
    double rate_limit;         /* requests/s per token or client address; 0: off */
    double rate_burst;
    int connection_timeout;    /* seconds of silence before a connection is closed */
    double header_timeout;     /* seconds from a request's start to its last header */
    double body_timeout;       /* seconds from the headers to the end of a JSON body */
    int max_connections;
    int max_connections_per_address;
    int threads;               /* HTTP worker threads */
    char *data_root;           /* where spec data paths are (the workers' --data-root); NULL: none */
    uint64_t max_job_memory;   /* bytes the largest worker may use for a job */
} lmd_config;

void lmd_config_defaults(lmd_config *c);
void lmd_config_free(lmd_config *c);

/* Sets one setting from its textual value; name uses '_' (or '-'). */
int lmd_config_set(lmd_config *c, const char *name, const char *value, lm_error *err);

/* Reads `name = value` lines (# comments) or a JSON object. */
int lmd_config_load_file(lmd_config *c, const char *path, lm_error *err);

/* Applies flags argv[0..argc): --config FILE first, then every --name value
 * (or --name=value) over it. */
int lmd_config_from_args(lmd_config *c, int argc, char **argv, lm_error *err);

void lmd_config_usage(FILE *to);

#endif
