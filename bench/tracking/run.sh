#!/usr/bin/env bash
# Ingot vs `mlflow server` (SQLite backend, default workers): log-batch throughput and latency at
# 1/8/32 clients, and search_runs latency after loading BENCH_RUNS runs x 20 metrics into each.
# Env: INGOT_BIN (default .build/release/ingot, else .build/debug/ingot), PYTHON (default .venv/bin/python),
#      BENCH_RUNS (default 100000; CI smoke e.g. 200), BENCH_SECONDS (default 10), BENCH_SEARCHES (default 30),
#      BENCH_MLFLOW_SEARCHES (default 5).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
VENV_BIN=$(dirname "$PYTHON")
INGOT_BIN=${INGOT_BIN:-}
if [[ -z "$INGOT_BIN" ]]; then
  if [[ -x .build/release/ingot ]]; then INGOT_BIN=.build/release/ingot; else INGOT_BIN=.build/debug/ingot; fi
fi
WORK=$(mktemp -d /tmp/ingot-bench-XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 1 240); do curl -sf "$1/health" >/dev/null 2>&1 && return 0; sleep 0.5; done; echo "server $1 did not start" >&2; return 1; }

echo "ingot binary: $INGOT_BIN; runs: ${BENCH_RUNS:-100000}; seconds per phase: ${BENCH_SECONDS:-10}"
IPORT=$(free_port); MPORT=$(free_port)
"$INGOT_BIN" serve --port "$IPORT" --data-dir "$WORK/ingot" --log-level warning >"$WORK/ingot.log" 2>&1 &
PIDS+=($!)
# MLflow's database is created and bulk-loaded in-process first, then served.
MDB="sqlite:///$WORK/mlflow.db"
cd bench/tracking
MEXP=$(PATH="$VENV_BIN:$PATH" "$PYTHON" load_mlflow.py "$MDB" "mlflow-artifacts:" | tail -1)
cd "$ROOT"
PATH="$VENV_BIN:$PATH" "$VENV_BIN/mlflow" server --backend-store-uri "$MDB" --artifacts-destination "$WORK/mlartifacts" \
  --host 127.0.0.1 --port "$MPORT" >"$WORK/mlflow.log" 2>&1 &
PIDS+=($!)
wait_up "http://127.0.0.1:$IPORT"; wait_up "http://127.0.0.1:$MPORT"
ARGS=(--ingot "http://127.0.0.1:$IPORT" --mlflow "http://127.0.0.1:$MPORT")
cd bench/tracking
IEXP=$("$PYTHON" bench.py "${ARGS[@]}" --phase load-ingot | tail -1 | "$PYTHON" -c 'import json,sys; d=json.load(sys.stdin); print(d["exp"]); print("loaded ingot in %.0f s" % d["seconds"], file=sys.stderr)')
"$PYTHON" bench.py "${ARGS[@]}" --phase search --exp "$IEXP" "$MEXP" >"$WORK/search.json"
"$PYTHON" bench.py "${ARGS[@]}" --phase logbatch >"$WORK/logbatch.json"
"$PYTHON" report.py "$WORK/logbatch.json" "$WORK/search.json"
