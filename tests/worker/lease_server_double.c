/* lease_server_double.c - a TEST DOUBLE of lmntkd's worker routes that
 * answers the worker's lease calls from a script, so that a test can send
 * it what a broken or hostile server might.
 *
 *   lease-server-double PORT_FILE LOG_FILE STEP...
 *
 * It listens on 127.0.0.1 (port 0: the kernel picks; written to PORT_FILE),
 * one connection at a time, one request per connection.  The n-th
 * POST /v1/leases gets STEP n:
 *   garbage     200, a body that is not JSON
 *   partial     200, JSON cut off in the middle
 *   incomplete  200, a JSON object without spec, job, job_index
 *   badid       200, a whole lease whose id is a path, not a UUID
 *   badnum      200, a whole lease whose job_index is 1e300
 *   500         500 with an error body
 *   429         429 (rate limited)
 *   close       no reply: the connection is closed
 *   huge        200 declaring a 4 GiB body, then bytes until the client hangs up
 *   endless     200 without a length, bytes until the client hangs up
 *   good        200, a real lease (job {"seed": 5, "method": "kernel:sgd"})
 * and after the last step, 204.  Heartbeats get {"cancel": false},
 * artifact uploads 201, complete and fail 200.  LOG_FILE gets a line per
 * lease step served ("lease STEP") and per report ("complete BODY"). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define LEASE_ID "3f2b8c1e-5d4a-4b6f-9e21-7a0c4d8e1f90"
#define EXPERIMENT_ID "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"

static FILE *log_file;

static int write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void reply(int fd, int status, const char *body) {
    char head[256];
    const char *reason = status == 200 ? "OK" : status == 201 ? "Created" : status == 204 ? "No Content"
                         : status == 429 ? "Too Many Requests" : "Internal Server Error";
    size_t n = body ? strlen(body) : 0;
    int h = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n", status, reason, n);
    if (write_all(fd, head, (size_t)h) == 0 && n) write_all(fd, body, n);
}

/* Bytes until the client hangs up (or stops reading for 10 s). */
static void stream(int fd, const char *head) {
    static char chunk[65536];
    memset(chunk, 'x', sizeof chunk);
    if (write_all(fd, head, strlen(head)) != 0) return;
    while (write_all(fd, chunk, sizeof chunk) == 0) {}
}

static const char *lease_body(const char *id, const char *index) {
    static char body[1024];
    snprintf(body, sizeof body,
             "{\"lease\":\"%s\",\"experiment_id\":\"" EXPERIMENT_ID "\",\"job_id\":\"j\",\"job_index\":%s,"
             "\"attempt\":1,\"lease_seconds\":3,\"spec\":\"{\\\"seeds\\\":[5]}\","
             "\"job\":{\"seed\":5,\"method\":\"kernel:sgd\"}}", id, index);
    return body;
}

static void serve_lease(int fd, const char *step) {
    fprintf(log_file, "lease %s\n", step ? step : "none");
    fflush(log_file);
    if (!step) reply(fd, 204, NULL);
    else if (!strcmp(step, "garbage")) reply(fd, 200, "<html>this is not JSON</html>");
    else if (!strcmp(step, "partial")) reply(fd, 200, "{\"lease\":\"" LEASE_ID "\",\"spec\":\"{\\\"se");
    else if (!strcmp(step, "incomplete")) reply(fd, 200, "{\"lease\":\"" LEASE_ID "\",\"experiment_id\":\"" EXPERIMENT_ID "\"}");
    else if (!strcmp(step, "badid")) reply(fd, 200, lease_body("../../../v1/experiments", "0"));
    else if (!strcmp(step, "badnum")) reply(fd, 200, lease_body(LEASE_ID, "1e300"));
    else if (!strcmp(step, "500")) reply(fd, 500, "{\"error\":\"internal\",\"detail\":\"the database is locked\"}");
    else if (!strcmp(step, "429")) reply(fd, 429, "{\"error\":\"rate_limited\",\"detail\":\"slow down\"}");
    else if (!strcmp(step, "close")) return;
    else if (!strcmp(step, "huge"))
        stream(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4294967296\r\n\r\n");
    else if (!strcmp(step, "endless"))
        stream(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n");
    else if (!strcmp(step, "good")) reply(fd, 200, lease_body(LEASE_ID, "0"));
    else reply(fd, 500, "{\"error\":\"internal\",\"detail\":\"unknown step\"}");
}

/* Reads one request: its method, path and body (up to cap bytes). */
static int read_request(int fd, char *method, char *path, char *body, size_t cap) {
    static char buf[1 << 20];
    size_t n = 0;
    char *end = NULL;
    while (!end) {
        if (n == sizeof buf - 1) return -1;
        ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
        if (r <= 0) return -1;
        n += (size_t)r;
        buf[n] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    if (sscanf(buf, "%15s %511s", method, path) != 2) return -1;
    size_t length = 0;
    for (char *line = strstr(buf, "\r\n"); line && line < end; line = strstr(line + 2, "\r\n"))
        if (!strncasecmp(line + 2, "Content-Length:", 15)) length = strtoul(line + 17, NULL, 10);
    size_t have = n - (size_t)(end + 4 - buf);
    while (have < length && n < sizeof buf - 1) {
        ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
        if (r <= 0) return -1;
        n += (size_t)r;
        have += (size_t)r;
    }
    size_t keep = have < cap - 1 ? have : cap - 1;
    memcpy(body, end + 4, keep);
    body[keep] = '\0';
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: lease-server-double PORT_FILE LOG_FILE STEP...\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    log_file = fopen(argv[2], "a");
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    if (!log_file || bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 64) ||
        getsockname(s, (struct sockaddr *)&a, &alen)) {
        perror("lease-server-double");
        return 1;
    }
    FILE *pf = fopen(argv[1], "w");
    if (!pf) return 1;
    fprintf(pf, "%d\n", ntohs(a.sin_port));
    fclose(pf);
    int next = 3;
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0) continue;
        struct timeval tv = {10, 0};
        setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char method[16], path[512], body[4096];
        if (read_request(c, method, path, body, sizeof body) == 0) {
            if (!strcmp(method, "POST") && !strcmp(path, "/v1/leases")) {
                serve_lease(c, next < argc ? argv[next] : NULL);
                if (next < argc) next++;
            } else if (strstr(path, "/heartbeat")) {
                reply(c, 200, "{\"cancel\":false}");
            } else if (!strcmp(method, "PUT")) {
                reply(c, 201, "{}");
            } else {
                const char *verb = strrchr(path, '/');
                fprintf(log_file, "%s %s %s\n", verb ? verb + 1 : path, path, body);
                fflush(log_file);
                reply(c, 200, "{}");
            }
        }
        close(c);
    }
}
