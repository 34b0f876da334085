/* lmntkd_double.c - lmntkd with the runner TEST DOUBLE (runner_double.h),
 * for the integration tests of the queue, leases and HTTP API. */
#include "runner_double.h"
#include "server.h"

int main(int argc, char **argv) {
    static const lmd_runner runner = {"test double", runner_double_list_jobs,
                                      runner_double_check_result, runner_double_aggregate};
    return lmd_main(argc, argv, &runner);
}
