/* migrations.h - the numbered SQL migrations of schema/migrations/, compiled
 * in (migrations.c).  Migration k brings PRAGMA user_version to k. */
#ifndef LMD_MIGRATIONS_H
#define LMD_MIGRATIONS_H

typedef struct lmd_migration {
    int number;
    const char *name;
    const char *sql;
} lmd_migration;

extern const lmd_migration lmd_migrations[];
extern const int lmd_n_migrations;

#endif
