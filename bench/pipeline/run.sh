#!/usr/bin/env bash
# Pipeline benchmark: the retail example (examples/retail, orders and customers: bronze -> silver with
# drop/fail/warn expectations -> gold) scaled to BENCH_ROWS order rows by the example's own generator,
# run in one go on the same landing files by Ingot (`ingot pipelines run` against `ingot serve`), by the
# same SQL as a PySpark job (local[2]) and as a DuckDB script. Prints the median wall time per engine and
# Ingot/other speed ratios (>1 = Ingot faster) after checking that the three gold tables agree.
# PySpark and DuckDB live in a bench-only virtualenv (bench/pipeline/.venv, pinned in requirements.txt);
# Java comes from the system (`default-jre-headless` is installed with apt when `java` is missing).
# Env: BENCH_ROWS (default 10,000,000), BENCH_RUNS (default 3), BENCH_FILES (landing batches, default 10),
#      BENCH_PYSPARK (1 = include PySpark; default 1, and 0 in the CI smoke run unless set),
#      BENCH_SPARK_MEMORY (driver memory, default 4g), BENCH_KEEP=1 keeps the work directory,
#      INGOT_BIN (default: release build), PYTHON (interpreter for the virtualenv, default python3).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${INGOT_BIN:-}" ]; then
    swift build -c release --scratch-path .build-release --product ingot >&2
    export INGOT_BIN="$PWD/.build-release/release/ingot"
fi
export INGOT_BIN=$(realpath "$INGOT_BIN")
if [ "${BENCH_SMOKE:-0}" = 1 ]; then
    export BENCH_PYSPARK="${BENCH_PYSPARK:-0}"
else
    export BENCH_PYSPARK="${BENCH_PYSPARK:-1}"
fi
VENV=bench/pipeline/.venv
if [ ! -x "$VENV/bin/python" ]; then "${PYTHON:-python3}" -m venv "$VENV"; fi
if [ "$BENCH_PYSPARK" = 1 ]; then
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r bench/pipeline/requirements.txt
    if ! command -v java >/dev/null 2>&1; then
        SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
        $SUDO apt-get update -q >&2
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q default-jre-headless >&2
    fi
else
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "$(grep '^duckdb==' bench/pipeline/requirements.txt)"
fi
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
exec "$VENV/bin/python" bench/pipeline/bench.py
