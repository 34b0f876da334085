/* commands.h - the sub-commands of the `lmntk` command-line tool.
 * Each lives in cmd_<name>.c and returns the process exit status. */
#ifndef LM_CLI_COMMANDS_H
#define LM_CLI_COMMANDS_H

int cmd_logits(int argc, char **argv);
int cmd_encode(int argc, char **argv);
int cmd_kernel(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_submit(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_wait(int argc, char **argv);
int cmd_results(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_workers(int argc, char **argv);
int cmd_cancel(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_rename(int argc, char **argv);
int cmd_tag(int argc, char **argv);
int cmd_rerun(int argc, char **argv);
int cmd_bpe_train(int argc, char **argv);
int cmd_pretrain(int argc, char **argv);

#endif
