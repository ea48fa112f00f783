#!/usr/bin/env bash
# Builds the .deb from BINARY, installs it, starts the installed binary with the installed config
# (pointed at a temporary data dir and a free port), checks /health and the admin page, then
# purges the package. As root it is a real dpkg install (maintainer scripts included); otherwise
# the package is unpacked into a scratch root.
set -euo pipefail
cd "$(dirname "$0")/.."
binary="${1:?usage: packaging/test-deb.sh BINARY}"

deb=$(packaging/build-deb.sh "$binary")
echo "built $deb"
dpkg-deb --info "$deb" | sed -n 's/^ *\(Depends\|Version\|Architecture\):/  &/p'
contents=$(dpkg-deb --contents "$deb")
for path in ./usr/bin/ingot ./etc/ingot/ingot.yaml ./lib/systemd/system/ingot.service; do
    grep -q " $path\$" <<<"$contents" || { echo "FAIL: $path missing from the package"; exit 1; }
done

data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
scratch=""
if [ "$(id -u)" -eq 0 ] && [ -z "${INGOT_DEB_SCRATCH:-}" ]; then
    dpkg -i "$deb" >/dev/null
    ingot=/usr/bin/ingot
    config=/etc/ingot/ingot.yaml
    getent passwd ingot >/dev/null || { echo "FAIL: postinst did not create the ingot user"; exit 1; }
    [ -d /var/lib/ingot ] || { echo "FAIL: postinst did not create /var/lib/ingot"; exit 1; }
else
    scratch=$(mktemp -d)
    dpkg-deb -x "$deb" "$scratch"
    ingot="$scratch/usr/bin/ingot"
    config="$scratch/etc/ingot/ingot.yaml"
    patchelf --set-rpath "$scratch/usr/lib/ingot" "$ingot"
fi

cleanup() {
    [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true
    rm -rf "$data"
    if [ -z "$scratch" ]; then dpkg --purge ingot >/dev/null 2>&1 || true; else rm -rf "$scratch"; fi
}
trap cleanup EXIT

# The installed binary must not need the Swift toolchain.
if ldd "$ingot" | grep -E 'not found|/opt/swift|\.build' ; then echo "FAIL: unresolved or toolchain libraries"; exit 1; fi

INGOT_DATA_DIR="$data" INGOT_SERVER_PORT="$port" "$ingot" serve --config "$config" >"$data/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
    sleep 0.1
done
health=$(curl -fsS "http://127.0.0.1:$port/health") || { echo "FAIL: /health"; cat "$data/serve.log"; exit 1; }
echo "$health" | grep -q '"status":"ok"' || { echo "FAIL: health: $health"; exit 1; }
curl -fsS "http://127.0.0.1:$port/" | grep -qi '<!doctype html>' || { echo "FAIL: admin page"; exit 1; }
kill -TERM "$pid"
wait "$pid"
pid=""
if [ -z "$scratch" ]; then
    dpkg --purge ingot >/dev/null
    if getent passwd ingot >/dev/null; then echo "FAIL: purge left the ingot user"; exit 1; fi
    [ ! -e /var/lib/ingot ] || { echo "FAIL: purge left /var/lib/ingot"; exit 1; }
fi
echo "package test: 1 passed, 0 failed"
