#!/usr/bin/env bash
# Builds the .deb for each target in a clean Debian root of that release and
# architecture (what `make packages` runs), so each links that release's C
# libraries and gets its Depends from that release's dpkg-shlibdeps.
#
# Usage (root): packaging/build-packages.sh [target...]
#   targets: bookworm-amd64 trixie-amd64 trixie-arm64 (default: $TARGETS, else the two amd64 ones)
# Output: dist/<release>/zerobus-edge_<version>_<arch>.deb (+ dbgsym, .changes,
# .buildinfo) and dist/<release>/<arch>.build-seconds for the table of
# Tests/Package/test_packages.sh. Roots and their caches: $ROOTS_DIR (packaging/roots.sh).
#
# amd64 builds with the host's /opt/swift toolchain bind-mounted into the root.
# arm64 builds under qemu-user with the root's own Swift (Debian's swiftlang);
# see packaging/README.md for what that can and cannot build.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/packaging/roots.sh"
[ "$(id -u)" = 0 ] || { echo "build-packages: must run as root (debootstrap, chroot)" >&2; exit 2; }
read -r -a targets <<<"${*:-${TARGETS:-$ALL_TARGETS}}"
version=$(dpkg-parsechangelog -l "$ROOT/packaging/debian/changelog" -SVersion)

mounted=()
cleanup() { local dir; for dir in "${mounted[@]}"; do umount_root "$dir"; done; }
trap cleanup EXIT

status=0
for target in "${targets[@]}"; do
    release=$(target_release "$target"); arch=$(target_arch "$target")
    echo "build-packages: $target"
    dir=$(ensure_root "$target" build)
    mount_root "$dir" "$ROOT"; mounted+=("$dir")
    swift=/opt/swift/usr/bin/swift
    [ "$arch" = "$HOST_ARCH" ] || swift=/usr/bin/swift
    mkdir -p "$ROOT/dist/$release"
    start=$SECONDS
    # Lintian is the host build's gate (make deb); the roots do not carry it.
    if chroot "$dir" env -i HOME=/root LANG=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin SWIFT="$swift" LINTIAN=0 \
        STAGE="/src/.build-deb/$target/src" DIST="/src/dist/$release" /src/packaging/build-deb.sh \
        >"$ROOT/dist/$release/$arch.build.log" 2>&1; then
        echo $((SECONDS - start)) >"$ROOT/dist/$release/$arch.build-seconds"
        echo "build-packages: $target built in $((SECONDS - start)) s: dist/$release/zerobus-edge_${version}_$arch.deb"
    else
        rm -f "$ROOT/dist/$release/$arch.build-seconds"
        echo "build-packages: $target FAILED after $((SECONDS - start)) s (dist/$release/$arch.build.log):" >&2
        tail -15 "$ROOT/dist/$release/$arch.build.log" >&2
        status=1
    fi
    umount_root "$dir"
done
exit $status
