#!/usr/bin/env bash
# The whole test suite: installs what it needs (Debian packages, pinned Python deps in .venv),
# builds once, then runs the Swift tests, the interop tests against the real binary (pytest,
# including browser tests), the package test and every benchmark at smoke size.
#
# Sizes: INGOT_CRASH_TRIALS (kill -9 trials, default 50), INGOT_LOAD_SECONDS, INGOT_MUTANTS and the
# benchmarks' BENCH_* variables take their smoke values here; raise them for a full run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
require_swift
start=$(date +%s)
stamp() { echo "==> [$(( $(date +%s) - start ))s] $*"; }

stamp "system packages"
install_packages $BUILD_PACKAGES $TEST_PACKAGES

stamp "python test dependencies (.venv)"
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r Tests/interop/requirements.txt

stamp "web assets are up to date"
python3 scripts/gen-web-assets.py --check

# One build configuration for everything: release with testability, so the unit tests, the
# interop tests, the .deb and the benchmarks all use the same binary.
stamp "build (release, with tests)"
swift build -c release -Xswiftc -enable-testing --build-tests
BIN="$(swift build -c release -Xswiftc -enable-testing --show-bin-path)/ingot"
export INGOT_BIN="$BIN"
export INGOT_TEST_OUTPUT="${INGOT_TEST_OUTPUT:-$PWD/test-output}"
mkdir -p "$INGOT_TEST_OUTPUT"

status=0
stamp "swift test"
swift test -c release -Xswiftc -enable-testing --skip-build || status=1

stamp "interop tests (pytest)"
# Two workers, a file per unit of work (Tests/interop/conftest.py keeps the timing-sensitive files together).
.venv/bin/python -m pytest Tests/interop -n 2 --dist loadfile -q -p no:cacheprovider --timeout 600 \
    --junitxml "$INGOT_TEST_OUTPUT/interop.xml" || status=1

stamp "package (.deb) build and install"
packaging/test-deb.sh "$BIN" || status=1

# Each benchmark at a smoke size so it cannot rot; run bench/*/run.sh by hand for real figures.
stamp "benchmarks (smoke size)"
for bench in bench/*/run.sh; do
    [ -x "$bench" ] || continue
    echo "--- $bench"
    case "$bench" in
        bench/startup/*) smoke=(BENCH_STARTS=2) ;;
        bench/parquet/*) smoke=(BENCH_ROWS=50000 BENCH_RUNS=1) ;;
        bench/tracking/*) smoke=(BENCH_RUNS=200 BENCH_SECONDS=2 BENCH_SEARCHES=5) ;;
        bench/tables/*) smoke=(BENCH_ROWS=100000 BENCH_RUNS=1) ;;
        bench/serving/*) smoke=(BENCH_SECONDS=2 BENCH_ROWS=5000) ;;
        bench/pipeline/*) smoke=(BENCH_ROWS=20000 BENCH_RUNS=1 BENCH_FILES=2) ;;  # PySpark only with BENCH_PYSPARK=1
        *) smoke=() ;;
    esac
    env BENCH_SMOKE=1 INGOT_BIN="$BIN" "${smoke[@]}" "$bench" || status=1
done

stamp "done (status $status)"
exit $status
