/* config.c - settings from defaults, a config file and flags. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "kernel/formula.h"
#include "util/file.h"
#include "util/log.h"

void lmd_config_defaults(lmd_config *c) {
    memset(c, 0, sizeof *c);
    snprintf(c->listen_host, sizeof c->listen_host, "127.0.0.1");
    c->listen_port = 8080;
    c->data_dir = lm_xstrdup("lmntk-data");
    c->log_level = LM_LOG_INFO;
    c->lease_seconds = 60;
    c->max_attempts = 3;
    c->max_body_bytes = 8u << 20;
    c->max_spec_bytes = 256u << 10;
    c->max_artifact_bytes = 16ull << 30;
    c->max_jobs = 10000;
    c->rate_limit = 50;
    c->rate_burst = 100;
    c->connection_timeout = 30;
    c->header_timeout = 10;
    c->body_timeout = 30;
    c->max_connections = 1024;
    c->max_connections_per_address = 64;
    c->threads = 4;
    c->max_job_memory = LM_KERNEL_DEFAULT_BUDGET; /* lmntk-worker's default --mem */
}

void lmd_config_free(lmd_config *c) {
    free(c->data_dir);
    free(c->models_dir);
    free(c->web_dir);
    free(c->port_file);
    free(c->data_root);
    memset(c, 0, sizeof *c);
}

static int parse_double(const char *name, const char *v, double lo, double hi, double *out,
                        lm_error *err) {
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || !isfinite(d) || d < lo || d > hi)
        return lm_fail(err, "setting %s: '%s' is not a number in [%g, %g]", name, v, lo, hi);
    *out = d;
    return 0;
}

static int parse_int(const char *name, const char *v, long long lo, long long hi,
                     long long *out, lm_error *err) {
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || end == v || *end || n < lo || n > hi)
        return lm_fail(err, "setting %s: '%s' is not an integer in [%lld, %lld]", name, v, lo, hi);
    *out = n;
    return 0;
}

/* An integer with an optional K, M, G or T (powers of 1024) for the byte
 * settings: max_job_memory = 6G. */
static int parse_bytes(const char *name, const char *v, long long lo, long long hi, long long *out,
                       lm_error *err) {
    char num[32];
    size_t n = strlen(v);
    int shift = 0;
    char last = n ? (char)(v[n - 1] & ~0x20) : 0; /* upper case */
    const char *units = "KMGT", *u = last ? strchr(units, last) : NULL;
    if (u) {
        shift = 10 * (int)(u - units + 1);
        n--;
    }
    if (n == 0 || n >= sizeof num) return lm_fail(err, "setting %s: '%s' is not a size", name, v);
    memcpy(num, v, n);
    num[n] = '\0';
    long long base = 0;
    if (parse_int(name, num, 0, hi, &base, err)) return -1;
    if (shift && base > (hi >> shift)) return lm_fail(err, "setting %s: '%s' is too large", name, v);
    base <<= shift;
    if (base < lo || base > hi)
        return lm_fail(err, "setting %s: '%s' is not a size in [%lld, %lld] bytes", name, v, lo, hi);
    *out = base;
    return 0;
}

/* The numeric settings, with their ranges: one table, so the file, the
 * flags and the JSON form cannot disagree. */
typedef enum { NUM_INT, NUM_SIZE, NUM_U64, NUM_DOUBLE } numeric_type;
typedef struct {
    const char *name;
    numeric_type type;
    size_t offset;
    double lo, hi;
} numeric_setting;

static const numeric_setting numeric[] = {
    {"lease_seconds", NUM_DOUBLE, offsetof(lmd_config, lease_seconds), 0.5, 86400},
    {"rate_limit", NUM_DOUBLE, offsetof(lmd_config, rate_limit), 0, 1e9},
    {"rate_burst", NUM_DOUBLE, offsetof(lmd_config, rate_burst), 1, 1e9},
    {"max_attempts", NUM_INT, offsetof(lmd_config, max_attempts), 1, 1000},
    {"max_jobs", NUM_INT, offsetof(lmd_config, max_jobs), 1, 10000000},
    {"connection_timeout", NUM_INT, offsetof(lmd_config, connection_timeout), 1, 86400},
    {"header_timeout", NUM_DOUBLE, offsetof(lmd_config, header_timeout), 0.5, 3600},
    {"body_timeout", NUM_DOUBLE, offsetof(lmd_config, body_timeout), 0.5, 86400},
    {"max_connections", NUM_INT, offsetof(lmd_config, max_connections), 4, 100000},
    {"max_connections_per_address", NUM_INT, offsetof(lmd_config, max_connections_per_address), 1, 100000},
    {"threads", NUM_INT, offsetof(lmd_config, threads), 1, 256},
    {"max_body_bytes", NUM_SIZE, offsetof(lmd_config, max_body_bytes), 1024, 1ll << 30},
    {"max_spec_bytes", NUM_SIZE, offsetof(lmd_config, max_spec_bytes), 256, 1ll << 30},
    {"max_artifact_bytes", NUM_U64, offsetof(lmd_config, max_artifact_bytes), 1, 1ll << 50},
    {"max_job_memory", NUM_U64, offsetof(lmd_config, max_job_memory), 1 << 20, 1ll << 50},
};

static void set_string(char **slot, const char *v) {
    free(*slot);
    *slot = *v ? lm_xstrdup(v) : NULL;
}

/* "HOST:PORT" with an IPv4 host. */
static int parse_listen(lmd_config *c, const char *v, lm_error *err) {
    const char *colon = strrchr(v, ':');
    if (!colon || colon == v || (size_t)(colon - v) >= sizeof c->listen_host)
        return lm_fail(err, "setting listen: '%s' is not HOST:PORT", v);
    long long port = 0;
    if (parse_int("listen", colon + 1, 0, 65535, &port, err) != 0) return -1;
    memcpy(c->listen_host, v, (size_t)(colon - v));
    c->listen_host[colon - v] = '\0';
    c->listen_port = (int)port;
    return 0;
}

int lmd_config_set(lmd_config *c, const char *name_in, const char *v, lm_error *err) {
    char name[64];
    size_t n = strlen(name_in);
    if (n >= sizeof name) return lm_fail(err, "unknown setting '%s'", name_in);
    for (size_t i = 0; i <= n; i++) name[i] = name_in[i] == '-' ? '_' : name_in[i];
    if (!strcmp(name, "listen")) return parse_listen(c, v, err);
    if (!strcmp(name, "data")) { set_string(&c->data_dir, v); return 0; }
    if (!strcmp(name, "models")) { set_string(&c->models_dir, v); return 0; }
    if (!strcmp(name, "web")) { set_string(&c->web_dir, v); return 0; }
    if (!strcmp(name, "port_file")) { set_string(&c->port_file, v); return 0; }
    if (!strcmp(name, "data_root")) { set_string(&c->data_root, v); return 0; }
    if (!strcmp(name, "log_level")) {
        int l = lm_log_parse_level(v);
        if (l < 0) return lm_fail(err, "setting log_level: '%s' is not debug|info|warn|error", v);
        c->log_level = l;
        return 0;
    }
    if (!strcmp(name, "read_auth")) {
        if (!strcmp(v, "open")) c->read_auth = 0;
        else if (!strcmp(v, "token")) c->read_auth = 1;
        else return lm_fail(err, "setting read_auth: '%s' is not open|token", v);
        return 0;
    }
    for (size_t k = 0; k < sizeof numeric / sizeof numeric[0]; k++) {
        const numeric_setting *s = &numeric[k];
        if (strcmp(name, s->name) != 0) continue;
        char *slot = (char *)c + s->offset;
        double d = 0;
        long long i = 0;
        if (s->type == NUM_DOUBLE) {
            if (parse_double(name, v, s->lo, s->hi, &d, err)) return -1;
            *(double *)slot = d;
            return 0;
        }
        int bytes = s->type == NUM_SIZE || s->type == NUM_U64;
        if ((bytes ? parse_bytes : parse_int)(name, v, (long long)s->lo, (long long)s->hi, &i, err))
            return -1;
        if (s->type == NUM_INT) *(int *)slot = (int)i;
        else if (s->type == NUM_SIZE) *(size_t *)slot = (size_t)i;
        else *(uint64_t *)slot = (uint64_t)i;
        return 0;
    }
    return lm_fail(err, "unknown setting '%s'", name_in);
}

static char *trim(char *s) {
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = '\0';
    return s;
}

static int load_json(lmd_config *c, const char *path, const char *text, lm_error *err) {
    cJSON *root = cJSON_Parse(text);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return lm_fail(err, "%s: not a JSON object of settings", path);
    }
    int rc = 0;
    for (cJSON *it = root->child; it && rc == 0; it = it->next) {
        char num[64];
        const char *v;
        if (cJSON_IsString(it)) v = it->valuestring;
        else if (cJSON_IsNumber(it)) { snprintf(num, sizeof num, "%.17g", it->valuedouble); v = num; }
        else { rc = lm_fail(err, "%s: setting %s: not a string or number", path, it->string); break; }
        rc = lmd_config_set(c, it->string, v, err);
        if (rc) lm_fail_prefix(err, "%s", path);
    }
    cJSON_Delete(root);
    return rc;
}

int lmd_config_load_file(lmd_config *c, const char *path, lm_error *err) {
    char *text = lm_read_file(path, NULL, err);
    if (!text) return -1;
    char *start = trim(text);
    if (*start == '{') {
        int rc = load_json(c, path, start, err);
        free(text);
        return rc;
    }
    int lineno = 0, rc = 0;
    for (char *line = text, *next; line && rc == 0; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        lineno++;
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char *s = trim(line);
        if (!*s) continue;
        char *eq = strchr(s, '=');
        if (!eq) { rc = lm_fail(err, "%s:%d: expected name = value", path, lineno); break; }
        *eq = '\0';
        rc = lmd_config_set(c, trim(s), trim(eq + 1), err);
        if (rc) lm_fail_prefix(err, "%s:%d", path, lineno);
    }
    free(text);
    return rc;
}

int lmd_config_from_args(lmd_config *c, int argc, char **argv, lm_error *err) {
    /* The file first, so that flags win over it whatever their order. */
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--config")) {
            if (i + 1 >= argc) return lm_fail(err, "--config needs a file");
            if (lmd_config_load_file(c, argv[i + 1], err)) return -1;
        } else if (!strncmp(argv[i], "--config=", 9)) {
            if (lmd_config_load_file(c, argv[i] + 9, err)) return -1;
        }
    }
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0) return lm_fail(err, "unexpected argument '%s'", a);
        char name[64];
        const char *value, *eq = strchr(a, '=');
        if (eq) {
            if ((size_t)(eq - a - 2) >= sizeof name) return lm_fail(err, "unknown flag '%s'", a);
            snprintf(name, sizeof name, "%.*s", (int)(eq - a - 2), a + 2);
            value = eq + 1;
        } else {
            if (i + 1 >= argc) return lm_fail(err, "flag %s needs a value", a);
            snprintf(name, sizeof name, "%s", a + 2);
            value = argv[++i];
        }
        if (!strcmp(name, "config")) continue;
        if (lmd_config_set(c, name, value, err)) return -1;
    }
    return 0;
}

void lmd_config_usage(FILE *to) {
    fprintf(to,
        "usage: lmntkd [--config FILE] [--listen HOST:PORT] [--data DIR] [--models DIR]\n"
        "              [--web DIR] [--log-level debug|info|warn|error] [--SETTING VALUE]...\n"
        "       lmntkd --version | --help\n"
        "       lmntkd token add --kind user|admin|worker (--db PATH | --data DIR) [--user NAME]\n"
        "       lmntkd token list|revoke ...\n\n"
        "settings (file: name = value, or a JSON object; flags: --name value):\n"
        "  listen 127.0.0.1:8080   data lmntk-data   models DIR   web DIR   port_file FILE\n"
        "  log_level info          read_auth open|token\n"
        "  lease_seconds 60        max_attempts 3    max_jobs 10000\n"
        "  max_body_bytes 8388608  max_spec_bytes 262144  max_artifact_bytes 17179869184\n"
        "  rate_limit 50 (req/s per token or address, 0 = off)  rate_burst 100\n"
        "  connection_timeout 30 (idle seconds)   header_timeout 10   body_timeout 30\n"
        "  max_connections 1024    max_connections_per_address 64   threads 4\n"
        "  data_root DIR (the workers' --data-root: spec data paths are checked under it)\n"
        "  max_job_memory 6442450944 (bytes of the largest worker's --mem)\n");
}
