/* hostile_client.c - the request storm of it_hostile.sh: 200+ malformed or
 * hostile requests (bad JSON, bad UTF-8, huge numbers, unknown fields, wrong
 * types, deep nesting, oversize bodies, path tricks, bad tokens, bad queries,
 * protocol garbage) sent over plain sockets to a running daemon.
 *
 * Every HTTP case must be answered with a 4xx whose body is a JSON object
 * with exactly the keys error, field and detail, and where the case names a
 * field, "field" must start with it.  Every raw case (protocol garbage) must
 * get a 4xx or a closed connection, never a hang.
 *
 * Usage: hostile-client PORT USER_TOKEN WORKER_TOKEN EXPERIMENT_ID
 * Prints one line per wrong answer and a summary; exits 0 when there are
 * none (and at least 200 requests were sent).
 *
 *        hostile-client slowloris PORT CONNECTIONS FIRST_ADDRESS N_ADDRESSES SECONDS
 * holds CONNECTIONS connections, spread over N_ADDRESSES loopback source
 * addresses from FIRST_ADDRESS (127.0.0.x), each sending a request line
 * and then one header byte every 0.5 s, never the end of the headers, and
 * opening a new one 0.5 s after the daemon closes one; for SECONDS.  Prints
 * one line "slowloris: KEY=VALUE ..." (see slowloris()); the test judges.
 *
 *        hostile-client slowbody PORT USER_TOKEN SECONDS
 * sends a spec submission's headers at once (Content-Length: 1000), then
 * one body byte every 0.3 s; prints "slowbody: closed_after=S sent=N" when
 * the daemon closes the connection, or closed_after=never after SECONDS. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#define FAKE "00000000-0000-4000-8000-000000000000"

typedef struct {
    char *s;
    size_t n, cap;
} buf;

static void *xrealloc(void *p, size_t n) {
    p = realloc(p, n ? n : 1);
    if (!p) { fputs("hostile-client: out of memory\n", stderr); exit(2); }
    return p;
}

static void put(buf *b, const void *p, size_t n) {
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->s = xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->n, p, n);
    b->n += n;
    b->s[b->n] = '\0';
}

static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

static void putf(buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *t = xrealloc(NULL, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(t, (size_t)n + 1, fmt, ap);
    va_end(ap);
    put(b, t, (size_t)n);
    free(t);
}

static void repeat(buf *b, const char *s, size_t times) {
    for (size_t i = 0; i < times; i++) puts_(b, s);
}

/* PREFIX, TIMES the character C, SUFFIX: a new string. */
static char *dup_repeat(const char *prefix, char c, size_t times, const char *suffix) {
    buf b = {0};
    puts_(&b, prefix);
    for (size_t i = 0; i < times; i++) put(&b, &c, 1);
    puts_(&b, suffix);
    return b.s;
}

/* ---- the cases --------------------------------------------------------- */

typedef struct {
    char label[64];
    const char *method;
    char *path;
    char *headers; /* "Name: value\r\n" lines */
    char *body;    /* NULL: no body, no Content-Length */
    size_t body_len;
    const char *field; /* the error's field must start with this; NULL: any */
} hcase;

static hcase *cases;
static size_t ncases, capcases;
static char *U, *W; /* the users' and workers' Authorization header lines */

static void add(const char *label, const char *method, const char *path, const char *headers,
                const void *body, size_t body_len, const char *field) {
    if (ncases == capcases) {
        capcases = capcases ? 2 * capcases : 256;
        cases = xrealloc(cases, capcases * sizeof *cases);
    }
    hcase *c = &cases[ncases++];
    snprintf(c->label, sizeof c->label, "%s", label);
    c->method = method;
    c->path = strdup(path);
    c->headers = strdup(headers ? headers : "");
    c->body = NULL;
    c->body_len = body_len;
    if (body) {
        c->body = xrealloc(NULL, body_len + 1);
        memcpy(c->body, body, body_len);
    }
    c->field = field;
}

static void add_s(const char *label, const char *method, const char *path, const char *headers,
                  const char *body, const char *field) {
    add(label, method, path, headers, body, body ? strlen(body) : 0, field);
}

/* The valid spec {"task": "SST-2", "data": "d", "model": "tiny", "seeds": [13]}
 * with FIELD set to the JSON text VALUE (in place when it is one of these
 * four keys, else appended). */
static char *spec(const char *field, const char *value) {
    static const char *const keys[] = {"task", "data", "model", "seeds"};
    static const char *const values[] = {"\"SST-2\"", "\"d\"", "\"tiny\"", "[13]"};
    buf b = {0};
    int replaced = 0;
    puts_(&b, "{");
    for (int i = 0; i < 4; i++) {
        int mine = field && !strcmp(field, keys[i]);
        replaced |= mine;
        putf(&b, "%s\"%s\": %s", i ? ", " : "", keys[i], mine ? value : values[i]);
    }
    if (field && !replaced) putf(&b, ", \"%s\": %s", field, value);
    puts_(&b, "}");
    return b.s;
}

/* A seeded generator (splitmix64): the same "random" bodies every run. */
static uint64_t rng_state = 1234;
static uint64_t rng_next(void) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

#define LIT(s) s, sizeof(s) - 1

static void build_cases(const char *exp) {
    char path[512];
    /* 1. Spec bodies that are not JSON, or not a valid spec. */
    static const struct { const char *p; size_t n; } bad_json[] = {
        {LIT("")}, {LIT("{")}, {LIT("}")}, {LIT("[]")}, {LIT("null")}, {LIT("42")}, {LIT("\"spec\"")},
        {LIT("{\"task\":")}, {LIT("{'task': 1}")}, {LIT("{\"task\":\"SST-2\",}")},
        {LIT("{\"task\" \"SST-2\"}")}, {LIT("\xff\xfe\xfd")}, {LIT("{\"task\":\"SST-\xc3\"}")},
        {LIT("{\"task\":\"\xed\xa0\x80\"}")}, {LIT("{\"task\":\"SST-2\x00\"}")},
        {LIT("{\"task\":\"a\x01" "b\"}")}, {LIT("{\"task\":\"\\ud800\",\"data\":\"d\"}")},
        {LIT("{\"data\":\"d\",\"task\":\"SST-2\",\"task\":\"SST-2\"}")},
        {LIT("{\"task\":\"SST-2\",\"data\":\"d\",\"k\":1e999}")},
        {LIT("{\"task\":\"SST-2\",\"data\":\"d\",\"k\":-1e999}")},
        {LIT("{\"task\":\"SST-2\",\"data\":\"d\",\"k\":123456789012345678901234567890}")},
        {LIT("{\"task\":\"SST-2\",\"data\":\"d\",\"k\":01}")},
        {LIT("{\"task\":\"SST-2\",\"data\":\"d\",\"k\":NaN}")},
        {LIT("{\"task\":\"SST-2\",\"data\":\"d\"} trailing")}, {LIT("\xef\xbb\xbf{}")},
    };
    size_t nbad = sizeof bad_json / sizeof *bad_json;
    for (size_t i = 0; i < nbad; i++) {
        if (i == nbad - 2) { /* deep nesting, before the last two */
            buf deep = {0};
            repeat(&deep, "[", 5000);
            repeat(&deep, "]", 5000);
            add("bad json", "POST", "/v1/experiments", U, deep.s, deep.n, NULL);
            deep.n = 0;
            repeat(&deep, "{\"a\":", 3000);
            puts_(&deep, "1");
            repeat(&deep, "}", 3000);
            add("bad json", "POST", "/v1/experiments", U, deep.s, deep.n, NULL);
            free(deep.s);
        }
        add("bad json", "POST", "/v1/experiments", U, bad_json[i].p, bad_json[i].n, NULL);
    }

    char *s = spec("bogus", "1");
    add_s("unknown field", "POST", "/v1/experiments", U, s, "bogus");
    free(s);
    s = spec("kernel", "{\"formula\": \"sgd\", \"x\": 1}");
    add_s("unknown nested", "POST", "/v1/experiments", U, s, "kernel.x");
    free(s);
    char *long_model = dup_repeat("\"", 'a', 5000, "\""), *long_name = dup_repeat("\"", 'n', 1000, "\"");
    const struct { const char *field, *value; } bad_spec[] = {
        {"task", "5"}, {"task", "\"nope\""}, {"task", "null"}, {"data", "7"}, {"data", "\"\""},
        {"model", "3"}, {"model", "\"../../etc/passwd\""}, {"model", "\"/etc\""}, {"model", "\".\""},
        {"model", "\"missing-model\""}, {"model", long_model}, {"k", "1.5"}, {"k", "\"16\""},
        {"k", "0"}, {"k", "1000000000000"}, {"seeds", "[]"}, {"seeds", "[1.5]"}, {"seeds", "[-1]"},
        {"seeds", "[1, 1]"}, {"seeds", "\"13\""}, {"seeds", "[1099511627776]"}, {"prompt", "\"yes\""},
        {"name", "1"}, {"name", long_name}, {"kernel", "1"}, {"kernel", "{\"formula\": \"l2\"}"},
        {"solver", "{\"name\": \"magic\"}"}, {"finetune", "[{}]"}, {"finetune", "{}"},
        {"max_length", "-5"}, {"binary", "1"},
    };
    for (size_t i = 0; i < sizeof bad_spec / sizeof *bad_spec; i++) {
        char label[64];
        snprintf(label, sizeof label, "bad spec %s=%s", bad_spec[i].field, bad_spec[i].value);
        s = spec(bad_spec[i].field, bad_spec[i].value);
        add_s(label, "POST", "/v1/experiments", U, s, bad_spec[i].field);
        free(s);
    }
    free(long_model);
    free(long_name);
    add_s("unregistered checkpoint", "POST", "/v1/experiments", U,
          "{\"task\": \"SST-2\", \"data\": \"d\", \"seeds\": [13], \"checkpoints\": [\"tiny\", \"../x\"]}",
          "checkpoints[1]");
    char *x = dup_repeat("\"", 'x', 70000, "\"");
    s = spec("description", x);
    add_s("oversize spec", "POST", "/v1/experiments", U, s, NULL);
    free(s);
    free(x);
    s = dup_repeat("{\"worker\":\"", 'w', 140000, "\"}");
    add_s("oversize body", "POST", "/v1/leases", W, s, NULL);
    free(s);
    buf h = {0};
    putf(&h, "%sContent-Length: 999999999999\r\n", U);
    add_s("declared huge", "POST", "/v1/experiments", h.s, "{}", NULL);
    free(h.s);

    /* 2. Random bytes at the JSON endpoints (seeded: the same every run). */
    static const size_t sizes[] = {1, 7, 64, 500, 4000};
    for (int i = 0; i < 60; i++) {
        size_t n = sizes[rng_next() % 5];
        buf b = {0};
        int wrap = rng_next() & 1;
        if (wrap) puts_(&b, "{\"");
        for (size_t j = 0; j < n; j++) {
            unsigned char c = (unsigned char)(rng_next() >> 56);
            put(&b, &c, 1);
        }
        if (wrap) puts_(&b, "\":1}");
        const char *target = i % 3 == 0 ? "/v1/experiments" : i % 3 == 1 ? "/v1/leases"
                                                                         : "/v1/leases/" FAKE "/heartbeat";
        add("random bytes", "POST", target, i % 3 == 0 ? U : W, b.s, b.n, NULL);
        free(b.s);
    }

    /* 3. Artifact names and other path tricks. */
    char *a300 = dup_repeat("", 'a', 300, "");
    const char *names[] = {"../../../../etc/passwd", "..%2f..%2f..%2fetc%2fpasswd", "%2e%2e/%2e%2e/etc/passwd",
                           ".hidden", "0/../../x", "0/..", "0/.", "result.json%00.txt", "99999999/x", "0/",
                           "/result.json", "00/x", "-1/x", "0/a/b", a300, "result.json/x", "%c0%ae%c0%ae/x",
                           "0/%ff", "0/a%20b", "..", "0//x", "1e3/x"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char label[64];
        snprintf(label, sizeof label, "artifact %.40s", names[i]);
        snprintf(path, sizeof path, "/v1/experiments/%s/artifacts/%s", exp, names[i]);
        add_s(label, "GET", path, NULL, NULL, NULL);
    }
    free(a300);
    add_s("artifact unknown exp", "GET", "/v1/experiments/" FAKE "/artifacts/result.json", NULL, NULL, NULL);
    add_s("artifact bad exp", "GET", "/v1/experiments/..%2f..%2fx/artifacts/result.json", NULL, NULL, NULL);
    add_s("experiment not uuid", "GET", "/v1/experiments/abc", NULL, NULL, NULL);
    add_s("experiment sql", "GET", "/v1/experiments/1'%20OR%20'1'='1", NULL, NULL, NULL);
    add_s("upload traversal", "PUT", "/v1/leases/" FAKE "/artifacts/..%2f..%2fx", W, "data", NULL);
    add_s("upload dot", "PUT", "/v1/leases/" FAKE "/artifacts/.x", W, "data", NULL);
    add_s("upload no lease", "PUT", "/v1/leases/" FAKE "/artifacts/x.npy", W, "data", NULL);
    add_s("upload bad lease", "PUT", "/v1/leases/zzz/artifacts/x.npy", W, "data", NULL);
    add_s("upload deep", "PUT", "/v1/leases/" FAKE "/artifacts/a/b/c", W, "data", "name");
    add_s("upload folder dot", "PUT", "/v1/leases/" FAKE "/artifacts/a/..", W, "data", "name");
    const char *seed_names[] = {"seed42/kernel-sgd/..%2f..%2fx", "seed42/../x", "seed42/kernel-sgd/.x",
                                "seed99/kernel-sgd/x.npy", "x/y/z/seed1/m/f", "seed1/m/a/b/c", "seed42/k%20s/x"};
    for (size_t i = 0; i < sizeof seed_names / sizeof *seed_names; i++) {
        char label[64];
        snprintf(label, sizeof label, "artifact %.40s", seed_names[i]);
        snprintf(path, sizeof path, "/v1/experiments/%s/artifacts/%s", exp, seed_names[i]);
        add_s(label, "GET", path, NULL, NULL, NULL);
    }

    /* Renames and tags, re-runs and deletes. */
    char exp_path[128];
    snprintf(exp_path, sizeof exp_path, "/v1/experiments/%s", exp);
    char *long_rename = dup_repeat("{\"name\": \"", 'n', 300, "\"}");
    const struct { const char *body, *field; } patches[] = {
        {"{\"name\": 5}", "name"}, {"{\"name\": \"a\\nb\"}", "name"}, {long_rename, "name"},
        {"{\"add_tags\": \"x\"}", "add_tags"}, {"{\"add_tags\": [\"bad tag\"]}", "add_tags[0]"},
        {"{\"remove_tags\": [1]}", "remove_tags[0]"}, {"{\"color\": 1}", "color"}, {"[]", NULL},
        {"{\"add_tags\": [\"\"]}", "add_tags[0]"}};
    for (size_t i = 0; i < sizeof patches / sizeof *patches; i++)
        add_s("patch body", "PATCH", exp_path, U, patches[i].body, patches[i].field);
    free(long_rename);
    const char *tags[] = {"a%20b", "%ff", "a%2fb", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    for (size_t i = 0; i < sizeof tags / sizeof *tags; i++) {
        snprintf(path, sizeof path, "/v1/experiments/%s/tags/%s", exp, tags[i]);
        add_s("bad tag", "PUT", path, U, NULL, NULL);
    }
    snprintf(path, sizeof path, "/v1/experiments/%s/tags/x", exp);
    add_s("tag without token", "PUT", path, NULL, NULL, NULL);
    add_s("tag as worker", "PUT", path, W, NULL, NULL);
    add_s("rename without token", "PATCH", exp_path, NULL, "{\"name\": \"x\"}", NULL);
    add_s("rerun unknown", "POST", "/v1/experiments/" FAKE "/rerun", U, NULL, NULL);
    add_s("delete unknown", "DELETE", "/v1/experiments/" FAKE "?purge=true", U, NULL, NULL);
    snprintf(path, sizeof path, "%s?purge=maybe", exp_path);
    add_s("delete purge=maybe", "DELETE", path, U, NULL, "purge");
    snprintf(path, sizeof path, "%s?purge=true", exp_path);
    add_s("delete a live experiment", "DELETE", path, U, NULL, NULL);
    add_s("short prefix", "GET", "/v1/experiments/0000000", NULL, NULL, NULL);
    add_s("csv bad sort", "GET", "/v1/experiments.csv?sort=bogus", NULL, NULL, "sort");
    add_s("csv bad id", "GET", "/v1/experiments.csv?id=zz", NULL, NULL, "id");
    add_s("csv limit", "GET", "/v1/experiments.csv?limit=5", NULL, NULL, "limit");
    add_s("workers query", "GET", "/v1/workers?x=1", NULL, NULL, "x");
    add_s("lease host", "POST", "/v1/leases", W, "{\"host\": 5}", "host");
    add_s("lease memory", "POST", "/v1/leases", W, "{\"mem_bytes\": -1}", "mem_bytes");
    add_s("static traversal", "GET", "/../../etc/passwd", NULL, NULL, NULL);
    add_s("static encoded", "GET", "/%2e%2e/%2e%2e/etc/passwd", NULL, NULL, NULL);
    add_s("static dotfile", "GET", "/.git/config", NULL, NULL, NULL);
    s = dup_repeat("/v1/experiments/", 'a', 5000, "");
    add_s("long path", "GET", s, NULL, NULL, NULL);
    free(s);
    add_s("log forging", "GET", "/v1/experiments/x%0a2026-01-01T00:00:00Z%20ERROR%20forged", NULL, NULL, NULL);
    add_s("escape codes", "GET", "/v1/experiments/%1b[31mred", NULL, NULL, NULL);

    /* 4. Authentication and authorization. */
    char *valid = spec(NULL, NULL);
    char *huge_token = dup_repeat("Authorization: Bearer ", 'x', 20000, "\r\n");
    add_s("no token", "POST", "/v1/experiments", NULL, valid, NULL);
    add_s("bad token", "POST", "/v1/experiments", "Authorization: Bearer nope\r\n", valid, NULL);
    add_s("basic auth", "POST", "/v1/experiments", "Authorization: Basic dXNlcjpwYXNz\r\n", valid, NULL);
    add_s("empty bearer", "POST", "/v1/experiments", "Authorization: Bearer \r\n", valid, NULL);
    add_s("huge token", "POST", "/v1/experiments", huge_token, valid, NULL);
    add_s("worker submits", "POST", "/v1/experiments", W, valid, NULL);
    free(huge_token);
    free(valid);
    add_s("user leases", "POST", "/v1/leases", U, "{}", NULL);
    add_s("anon leases", "POST", "/v1/leases", NULL, "{}", NULL);
    snprintf(path, sizeof path, "/v1/experiments/%s", exp);
    add_s("worker cancels", "DELETE", path, W, NULL, NULL);
    add_s("anon cancels", "DELETE", path, NULL, NULL, NULL);
    add_s("cancel unknown", "DELETE", "/v1/experiments/" FAKE, U, NULL, NULL);
    add_s("bad token on read", "GET", "/v1/experiments", "Authorization: Bearer nope\r\n", NULL, NULL);

    /* 5. Routes, methods and queries. */
    char exp_nope[128];
    snprintf(exp_nope, sizeof exp_nope, "/v1/experiments/%s/nope", exp);
    const struct { const char *method, *path; } routes[] = {
        {"PATCH", "/v1/experiments"}, {"PUT", "/v1/experiments"}, {"DELETE", "/v1/experiments"},
        {"POST", "/v1/models"}, {"GET", "/v1/leases"}, {"GET", "/v1/nope"}, {"POST", "/healthz"},
        {"GET", exp_nope}, {"POST", "/v1/leases/" FAKE "/nope"}, {"GET", "/v1/leases/" FAKE "/heartbeat"},
        {"FOO", "/v1/experiments"}, {"POST", "/"},
    };
    for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
        char label[64];
        snprintf(label, sizeof label, "route %s %.30s", routes[i].method, routes[i].path);
        add_s(label, routes[i].method, routes[i].path, strstr(routes[i].path, "leases") ? W : U, "{}", NULL);
    }
    char *long_model_q = dup_repeat("model=", 'm', 300, "");
    const char *queries[] = {"limit=0", "limit=1001", "limit=abc", "limit=-1", "limit=99999999999999999999",
                             "limit=1.5", "state=bogus", "state=", "state=running,", "cursor=-1", "cursor=abc",
                             "cursor=0", "cursor=k7b7d", "sort=bogus", "sort=name&cursor=12", "order=up",
                             "bogus=1", "task=%ff%fe", long_model_q, "q=%ff", "limit=%00"};
    for (size_t i = 0; i < sizeof queries / sizeof *queries; i++) {
        char label[64];
        snprintf(label, sizeof label, "query %.30s", queries[i]);
        snprintf(path, sizeof path, "/v1/experiments?%s", queries[i]);
        add_s(label, "GET", path, NULL, NULL, NULL);
    }
    free(long_model_q);
    /* ~1000 query parameters: once a 30 s hang inside libmicrohttpd */
    buf many = {0};
    puts_(&many, "/v1/experiments?");
    for (int i = 0; i < 1000; i++) putf(&many, "%sp%d=1", i ? "&" : "", i);
    add_s("1000 query parameters", "GET", many.s, NULL, NULL, NULL);
    many.n = 0;
    puts_(&many, "/v1/experiments?");
    repeat(&many, "&", 3000);
    add_s("3000 empty parameters", "GET", many.s, NULL, NULL, NULL);
    free(many.s);
    /* %00 decodes to a NUL that would cut the path or value short */
    snprintf(path, sizeof path, "/v1/experiments/%s%%00/artifacts/result.json", exp);
    add_s("%00 in the id", "GET", path, NULL, NULL, NULL);
    add_s("%00 in a query value", "GET", "/v1/experiments?state=queued%00x", NULL, NULL, NULL);
    add_s("%00 in a query name", "GET", "/v1/experiments?limit%00=1", NULL, NULL, NULL);
    add_s("%00 in a lease", "POST", "/v1/leases/" FAKE "%00/heartbeat", W, "{\"progress\":0.5}", NULL);
    /* a second Content-Length that disagrees (see also the raw case) */
    buf cl = {0};
    putf(&cl, "%sContent-Length: 2\r\nContent-Length: 20\r\n", U);
    add_s("conflicting Content-Length", "POST", "/v1/experiments", cl.s, "{}", NULL);
    cl.n = 0;
    putf(&cl, "%sTransfer-Encoding: chunked\r\nContent-Length: 2\r\n", U);
    add_s("Content-Length and chunked", "POST", "/v1/experiments", cl.s, "{}", NULL);
    free(cl.s);

    /* 6. The worker endpoints' own bodies. */
    const char *hb = "/v1/leases/" FAKE "/heartbeat";
    char *long_stage = dup_repeat("{\"stage\":\"", 's', 300, "\"}");
    const char *hb_bodies[] = {"{\"progress\":2}", "{\"progress\":-0.5}", "{\"progress\":\"half\"}",
                               "{\"stage\":5}", long_stage, "{\"progress\":0.5,\"extra\":1}", "[]",
                               "{\"progress\":1e999}"};
    for (size_t i = 0; i < sizeof hb_bodies / sizeof *hb_bodies; i++)
        add_s("heartbeat body", "POST", hb, W, hb_bodies[i], NULL);
    free(long_stage);
    add_s("heartbeat unknown lease", "POST", hb, W, "{\"progress\":0.5}", NULL);
    add_s("complete no result", "POST", "/v1/leases/" FAKE "/complete", W, "{}", NULL);
    add_s("complete result string", "POST", "/v1/leases/" FAKE "/complete", W, "{\"result\":\"x\"}", NULL);
    add_s("complete unknown", "POST", "/v1/leases/" FAKE "/complete", W, "{\"result\":{}}", NULL);
    add_s("fail no error", "POST", "/v1/leases/" FAKE "/fail", W, "{}", NULL);
    add_s("fail release text", "POST", "/v1/leases/" FAKE "/fail", W, "{\"error\":\"x\",\"release\":\"yes\"}",
          NULL);
    add_s("fail unknown", "POST", "/v1/leases/" FAKE "/fail", W, "{\"error\":\"x\"}", NULL);
    add_s("lease worker type", "POST", "/v1/leases", W, "{\"worker\":5}", NULL);
    add_s("lease unknown field", "POST", "/v1/leases", W, "{\"worker\":\"w\",\"x\":1}", NULL);
    add_s("lease worker newline", "POST", "/v1/leases", W, "{\"worker\":\"w\\nERROR forged\"}", NULL);
}

/* ---- sockets ------------------------------------------------------------ */

static int port;

static int connect_to(int timeout_s) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct timeval tv = {timeout_s, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) { close(fd); return -1; }
    return fd;
}

static int send_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Where the headers of an HTTP reply end (after the blank line), or 0. */
static size_t header_end(const buf *r) {
    const char *e = r->s ? strstr(r->s, "\r\n\r\n") : NULL;
    return e ? (size_t)(e - r->s) + 4 : 0;
}

/* The value of header NAME in the reply's headers, or NULL. */
static const char *header(const buf *r, size_t end, const char *name, size_t *len) {
    size_t nl = strlen(name);
    for (const char *p = strstr(r->s, "\r\n"); p && (size_t)(p - r->s) + 2 < end; p = strstr(p + 2, "\r\n")) {
        const char *line = p + 2;
        if (!strncasecmp(line, name, nl) && line[nl] == ':') {
            const char *v = line + nl + 1;
            while (*v == ' ' || *v == '\t') v++;
            const char *e = strstr(v, "\r\n");
            *len = (size_t)(e - v);
            return v;
        }
    }
    return NULL;
}

/* Decodes a complete chunked body at P into OUT; 0 while incomplete. */
static int dechunk(const char *p, const char *end, buf *out) {
    out->n = 0;
    for (;;) {
        char *q;
        const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
        if (!eol) return 0;
        unsigned long n = strtoul(p, &q, 16);
        if (q == p) return -1;
        p = eol + 2;
        if (n == 0) return memmem(p, (size_t)(end - p), "\r\n", 2) ? 1 : 0; /* (no trailers expected) */
        if ((size_t)(end - p) < n + 2) return 0;
        put(out, p, n);
        p += n + 2;
    }
}

/* One HTTP/1.1 request and its reply: 0 with *status and BODY, -1 when no
 * (whole) reply came. */
static int exchange(const hcase *c, int *status, buf *body, char *why, size_t whylen) {
    int fd = connect_to(10);
    if (fd < 0) { snprintf(why, whylen, "connect: %s", strerror(errno)); return -1; }
    buf req = {0};
    putf(&req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s", c->method, c->path, port, c->headers);
    if (c->body && !strcasestr(c->headers, "content-length:")) putf(&req, "Content-Length: %zu\r\n", c->body_len);
    puts_(&req, "\r\n");
    int rc = send_all(fd, req.s, req.n);
    free(req.s);
    if (rc) { snprintf(why, whylen, "send: %s", strerror(errno)); close(fd); return -1; }
    if (c->body) send_all(fd, c->body, c->body_len); /* the daemon may answer before reading a refused body */

    /* The reply: its headers, then a body of Content-Length bytes, chunked,
     * or up to the end of the connection. */
    buf r = {0};
    size_t end = 0, len;
    int done = 0;
    for (;;) {
        char tmp[65536];
        ssize_t k = recv(fd, tmp, sizeof tmp, 0);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) { snprintf(why, whylen, "recv: %s", errno == EAGAIN ? "timed out" : strerror(errno)); break; }
        if (k == 0) {
            if (end && !header(&r, end, "Content-Length", &len) && !header(&r, end, "Transfer-Encoding", &len)) {
                body->n = 0;
                put(body, r.s + end, r.n - end);
                done = 1;
            } else {
                snprintf(why, whylen, "closed before the whole reply");
            }
            break;
        }
        put(&r, tmp, (size_t)k);
        if (!end) end = header_end(&r);
        if (!end) continue;
        const char *v = header(&r, end, "Content-Length", &len);
        if (v) {
            size_t want = strtoul(v, NULL, 10);
            if (r.n - end >= want) {
                body->n = 0;
                put(body, r.s + end, want);
                done = 1;
                break;
            }
        } else if ((v = header(&r, end, "Transfer-Encoding", &len)) && len == 7 && !strncasecmp(v, "chunked", 7)) {
            int d = dechunk(r.s + end, r.s + r.n, body);
            if (d < 0) { snprintf(why, whylen, "bad chunked body"); break; }
            if (d > 0) { done = 1; break; }
        }
    }
    if (done) {
        *status = 0;
        if (r.n >= 12 && !strncmp(r.s, "HTTP/1.", 7)) *status = atoi(r.s + 9);
        if (!*status) { snprintf(why, whylen, "not an HTTP reply"); done = 0; }
    }
    free(r.s);
    close(fd);
    return done ? 0 : -1;
}

/* Strict UTF-8 (what a JSON decoder accepts): no overlong forms, no
 * surrogates, nothing above U+10FFFF. */
static int utf8_ok(const unsigned char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t k;
        unsigned cp, min;
        if (c < 0x80) { i++; continue; }
        if ((c & 0xE0) == 0xC0) k = 1, cp = c & 0x1F, min = 0x80;
        else if ((c & 0xF0) == 0xE0) k = 2, cp = c & 0x0F, min = 0x800;
        else if ((c & 0xF8) == 0xF0) k = 3, cp = c & 0x07, min = 0x10000;
        else return 0;
        if (i + k >= n) return 0; /* cut short */
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80) return 0;
            cp = cp << 6 | (s[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
        i += k + 1;
    }
    return 1;
}

/* The body is {"error": ..., "field": ..., "detail": ...}, exactly these
 * keys, and "field" starts with FIELD where the case names one. */
static int json_error_ok(const buf *body, const char *field) {
    if (!body->s || !utf8_ok((const unsigned char *)body->s, body->n) || strlen(body->s) != body->n) return 0;
    const char *end;
    cJSON *e = cJSON_ParseWithOpts(body->s, &end, 1);
    int ok = cJSON_IsObject(e) && cJSON_GetArraySize(e) == 3;
    static const char *const keys[] = {"error", "field", "detail"};
    for (int i = 0; ok && i < 3; i++) ok = cJSON_GetObjectItemCaseSensitive(e, keys[i]) != NULL;
    if (ok && field) {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(e, "field");
        const char *v = cJSON_IsString(f) ? f->valuestring : cJSON_IsNull(f) ? "" : NULL;
        ok = v && !strncmp(v, field, strlen(field));
    }
    cJSON_Delete(e);
    return ok;
}

/* ---- 7. protocol garbage on raw sockets -------------------------------- */

typedef struct {
    buf req, reply;
    int no_close;
    int one_400;   /* exactly one reply, a 400, then the server closes (no half-close by us) */
    char why[128];
    pthread_t thread;
} raw_case;

static void *raw_exchange(void *arg) {
    raw_case *c = arg;
    int fd = connect_to(c->one_400 ? 4 : 8);
    if (fd < 0) {
        c->no_close = 1;
        snprintf(c->why, sizeof c->why, "connect: %s", strerror(errno));
        return NULL;
    }
    if (send_all(fd, c->req.s, c->req.n) == 0 && !c->one_400) shutdown(fd, SHUT_WR);
    for (;;) {
        char tmp[65536];
        ssize_t k = recv(fd, tmp, sizeof tmp, 0);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) {
            c->no_close = 1;
            snprintf(c->why, sizeof c->why, "%s", errno == EAGAIN ? "timed out" : strerror(errno));
            break;
        }
        if (k == 0) break;
        put(&c->reply, tmp, (size_t)k);
    }
    close(fd);
    return NULL;
}

static void printable(char *out, const char *s, size_t n, size_t max) {
    size_t o = 0;
    for (size_t i = 0; i < n && i < max; i++)
        o += (size_t)sprintf(out + o, isprint((unsigned char)s[i]) ? "%c" : "\\x%02x", (unsigned char)s[i]);
    out[o] = '\0';
}

/* ---- slowloris ------------------------------------------------------------ */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct {
    int fd;
    double opened, next_send, reopen_at;
    size_t sent;
} slow_conn;

static const char slow_head[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";

static int slow_open(slow_conn *c, uint32_t src, double t) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(src)};
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) { close(fd); return -1; }
    struct sockaddr_in d = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    d.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&d, sizeof d) != 0 && errno != EINPROGRESS) { close(fd); return -1; }
    c->fd = fd;
    c->opened = t;
    c->next_send = t;
    c->sent = 0;
    return 0;
}

/* Keys printed: opened (connections made), closed_at_once (closed by the
 * daemon within 0.3 s of opening, e.g. over a per-address cap), cut (closed
 * later, while still trickling), max_alive (the most held open at once,
 * counting those older than 0.3 s, after the first second), max_cut_age /
 * min_cut_age (seconds a trickling connection lived before the daemon cut
 * it), max_sent (header bytes one connection got to send). */
static int slowloris(int argc, char **argv) {
    if (argc != 7) {
        fputs("usage: hostile-client slowloris PORT CONNECTIONS FIRST_ADDRESS N_ADDRESSES SECONDS\n", stderr);
        return 2;
    }
    port = atoi(argv[2]);
    int n = atoi(argv[3]), n_addr = atoi(argv[5]);
    double seconds = atof(argv[6]);
    struct in_addr first;
    if (n < 1 || n_addr < 1 || seconds <= 0 || inet_pton(AF_INET, argv[4], &first) != 1) {
        fputs("hostile-client slowloris: bad arguments\n", stderr);
        return 2;
    }
    /* one descriptor per connection, and a few to spare */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n + 64) {
        rl.rlim_cur = rl.rlim_max < (rlim_t)n + 64 ? rl.rlim_max : (rlim_t)n + 64;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    slow_conn *cs = calloc((size_t)n, sizeof *cs);
    struct pollfd *pf = calloc((size_t)n, sizeof *pf);
    if (!cs || !pf) return 2;
    double t0 = now_s(), end = t0 + seconds;
    long opened = 0, at_once = 0, cut = 0, failed_open = 0;
    int max_alive = 0;
    double max_cut_age = 0, min_cut_age = 1e9;
    size_t max_sent = 0;
    for (int i = 0; i < n; i++) cs[i].fd = -1;
    for (double t = now_s(); t < end; t = now_s()) {
        int alive = 0;
        for (int i = 0; i < n; i++) {
            slow_conn *c = &cs[i];
            if (c->fd < 0 && t >= c->reopen_at) {
                uint32_t src = ntohl(first.s_addr) + (uint32_t)(i % n_addr);
                if (slow_open(c, src, t) == 0) opened++;
                else { failed_open++; c->reopen_at = t + 0.5; }
            }
            if (c->fd < 0) { pf[i].fd = -1; continue; }
            alive += t - c->opened > 0.3; /* held: not closed at once */
            if (t >= c->next_send) {
                /* the request line and headers at once, then a byte at a time */
                const char *p = c->sent < sizeof slow_head - 1 ? slow_head + c->sent : "a";
                size_t len = c->sent < sizeof slow_head - 1 ? sizeof slow_head - 1 - c->sent : 1;
                ssize_t k = send(c->fd, p, len, MSG_NOSIGNAL);
                if (k > 0) c->sent += (size_t)k;
                c->next_send = t + 0.5;
                if (c->sent > max_sent) max_sent = c->sent;
            }
            pf[i].fd = c->fd;
            pf[i].events = POLLIN;
            pf[i].revents = 0;
        }
        if (t - t0 > 1.0 && alive > max_alive) max_alive = alive;
        poll(pf, (nfds_t)n, 50);
        t = now_s();
        for (int i = 0; i < n; i++) {
            slow_conn *c = &cs[i];
            if (c->fd < 0 || pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char tmp[4096];
            ssize_t k = recv(c->fd, tmp, sizeof tmp, 0);
            if (k > 0 || (k < 0 && (errno == EAGAIN || errno == EINTR))) continue; /* a reply: read on */
            double age = t - c->opened;
            if (age < 0.3) at_once++;
            else {
                cut++;
                if (age > max_cut_age) max_cut_age = age;
                if (age < min_cut_age) min_cut_age = age;
            }
            close(c->fd);
            c->fd = -1;
            c->reopen_at = t + 0.5;
        }
    }
    for (int i = 0; i < n; i++)
        if (cs[i].fd >= 0) close(cs[i].fd);
    printf("slowloris: opened=%ld closed_at_once=%ld cut=%ld failed_open=%ld max_alive=%d "
           "max_cut_age=%.2f min_cut_age=%.2f max_sent=%zu\n", opened, at_once, cut, failed_open,
           max_alive, max_cut_age, cut ? min_cut_age : 0.0, max_sent);
    free(cs);
    free(pf);
    return 0;
}

static int slowbody(int argc, char **argv) {
    if (argc != 5) {
        fputs("usage: hostile-client slowbody PORT USER_TOKEN SECONDS\n", stderr);
        return 2;
    }
    port = atoi(argv[2]);
    double seconds = atof(argv[4]);
    int fd = connect_to(1);
    if (fd < 0) { perror("connect"); return 2; }
    buf h = {0};
    putf(&h, "POST /v1/experiments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
             "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{", argv[3]);
    int rc = send_all(fd, h.s, h.n);
    free(h.s);
    double t0 = now_s();
    long sent = 1;
    while (rc == 0 && now_s() - t0 < seconds) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (poll(&pf, 1, 300) > 0) {
            char tmp[4096];
            ssize_t k = recv(fd, tmp, sizeof tmp, 0);
            if (k <= 0) break; /* closed */
            continue;          /* a reply: read on until the close */
        }
        if (send(fd, " ", 1, MSG_NOSIGNAL) != 1) break;
        sent++;
    }
    double age = now_s() - t0;
    close(fd);
    if (age >= seconds) printf("slowbody: closed_after=never sent=%ld\n", sent);
    else printf("slowbody: closed_after=%.2f sent=%ld\n", age, sent);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "slowbody")) {
        signal(SIGPIPE, SIG_IGN);
        return slowbody(argc, argv);
    }
    if (argc >= 2 && !strcmp(argv[1], "slowloris")) {
        signal(SIGPIPE, SIG_IGN);
        return slowloris(argc, argv);
    }
    if (argc != 5) {
        fputs("usage: hostile-client PORT USER_TOKEN WORKER_TOKEN EXPERIMENT_ID\n", stderr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    port = atoi(argv[1]);
    buf u = {0}, w = {0};
    putf(&u, "Authorization: Bearer %s\r\n", argv[2]);
    putf(&w, "Authorization: Bearer %s\r\n", argv[3]);
    U = u.s;
    W = w.s;
    build_cases(argv[4]);

    int bad = 0;
    for (size_t i = 0; i < ncases; i++) {
        const hcase *c = &cases[i];
        int status = 0;
        buf body = {0};
        char why[160] = "", shown[1024];
        if (exchange(c, &status, &body, why, sizeof why)) {
            printf("NO REPLY  %-40s %s\n", c->label, why);
            bad++;
        } else if (!(status >= 400 && status < 500) || !json_error_ok(&body, c->field)) {
            char p[256];
            printable(p, c->path, strlen(c->path), 60);
            printable(shown, body.s ? body.s : "", body.n, 200);
            printf("BAD  %-40s %s %s -> %d %s\n", c->label, c->method, p, status, shown);
            bad++;
        }
        free(body.s);
    }

    /* In parallel: a connection the daemon cannot parse may sit until the
     * connection timeout closes it.  (Not here: "GET / HTTP/9.9", which
     * libmicrohttpd answers with the 505 that HTTP prescribes.) */
    raw_case raw[12];
    memset(raw, 0, sizeof raw);
    puts_(&raw[0].req, "GARBAGE\r\n\r\n");
    puts_(&raw[1].req, "GET\r\n\r\n");
    puts_(&raw[2].req, "GET / HTTP/1.7 x\r\n\r\n");
    puts_(&raw[3].req, "GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n");
    puts_(&raw[4].req, "GET /healthz HTTP/1.1\r\nHost: x\r\nX: ");
    repeat(&raw[4].req, "h", 100000);
    puts_(&raw[4].req, "\r\n\r\n");
    puts_(&raw[5].req, "POST /v1/experiments HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}");
    puts_(&raw[6].req, "POST /v1/experiments HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
    put(&raw[7].req, "\x00\x01\x02\x03\r\n\r\n", 8);
    puts_(&raw[8].req, "GET /v1/experiments?%zz HTTP/1.1\r\nHost: x\r\n\r\n");
    putf(&raw[9].req, "POST /v1/experiments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s"
                      "\r\nTransfer-Encoding: chunked\r\n\r\n10000\r\n", argv[2]);
    repeat(&raw[9].req, "{", 70000);
    puts_(&raw[9].req, "\r\n0\r\n\r\n");
    /* Two Content-Lengths that disagree, and a second request hidden where
     * one of them says the body goes on: one 400, then the connection is
     * closed; the hidden request is never answered. */
    putf(&raw[10].req, "POST /v1/experiments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                       "Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}"
                       "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", argv[2]);
    raw[10].one_400 = 1;
    putf(&raw[11].req, "POST /v1/experiments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                       "Content-Length: 40\r\nContent-Length: 2\r\n\r\n{}"
                       "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", argv[2]);
    raw[11].one_400 = 1;
    int nraw = (int)(sizeof raw / sizeof *raw);
    for (int i = 0; i < nraw; i++)
        if (pthread_create(&raw[i].thread, NULL, raw_exchange, &raw[i])) {
            fputs("hostile-client: pthread_create failed\n", stderr);
            return 2;
        }
    for (int i = 0; i < nraw; i++) pthread_join(raw[i].thread, NULL);
    for (int i = 0; i < nraw; i++) {
        const buf *r = &raw[i].reply;
        const char *eol = r->n ? memmem(r->s, r->n, "\r\n", 2) : NULL;
        size_t line = eol ? (size_t)(eol - r->s) : r->n; /* the status line */
        int answered_4xx = line > 9 && !strncmp(r->s, "HTTP/1.", 7) && r->s[9] == '4';
        int replies = 0;
        for (const char *p = r->s; p && (p = memmem(p, r->n - (size_t)(p - r->s), "HTTP/1.", 7)); p += 7)
            replies++;
        int one_400_ok = !raw[i].one_400 || (line > 12 && !strncmp(r->s + 9, "400", 3) && replies == 1);
        if (raw[i].no_close || (r->n && !answered_4xx) || !one_400_ok) {
            char q[256], a[512];
            printable(q, raw[i].req.s, raw[i].req.n, 40);
            printable(a, r->s ? r->s : "", r->n, 80);
            printf("BAD raw %s -> %s%s%s%s\n", q, a, raw[i].no_close ? "<no close: " : "",
                   raw[i].no_close ? raw[i].why : "", raw[i].no_close ? ">" : "");
            bad++;
        }
    }

    for (int i = 0; i < nraw; i++) {
        free(raw[i].req.s);
        free(raw[i].reply.s);
    }
    for (size_t i = 0; i < ncases; i++) {
        free(cases[i].path);
        free(cases[i].headers);
        free(cases[i].body);
    }
    free(cases);
    free(u.s);
    free(w.s);

    size_t total = ncases + (size_t)nraw;
    printf("# %zu hostile requests (%d raw), %d not answered with a 4xx JSON error\n", total, nraw, bad);
    if (total < 200) { printf("# only %zu requests: the storm must have 200+\n", total); return 1; }
    return bad ? 1 : 0;
}
