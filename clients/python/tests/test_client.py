"""The client against a running server (MODELLAB_URL), standard library only: every method once,
with the server's answers checked, and refusals raised as ModelLabError."""
import csv
import os
import tempfile
import unittest

from modellab import ModelLab, ModelLabError

URL = os.environ.get("MODELLAB_URL", "http://127.0.0.1:3000")


class ClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lab = ModelLab(URL, token=os.environ.get("MODELLAB_TOKEN"))
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_health(self):
        self.assertEqual(self.lab.health()["status"], "ok")

    def test_runs_metrics_and_search(self):
        run = self.lab.create_run("py-run", hyperparameters={"lr": 0.01, "optimizer": {"name": "adam"}}, seed=7, tags={"src": "python"})
        self.assertEqual((run["name"], run["seed"], run["hyperparameters"]["lr"]), ("py-run", 7, 0.01))
        for step, loss in enumerate([0.9, 0.5, 0.3]):
            self.lab.log_metrics(run["id"], {"loss": loss, "acc": 1 - loss}, step=step)
        history = self.lab.metric_history(run["id"], "loss")
        self.assertEqual([(p["step"], p["value"]) for p in history], [(0, 0.9), (1, 0.5), (2, 0.3)])
        updated = self.lab.update_run(run["id"], status="running", tags={"stage": "train"})
        self.assertEqual(updated["status"], "running")
        self.assertEqual(updated["tags"], {"src": "python", "stage": "train"})
        self.assertAlmostEqual(self.lab.get_run(run["id"])["metrics"]["acc"], 0.7)
        found = self.lab.search_runs(filter="tags.src = 'python' and metrics.acc > 0.6")
        self.assertIn(run["id"], [r["id"] for r in found["items"]])

    def test_evaluate_and_compare(self):
        labels = ["cat", "dog"] * 20
        runs = []
        for wrong in (4, 10):
            run = self.lab.create_run(f"py-eval-{wrong}")
            predictions = [("dog" if y == "cat" else "cat") if i < wrong else y for i, y in enumerate(labels)]
            result = self.lab.evaluate(run["id"], predictions, labels, task_type="classification", bootstrap={"resamples": 200, "seed": 1})
            self.assertAlmostEqual(result["metrics"]["metrics"]["accuracy"]["value"], 1 - wrong / 40)
            runs.append(run["id"])
        compared = self.lab.compare(runs)
        self.assertEqual([r["id"] for r in compared["runs"]], runs)
        self.assertIn("accuracy", [m["name"] for m in compared["metrics"]])
        self.assertIsNotNone(self.lab.evaluation(runs[0])["metrics"])

    def test_numpy_arrays_when_numpy_is_there(self):
        try:
            import numpy as np
        except ImportError:
            self.skipTest("numpy is optional")
        run = self.lab.create_run("py-numpy")
        result = self.lab.evaluate(run["id"], np.array([0.1, 0.9, 0.8, 0.3]), np.array([0, 1, 1, 0]), bootstrap={"resamples": 50})
        self.assertEqual(result["metrics"]["metrics"]["accuracy"]["value"], 1.0)

    def test_latency(self):
        run = self.lab.create_run("py-latency")
        stored = self.lab.log_latency(run["id"], [5, 6, 7, 8, 9], duration_ms=1000)
        self.assertEqual(stored["count"], 5)
        self.assertEqual(self.lab.get_run(run["id"])["latency"]["p50"], 7)

    def test_datasets_and_artifacts(self):
        path = os.path.join(self.tmp.name, "people.csv")
        with open(path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["age", "label"])
            writer.writerows([[31, 1], [42, 0], [27, 1]])
        dataset = self.lab.upload_dataset(path, name="py-people", tags=["demo"])
        self.assertEqual((dataset["name"], dataset["rowCount"], dataset["columnCount"]), ("py-people", 3, 2))
        self.assertEqual(self.lab.get_dataset(dataset["id"])["tags"], ["demo"])

        run = self.lab.create_run("py-artifacts", datasetId=dataset["id"])
        weights = os.path.join(self.tmp.name, "model.pt")
        with open(weights, "wb") as f:
            f.write(os.urandom(3 * 1024 * 1024 + 17))  # more than one read chunk
        artifact = self.lab.upload_artifact(run["id"], weights, artifact_path="epoch-1/model.pt")
        self.assertEqual(artifact["path"], "checkpoints/epoch-1/model.pt")
        self.assertEqual([a["path"] for a in self.lab.list_artifacts(run["id"])], ["checkpoints/epoch-1/model.pt"])
        back = self.lab.download_artifact(run["id"], "checkpoints/epoch-1/model.pt", self.tmp.name + os.sep)
        with open(weights, "rb") as a, open(back, "rb") as b:
            self.assertEqual(a.read(), b.read())
        with self.assertRaises(ModelLabError) as refused:
            self.lab.upload_artifact(run["id"], weights, artifact_path="epoch-1/model.pt")
        self.assertEqual((refused.exception.status, refused.exception.code), (409, "conflict"))
        self.lab.upload_artifact(run["id"], weights, artifact_path="epoch-1/model.pt", overwrite=True)

    def test_errors_carry_the_servers_status_code_and_message(self):
        with self.assertRaises(ModelLabError) as missing:
            self.lab.get_run("0" * 32)
        self.assertEqual((missing.exception.status, missing.exception.code), (404, "not_found"))
        self.assertIn("does not exist", missing.exception.message)
        with self.assertRaises(ModelLabError) as bad:
            self.lab.create_run("")
        self.assertEqual((bad.exception.status, bad.exception.code), (400, "invalid_request"))
        with self.assertRaises(ModelLabError) as unreachable:
            ModelLab("http://127.0.0.1:9", timeout=5).health()
        self.assertEqual((unreachable.exception.status, unreachable.exception.code), (0, "network_error"))


if __name__ == "__main__":
    unittest.main()
