/* cli_args.h - flag parsing shared by the sub-commands of `lmntk`:
 * `--name value` and `--name=value` forms, clear errors for the rest. */
#ifndef LM_CLI_ARGS_H
#define LM_CLI_ARGS_H

typedef struct cli_args {
    int argc;
    char **argv;
    int i;          /* index of the current argument */
} cli_args;

/* Advances to the next argument; 0 at the end. */
int cli_next(cli_args *a);
/* Whether the current argument is the boolean flag `name`. */
int cli_flag(cli_args *a, const char *name);
/* The value of `name` if the current argument is it (consumes the value);
 * NULL otherwise.  A missing value exits with status 2 and a message. */
const char *cli_value(cli_args *a, const char *name);
/* The current argument when it is positional (does not start with "--"). */
const char *cli_positional(cli_args *a);

int cli_parse_int(const char *s, long lo, long hi, int *out);
int cli_parse_size(const char *s, unsigned long long *out); /* "6G", "512M", "1048576" */

/* Print "lmntk CMD: MSG" and return the exit status (2 usage, 1 failure). */
int cli_bad(const char *cmd, const char *msg);
int cli_unknown(const char *cmd, const cli_args *a);
int cli_fail(const char *cmd, const char *msg);

#endif
