/* cmd_kernel.c - `lmntk kernel` (being built). */
#include <stdio.h>
#include "commands.h"

int cmd_kernel(int argc, char **argv) {
    (void)argc; (void)argv;
    fprintf(stderr, "lmntk kernel: not available in this build yet\n");
    return 2;
}
