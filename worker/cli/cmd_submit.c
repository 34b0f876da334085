/* cmd_submit.c - `lmntk submit` (being built). */
#include <stdio.h>
#include "commands.h"

int cmd_submit(int argc, char **argv) {
    (void)argc; (void)argv;
    fprintf(stderr, "lmntk submit: not available in this build yet\n");
    return 2;
}
