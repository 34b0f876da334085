/* cmd_logits.c - `lmntk logits` (being built). */
#include <stdio.h>
#include "commands.h"

int cmd_logits(int argc, char **argv) {
    (void)argc; (void)argv;
    fprintf(stderr, "lmntk logits: not available in this build yet\n");
    return 2;
}
