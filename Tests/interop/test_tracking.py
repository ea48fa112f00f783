"""Tracking: the real `mlflow` client against `ingot serve` (and, in the differential test, against
a real `mlflow server` loaded with the same data)."""
import concurrent.futures
import math
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

import mlflow
import numpy as np
import pandas as pd
import pytest
import requests
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag
from mlflow.exceptions import MlflowException

from ingot_harness import free_port, ingot_binary, output_dir

VENV_BIN = pathlib.Path(sys.executable).parent


def uniq(prefix="exp"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def tracking(ingot_server, monkeypatch):
    mlflow.set_tracking_uri(ingot_server.url)
    yield MlflowClient(ingot_server.url)
    mlflow.set_tracking_uri(None)


def error_code(fn):
    with pytest.raises(MlflowException) as info:
        fn()
    return info.value.error_code


# ---------------------------------------------------------------- experiments


def test_default_experiment_and_probes(ingot_server, tracking):
    exp = tracking.get_experiment("0")
    assert exp.name == "Default" and exp.artifact_location == "mlflow-artifacts:/0"
    assert requests.get(ingot_server.url + "/version").text.startswith("3.")
    info = requests.get(ingot_server.url + "/api/3.0/mlflow/server-info").json()
    assert "multipart_uploads_enabled" in info
    r = requests.get(ingot_server.url + "/api/2.0/mlflow/no-such-thing")
    assert r.status_code == 404 and r.json()["error_code"] == "ENDPOINT_NOT_FOUND"
    r = requests.get(ingot_server.url + "/ajax-api/2.0/mlflow/experiments/get", params={"experiment_id": "0"})
    assert r.json()["experiment"]["name"] == "Default"


def test_experiment_lifecycle(tracking):
    name = uniq()
    exp_id = tracking.create_experiment(name, tags={"team": "a"})
    exp = tracking.get_experiment_by_name(name)
    assert exp.experiment_id == exp_id and exp.tags == {"team": "a"}
    assert exp.artifact_location == f"mlflow-artifacts:/{exp_id}"
    assert error_code(lambda: tracking.create_experiment(name)) == "RESOURCE_ALREADY_EXISTS"
    tracking.set_experiment_tag(exp_id, "k", "v")
    tracking.delete_experiment_tag(exp_id, "k")
    found = tracking.search_experiments(filter_string=f"name = '{name}' AND tags.team = 'a'")
    assert [e.experiment_id for e in found] == [exp_id]
    tracking.rename_experiment(exp_id, name + "-renamed")
    assert tracking.get_experiment(exp_id).name == name + "-renamed"
    tracking.delete_experiment(exp_id)
    assert tracking.get_experiment(exp_id).lifecycle_stage == "deleted"
    assert exp_id not in [e.experiment_id for e in tracking.search_experiments()]
    assert exp_id in [e.experiment_id for e in tracking.search_experiments(view_type=mlflow.entities.ViewType.DELETED_ONLY)]
    tracking.restore_experiment(exp_id)
    assert tracking.get_experiment(exp_id).lifecycle_stage == "active"
    assert tracking.get_experiment_by_name("no-such-" + name) is None
    # paging
    prefix = uniq("page")
    for i in range(5):
        tracking.create_experiment(f"{prefix}-{i}")
    page = tracking.search_experiments(filter_string=f"name LIKE '{prefix}%'", max_results=2, order_by=["name ASC"])
    assert [e.name for e in page] == [f"{prefix}-0", f"{prefix}-1"] and page.token
    page2 = tracking.search_experiments(filter_string=f"name LIKE '{prefix}%'", max_results=2, order_by=["name ASC"], page_token=page.token)
    assert [e.name for e in page2] == [f"{prefix}-2", f"{prefix}-3"]


# ---------------------------------------------------------------- runs


def test_nested_runs_metrics_params_tags(tracking):
    mlflow.set_experiment(uniq())
    with mlflow.start_run(run_name="parent") as parent:
        mlflow.log_param("lr", 0.1)
        mlflow.log_params({"layers": 3, "opt": "adam"})
        mlflow.set_tags({"team": "vision", "stage": "dev"})
        for step in range(5):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step, timestamp=1_700_000_000_000 + step)
        mlflow.log_metric("nan_metric", float("nan"))
        mlflow.log_metric("inf_metric", float("inf"))
        with mlflow.start_run(run_name="child", nested=True) as child:
            mlflow.log_metric("acc", 0.9)
    run = tracking.get_run(parent.info.run_id)
    assert run.info.run_name == "parent" and run.info.status == "FINISHED" and run.info.end_time
    assert run.data.params == {"lr": "0.1", "layers": "3", "opt": "adam"}
    assert run.data.tags["team"] == "vision" and run.data.tags["mlflow.runName"] == "parent"
    assert run.data.metrics["loss"] == pytest.approx(0.2)
    assert math.isnan(run.data.metrics["nan_metric"]) and run.data.metrics["inf_metric"] == float("inf")
    history = tracking.get_metric_history(parent.info.run_id, "loss")
    assert [(m.step, m.timestamp) for m in history] == [(s, 1_700_000_000_000 + s) for s in range(5)]
    child_run = tracking.get_run(child.info.run_id)
    assert child_run.data.tags["mlflow.parentRunId"] == parent.info.run_id
    children = mlflow.search_runs(filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'", output_format="list")
    assert [r.info.run_id for r in children] == [child.info.run_id]


def test_log_batch_and_limits(tracking):
    exp_id = tracking.create_experiment(uniq())
    run = tracking.create_run(exp_id)
    rid = run.info.run_id
    now = int(time.time() * 1000)
    tracking.log_batch(rid, metrics=[Metric("m", float(i), now, i) for i in range(1000)],
                       params=[Param(f"p{i}", str(i)) for i in range(0)], tags=[RunTag("t", "v")])
    assert tracking.get_run(rid).data.metrics["m"] == 999.0
    assert len(tracking.get_metric_history(rid, "m")) == 1000
    body = {"run_id": rid, "metrics": [{"key": "x", "value": 1, "timestamp": now, "step": 0}] * 1001}
    r = requests.post(mlflow.get_tracking_uri() + "/api/2.0/mlflow/runs/log-batch", json=body)
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "at most 1000 metrics" in r.json()["message"]
    body = {"run_id": rid, "params": [{"key": f"k{i}", "value": "v"} for i in range(101)]}
    r = requests.post(mlflow.get_tracking_uri() + "/api/2.0/mlflow/runs/log-batch", json=body)
    assert r.status_code == 400 and "at most 100 params" in r.json()["message"]
    # the batch is one transaction: a failing param leaves no metric behind
    tracking.log_param(rid, "fixed", "1")
    with pytest.raises(MlflowException):
        tracking.log_batch(rid, metrics=[Metric("atomic", 1.0, now, 0)], params=[Param("fixed", "2")])
    assert "atomic" not in tracking.get_run(rid).data.metrics
    # run lifecycle
    tracking.set_terminated(rid, "KILLED")
    assert tracking.get_run(rid).info.status == "KILLED"
    tracking.delete_tag(rid, "t")
    assert "t" not in tracking.get_run(rid).data.tags
    tracking.delete_run(rid)
    assert tracking.get_run(rid).info.lifecycle_stage == "deleted"
    assert error_code(lambda: tracking.log_param(rid, "late", "1")) == "INVALID_PARAMETER_VALUE"
    tracking.restore_run(rid)
    assert tracking.get_run(rid).info.lifecycle_stage == "active"


def test_error_codes(tracking):
    assert error_code(lambda: tracking.get_run("0" * 32)) == "RESOURCE_DOES_NOT_EXIST"
    assert error_code(lambda: tracking.get_experiment("987654")) == "RESOURCE_DOES_NOT_EXIST"
    exp_id = tracking.create_experiment(uniq())
    run = tracking.create_run(exp_id)
    tracking.log_param(run.info.run_id, "p", "1")
    tracking.log_param(run.info.run_id, "p", "1")  # same value: fine
    assert error_code(lambda: tracking.log_param(run.info.run_id, "p", "2")) == "INVALID_PARAMETER_VALUE"
    for bad in ["metrics.acc >>> 1", "metrics.acc > 'x'", "params.p > 1", "foo.bar = 'x'", "metrics.a = 1 OR metrics.b = 2",
                "attributes.nope = 'x'"]:
        assert error_code(lambda: tracking.search_runs([exp_id], bad)) == "INVALID_PARAMETER_VALUE", bad
    assert error_code(lambda: tracking.search_runs([exp_id], order_by=["metrics.a DESC", "metrics.a ASC"])) == "INVALID_PARAMETER_VALUE"


def test_search_runs_grammar(tracking):
    exp_id = tracking.create_experiment(uniq())
    ids = []
    for i in range(6):
        r = tracking.create_run(exp_id, run_name=f"run-{i}", start_time=1_000 + i, tags={"team": "ab" if i % 2 else "cd"})
        tracking.log_batch(r.info.run_id, metrics=[Metric("acc", i / 10, 0, 0)], params=[Param("model", "cnn" if i < 3 else "rnn")])
        ids.append(r.info.run_id)
    def names(filter_string="", order_by=None, **kw):
        return [r.info.run_name for r in tracking.search_runs([exp_id], filter_string, order_by=order_by, **kw)]
    assert names() == [f"run-{i}" for i in reversed(range(6))]
    assert names("metrics.acc >= 0.3", ["metrics.acc ASC"]) == ["run-3", "run-4", "run-5"]
    assert names("params.model = 'cnn' AND tags.team = 'ab'") == ["run-1"]
    assert names("tags.team LIKE 'A%'") == []
    assert names("tags.team ILIKE 'A%'", ["attributes.start_time ASC"]) == ["run-1", "run-3", "run-5"]
    assert names("attributes.run_name = 'run-2'") == ["run-2"]
    assert names(f"attributes.run_id IN ('{ids[0]}', '{ids[4]}')") == ["run-4", "run-0"]
    assert names(f"attributes.run_id NOT IN ('{ids[0]}', '{ids[4]}')") == ["run-5", "run-3", "run-2", "run-1"]
    assert names("tags.`mlflow.runName` = 'run-3'") == ["run-3"]
    assert names("params.missing IS NULL AND params.model IS NOT NULL", max_results=2) == ["run-5", "run-4"]
    assert names("attributes.start_time > 1003") == ["run-5", "run-4"]
    page = tracking.search_runs([exp_id], max_results=4)
    assert len(page) == 4 and page.token
    assert [r.info.run_name for r in tracking.search_runs([exp_id], page_token=page.token)] == ["run-1", "run-0"]
    tracking.delete_run(ids[0])
    assert names() == [f"run-{i}" for i in reversed(range(1, 6))]
    assert names(run_view_type=mlflow.entities.ViewType.DELETED_ONLY) == ["run-0"]
    assert len(names(run_view_type=mlflow.entities.ViewType.ALL)) == 6


def test_log_input_and_dataset_filter(tracking):
    mlflow.set_experiment(uniq())
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [4, 5, 6]})
    with mlflow.start_run() as run:
        mlflow.log_input(mlflow.data.from_pandas(df, name="train-set"), context="training")
    inputs = tracking.get_run(run.info.run_id).inputs.dataset_inputs
    assert inputs[0].dataset.name == "train-set" and inputs[0].dataset.schema and inputs[0].dataset.profile
    assert inputs[0].tags[0].key == "mlflow.data.context" and inputs[0].tags[0].value == "training"
    found = mlflow.search_runs(filter_string="datasets.name = 'train-set' AND datasets.context = 'training'", output_format="list")
    assert [r.info.run_id for r in found] == [run.info.run_id]


# ---------------------------------------------------------------- models, autolog, traces


def test_sklearn_autolog_and_log_model_roundtrip(tracking):
    from sklearn.linear_model import LogisticRegression

    mlflow.set_experiment(uniq())
    rng = np.random.default_rng(0)
    X = rng.random((60, 3))
    y = (X[:, 0] + X[:, 1] > 1).astype(int)
    mlflow.sklearn.autolog()
    try:
        with mlflow.start_run() as run:
            LogisticRegression().fit(X, y)
    finally:
        mlflow.sklearn.autolog(disable=True)
    data = tracking.get_run(run.info.run_id).data
    assert "training_accuracy_score" in data.metrics and "C" in data.params

    with mlflow.start_run() as run:
        model = LogisticRegression(C=0.5).fit(X, y)
        info = mlflow.sklearn.log_model(model, name="model", input_example=X[:2])
    assert info.model_id.startswith("m-")
    logged = tracking.get_logged_model(info.model_id)
    assert logged.status.name == "READY" if hasattr(logged.status, "name") else str(logged.status).endswith("READY")
    loaded = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    assert (loaded.predict(X) == model.predict(X)).all()
    loaded2 = mlflow.pyfunc.load_model(f"models:/{info.model_id}")
    assert (loaded2.predict(X) == model.predict(X)).all()
    models = tracking.search_logged_models(experiment_ids=[run.info.experiment_id])
    assert info.model_id in [m.model_id for m in models]


def test_traces(tracking):
    exp_id = mlflow.set_experiment(uniq()).experiment_id

    @mlflow.trace
    def double(x):
        return x * 2

    assert double(21) == 42
    mlflow.flush_trace_async_logging()
    traces = mlflow.search_traces(locations=[exp_id], return_type="list")
    assert len(traces) == 1
    trace = mlflow.get_trace(traces[0].info.trace_id)
    assert trace.data.spans[0].name == "double"
    assert trace.info.tags["mlflow.artifactLocation"].startswith(f"mlflow-artifacts:/{exp_id}/traces/")
    tracking.set_trace_tag(trace.info.trace_id, "reviewed", "yes")
    assert tracking.get_trace(trace.info.trace_id).info.tags["reviewed"] == "yes"
    tracking.delete_trace_tag(trace.info.trace_id, "reviewed")
    assert tracking.delete_traces(exp_id, trace_ids=[trace.info.trace_id]) == 1


# ---------------------------------------------------------------- artifacts


def test_artifacts_roundtrip_50mb(tracking, tmp_path):
    exp_id = tracking.create_experiment(uniq())
    run = tracking.create_run(exp_id)
    rid = run.info.run_id
    big = tmp_path / "big.bin"
    payload = os.urandom(50 * 1024 * 1024)
    big.write_bytes(payload)
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "a.json").write_text('{"x": 1}')
    (tmp_path / "dir" / "sub").mkdir()
    (tmp_path / "dir" / "sub" / "b.txt").write_text("hello")
    tracking.log_artifact(rid, str(big), "data")
    tracking.log_artifacts(rid, str(tmp_path / "dir"), "tree")
    assert [(f.path, f.is_dir) for f in tracking.list_artifacts(rid)] == [("data", True), ("tree", True)]
    assert [(f.path, f.file_size) for f in tracking.list_artifacts(rid, "data")] == [("data/big.bin", len(payload))]
    out = tmp_path / "out"
    out.mkdir()
    local = tracking.download_artifacts(rid, "data/big.bin", str(out))
    assert pathlib.Path(local).read_bytes() == payload
    local_tree = tracking.download_artifacts(rid, "tree", str(out))
    assert (pathlib.Path(local_tree) / "sub" / "b.txt").read_text() == "hello"
    base = mlflow.get_tracking_uri()
    r = requests.get(base + f"/api/2.0/mlflow-artifacts/artifacts/{exp_id}/{rid}/artifacts/tree/a.json")
    assert r.headers["Content-Type"].startswith("application/json") and r.headers["X-Content-Type-Options"] == "nosniff"
    assert "a.json" in r.headers["Content-Disposition"]
    r = requests.get(base + "/get-artifact", params={"run_id": rid, "path": "tree/sub/b.txt"})
    assert r.text == "hello"
    listing = requests.get(base + "/ajax-api/2.0/mlflow/artifacts/list", params={"run_id": rid, "path": "tree"}).json()
    assert [f["path"] for f in listing["files"]] == ["tree/a.json", "tree/sub"]
    for bad in ["../../etc/passwd", "tree/../../x", "/etc/passwd"]:
        r = requests.get(base + "/get-artifact", params={"run_id": rid, "path": bad})
        assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE", bad
    r = requests.put(base + f"/api/2.0/mlflow-artifacts/artifacts/{exp_id}/%2E%2E/%2E%2E/escape.txt", data=b"x")
    assert r.status_code == 400
    r = requests.delete(base + f"/api/2.0/mlflow-artifacts/artifacts/{exp_id}/{rid}/artifacts/tree/sub")
    assert r.status_code == 200
    assert [f.path for f in tracking.list_artifacts(rid, "tree")] == ["tree/a.json"]


# ---------------------------------------------------------------- differential: Ingot vs mlflow server


DIFF_QUERIES = [
    ("", None),
    ("metrics.acc > 0.5", ["metrics.acc DESC"]),
    ("metrics.acc != 0.5", ["metrics.loss ASC"]),
    ("params.model = 'cnn'", ["params.lr ASC", "metrics.loss DESC"]),
    ("params.model != 'cnn'", ["params.lr DESC"]),
    ("tags.team LIKE 'a%'", ["attributes.start_time ASC"]),
    ("tags.team ILIKE 'A%'", None),
    ("attributes.run_name ILIKE '%1%'", ["attributes.run_name ASC"]),
    ("metrics.loss < 0.5 AND params.model != 'rnn'", ["metrics.acc ASC"]),
    ("tags.opt IS NULL", ["metrics.acc DESC"]),
    ("params.opt IS NOT NULL", None),
    ("attributes.status = 'FINISHED'", ["attributes.end_time DESC"]),
    ("", ["metrics.sparse DESC"]),
    ("", ["metrics.sparse ASC"]),
    ("", ["tags.team DESC", "params.lr ASC"]),
    ("metrics.acc >= 0.2 AND metrics.acc <= 0.8", ["metrics.acc DESC", "attributes.run_name DESC"]),
    ("attributes.start_time > 1005", None),
    ("tags.`mlflow.runName` LIKE 'r_n-1%'", None),
]


def load_dataset(client, exp_name):
    exp_id = client.create_experiment(exp_name)
    rng = np.random.default_rng(42)
    for i in range(24):
        run = client.create_run(exp_id, run_name=f"run-{i}", start_time=1000 + i,
                                tags={"team": ["alpha", "beta", "Alpha"][i % 3], **({"opt": "x"} if i % 4 == 0 else {})})
        rid = run.info.run_id
        metrics = [Metric("acc", float(round(rng.random(), 3)), 5, 0), Metric("loss", float(round(rng.random(), 3)), 5, 0)]
        if i % 5 == 0:
            metrics.append(Metric("sparse", float(i), 5, 0))
        if i == 7:
            metrics.append(Metric("acc", float("nan"), 6, 1))
        params = [Param("model", ["cnn", "rnn", "mlp"][i % 3]), Param("lr", str([0.1, 0.01, 0.001, 0.5][i % 4]))]
        if i % 2:
            params.append(Param("opt", "adam"))
        client.log_batch(rid, metrics=metrics, params=params)
        if i % 3 != 2:
            client.set_terminated(rid, "FINISHED" if i % 3 == 0 else "FAILED", end_time=2000 + (i * 7) % 24)
    return exp_id


def test_differential_search_runs(tracking, mlflow_server):
    ours = tracking
    theirs = MlflowClient(mlflow_server)
    name = uniq("diff")
    ours_exp = load_dataset(ours, name)
    theirs_exp = load_dataset(theirs, name)
    for filter_string, order_by in DIFF_QUERIES:
        a = [r.info.run_name for r in ours.search_runs([ours_exp], filter_string, order_by=order_by, max_results=1000)]
        b = [r.info.run_name for r in theirs.search_runs([theirs_exp], filter_string, order_by=order_by, max_results=1000)]
        assert a == b, (filter_string, order_by)
    for bad in ["metrics.acc >>> 1", "params.lr > 1", "attributes.nope = 'x'"]:
        ea = error_code(lambda: ours.search_runs([ours_exp], bad))
        eb = error_code(lambda: theirs.search_runs([theirs_exp], bad))
        assert ea == eb, bad
    for client in (ours, theirs):
        assert error_code(lambda: client.create_experiment(name)) == "RESOURCE_ALREADY_EXISTS"
        assert error_code(lambda: client.get_run("f" * 32)) == "RESOURCE_DOES_NOT_EXIST"


# ---------------------------------------------------------------- load


def test_concurrent_log_batch_load(ingot_server, tracking):
    seconds = float(os.environ.get("INGOT_LOAD_SECONDS", "5"))
    exp_id = tracking.create_experiment(uniq("load"))
    url = ingot_server.url + "/api/2.0/mlflow/runs/log-batch"
    run_ids = [tracking.create_run(exp_id).info.run_id for _ in range(32)]

    def worker(rid):
        session = requests.Session()
        done = errors = 0
        step = 0
        deadline = time.time() + seconds
        while time.time() < deadline:
            now = int(time.time() * 1000)
            body = {"run_id": rid, "metrics": [{"key": f"m{k}", "value": step * 0.5, "timestamp": now, "step": step} for k in range(100)]}
            r = session.post(url, json=body, timeout=60)
            if r.status_code != 200:
                errors += 1
            done += 1
            step += 1
        return done, errors

    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        results = list(pool.map(worker, run_ids))
    total = sum(d for d, _ in results)
    assert sum(e for _, e in results) == 0
    assert total > 0
    assert "database is locked" not in ingot_server.log_text()
    run = tracking.get_run(run_ids[0])
    assert len(run.data.metrics) == 100


def test_multipart_upload(tracking, tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "true")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", str(1024 * 1024))
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", str(1024 * 1024))
    exp_id = tracking.create_experiment(uniq("mpu"))
    rid = tracking.create_run(exp_id).info.run_id
    payload = os.urandom(3 * 1024 * 1024 + 17)
    src = tmp_path / "parts.bin"
    src.write_bytes(payload)
    tracking.log_artifact(rid, str(src), "mp")
    out = tmp_path / "out"
    out.mkdir()
    assert pathlib.Path(tracking.download_artifacts(rid, "mp/parts.bin", str(out))).read_bytes() == payload
    assert [f.path for f in tracking.list_artifacts(rid, "mp")] == ["mp/parts.bin"]


def test_cli(ingot_server, tracking, tmp_path):


    env = dict(os.environ, INGOT_SERVER=ingot_server.url)
    name = uniq("cli")

    def cli(*args):
        out = subprocess.run([ingot_binary(), *args], env=env, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        return out.stdout

    exp_id = cli("experiments", "create", name).strip()
    import json
    assert name in [e["name"] for e in json.loads(cli("experiments", "list", "--output", "json"))]
    run = tracking.create_run(exp_id, run_name="cli-run")
    tracking.log_metric(run.info.run_id, "acc", 0.75)
    tracking.log_text(run.info.run_id, "hello", "d/x.txt")
    runs = json.loads(cli("runs", "list", "--experiment", name, "--filter", "metrics.acc > 0.5", "--order-by", "metrics.acc DESC", "--output", "json"))
    assert [r["info"]["run_name"] for r in runs] == ["cli-run"]
    assert "cli-run" in cli("runs", "get", run.info.run_id)
    cli("artifacts", "download", run.info.run_id, "d", "--dest", str(tmp_path))
    assert (tmp_path / "d" / "x.txt").read_text() == "hello"
    cli("experiments", "delete", name)
    bad = subprocess.run([ingot_binary(), "runs", "get", "0" * 32], env=env, capture_output=True, text=True)
    assert bad.returncode != 0 and "RESOURCE_DOES_NOT_EXIST" in bad.stderr
