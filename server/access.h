/* access.h - who may read and change which experiment.
 *
 *   an experiment belongs to the user of the token that submitted it;
 *   a user token reads and cancels its user's experiments only;
 *   an admin token reads and cancels every experiment;
 *   a worker token changes no experiment and, when reads need a token,
 *   reads none (a lease gives a worker the spec it needs);
 *   with read_auth = open anyone reads every experiment (a public
 *   dashboard); changes still follow the rules above.
 *
 * An experiment a caller may not see is answered 404, exactly like one that
 * does not exist, so ids cannot be probed. */
#ifndef LMD_ACCESS_H
#define LMD_ACCESS_H

#include "http.h"

/* The owner a read of experiments is limited to: NULL for all of them
 * (read_auth = open, or an admin token), else the caller's user ("" for a
 * worker token: no experiment has that owner). */
const char *lmd_read_scope(const lmd_request *req);

/* 1 when the caller may read (change = 0) or cancel and otherwise change
 * (change = 1) an experiment of owner (NULL: no known owner, admins only). */
int lmd_may_access(const lmd_request *req, const char *owner, int change);

/* Looks experiment id up and applies lmd_may_access: 1 allowed; 0 when it
 * does not exist or may not be seen (rep holds the 404); -1 on a database
 * error (rep holds the 500).  n_jobs (may be NULL) gets its job count. */
int lmd_experiment_access(lmd_request *req, const char *id, int change, int *n_jobs, lmd_reply *rep);

#endif
