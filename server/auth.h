/* auth.h - bearer tokens.  A token is shown once, when it is made; the
 * database keeps only its sha256, so a copy of the database grants nothing.
 * Three kinds: user tokens submit experiments and read and cancel their
 * user's own; admin tokens do that for every user's; worker tokens lease
 * and report jobs.  No kind may do another's work (access.h has the rules
 * for experiments). */
#ifndef LMD_AUTH_H
#define LMD_AUTH_H

#include <stddef.h>
#include <sqlite3.h>
#include "util/error.h"

typedef enum {
    LMD_PRINCIPAL_ANONYMOUS = 0,
    LMD_PRINCIPAL_USER,
    LMD_PRINCIPAL_WORKER,
    LMD_PRINCIPAL_ADMIN,
} lmd_principal_kind;

#define LMD_USER_MAX 64

typedef struct lmd_principal {
    lmd_principal_kind kind;
    long long token_id;        /* 0 when anonymous */
    char user[LMD_USER_MAX];   /* the user the token acts for; "" when anonymous */
} lmd_principal;

#define LMD_TOKEN_MAX 80

const char *lmd_principal_kind_name(lmd_principal_kind k);
/* "user" / "worker" / "admin" -> kind; ANONYMOUS when none. */
lmd_principal_kind lmd_principal_kind_parse(const char *s);

/* 1 when s may name a user: 1-63 bytes of [A-Za-z0-9._@-]. */
int lmd_user_name_ok(const char *s);

/* Finds the live token.  Returns 0 and fills who, 1 when the token is
 * unknown or revoked, -1 on a database error. */
int lmd_auth_lookup(sqlite3 *h, const char *token, lmd_principal *who, lm_error *err);

/* Makes a token of kind acting for user (NULL: a user of its own,
 * "token-<id>"), stores its hash, writes the token text (which is never
 * stored) into out. */
int lmd_auth_create(sqlite3 *h, lmd_principal_kind kind, const char *user, const char *note,
                    char out[LMD_TOKEN_MAX], long long *id, lm_error *err);

int lmd_auth_revoke(sqlite3 *h, long long id, lm_error *err);

#endif
