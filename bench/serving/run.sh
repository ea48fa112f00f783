#!/usr/bin/env bash
# Serving benchmark, Ingot and `mlflow models serve --env-manager local` in one run on the same machine:
# one LightGBM model (200 trees, 30 features, binary) registered with the real mlflow client, served by
# an `ingot serve` endpoint, by `ingot models serve` and by `mlflow models serve`; predictions checked
# equal first, then single-row requests at 1 and 16 connections (requests/s, p50, p99, ratios) and
# 1000-row batches (rows/s). See bench.py for the load generator.
# Env: INGOT_BIN (default .build/release/ingot, else .build/debug/ingot), PYTHON (default .venv/bin/python),
#      BENCH_SECONDS (per phase, default 10; CI smoke 2), BENCH_ROWS (training rows, default 50000; CI smoke 5000),
#      BENCH_CONCURRENCY (default 1,16), BENCH_KEEP=1 keeps the work directory (server logs).
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-$PWD/.venv/bin/python}
if [[ -z "${INGOT_BIN:-}" ]]; then
  if [[ -x .build/release/ingot ]]; then INGOT_BIN=.build/release/ingot; else INGOT_BIN=.build/debug/ingot; fi
fi
export INGOT_BIN=$(realpath "$INGOT_BIN")
# `mlflow models serve --env-manager local` runs from the virtualenv's bin/ (as a user's would).
export PATH="$(dirname "$PYTHON"):$PATH"
exec "$PYTHON" bench/serving/bench.py
