/* cmd_list.c - `lmntk list`: the runs table (GET /v1/experiments with its
 * filters and sorts, every page with --all; --csv the export), and
 * `lmntk workers` (GET /v1/workers). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "client.h"
#include "commands.h"

static int list_usage(FILE *to) {
    fprintf(to,
        "usage: lmntk list [--state S[,S...]] [--task T] [--model M|default] [--tag T] [--search TEXT]\n"
        "                  [--sort KEY] [--order asc|desc] [--limit N] [--all] [--json | --csv]\n"
        "                  [--server URL] [--token T]\n"
        "  The runs table, newest first: id, state, task, model, name, the best kernel's and each\n"
        "  fine-tuning method's test metric (mean +- std over seeds, x 100), zero-shot, the\n"
        "  kernel-behaviour verdict, seeds done, tags.  KEY: created, updated, finished, name,\n"
        "  state, task, model, kernel_test, finetune_test, zero_shot_test, verdict.  --limit N\n"
        "  rows (default 50), --all every page; --json the summaries; --csv one line per\n"
        "  (experiment, method, seed) as GET /v1/experiments.csv gives it.\n");
    return to == stdout ? 0 : 2;
}

static const char *str(const cJSON *o, const char *key, const char *dflt) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : dflt;
}

/* "72.4±3.1" of a {mean, std} metric, "-" without one. */
static void metric(char *out, size_t cap, const cJSON *m) {
    const cJSON *mean = cJSON_GetObjectItemCaseSensitive(m, "mean"), *std = cJSON_GetObjectItemCaseSensitive(m, "std");
    if (!cJSON_IsNumber(mean)) snprintf(out, cap, "-");
    else snprintf(out, cap, "%.1f±%.1f", 100 * mean->valuedouble, cJSON_IsNumber(std) ? 100 * std->valuedouble : 0);
}

static void print_row(const cJSON *e) {
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "metrics");
    char kernel[32], zero[32], ft[256] = "", one[64];
    metric(kernel, sizeof kernel, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "kernel"), "test"));
    metric(zero, sizeof zero, cJSON_GetObjectItemCaseSensitive(m, "zero_shot"));
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(m, "finetune")) {
        metric(one, sizeof one, cJSON_GetObjectItemCaseSensitive(f, "test"));
        size_t n = strlen(ft);
        snprintf(ft + n, sizeof ft - n, "%s%s %s", n ? ", " : "", str(f, "label", "?"), one);
    }
    char tags[256] = "";
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(e, "tags")) {
        size_t n = strlen(tags);
        snprintf(tags + n, sizeof tags - n, "%s%s", n ? " " : "", f->valuestring);
    }
    const cJSON *done = cJSON_GetObjectItemCaseSensitive(e, "seeds_done"), *total = cJSON_GetObjectItemCaseSensitive(e, "seeds_total");
    char seeds[32];
    snprintf(seeds, sizeof seeds, "%d/%d%s", cJSON_IsNumber(done) ? (int)done->valuedouble : 0,
             cJSON_IsNumber(total) ? (int)total->valuedouble : 0,
             cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "metrics_partial")) ? "*" : "");
    printf("%-8.8s  %-9s %-7.7s %-16.16s %-20.20s %-11s %-11s %-24s %-10s %-6s %s\n", str(e, "id", "?"),
           str(e, "state", "?"), str(e, "task", "-"), str(e, "model", "default"), str(e, "name", "-"), kernel, zero,
           ft[0] ? ft : "-", str(m, "verdict", "-"), seeds, tags);
}

int cmd_list(int argc, char **argv) {
    cli_client c;
    cli_client_defaults(&c);
    const char *v;
    char query[2048] = "";
    int json = 0, csv = 0, all = 0, limit = 50;
    cli_args a = {argc, argv, 1};
    static const char *const filters[][2] = {{"--state", "state"}, {"--task", "task"}, {"--model", "model"},
                                             {"--tag", "tag"}, {"--search", "q"}, {"--sort", "sort"},
                                             {"--order", "order"}};
    while (cli_next(&a)) {
        if (cli_flag(&a, "--help")) return list_usage(stdout);
        if (cli_client_flag(&c, &a)) continue;
        size_t i = 0;
        while (i < sizeof filters / sizeof filters[0] && !(v = cli_value(&a, filters[i][0]))) i++;
        if (i < sizeof filters / sizeof filters[0]) {
            cli_query_add(query, sizeof query, filters[i][1], v);
            continue;
        }
        if (cli_flag(&a, "--json")) json = 1;
        else if (cli_flag(&a, "--csv")) csv = 1;
        else if (cli_flag(&a, "--all")) all = 1;
        else if ((v = cli_value(&a, "--limit"))) {
            if (cli_parse_int(v, 1, 1000000, &limit)) return cli_bad("list", "--limit takes a count >= 1");
        } else return cli_unknown("list", &a);
    }
    if (json && csv) return list_usage(stderr);
    if (cli_client_open(&c, "list")) return 1;
    int rc = 0;
    if (csv) {
        char path[2200];
        snprintf(path, sizeof path, "/v1/experiments.csv%s%s", query[0] ? "?" : "", query);
        rc = cli_print_raw(&c, "list", path);
        cli_client_close(&c);
        return rc;
    }
    /* pages of at most 1000 until the limit (or, with --all, the end) */
    cJSON *rows = cJSON_CreateArray();
    char cursor[1024] = "";
    long long total = -1;
    for (int got = 0; all || got < limit;) {
        int want = all ? 1000 : limit - got > 1000 ? 1000 : limit - got;
        char page_query[3200], n[16], path[3300];
        snprintf(page_query, sizeof page_query, "%s", query);
        snprintf(n, sizeof n, "%d", want);
        cli_query_add(page_query, sizeof page_query, "limit", n);
        if (cursor[0]) cli_query_add(page_query, sizeof page_query, "cursor", cursor);
        snprintf(path, sizeof path, "/v1/experiments?%s", page_query);
        cJSON *page;
        if (cli_call(&c, "list", "GET", path, NULL, 200, &page)) { rc = 1; break; }
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(page, "experiments");
        const cJSON *next = cJSON_GetObjectItemCaseSensitive(page, "next_cursor");
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(page, "total");
        if (cJSON_IsNumber(t)) total = (long long)t->valuedouble;
        cJSON *e;
        while (list && list->child) {
            e = cJSON_DetachItemViaPointer((cJSON *)list, list->child);
            cJSON_AddItemToArray(rows, e);
            got++;
        }
        int more = cJSON_IsString(next) && strlen(next->valuestring) < sizeof cursor;
        if (more) snprintf(cursor, sizeof cursor, "%s", next->valuestring);
        cJSON_Delete(page);
        if (!more) break;
    }
    if (rc == 0 && json) {
        char *text = cJSON_Print(rows);
        printf("%s\n", text);
        free(text);
    } else if (rc == 0) {
        printf("%-8s  %-9s %-7s %-16s %-20s %-11s %-11s %-24s %-10s %-6s %s\n", "id", "state", "task", "model",
               "name", "kernel", "zero-shot", "fine-tuning", "verdict", "seeds", "tags");
        const cJSON *e;
        cJSON_ArrayForEach(e, rows) print_row(e);
        fprintf(stderr, "%d of %lld experiment%s (test metric x 100, mean±std over seeds; * partial)\n",
                cJSON_GetArraySize(rows), total, total == 1 ? "" : "s");
    }
    cJSON_Delete(rows);
    cli_client_close(&c);
    return rc;
}

static int workers_usage(FILE *to) {
    fprintf(to, "usage: lmntk workers [--json] [--server URL] [--token T]\n"
                "  The workers the server has heard from: name, host, alive, last heartbeat,\n"
                "  memory limit and the job each runs; a warning when jobs are queued and no\n"
                "  worker is alive.\n");
    return to == stdout ? 0 : 2;
}

int cmd_workers(int argc, char **argv) {
    cli_client c;
    cli_client_defaults(&c);
    int json = 0;
    cli_args a = {argc, argv, 1};
    while (cli_next(&a)) {
        if (cli_flag(&a, "--help")) return workers_usage(stdout);
        if (cli_client_flag(&c, &a)) continue;
        if (cli_flag(&a, "--json")) json = 1;
        else return cli_unknown("workers", &a);
    }
    if (cli_client_open(&c, "workers")) return 1;
    cJSON *o;
    int rc = cli_call(&c, "workers", "GET", "/v1/workers", NULL, 200, &o) ? 1 : 0;
    cli_client_close(&c);
    if (rc) return rc;
    if (json) {
        char *text = cJSON_Print(o);
        printf("%s\n", text);
        free(text);
        cJSON_Delete(o);
        return 0;
    }
    printf("%-24s %-20s %-6s %-25s %-10s %s\n", "name", "host", "alive", "last heartbeat", "memory", "job");
    const cJSON *w;
    cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(o, "workers")) {
        const cJSON *mem = cJSON_GetObjectItemCaseSensitive(w, "mem_limit_bytes"), *job = cJSON_GetObjectItemCaseSensitive(w, "job");
        char memory[32] = "-", what[160] = "-";
        if (cJSON_IsNumber(mem)) snprintf(memory, sizeof memory, "%.1f GiB", mem->valuedouble / (1024.0 * 1024 * 1024));
        if (cJSON_IsObject(job)) {
            const cJSON *p = cJSON_GetObjectItemCaseSensitive(job, "progress");
            snprintf(what, sizeof what, "%.8s job %d (%s) %.0f%%", str(job, "experiment_id", "?"),
                     (int)cJSON_GetObjectItemCaseSensitive(job, "index")->valuedouble, str(job, "method", "?"),
                     cJSON_IsNumber(p) ? 100 * p->valuedouble : 0);
        }
        printf("%-24.24s %-20.20s %-6s %-25s %-10s %s\n", str(w, "name", "?"), str(w, "host", "-"),
               cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(w, "alive")) ? "yes" : "no",
               str(w, "last_heartbeat", "-"), memory, what);
    }
    const cJSON *alive = cJSON_GetObjectItemCaseSensitive(o, "alive"), *queued = cJSON_GetObjectItemCaseSensitive(o, "queued_jobs");
    if (cJSON_IsNumber(queued) && queued->valuedouble > 0 && cJSON_IsNumber(alive) && alive->valuedouble == 0)
        fprintf(stderr, "warning: %.0f job%s queued and no worker is alive\n", queued->valuedouble,
                queued->valuedouble == 1 ? " is" : "s are");
    cJSON_Delete(o);
    return 0;
}
