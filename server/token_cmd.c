/* token_cmd.c - lmntkd token add|list|revoke. */
#include "token_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "auth.h"
#include "db.h"
#include "util/file.h"

static int usage_to(FILE *to) {
    fprintf(to,
        "usage: lmntkd token add --kind user|admin|worker (--db PATH | --data DIR) [--user NAME]\n"
        "                        [--note TEXT]\n"
        "       lmntkd token list (--db PATH | --data DIR)\n"
        "       lmntkd token revoke --id N (--db PATH | --data DIR)\n"
        "add prints the new token once; only its sha256 is stored.  --user: the user the token\n"
        "acts for (its experiments are that user's; several tokens may share a user); without\n"
        "it the token is a user of its own, token-<id>.  An admin token reads and cancels\n"
        "every user's experiments.\n");
    return to == stdout ? 0 : 2;
}

static int usage(void) { return usage_to(stderr); }

static int list_tokens(sqlite3 *h) {
    lm_error err;
    sqlite3_stmt *st = lmd_db_prepare(h,
        "SELECT id, kind, datetime(created_at, 'unixepoch'), revoked_at IS NOT NULL, COALESCE(note, ''),"
        " user_name FROM tokens ORDER BY id", &err);
    if (!st) { fprintf(stderr, "lmntkd token: %s\n", err.msg); return 1; }
    printf("%-5s %-7s %-16s %-20s %-8s %s\n", "id", "kind", "user", "created (UTC)", "revoked", "note");
    while (sqlite3_step(st) == SQLITE_ROW)
        printf("%-5lld %-7s %-16s %-20s %-8s %s\n", sqlite3_column_int64(st, 0), lmd_db_text(st, 1),
               lmd_db_text(st, 5), lmd_db_text(st, 2), sqlite3_column_int(st, 3) ? "yes" : "no",
               lmd_db_text(st, 4));
    sqlite3_finalize(st);
    return 0;
}

int lmd_token_command(int argc, char **argv) {
    if (argc < 1) return usage();
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return usage_to(stdout);
    const char *action = argv[0], *kind = NULL, *db_path = NULL, *data = NULL, *note = NULL, *user = NULL;
    long long id = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) return usage();
        if (!strcmp(a, "--kind")) kind = v;
        else if (!strcmp(a, "--db")) db_path = v;
        else if (!strcmp(a, "--data")) data = v;
        else if (!strcmp(a, "--note")) note = v;
        else if (!strcmp(a, "--user")) user = v;
        else if (!strcmp(a, "--id")) id = strtoll(v, NULL, 10);
        else return usage();
        i++;
    }
    if (!db_path && !data) return usage();
    lm_error err;
    char *path = db_path ? lm_xstrdup(db_path) : NULL;
    if (!path) {
        if (lmd_data_dir_make(data, &err)) { fprintf(stderr, "lmntkd token: %s\n", err.msg); return 1; }
        path = lm_path_join(data, "lmntk.db");
    }
    lmd_db db;
    if (lmd_db_open(&db, path, 1, &err)) {
        fprintf(stderr, "lmntkd token: %s\n", err.msg);
        free(path);
        return 1;
    }
    free(path);
    sqlite3 *h = db.conns[0].h;
    int rc = 0;
    if (!strcmp(action, "add")) {
        lmd_principal_kind k = kind ? lmd_principal_kind_parse(kind) : LMD_PRINCIPAL_ANONYMOUS;
        char token[LMD_TOKEN_MAX];
        if (k == LMD_PRINCIPAL_ANONYMOUS) rc = usage();
        else if (lmd_auth_create(h, k, user, note, token, &id, &err)) {
            fprintf(stderr, "lmntkd token: %s\n", err.msg);
            rc = 1;
        } else {
            printf("%s\n", token);
            fprintf(stderr, "lmntkd token: %s token %lld added; it is shown only this once\n", kind, id);
        }
    } else if (!strcmp(action, "list")) {
        rc = list_tokens(h);
    } else if (!strcmp(action, "revoke")) {
        if (id <= 0) rc = usage();
        else if (lmd_auth_revoke(h, id, &err)) { fprintf(stderr, "lmntkd token: %s\n", err.msg); rc = 1; }
    } else {
        rc = usage();
    }
    lmd_db_close(&db);
    return rc;
}
