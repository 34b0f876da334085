"""test_python_client.py - clients/python/lmntk.py against a live lmntkd with a
real lmntk-worker (it_python_client.sh starts them): a real experiment
submitted from a spec file, waited for with the progress bar, its results
as rows (a DataFrame with pandas, a list of dicts without), a kernel as a
numpy array of the listed shape (bytes without numpy), list and search
over pages, tags, rename, re-run, cancel, delete, workers, and the errors
a researcher meets (a bad spec, an unknown id, a bad token, a live
experiment deleted, a daemon that is not there).

Environment: LMNTK_SERVER, LMNTK_TOKEN (a user token), LMNTK_TEST_MODEL,
LMNTK_TEST_DATA (the split folder under the worker's data root),
LMNTK_TEST_WORKER (the worker's name)."""

import contextlib
import io
import json
import os
import sys
import tempfile
import unittest

import lmntk

MODEL = os.environ["LMNTK_TEST_MODEL"]
SPEC = {"name": "py-client", "task": "SST-2", "data": os.environ["LMNTK_TEST_DATA"], "k": 4, "seeds": [13, 42],
        "model": MODEL, "max_length": 64, "kernel": {"formula": ["sgd"]}, "solver": {"name": "lstsq"},
        "finetune": [{"optimizer": "sgd", "lr": 0.001, "batch_size": 4, "steps": 4}]}


@contextlib.contextmanager
def hidden(module):
    """The module cannot be imported inside (as on a machine without it)."""
    saved = sys.modules.get(module)
    sys.modules[module] = None
    try:
        yield
    finally:
        if saved is None:
            del sys.modules[module]
        else:
            sys.modules[module] = saved


class LiveDaemon(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = lmntk.Client()  # LMNTK_SERVER, LMNTK_TOKEN
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(SPEC, f)
        try:
            cls.x = cls.c.submit(f.name)  # a spec file, as `lmntk run` takes
        finally:
            os.unlink(f.name)
        cls.bar = io.StringIO()
        cls.x.wait(progress=True, timeout=120, interval=0.2, file=cls.bar)

    # -- submit and wait ---------------------------------------------------------------

    def test_wait_drew_progress_to_the_end(self):
        lines = self.bar.getvalue().splitlines()
        self.assertGreaterEqual(len(lines), 2, lines)
        self.assertIn("100.0%", lines[-1])
        self.assertIn("4/4 jobs succeeded", lines[-1])
        self.assertTrue(all(line.startswith(self.x.id[:8] + " [") for line in lines), lines)

    def test_wait_on_a_terminal_redraws_in_place(self):
        class Tty(io.StringIO):
            def isatty(self):
                return True
        out = Tty()
        self.x.wait(file=out)  # finished: one frame, then the line ends
        text = out.getvalue()
        self.assertTrue(text.startswith("\r" + self.x.id[:8]) and text.endswith("\n"), repr(text))
        self.assertIn("100.0% 4/4 jobs succeeded", text)

    def test_experiment_succeeded_with_its_result(self):
        x = self.c.experiment(self.x.id[:8])  # a prefix names it
        self.assertEqual(x.id, self.x.id)
        self.assertEqual(x.state, "succeeded")
        self.assertEqual(x.model, MODEL)
        self.assertEqual(x.result["metric"], "acc")
        self.assertEqual(len(x.diagnostics), 2)  # one fine-tuning job per seed
        self.assertIsNotNone(x.metrics["kernel"]["test"]["mean"])
        self.assertTrue(x.done)

    def test_submit_dict_and_json_text(self):
        a = self.c.submit(dict(SPEC, name="py-dict"))
        b = self.c.submit(json.dumps(dict(SPEC, name="py-text")))
        try:
            self.assertEqual((a.name, b.name), ("py-dict", "py-text"))
        finally:
            for e in (a, b):
                e.cancel()

    # -- results --------------------------------------------------------------------

    def expected_rows(self):
        """(method, seed) -> test of the result's summary, as the daemon aggregated it."""
        out = {}
        for m in self.x.result["summary"]:
            for s in m["seeds"]:
                out[(m["method"], s["seed"])] = s["test"]
        return out

    def test_results_without_pandas_are_dicts(self):
        with hidden("pandas"):
            rows = self.x.results()
        self.assertIsInstance(rows, list)
        want = self.expected_rows()
        self.assertEqual(len(rows), len(want))
        for r in rows:
            self.assertEqual(r["experiment_id"], self.x.id)
            self.assertEqual(r["task"], "SST-2")
            self.assertIsInstance(r["seed"], int)
            self.assertAlmostEqual(r["test"], want[(r["method"], r["seed"])], places=12)
        ft = [r for r in rows if r["method"] == "finetune:0"]
        self.assertEqual(sorted(r["seed"] for r in ft), [13, 42])
        self.assertTrue(all(isinstance(r["lr"], float) and r["batch_size"] == 4 for r in ft), ft)
        self.assertTrue(all(isinstance(r["kernel_behavior"], bool) or r["kernel_behavior"] is None for r in ft), ft)
        self.assertTrue(all(r["verdict"] for r in ft), ft)
        k = [r for r in rows if r["method"] == "kernel:sgd"]
        self.assertTrue(all(r["solver"] == "lstsq" and r["lr"] is None for r in k), k)

    def test_results_with_pandas_are_a_frame(self):
        import pandas as pd
        df = self.x.results()
        self.assertIsInstance(df, pd.DataFrame)
        want = self.expected_rows()
        self.assertEqual(len(df), len(want))
        self.assertEqual(list(df.columns[:3]), ["experiment_id", "experiment_name", "task"])
        got = {(m, int(s)): t for m, s, t in zip(df["method"], df["seed"], df["test"])}
        self.assertEqual(got.keys(), want.keys())
        for key, test in want.items():
            self.assertAlmostEqual(got[key], test, places=12)
        mean = df[df.method == "kernel:sgd"]["test"].mean()
        self.assertAlmostEqual(mean, self.x.metrics["kernel"]["test"]["mean"], places=12)

    def test_results_of_a_search(self):
        with hidden("pandas"):
            rows = self.c.results(q="py-client", state="succeeded")
        self.assertTrue(rows and all(r["experiment_id"] == self.x.id for r in rows), rows[:2])

    # -- artifacts -------------------------------------------------------------------

    def test_kernel_as_numpy_array(self):
        import numpy as np
        files = {f["path"]: f for f in self.x.files()}
        listed = files["seed13/kernel-sgd/kernel-train.npy"]
        K = self.x.artifact(13, "kernel:sgd", "kernel-train.npy")
        self.assertIsInstance(K, np.ndarray)
        self.assertEqual(K.dtype, np.float64)
        self.assertEqual(list(K.shape), listed["shape"])
        self.assertEqual(K.shape, (8, 2, 8, 2))  # (n, C, n, C), n = 2k
        # a train kernel is symmetric in its (example, class) pairs
        # (gradient products in float32: equal to float32's precision)
        self.assertTrue(np.allclose(K, K.transpose(2, 3, 0, 1), rtol=1e-5, atol=1e-6 * np.abs(K).max()))
        self.assertGreater(np.abs(K).max(), 0)
        logits = self.x.artifact(42, "finetune:0", "test-logits.npy")
        self.assertEqual(list(logits.shape), files["seed42/finetune-0/test-logits.npy"]["shape"])

    def test_artifact_without_numpy_is_bytes(self):
        with hidden("numpy"):
            raw = self.x.artifact(13, "kernel-sgd", "kernel-train.npy")
        self.assertIsInstance(raw, bytes)
        self.assertTrue(raw.startswith(b"\x93NUMPY"))
        self.assertEqual(len(raw), {f["path"]: f for f in self.x.files()}["seed13/kernel-sgd/kernel-train.npy"]["bytes"])
        result = json.loads(self.x.download("result.json"))
        self.assertEqual(result["summary"], self.x.result["summary"])

    def test_download_to_a_file(self):
        with tempfile.TemporaryDirectory() as d:
            path = self.x.download("seed42/kernel-sgd/kernel-train.npy", os.path.join(d, "K.npy"))
            import numpy as np
            self.assertEqual(np.load(path).shape, (8, 2, 8, 2))

    # -- list and search -----------------------------------------------------------------

    def test_list_every_page(self):
        extra = [self.c.submit(dict(SPEC, name=f"py-page-{i}")) for i in range(3)]
        try:
            every = list(self.c.list(page_size=2))  # several pages, by their cursors
            self.assertEqual(len(every), self.c.count())
            self.assertEqual(len({e.id for e in every}), len(every))
            pages = [e.id for e in self.c.list(q="py-page", page_size=1)]
            self.assertEqual(sorted(pages), sorted(e.id for e in extra))
            queued = list(self.c.list(state=["queued", "running"], q="py-page"))
            self.assertEqual(len(queued), 3)
        finally:
            for e in extra:
                e.cancel()

    def test_search_filters_and_sort(self):
        found = list(self.c.list(task="SST-2", model=MODEL, q="py-client", state="succeeded"))
        self.assertEqual([e.id for e in found], [self.x.id])
        e = found[0]
        self.assertEqual(e.metrics, self.x.metrics)  # the summary carries the headline
        by_kernel = list(self.c.list(sort="kernel_test", order="desc", state="succeeded"))
        self.assertEqual(by_kernel[0].metrics["kernel"]["test"]["mean"],
                         max(x.metrics["kernel"]["test"]["mean"] for x in by_kernel if x.metrics))
        self.assertEqual(list(self.c.list(task="SST-2", model="no-such-model")), [])

    # -- changes -----------------------------------------------------------------------

    def test_tag_untag_rename(self):
        y = self.c.submit(dict(SPEC, name="py-tags"))
        try:
            y.tag("paper", "k=4")
            self.assertEqual(y.tags, ["k=4", "paper"])
            self.assertEqual([e.id for e in self.c.list(tag="paper")], [y.id])
            y.untag("k=4", "never-there")
            self.assertEqual(y.tags, ["paper"])
            y.rename("py renamed")
            self.assertEqual(self.c.experiment(y.id).name, "py renamed")
            self.assertEqual([e.id for e in self.c.list(q="PY RENAMED")], [y.id])
            y.rename(None)
            self.assertIsNone(y.name)
        finally:
            y.cancel()

    def test_rerun_cancel_delete(self):
        r = self.x.rerun()
        self.assertEqual(r.data["rerun_of"], self.x.id)
        self.assertEqual(r.spec, self.x.spec)
        with self.assertRaises(lmntk.Conflict) as e:
            r.delete()  # queued or running: cancel first
        self.assertEqual(e.exception.status, 409)
        self.assertIn("cancel it first", e.exception.detail)
        r.cancel()
        self.assertEqual(r.state, "cancelled")
        with self.assertRaises(lmntk.ExperimentFailed) as e:
            r.wait(progress=False)
        self.assertIs(e.exception.experiment, r)
        self.assertEqual(r.wait(progress=False, raise_on_failure=False).state, "cancelled")
        r.delete()
        with self.assertRaises(lmntk.NotFound):
            self.c.experiment(r.id)
        with self.assertRaises(lmntk.Conflict):
            self.x.cancel()  # it succeeded

    def test_wait_timeout(self):
        y = self.c.submit(dict(SPEC, name="py-timeout"))
        try:
            with self.assertRaises(lmntk.WaitTimeout) as e:
                y.wait(progress=False, timeout=0, interval=0.01)
            self.assertIsInstance(e.exception, TimeoutError)
        finally:
            y.cancel()

    def test_workers(self):
        w = self.c.workers()
        mine = [x for x in w["workers"] if x["name"] == os.environ["LMNTK_TEST_WORKER"]]
        self.assertEqual(len(mine), 1, w)
        self.assertTrue(mine[0]["alive"])
        self.assertGreaterEqual(w["alive"], 1)
        self.assertIn(MODEL, self.c.models())
        self.assertEqual(self.c.health()["status"], "ok")

    # -- errors ------------------------------------------------------------------------

    def test_a_bad_spec_names_its_field(self):
        with self.assertRaises(lmntk.BadRequest) as e:
            self.c.submit(dict(SPEC, k="four"))
        self.assertEqual((e.exception.status, e.exception.error, e.exception.field), (400, "invalid_spec", "k"))
        self.assertIn("(k)", str(e.exception))
        with self.assertRaises(lmntk.BadRequest) as e:
            self.c.submit(dict(SPEC, data="/etc"))  # admission: outside the data root
        self.assertEqual(e.exception.field, "data")

    def test_unknown_ids_and_filters(self):
        with self.assertRaises(lmntk.NotFound) as e:
            self.c.experiment("00000000-0000-4000-8000-000000000000")
        self.assertEqual((e.exception.error, e.exception.field), ("not_found", "id"))
        with self.assertRaises(lmntk.NotFound):
            self.x.artifact(99, "kernel:sgd", "kernel-train.npy")
        with self.assertRaises(lmntk.BadRequest) as e:
            list(self.c.list(sort="colour"))
        self.assertEqual(e.exception.field, "sort")

    def test_tokens(self):
        with self.assertRaises(lmntk.Unauthorized) as e:
            lmntk.Client(token="not-a-token").submit(SPEC)
        self.assertEqual(e.exception.error, "unauthorized")
        with self.assertRaises(lmntk.Unauthorized):
            lmntk.Client(token="").submit(SPEC)  # none where one is needed
        reader = lmntk.Client(token="")  # reads are open on this daemon
        self.assertEqual(reader.experiment(self.x.id).state, "succeeded")

    def test_a_daemon_that_is_not_there(self):
        with self.assertRaises(lmntk.ServerError) as e:
            lmntk.Client("http://127.0.0.1:9", timeout=5).health()
        self.assertEqual(e.exception.error, "unreachable")


if __name__ == "__main__":
    unittest.main()
