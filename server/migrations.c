/* migrations.c - the list of migrations, in order.  Each SQL file of
 * schema/migrations/ is compiled in by lm_embed (server/meson.build); a new
 * migration adds its file there and its line here. */
#include "migrations.h"

extern const char lmd_sql_0001_init[];
extern const char lmd_sql_0002_ownership[];
extern const char lmd_sql_0003_job_memory[];
extern const char lmd_sql_0004_runs[];
extern const char lmd_sql_0005_job_deps[];

const lmd_migration lmd_migrations[] = {
    {1, "0001_init.sql", lmd_sql_0001_init},
    {2, "0002_ownership.sql", lmd_sql_0002_ownership},
    {3, "0003_job_memory.sql", lmd_sql_0003_job_memory},
    {4, "0004_runs.sql", lmd_sql_0004_runs},
    {5, "0005_job_deps.sql", lmd_sql_0005_job_deps},
};
const int lmd_n_migrations = (int)(sizeof lmd_migrations / sizeof lmd_migrations[0]);
