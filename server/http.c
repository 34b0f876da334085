/* http.c - libmicrohttpd glue: turns MHD's callbacks into one lmd_request
 * per request (routed, authenticated, rate limited and with its body read
 * before a handler runs) and sends the handler's lmd_reply. */
#include "http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <microhttpd.h>
#include "conntrack.h"
#include "db.h"
#include "json_input.h"
#include "util/utf8.h"
#include "spec/json_strict.h"
#include "util/clock.h"
#include "util/log.h"

/* ---- replies ------------------------------------------------------------ */

/* Drops what a reply carries, keeping its headers (Allow, Retry-After...). */
static void reply_drop_payload(lmd_reply *rep) {
    free(rep->body);
    rep->body = NULL;
    rep->len = 0;
    if (rep->fd >= 0) close(rep->fd);
    rep->fd = -1;
}

void lmd_reply_text(lmd_reply *rep, unsigned status, const char *content_type, char *text,
                    size_t len) {
    reply_drop_payload(rep);
    rep->status = status;
    rep->content_type = content_type;
    rep->body = text;
    rep->len = len;
}

void lmd_reply_json(lmd_reply *rep, unsigned status, cJSON *obj) {
    char *text = cJSON_PrintUnformatted(obj);
    cJSON_Delete(obj);
    if (!text) {
        lmd_reply_error(rep, 500, "internal", NULL, "out of memory printing a reply");
        return;
    }
    size_t n = strlen(text);
    /* A trailing newline keeps curl output readable. */
    char *with_nl = lm_xrealloc(text, n + 2);
    with_nl[n] = '\n';
    with_nl[n + 1] = '\0';
    lmd_reply_text(rep, status, "application/json", with_nl, n + 1);
}

void lmd_reply_error(lmd_reply *rep, unsigned status, const char *code, const char *field,
                     const char *fmt, ...) {
    char detail[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", code);
    if (field) cJSON_AddStringToObject(o, "field", field);
    else cJSON_AddNullToObject(o, "field");
    /* detail may quote client input (or be cut mid-character): keep the
     * reply valid UTF-8 JSON by cutting it before the first bad byte. */
    detail[lm_utf8_invalid_at(detail, strlen(detail))] = '\0';
    cJSON_AddStringToObject(o, "detail", detail);
    lmd_reply_json(rep, status, o);
}

void lmd_reply_file(lmd_reply *rep, int fd, uint64_t size, const char *content_type) {
    reply_drop_payload(rep);
    rep->status = 200;
    rep->fd = fd;
    rep->fd_size = size;
    rep->content_type = content_type;
}

/* ---- request helpers ------------------------------------------------------ */

const char *lmd_query(lmd_request *req, const char *name) {
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

cJSON *lmd_request_json(lmd_request *req, lmd_reply *rep) {
    char field[256];
    lm_error err;
    cJSON *root = lm_json_parse_strict(req->body ? req->body : "", req->body_len, field,
                                       sizeof field, &err);
    if (!root) {
        lmd_reply_error(rep, 400, "invalid_json", field[0] ? field : NULL, "%s", err.msg);
        return NULL;
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        lmd_reply_error(rep, 400, "invalid_json", NULL, "the body must be a JSON object");
        return NULL;
    }
    return root;
}

/* ---- routing -------------------------------------------------------------- */

/* Matches path against pattern segment by segment; {x} takes one non-empty
 * segment, or with tail the rest of the path. */
static int match_pattern(const lmd_route *r, const char *path, char *buf, const char **params,
                         int *n_params) {
    const char *p = r->pattern, *s = path;
    char *out = buf;
    int n = 0;
    while (*p) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            int last = close[1] == '\0';
            const char *end = (r->tail && last) ? s + strlen(s) : s + strcspn(s, "/");
            if (end == s || n == LMD_MAX_PARAMS) return 0;
            params[n++] = out;
            memcpy(out, s, (size_t)(end - s));
            out += end - s;
            *out++ = '\0';
            s = end;
            p = close + 1;
        } else {
            if (*p != *s) return 0;
            p++;
            s++;
        }
    }
    if (*s) return 0;
    *n_params = n;
    return 1;
}

const lmd_route *lmd_route_match(const char *method, const char *path, char *param_buf,
                                 const char **params, int *n_params, int *path_known,
                                 char *allow, size_t allow_len) {
    if (!strcmp(method, "HEAD")) method = "GET";
    *path_known = 0;
    if (allow_len) allow[0] = '\0';
    /* Pass 0: the API; pass 1: the fallbacks (static files), which never
     * turn a wrong method into a 405. */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < lmd_n_routes; i++) {
            const lmd_route *r = &lmd_routes[i];
            if (r->fallback != pass) continue;
            if (!match_pattern(r, path, param_buf, params, n_params)) continue;
            if (!strcmp(r->method, method)) return r;
            if (pass == 1) continue;
            *path_known = 1;
            size_t n = strlen(allow);
            if (n + 8 < allow_len) snprintf(allow + n, allow_len - n, "%s%s", n ? ", " : "", r->method);
        }
        if (*path_known) return NULL;
    }
    return NULL;
}

/* ---- authentication and limits --------------------------------------------- */

static int authenticate(lmd_request *req, lmd_reply *rep) {
    const char *h = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    req->who.kind = LMD_PRINCIPAL_ANONYMOUS;
    req->who.token_id = 0;
    req->who.user[0] = '\0';
    if (h) {
        if (strncasecmp(h, "Bearer ", 7) != 0) {
            rep->challenge = 1;
            lmd_reply_error(rep, 401, "unauthorized", NULL, "Authorization must be 'Bearer <token>'");
            return -1;
        }
        const char *tok = h + 7;
        while (*tok == ' ') tok++;
        size_t n = strlen(tok);
        int printable = n > 0 && n < LMD_TOKEN_MAX;
        for (size_t i = 0; i < n && printable; i++) printable = isgraph((unsigned char)tok[i]);
        int found = 1;
        if (printable) {
            lm_error err;
            lmd_db_conn *c = lmd_db_acquire(&req->srv->db);
            found = lmd_auth_lookup(c->h, tok, &req->who, &err);
            lmd_db_release(c);
            if (found < 0) {
                lmd_reply_error(rep, 500, "internal", NULL, "%s", err.msg);
                return -1;
            }
        }
        if (found != 0) {
            rep->challenge = 1;
            lmd_reply_error(rep, 401, "unauthorized", NULL, "unknown or revoked token");
            return -1;
        }
    }
    lmd_access need = req->route->access;
    int needs_token = need == LMD_ACCESS_USER || need == LMD_ACCESS_WORKER ||
                      (need == LMD_ACCESS_READ && req->srv->cfg.read_auth);
    if (!needs_token) return 0;
    if (req->who.kind == LMD_PRINCIPAL_ANONYMOUS) {
        rep->challenge = 1;
        lmd_reply_error(rep, 401, "unauthorized", NULL, "this request needs a bearer token");
        return -1;
    }
    int is_user = req->who.kind == LMD_PRINCIPAL_USER || req->who.kind == LMD_PRINCIPAL_ADMIN;
    if ((need == LMD_ACCESS_USER && !is_user) ||
        (need == LMD_ACCESS_WORKER && req->who.kind != LMD_PRINCIPAL_WORKER)) {
        lmd_reply_error(rep, 403, "forbidden", NULL, "this request needs a %s token",
                        need == LMD_ACCESS_USER ? "user or admin" : "worker");
        return -1;
    }
    return 0;
}

/* Takes one request from key's bucket; -1 with a 429 in rep when empty. */
static int charge(lmd_request *req, const char *key, lmd_reply *rep) {
    double wait = lmd_ratelimit_take(&req->srv->ratelimit, key, lmd_now());
    if (wait <= 0) return 0;
    atomic_fetch_add(&req->srv->counters.rate_limited, 1);
    snprintf(rep->retry_after, sizeof rep->retry_after, "%d", (int)ceil(wait));
    rep->challenge = 0;
    lmd_reply_error(rep, 429, "rate_limited", NULL, "too many requests; retry after %s s",
                    rep->retry_after);
    return -1;
}

static int rate_limit(lmd_request *req, lmd_reply *rep) {
    /* Workers are exempt: many may share one token, and their traffic is
     * bounded by the leases they hold. */
    if (req->who.kind == LMD_PRINCIPAL_WORKER || req->route->access == LMD_ACCESS_OPEN) return 0;
    char key[LMD_RATELIMIT_KEY + 64];
    if (req->who.kind != LMD_PRINCIPAL_ANONYMOUS) snprintf(key, sizeof key, "t:%lld", req->who.token_id);
    else snprintf(key, sizeof key, "a:%s", req->client);
    return charge(req, key, rep);
}

/* A refused token costs the client address a request, whatever the route:
 * guessing tokens is as limited as any other anonymous traffic. */
static void charge_failed_auth(lmd_request *req, lmd_reply *rep) {
    char key[LMD_RATELIMIT_KEY + 64];
    snprintf(key, sizeof key, "a:%s", req->client);
    charge(req, key, rep);
}

/* ---- MHD callbacks ----------------------------------------------------------- */

static void client_address(struct MHD_Connection *conn, char *out, size_t cap) {
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, cap, "?");
    if (!ci || !ci->client_addr) return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)cap);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)cap);
}

static enum MHD_Result send_reply(lmd_request *req, lmd_reply *rep) {
    struct MHD_Response *r;
    if (rep->fd >= 0) {
        r = MHD_create_response_from_fd64(rep->fd_size, rep->fd);
        rep->fd = -1; /* MHD closes it */
    } else {
        r = MHD_create_response_from_buffer(rep->len, rep->body, MHD_RESPMEM_MUST_FREE);
        rep->body = NULL;
    }
    if (!r) return MHD_NO;
    if (rep->content_type) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rep->content_type);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (rep->allow[0]) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, rep->allow);
    if (rep->retry_after[0]) MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, rep->retry_after);
    if (rep->location[0]) MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, rep->location);
    if (rep->challenge) MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    if (rep->no_store) MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (rep->close) MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ok = MHD_queue_response(req->conn, rep->status, r);
    MHD_destroy_response(r);
    lmd_http_counters *c = &req->srv->counters;
    atomic_fetch_add(&c->requests, 1);
    unsigned cls = rep->status / 100;
    if (cls < 6) atomic_fetch_add(&c->by_class[cls], 1);
    int level = rep->status >= 500 ? LM_LOG_WARN : LM_LOG_DEBUG;
    lm_log(level, "%s %s %s -> %u (%.1f ms)", req->client, req->method, req->path, rep->status,
           (lmd_now() - req->started) * 1e3);
    return ok;
}

/* The Content-Length headers of a request: how many, and whether they
 * disagree (the body's end would depend on which one a reader believes). */
typedef struct { int n, conflict; const char *first; } length_headers;

static enum MHD_Result count_length(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value) {
    (void)kind;
    length_headers *lh = cls;
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) != 0) return MHD_YES;
    if (lh->n++ == 0) lh->first = value ? value : "";
    else if (strcmp(lh->first, value ? value : "") != 0) lh->conflict = 1;
    return MHD_YES;
}

/* 0: no Content-Length; 1: *len set; -1: malformed or conflicting. */
static int parse_content_length(struct MHD_Connection *conn, uint64_t *len) {
    length_headers lh = {0, 0, NULL};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, count_length, &lh);
    if (lh.n == 0) return 0;
    if (lh.conflict) return -1;
    const char *v = lh.first;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || end == v || *end || *v == '-' || *v == '+' || *v == ' ') return -1;
    *len = n;
    return 1;
}

/* Everything that can be decided before the body arrives.  Returns 0 to go
 * on reading the body, -1 with rep filled to answer at once. */
static int begin_request(lmd_request *req, const char *url, const char *method, lmd_reply *rep) {
    lmd_server *srv = req->srv;
    snprintf(req->method, sizeof req->method, "%s", method);
    /* Decided on the raw request target (on_uri), before MHD decoded it. */
    if (req->target_flags & LMD_TARGET_NUL) {
        snprintf(req->path, sizeof req->path, "(has %%00)");
        lmd_reply_error(rep, 400, "bad_request", NULL, "the request target contains %%00 (NUL)");
        return -1;
    }
    if (req->target_flags & LMD_TARGET_MANY_PARAMS) {
        snprintf(req->path, sizeof req->path, "%.200s", url);
        lmd_reply_error(rep, 400, "bad_request", NULL,
                        "more than %d query parameters", LMD_MAX_QUERY_PARAMS);
        return -1;
    }
    if (strlen(url) >= sizeof req->path) {
        snprintf(req->path, sizeof req->path, "(too long)");
        lmd_reply_error(rep, 414, "uri_too_long", NULL, "the path is longer than %d bytes", LMD_MAX_PATH - 1);
        return -1;
    }
    snprintf(req->path, sizeof req->path, "%s", url);
    /* Control characters (a decoded %0a, say) have no business in a path
     * and would forge lines in the log. */
    int controls = 0;
    for (const char *c = url; *c; c++) controls |= (unsigned char)*c < 0x20 || *c == 0x7f;
    if (controls || !lmd_utf8_ok(url, strlen(url))) {
        snprintf(req->path, sizeof req->path, "(unprintable)");
        lmd_reply_error(rep, 400, "bad_request", NULL, "the path is not printable UTF-8 text");
        return -1;
    }
    int known;
    req->route = lmd_route_match(method, url, req->param_buf, req->params, &req->n_params, &known,
                                 rep->allow, sizeof rep->allow);
    if (!req->route) {
        if (known) lmd_reply_error(rep, 405, "method_not_allowed", NULL, "%s is not allowed here", method);
        else lmd_reply_error(rep, 404, "not_found", NULL, "no such route");
        return -1;
    }
    uint64_t declared = 0;
    int has_len = parse_content_length(req->conn, &declared);
    if (has_len < 0) {
        /* The end of this body is in doubt, so is the start of the next
         * request: answer once and close (no request smuggling). */
        rep->close = 1;
        lmd_reply_error(rep, 400, "bad_request", NULL, "malformed or conflicting Content-Length");
        return -1;
    }
    if (has_len && MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
                                               MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
        rep->close = 1;
        lmd_reply_error(rep, 400, "bad_request", NULL, "both Content-Length and Transfer-Encoding");
        return -1;
    }
    if (authenticate(req, rep)) {
        if (rep->status == 401) charge_failed_auth(req, rep);
        return -1;
    }
    if (rate_limit(req, rep)) return -1;
    switch (req->route->body) {
    case LMD_BODY_NONE:
    case LMD_BODY_JSON:
        req->body_limit = srv->cfg.max_body_bytes;
        break;
    case LMD_BODY_FILE:
        req->upload_limit = srv->cfg.max_artifact_bytes;
        if (has_len && declared > req->upload_limit) {
            lmd_reply_error(rep, 413, "payload_too_large", NULL, "artifacts are limited to %llu bytes",
                            (unsigned long long)req->upload_limit);
            return -1;
        }
        return req->route->begin_upload(req, rep);
    }
    if (has_len && declared > req->body_limit) {
        lmd_reply_error(rep, 413, "payload_too_large", NULL, "request bodies are limited to %zu bytes",
                        req->body_limit);
        return -1;
    }
    return 0;
}

static void feed_body(lmd_request *req, const char *data, size_t n) {
    if (req->route->body == LMD_BODY_FILE) {
        if (req->upload_failed) return;
        if (req->upload_len + n > req->upload_limit) { req->upload_failed = EFBIG; return; }
        while (n > 0) {
            ssize_t w = write(req->upload_fd, data, n);
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) { req->upload_failed = errno; return; }
            data += w;
            n -= (size_t)w;
            req->upload_len += (uint64_t)w;
        }
        return;
    }
    if (req->body_too_large) return;
    if (req->body_len + n > req->body_limit) {
        req->body_too_large = 1;
        return;
    }
    if (req->route->body == LMD_BODY_NONE) { req->body_len += n; return; }
    if (req->body_len + n + 1 > req->body_cap) {
        size_t cap = req->body_cap ? req->body_cap : 4096;
        while (cap < req->body_len + n + 1) cap *= 2;
        req->body = lm_xrealloc(req->body, cap);
        req->body_cap = cap;
    }
    memcpy(req->body + req->body_len, data, n);
    req->body_len += n;
    req->body[req->body_len] = '\0';
}

/* The connection tracker's entry of conn (set by on_connection). */
static lmd_conn *tracked(struct MHD_Connection *conn) {
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void set_phase(lmd_request *req, lmd_conn_phase phase) {
    if (req->tconn) lmd_conntrack_phase(&req->srv->conns, req->tconn, phase, lm_now());
}

/* MHD_OPTION_NOTIFY_CONNECTION: every connection is tracked from accept to
 * close, so that the sweep can hold it to its deadlines. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
    lmd_server *srv = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        *socket_context = ci ? lmd_conntrack_add(&srv->conns, ci->connect_fd, lm_now()) : NULL;
    } else if (*socket_context) {
        lmd_conntrack_remove(&srv->conns, *socket_context);
        *socket_context = NULL;
    }
}

/* MHD_OPTION_URI_LOG_CALLBACK: the request line has arrived; uri is the raw
 * target, before MHD splits off and decodes the query.  Two things must be
 * decided here, because MHD's decoding loses them:
 *   - a %00 anywhere: MHD's decoded strings would end at it, so
 *     "result.json%00.txt" would quietly become "result.json";
 *   - too many query parameters: libmicrohttpd 0.9.75 stores each in the
 *     connection's memory pool and, once the pool is full, queues a 431
 *     that its own state machine then overwrites, leaving the connection
 *     hanging until the timeout.  The query is therefore cut here (MHD has
 *     located the '?' already and parses what follows it next) and the
 *     request is refused with a 400 once its headers are in.
 * The returned request becomes the request's context (*con_cls). */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn) {
    lmd_server *srv = cls;
    lmd_request *req = lm_xcalloc(1, sizeof *req);
    req->srv = srv;
    req->conn = conn;
    req->upload_fd = -1;
    req->started = lmd_now();
    req->tconn = tracked(conn);
    const char *p;
    for (p = uri; (p = strchr(p, '%')); p++)
        if (p[1] == '0' && p[2] == '0') req->target_flags |= LMD_TARGET_NUL;
    const char *q = strchr(uri, '?');
    if (q) {
        int n = 1;
        for (p = q + 1; *p; p++) n += *p == '&';
        if (n > LMD_MAX_QUERY_PARAMS) {
            req->target_flags |= LMD_TARGET_MANY_PARAMS;
            /* uri points into the connection's own read buffer */
            ((char *)q)[1] = '\0';
        }
    }
    return req;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls) {
    (void)version;
    lmd_server *srv = cls;
    lmd_request *req = *con_cls;
    lmd_reply rep = {.fd = -1};
    if (!req) { /* MHD runs on_uri before this; kept for safety */
        req = on_uri(srv, url, conn);
        *con_cls = req;
    }
    if (!req->begun) {
        req->begun = 1;
        client_address(conn, req->client, sizeof req->client);
        if (begin_request(req, url, method, &rep) == 0) {
            /* An upload is a worker's, checked already: it is held only to
             * MHD's idle timeout; anything else must arrive in time. */
            set_phase(req, req->route->body == LMD_BODY_FILE ? LMD_PHASE_STREAM : LMD_PHASE_BODY);
            return MHD_YES;
        }
        /* Answer now; MHD discards the rest of any body and closes. */
        req->route = NULL;
        set_phase(req, LMD_PHASE_STREAM);
        enum MHD_Result ok = send_reply(req, &rep);
        reply_drop_payload(&rep);
        return ok;
    }
    if (!req->route) { *upload_size = 0; return MHD_YES; } /* already answered */
    if (*upload_size) {
        feed_body(req, upload_data, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (req->body_too_large) {
        lmd_reply_error(&rep, 413, "payload_too_large", NULL, "request bodies are limited to %zu bytes",
                        req->body_limit);
    } else if (req->upload_failed == EFBIG) {
        lmd_reply_error(&rep, 413, "payload_too_large", NULL, "artifacts are limited to %llu bytes",
                        (unsigned long long)req->upload_limit);
    } else if (req->upload_failed) {
        lmd_reply_error(&rep, 507, "storage_failed", NULL, "cannot store the upload: %s",
                        strerror(req->upload_failed));
    } else {
        rep.status = 500;
        req->route->handle(req, &rep);
    }
    req->route = NULL;
    set_phase(req, LMD_PHASE_STREAM);
    enum MHD_Result ok = send_reply(req, &rep);
    reply_drop_payload(&rep);
    return ok;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    (void)cls; (void)toe;
    lmd_request *req = *con_cls;
    if (!req) return;
    /* The connection (kept alive) now waits for its next request. */
    lmd_conn *tc = tracked(conn);
    if (tc) lmd_conntrack_phase(&req->srv->conns, tc, LMD_PHASE_WAITING, lm_now());
    if (req->upload_fd >= 0) close(req->upload_fd);
    if (req->upload_tmp) unlink(req->upload_tmp); /* an upload that did not finish */
    free(req->upload_tmp);
    free(req->upload_dest);
    free(req->body);
    free(req);
    *con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap) {
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && line[n - 1] == '\n') line[--n] = '\0';
    lm_debug("microhttpd: %s", line);
}

int lmd_http_start(lmd_server *srv, lm_error *err) {
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)srv->cfg.listen_port);
    if (inet_pton(AF_INET, srv->cfg.listen_host, &sa.sin_addr) != 1)
        return lm_fail(err, "listen: '%s' is not an IPv4 address", srv->cfg.listen_host);
    /* Epoll in every thread of the pool: thousands of idle connections cost
     * memory, not time.  No SO_REUSEPORT (MHD's default is SO_REUSEADDR
     * only): a second daemon on the same port must fail, not share it. */
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
    lmd_conntrack_init(&srv->conns, srv->cfg.header_timeout, srv->cfg.body_timeout,
                       srv->cfg.max_connections);
    srv->conns_ready = 1;
    errno = 0;
    srv->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv, /* first, to catch all messages */
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)srv->cfg.threads,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)srv->cfg.connection_timeout,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)srv->cfg.max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)srv->cfg.max_connections_per_address,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_END);
    if (!srv->mhd)
        return lm_fail(err, "cannot listen on %s:%d: %s", srv->cfg.listen_host, srv->cfg.listen_port,
                       errno ? strerror(errno) : "libmicrohttpd refused");
    if (lmd_conntrack_start(&srv->conns) != 0) {
        lmd_http_stop(srv);
        return lm_fail(err, "cannot start the connection sweeper thread");
    }
    return 0;
}

int lmd_http_port(lmd_server *srv) {
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
    return di ? di->port : -1;
}

void lmd_http_stop(lmd_server *srv) {
    if (srv->conns_ready) lmd_conntrack_stop(&srv->conns);
    if (srv->mhd) MHD_stop_daemon(srv->mhd);
    srv->mhd = NULL;
    if (srv->conns_ready) lmd_conntrack_destroy(&srv->conns);
    srv->conns_ready = 0;
}
