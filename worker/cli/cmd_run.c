/* cmd_run.c - `lmntk run` (being built). */
#include <stdio.h>
#include "commands.h"

int cmd_run(int argc, char **argv) {
    (void)argc; (void)argv;
    fprintf(stderr, "lmntk run: not available in this build yet\n");
    return 2;
}
