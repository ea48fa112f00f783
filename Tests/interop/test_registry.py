"""Model registry: the real `mlflow` client against `ingot serve`, and (differential test) the same
scenario against a real `mlflow server`, comparing results and error codes."""
import os
import pathlib
import subprocess
import sys
import time
import uuid

import mlflow
import numpy as np
import pytest
import requests
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from sklearn.linear_model import LogisticRegression

from ingot_harness import free_port, output_dir

VENV_BIN = pathlib.Path(sys.executable).parent


def uniq(prefix="model"):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def registry(ingot_server):
    mlflow.set_tracking_uri(ingot_server.url)
    mlflow.set_registry_uri(ingot_server.url)
    yield MlflowClient(ingot_server.url, ingot_server.url)
    mlflow.set_tracking_uri(None)
    mlflow.set_registry_uri(None)


def error_code(fn):
    try:
        fn()
    except MlflowException as e:
        return e.error_code
    return "no error"


def train():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return LogisticRegression().fit(X, y), X[:5]


def mv_summary(mv):
    return {
        "name": mv.name, "version": str(mv.version), "stage": mv.current_stage, "status": mv.status,
        "description": mv.description or "", "tags": dict(mv.tags), "aliases": sorted(mv.aliases),
    }


def scenario(url, prefix):
    """Registry calls a user makes; returns a comparable transcript (results and error codes)."""
    mlflow.set_tracking_uri(url)
    mlflow.set_registry_uri(url)
    client = MlflowClient(url, url)
    out = []
    name = f"{prefix}-clf"
    model, X = train()
    mlflow.set_experiment(f"{prefix}-exp")

    # registered_model_name= in log_model registers version 1 from the logged model (models:/m-…).
    with mlflow.start_run() as run:
        mlflow.log_input(mlflow.data.from_numpy(X, name="train-x"), context="training")
        info = mlflow.sklearn.log_model(model, name="model", registered_model_name=name, input_example=X[:2])
    out.append(("v1", mv_summary(client.get_model_version(name, "1"))))
    # mlflow.register_model from the run's artifact path.
    mv2 = mlflow.register_model(f"runs:/{run.info.run_id}/model", name)
    out.append(("v2", mv_summary(mv2)))
    out.append(("v2 run", client.get_model_version(name, "2").run_id == run.info.run_id))
    # ...and from the logged model's URI.
    mv3 = mlflow.register_model(info.model_uri, name)
    out.append(("v3", mv_summary(mv3)))
    out.append(("download v1", client.get_model_version_download_uri(name, "1").endswith(f"/models/{info.model_id}/artifacts")))

    # Errors.
    out.append(("dup", error_code(lambda: client.create_registered_model(name))))
    out.append(("missing model", error_code(lambda: client.get_registered_model(f"{prefix}-nope"))))
    out.append(("missing version", error_code(lambda: client.get_model_version(name, "99"))))
    out.append(("bad version", error_code(lambda: client.get_model_version(name, "x"))))
    out.append(("bad filter", error_code(lambda: client.search_registered_models("name = "))))
    out.append(("bad attr", error_code(lambda: client.search_registered_models("run_id = 'x'"))))
    out.append(("bad alias", error_code(lambda: client.set_registered_model_alias(name, "v1", "1"))))
    out.append(("missing alias", error_code(lambda: client.get_model_version_by_alias(name, "nope"))))
    out.append(("bad stage", error_code(lambda: client.transition_model_version_stage(name, "1", "Prod"))))
    out.append(("bad name", error_code(lambda: client.create_registered_model("a/b"))))

    # Tags, description, aliases, stages.
    client.set_registered_model_tag(name, "team", "ml")
    client.set_registered_model_tag(name, "tmp", "x")
    client.delete_registered_model_tag(name, "tmp")
    client.update_registered_model(name, description="classifier")
    client.set_model_version_tag(name, "2", "validated", "true")
    client.update_model_version(name, "2", description="second")
    client.set_registered_model_alias(name, "champion", "2")
    client.set_registered_model_alias(name, "challenger", "3")
    client.set_registered_model_alias(name, "challenger", "1")
    out.append(("by alias", mv_summary(client.get_model_version_by_alias(name, "champion"))))
    client.transition_model_version_stage(name, "1", "Staging")
    client.transition_model_version_stage(name, "2", "Production")
    client.transition_model_version_stage(name, "3", "production", archive_existing_versions=True)
    rm = client.get_registered_model(name)
    out.append(("model", {
        "description": rm.description, "tags": dict(rm.tags), "aliases": dict(rm.aliases),
        "latest": sorted((v.version, v.current_stage) for v in rm.latest_versions),
    }))
    out.append(("latest prod", [v.version for v in client.get_latest_versions(name, ["Production"])]))
    out.append(("latest all", sorted(v.version for v in client.get_latest_versions(name))))

    # Search.
    other = f"{prefix}-other"
    client.create_registered_model(other, tags={"team": "data"})
    for flt in [f"name = '{name}'", f"name LIKE '{prefix}-%'", f"name ILIKE '{prefix.upper()}-%'", "tags.team = 'ml'",
                f"name LIKE '{prefix}%' AND tags.team != 'ml'"]:
        out.append(("search models", flt, sorted(m.name for m in client.search_registered_models(flt))))
    out.append(("order", [m.name for m in client.search_registered_models(f"name LIKE '{prefix}-%'", order_by=["name DESC"])]))
    page = client.search_registered_models(f"name LIKE '{prefix}-%'", max_results=1)
    out.append(("paged", len(page), bool(page.token)))
    for flt in [f"name = '{name}'", f"name = '{name}' AND version_number >= 2", f"run_id = '{run.info.run_id}'",
                "tags.validated = 'true'"]:
        found = client.search_model_versions(flt)
        out.append(("search versions", flt.replace(run.info.run_id, "RUN"), sorted((v.name.replace(prefix, "P"), v.version) for v in found)))
    out.append(("versions order", [v.version for v in client.search_model_versions(f"name = '{name}'", order_by=["version_number ASC"])]))

    # Load by version and alias, then predict.
    expected = model.predict(X).tolist()
    out.append(("predict v1", mlflow.pyfunc.load_model(f"models:/{name}/1").predict(X).tolist() == expected))
    out.append(("predict champion", mlflow.pyfunc.load_model(f"models:/{name}@champion").predict(X).tolist() == expected))

    # Rename and delete.
    renamed = f"{prefix}-renamed"
    client.rename_registered_model(name, renamed)
    out.append(("renamed", mv_summary(client.get_model_version(renamed, "2"))))
    out.append(("old gone", error_code(lambda: client.get_registered_model(name))))
    client.delete_registered_model_alias(renamed, "challenger")
    client.delete_model_version(renamed, "1")
    out.append(("deleted version", error_code(lambda: client.get_model_version(renamed, "1"))))
    out.append(("after delete", sorted(v.version for v in client.search_model_versions(f"name = '{renamed}'"))))
    client.delete_registered_model(renamed)
    client.delete_registered_model(other)
    out.append(("deleted model", error_code(lambda: client.get_registered_model(renamed))))
    return out


def test_registry_with_mlflow_client(registry, ingot_server):
    transcript = scenario(ingot_server.url, uniq("reg"))
    d = dict((t[0], t[1:]) for t in transcript if t[0] not in ("search models", "search versions"))
    assert d["v1"][0]["version"] == "1" and d["v1"][0]["status"] == "READY"
    assert d["predict v1"] == (True,) and d["predict champion"] == (True,)
    assert d["dup"] == ("RESOURCE_ALREADY_EXISTS",)


def test_differential_against_mlflow_server(ingot_server, mlflow_server):
    prefix = uniq("diff")
    ours = scenario(ingot_server.url, prefix)
    theirs = scenario(mlflow_server, prefix)
    mlflow.set_tracking_uri(None)
    mlflow.set_registry_uri(None)
    for a, b in zip(ours, theirs):
        assert a == b, f"ingot {a} != mlflow {b}"
    assert len(ours) == len(theirs)


def test_lineage_records_run_model_and_datasets(registry, ingot_server):
    name = uniq("lineage")
    model, X = train()
    mlflow.set_experiment(uniq("lineage-exp"))
    with mlflow.start_run() as run:
        mlflow.log_input(mlflow.data.from_numpy(X, name="train-x"), context="training")
        info = mlflow.sklearn.log_model(model, name="model", registered_model_name=name)
    r = requests.get(f"{ingot_server.url}/api/2.0/ingot/registry/lineage/get", params={"name": name, "version": "1"}, timeout=10)
    assert r.status_code == 200, r.text
    lineage = r.json()["lineage"]
    assert lineage["run_id"] == run.info.run_id
    assert lineage["model_id"] == info.model_id
    assert [d["name"] for d in lineage["datasets"]] == ["train-x"]
    assert lineage["datasets"][0]["context"] == "training"
