#!/usr/bin/env bash
# Ingot vs pyarrow Parquet benchmark. BENCH_ROWS (default 10,000,000) and BENCH_RUNS (default 3).
# Builds Ingot in release into .build-release (the first build takes several minutes).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${INGOT_BIN:-}" ]; then
    swift build -c release --scratch-path .build-release --product ingot >&2
    export INGOT_BIN="$PWD/.build-release/release/ingot"
fi
PY="${PYTHON:-.venv/bin/python}"
exec "$PY" bench/parquet/bench.py
