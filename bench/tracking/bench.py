"""Ingot vs `mlflow server` (SQLite): log-batch throughput/latency and search_runs latency.

Run through bench/tracking/run.sh, which starts both servers. Sizes come from the environment:
BENCH_RUNS (runs loaded for the search benchmark, default 100000), BENCH_SECONDS (seconds per
log-batch phase, default 10), BENCH_SEARCHES (timed Ingot search calls, default 30), BENCH_MLFLOW_SEARCHES
(timed MLflow search calls, default 5: at 100k runs one MLflow call took over 4 minutes here).
"""
import argparse
import concurrent.futures
import json
import os
import random
import statistics
import time
import uuid

import requests

METRICS_PER_BATCH = 1000


def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    k = max(0, min(len(values) - 1, int(round(p / 100 * (len(values) - 1)))))
    return values[k]


def api(url, path, body=None, method="POST", session=None):
    s = session or requests
    r = s.request(method, url + "/api/2.0/mlflow/" + path, json=body if method != "GET" else None,
                  params=body if method == "GET" else None, timeout=600)
    r.raise_for_status()
    return r.json()


STEP_MARK = b"987654321987"


def log_batch_worker(url, run_id, seconds):
    """One client: posts 1000-metric batches back to back for `seconds`; returns (latencies ms, errors)."""
    session = requests.Session()
    now = int(time.time() * 1000)
    template = json.dumps({"run_id": run_id, "metrics": [
        {"key": f"metric_{k}", "value": random.random(), "timestamp": now, "step": int(STEP_MARK)} for k in range(METRICS_PER_BATCH)]}).encode()
    headers = {"Content-Type": "application/json"}
    latencies, errors, step = [], 0, 0
    deadline = time.time() + seconds
    while time.time() < deadline:
        body = template.replace(STEP_MARK, str(step).encode())
        t0 = time.perf_counter()
        r = session.post(url + "/api/2.0/mlflow/runs/log-batch", data=body, headers=headers, timeout=600)
        latencies.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            errors += 1
        step += 1
    return latencies, errors


def log_batch_phase(url, clients, seconds):
    exp = api(url, "experiments/create", {"name": f"bench-lb-{uuid.uuid4().hex[:8]}"})["experiment_id"]
    runs = [api(url, "runs/create", {"experiment_id": exp, "start_time": int(time.time() * 1000)})["run"]["info"]["run_id"]
            for _ in range(clients)]

    # Client processes, not threads: with the GIL, 8-32 Python threads encoding 1000-metric bodies
    # would measure the client. Each body is encoded once as a template; only the step changes.
    with concurrent.futures.ProcessPoolExecutor(clients) as pool:
        results = list(pool.map(log_batch_worker, [url] * clients, runs, [seconds] * clients))
    # Each client posts for `seconds` from its own start (process start-up is not counted).
    elapsed = seconds
    latencies = [x for lat, _ in results for x in lat]
    return {"clients": clients, "requests": len(latencies), "errors": sum(e for _, e in results),
            "req_per_s": len(latencies) / elapsed, "p50_ms": pct(latencies, 50), "p99_ms": pct(latencies, 99)}


def load_ingot(url, n_runs, metrics_per_run=20, workers=8):
    exp = api(url, "experiments/create", {"name": f"bench-search-{uuid.uuid4().hex[:8]}"})["experiment_id"]
    # Same values, in the same (run, key) order, as load_mlflow_in_process draws them, so both
    # servers hold identical data and must return the same runs.
    rng = random.Random(1)
    values = [[rng.random() for _ in range(metrics_per_run)] for _ in range(n_runs)]

    def one(i):
        session = requests.Session()
        run_id = api(url, "runs/create", {"experiment_id": exp, "run_name": f"run-{i}", "start_time": 1_000_000 + i}, session=session)[
            "run"]["info"]["run_id"]
        api(url, "runs/log-batch", {"run_id": run_id, "metrics": [
            {"key": f"m{k}", "value": values[i][k], "timestamp": 1, "step": 0} for k in range(metrics_per_run)],
            "params": [{"key": "model", "value": ["cnn", "rnn"][i % 2]}]}, session=session)

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, range(n_runs)))
    return exp


def load_mlflow_in_process(db_uri, artifact_root, n_runs, metrics_per_run=20):
    """Bulk-load MLflow's own database through its store classes (REST would take hours)."""
    from mlflow.store.tracking.dbmodels.models import SqlLatestMetric, SqlMetric, SqlParam, SqlRun, SqlTag
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    store = SqlAlchemyStore(db_uri, artifact_root)
    exp = store.create_experiment(f"bench-search-{uuid.uuid4().hex[:8]}")
    rng = random.Random(1)
    chunk = 2000
    for base in range(0, n_runs, chunk):
        with store.ManagedSessionMaker() as session:
            objects = []
            for i in range(base, min(n_runs, base + chunk)):
                run_id = uuid.uuid4().hex
                objects.append(SqlRun(run_uuid=run_id, name=f"run-{i}", experiment_id=int(exp), user_id="bench", status="FINISHED",
                                      start_time=1_000_000 + i, end_time=None, source_type="LOCAL", source_name="", entry_point_name="",
                                      source_version="", lifecycle_stage="active", artifact_uri=f"{artifact_root}/{exp}/{run_id}/artifacts"))
                objects.append(SqlTag(run_uuid=run_id, key="mlflow.runName", value=f"run-{i}"))
                objects.append(SqlParam(run_uuid=run_id, key="model", value=["cnn", "rnn"][i % 2]))
                for k in range(metrics_per_run):
                    v = rng.random()
                    objects.append(SqlMetric(run_uuid=run_id, key=f"m{k}", value=v, timestamp=1, step=0, is_nan=False))
                    objects.append(SqlLatestMetric(run_uuid=run_id, key=f"m{k}", value=v, timestamp=1, step=0, is_nan=False))
            session.bulk_save_objects(objects)
    return exp


def time_search(url, exp, searches, warmup=True):
    body = {"experiment_ids": [exp], "filter": "metrics.m0 > 0.5 AND params.model = 'cnn'", "order_by": ["metrics.m1 DESC"],
            "max_results": 100}
    session = requests.Session()
    if warmup:
        api(url, "runs/search", body, session=session)
    latencies = []
    for _ in range(searches):
        t0 = time.perf_counter()
        answer = api(url, "runs/search", body, session=session)
        latencies.append((time.perf_counter() - t0) * 1000)
    return {"p50_ms": pct(latencies, 50), "p95_ms": pct(latencies, 95), "returned": len(answer.get("runs", []))}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ingot", required=True)
    parser.add_argument("--mlflow", required=True)
    parser.add_argument("--phase", choices=["logbatch", "load-ingot", "search"], required=True)
    parser.add_argument("--exp", nargs=2, help="experiment ids (ingot, mlflow) for the search phase")
    args = parser.parse_args()
    seconds = float(os.environ.get("BENCH_SECONDS", "10"))
    n_runs = int(os.environ.get("BENCH_RUNS", "100000"))
    if args.phase == "logbatch":
        out = {}
        for name, url in (("ingot", args.ingot), ("mlflow", args.mlflow)):
            out[name] = [log_batch_phase(url, c, seconds) for c in (1, 8, 32)]
        print(json.dumps(out))
    elif args.phase == "load-ingot":
        t0 = time.time()
        exp = load_ingot(args.ingot, n_runs)
        print(json.dumps({"exp": exp, "seconds": time.time() - t0}))
    else:
        searches = int(os.environ.get("BENCH_SEARCHES", "30"))
        # MLflow needs minutes per call at 100k runs: fewer timed calls and no warm-up there.
        mlflow_searches = int(os.environ.get("BENCH_MLFLOW_SEARCHES", "5"))
        print(json.dumps({"ingot": time_search(args.ingot, args.exp[0], searches),
                          "mlflow": time_search(args.mlflow, args.exp[1], mlflow_searches, warmup=False)}))


if __name__ == "__main__":
    main()
