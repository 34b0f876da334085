/* cmd_results.c - `lmntk results` (being built). */
#include <stdio.h>
#include "commands.h"

int cmd_results(int argc, char **argv) {
    (void)argc; (void)argv;
    fprintf(stderr, "lmntk results: not available in this build yet\n");
    return 2;
}
