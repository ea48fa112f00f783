#!/usr/bin/env bash
# Builds dist/ingot_<version>_<arch>.deb.
#
#   packaging/build-deb.sh [BINARY]
#
# Without BINARY it builds a release binary first. The Swift runtime libraries the binary uses
# are shipped in /usr/lib/ingot (found with ldd, rpath set with patchelf), so the package needs
# no Swift toolchain; system libraries become `Depends:` through dpkg-shlibdeps.
set -euo pipefail
cd "$(dirname "$0")/.."

binary="${1:-}"
if [ -z "$binary" ]; then
    swift build -c release --product ingot
    binary=.build/release/ingot
fi
version=$(sed -n 's/.*static let current = "\(.*\)".*/\1/p' Sources/IngotCore/IngotVersion.swift)
arch=$(dpkg --print-architecture)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/root"

install -d "$root/DEBIAN" "$root/usr/bin" "$root/usr/lib/ingot" "$root/etc/ingot" \
    "$root/lib/systemd/system" "$root/usr/share/doc/ingot"
install -m 0755 "$binary" "$root/usr/bin/ingot"
strip --strip-unneeded "$root/usr/bin/ingot" 2>/dev/null || true

# Bundle the Swift runtime: every shared library resolved from outside the system library dirs.
ldd "$binary" | awk '/=> \// { print $3 }' | while read -r lib; do
    case "$lib" in
        /lib/*|/usr/lib/*) ;;
        *) install -m 0644 "$lib" "$root/usr/lib/ingot/" ;;
    esac
done
patchelf --set-rpath /usr/lib/ingot "$root/usr/bin/ingot"
for lib in "$root"/usr/lib/ingot/*.so*; do
    [ -e "$lib" ] && patchelf --set-rpath '$ORIGIN' "$lib"
done

install -m 0644 packaging/ingot.yaml "$root/etc/ingot/ingot.yaml"
install -m 0644 packaging/ingot.service "$root/lib/systemd/system/ingot.service"
install -m 0644 README.md "$root/usr/share/doc/ingot/README.md"
install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$root/DEBIAN/"
echo "/etc/ingot/ingot.yaml" > "$root/DEBIAN/conffiles"

# Runtime dependencies from the ELF files themselves.
mkdir -p "$work/debian"
printf 'Source: ingot\n\nPackage: ingot\nArchitecture: any\n' > "$work/debian/control"
depends=$(cd "$work" && dpkg-shlibdeps -O -l"$root/usr/lib/ingot" --ignore-missing-info \
    "$root/usr/bin/ingot" "$root"/usr/lib/ingot/*.so* 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
depends="${depends:+$depends, }adduser"

size=$(du -sk "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: ingot
Version: $version
Architecture: $arch
Maintainer: Ingot developers <ingot@localhost>
Installed-Size: $size
Depends: $depends
Section: database
Priority: optional
Homepage: http://127.0.0.1:8470
Description: self-hosted data and ML platform in one binary
 Ingot runs ETL pipelines over a medallion lakehouse, MLflow-compatible
 experiment tracking, a model registry, model serving and a data catalog in
 one process, on SQLite and local files by default.
CONTROL

mkdir -p dist
out="dist/ingot_${version}_${arch}.deb"
dpkg-deb --root-owner-group --build "$root" "$out" >/dev/null
echo "$out"
