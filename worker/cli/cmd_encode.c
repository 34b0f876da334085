/* cmd_encode.c - `lmntk encode` (being built). */
#include <stdio.h>
#include "commands.h"

int cmd_encode(int argc, char **argv) {
    (void)argc; (void)argv;
    fprintf(stderr, "lmntk encode: not available in this build yet\n");
    return 2;
}
