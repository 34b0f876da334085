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

/* The experiment a route names (an id or a unique prefix of 8 or more
 * characters) among those the caller may read, and for change = 1 also
 * change: 1 with the full id in id; else 0 with rep filled (404 when none
 * or not the caller's, 409 for an ambiguous prefix, 500).  Every route that
 * names an experiment goes through here. */
int lmd_find_experiment(lmd_request *req, lmd_reply *rep, const char *given, int change, char id[37]);

#endif
