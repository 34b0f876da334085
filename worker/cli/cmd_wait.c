/* cmd_wait.c - `lmntk wait` (being built). */
#include <stdio.h>
#include "commands.h"

int cmd_wait(int argc, char **argv) {
    (void)argc; (void)argv;
    fprintf(stderr, "lmntk wait: not available in this build yet\n");
    return 2;
}
