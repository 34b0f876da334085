/* cmd_status.c - `lmntk status` (being built). */
#include <stdio.h>
#include "commands.h"

int cmd_status(int argc, char **argv) {
    (void)argc; (void)argv;
    fprintf(stderr, "lmntk status: not available in this build yet\n");
    return 2;
}
