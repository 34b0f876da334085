/* cli_args.c - flag parsing for `lmntk` sub-commands. */
#include "cli_args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_next(cli_args *a) { return a->i < a->argc; }

static void advance(cli_args *a, int n) { a->i += n; }

int cli_flag(cli_args *a, const char *name) {
    if (strcmp(a->argv[a->i], name) != 0) return 0;
    advance(a, 1);
    return 1;
}

const char *cli_value(cli_args *a, const char *name) {
    const char *arg = a->argv[a->i];
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0) return NULL;
    if (arg[n] == '=') {
        advance(a, 1);
        return arg + n + 1;
    }
    if (arg[n] != '\0') return NULL;
    if (a->i + 1 >= a->argc) {
        fprintf(stderr, "lmntk: %s needs a value\n", name);
        exit(2);
    }
    advance(a, 2);
    return a->argv[a->i - 1];
}

const char *cli_positional(cli_args *a) {
    const char *arg = a->argv[a->i];
    if (strncmp(arg, "--", 2) == 0) return NULL;
    advance(a, 1);
    return arg;
}

int cli_parse_int(const char *s, long lo, long hi, int *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

int cli_parse_size(const char *s, unsigned long long *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v <= 0) return -1;
    double mul = 1;
    if (*end == 'K' || *end == 'k') mul = 1024.0, end++;
    else if (*end == 'M' || *end == 'm') mul = 1024.0 * 1024, end++;
    else if (*end == 'G' || *end == 'g') mul = 1024.0 * 1024 * 1024, end++;
    if (*end == 'B' || *end == 'b') end++;
    if (*end) return -1;
    *out = (unsigned long long)(v * mul);
    return 0;
}

int cli_bad(const char *cmd, const char *msg) {
    fprintf(stderr, "lmntk %s: %s\n", cmd, msg);
    return 2;
}

int cli_unknown(const char *cmd, const cli_args *a) {
    fprintf(stderr, "lmntk %s: unknown argument '%s' (see lmntk %s --help)\n", cmd, a->argv[a->i], cmd);
    return 2;
}

int cli_fail(const char *cmd, const char *msg) {
    fprintf(stderr, "lmntk %s: %s\n", cmd, msg);
    return 1;
}
