#!/usr/bin/env bash
# Cold start and idle RSS of `ingot serve` beside `mlflow server` (SQLite), same machine, same run.
# INGOT_BIN selects the binary (default .build/release/ingot); BENCH_SMOKE=1 does 2 runs each.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec .venv/bin/python bench/startup/startup.py
