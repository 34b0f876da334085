/* experiments_query.c - filters, sorts and cursors of experiment lists. */
#include "experiments_query.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db.h"
#include "store/sha256.h"

typedef struct sort_key {
    const char *name;
    const char *expr;   /* SQL over e; from this table only, never from a request */
    int text;
    int desc;           /* the usual order: newest and best first, names A-Z */
} sort_key;

static const sort_key sort_table[] = {
    {"created", "e.seq", 0, 1},
    {"updated", "e.updated_at", 0, 1},
    {"finished", "e.finished_at", 0, 1},
    {"name", "e.name COLLATE NOCASE", 1, 0},
    {"state", "e.state", 1, 0},
    {"task", "e.task", 1, 0},
    {"model", "e.model", 1, 0},
    {"kernel_test", "e.kernel_test", 0, 1},
    {"finetune_test", "e.finetune_test", 0, 1},
    {"zero_shot_test", "e.zero_shot_test", 0, 1},
    {"verdict", "e.verdict", 1, 0},
};
#define N_SORT ((int)(sizeof sort_table / sizeof sort_table[0]))

/* ?1 states (bits in lmd_state_bits' order), ?2 task, ?3 model, ?4 tag,
 * ?5 text (lower case), ?6 id, ?10 owner (?7-?9: the cursor and page). */
#define FILTERS \
    " (?1 = 0 OR (?1 & (CASE e.state WHEN 'queued' THEN 1 WHEN 'running' THEN 2 WHEN 'succeeded' THEN 4" \
    "   WHEN 'failed' THEN 8 ELSE 16 END)) != 0)" \
    " AND (?2 IS NULL OR e.task = ?2)" \
    " AND (?3 IS NULL OR e.model = ?3 OR (?3 = 'default' AND e.model IS NULL AND e.task IS NOT NULL))" \
    " AND (?4 IS NULL OR EXISTS (SELECT 1 FROM experiment_tags t WHERE t.experiment_id = e.id AND t.tag = ?4))" \
    " AND (?5 IS NULL OR instr(lower(COALESCE(e.name, '')), ?5) > 0 OR substr(e.id, 1, length(?5)) = ?5)" \
    " AND (?6 IS NULL OR e.id = ?6)" \
    " AND (?10 IS NULL OR e.owner = ?10)"

static void bind_filters(sqlite3_stmt *st, const lmd_experiment_filter *f, char *lower_text) {
    sqlite3_bind_int(st, 1, (int)f->states);
    lmd_db_bind_text(st, 2, f->task);
    lmd_db_bind_text(st, 3, f->model);
    lmd_db_bind_text(st, 4, f->tag);
    lmd_db_bind_text(st, 6, f->id);
    lmd_db_bind_text(st, 10, f->owner);
    if (f->text) {
        for (size_t i = 0; f->text[i]; i++) lower_text[i] = (char)tolower((unsigned char)f->text[i]);
        lower_text[strlen(f->text)] = '\0';
        sqlite3_bind_text(st, 5, lower_text, -1, SQLITE_TRANSIENT);
    }
}

int lmd_query_count(sqlite3 *h, const lmd_experiment_filter *f, long long *n, lm_error *err) {
    sqlite3_stmt *st = lmd_db_prepare(h, "SELECT COUNT(*) FROM experiments e WHERE" FILTERS, err);
    if (!st) return -1;
    char *lower = lm_xmalloc(f->text ? strlen(f->text) + 1 : 1);
    bind_filters(st, f, lower);
    int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : lm_fail(err, "database: %s", sqlite3_errmsg(h));
    *n = rc == 0 ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    free(lower);
    return rc;
}

/* ---- cursors: "<seq>" for the default order (newest first), else "k" and
 * the hex of [key, desc, value is null, seq, value] ---------------------------- */

static char *hex_of(const char *s) {
    size_t n = strlen(s);
    char *out = lm_xmalloc(2 * n + 2);
    out[0] = 'k';
    lm_hex((const uint8_t *)s, n, out + 1);
    return out;
}

static char *unhex(const char *s) {
    size_t n = strlen(s);
    if (n % 2 || n > 4096) return NULL;
    char *out = lm_xmalloc(n / 2 + 1);
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (!isxdigit((unsigned char)s[2 * i]) || !isxdigit((unsigned char)s[2 * i + 1]) ||
            sscanf(s + 2 * i, "%2x", &v) != 1) {
            free(out);
            return NULL;
        }
        out[i] = (char)v;
    }
    out[n / 2] = '\0';
    return out;
}

typedef struct cursor {
    int null;
    long long seq;
    cJSON *value;           /* owned */
} cursor;

/* 0 parsed, -1 not a cursor of this sort and order. */
static int parse_cursor(const char *text, int key, int desc, cursor *c) {
    memset(c, 0, sizeof *c);
    if (isdigit((unsigned char)text[0])) {
        if (key != 0 || !desc || strlen(text) > 18) return -1;
        for (const char *p = text; *p; p++)
            if (!isdigit((unsigned char)*p)) return -1;
        c->seq = atoll(text);
        if (c->seq < 1) return -1;
        c->value = cJSON_CreateNumber((double)c->seq);
        return 0;
    }
    char *json = text[0] == 'k' ? unhex(text + 1) : NULL;
    cJSON *a = json ? cJSON_Parse(json) : NULL;
    free(json);
    const cJSON *k = cJSON_GetArrayItem(a, 0), *d = cJSON_GetArrayItem(a, 1), *nl = cJSON_GetArrayItem(a, 2),
                *sq = cJSON_GetArrayItem(a, 3), *v = cJSON_GetArrayItem(a, 4);
    int ok = cJSON_GetArraySize(a) == 5 && cJSON_IsString(k) && !strcmp(k->valuestring, sort_table[key].name) &&
             cJSON_IsNumber(d) && (int)d->valuedouble == desc && cJSON_IsNumber(nl) && cJSON_IsNumber(sq) &&
             (nl->valuedouble != 0 || (sort_table[key].text ? cJSON_IsString(v) : cJSON_IsNumber(v)));
    if (ok) {
        c->null = nl->valuedouble != 0;
        c->seq = (long long)sq->valuedouble;
        c->value = cJSON_Duplicate(v, 1);
    }
    cJSON_Delete(a);
    return ok ? 0 : -1;
}

int lmd_query_open(sqlite3 *h, const lmd_experiment_filter *f, const char *extra_columns, int paged,
                   lmd_query *q, char field[32], lm_error *err) {
    memset(q, 0, sizeof *q);
    field[0] = '\0';
    int key = 0;
    if (f->sort) {
        for (key = 0; key < N_SORT && strcmp(sort_table[key].name, f->sort); key++) {}
        if (key == N_SORT) {
            snprintf(field, 32, "sort");
            char names[256];
            size_t n = 0;
            for (int i = 0; i < N_SORT; i++)
                n += (size_t)snprintf(names + n, sizeof names - n, "%s%s", i ? ", " : "", sort_table[i].name);
            lm_fail(err, "must be one of %s", names);
            return 1;
        }
    }
    const sort_key *k = &sort_table[key];
    q->key = key;
    q->desc = f->order < 0 ? k->desc : f->order;
    cursor c = {0};
    int with_cursor = paged && f->cursor;
    if (with_cursor && parse_cursor(f->cursor, key, q->desc, &c)) {
        snprintf(field, 32, "cursor");
        lm_fail(err, "not a cursor this server gave for this sort and order");
        return 1;
    }
    char where[512] = "";
    if (with_cursor && c.null)
        snprintf(where, sizeof where, " AND ((%s) IS NULL AND e.seq < ?8)", k->expr);
    else if (with_cursor)
        snprintf(where, sizeof where, " AND ((%s) IS NULL OR (%s) %s ?7 OR ((%s) = ?7 AND e.seq < ?8))", k->expr,
                 k->expr, q->desc ? "<" : ">", k->expr);
    size_t n = strlen(LMD_SUMMARY_COLUMNS) + strlen(extra_columns) + strlen(FILTERS) + strlen(where) + 1024;
    char *sql = lm_xmalloc(n);
    snprintf(sql, n, "SELECT " LMD_SUMMARY_COLUMNS ", (%s)%s%s FROM experiments e WHERE" FILTERS "%s"
             " ORDER BY (%s) IS NULL, (%s) %s, e.seq DESC%s",
             k->expr, extra_columns[0] ? ", " : "", extra_columns, where, k->expr, k->expr,
             q->desc ? "DESC" : "ASC", paged ? " LIMIT ?9" : "");
    q->st = lmd_db_prepare(h, sql, err);
    free(sql);
    if (!q->st) { cJSON_Delete(c.value); return -1; }
    char *lower = lm_xmalloc(f->text ? strlen(f->text) + 1 : 1);
    bind_filters(q->st, f, lower);
    free(lower);
    if (with_cursor) {
        if (cJSON_IsString(c.value)) sqlite3_bind_text(q->st, 7, c.value->valuestring, -1, SQLITE_TRANSIENT);
        else if (cJSON_IsNumber(c.value)) sqlite3_bind_double(q->st, 7, c.value->valuedouble);
        sqlite3_bind_int64(q->st, 8, c.seq);
    }
    if (paged) sqlite3_bind_int(q->st, 9, f->limit + 1);
    cJSON_Delete(c.value);
    return 0;
}

void lmd_query_note_last(lmd_query *q) {
    int col = LMD_SUMMARY_NCOLS;
    q->last_seq = sqlite3_column_int64(q->st, 0);
    q->last_null = sqlite3_column_type(q->st, col) == SQLITE_NULL;
    free(q->last_value);
    cJSON *v = q->last_null ? cJSON_CreateNull()
               : sort_table[q->key].text ? cJSON_CreateString(lmd_db_text(q->st, col))
                                         : cJSON_CreateNumber(sqlite3_column_double(q->st, col));
    q->last_value = cJSON_PrintUnformatted(v);
    cJSON_Delete(v);
}

char *lmd_query_cursor(const lmd_query *q) {
    if (q->key == 0 && q->desc) {   /* the default order: the seq, as before */
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", q->last_seq);
        return lm_xstrdup(buf);
    }
    size_t n = strlen(q->last_value ? q->last_value : "null") + 128;
    char *json = lm_xmalloc(n);
    snprintf(json, n, "[\"%s\",%d,%d,%lld,%s]", sort_table[q->key].name, q->desc, q->last_null, q->last_seq,
             q->last_value ? q->last_value : "null");
    char *out = hex_of(json);
    free(json);
    return out;
}

void lmd_query_close(lmd_query *q) {
    if (q->st) sqlite3_finalize(q->st);
    free(q->last_value);
    memset(q, 0, sizeof *q);
}
