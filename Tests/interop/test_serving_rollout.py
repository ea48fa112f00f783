"""Rollouts and rate limits on serving endpoints, with models logged by the real `mlflow` client:
a version whose predictions fail is rolled back automatically while load runs, and every request
returns to the old version; a good version reaches 100% (through `ingot endpoints rollout --wait`)
and the old entity is gone; cancel returns traffic at once; a restart mid-rollout rolls it back;
rate limits answer 429 REQUEST_LIMIT_EXCEEDED with Retry-After on both scoring protocols."""
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
import uuid

import mlflow
import pandas as pd
import pytest
import requests

from ingot_harness import ingot_binary
from test_serving import API, invoke, server, uniq, wait_done  # noqa: F401  (server is a fixture)

pytestmark = pytest.mark.timeout(300)

ROLLOUT = "/api/2.0/ingot/serving-endpoints/{}/rollout"

MODEL = textwrap.dedent('''
    import mlflow


    class Scaled(mlflow.pyfunc.PythonModel):
        """Answers a * {scale}; with failing set, raises on every prediction."""

        def predict(self, context, model_input, params=None):
            if {failing}:
                raise RuntimeError("this version is broken")
            return (model_input["a"].astype(float) * {scale}).tolist()


    mlflow.models.set_model(Scaled())
''')

BODY = {"dataframe_split": {"columns": ["a"], "data": [[2.0]]}}


def log_version(name, tmp, scale, failing=False):
    code = tmp / f"scaled_{uuid.uuid4().hex[:6]}.py"
    code.write_text(MODEL.format(scale=scale, failing=failing))
    sig = mlflow.models.infer_signature(pd.DataFrame({"a": [1.0]}), [1.0])
    with mlflow.start_run():
        # Explicit requirements: mlflow would otherwise load the model in a subprocess to infer them (seconds per version).
        info = mlflow.pyfunc.log_model(
            name="model", python_model=str(code), signature=sig, registered_model_name=name, pip_requirements=["mlflow"])
    return int(info.registered_model_version)


@pytest.fixture(scope="module")
def versions(server, tmp_path_factory):
    """Version 1 answers 2a, version 2 answers 3a, version 3 always fails."""
    tmp = tmp_path_factory.mktemp("rollout")
    name = uniq("scaled")
    log_version(name, tmp, 2.0)
    log_version(name, tmp, 3.0)
    log_version(name, tmp, 1.0, failing=True)
    return name


class Load:
    """Sends scoring requests from a few threads until stopped; records (entity, status) answers."""

    def __init__(self, server, endpoint, threads=3):
        self.url = f"{server.url}/serving-endpoints/{endpoint}/invocations"
        self.stop_event = threading.Event()
        self.answers = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(threads)]

    def run(self):
        session = requests.Session()
        while not self.stop_event.is_set():
            try:
                r = session.post(self.url, json=BODY, timeout=10)
                with self.lock:
                    self.answers.append((r.headers.get("served-model-name"), r.status_code))
            except requests.RequestException:
                pass
            time.sleep(0.005)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        for t in self.threads:
            t.join(timeout=15)


def rollout(server, endpoint):
    r = requests.get(server.url + ROLLOUT.format(endpoint))
    assert r.status_code == 200, r.text
    return r.json()["rollout"]


def wait_rollout(server, endpoint, timeout=90):
    deadline = time.time() + timeout
    while time.time() < deadline:
        ro = rollout(server, endpoint)
        if ro["state"] not in ("LOADING", "BAKING"):
            return ro
        time.sleep(0.1)
    raise AssertionError(f"rollout still running: {ro}")


def routes(ep):
    return {r["served_entity_name"]: r["traffic_percentage"] for r in ep["config"]["traffic_config"]["routes"]}


def test_bad_version_rolls_back_then_good_version_reaches_100(server, versions):
    ep = uniq("roll")
    r = requests.post(server.url + API, json={"name": ep, "config": {"served_entities": [{"entity_name": versions, "entity_version": "1"}]}})
    assert r.status_code == 200, r.text
    assert wait_done(server, ep)["state"]["ready"] == "READY"
    base = f"{versions}-1"

    # A version whose predictions all fail: rolled back during the first step's bake.
    spec = {
        "served_entity": {"entity_version": "3"}, "strategy": "canary", "steps": [30, 60, 100], "bake_seconds": 3,
        "min_requests": 5, "max_error_rate": 0.2,
    }
    with Load(server, ep) as load:
        r = requests.post(server.url + ROLLOUT.format(ep), json=spec)
        assert r.status_code == 200, r.text
        assert r.json()["rollout"]["state"] == "LOADING"
        conflict = requests.put(f"{server.url}{API}/{ep}/config", json={"served_entities": [{"entity_name": versions, "entity_version": "2"}]})
        assert conflict.status_code == 409, conflict.text
        done = wait_rollout(server, ep)
    assert done["state"] == "ROLLED_BACK", done
    assert "error rate" in done["reason"] and done["traffic_percentage"] == 0, done
    first = done["steps"][0]
    assert first["state"] == "FAILED" and first["traffic_percentage"] == 30
    assert first["requests"] >= 5 and first["errors"] >= 5 and first["error_rate"] > 0.2, first
    # Tripped within the bake window, not at its end or later.
    assert first["end_time"] - first["start_time"] < 3000, first
    assert [s["state"] for s in done["steps"][1:]] == ["SKIPPED", "SKIPPED"]
    # The broken version's failures reached clients (400, as MLflow answers a model that raises) until the rollback.
    assert any(status == 400 for _, status in load.answers), "the new version never took traffic"
    assert all(status in (200, 400) for _, status in load.answers), set(load.answers)

    endpoint = requests.get(f"{server.url}{API}/{ep}").json()
    assert routes(endpoint) == {base: 100}
    assert [e["name"] for e in endpoint["config"]["served_entities"]] == [base]
    assert endpoint["state"]["config_update"] == "UPDATE_FAILED" and "rolled back" in endpoint["state"]["config_update_message"]
    assert "pending_config" not in endpoint
    assert endpoint["rollout"]["id"] == done["id"] and len(endpoint["rollout_history"]) == 1
    answers = [invoke(server, ep, BODY) for _ in range(30)]
    assert all(a.status_code == 200 and a.headers["served-model-name"] == base and a.json() == {"predictions": [4.0]} for a in answers)

    # A good version through the CLI: every step passes, the new entity carries 100%, the old one is gone.
    # The p99 gate is on but loose (100x): one scheduler stall on a busy 2-core machine is ~20x a 10 ms baseline.
    env = dict(os.environ, INGOT_SERVER=server.url)
    with Load(server, ep):
        out = subprocess.run(
            [ingot_binary(), "endpoints", "rollout", ep, "--version", "2", "--strategy", "canary", "--steps", "25,60,100", "--bake", "1s",
             "--min-requests", "5", "--max-p99-ratio", "100", "--wait", "--output", "json"],
            env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    good = json.loads(out.stdout)
    assert good["state"] == "SUCCEEDED" and good["traffic_percentage"] == 100, good
    assert [s["state"] for s in good["steps"]] == ["PASSED"] * 3
    assert [s["traffic_percentage"] for s in good["steps"]] == [25, 60, 100]
    assert all(s["requests"] >= 5 and s["errors"] == 0 for s in good["steps"]), good["steps"]
    assert "step 3: 100% PASSED" in out.stderr, out.stderr

    endpoint = requests.get(f"{server.url}{API}/{ep}").json()
    assert endpoint["state"]["config_update"] == "NOT_UPDATING"
    assert routes(endpoint) == {f"{versions}-2": 100}
    assert [e["name"] for e in endpoint["config"]["served_entities"]] == [f"{versions}-2"]
    assert [h["state"] for h in endpoint["rollout_history"]] == ["SUCCEEDED", "ROLLED_BACK"]
    answers = [invoke(server, ep, BODY) for _ in range(20)]
    assert all(a.headers["served-model-name"] == f"{versions}-2" and a.json() == {"predictions": [6.0]} for a in answers)

    status = subprocess.run([ingot_binary(), "endpoints", "rollout", "status", ep], env=env, capture_output=True, text=True)
    assert status.returncode == 0 and "SUCCEEDED" in status.stdout, status.stderr


def test_cancel_returns_traffic_and_validation(server, versions):
    ep = uniq("cancel")
    requests.post(server.url + API, json={"name": ep, "config": {"served_entities": [{"entity_name": versions, "entity_version": "1"}]}})
    wait_done(server, ep)
    for bad, word in (({"served_entity": {"entity_version": "2"}, "steps": [50, 20]}, "increasing"),
                      ({"served_entity": {"entity_version": "2"}, "strategy": "sideways"}, "strategy"),
                      ({"served_entity": {"entity_version": "1"}}, "already used"),
                      ({"served_entity": {"entity_version": "99"}}, "")):
        r = requests.post(server.url + ROLLOUT.format(ep), json=bad)
        assert r.status_code in (400, 404) and word in r.json()["message"], r.text
    r = requests.post(server.url + ROLLOUT.format(ep) + "/cancel")
    assert r.status_code == 400, r.text

    r = requests.post(server.url + ROLLOUT.format(ep), json={"served_entity": {"entity_version": "2"}, "strategy": "linear", "step_count": 2,
                                                            "bake_seconds": 60})
    assert r.status_code == 200, r.text
    assert [s["traffic_percentage"] for s in r.json()["rollout"]["steps"]] == [50, 100]
    deadline = time.time() + 60
    while rollout(server, ep)["state"] != "BAKING" and time.time() < deadline:
        time.sleep(0.1)
    r = requests.post(server.url + ROLLOUT.format(ep) + "/cancel")
    assert r.status_code == 200 and r.json()["rollout"]["state"] == "CANCELED", r.text
    endpoint = requests.get(f"{server.url}{API}/{ep}").json()
    assert routes(endpoint) == {f"{versions}-1": 100} and endpoint["state"]["config_update"] == "UPDATE_CANCELED"
    assert endpoint["rollout"]["steps"][0]["state"] == "ABORTED"
    assert all(invoke(server, ep, BODY).headers["served-model-name"] == f"{versions}-1" for _ in range(10))


def test_restart_mid_rollout_rolls_back(start_ingot, tmp_path, server):
    data_dir = str(tmp_path / "data")
    env = {"INGOT_SERVING_PYTHON": sys.executable}
    first = start_ingot(env=env, data_dir=data_dir)
    mlflow.set_tracking_uri(first.url)
    mlflow.set_registry_uri(first.url)
    try:
        name = uniq("restart")
        log_version(name, tmp_path, 2.0)
        log_version(name, tmp_path, 3.0)
    finally:
        mlflow.set_tracking_uri(server.url)
        mlflow.set_registry_uri(server.url)
    requests.post(first.url + API, json={"name": "steady", "config": {"served_entities": [{"entity_name": name, "entity_version": "1"}]}})
    wait_done(first, "steady")
    r = requests.post(first.url + ROLLOUT.format("steady"), json={"served_entity": {"entity_version": "2"}, "steps": [50], "bake_seconds": 600})
    assert r.status_code == 200, r.text
    deadline = time.time() + 60
    while rollout(first, "steady")["state"] != "BAKING" and time.time() < deadline:
        time.sleep(0.1)
    first.stop()

    second = start_ingot(env=env, data_dir=data_dir)
    ro = rollout(second, "steady")
    assert ro["state"] == "ROLLED_BACK" and "restarted" in ro["reason"], ro
    assert ro["steps"][0]["state"] == "ABORTED"
    deadline = time.time() + 60
    while time.time() < deadline and requests.get(f"{second.url}{API}/steady").json()["state"]["ready"] != "READY":
        time.sleep(0.2)
    endpoint = requests.get(f"{second.url}{API}/steady").json()
    assert routes(endpoint) == {f"{name}-1": 100} and endpoint["state"]["config_update"] == "UPDATE_FAILED"
    assert invoke(second, "steady", BODY).json() == {"predictions": [4.0]}


def test_rate_limits(server, versions):
    ep = uniq("limited")
    r = requests.post(server.url + API, json={
        "name": ep, "config": {"served_entities": [{"entity_name": versions, "entity_version": "1"}]},
        "rate_limits": [{"calls": 5, "renewal_period": "minute", "key": "endpoint"}]})
    assert r.status_code == 200, r.text
    wait_done(server, ep)
    assert requests.get(f"{server.url}{API}/{ep}").json()["rate_limits"] == [{"calls": 5, "key": "endpoint", "renewal_period": "minute"}]

    # One keep-alive connection: a refused call (its body unread) leaves the connection usable.
    session = requests.Session()
    url = f"{server.url}/serving-endpoints/{ep}/invocations"
    answers = [session.post(url, json=BODY) for _ in range(8)]
    assert [a.status_code for a in answers] == [200] * 5 + [429] * 3
    refused = answers[-1]
    assert refused.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED" and "5 calls per minute" in refused.json()["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    v2 = requests.post(f"{server.url}/v2/models/{ep}/infer", json={"inputs": [{"name": "a", "shape": [1], "datatype": "FP64", "data": [2.0]}]})
    assert v2.status_code == 429 and v2.headers.get("Retry-After"), v2.text

    # Per user: the caller's principal has its own bucket; PUT replaces the list.
    r = requests.put(f"{server.url}{API}/{ep}/rate-limits", json={"rate_limits": [{"calls": 2, "renewal_period": "minute", "key": "user"}]})
    assert r.status_code == 200 and r.json() == {"rate_limits": [{"calls": 2, "key": "user", "renewal_period": "minute"}]}, r.text
    assert [session.post(url, json=BODY).status_code for _ in range(4)] == [200, 200, 429, 429]
    bad = requests.put(f"{server.url}{API}/{ep}/rate-limits", json={"rate_limits": [{"calls": 0, "key": "user"}]})
    assert bad.status_code == 400 and bad.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    # The AI gateway shape sets the same limits; its other parts are refused.
    r = requests.put(f"{server.url}{API}/{ep}/ai-gateway", json={"rate_limits": [{"calls": 7, "key": "endpoint", "renewal_period": "minute"}]})
    assert r.status_code == 200 and r.json()["rate_limits"][0]["calls"] == 7, r.text
    r = requests.put(f"{server.url}{API}/{ep}/ai-gateway", json={"guardrails": {"input": {"pii": {"behavior": "BLOCK"}}}})
    assert r.status_code == 400 and "guardrails" in r.json()["message"], r.text
    r = requests.put(f"{server.url}{API}/{ep}/rate-limits", json={"rate_limits": []})
    assert r.status_code == 200
    assert "rate_limits" not in requests.get(f"{server.url}{API}/{ep}").json()
    assert all(session.post(url, json=BODY).status_code == 200 for _ in range(10))
    metrics = requests.get(server.url + "/metrics").text
    lines = [l for l in metrics.splitlines() if l.startswith("ingot_serving_rate_limited_total") and f'endpoint="{ep}"' in l]
    assert any('key="endpoint"' in l and l.endswith(" 4") for l in lines) and any('key="user"' in l and l.endswith(" 2") for l in lines), lines
