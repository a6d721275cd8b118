"""ModelLab's REST API from Python, with the standard library only (numpy arrays are accepted where
lists are, without importing numpy).

    from modellab import ModelLab
    lab = ModelLab("http://127.0.0.1:3000", token=None)
    run = lab.create_run("resnet-lr0.01", hyperparameters={"lr": 0.01}, seed=42)
    lab.log_metrics(run["id"], {"loss": 0.42, "acc": 0.88}, step=1)
    lab.evaluate(run["id"], predictions, labels, task_type="classification")

Every method answers the API's JSON as Python values (a run is the API's run, a dict). A refused
request raises ModelLabError with the server's status, code and message.
"""
import json
import mimetypes
import os
import uuid
import urllib.error
import urllib.parse
import urllib.request

API = "/api/modellab"
CHUNK = 1024 * 1024


class ModelLabError(Exception):
    """A request the server refused (or could not be made): status (0 when none), code, message, details."""

    def __init__(self, status, code, message, details=None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def _plain(value):
    """Lists, dicts and numbers as JSON takes them: numpy arrays and scalars by their tolist()/item()."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class ModelLab:
    """A ModelLab server. `token`: a personal access token (users mode) or the server's API token (token mode)."""

    def __init__(self, url="http://127.0.0.1:3000", token=None, timeout=300):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    # ------------------------------------------------------------------ plumbing

    def _headers(self, extra=None):
        headers = {"Accept": "application/json", "User-Agent": "modellab-python/0.1.0"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        headers.update(extra or {})
        return headers

    def _send(self, method, path, body=None, headers=None, query=None, raw=False):
        url = self.url + API + path
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        request = urllib.request.Request(url, data=body, method=method, headers=self._headers(headers))
        try:
            response = urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as error:
            text = error.read().decode("utf-8", "replace")
            try:
                payload = json.loads(text)["error"]
                raise ModelLabError(error.code, payload.get("code", "http_error"), payload.get("message", text), payload.get("details")) from None
            except (ValueError, KeyError, TypeError):
                raise ModelLabError(error.code, "http_error", text or error.reason) from None
        except urllib.error.URLError as error:
            raise ModelLabError(0, "network_error", f"cannot reach {self.url}: {error.reason}") from None
        if raw:
            return response
        with response:
            data = response.read()
        return json.loads(data) if data else None

    def _json(self, method, path, payload=None, query=None):
        body = None if payload is None else json.dumps(_plain(payload), allow_nan=False).encode()
        return self._send(method, path, body, {"Content-Type": "application/json"} if body is not None else None, query)

    def _multipart(self, path, file_path, fields, query=None):
        """Uploads a file as multipart/form-data, streamed from disk (memory holds a chunk)."""
        boundary = uuid.uuid4().hex
        head = b""
        for name, value in fields.items():
            if value is not None:
                head += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        filename = os.path.basename(file_path).replace('"', "_")
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        head += f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        size = os.path.getsize(file_path)

        def body():
            yield head
            with open(file_path, "rb") as f:
                while True:
                    chunk = f.read(CHUNK)
                    if not chunk:
                        break
                    yield chunk
            yield tail

        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Content-Length": str(len(head) + size + len(tail))}
        return self._send("POST", path, body(), headers, query)

    @staticmethod
    def _id(value):
        return urllib.parse.quote(str(value), safe="")

    # ------------------------------------------------------------------ the server

    def health(self):
        return self._json("GET", "/health")

    # ------------------------------------------------------------------ datasets

    def upload_dataset(self, path, name=None, description="", tags=None, expected_schema=None):
        """Uploads a CSV, TSV, JSON or JSON Lines file as a new version (or the identical latest one)."""
        fields = {"name": name, "description": description or None, "tags": json.dumps(list(tags)) if tags else None, "expectedSchema": json.dumps(expected_schema) if expected_schema else None}
        return self._multipart("/datasets", path, fields)

    def get_dataset(self, dataset_id):
        return self._json("GET", f"/datasets/{self._id(dataset_id)}")

    # ------------------------------------------------------------------ runs

    def create_run(self, name, **fields):
        """Fields as the API names them: experimentId, description, status, datasetId, hyperparameters, config, seed, gitCommit, tags, notes, metrics."""
        return self._json("POST", "/runs", {"name": name, **fields})

    def update_run(self, run_id, **fields):
        return self._json("PUT", f"/runs/{self._id(run_id)}", fields)

    def get_run(self, run_id):
        return self._json("GET", f"/runs/{self._id(run_id)}")

    def delete_run(self, run_id):
        self._json("DELETE", f"/runs/{self._id(run_id)}")

    def search_runs(self, filter=None, sort=None, experiment_id=None, status=None, limit=50, offset=0):
        return self._json("GET", "/runs", query={"filter": filter, "sort": sort, "experimentId": experiment_id, "status": status, "limit": limit, "offset": offset})

    def log_metrics(self, run_id, metrics, step=None, timestamp=None):
        """Logs {key: value} at one step (the next step of each key when None); timestamp in ms (now when None)."""
        points = []
        for key, value in metrics.items():
            point = {"key": key, "value": _plain(value)}
            if step is not None:
                point["step"] = int(step)
            if timestamp is not None:
                point["timestamp"] = int(timestamp)
            points.append(point)
        return self._json("POST", f"/runs/{self._id(run_id)}/metrics", {"metrics": points})

    def metric_history(self, run_id, key, max_points=1000):
        return self._json("GET", f"/runs/{self._id(run_id)}/metrics/{self._id(key)}", query={"maxPoints": max_points})["points"]

    # ------------------------------------------------------------------ evaluation, latency, compare

    def evaluate(self, run_id, predictions, labels, data=None, task_type="classification", classes=None, **config):
        """predictions: labels, scores (binary) or one row of probabilities per example; lists or numpy arrays.
        Other config as the API names it: positiveClass, predictionType, sliceAttributes, bootstrap={...}."""
        body = {"predictions": predictions, "labels": labels, "config": {"taskType": task_type, **config}}
        if classes is not None:
            body["config"]["classes"] = classes
        if data is not None:
            body["data"] = data
        return self._json("POST", f"/runs/{self._id(run_id)}/evaluate", body)

    def evaluation(self, run_id):
        return self._json("GET", f"/runs/{self._id(run_id)}/evaluation")

    def log_latency(self, run_id, samples_ms, duration_ms=None, **config):
        body = {"samplesMs": samples_ms}
        if duration_ms is not None:
            body["durationMs"] = duration_ms
        if config:
            body["config"] = config
        return self._json("POST", f"/runs/{self._id(run_id)}/latency", body)

    def compare(self, run_ids):
        """Runs side by side: metrics with CIs, significance tests against the first, config differences."""
        return self._json("GET", "/compare", query={"runs": ",".join(run_ids)})

    # ------------------------------------------------------------------ artifacts

    def upload_artifact(self, run_id, path, category=None, artifact_path=None, overwrite=False):
        """category: checkpoints, plots, evaluations, reports or other (from the extension when None)."""
        return self._multipart(f"/artifacts/{self._id(run_id)}", path, {"category": category, "path": artifact_path}, query={"overwrite": "true"} if overwrite else None)

    def list_artifacts(self, run_id):
        return self._json("GET", f"/artifacts/{self._id(run_id)}")["items"]

    def download_artifact(self, run_id, artifact_path, dest):
        """Saves `<category>/<path>` of the run to `dest` (a file, or a folder to put it in); returns the file's path."""
        if os.path.isdir(dest):
            dest = os.path.join(dest, os.path.basename(artifact_path))
        quoted = "/".join(urllib.parse.quote(part, safe="") for part in artifact_path.split("/"))
        response = self._send("GET", f"/artifacts/{self._id(run_id)}/download/{quoted}", raw=True)
        with response, open(dest, "wb") as out:
            while True:
                chunk = response.read(CHUNK)
                if not chunk:
                    break
                out.write(chunk)
        return dest
