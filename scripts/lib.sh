# Shared by scripts/run.sh and scripts/test.sh: install what Ingot needs on Debian 12.
# shellcheck shell=bash

# Runs a command as root (directly, or through sudo when we are not root).
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# System libraries Ingot links against (and, for tests, the browser and packaging tools).
BUILD_PACKAGES="libsqlite3-dev libzstd-dev liblz4-dev libsnappy-dev zlib1g-dev libssl-dev"
TEST_PACKAGES="python3 python3-venv curl chromium chromium-driver dpkg-dev patchelf libgomp1 wrk"

# Installs Debian packages that are missing (apt-get update first, as a fresh machine needs).
install_packages() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "==> installing ${missing[*]}"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

require_swift() {
    if ! command -v swift >/dev/null 2>&1; then
        echo "error: the Swift 6 toolchain is not on PATH (https://www.swift.org/install/linux/)" >&2
        exit 1
    fi
}
