"""lmntk.py - a Python client of the lmntk daemon (lmntkd), for notebooks and scripts.

One file, the standard library only; numpy and pandas are used when they
are importable and never required::

    import lmntk
    c = lmntk.Client()                      # LMNTK_SERVER, LMNTK_TOKEN
    x = c.submit("spec.json")               # or a dict
    x.wait()                                # a progress bar on stderr
    x.results()                             # one row per (method, seed)
    K = x.artifact(42, "kernel:sgd", "kernel-train.npy")   # numpy array
    for e in c.list(task="SST-2", tag="paper", sort="kernel_test"):
        print(e.id[:8], e.name, e.metrics)

Every call is one request of the HTTP API that schema/openapi.yaml
describes; a refused request raises an LmntkError that carries the API's
error code, field and detail.
"""

import csv
import io
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

__version__ = "0.1.0"
__all__ = ["Client", "Experiment", "LmntkError", "BadRequest", "Unauthorized", "Forbidden", "NotFound",
           "Conflict", "PayloadTooLarge", "RateLimited", "ServerError", "ExperimentFailed", "WaitTimeout"]

DEFAULT_SERVER = "http://127.0.0.1:8080"
TERMINAL_STATES = ("succeeded", "failed", "cancelled")


# ---- errors ------------------------------------------------------------------

class LmntkError(Exception):
    """A request the daemon refused (or could not be reached for).

    status: the HTTP status (None when the daemon could not be reached);
    error: the API's error code ("invalid_spec", "not_found", ...);
    field: the JSON path of the offending value, or None;
    detail: what is wrong, in the daemon's words;
    method, url: the request.
    """

    def __init__(self, status, error, field, detail, method=None, url=None):
        self.status, self.error, self.field, self.detail = status, error, field, detail
        self.method, self.url = method, url
        where = f" ({field})" if field else ""
        head = f"{status} {error}" if status else error
        super().__init__(f"{head}{where}: {detail}" + (f" [{method} {url}]" if method else ""))


class BadRequest(LmntkError):
    """400: the request or the spec is not right (invalid_spec, bad_request, invalid_json)."""


class Unauthorized(LmntkError):
    """401: no token where one is needed, or a token the daemon does not know."""


class Forbidden(LmntkError):
    """403: the wrong kind of token (a worker token where a user's is needed)."""


class NotFound(LmntkError):
    """404: no such experiment (or not yours), artifact, or route."""


class Conflict(LmntkError):
    """409: the experiment's state forbids it, or an id prefix names several (ambiguous_id)."""


class PayloadTooLarge(LmntkError):
    """413: the spec or body is over the daemon's limits."""


class RateLimited(LmntkError):
    """429: too many requests; retry_after is the seconds to wait."""

    retry_after = None


class ServerError(LmntkError):
    """5xx: the daemon failed, or could not be reached."""


class ExperimentFailed(LmntkError):
    """wait(): the experiment failed or was cancelled; .experiment is it."""

    experiment = None


class WaitTimeout(LmntkError, TimeoutError):
    """wait(): the experiment did not finish in time; .experiment is it."""

    experiment = None


_ERRORS = {400: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound, 409: Conflict,
           413: PayloadTooLarge, 429: RateLimited}


def _error_of(status, body, method, url, headers=None):
    """The exception for a refused request, from the API's {error, field, detail}."""
    try:
        o = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        o = None
    if not isinstance(o, dict):
        o = {"error": "http_%d" % status, "field": None,
             "detail": body.decode("utf-8", "replace").strip()[:500] or "(no body)"}
    cls = _ERRORS.get(status, ServerError if status >= 500 else LmntkError)
    e = cls(status, o.get("error"), o.get("field"), o.get("detail"), method, url)
    if status == 429 and headers is not None:
        try:
            e.retry_after = int(headers.get("Retry-After"))
        except (TypeError, ValueError):
            pass
    return e


# ---- optional libraries -----------------------------------------------------------

def _optional(name):
    """The module when it can be imported, else None (looked up at each call,
    so that a notebook that installs pandas later gets frames)."""
    try:
        return __import__(name)
    except ImportError:
        return None


# ---- the CSV export as typed rows -----------------------------------------------------

# Columns of GET /v1/experiments.csv that are text; the others are numbers,
# booleans or empty.
_TEXT_COLUMNS = {"experiment_id", "experiment_name", "task", "state", "tags", "created_at", "metric", "model",
                 "method", "label", "from", "solver", "verdict", "verdict_reason"}


def _typed(column, value):
    if value == "":
        return None
    if column in _TEXT_COLUMNS:
        return value
    if value in ("true", "false"):
        return value == "true"
    try:
        return int(value)
    except ValueError:
        pass
    try:
        return float(value)
    except ValueError:
        return value


def _rows_of_csv(text):
    """The export's lines as dicts, values typed (None where empty, tags a list)."""
    rows = []
    for raw in csv.DictReader(io.StringIO(text)):
        row = {k: _typed(k, v) for k, v in raw.items()}
        row["tags"] = row["tags"].split(" ") if row.get("tags") else []
        rows.append(row)
    return rows


def _frame_or_rows(rows, columns, as_frame):
    """A pandas DataFrame of rows when pandas is there (as_frame None) or
    asked for (True); else the list of dicts."""
    pd = _optional("pandas") if as_frame is not False else None
    if as_frame and pd is None:
        raise ImportError("results(as_frame=True) needs pandas")
    if pd is None:
        return rows
    return pd.DataFrame(rows, columns=columns)


# ---- the client ---------------------------------------------------------------------

class Client:
    """A connection to one daemon.

    server: its URL (default: $LMNTK_SERVER, else http://127.0.0.1:8080);
    token: a user or admin token (default: $LMNTK_TOKEN; reads need none
    unless the daemon runs with read_auth = token); timeout: seconds per
    request.
    """

    def __init__(self, server=None, token=None, timeout=30.0):
        self.server = (server or os.environ.get("LMNTK_SERVER") or DEFAULT_SERVER).rstrip("/")
        self.token = token if token is not None else os.environ.get("LMNTK_TOKEN") or None
        self.timeout = timeout

    def __repr__(self):
        return f"lmntk.Client({self.server!r}, token={'set' if self.token else 'none'})"

    # -- HTTP ------------------------------------------------------------------------

    def request(self, method, path, query=None, body=None, raw=False):
        """One API call: the parsed JSON answer (None for 204), or the bytes
        with raw=True.  query: a dict (None values left out); body: a dict
        sent as JSON.  Raises an LmntkError subclass on 4xx/5xx."""
        url = self.server + path
        if query:
            q = {k: v for k, v in query.items() if v is not None}
            if q:
                url += "?" + urllib.parse.urlencode(q)
        data = None
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as res:
                payload = res.read()
                status, rheaders = res.status, res.headers
        except urllib.error.HTTPError as e:
            raise _error_of(e.code, e.read(), method, url, e.headers) from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise ServerError(None, "unreachable", None, f"cannot reach {self.server}: {reason}", method, url) from None
        if raw:
            return payload
        if status == 204 or not payload:
            return None
        if "json" not in (rheaders.get("Content-Type") or ""):
            return payload.decode("utf-8")
        return json.loads(payload.decode("utf-8"))

    # -- experiments ---------------------------------------------------------------------

    def submit(self, spec):
        """Submits an experiment spec: a dict, a path to a JSON file, or JSON
        text.  Returns the queued Experiment.  A spec the daemon refuses
        raises BadRequest naming the field (e.field, e.detail)."""
        if isinstance(spec, (str, os.PathLike)) and not str(spec).lstrip().startswith("{"):
            with open(spec, "r", encoding="utf-8") as f:
                spec = json.load(f)
        elif isinstance(spec, str):
            spec = json.loads(spec)
        o = self.request("POST", "/v1/experiments", body=spec)
        return Experiment(self, o["id"], None)

    def experiment(self, id):
        """The Experiment of an id, or of its first 8 or more characters."""
        return Experiment(self, id, None).refresh()

    def list(self, task=None, model=None, state=None, tag=None, q=None, sort=None, order=None, page_size=200):
        """Iterates over every experiment the filters select, page by page
        (GET /v1/experiments, following next_cursor to the end), as
        Experiment objects holding the runs table's summary (metrics
        included); their full view is fetched when first needed.

        task, model ("default": specs that name none), tag; state: one or a
        list ("running,queued" or ["running", "queued"]); q: text in the
        name or the start of an id; sort: created, updated, finished, name,
        state, task, model, kernel_test, finetune_test, zero_shot_test or
        verdict; order: "asc" or "desc"."""
        query = self._filters(task, model, state, tag, q, sort, order)
        query["limit"] = page_size
        while True:
            page = self.request("GET", "/v1/experiments", query=query)
            for summary in page["experiments"]:
                yield Experiment(self, summary["id"], summary)
            if not page.get("next_cursor"):
                return
            query["cursor"] = page["next_cursor"]

    def count(self, task=None, model=None, state=None, tag=None, q=None):
        """How many experiments the filters select (one request)."""
        query = self._filters(task, model, state, tag, q, None, None)
        query["limit"] = 1
        return self.request("GET", "/v1/experiments", query=query)["total"]

    def results(self, task=None, model=None, state=None, tag=None, q=None, sort=None, order=None, as_frame=None):
        """The export of every experiment the filters select (as list()):
        one row per (experiment, method, seed) with the selected
        hyper-parameters, dev, test, zero-shot and the fine-tuning
        diagnostics.  A pandas DataFrame when pandas is importable (or
        as_frame=True), else a list of dicts."""
        return self._export(self._filters(task, model, state, tag, q, sort, order), as_frame)

    def workers(self):
        """The workers the daemon has heard from: {"workers": [{name, host,
        mem_limit_bytes, first_seen, last_heartbeat, alive, job}], "alive",
        "queued_jobs"}."""
        return self.request("GET", "/v1/workers")

    def models(self):
        """The registered model names (and pre-training checkpoints)."""
        return [m["name"] for m in self.request("GET", "/v1/models")["models"]]

    def tasks(self):
        """GET /v1/tasks: the tasks and the names of every choice of a spec."""
        return self.request("GET", "/v1/tasks")

    def health(self):
        """GET /healthz: {status, version, runner, uptime_seconds}."""
        return self.request("GET", "/healthz")

    # -- helpers ------------------------------------------------------------------------

    @staticmethod
    def _filters(task, model, state, tag, q, sort, order):
        if isinstance(state, (list, tuple, set)):
            state = ",".join(state)
        return {"task": task, "model": model, "state": state, "tag": tag, "q": q, "sort": sort, "order": order}

    def _export(self, query, as_frame):
        text = self.request("GET", "/v1/experiments.csv", query=query, raw=True).decode("utf-8")
        columns = next(csv.reader(io.StringIO(text)), [])
        return _frame_or_rows(_rows_of_csv(text), columns, as_frame)


# ---- one experiment ---------------------------------------------------------------------

def _slug(method):
    """A method as artifact paths write it: "kernel:sgd" -> "kernel-sgd"."""
    return method.replace(":", "-")


class Experiment:
    """One experiment of a daemon.  Its fields are those of GET
    /v1/experiments/{id} (`data`), read through the properties below;
    refresh() reads them again."""

    def __init__(self, client, id, data):
        self.client = client
        self.id = id
        self._data = data
        self._full = False

    def __repr__(self):
        d = self._data or {}
        name = f" {d.get('name')!r}" if d.get("name") else ""
        return f"<lmntk.Experiment {self.id[:8]}{name} {d.get('state', '?')}>"

    # -- state -------------------------------------------------------------------------

    def refresh(self):
        """Reads the experiment again (GET /v1/experiments/{id}); returns self."""
        self._data = self.client.request("GET", f"/v1/experiments/{self.id}")
        self.id = self._data["id"]  # a prefix becomes the full id
        self._full = True
        return self

    @property
    def data(self):
        """The experiment's JSON as the daemon last sent it (the full view)."""
        if not self._full:
            self.refresh()
        return self._data

    def _get(self, key):
        if self._data is None or key not in self._data:
            self.refresh()
        return self._data.get(key)

    name = property(lambda self: self._get("name"), doc="its name (None when it has none)")
    state = property(lambda self: self._get("state"), doc="queued, running, succeeded, failed or cancelled")
    task = property(lambda self: self._get("task"), doc="its task (None for pre-training)")
    model = property(lambda self: self._get("model"), doc="its model (None: the built-in default)")
    tags = property(lambda self: self._get("tags"), doc="its tags")
    owner = property(lambda self: self._get("owner"), doc="the user who submitted it")
    progress = property(lambda self: self._get("progress"), doc="the fraction of its work done, 0 to 1")
    metrics = property(lambda self: self._get("metrics"), doc="the runs table's headline (best kernel, fine-tuning, zero-shot, verdict)")
    error = property(lambda self: self._get("error"), doc="why it failed")
    result = property(lambda self: self.data.get("result"), doc="the aggregate result (result.json) once it succeeded, else None")
    partial_result = property(lambda self: self.data.get("partial_result"), doc="while seeds remain: the finished seeds' aggregate")
    diagnostics = property(lambda self: self.data.get("diagnostics"), doc="the fine-tuning diagnostics per method and seed")
    spec = property(lambda self: self.data.get("spec"), doc="the spec as stored")

    @property
    def done(self):
        """True once it succeeded, failed or was cancelled (reads it again)."""
        return self.refresh()._data["state"] in TERMINAL_STATES

    # -- waiting -----------------------------------------------------------------------

    def wait(self, progress=True, timeout=None, interval=1.0, raise_on_failure=True, file=None):
        """Polls until the experiment succeeded, failed or was cancelled;
        returns self.  progress: a text bar on stderr (file: elsewhere),
        redrawn in place in a terminal or a notebook, a line per change
        otherwise.  Raises ExperimentFailed when it failed or was cancelled
        (raise_on_failure=False returns it instead), WaitTimeout after
        timeout seconds."""
        bar = _ProgressBar(file or sys.stderr) if progress else None
        start = time.monotonic()
        while True:
            self.refresh()
            if bar:
                bar.draw(self._data, time.monotonic() - start)
            state = self._data["state"]
            if state in TERMINAL_STATES:
                break
            if timeout is not None and time.monotonic() - start > timeout:
                if bar:
                    bar.close()
                e = WaitTimeout(None, "timeout", None, f"experiment {self.id} is still {state} after {timeout:g} s")
                e.experiment = self
                raise e
            time.sleep(interval)
        if bar:
            bar.close()
        if state != "succeeded" and raise_on_failure:
            e = ExperimentFailed(None, state, None, f"experiment {self.id} {state}: {self._data.get('error') or 'no reason given'}")
            e.experiment = self
            raise e
        return self

    # -- results and artifacts -------------------------------------------------------------

    def results(self, as_frame=None):
        """One row per (method, seed), as GET /v1/experiments.csv exports it:
        the experiment's columns, then model, method, label, seed, from, dev,
        test, zero_shot_dev, zero_shot_test, the selected hyper-parameters
        and the fine-tuning diagnostics (None where they do not apply).
        While seeds remain, the finished seeds' rows.  A pandas DataFrame
        when pandas is importable (or as_frame=True), else a list of dicts."""
        return self.client._export({"id": self.id}, as_frame)

    def files(self):
        """Every artifact, described: [{name, file, path, url, job, seed,
        method, label, model, bytes, dtype, shape}] (path is what
        download() and the URL take)."""
        return self.refresh()._data["files"]

    def download(self, path, dest=None):
        """The artifact at path ("seed42/kernel-sgd/kernel-train.npy",
        "result.json", ...) as bytes, or written to the file dest (returns
        dest then)."""
        quoted = urllib.parse.quote(path, safe="/")
        data = self.client.request("GET", f"/v1/experiments/{self.id}/artifacts/{quoted}", raw=True)
        if dest is None:
            return data
        with open(dest, "wb") as f:
            f.write(data)
        return dest

    def artifact(self, seed, method, name, model=None):
        """The file name of the job of (seed, method) - and model, in a
        checkpoint sweep - e.g. artifact(42, "kernel:sgd", "kernel-train.npy").
        A .npy file is a numpy array when numpy is importable; anything
        else, and .npy without numpy, is bytes.  Kernels are float64 of
        shape (n, C, n, C)."""
        path = f"seed{int(seed)}/{_slug(method)}/{name}"
        if model:
            path = f"{model}/{path}"
        data = self.download(path)
        np = _optional("numpy") if name.endswith(".npy") else None
        if np is None:
            return data
        return np.load(io.BytesIO(data), allow_pickle=False)

    # -- changes ------------------------------------------------------------------------

    def rename(self, name):
        """Gives it a name (None removes it); returns self."""
        return self._patch({"name": name})

    def tag(self, *tags):
        """Adds tags ("paper", "k=16"; letters, digits and ._:+@=-); returns self."""
        return self._patch({"add_tags": list(tags)})

    def untag(self, *tags):
        """Removes tags (ones it does not have are fine); returns self."""
        return self._patch({"remove_tags": list(tags)})

    def rerun(self):
        """Submits its spec again; returns the new Experiment (rerun_of: this one)."""
        o = self.client.request("POST", f"/v1/experiments/{self.id}/rerun")
        return Experiment(self.client, o["id"], None)

    def cancel(self):
        """Cancels it (queued jobs at once, running ones at their next
        heartbeat); returns self.  A finished one raises Conflict."""
        self.client.request("DELETE", f"/v1/experiments/{self.id}")
        return self.refresh()

    def delete(self):
        """Deletes a finished experiment with its artifacts, for good.  A
        queued or running one raises Conflict: cancel() it first."""
        self.client.request("DELETE", f"/v1/experiments/{self.id}", query={"purge": "true"})
        self._data = dict(self._data or {}, state="deleted")
        self._full = False

    def _patch(self, body):
        self._data = self.client.request("PATCH", f"/v1/experiments/{self.id}", body=body)
        self._full = False  # the reply is the summary
        return self


# ---- the progress bar ---------------------------------------------------------------------

class _ProgressBar:
    """A one-line bar: redrawn in place ('\\r') where the output shows that
    (a terminal, a notebook), else a line whenever the text changes."""

    WIDTH = 30

    def __init__(self, out):
        self.out = out
        in_notebook = "ipykernel" in sys.modules
        self.inline = in_notebook or (hasattr(out, "isatty") and out.isatty())
        self.last = None
        self.drawn = False

    def draw(self, x, elapsed):
        f = min(max(float(x.get("progress") or 0), 0.0), 1.0)
        fill = int(f * self.WIDTH)
        counts = x.get("jobs_by_state") or {}
        finished = sum(counts.get(s, 0) for s in TERMINAL_STATES)
        running = [j for j in x.get("jobs") or [] if j.get("state") == "running"]
        now = ""
        if running:
            j = running[0]
            now = f" {j.get('label') or j.get('method')} seed {j.get('seed')}"
            if j.get("stage"):
                now += f" ({j['stage']})"
        text = (f"{x['id'][:8]} [{'#' * fill}{'-' * (self.WIDTH - fill)}] {100 * f:5.1f}% "
                f"{finished}/{x.get('n_jobs', '?')} jobs {x['state']}{now}")
        if self.inline:
            self.out.write("\r" + text.ljust(len(self.last or "")) + f" {elapsed:4.0f}s")
            self.drawn = True
        elif text != self.last:
            self.out.write(text + f" {elapsed:.0f}s\n")
        self.last = text
        self.out.flush()

    def close(self):
        if self.inline and self.drawn:
            self.out.write("\n")
            self.out.flush()
