#!/usr/bin/env bash
# it_hostile.sh - 200+ malformed or hostile requests: bad JSON, bad UTF-8,
# huge numbers, unknown fields, wrong types, deep nesting, oversize bodies,
# path tricks, bad tokens, bad queries, protocol garbage.  Every one must get
# a 4xx (JSON errors naming the field where there is one), and the daemon
# must still serve afterwards.
. "$(dirname "$0")/lib.sh"

start_daemon --max-spec-bytes 65536 --max-body-bytes 131072 --connection-timeout 2
make_tokens
ID=$(submit "$SPEC_4")
[ -n "$ID" ] || fail "a valid spec is accepted"

"$PYTHON" - "$PORT" "$UTOK" "$WTOK" "$ID" <<'PY' || fail "hostile requests"
import http.client, json, random, socket, sys

port, utok, wtok, exp = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
U = {"Authorization": "Bearer " + utok}
W = {"Authorization": "Bearer " + wtok}
FAKE = "00000000-0000-4000-8000-000000000000"
cases = []  # (label, method, path, headers, body, expected field or None)

def add(label, method, path, headers=None, body=None, field=None):
    cases.append((label, method, path, headers or {}, body, field))

# 1. Spec bodies that are not JSON, or not a valid spec.
valid = {"task": "SST-2", "data": "d", "model": "tiny", "seeds": [13]}
def spec(**change):
    s = dict(valid); s.update(change)
    return json.dumps(s).encode()
for body in [b"", b"{", b"}", b"[]", b"null", b"42", b'"spec"', b'{"task":', b"{'task': 1}",
             b'{"task":"SST-2",}', b'{"task" "SST-2"}', b"\xff\xfe\xfd", b'{"task":"SST-\xc3"}',
             b'{"task":"\xed\xa0\x80"}', b'{"task":"SST-2\x00"}', b'{"task":"a\x01b"}',
             b'{"task":"\\ud800","data":"d"}', b'{"data":"d","task":"SST-2","task":"SST-2"}',
             b'{"task":"SST-2","data":"d","k":1e999}', b'{"task":"SST-2","data":"d","k":-1e999}',
             b'{"task":"SST-2","data":"d","k":123456789012345678901234567890}',
             b'{"task":"SST-2","data":"d","k":01}', b'{"task":"SST-2","data":"d","k":NaN}',
             b"[" * 5000 + b"]" * 5000, b'{"a":' * 3000 + b"1" + b"}" * 3000,
             b'{"task":"SST-2","data":"d"} trailing', b"\xef\xbb\xbf{}"]:
    add("bad json", "POST", "/v1/experiments", U, body)
add("unknown field", "POST", "/v1/experiments", U, spec(bogus=1), "bogus")
add("unknown nested", "POST", "/v1/experiments", U, spec(kernel={"formula": "sgd", "x": 1}), "kernel.x")
for field, value in [("task", 5), ("task", "nope"), ("task", None), ("data", 7), ("data", ""),
                     ("model", 3), ("model", "../../etc/passwd"), ("model", "/etc"), ("model", "."),
                     ("model", "missing-model"), ("model", "a" * 5000), ("k", 1.5), ("k", "16"),
                     ("k", 0), ("k", 10 ** 12), ("seeds", []), ("seeds", [1.5]), ("seeds", [-1]),
                     ("seeds", [1, 1]), ("seeds", "13"), ("seeds", [2 ** 40]), ("prompt", "yes"),
                     ("name", 1), ("name", "n" * 1000), ("kernel", 1), ("kernel", {"formula": "l2"}),
                     ("solver", {"name": "magic"}), ("finetune", [{}]), ("finetune", {}),
                     ("max_length", -5), ("binary", 1)]:
    add("bad spec %s=%r" % (field, value)[:60], "POST", "/v1/experiments", U, spec(**{field: value}), field)
no_model = {k: v for k, v in valid.items() if k != "model"}
add("unregistered checkpoint", "POST", "/v1/experiments", U,
    json.dumps(dict(no_model, checkpoints=["tiny", "../x"])).encode(), "checkpoints[1]")
add("oversize spec", "POST", "/v1/experiments", U, spec(description="x" * 70000))
add("oversize body", "POST", "/v1/leases", W, b'{"worker":"' + b"w" * 140000 + b'"}')
add("declared huge", "POST", "/v1/experiments", dict(U, **{"Content-Length": "999999999999"}), b"{}")

# 2. Random bytes at the JSON endpoints (seeded: the same every run).
rng = random.Random(1234)
for i in range(60):
    n = rng.choice([1, 7, 64, 500, 4000])
    body = bytes(rng.randrange(256) for _ in range(n))
    if rng.random() < 0.5:
        body = b'{"' + body + b'":1}'
    target = [("/v1/experiments", U), ("/v1/leases", W), ("/v1/leases/%s/heartbeat" % FAKE, W)][i % 3]
    add("random bytes", "POST", target[0], target[1], body)

# 3. Artifact names and other path tricks.
for name in ["../../../../etc/passwd", "..%2f..%2f..%2fetc%2fpasswd", "%2e%2e/%2e%2e/etc/passwd",
             ".hidden", "0/../../x", "0/..", "0/.", "result.json%00.txt", "99999999/x", "0/",
             "/result.json", "00/x", "-1/x", "0/a/b", "a" * 300, "result.json/x", "%c0%ae%c0%ae/x",
             "0/%ff", "0/a%20b", "..", "0//x", "1e3/x"]:
    add("artifact " + name[:40], "GET", "/v1/experiments/%s/artifacts/%s" % (exp, name))
add("artifact unknown exp", "GET", "/v1/experiments/%s/artifacts/result.json" % FAKE)
add("artifact bad exp", "GET", "/v1/experiments/..%2f..%2fx/artifacts/result.json")
add("experiment not uuid", "GET", "/v1/experiments/abc")
add("experiment sql", "GET", "/v1/experiments/1'%20OR%20'1'='1")
add("upload traversal", "PUT", "/v1/leases/%s/artifacts/..%%2f..%%2fx" % FAKE, W, b"data")
add("upload dot", "PUT", "/v1/leases/%s/artifacts/.x" % FAKE, W, b"data")
add("upload no lease", "PUT", "/v1/leases/%s/artifacts/x.npy" % FAKE, W, b"data")
add("upload bad lease", "PUT", "/v1/leases/zzz/artifacts/x.npy", W, b"data")
add("static traversal", "GET", "/../../etc/passwd")
add("static encoded", "GET", "/%2e%2e/%2e%2e/etc/passwd")
add("static dotfile", "GET", "/.git/config")
add("long path", "GET", "/v1/experiments/" + "a" * 5000)
add("log forging", "GET", "/v1/experiments/x%0a2026-01-01T00:00:00Z%20ERROR%20forged")
add("escape codes", "GET", "/v1/experiments/%1b[31mred")

# 4. Authentication and authorization.
add("no token", "POST", "/v1/experiments", {}, spec())
add("bad token", "POST", "/v1/experiments", {"Authorization": "Bearer nope"}, spec())
add("basic auth", "POST", "/v1/experiments", {"Authorization": "Basic dXNlcjpwYXNz"}, spec())
add("empty bearer", "POST", "/v1/experiments", {"Authorization": "Bearer "}, spec())
add("huge token", "POST", "/v1/experiments", {"Authorization": "Bearer " + "x" * 20000}, spec())
add("worker submits", "POST", "/v1/experiments", W, spec())
add("user leases", "POST", "/v1/leases", U, b"{}")
add("anon leases", "POST", "/v1/leases", {}, b"{}")
add("worker cancels", "DELETE", "/v1/experiments/" + exp, W)
add("anon cancels", "DELETE", "/v1/experiments/" + exp)
add("cancel unknown", "DELETE", "/v1/experiments/" + FAKE, U)
add("bad token on read", "GET", "/v1/experiments", {"Authorization": "Bearer nope"})

# 5. Routes, methods and queries.
for method, path in [("PATCH", "/v1/experiments"), ("PUT", "/v1/experiments"), ("DELETE", "/v1/experiments"),
                     ("POST", "/v1/models"), ("GET", "/v1/leases"), ("GET", "/v1/nope"), ("POST", "/healthz"),
                     ("GET", "/v1/experiments/%s/nope" % exp), ("POST", "/v1/leases/%s/nope" % FAKE),
                     ("GET", "/v1/leases/%s/heartbeat" % FAKE), ("FOO", "/v1/experiments"), ("POST", "/")]:
    add("route %s %s" % (method, path[:30]), method, path, W if "leases" in path else U, b"{}")
for q in ["limit=0", "limit=201", "limit=abc", "limit=-1", "limit=99999999999999999999", "limit=1.5",
          "state=bogus", "state=", "cursor=-1", "cursor=abc", "cursor=0", "bogus=1", "task=%ff%fe",
          "model=" + "m" * 300, "limit=%00"]:
    add("query " + q[:30], "GET", "/v1/experiments?" + q)

# 6. The worker endpoints' own bodies.
hb = "/v1/leases/%s/heartbeat" % FAKE
for body in [b'{"progress":2}', b'{"progress":-0.5}', b'{"progress":"half"}', b'{"stage":5}',
             b'{"stage":"' + b"s" * 300 + b'"}', b'{"progress":0.5,"extra":1}', b"[]", b'{"progress":1e999}']:
    add("heartbeat body", "POST", hb, W, body)
add("heartbeat unknown lease", "POST", hb, W, b'{"progress":0.5}')
add("complete no result", "POST", "/v1/leases/%s/complete" % FAKE, W, b"{}")
add("complete result string", "POST", "/v1/leases/%s/complete" % FAKE, W, b'{"result":"x"}')
add("complete unknown", "POST", "/v1/leases/%s/complete" % FAKE, W, b'{"result":{}}')
add("fail no error", "POST", "/v1/leases/%s/fail" % FAKE, W, b"{}")
add("fail release text", "POST", "/v1/leases/%s/fail" % FAKE, W, b'{"error":"x","release":"yes"}')
add("fail unknown", "POST", "/v1/leases/%s/fail" % FAKE, W, b'{"error":"x"}')
add("lease worker type", "POST", "/v1/leases", W, b'{"worker":5}')
add("lease unknown field", "POST", "/v1/leases", W, b'{"worker":"w","x":1}')
add("lease worker newline", "POST", "/v1/leases", W, b'{"worker":"w\\nERROR forged"}')

def send(method, path, headers, body):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.putrequest(method, path, skip_host=False, skip_accept_encoding=True)
    has_len = any(k.lower() == "content-length" for k in headers)
    for k, v in headers.items():
        c.putheader(k, v)
    if body is not None and not has_len:
        c.putheader("Content-Length", str(len(body)))
    c.endheaders()
    if body is not None:
        try:
            c.send(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the daemon may answer before reading a refused body
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data

bad = 0
for label, method, path, headers, body, field in cases:
    try:
        status, data = send(method, path, headers, body)
    except Exception as e:
        print("NO REPLY  %-40s %s" % (label, e)); bad += 1; continue
    ok = 400 <= status < 500
    err = None
    try:
        err = json.loads(data)
        ok = ok and set(err) == {"error", "field", "detail"}
    except ValueError:
        ok = False
    if ok and field is not None and not (err["field"] or "").startswith(field):
        ok = False
    if not ok:
        bad += 1
        print("BAD  %-40s %s %s -> %s %s" % (label, method, path[:60], status, data[:200]))

# 7. Protocol garbage on raw sockets: a 4xx or a closed connection, never a
# hang.  (Not here: "GET / HTTP/9.9", which libmicrohttpd answers with the
# 505 that HTTP prescribes.)
raw = [b"GARBAGE\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/1.7 x\r\n\r\n", b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
       b"GET /healthz HTTP/1.1\r\nHost: x\r\nX: " + b"h" * 100000 + b"\r\n\r\n",
       b"POST /v1/experiments HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}",
       b"POST /v1/experiments HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
       b"\x00\x01\x02\x03\r\n\r\n", b"GET /v1/experiments?%zz HTTP/1.1\r\nHost: x\r\n\r\n",
       b"POST /v1/experiments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + utok.encode() +
       b"\r\nTransfer-Encoding: chunked\r\n\r\n" + b"10000\r\n" + b"{" * 70000 + b"\r\n0\r\n\r\n"]
def raw_exchange(req, replies):
    s = socket.create_connection(("127.0.0.1", port), timeout=8)
    try:
        s.sendall(req)
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    reply = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk: break
            reply += chunk
    except OSError as e:
        reply += b"<no close: %s>" % str(e).encode()
    s.close()
    replies[req] = reply

# In parallel: a connection the daemon cannot parse may sit until the
# connection timeout (2 s here) closes it.
import threading
replies = {}
threads = [threading.Thread(target=raw_exchange, args=(r, replies)) for r in raw]
for t in threads: t.start()
for t in threads: t.join()
for req in raw:
    reply = replies[req]
    line = reply.split(b"\r\n", 1)[0]
    answered_4xx = line.startswith(b"HTTP/1.") and line[9:10] == b"4"
    if b"<no close" in reply or (reply and not answered_4xx):
        bad += 1
        print("BAD raw %r -> %r" % (req[:40], reply[:80]))

total = len(cases) + len(raw)
print("# %d hostile requests (%d raw), %d not answered with a 4xx JSON error" % (total, len(raw), bad))
assert total >= 200, total
sys.exit(1 if bad else 0)
PY

# Still serving, still correct.
api GET /healthz >/dev/null
[ "$(status)" = 200 ] || fail "healthz after the storm"
ID2=$(submit "$SPEC_4")
[ "$(state_of "$ID2")" = queued ] || fail "a valid spec is still accepted"
kill -0 "$DAEMON_PID" || fail "the daemon is alive"
! grep -q ' ERROR ' "$TMP/daemon.log" || fail "the daemon logged errors"
note "ok"
