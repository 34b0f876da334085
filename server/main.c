/* main.c - lmntkd: the daemon, bound to experiments as data
 * (common/experiment).  It links no model math. */
#include "server.h"

#include "experiment/experiment.h"

static const lmd_runner runner = {"lm_experiment", lm_experiment_jobs_sharded, lm_experiment_check_result,
                                  lm_experiment_aggregate};

int main(int argc, char **argv) { return lmd_main(argc, argv, &runner); }
