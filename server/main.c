/* main.c - lmntkd: the daemon, bound to the real experiment runner. */
#include "server.h"

#include "run/run.h"

static const lmd_runner runner = {"lm_run", lm_run_list_jobs, lm_run_aggregate};

int main(int argc, char **argv) { return lmd_main(argc, argv, &runner); }
