/* summary.h - printing an experiment's result table. */
#ifndef LM_CLI_SUMMARY_H
#define LM_CLI_SUMMARY_H

#include <cjson/cJSON.h>

/* where: the folder holding result.json (NULL: not mentioned). */
void cli_print_summary(const cJSON *result, const char *where);

#endif
