/* http.h - the daemon's HTTP layer on libmicrohttpd: a request as handlers
 * see it, the reply they fill in, and the route table that maps one to the
 * other.  Handlers never call MHD themselves. */
#ifndef LMD_HTTP_H
#define LMD_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "auth.h"
#include "server.h"

#define LMD_MAX_PATH 2048
#define LMD_MAX_PARAMS 4
/* Query parameters a request may carry; no route takes more than a few. */
#define LMD_MAX_QUERY_PARAMS 32

/* What on_uri found in the raw request target. */
enum { LMD_TARGET_NUL = 1, LMD_TARGET_MANY_PARAMS = 2 };

/* Who may call a route. */
typedef enum {
    LMD_ACCESS_OPEN,    /* anyone, always (health checks, the dashboard) */
    LMD_ACCESS_READ,    /* anyone, or any token when read_auth = token */
    LMD_ACCESS_USER,    /* a user token */
    LMD_ACCESS_WORKER,  /* a worker token */
} lmd_access;

/* What a route does with a request body. */
typedef enum {
    LMD_BODY_NONE,      /* none expected; up to max_body_bytes is discarded */
    LMD_BODY_JSON,      /* buffered up to the route's limit, then parsed */
    LMD_BODY_FILE,      /* streamed to disk by an upload (see begin_upload) */
} lmd_body_kind;

typedef struct lmd_request lmd_request;
typedef struct lmd_reply lmd_reply;

typedef struct lmd_route {
    const char *method;
    const char *pattern;        /* OpenAPI form: /v1/experiments/{id} */
    lmd_access access;
    lmd_body_kind body;
    int tail;                   /* the last {param} takes the rest of the path */
    int fallback;               /* matched only when nothing else matches the path */
    /* For LMD_BODY_FILE: checks the request before any body is read and
     * opens req->upload_fd; returns -1 with rep filled to refuse. */
    int (*begin_upload)(lmd_request *req, lmd_reply *rep);
    void (*handle)(lmd_request *req, lmd_reply *rep);
} lmd_route;

extern const lmd_route lmd_routes[];
extern const int lmd_n_routes;

struct lmd_request {
    lmd_server *srv;
    struct MHD_Connection *conn;
    const lmd_route *route;
    struct lmd_conn *tconn;             /* the connection's tracker entry */
    int begun;                          /* begin_request has run */
    int target_flags;                   /* LMD_TARGET_* */
    char method[8];
    char path[LMD_MAX_PATH];            /* decoded, as matched */
    char param_buf[LMD_MAX_PATH];       /* the parameters point in here */
    const char *params[LMD_MAX_PARAMS];
    int n_params;
    lmd_principal who;
    char client[64];                    /* peer address, for rate limits and logs */
    /* LMD_BODY_JSON */
    char *body;
    size_t body_len, body_cap, body_limit;
    int body_too_large;
    /* LMD_BODY_FILE: begin_upload opens these; the handler renames or the
     * completion callback removes. */
    int upload_fd;
    char *upload_tmp;
    char *upload_dest;
    uint64_t upload_len, upload_limit;
    int upload_failed;
    double started;
};

struct lmd_reply {
    unsigned status;
    char *body;                         /* owned; NULL when fd is used */
    size_t len;
    const char *content_type;
    int fd;                             /* a file to send; -1 when none */
    uint64_t fd_size;
    char allow[64];                     /* for 405 */
    char retry_after[16];               /* for 429 */
    char location[128];                 /* for 201 */
    int no_store;                       /* Cache-Control: no-store */
    int challenge;                      /* WWW-Authenticate: Bearer (for 401) */
    int close;                          /* Connection: close */
};

/* Replies with obj as JSON (takes ownership). */
void lmd_reply_json(lmd_reply *rep, unsigned status, cJSON *obj);
/* Replies {"error": code, "field": field or null, "detail": ...}. */
void lmd_reply_error(lmd_reply *rep, unsigned status, const char *code, const char *field,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void lmd_reply_text(lmd_reply *rep, unsigned status, const char *content_type, char *text,
                    size_t len);
void lmd_reply_file(lmd_reply *rep, int fd, uint64_t size, const char *content_type);

/* A query-string argument, or NULL. */
const char *lmd_query(lmd_request *req, const char *name);

/* Parses the JSON body strictly; on failure fills rep with the 400 and
 * returns NULL. */
cJSON *lmd_request_json(lmd_request *req, lmd_reply *rep);

/* Finds the route for method and path (HEAD is GET).  Fills params (into
 * param_buf) and returns the route; NULL with *path_known = 1 when another
 * method would match (405), 0 when nothing would (404). */
const lmd_route *lmd_route_match(const char *method, const char *path, char *param_buf,
                                 const char **params, int *n_params, int *path_known,
                                 char *allow, size_t allow_len);

/* Starts and stops MHD on srv->cfg.listen_host:listen_port. */
int lmd_http_start(lmd_server *srv, lm_error *err);
void lmd_http_stop(lmd_server *srv);
/* The port actually bound (useful when listen_port is 0). */
int lmd_http_port(lmd_server *srv);

#endif
