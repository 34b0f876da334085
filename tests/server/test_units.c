/* test_units.c - the daemon's small pieces: route matching, artifact names,
 * settings (file, JSON, flags), the rate limiter, request body field checks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../check.h"
#include "api.h"
#include "artifacts.h"
#include "config.h"
#include "json_input.h"
#include "ratelimit.h"
#include "util/uuid.h"
#include "util/file.h"

static const lmd_route *route(const char *method, const char *path, const char **params, int *known,
                              char *allow) {
    static char buf[LMD_MAX_PATH];
    int n;
    return lmd_route_match(method, path, buf, params, &n, known, allow, 64);
}

static void test_routes(void) {
    const char *p[LMD_MAX_PARAMS];
    int known;
    char allow[64];
    const lmd_route *r = route("GET", "/v1/experiments/abc", p, &known, allow);
    CHECK(r && r->handle == lmd_api_experiment_get && !strcmp(p[0], "abc"));
    r = route("HEAD", "/v1/experiments/abc", p, &known, allow);
    CHECK(r && r->handle == lmd_api_experiment_get);
    r = route("DELETE", "/v1/experiments/abc", p, &known, allow);
    CHECK(r && r->handle == lmd_api_experiment_cancel);
    r = route("GET", "/v1/experiments/abc/artifacts/3/kernel.npy", p, &known, allow);
    CHECK(r && r->handle == lmd_api_experiment_artifact && !strcmp(p[0], "abc") &&
          !strcmp(p[1], "3/kernel.npy"));
    r = route("PUT", "/v1/leases/L/artifacts/a/b", p, &known, allow);
    CHECK(r && r->handle == lmd_api_lease_upload && !strcmp(p[1], "a/b")); /* a folder and a file */
    r = route("GET", "/v1/experiments.csv", p, &known, allow);
    CHECK(r && r->handle == lmd_api_experiment_csv);
    r = route("PATCH", "/v1/experiments/abc", p, &known, allow);
    CHECK(r && r->handle == lmd_api_experiment_patch);
    r = route("PUT", "/v1/experiments/abc/tags/x", p, &known, allow);
    CHECK(r && r->handle == lmd_api_experiment_tag_put && !strcmp(p[1], "x"));
    r = route("POST", "/v1/experiments/abc/rerun", p, &known, allow);
    CHECK(r && r->handle == lmd_api_experiment_rerun);
    r = route("DELETE", "/v1/experiments", p, &known, allow);
    CHECK(r == NULL && known == 1 && !strcmp(allow, "POST, GET"));
    r = route("GET", "/v1/experiments/", p, &known, allow);
    CHECK(r && r->handle == lmd_static_file); /* an empty id is no experiment route */
    r = route("GET", "/js/app.js", p, &known, allow);
    CHECK(r && r->handle == lmd_static_file && !strcmp(p[0], "js/app.js"));
    r = route("POST", "/js/app.js", p, &known, allow);
    CHECK(r == NULL && known == 0);
    r = route("GET", "/", p, &known, allow);
    CHECK(r && r->handle == lmd_static_index);
    CHECK(lm_uuid_ok("0b6f5f0e-8c1a-4d2e-9f3a-1234567890ab"));
    CHECK(!lm_uuid_ok("0B6F5F0E-8C1A-4D2E-9F3A-1234567890AB"));
    CHECK(!lm_uuid_ok("0b6f5f0e-8c1a-4d2e-9f3a-1234567890a"));
    CHECK(!lm_uuid_ok("../../../../../../../../../etc/passwd"));
}

static void test_artifact_names(void) {
    int idx;
    const char *file;
    CHECK(lmd_artifact_parse("result.json", &idx, &file) == 0 && idx == -1 && !strcmp(file, "result.json"));
    CHECK(lmd_artifact_parse("12/kernel-train.npy", &idx, &file) == 0 && idx == 12 &&
          !strcmp(file, "kernel-train.npy"));
    CHECK(lmd_artifact_parse("0/finetuned-model/config.json", &idx, &file) == 0 && idx == 0 &&
          !strcmp(file, "finetuned-model/config.json"));
    const char *bad[] = {"", ".", "..", "../x", "0/..", "0/.x", ".x", "012/x", "-1/x", "a/x", "0/a/b/c",
                        "0/a/../b", "0/../b", "0/a/", "0/", "/x", "x y", "x\\y", "1234567890/x", "0/a%2f",
                        "ü.txt", "result.json/x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_MSG(lmd_artifact_parse(bad[i], &idx, &file) != 0, "'%s' accepted", bad[i]);

    /* the seed form: [<model>/]seed<S>/<method>/<file> */
    char model[256], slug[64];
    long long seed;
    CHECK(lmd_artifact_parse_seed_form("seed42/kernel-sgd/kernel-train.npy", model, &seed, slug, &file) == 0 &&
          !model[0] && seed == 42 && !strcmp(slug, "kernel-sgd") && !strcmp(file, "kernel-train.npy"));
    CHECK(lmd_artifact_parse_seed_form("run/checkpoint-500/seed13/finetune-0/finetuned-model/config.json", model,
                                       &seed, slug, &file) == 0 &&
          !strcmp(model, "run/checkpoint-500") && seed == 13 && !strcmp(slug, "finetune-0") &&
          !strcmp(file, "finetuned-model/config.json"));
    CHECK(lmd_artifact_parse_seed_form("small/seed0/kernel-sgd/f0-dev.npy", model, &seed, slug, &file) == 0 &&
          !strcmp(model, "small") && seed == 0);
    const char *bad_seed[] = {"seed42/kernel-sgd", "seed42/kernel-sgd/", "seed042/kernel-sgd/x", "seedx/a/b",
                              "a/b/c/seed1/m/f", "seed1/../x", "seed1/m/../x", "../seed1/m/x", "seed1/.m/x",
                              "seed1/m/a/b/c", ".a/seed1/m/x", "seed/m/x"};
    for (size_t i = 0; i < sizeof bad_seed / sizeof bad_seed[0]; i++)
        CHECK_MSG(lmd_artifact_parse_seed_form(bad_seed[i], model, &seed, slug, &file) != 0, "'%s' accepted",
                  bad_seed[i]);
    char long_name[200];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    CHECK(!lmd_artifact_file_ok(long_name));
    CHECK(!strcmp(lmd_content_type("k.npy", 0), "application/octet-stream"));
    CHECK(!strcmp(lmd_content_type("result.json", 0), "application/json"));
    CHECK(!strcmp(lmd_content_type("x.html", 0), "application/octet-stream"));
    CHECK(!strncmp(lmd_content_type("x.html", 1), "text/html", 9));
}

static void test_config(void) {
    char dir[] = "/tmp/lmntk-test-config.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char *kv = lm_path_join(dir, "a.conf"), *js = lm_path_join(dir, "b.json");
    const char *kv_text = "# comment\nlisten = 127.0.0.1:9999\n  lease_seconds=2.5 # trailing\n\n"
                          "read_auth = token\nmax_body_bytes = 4096\ndata = /srv/x\n";
    const char *js_text = "{\"listen\": \"127.0.0.1:7000\", \"rate_limit\": 0, \"threads\": 2}";
    lm_error err;
    CHECK(lm_write_file_atomic(kv, kv_text, strlen(kv_text), &err) == 0);
    CHECK(lm_write_file_atomic(js, js_text, strlen(js_text), &err) == 0);

    lmd_config c;
    lmd_config_defaults(&c);
    char *argv1[] = {"--max-attempts", "7", "--config", kv, "--lease-seconds=9"};
    CHECK_MSG(lmd_config_from_args(&c, 5, argv1, &err) == 0, "%s", err.msg);
    CHECK(c.listen_port == 9999 && !strcmp(c.listen_host, "127.0.0.1"));
    CHECK(c.lease_seconds == 9);        /* the flag wins over the file */
    CHECK(c.max_attempts == 7 && c.read_auth == 1 && c.max_body_bytes == 4096);
    CHECK(!strcmp(c.data_dir, "/srv/x"));
    lmd_config_free(&c);

    lmd_config_defaults(&c);
    CHECK_MSG(lmd_config_load_file(&c, js, &err) == 0, "%s", err.msg);
    CHECK(c.listen_port == 7000 && c.rate_limit == 0 && c.threads == 2);
    const char *bad[][2] = {{"lease_seconds", "0"}, {"lease_seconds", "abc"}, {"threads", "1e9"},
                            {"max_attempts", "-1"}, {"listen", "nope"}, {"listen", "1.2.3.4:70000"},
                            {"read_auth", "maybe"}, {"log_level", "loud"}, {"colour", "blue"},
                            {"max_body_bytes", "12abc"}, {"rate_limit", "inf"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_MSG(lmd_config_set(&c, bad[i][0], bad[i][1], &err) != 0, "%s=%s accepted", bad[i][0], bad[i][1]);
    char *argv2[] = {"--listen"};
    CHECK(lmd_config_from_args(&c, 1, argv2, &err) != 0);
    char *argv3[] = {"positional"};
    CHECK(lmd_config_from_args(&c, 1, argv3, &err) != 0);
    lmd_config_free(&c);
    unlink(kv);
    unlink(js);
    rmdir(dir);
    free(kv);
    free(js);
}

/* The bucket slot the old fixed table (4096 slots, FNV-1a) gave a key. */
static unsigned old_slot(const char *s) {
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h % 4096;
}

static void test_ratelimit(void) {
    lmd_ratelimit rl;
    lmd_ratelimit_init(&rl, 2, 2, 0);
    CHECK(lmd_ratelimit_take(&rl, "a", 100.0) == 0);
    CHECK(lmd_ratelimit_take(&rl, "a", 100.0) == 0);
    double wait = lmd_ratelimit_take(&rl, "a", 100.0);
    CHECK_CLOSE(wait, 0.5, 1e-9, 1e-9);
    CHECK(lmd_ratelimit_take(&rl, "b", 100.0) == 0);     /* per key */
    CHECK(lmd_ratelimit_take(&rl, "a", 100.5) == 0);     /* refilled */
    CHECK(lmd_ratelimit_take(&rl, "a", 100.5) > 0);
    lmd_ratelimit_free(&rl);
    lmd_ratelimit_init(&rl, 0, 1, 0);                     /* off */
    for (int i = 0; i < 100; i++) CHECK(lmd_ratelimit_take(&rl, "a", 1.0) == 0);
    lmd_ratelimit_free(&rl);

    /* A key that took the slot of token 1 in the old table (and so reset
     * its bucket) leaves it alone now. */
    char collider[64] = "";
    for (int i = 0; i < 1 << 20 && !collider[0]; i++) {
        char k[64];
        snprintf(k, sizeof k, "a:10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
        if (old_slot(k) == old_slot("t:1")) snprintf(collider, sizeof collider, "%s", k);
    }
    CHECK(collider[0] != 0);
    lmd_ratelimit_init(&rl, 1, 3, 0);
    for (int i = 0; i < 3; i++) CHECK(lmd_ratelimit_take(&rl, "t:1", 50.0) == 0);
    CHECK(lmd_ratelimit_take(&rl, "t:1", 50.0) > 0);
    for (int i = 0; i < 3; i++) CHECK(lmd_ratelimit_take(&rl, collider, 50.0) == 0);
    CHECK_MSG(lmd_ratelimit_take(&rl, "t:1", 50.0) > 0, "%s reset the bucket of t:1", collider);
    /* and neither do thousands of other keys */
    for (int i = 0; i < 5000; i++) {
        char k[32];
        snprintf(k, sizeof k, "a:%d", i);
        lmd_ratelimit_take(&rl, k, 50.0);
    }
    CHECK(lmd_ratelimit_take(&rl, "t:1", 50.0) > 0);
    char long_key[100];
    memset(long_key, 'k', sizeof long_key - 1);
    long_key[sizeof long_key - 1] = '\0';
    CHECK(lmd_ratelimit_take(&rl, long_key, 50.0) > 0); /* no truncation onto a shorter key */
    lmd_ratelimit_free(&rl);

    /* Bounded: a full table drops the refilled buckets first, then the
     * idlest, never the busy one. */
    lmd_ratelimit_init(&rl, 1, 2, 4);
    for (const char *k = "bcd"; *k; k++) lmd_ratelimit_take(&rl, (char[]){*k, 0}, 99.5);
    CHECK(lmd_ratelimit_take(&rl, "a", 100.0) == 0);
    CHECK(lmd_ratelimit_take(&rl, "a", 100.0) == 0);
    CHECK(lmd_ratelimit_take(&rl, "a", 100.0) > 0);
    CHECK(lmd_ratelimit_keys(&rl) == 4);
    CHECK(lmd_ratelimit_take(&rl, "e", 100.0) == 0);     /* evicts b, c or d */
    CHECK(lmd_ratelimit_keys(&rl) == 4);
    CHECK(lmd_ratelimit_take(&rl, "a", 100.0) > 0);      /* a kept its empty bucket */
    for (int i = 0; i < 100; i++) {                       /* later: all refilled, all droppable */
        char k[16];
        snprintf(k, sizeof k, "n%d", i);
        CHECK(lmd_ratelimit_take(&rl, k, 1000.0 + i) == 0);
    }
    CHECK(lmd_ratelimit_keys(&rl) <= 4);
    lmd_ratelimit_free(&rl);
}

static void test_json_fields(void) {
    cJSON *o = cJSON_Parse("{\"worker\":\"w\",\"progress\":0.5,\"n\":\"x\",\"extra\":1}");
    lmd_json_problem p;
    static const char *const keys[] = {"worker", "progress", "n", NULL};
    CHECK(lmd_json_only_keys(o, keys, &p) != 0 && !strcmp(p.field, "extra"));
    const char *s;
    double d = -1;
    CHECK(lmd_json_string(o, "worker", 10, 1, 1, &s, &p) == 0 && !strcmp(s, "w"));
    CHECK(lmd_json_string(o, "worker", 0, 1, 0, &s, &p) != 0);
    CHECK(lmd_json_string(o, "missing", 10, 0, 0, &s, &p) == 0 && s == NULL);
    CHECK(lmd_json_string(o, "missing", 10, 1, 0, &s, &p) != 0 && !strcmp(p.field, "missing"));
    CHECK(lmd_json_number(o, "progress", 0, 1, 1, &d, &p) == 0 && d == 0.5);
    CHECK(lmd_json_number(o, "progress", 0, 0.4, 1, &d, &p) != 0);
    CHECK(lmd_json_number(o, "n", 0, 1, 1, &d, &p) != 0 && !strcmp(p.field, "n"));
    cJSON_Delete(o);
    o = cJSON_Parse("{\"name\":\"a\\nb\"}");
    CHECK(lmd_json_string(o, "name", 10, 1, 1, &s, &p) != 0 && !strcmp(p.field, "name"));
    CHECK(lmd_json_string(o, "name", 10, 1, 0, &s, &p) == 0);
    cJSON_Delete(o);
    CHECK(lmd_utf8_ok("abc", 3) && lmd_utf8_ok("\xc3\xbc", 2));
    CHECK(!lmd_utf8_ok("\xff", 1) && !lmd_utf8_ok("a\0b", 3) && !lmd_utf8_ok("\xed\xa0\x80", 3));
}

int main(void) {
    test_routes();
    test_artifact_names();
    test_config();
    test_ratelimit();
    test_json_fields();
    return check_exit("test_units");
}
