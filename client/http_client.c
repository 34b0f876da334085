/* http_client.c - JSON requests, uploads and downloads over libcurl. */
#include "http_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <curl/curl.h>
#include "util/file.h"

int lmw_http_global_init(lm_error *err) {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return lm_fail(err, "cannot initialise libcurl");
    return 0;
}

int lmw_http_init(lmw_http *h, const char *base, const char *token, long timeout_s, lm_error *err) {
    memset(h, 0, sizeof *h);
    if (!base || (strncmp(base, "http://", 7) != 0 && strncmp(base, "https://", 8) != 0))
        return lm_fail(err, "server URL '%s' must start with http:// or https://", base ? base : "");
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/') n--;
    h->base = lm_xstrndup(base, n);
    if (token && *token) {
        size_t len = strlen(token) + 32;
        h->auth = lm_xmalloc(len);
        snprintf(h->auth, len, "Authorization: Bearer %s", token);
    }
    h->timeout_s = timeout_s;
    h->max_reply = LMW_HTTP_MAX_REPLY;
    h->curl = curl_easy_init();
    if (!h->curl) {
        lmw_http_free(h);
        return lm_fail(err, "cannot create a libcurl handle");
    }
    return 0;
}

void lmw_http_free(lmw_http *h) {
    if (h->curl) curl_easy_cleanup(h->curl);
    free(h->base);
    free(h->auth);
    memset(h, 0, sizeof *h);
}

void lmw_response_free(lmw_response *r) {
    free(r->body);
    memset(r, 0, sizeof *r);
}

/* Where a reply body goes: into r, up to max bytes. */
typedef struct sink {
    lmw_response *r;
    size_t max;
    int over;
} sink;

static size_t collect(char *data, size_t size, size_t n, void *arg) {
    sink *s = arg;
    lmw_response *r = s->r;
    size_t add = size * n;
    if (add > s->max - r->len) { /* r->len <= max always */
        s->over = 1;
        return 0; /* libcurl stops with CURLE_WRITE_ERROR */
    }
    r->body = lm_xrealloc(r->body, r->len + add + 1);
    memcpy(r->body + r->len, data, add);
    r->len += add;
    r->body[r->len] = '\0';
    return add;
}

/* Resets the handle for one request to base+path with our headers. */
static struct curl_slist *prepare(lmw_http *h, const char *method, const char *path,
                                  const char *content_type) {
    CURL *c = h->curl;
    curl_easy_reset(c);
    size_t n = strlen(h->base) + strlen(path) + 1;
    char *url = lm_xmalloc(n);
    snprintf(url, n, "%s%s", h->base, path);
    curl_easy_setopt(c, CURLOPT_URL, url); /* libcurl copies it */
    free(url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, h->timeout_s);
    struct curl_slist *headers = NULL;
    if (h->auth) headers = curl_slist_append(headers, h->auth);
    if (content_type) {
        char line[128];
        snprintf(line, sizeof line, "Content-Type: %s", content_type);
        headers = curl_slist_append(headers, line);
    }
    headers = curl_slist_append(headers, "Expect:"); /* no 100-continue round trip */
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    return headers;
}

/* Big kernels take longer than a JSON call: no overall timeout for file
 * transfers, but a minute without progress is an error. */
static void stream_timeouts(lmw_http *h) {
    curl_easy_setopt(h->curl, CURLOPT_TIMEOUT, 0L);
    curl_easy_setopt(h->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h->curl, CURLOPT_LOW_SPEED_TIME, 60L);
}

static int perform(lmw_http *h, const char *method, const char *path, lmw_response *resp,
                   struct curl_slist *headers, lm_error *err) {
    CURL *c = h->curl;
    sink s = {resp, h->max_reply, 0};
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    /* A declared Content-Length over the bound fails before any byte. */
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->max_reply);
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(headers);
    if (s.over || rc == CURLE_FILESIZE_EXCEEDED) {
        lmw_response_free(resp);
        return lm_fail(err, "%s %s%s: the reply is larger than %zu bytes, the limit", method, h->base,
                       path, h->max_reply);
    }
    if (rc != CURLE_OK) {
        lmw_response_free(resp);
        return lm_fail(err, "%s %s%s: %s", method, h->base, path, curl_easy_strerror(rc));
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
    if (!resp->body) resp->body = lm_xcalloc(1, 1);
    return 0;
}

int lmw_http_send(lmw_http *h, const char *method, const char *path, const char *body, size_t len,
                  const char *content_type, lmw_response *resp, lm_error *err) {
    memset(resp, 0, sizeof *resp);
    struct curl_slist *headers = prepare(h, method, path, body ? content_type : NULL);
    if (body) {
        curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    return perform(h, method, path, resp, headers, err);
}

int lmw_http_json(lmw_http *h, const char *method, const char *path, const cJSON *body,
                  lmw_response *resp, lm_error *err) {
    char *text = body ? cJSON_PrintUnformatted(body) : NULL;
    int rc = lmw_http_send(h, method, path, text, text ? strlen(text) : 0, "application/json", resp, err);
    free(text);
    return rc;
}

int lmw_http_put_file(lmw_http *h, const char *path, const char *file, lmw_response *resp,
                      lm_error *err) {
    memset(resp, 0, sizeof *resp);
    FILE *f = fopen(file, "rb");
    if (!f) return lm_fail(err, "%s: cannot open: %s", file, strerror(errno));
    struct stat st;
    fstat(fileno(f), &st);
    struct curl_slist *headers = prepare(h, "PUT", path, "application/octet-stream");
    curl_easy_setopt(h->curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h->curl, CURLOPT_READDATA, f);
    curl_easy_setopt(h->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)st.st_size);
    stream_timeouts(h);
    int rc = perform(h, "PUT", path, resp, headers, err);
    fclose(f);
    return rc;
}

int lmw_http_download(lmw_http *h, const char *path, const char *dest, long *status, lm_error *err) {
    *status = 0;
    size_t n = strlen(dest) + 32;
    char *tmp = lm_xmalloc(n);
    snprintf(tmp, n, "%s.part.%ld", dest, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        lm_fail(err, "%s: cannot create: %s", tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    struct curl_slist *headers = prepare(h, "GET", path, NULL);
    curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, NULL); /* fwrite into f */
    curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, f);
    stream_timeouts(h);
    CURLcode rc = curl_easy_perform(h->curl);
    curl_slist_free_all(headers);
    int bad = fclose(f) != 0;
    int ok = rc == CURLE_OK && !bad;
    if (ok) curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, status);
    if (ok && *status == 200 && rename(tmp, dest) == 0) {
        free(tmp);
        return 0;
    }
    unlink(tmp);
    free(tmp);
    if (rc != CURLE_OK) return lm_fail(err, "GET %s%s: %s", h->base, path, curl_easy_strerror(rc));
    if (bad) return lm_fail(err, "%s: write failed", dest);
    if (*status != 200) return lm_fail(err, "GET %s%s: HTTP %ld", h->base, path, *status);
    return lm_fail(err, "%s: cannot rename into place: %s", dest, strerror(errno));
}

cJSON *lmw_response_json(const lmw_response *r) {
    return r->body ? cJSON_ParseWithLength(r->body, r->len) : NULL;
}

void lmw_response_describe(const lmw_response *r, char *buf, size_t cap) {
    cJSON *o = lmw_response_json(r);
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(o, "error");
    const cJSON *field = cJSON_GetObjectItemCaseSensitive(o, "field");
    const cJSON *detail = cJSON_GetObjectItemCaseSensitive(o, "detail");
    if (cJSON_IsString(code) && cJSON_IsString(detail)) {
        if (cJSON_IsString(field))
            snprintf(buf, cap, "%ld %s: %s: %s", r->status, code->valuestring, field->valuestring,
                     detail->valuestring);
        else
            snprintf(buf, cap, "%ld %s: %s", r->status, code->valuestring, detail->valuestring);
    } else {
        snprintf(buf, cap, "HTTP %ld: %.200s", r->status, r->body ? r->body : "");
    }
    cJSON_Delete(o);
}
