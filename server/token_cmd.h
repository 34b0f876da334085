/* token_cmd.h - `lmntkd token add|list|revoke`: token management on the
 * database file, with or without a running daemon (WAL lets both write). */
#ifndef LMD_TOKEN_CMD_H
#define LMD_TOKEN_CMD_H

int lmd_token_command(int argc, char **argv);

#endif
