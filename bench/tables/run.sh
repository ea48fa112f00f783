#!/usr/bin/env bash
# Tables benchmark, Ingot and its anchors in one run on the same machine:
#  (a) CSV -> table ingest: `ingot tables ingest` (upload, parse, Parquet+Delta+Iceberg commit) vs
#      `deltalake.write_deltalake` fed by `pyarrow.csv.read_csv`;
#  (b) a group-by aggregate and a join, Ingot SQL (`ingot sql` over REST) vs DuckDB on the same Parquet files.
# Env: BENCH_ROWS (default 10,000,000), BENCH_RUNS (default 3), INGOT_BIN (default: release build), PYTHON.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${INGOT_BIN:-}" ]; then
    swift build -c release --scratch-path .build-release --product ingot >&2
    export INGOT_BIN="$PWD/.build-release/release/ingot"
fi
PY="${PYTHON:-.venv/bin/python}"
exec "$PY" bench/tables/bench.py
