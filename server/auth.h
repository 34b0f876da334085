/* auth.h - bearer tokens.  A token is shown once, when it is made; the
 * database keeps only its sha256, so a copy of the database grants nothing.
 * Two kinds: user tokens may change experiments, worker tokens may lease
 * and report jobs; neither may do the other's work. */
#ifndef LMD_AUTH_H
#define LMD_AUTH_H

#include <stddef.h>
#include <sqlite3.h>
#include "util/error.h"

typedef enum { LMD_PRINCIPAL_ANONYMOUS = 0, LMD_PRINCIPAL_USER, LMD_PRINCIPAL_WORKER } lmd_principal_kind;

typedef struct lmd_principal {
    lmd_principal_kind kind;
    long long token_id;        /* 0 when anonymous */
} lmd_principal;

#define LMD_TOKEN_MAX 80

const char *lmd_principal_kind_name(lmd_principal_kind k);
/* "user" / "worker" -> kind; ANONYMOUS when neither. */
lmd_principal_kind lmd_principal_kind_parse(const char *s);

/* Finds the live token.  Returns 0 and fills who, 1 when the token is
 * unknown or revoked, -1 on a database error. */
int lmd_auth_lookup(sqlite3 *h, const char *token, lmd_principal *who, lm_error *err);

/* Makes a token of kind, stores its hash, writes the token text (which is
 * never stored) into out. */
int lmd_auth_create(sqlite3 *h, lmd_principal_kind kind, const char *note, char out[LMD_TOKEN_MAX],
                    long long *id, lm_error *err);

int lmd_auth_revoke(sqlite3 *h, long long id, lm_error *err);

#endif
