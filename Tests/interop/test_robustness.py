"""The server never crashes on a request: seeded random payloads against every API route.

Each request gets a 4xx (or a 2xx when the garbage happens to be valid), never a 5xx or a dropped
connection, and the process is alive and healthy at the end. INGOT_FUZZ_REQUESTS sets the count.
"""
import json
import os
import random

import requests

ROUTES = [
    ("POST", "/api/2.0/mlflow/experiments/create"), ("GET", "/api/2.0/mlflow/experiments/get"),
    ("GET", "/api/2.0/mlflow/experiments/get-by-name"), ("POST", "/api/2.0/mlflow/experiments/search"),
    ("POST", "/api/2.0/mlflow/experiments/update"), ("POST", "/api/2.0/mlflow/experiments/delete"),
    ("POST", "/api/2.0/mlflow/experiments/restore"), ("POST", "/api/2.0/mlflow/experiments/set-experiment-tag"),
    ("POST", "/api/2.0/mlflow/runs/create"), ("GET", "/api/2.0/mlflow/runs/get"), ("POST", "/api/2.0/mlflow/runs/update"),
    ("POST", "/api/2.0/mlflow/runs/delete"), ("POST", "/api/2.0/mlflow/runs/log-metric"),
    ("POST", "/api/2.0/mlflow/runs/log-parameter"), ("POST", "/api/2.0/mlflow/runs/set-tag"),
    ("POST", "/api/2.0/mlflow/runs/delete-tag"), ("POST", "/api/2.0/mlflow/runs/log-batch"),
    ("POST", "/api/2.0/mlflow/runs/log-inputs"), ("POST", "/api/2.0/mlflow/runs/outputs"),
    ("POST", "/api/2.0/mlflow/runs/search"), ("GET", "/api/2.0/mlflow/metrics/get-history"),
    ("GET", "/api/2.0/mlflow/metrics/get-history-bulk-interval"), ("POST", "/api/2.0/mlflow/logged-models"),
    ("POST", "/api/2.0/mlflow/logged-models/search"), ("GET", "/api/2.0/mlflow/artifacts/list"),
    ("GET", "/api/2.0/mlflow-artifacts/artifacts"), ("POST", "/api/3.0/mlflow/traces"),
    ("POST", "/api/3.0/mlflow/traces/search"), ("POST", "/api/2.0/mlflow/registered-models/create"),
    ("GET", "/api/2.0/mlflow/registered-models/get"), ("GET", "/api/2.0/mlflow/registered-models/search"),
    ("POST", "/api/2.0/mlflow/model-versions/create"), ("GET", "/api/2.0/mlflow/model-versions/search"),
    ("GET", "/get-artifact"),
]
KEYS = ["name", "experiment_id", "experiment_ids", "run_id", "run_uuid", "key", "value", "timestamp", "step",
        "metrics", "params", "tags", "filter", "order_by", "max_results", "page_token", "view_type",
        "run_view_type", "status", "end_time", "start_time", "new_name", "path", "datasets", "models",
        "metric_key", "version", "source", "alias", "stages", "artifact_location", "run_name", "model_id"]


def garbage(rng, depth=0):
    choice = rng.randrange(12 if depth < 3 else 8)
    return [
        lambda: None, lambda: rng.choice([True, False]), lambda: rng.randint(-2**70, 2**70),
        lambda: rng.choice([0, -1, 1, 50001, 2**31, -2**63]), lambda: rng.choice([float("nan"), float("inf"), -1e308, 0.5]),
        lambda: rng.choice(["", "'", "\" OR 1=1 --", "metrics.x > ", "params.a = 'b' AND", "../../etc/passwd",
                            "x" * 5000, "\u0000", "名前", "attributes.status IN ()", "tags.`a` LIKE '%'"]),
        lambda: "".join(chr(rng.randrange(1, 0x2FFF)) for _ in range(rng.randrange(30))),
        lambda: str(rng.randint(0, 5)),
        lambda: [garbage(rng, depth + 1) for _ in range(rng.randrange(4))],
        lambda: {rng.choice(KEYS): garbage(rng, depth + 1) for _ in range(rng.randrange(4))},
        lambda: [{"key": garbage(rng, depth + 1), "value": garbage(rng, depth + 1)} for _ in range(rng.randrange(3))],
        lambda: {"key": garbage(rng, depth + 1), "value": garbage(rng, depth + 1), "timestamp": garbage(rng, depth + 1)},
    ][choice]()


def test_random_requests_never_crash_the_server(ingot_server):
    rng = random.Random(int(os.environ.get("INGOT_FUZZ_SEED", "11")))
    count = int(os.environ.get("INGOT_FUZZ_REQUESTS", "600"))
    failures = []
    session = requests.Session()
    for i in range(count):
        method, path = rng.choice(ROUTES)
        payload = {rng.choice(KEYS): garbage(rng) for _ in range(rng.randrange(6))}
        try:
            if method == "GET":
                params = {k: (json.dumps(v) if not isinstance(v, str) else v) for k, v in payload.items()}
                r = session.get(ingot_server.url + path, params=params, timeout=10)
            else:
                body = json.dumps(payload, allow_nan=True) if rng.random() < 0.9 else os.urandom(rng.randrange(64))
                r = session.post(ingot_server.url + path, data=body, headers={"Content-Type": "application/json"}, timeout=10)
        except requests.RequestException as e:
            failures.append((i, method, path, payload, repr(e)))
            break
        if r.status_code >= 500 and r.status_code != 501:
            failures.append((i, method, path, payload, r.status_code, r.text[:300]))
        elif r.status_code >= 400:
            assert r.json().get("error_code"), (path, r.text[:300])
    assert not failures, failures[:5]
    assert ingot_server.proc.poll() is None, "the server process died"
    assert requests.get(ingot_server.url + "/health", timeout=5).json()["status"] == "ok"


def test_get_query_strings_decode_plus_as_space(ingot_server):
    """The mlflow client (python requests) encodes spaces in GET parameters as '+'."""
    name = "plus space experiment"
    created = requests.post(ingot_server.url + "/api/2.0/mlflow/experiments/create", json={"name": name}, timeout=5)
    assert created.status_code == 200, created.text
    r = requests.get(ingot_server.url + "/api/2.0/mlflow/experiments/get-by-name", params={"experiment_name": name}, timeout=5)
    assert "+" in r.url
    assert r.status_code == 200 and r.json()["experiment"]["name"] == name
    literal = requests.get(ingot_server.url + "/api/2.0/mlflow/experiments/get-by-name?experiment_name=a%2Bb", timeout=5)
    assert literal.status_code == 404 and "'a+b'" in literal.json()["message"]
