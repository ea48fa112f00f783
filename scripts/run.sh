#!/usr/bin/env bash
# Quick start: install the system libraries, build Ingot (release) and run `ingot serve` on the
# embedded defaults (SQLite + local files under ./ingot-data). Extra arguments go to `ingot serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
require_swift
install_packages $BUILD_PACKAGES
echo "==> building ingot (release; the first build takes several minutes)"
swift build -c release --product ingot
echo "==> open http://127.0.0.1:8470 (Ctrl-C stops the server)"
exec .build/release/ingot serve "$@"
