"""Model serving: models logged and registered with the real `mlflow` client, served by `ingot serve`
(Databricks serving-endpoints API, MLflow scoring formats, Open Inference V2), through the Python
pyfunc worker path; routing (90/10 split, sticky keys, shadows), config updates, faults and bad input;
and a differential test against `mlflow models serve` for the same registered model."""
import concurrent.futures
import io
import json
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid

import mlflow
import numpy as np
import pandas as pd
import pytest
import requests
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ingot_harness import IngotServer, free_port, ingot_binary, output_dir

VENV_BIN = pathlib.Path(sys.executable).parent
API = "/api/2.0/serving-endpoints"
REQUEST_TIMEOUT = 10

CUSTOM_MODEL = textwrap.dedent('''
    import os
    import time
    import mlflow
    import pandas as pd


    class Affine(mlflow.pyfunc.PythonModel):
        """Answers a * SCALE + b + params['shift']; SCALE comes from the environment (default 1)."""

        def load_context(self, context):
            if os.environ.get("INGOT_TEST_BROKEN") == "1" or {broken}:
                raise RuntimeError("this model refuses to load")
            self.scale = float(os.environ.get("SCALE", "{scale}"))

        def predict(self, context, model_input, params=None):
            shift = (params or {{}}).get("shift", 0.0)
            delay = (params or {{}}).get("sleep", 0.0)
            if delay:
                time.sleep(delay)
            a = model_input["a"].astype(float).fillna(-1.0)
            return (a * self.scale + model_input["b"] + shift).tolist()


    mlflow.models.set_model(Affine())
''')


def uniq(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
def server():
    with tempfile.TemporaryDirectory(prefix="ingot-serving-") as data_dir:
        env = {
            "INGOT_SERVING_PYTHON": sys.executable,
            "INGOT_SERVING_REQUEST_TIMEOUT_SECONDS": str(REQUEST_TIMEOUT),
            "INGOT_SERVING_ALIAS_POLL_SECONDS": "1",
            "INGOT_SERVING_MAX_QUEUE": "256",
        }
        srv = IngotServer(data_dir, env=env, name="serving")
        mlflow.set_tracking_uri(srv.url)
        mlflow.set_registry_uri(srv.url)
        yield srv
        mlflow.set_tracking_uri(None)
        mlflow.set_registry_uri(None)
        srv.stop()


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True, as_frame=True)
    return X, y


@pytest.fixture(scope="module")
def sklearn_model(server, iris):
    X, y = iris
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=300)).fit(X, y)
    name = uniq("iris")
    with mlflow.start_run():
        mlflow.sklearn.log_model(model, name="model", input_example=X.head(3), registered_model_name=name)
    return name, model


def log_custom(name, scale=1.0, broken=False, tmp=None):
    tmp = pathlib.Path(tmp or tempfile.mkdtemp())
    code = tmp / f"affine_{uuid.uuid4().hex[:6]}.py"
    code.write_text(CUSTOM_MODEL.format(scale=scale, broken=broken))
    example = pd.DataFrame({"a": [1.0, 2.0], "b": [10, 20]})
    sig = mlflow.models.infer_signature(example, [1.0, 2.0], params={"shift": 0.0, "sleep": 0.0})
    with mlflow.start_run():
        info = mlflow.pyfunc.log_model(name="model", python_model=str(code), signature=sig, registered_model_name=name)
    return int(info.registered_model_version)


@pytest.fixture(scope="module")
def custom_model(server, tmp_path_factory):
    """Versions 1 (scale 1), 2 (scale 2), 3 (scale 3), 4 (fails to load)."""
    name = uniq("affine")
    tmp = tmp_path_factory.mktemp("custom")
    for scale in (1.0, 2.0, 3.0):
        log_custom(name, scale=scale, tmp=tmp)
    log_custom(name, broken=True, tmp=tmp)
    return name


def create(server, name, entities, routes=None, wait=True):
    config = {"served_entities": entities}
    if routes is not None:
        config["traffic_config"] = {"routes": routes}
    r = requests.post(server.url + API, json={"name": name, "config": config})
    assert r.status_code == 200, r.text
    return wait_done(server, name) if wait else r.json()


def wait_done(server, name, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        ep = requests.get(f"{server.url}{API}/{name}").json()
        if ep["state"]["config_update"] != "IN_PROGRESS":
            return ep
        time.sleep(0.2)
    raise AssertionError(f"endpoint {name} still updating: {ep}")


def invoke(server, name, body=None, headers=None, data=None, timeout=60):
    return requests.post(f"{server.url}/serving-endpoints/{name}/invocations", json=body, data=data, headers=headers, timeout=timeout)


def worker_pids(data_dir):
    pids = []
    for proc in pathlib.Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(part.endswith(b"serving/worker.py") for part in cmd) and any(data_dir.encode() in part for part in cmd):
            pids.append(int(proc.name))
    return pids


def test_sklearn_model_in_every_scoring_format(server, sklearn_model, iris):
    name, model = sklearn_model
    X, _ = iris
    ep = create(server, uniq("sk"), [{"entity_name": name, "entity_version": "1"}])
    assert ep["state"] == {"ready": "READY", "config_update": "NOT_UPDATING"}
    entity = ep["config"]["served_entities"][0]
    assert entity["state"]["deployment"] == "DEPLOYMENT_READY" and entity["entity_name"] == name
    assert ep["config"]["traffic_config"]["routes"] == [{"served_model_name": entity["name"], "served_entity_name": entity["name"], "traffic_percentage": 100}]
    listed = requests.get(server.url + API).json()["endpoints"]
    assert ep["name"] in [e["name"] for e in listed]

    rows = X.sample(40, random_state=1)
    expected = model.predict(rows).tolist()
    bodies = [
        {"dataframe_split": json.loads(rows.to_json(orient="split"))},
        {"dataframe_records": rows.to_dict(orient="records")},
        {"instances": rows.to_dict(orient="records")},
        {"inputs": {c: rows[c].tolist() for c in rows.columns}},
        {"inputs": rows.values.tolist()},
    ]
    for body in bodies:
        r = invoke(server, ep["name"], body)
        assert r.status_code == 200, (list(body), r.text)
        assert r.headers["served-model-name"] == entity["name"]
        assert r.json() == {"predictions": expected}
    r = invoke(server, ep["name"], data=rows.to_csv(index=False), headers={"Content-Type": "text/csv"})
    assert r.status_code == 200 and r.json() == {"predictions": expected}, r.text

    # Open Inference Protocol V2 over the same endpoint.
    assert requests.get(server.url + "/v2/health/live").json() == {"live": True}
    meta = requests.get(f"{server.url}/v2/models/{ep['name']}").json()
    assert [i["name"] for i in meta["inputs"]] == list(X.columns) and meta["inputs"][0]["datatype"] == "FP64"
    assert requests.get(f"{server.url}/v2/models/{ep['name']}/versions/1/ready").json()["ready"] is True
    infer = {"id": "req-1", "inputs": [{"name": c, "shape": [len(rows)], "datatype": "FP64", "data": rows[c].tolist()} for c in rows.columns]}
    out = requests.post(f"{server.url}/v2/models/{ep['name']}/infer", json=infer).json()
    assert out["model_name"] == ep["name"] and out["model_version"] == "1" and out["id"] == "req-1"
    assert out["outputs"][0]["name"] == "predictions" and out["outputs"][0]["shape"] == [40] and out["outputs"][0]["data"] == expected
    matrix = {"inputs": [{"name": "x", "shape": [40, 4], "datatype": "FP64", "data": rows.values.tolist()}]}
    assert requests.post(f"{server.url}/v2/models/{ep['name']}/versions/1/infer", json=matrix).json()["outputs"][0]["data"] == expected
    assert requests.get(f"{server.url}/v2/models/{ep['name']}/versions/9").status_code == 404


def test_bad_input_gets_4xx(server, sklearn_model, custom_model, iris):
    name, _ = sklearn_model
    X, _ = iris
    ep = create(server, uniq("bad"), [{"entity_name": name, "entity_version": "1"}])["name"]
    row = X.head(2)
    cases = [
        {"dataframe_records": [{"nope": 1.0}]},  # wrong columns
        {"dataframe_records": [dict(row.iloc[0], **{"sepal length (cm)": "oops"})]},  # a string in a double column
        {"dataframe_split": {"columns": list(row.columns)}},  # no data
        {"dataframe_records": row.to_dict(orient="records"), "instances": [[1, 2, 3, 4]]},  # two formats
        {"instances": [[1.0, 2.0]]},  # wrong width
    ]
    for body in cases:
        r = invoke(server, ep, body)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["error_code"] in ("BAD_REQUEST", "INVALID_PARAMETER_VALUE") and r.json()["message"]
    r = invoke(server, ep, data=b'{"dataframe_split": {', headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "Malformed JSON" in r.json()["message"]
    r = invoke(server, ep, data=b"a,b\n1", headers={"Content-Type": "text/csv"})
    assert r.status_code == 400
    big = b'{"instances": [' + b"1.0," * (25 * 1024 * 1024) + b"1.0]}"
    r = invoke(server, ep, data=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413, r.text[:200]
    # The same without a Content-Length (chunked): bounded while collected, still a 413.
    chunks = (b'{"instances": [' if i == 0 else b"1.0," * (1024 * 1024) for i in range(26))
    try:
        r = invoke(server, ep, data=chunks, headers={"Content-Type": "application/json"})
        assert r.status_code == 413, r.text[:200]
    except requests.ConnectionError:
        pass  # the server may close the connection once the limit is passed; it must stay up
    assert requests.get(server.url + "/health").status_code == 200
    assert invoke(server, "no-such-endpoint", {"instances": [1]}).status_code == 404
    # A null in a double column is a missing value (NaN), not a schema violation.
    cm = create(server, uniq("nan"), [{"entity_name": custom_model, "entity_version": "1"}])["name"]
    r = invoke(server, cm, {"dataframe_records": [{"a": None, "b": 5}, {"a": 2.5, "b": 1}]})
    assert r.status_code == 200 and r.json() == {"predictions": [4.0, 3.5]}, r.text
    assert requests.get(server.url + "/health").status_code == 200


def test_custom_pyfunc_params_and_environment(server, custom_model):
    ep = create(server, uniq("custom"), [{"entity_name": custom_model, "entity_version": "2", "environment_vars": {"SCALE": "5"}}])["name"]
    body = {"dataframe_split": {"columns": ["a", "b"], "data": [[1.0, 10], [2.0, 20]]}, "params": {"shift": 0.5}}
    assert invoke(server, ep, body).json() == {"predictions": [15.5, 30.5]}


def test_traffic_split_sticky_and_shadow(server, custom_model):
    ep = uniq("split")
    entities = [
        {"name": "one", "entity_name": custom_model, "entity_version": "1"},
        {"name": "two", "entity_name": custom_model, "entity_version": "2"},
        {"name": "shadow", "entity_name": custom_model, "entity_version": "3", "shadow": True},
    ]
    create(server, ep, entities, routes=[{"served_entity_name": "one", "traffic_percentage": 90}, {"served_entity_name": "two", "traffic_percentage": 10}])
    body = {"dataframe_split": {"columns": ["a", "b"], "data": [[1.0, 0]]}}
    answers = {"one": {"predictions": [1.0]}, "two": {"predictions": [2.0]}}

    sessions = threading.local()  # keep-alive per client thread (a new connection per request roughly doubled client time)

    def one(_):
        if not hasattr(sessions, "s"):
            sessions.s = requests.Session()
        r = sessions.s.post(f"{server.url}/serving-endpoints/{ep}/invocations", json=body, timeout=30)
        return r.status_code, r.headers.get("served-model-name"), r.json()

    counts = {}
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        for status, entity, payload in pool.map(one, range(10_000)):
            assert status == 200, payload
            assert entity in answers and payload == answers[entity], (entity, payload)  # never the shadow's 3.0
            counts[entity] = counts.get(entity, 0) + 1
    assert abs(counts["one"] / 10_000 - 0.9) <= 0.02, counts
    stats = {e["name"]: e["stats"] for e in requests.get(f"{server.url}{API}/{ep}").json()["config"]["served_entities"]}
    assert stats["one"]["requests"] == counts["one"] and stats["two"]["errors"] == 0 and stats["one"]["p99_ms"] > 0, stats

    # Sticky: the same key always reaches the same entity; keys spread over both.
    seen = {}
    for k in range(60):
        key = f"user-{k}"
        got = {invoke(server, ep, body, headers={"X-Ingot-Routing-Key": key}).headers["served-model-name"] for _ in range(3)}
        assert len(got) == 1, (key, got)
        seen[key] = got.pop()
    assert set(seen.values()) == {"one", "two"}
    by_id = {invoke(server, ep, dict(body, client_request_id="abc")).headers["served-model-name"] for _ in range(10)}
    assert len(by_id) == 1

    # The shadow got copies (it answered, in metrics) that were never returned.
    deadline = time.time() + 10  # shadow copies are sent in the background: poll instead of a fixed pause
    while True:
        metrics = requests.get(server.url + "/metrics").text
        shadow_lines = [l for l in metrics.splitlines() if l.startswith("ingot_serving_requests_total") and f'endpoint="{ep}"' in l and 'entity="shadow"' in l]
        if (shadow_lines and sum(float(l.rsplit(" ", 1)[1]) for l in shadow_lines) >= 10_000) or time.time() > deadline:
            break
        time.sleep(0.1)
    assert shadow_lines and sum(float(l.rsplit(" ", 1)[1]) for l in shadow_lines) >= 10_000, shadow_lines


def test_config_update_is_atomic_and_conflicts(server, custom_model):
    ep = uniq("upd")
    create(server, ep, [{"name": "v1", "entity_name": custom_model, "entity_version": "1"}])
    body = {"dataframe_split": {"columns": ["a", "b"], "data": [[1.0, 0]]}}
    r = requests.put(f"{server.url}{API}/{ep}/config", json={"served_entities": [{"name": "v3", "entity_name": custom_model, "entity_version": "3"}]})
    assert r.status_code == 200 and r.json()["state"]["config_update"] == "IN_PROGRESS", r.text
    assert r.json()["pending_config"]["served_entities"][0]["name"] == "v3"
    again = requests.put(f"{server.url}{API}/{ep}/config", json={"served_entities": [{"entity_name": custom_model, "entity_version": "2"}]})
    assert again.status_code == 409 and again.json()["error_code"] == "RESOURCE_CONFLICT"
    # The old config keeps answering until the new one carries all traffic.
    while True:
        state = requests.get(f"{server.url}{API}/{ep}").json()
        answer = invoke(server, ep, body)
        assert answer.status_code == 200
        if state["state"]["config_update"] != "IN_PROGRESS":
            break
        assert answer.headers["served-model-name"] in ("v1", "v3")
    assert state["state"] == {"ready": "READY", "config_update": "NOT_UPDATING"} and "pending_config" not in state
    assert invoke(server, ep, body).json() == {"predictions": [3.0]}

    # A version that cannot load: UPDATE_FAILED, and the previous config still serves.
    r = requests.put(f"{server.url}{API}/{ep}/config", json={"served_entities": [{"name": "broken", "entity_name": custom_model, "entity_version": "4"}]})
    assert r.status_code == 200
    failed = wait_done(server, ep)
    assert failed["state"]["config_update"] == "UPDATE_FAILED" and failed["state"]["ready"] == "READY"
    assert "refuses to load" in failed["state"]["config_update_message"]
    assert failed["pending_config"]["served_entities"][0]["state"]["deployment"] == "DEPLOYMENT_FAILED"
    assert invoke(server, ep, body).headers["served-model-name"] == "v3"

    # Validation errors are typed 400s.
    for config, fragment in [
        ({"served_entities": [{"entity_name": custom_model, "entity_version": "1", "name": "a"}, {"entity_name": custom_model, "entity_version": "2", "name": "b"}],
          "traffic_config": {"routes": [{"served_entity_name": "a", "traffic_percentage": 50}, {"served_entity_name": "b", "traffic_percentage": 40}]}}, "sum to 100"),
        ({"served_entities": [{"entity_name": custom_model}]}, "entity_version"),
        ({"served_entities": [{"entity_name": custom_model, "entity_version": "1", "workload_size": "Huge"}]}, "workload_size"),
    ]:
        r = requests.put(f"{server.url}{API}/{ep}/config", json=config)
        assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE" and fragment in r.json()["message"], r.text
    r = requests.post(server.url + API, json={"name": uniq("x"), "config": {"served_entities": [{"entity_name": "no-such-model", "entity_version": "1"}]}})
    assert r.status_code == 404
    assert requests.delete(f"{server.url}{API}/{ep}").status_code == 200
    assert requests.get(f"{server.url}{API}/{ep}").status_code == 404


def test_alias_is_followed(server, custom_model):
    client = mlflow.MlflowClient()
    client.set_registered_model_alias(custom_model, "champion", "1")
    ep = uniq("alias")
    created = create(server, ep, [{"name": "champ", "entity_name": custom_model, "entity_version": "@champion"}])
    assert created["config"]["served_entities"][0]["resolved_version"] == "1"
    body = {"dataframe_split": {"columns": ["a", "b"], "data": [[1.0, 0]]}}
    assert invoke(server, ep, body).json() == {"predictions": [1.0]}
    client.set_registered_model_alias(custom_model, "champion", "2")
    deadline = time.time() + 60
    while time.time() < deadline and invoke(server, ep, body).json() != {"predictions": [2.0]}:
        time.sleep(0.3)
    assert invoke(server, ep, body).json() == {"predictions": [2.0]}
    assert wait_done(server, ep)["config"]["served_entities"][0]["resolved_version"] == "2"


def test_killed_worker_recovers_without_hanging(server, custom_model):
    ep = uniq("kill")
    others = set(worker_pids(server.data_dir))
    create(server, ep, [{"entity_name": custom_model, "entity_version": "1", "min_provisioned_concurrency": 2, "max_provisioned_concurrency": 2}])
    body = {"dataframe_split": {"columns": ["a", "b"], "data": [[1.0, 0]]}, "params": {"sleep": 0.02}}
    mine = set(worker_pids(server.data_dir)) - others
    assert len(mine) == 2, mine

    def one(_):
        start = time.time()
        try:
            r = invoke(server, ep, body, timeout=REQUEST_TIMEOUT + 15)
            return r.status_code, time.time() - start
        except requests.Timeout:
            return "hang", time.time() - start

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        futures = [pool.submit(one, i) for i in range(300)]
        time.sleep(0.5)
        for pid in mine:
            os.kill(pid, signal.SIGKILL)
        results = [f.result() for f in futures]
    statuses = [s for s, _ in results]
    assert "hang" not in statuses
    assert all(s in (200, 429, 503) for s in statuses), statuses
    assert max(t for _, t in results) < REQUEST_TIMEOUT + 10
    assert statuses.count(200) > 200
    # The pool recovered: new workers answer.
    deadline = time.time() + 60
    while time.time() < deadline and invoke(server, ep, body).status_code != 200:
        time.sleep(0.5)
    assert all(invoke(server, ep, body).status_code == 200 for _ in range(10))
    assert not (set(worker_pids(server.data_dir)) & mine)


def test_cli_endpoints_and_models_serve(server, sklearn_model, iris):
    name, model = sklearn_model
    X, _ = iris
    env = dict(os.environ, INGOT_SERVER=server.url)
    ep = uniq("cli")
    out = subprocess.run([ingot_binary(), "endpoints", "create", ep, "--model", name, "--version", "1", "--wait"], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    listed = json.loads(subprocess.run([ingot_binary(), "endpoints", "list", "--output", "json"], env=env, capture_output=True, text=True, check=True).stdout)
    assert ep in [e["name"] for e in listed]
    body = json.dumps({"dataframe_records": X.head(3).to_dict(orient="records")})
    q = subprocess.run([ingot_binary(), "endpoints", "query", ep, "--data", body], env=env, capture_output=True, text=True)
    assert q.returncode == 0 and json.loads(q.stdout) == {"predictions": model.predict(X.head(3)).tolist()}, q.stderr
    bad = subprocess.run([ingot_binary(), "endpoints", "get", "nope"], env=env, capture_output=True, text=True)
    assert bad.returncode != 0 and "RESOURCE_DOES_NOT_EXIST" in bad.stderr
    assert subprocess.run([ingot_binary(), "endpoints", "delete", ep], env=env, capture_output=True).returncode == 0


def launch_scoring_server(cmd, port, env, name):
    log = open(output_dir() / f"{name}-{port}.log", "wb")
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)


def wait_scoring_server(proc, port, name):
    deadline = time.time() + 180
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited: {(output_dir() / f'{name}-{port}.log').read_text()[-2000:]}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/ping", timeout=1).status_code == 200:
                return proc
        except requests.RequestException:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{name} did not start")


def test_differential_against_mlflow_models_serve(server, sklearn_model, iris):
    """The same registered model through `mlflow models serve`, `ingot models serve` and an endpoint."""
    name, model = sklearn_model
    X, _ = iris
    client = mlflow.MlflowClient()
    client.set_registered_model_alias(name, "prod", "1")
    env = dict(os.environ, PATH=f"{VENV_BIN}:{os.environ.get('PATH', '')}", MLFLOW_TRACKING_URI=server.url, INGOT_SERVING_PYTHON=sys.executable)
    mport, iport, rport = free_port(), free_port(), free_port()
    procs = []
    try:
        # The three start at once (each takes seconds), then each must answer /ping.
        starting = [
            ([str(VENV_BIN / "mlflow"), "models", "serve", "-m", f"models:/{name}/1", "--env-manager", "local",
              "-p", str(mport), "--host", "127.0.0.1"], mport, "mlflow-models-serve"),
            ([ingot_binary(), "models", "serve", "-m", f"models:/{name}@prod", "-p", str(iport),
              "--data-dir", server.data_dir], iport, "ingot-models-serve"),
            # Without --data-dir, MLFLOW_TRACKING_URI names the server to download the model from (as mlflow does).
            ([ingot_binary(), "models", "serve", "-m", f"models:/{name}/1", "-p", str(rport)], rport, "ingot-models-serve-rest"),
        ]
        for cmd, port, label in starting:
            procs.append(launch_scoring_server(cmd, port, env, label))
        for proc, (_, port, label) in zip(procs, starting):
            wait_scoring_server(proc, port, label)
        ep = create(server, uniq("diff"), [{"entity_name": name, "entity_version": "1"}])["name"]
        rows = X.sample(60, random_state=7)
        bodies = [
            ("application/json", json.dumps({"dataframe_split": json.loads(rows.to_json(orient="split"))})),
            ("application/json", json.dumps({"dataframe_records": rows.to_dict(orient="records")})),
            ("application/json", json.dumps({"instances": rows.to_dict(orient="records")})),
            ("text/csv", rows.to_csv(index=False)),
            ("application/json", json.dumps({"dataframe_records": [{"nope": 1}]})),
            ("application/json", "{broken"),
        ]
        for ctype, body in bodies:
            answers = []
            for url in (f"http://127.0.0.1:{mport}/invocations", f"http://127.0.0.1:{iport}/invocations", f"{server.url}/serving-endpoints/{ep}/invocations",
                        f"http://127.0.0.1:{rport}/invocations"):
                r = requests.post(url, data=body, headers={"Content-Type": ctype}, timeout=60)
                answers.append((r.status_code, r.json() if r.status_code == 200 else r.json().get("error_code")))
            assert answers[0] == answers[1] == answers[2] == answers[3], (body[:80], answers)
        assert answers[0][0] == 400
        for path in ("/ping", "/health", "/version"):
            assert requests.get(f"http://127.0.0.1:{iport}{path}").status_code == 200
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


@pytest.mark.parametrize("library,kind", [
    ("lightgbm", "binary"), ("lightgbm", "multiclass"), ("lightgbm", "regression"),
    ("xgboost", "binary"), ("xgboost", "multiclass"), ("xgboost", "regression"),
])
def test_native_tree_models_match_the_libraries(server, library, kind):
    """LightGBM / XGBoost models served natively (no Python worker) answer like the libraries."""
    import serving_models

    if library == "lightgbm":
        model, test = serving_models.train_lightgbm(kind)
        big = serving_models._frame(11, 10_000, with_color=kind == "binary")
        tolerance = 1e-9
    else:
        model, test = serving_models.train_xgboost(kind)
        big = serving_models._frame(12, 10_000)
        tolerance = 1e-6
    name = uniq(f"{library}-{kind}")
    with mlflow.start_run():
        uri = serving_models.log(model, input_example=test.head(5))
    version = mlflow.register_model(uri, name).version
    ep = create(server, uniq("native"), [{"entity_name": name, "entity_version": str(version)}])["name"]
    meta = requests.get(f"{server.url}/v2/models/{ep}").json()
    assert meta["platform"].endswith("-native"), meta
    for frame in (test, big):
        want = np.asarray(serving_models.expected(model, frame), dtype=float)
        r = invoke(server, ep, data=json.dumps({"dataframe_split": json.loads(frame.to_json(orient="split"))}),
                   headers={"Content-Type": "application/json"})
        assert r.status_code == 200, r.text[:500]
        got = np.asarray(r.json()["predictions"], dtype=float)
        assert got.shape == want.shape
        assert np.max(np.abs(got - want) / np.maximum(np.abs(want), 1e-12)) <= tolerance or np.allclose(got, want, rtol=tolerance, atol=1e-12)


def test_random_serving_payloads_never_get_5xx(server, custom_model):
    """Seeded garbage at every serving route: 4xx (or 2xx when valid by chance), never 5xx or a crash."""
    import random

    ep = create(server, uniq("fuzz"), [{"entity_name": custom_model, "entity_version": "1"}])["name"]
    rng = random.Random(int(os.environ.get("INGOT_FUZZ_SEED", "8")))
    keys = ["name", "config", "served_entities", "entity_name", "entity_version", "traffic_config", "routes", "traffic_percentage",
            "dataframe_split", "dataframe_records", "instances", "inputs", "columns", "data", "params", "a", "b", "shape", "datatype", "id"]

    def garbage(depth=0):
        options = [None, True, -1, 2**70, 0.5, float("nan"), "", "x" * 300, "@", "../..", custom_model, "1"]
        if depth < 3:
            options += [[garbage(depth + 1) for _ in range(rng.randrange(4))], {rng.choice(keys): garbage(depth + 1) for _ in range(rng.randrange(4))}]
        return rng.choice(options)

    routes = [("POST", API), ("PUT", f"{API}/{ep}/config"), ("POST", f"/serving-endpoints/{ep}/invocations"),
              ("POST", f"/v2/models/{ep}/infer"), ("POST", f"/v2/models/{ep}/versions/1/infer"), ("GET", f"/v2/models/{ep}")]
    bad = []
    for i in range(400):
        method, path = rng.choice(routes)
        payload = {rng.choice(keys): garbage() for _ in range(rng.randrange(5))}
        body = json.dumps(payload, allow_nan=True) if rng.random() < 0.9 else os.urandom(rng.randrange(64))
        r = requests.request(method, server.url + path, data=body, headers={"Content-Type": "application/json"}, timeout=30)
        # 503 is an honest answer while a fuzzed config update is loading; nothing else may be 5xx.
        if r.status_code >= 500 and r.status_code != 503:
            bad.append((method, path, payload, r.status_code, r.text[:200]))
        elif r.status_code >= 400:
            assert r.json().get("error_code"), r.text[:200]
    assert not bad, bad[:3]
    assert server.proc.poll() is None and requests.get(server.url + "/health").status_code == 200


def test_overload_timeout_and_scale_to_zero(start_ingot, tmp_path, server):
    """A second server with a tiny queue, a 2 s request timeout and a 2 s idle unload."""
    small = start_ingot(env={
        "INGOT_SERVING_PYTHON": sys.executable, "INGOT_SERVING_MAX_QUEUE": "2", "INGOT_SERVING_REQUEST_TIMEOUT_SECONDS": "2",
        "INGOT_SERVING_SCALE_TO_ZERO_IDLE_SECONDS": "2",
    })
    mlflow.set_tracking_uri(small.url)
    mlflow.set_registry_uri(small.url)
    try:
        name = uniq("small")
        log_custom(name, tmp=tmp_path)
    finally:
        mlflow.set_tracking_uri(server.url)
        mlflow.set_registry_uri(server.url)
    ep = create(small, "tiny", [{"entity_name": name, "entity_version": "1", "max_provisioned_concurrency": 1}])["name"]

    def slow(_):
        body = {"dataframe_split": {"columns": ["a", "b"], "data": [[1.0, 0]]}, "params": {"sleep": 0.5}}
        r = invoke(small, ep, body, timeout=30)
        return r.status_code, r.json().get("error_code")

    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        results = list(pool.map(slow, range(10)))
    assert (429, "REQUEST_LIMIT_EXCEEDED") in results and (200, None) in results, results
    assert all(status in (200, 429, 503) for status, _ in results), results

    # A request that runs past the timeout answers 503 in about that time; the pool recovers.
    start = time.time()
    r = invoke(small, ep, {"dataframe_split": {"columns": ["a", "b"], "data": [[1.0, 0]]}, "params": {"sleep": 10.0}})
    assert r.status_code == 503 and time.time() - start < 6, (r.status_code, time.time() - start)
    deadline = time.time() + 30
    while time.time() < deadline and invoke(small, ep, {"dataframe_split": {"columns": ["a", "b"], "data": [[1.0, 0]]}}).status_code != 200:
        time.sleep(0.3)
    assert invoke(small, ep, {"dataframe_split": {"columns": ["a", "b"], "data": [[1.0, 0]]}}).json() == {"predictions": [1.0]}

    # Scale to zero: idle workers go away; the next request loads the model again (a cold start).
    z = create(small, "zero", [{"entity_name": name, "entity_version": "1", "scale_to_zero_enabled": True}])["name"]
    assert invoke(small, z, {"dataframe_split": {"columns": ["a", "b"], "data": [[2.0, 0]]}}).json() == {"predictions": [2.0]}
    workers_before = len(worker_pids(small.data_dir))
    deadline = time.time() + 20
    while time.time() < deadline and len(worker_pids(small.data_dir)) >= workers_before:
        time.sleep(0.3)
    assert len(worker_pids(small.data_dir)) < workers_before
    assert requests.get(f"{small.url}{API}/{z}").json()["state"]["ready"] == "READY"
    assert invoke(small, z, {"dataframe_split": {"columns": ["a", "b"], "data": [[2.0, 0]]}}).json() == {"predictions": [2.0]}
    metrics = requests.get(small.url + "/metrics").text
    assert any(l.startswith("ingot_serving_cold_starts_total") and 'endpoint="zero"' in l for l in metrics.splitlines())


def test_endpoints_survive_a_restart(start_ingot, tmp_path, server):
    """Endpoints are stored: after a restart on the same data directory they load again and answer."""
    data_dir = str(tmp_path / "data")
    env = {"INGOT_SERVING_PYTHON": sys.executable}
    first = start_ingot(env=env, data_dir=data_dir)
    mlflow.set_tracking_uri(first.url)
    mlflow.set_registry_uri(first.url)
    try:
        name = uniq("restart")
        log_custom(name, scale=2.0, tmp=tmp_path)
    finally:
        mlflow.set_tracking_uri(server.url)
        mlflow.set_registry_uri(server.url)
    create(first, "kept", [{"entity_name": name, "entity_version": "1"}])
    body = {"dataframe_split": {"columns": ["a", "b"], "data": [[1.0, 1]]}}
    assert invoke(first, "kept", body).json() == {"predictions": [3.0]}
    first.stop()
    assert not worker_pids(data_dir), "workers outlived the server"
    second = start_ingot(env=env, data_dir=data_dir)
    deadline = time.time() + 60
    while time.time() < deadline and requests.get(f"{second.url}{API}/kept").json()["state"]["ready"] != "READY":
        time.sleep(0.2)
    assert invoke(second, "kept", body).json() == {"predictions": [3.0]}


TENSOR_MODEL = textwrap.dedent('''
    import mlflow
    import numpy as np


    class RowSum(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return np.asarray(model_input, dtype=float).sum(axis=1)


    mlflow.models.set_model(RowSum())
''')


def test_tensor_signature_model(server, tmp_path):
    """A pyfunc with a tensor (numpy) signature gets positional rows as an array, as in MLflow."""
    code = tmp_path / "rowsum.py"
    code.write_text(TENSOR_MODEL)
    sig = mlflow.models.infer_signature(np.zeros((2, 3)), np.zeros(2))
    name = uniq("tensor")
    with mlflow.start_run():
        mlflow.pyfunc.log_model(name="model", python_model=str(code), signature=sig, registered_model_name=name)
    ep = create(server, uniq("tensor"), [{"entity_name": name, "entity_version": "1"}])["name"]
    for body in ({"inputs": [[1, 2, 3], [4, 5, 6.5]]}, {"instances": [[1, 2, 3], [4, 5, 6.5]]}):
        r = invoke(server, ep, body)
        assert r.status_code == 200 and r.json() == {"predictions": [6.0, 15.5]}, r.text


def _metric(server, name, **labels):
    """The value of one Prometheus sample on /metrics (0 when absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in requests.get(server.url + "/metrics").text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_fast_lane_answers_like_the_router(server):
    """Small scoring requests to a native model are answered below the router (the fast lane); a
    query string sends the same request through the router. Both must give the same status, body
    and headers, and book the same stats, metrics and order on one connection."""
    import socket

    import serving_models

    model, test = serving_models.train_lightgbm("binary", rounds=5)
    name = uniq("lane-model")
    with mlflow.start_run():
        uri = serving_models.log(model, input_example=test.head(5))
    version = mlflow.register_model(uri, name).version
    ep = create(server, uniq("lane"), [{"entity_name": name, "entity_version": str(version)}])["name"]
    row = test.head(1)
    split = json.loads(row.to_json(orient="split"))
    split["data"][0][0] = None  # a missing value in a float column is NaN, as in MLflow
    bodies = [
        {"dataframe_split": split},
        {"dataframe_records": json.loads(row.to_json(orient="records"))},
        {"dataframe_split": json.loads(test.head(3).to_json(orient="split")), "client_request_id": "c-1"},
        {"dataframe_split": {"columns": list(row.columns), "data": [["text"] * len(row.columns)]}},  # wrong type: 400
        {"dataframe_split": {"columns": ["nope"], "data": [[1.0]]}},  # missing inputs: 400
    ]
    base = f"{server.url}/serving-endpoints/{ep}/invocations"
    before = _metric(server, "ingot_serving_requests_total", endpoint=ep, status="200")
    sent = 0
    for body in bodies:
        data = json.dumps(body)
        lane = requests.post(base, data=data, headers={"Content-Type": "application/json", "X-Request-Id": "same-id"})
        router = requests.post(base + "?via=router", data=data, headers={"Content-Type": "application/json", "X-Request-Id": "same-id"})
        sent += 2
        assert lane.status_code == router.status_code, (lane.text, router.text)
        assert lane.content == router.content
        skip = {"date"}
        assert {k.lower(): v for k, v in lane.headers.items() if k.lower() not in skip} == \
            {k.lower(): v for k, v in router.headers.items() if k.lower() not in skip}, (lane.headers, router.headers)
        assert "date" in {k.lower() for k in lane.headers}
    assert _metric(server, "ingot_serving_requests_total", endpoint=ep, status="200") - before == 6
    stats = requests.get(f"{server.url}/api/2.0/ingot/serving-endpoints/{ep}/stats?seconds=60&step=60").json()
    assert sum(p["requests"] for p in stats["total"]) == sent
    assert sum(p["errors"] for p in stats["total"]) == 4
    assert sum(p["requests"] for points in stats["entities"].values() for p in points) == 6

    # HTTP/1.1 pipelining: a scoring request behind one the router answers is answered after it.
    data = json.dumps(bodies[0]).encode()
    scoring = (f"POST /serving-endpoints/{ep}/invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(data)}\r\n\r\n").encode() + data
    slow = b"GET /api/2.0/serving-endpoints HTTP/1.1\r\nHost: x\r\n\r\n"
    host, port = server.url.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(slow + scoring + scoring)
        answers, buf = [], b""
        while len(answers) < 3:
            chunk = s.recv(65536)
            assert chunk, f"connection closed after {len(answers)} answers"
            buf += chunk
            while b"\r\n\r\n" in buf:
                head, rest = buf.split(b"\r\n\r\n", 1)
                length = int(next(l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")))
                if len(rest) < length:
                    break
                answers.append(json.loads(rest[:length]))
                buf = rest[length:]
    assert "endpoints" in answers[0]
    assert answers[1] == answers[2] and "predictions" in answers[1]
