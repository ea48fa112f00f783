"""bench/serving: see run.sh. One LightGBM model (200 trees, 30 features, binary) logged and registered
with the real mlflow client in `ingot serve`, then served three ways in the same run on the same machine:

  ingot endpoint      POST /serving-endpoints/bench-lgbm/invocations on `ingot serve` (native evaluator)
  ingot models serve  POST /invocations on `ingot models serve -m models:/bench-lgbm/1` (native evaluator)
  mlflow models serve POST /invocations on `mlflow models serve -m models:/bench-lgbm/1 --env-manager local`

Before timing, all three must answer a 1000-row batch (with missing values) like `Booster.predict`.
Then single-row requests (dataframe_split) at 1 and 16 connections, and 1000-row batches on one connection.

Load generator: wrk (Debian's package) when it is installed, else a Python one; the same client for
every server, sending pre-encoded requests that cycle through 512 distinct rows on keep-alive
connections, so client-side JSON encoding is not measured. wrk (one thread per connection up to the
CPU count, a Lua script that only picks the next pre-formatted request) costs the client a few
microseconds per request; the Python generator (one process per connection, raw sockets) about
100 us, which caps what a fast server can show at one connection (`BENCH_LOADGEN=python` forces it).
Latency is per request, measured in the client; each phase is preceded by a one-second warm-up.

Env: INGOT_BIN, BENCH_SECONDS (per phase, default 10), BENCH_ROWS (training rows, default 50000),
BENCH_CONCURRENCY (default "1,16").
"""
import json
import math
import multiprocessing
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

INGOT = os.environ["INGOT_BIN"]
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
ROWS = int(os.environ.get("BENCH_ROWS", "50000"))
CONCURRENCY = [int(c) for c in os.environ.get("BENCH_CONCURRENCY", "1,16").split(",")]
FEATURES = 30
TREES = 200
BATCH = 1000
MODEL = "bench-lgbm"
VENV_BIN = pathlib.Path(sys.executable).parent
LOADGEN = os.environ.get("BENCH_LOADGEN") or ("wrk" if shutil.which("wrk") else "python")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[max(0, min(len(values) - 1, int(round(p / 100 * (len(values) - 1)))))]


def http(method, url, body=None, timeout=60):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def wait_for(url, proc, log, timeout=180):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{url}: server exited with {proc.returncode}:\n{pathlib.Path(log).read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except Exception:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not come up within {timeout} s:\n{pathlib.Path(log).read_text()[-3000:]}")


# ---- the model -------------------------------------------------------------------------------


def make_frame(seed, n, missing=0.0):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    X = pd.DataFrame(np.round(rng.normal(size=(n, FEATURES)), 5), columns=[f"f{i}" for i in range(FEATURES)])
    if missing:
        X = X.mask(rng.random(X.shape) < missing)
    return X


def train():
    import lightgbm as lgb
    import numpy as np

    X = make_frame(1, ROWS)
    rng = np.random.default_rng(2)
    w = rng.normal(size=FEATURES)
    score = X.values @ w + np.sin(X.f0 * 2) * 2 + (X.f1 * X.f2) + rng.normal(size=ROWS)
    y = (score > 0).astype(int)
    # One thread: on a busy shared machine OpenMP spinning makes multi-threaded training far slower.
    params = {"objective": "binary", "num_leaves": 31, "verbose": -1, "seed": 1, "deterministic": True, "num_threads": 1}
    return lgb.train(params, lgb.Dataset(X, y), num_boost_round=TREES)


# ---- load generator --------------------------------------------------------------------------


def encode(host, port, path, body, method="POST"):
    if method == "GET":
        return f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    return head + body


def read_response(f):
    """Reads one HTTP/1.1 response from a buffered socket file; returns (status, body, keep_alive)."""
    line = f.readline()
    if not line:
        raise ConnectionError("connection closed")
    status = int(line.split(b" ", 2)[1])
    length, chunked, keep = None, False, True
    while True:
        h = f.readline()
        if h in (b"\r\n", b"\n", b""):
            break
        k, _, v = h.partition(b":")
        k = k.strip().lower()
        if k == b"content-length":
            length = int(v)
        elif k == b"transfer-encoding" and b"chunked" in v.lower():
            chunked = True
        elif k == b"connection" and b"close" in v.lower():
            keep = False
    if chunked:
        parts = []
        while True:
            size = int(f.readline().split(b";")[0], 16)
            if size == 0:
                while f.readline() not in (b"\r\n", b"\n", b""):
                    pass
                break
            parts.append(f.read(size))
            f.readline()
        return status, b"".join(parts), keep
    return status, f.read(length or 0), keep


def client(host, port, requests_, start_at, seconds):
    """One connection: warms up until start_at, then sends back to back for `seconds`."""
    def connect():
        s = socket.create_connection((host, port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s, s.makefile("rb", buffering=1 << 16)

    sock, f = connect()
    latencies, errors, i, n = [], 0, 0, len(requests_)
    end = start_at + seconds
    clock = time.perf_counter
    while True:
        now = time.time()
        if now >= end:
            break
        measuring = now >= start_at
        req = requests_[i % n]
        i += 1
        t0 = clock()
        try:
            sock.sendall(req)
            status, _, keep = read_response(f)
        except (ConnectionError, OSError):
            errors += measuring
            sock.close()
            sock, f = connect()
            continue
        dt = clock() - t0
        if measuring:
            latencies.append(dt * 1000)
            if status != 200:
                errors += 1
        if not keep:
            sock.close()
            sock, f = connect()
    sock.close()
    return latencies, errors


WRK_SCRIPT = r"""
local reqs = {}
local i = 0
function init(args)
  local method, path = args[1], args[2]
  local f = assert(io.open(args[3], "r"))
  for line in f:lines() do
    if method == "GET" then
      table.insert(reqs, wrk.format("GET", path))
    else
      table.insert(reqs, wrk.format(method, path, {["Content-Type"] = "application/json"}, line))
    end
  end
  f:close()
end
function request()
  i = i + 1
  return reqs[(i % #reqs) + 1]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK {"requests": %d, "errors": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, e.connect + e.read + e.write + e.status + e.timeout, summary.duration,
    latency:percentile(50), latency:percentile(99)))
end
"""


def load(host, port, path, bodies, connections, seconds, method="POST"):
    if LOADGEN == "wrk":
        return load_wrk(host, port, path, bodies, connections, seconds, method)
    return load_python(host, port, path, bodies, connections, seconds, method)


def load_wrk(host, port, path, bodies, connections, seconds, method):
    with tempfile.TemporaryDirectory(prefix="ingot-bench-wrk-") as tmp:
        script = pathlib.Path(tmp) / "requests.lua"
        script.write_text(WRK_SCRIPT)
        lines = pathlib.Path(tmp) / "bodies.jsonl"
        lines.write_bytes(b"\n".join(b.replace(b"\n", b" ") for b in bodies) + b"\n")
        threads = max(1, min(connections, os.cpu_count() or 1))

        def run(duration):
            out = subprocess.run(
                ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--timeout", "30s", "-s", str(script),
                 f"http://{host}:{port}", "--", method, path, str(lines)],
                capture_output=True, text=True, timeout=duration + 120)
            found = [l for l in out.stdout.splitlines() if l.startswith("WRK ")]
            if out.returncode != 0 or not found:
                raise SystemExit(f"wrk failed ({out.returncode}): {out.stdout[-2000:]} {out.stderr[-2000:]}")
            return json.loads(found[-1][4:])

        run(1)  # warm-up: connections, caches, the JIT-less servers' first requests
        r = run(max(1, int(round(seconds))))
    elapsed = r["duration_us"] / 1e6
    return {"connections": connections, "requests": r["requests"], "errors": r["errors"],
            "req_per_s": r["requests"] / elapsed, "p50_ms": r["p50_us"] / 1000, "p99_ms": r["p99_us"] / 1000}


def load_python(host, port, path, bodies, connections, seconds, method="POST"):
    requests_ = [encode(host, port, path, b, method) for b in bodies]
    ctx = multiprocessing.get_context("fork")
    start_at = time.time() + 1.0 + 0.05 * connections  # process start-up and warm-up are not counted
    with ctx.Pool(connections) as pool:
        results = pool.starmap(client, [(host, port, requests_, start_at, seconds)] * connections)
    latencies = [x for lat, _ in results for x in lat]
    return {"connections": connections, "requests": len(latencies), "errors": sum(e for _, e in results),
            "req_per_s": len(latencies) / seconds, "p50_ms": pct(latencies, 50), "p99_ms": pct(latencies, 99)}


# ---- main ------------------------------------------------------------------------------------


def split_body(frame):
    """dataframe_split JSON with missing values as null."""
    data = [[None if (isinstance(v, float) and math.isnan(v)) else v for v in row] for row in frame.values.tolist()]
    return json.dumps({"dataframe_split": {"columns": list(frame.columns), "data": data}}).encode()


def check_predictions(name, url, body, want):
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        got = json.loads(r.read())["predictions"]
    if len(got) != len(want):
        raise SystemExit(f"{name}: {len(got)} predictions, expected {len(want)}")
    worst = max(abs(g - w) / max(abs(w), 1e-12) for g, w in zip(got, want))
    if worst > 1e-9:
        raise SystemExit(f"{name}: predictions differ from Booster.predict (max relative error {worst:.3g})")
    return worst


def main():
    import mlflow
    from mlflow.models import infer_signature

    work = pathlib.Path(tempfile.mkdtemp(prefix="ingot-bench-serving-"))
    procs = []

    def start(cmd, name, env):
        log = work / f"{name}.log"
        p = subprocess.Popen(cmd, stdout=open(log, "wb"), stderr=subprocess.STDOUT, env=env, start_new_session=True)
        procs.append(p)
        return p, log

    try:
        t0 = time.time()
        booster = train()
        print(f"load generator: {LOADGEN}; ingot binary: {INGOT}; model: LightGBM binary, {TREES} trees, {FEATURES} features, trained on {ROWS:,} rows "
              f"in {time.time() - t0:.1f} s; {SECONDS:g} s per phase; {os.cpu_count()} CPUs, load average "
              f"{os.getloadavg()[0]:.2f} before start", flush=True)

        env = dict(os.environ, INGOT_LOG_LEVEL="warning", INGOT_SERVING_PYTHON=sys.executable,
                   PATH=f"{VENV_BIN}:{os.environ.get('PATH', '')}")
        env.pop("INGOT_CONFIG", None)
        data_dir = work / "ingot"
        iport = free_port()
        ingot_url = f"http://127.0.0.1:{iport}"
        p, log = start([INGOT, "serve", "--port", str(iport), "--data-dir", str(data_dir)], "ingot-serve", env)
        wait_for(ingot_url + "/health", p, log)

        mlflow.set_tracking_uri(ingot_url)
        mlflow.set_registry_uri(ingot_url)
        example = make_frame(3, 5)
        with mlflow.start_run():
            info = mlflow.lightgbm.log_model(booster, name="model", signature=infer_signature(example, booster.predict(example)),
                                             registered_model_name=MODEL)
        version = info.registered_model_version

        status, answer = http("POST", ingot_url + "/api/2.0/serving-endpoints",
                              {"name": MODEL, "config": {"served_entities": [{"entity_name": MODEL, "entity_version": str(version)}]}})
        if status != 200:
            raise SystemExit(f"creating the endpoint failed: {status} {answer}")
        deadline = time.time() + 120
        while True:
            _, ep = http("GET", f"{ingot_url}/api/2.0/serving-endpoints/{MODEL}")
            if ep["state"]["config_update"] != "IN_PROGRESS":
                break
            if time.time() > deadline:
                raise SystemExit(f"endpoint not ready: {ep}")
            time.sleep(0.2)
        if ep["state"]["ready"] != "READY":
            raise SystemExit(f"endpoint not ready: {ep}")
        _, meta = http("GET", f"{ingot_url}/v2/models/{MODEL}")
        platform = meta.get("platform", "?") if isinstance(meta, dict) else "?"
        if not platform.endswith("-native"):
            print(f"WARNING: the endpoint serves through {platform}, not a native evaluator (an older ingot binary?)", flush=True)

        sport, mport = free_port(), free_port()
        serve_env = dict(env, MLFLOW_TRACKING_URI=ingot_url)
        p1, log1 = start([INGOT, "models", "serve", "-m", f"models:/{MODEL}/{version}", "-p", str(sport), "--data-dir", str(data_dir)],
                         "ingot-models-serve", serve_env)
        t1 = time.time()
        p2, log2 = start([str(VENV_BIN / "mlflow"), "models", "serve", "-m", f"models:/{MODEL}/{version}", "--env-manager", "local",
                          "-p", str(mport), "--host", "127.0.0.1"], "mlflow-models-serve", serve_env)
        wait_for(f"http://127.0.0.1:{sport}/ping", p1, log1)
        wait_for(f"http://127.0.0.1:{mport}/ping", p2, log2)
        print(f"served: endpoint platform {platform}; mlflow models serve up in {time.time() - t1:.1f} s "
              f"(default workers: 1 uvicorn process)", flush=True)

        targets = [
            ("ingot endpoint", iport, f"/serving-endpoints/{MODEL}/invocations"),
            ("ingot models serve", sport, "/invocations"),
            ("mlflow models serve", mport, "/invocations"),
        ]

        # Same answers first: a batch with missing values, then single rows, against Booster.predict.
        check = make_frame(4, BATCH, missing=0.05)
        want = booster.predict(check).tolist()
        singles = make_frame(5, 512)
        single_bodies = [split_body(singles.iloc[[k]]) for k in range(len(singles))]
        want_single = booster.predict(singles.iloc[:8]).tolist()
        for name, port, path in targets:
            url = f"http://127.0.0.1:{port}{path}"
            worst = check_predictions(name, url, split_body(check), want)
            for k in range(8):
                worst = max(worst, check_predictions(name, url, single_bodies[k], want_single[k:k + 1]))
            print(f"  {name:20} answers like Booster.predict (max relative difference {worst:.2g})", flush=True)

        batch_bodies = [split_body(make_frame(10 + k, BATCH)) for k in range(4)]
        # Phases run target after target for each load shape (not server after server), so a burst of
        # background load on a shared machine falls on all servers alike.
        results = {name: {"single": [], "batch": None} for name, _, _ in targets}
        for c in CONCURRENCY:
            for name, port, path in targets:
                results[name]["single"].append(load("127.0.0.1", port, path, single_bodies, c, SECONDS))
            print(f"  measured single rows at {c} connection(s)", flush=True)
        for name, port, path in targets:
            b = load("127.0.0.1", port, path, batch_bodies, 1, SECONDS)
            b["rows_per_s"] = b["req_per_s"] * BATCH
            results[name]["batch"] = b
        print("  measured 1000-row batches", flush=True)
        # The router's floor: GET /ping through Hummingbird's router of `ingot models serve`, one connection.
        floor = load("127.0.0.1", sport, "/ping", [b""], 1, min(SECONDS, 3), method="GET")

        report(results, floor)
        print(json.dumps({"load_average_after": os.getloadavg()[0], "results": results}))
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        if os.environ.get("BENCH_KEEP") != "1":
            subprocess.run(["rm", "-rf", str(work)])


def report(results, floor):
    base = results["mlflow models serve"]
    print(f"\n{'single row (dataframe_split)':34} {'conns':>5} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} | {'vs mlflow req/s':>15} {'p99':>7}")
    for name, r in results.items():
        for k, row in enumerate(r["single"]):
            m = base["single"][k]
            ratio = row["req_per_s"] / m["req_per_s"] if m["req_per_s"] else float("inf")
            p99r = m["p99_ms"] / row["p99_ms"] if row["p99_ms"] else float("nan")
            print(f"{name:34} {row['connections']:5} {row['req_per_s']:10.0f} {row['p50_ms']:8.3f} {row['p99_ms']:8.3f} {row['errors']:6} | "
                  f"{ratio:14.1f}x {p99r:6.1f}x")
    print(f"\n{'batch of ' + str(BATCH) + ' rows, 1 connection':34} {'rows/s':>10} {'p50 ms':>8} {'p99 ms':>8} | {'vs mlflow':>10}")
    for name, r in results.items():
        b = r["batch"]
        ratio = b["rows_per_s"] / base["batch"]["rows_per_s"] if base["batch"]["rows_per_s"] else float("inf")
        print(f"{name:34} {b['rows_per_s']:10.0f} {b['p50_ms']:8.2f} {b['p99_ms']:8.2f} | {ratio:9.1f}x")
    # Scoring requests to native models take the fast lane below the router; /ping goes through
    # Hummingbird's router, so this is the router's floor at one connection, for comparison.
    print(f"\nrouter floor ({LOADGEN}, GET /ping through the router of ingot models serve, 1 connection): {floor['req_per_s']:.0f} req/s, "
          f"p50 {floor['p50_ms']:.3f} ms, p99 {floor['p99_ms']:.3f} ms")
    ours = results["ingot endpoint"]["single"][0]
    theirs = base["single"][0]
    if ours["connections"] == 1:
        print(f"\ntargets (issue 8) at 1 connection: >= 50x requests/s -> {ours['req_per_s'] / theirs['req_per_s']:.1f}x; "
              f"p99 < 1 ms -> {ours['p99_ms']:.3f} ms")


if __name__ == "__main__":
    main()
