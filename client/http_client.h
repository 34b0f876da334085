/* http_client.h - the client side of lmntkd's API on libcurl, shared by
 * lmntk-worker and the `lmntk submit|status|wait|results` commands.
 *
 * One lmw_http per thread: it keeps its connection alive between calls. */
#ifndef LMW_HTTP_CLIENT_H
#define LMW_HTTP_CLIENT_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "util/error.h"

/* The default bound of a reply body read into memory: a reply past it is an
 * error, never an allocation the size of whatever a server sends. */
#define LMW_HTTP_MAX_REPLY ((size_t)64 << 20)

typedef struct lmw_http {
    char *base;            /* "http://host:port", no trailing '/' */
    char *auth;            /* "Authorization: Bearer ..." or NULL */
    long timeout_s;        /* whole request; 0 = none (downloads) */
    size_t max_reply;      /* bytes; lmw_http_init sets LMW_HTTP_MAX_REPLY */
    void *curl;            /* CURL * */
} lmw_http;

typedef struct lmw_response {
    long status;           /* HTTP status; 0 when no reply came */
    char *body;            /* NUL-terminated */
    size_t len;
} lmw_response;

/* Process-wide libcurl set-up; call once from main before any thread. */
int lmw_http_global_init(lm_error *err);

int lmw_http_init(lmw_http *h, const char *base, const char *token, long timeout_s, lm_error *err);
void lmw_http_free(lmw_http *h);

/* method path [JSON body].  Returns 0 when a reply came (whatever its
 * status), -1 on a transport error (refused, timed out, reset) or a reply
 * body over h->max_reply bytes. */
int lmw_http_json(lmw_http *h, const char *method, const char *path, const cJSON *body,
                  lmw_response *resp, lm_error *err);

/* method path with a body of len bytes as it is (NULL: none). */
int lmw_http_send(lmw_http *h, const char *method, const char *path, const char *body, size_t len,
                  const char *content_type, lmw_response *resp, lm_error *err);

/* PUT path with a file's bytes as the body. */
int lmw_http_put_file(lmw_http *h, const char *path, const char *file, lmw_response *resp,
                      lm_error *err);

/* GET path into dest (atomically: a temporary file renamed on success).
 * *status gets the HTTP status; only 200 leaves a file. */
int lmw_http_download(lmw_http *h, const char *path, const char *dest, long *status, lm_error *err);

void lmw_response_free(lmw_response *r);

/* The reply parsed as JSON (NULL if it is not). */
cJSON *lmw_response_json(const lmw_response *r);

/* A one-line account of an error reply: "404 not_found: no such lease". */
void lmw_response_describe(const lmw_response *r, char *buf, size_t cap);

#endif
