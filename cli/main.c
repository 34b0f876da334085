/* main.c - `lmntk`: the command-line tool.  Dispatches to a sub-command. */
#include <stdio.h>
#include <string.h>
#include "commands.h"

typedef struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} command;

static const command commands[] = {
    {"logits", cmd_logits, "top tokens and logits at the mask of a text"},
    {"encode", cmd_encode, "a task split through its prompt template, as JSON lines"},
    {"kernel", cmd_kernel, "eNTK kernels and pre-trained outputs of a task split"},
    {"run", cmd_run, "run an experiment spec locally"},
    {"submit", cmd_submit, "submit an experiment spec to a server"},
    {"status", cmd_status, "state and progress of a submitted experiment"},
    {"wait", cmd_wait, "wait for a submitted experiment to finish"},
    {"results", cmd_results, "results of an experiment (--csv: one line per method and seed)"},
    {"list", cmd_list, "the runs table of a server: filters, sorts, headline metrics"},
    {"workers", cmd_workers, "the workers of a server and what they run"},
    {"cancel", cmd_cancel, "cancel a queued or running experiment"},
    {"delete", cmd_delete, "delete a finished experiment with its artifacts"},
    {"rename", cmd_rename, "rename an experiment"},
    {"tag", cmd_tag, "add (or --remove) tags of an experiment"},
    {"rerun", cmd_rerun, "submit an experiment's spec again"},
    {"bpe-train", cmd_bpe_train, "train a byte-level BPE vocabulary on a text corpus"},
    {"pretrain", cmd_pretrain, "pre-train a masked LM (RoBERTa objective) on a text corpus"},
};

static void usage(FILE *to) {
    fprintf(to, "usage: lmntk <command> [options]   (lmntk <command> --help; lmntk --version)\n\n"
                "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(to, "  %-9s %s\n", commands[i].name, commands[i].help);
    fprintf(to, "\nThe server commands take --server URL and --token T (default $LMNTK_SERVER,\n"
                "$LMNTK_TOKEN) and an experiment's id or its first 8 or more characters.\n");
}

int main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("lmntk %s\n", LMNTK_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "lmntk: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
