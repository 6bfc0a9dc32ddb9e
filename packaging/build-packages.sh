#!/usr/bin/env bash
# Builds the .deb for each target in a clean Debian root of that release and
# architecture (what `make packages` runs), so each links that release's C
# libraries and gets its Depends from that release's dpkg-shlibdeps.
#
# Usage (root): packaging/build-packages.sh [target...]
#   targets: bookworm-amd64 trixie-amd64 trixie-arm64 (default: $TARGETS, else all three)
# Output: dist/<release>/zerobus-edge_<version>_<arch>.deb (+ dbgsym, .changes,
# .buildinfo) and dist/<release>/<arch>.build-seconds for the table of
# Tests/Package/test_packages.sh. Roots and their caches: $ROOTS_DIR (packaging/roots.sh).
#
# amd64 builds with the host's /opt/swift toolchain bind-mounted into the root.
# arm64 is cross-compiled at native speed with sid's swiftlang and a Swift SDK made of
# the arm64 build root (packaging/cross.sh), then packaged in that root under qemu-user.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/packaging/roots.sh"
. "$ROOT/packaging/cross.sh"
[ "$(id -u)" = 0 ] || { echo "build-packages: must run as root (debootstrap, chroot)" >&2; exit 2; }
read -r -a targets <<<"${*:-${TARGETS:-$ALL_TARGETS}}"
version=$(dpkg-parsechangelog -l "$ROOT/packaging/debian/changelog" -SVersion)

mounted=()
cleanup() { local dir; for dir in "${mounted[@]}"; do umount_root "$dir"; done; umount_cross; }
trap cleanup EXIT

status=0
for target in "${targets[@]}"; do
    release=$(target_release "$target"); arch=$(target_arch "$target")
    echo "build-packages: $target"
    dir=$(ensure_root "$target" build)
    mount_root "$dir" "$ROOT"; mounted+=("$dir")
    mkdir -p "$ROOT/dist/$release"
    log="$ROOT/dist/$release/$arch.build.log"
    start=$SECONDS
    prebuilt=
    if cross_target "$target"; then
        scratch="/src/.build-deb/$target/cross"
        { cross=$(prepare_cross "$target" "$dir" "$ROOT") \
            && cross_build "$cross" "$target" "$scratch"; } >"$log" 2>&1 \
            && prebuilt="$scratch/release/zerobus-edge" && echo $((SECONDS - start)) >"$ROOT/dist/$release/$arch.compile-seconds"
        umount_cross
    fi
    # Lintian is the host build's gate (make deb); the roots do not carry it.
    if { ! cross_target "$target" || [ -n "$prebuilt" ]; } && \
        chroot "$dir" env -i HOME=/root LANG=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin SWIFT=/opt/swift/usr/bin/swift \
        PREBUILT="$prebuilt" LINTIAN=0 STAGE="/src/.build-deb/$target/src" DIST="/src/dist/$release" \
        /src/packaging/build-deb.sh >>"$log" 2>&1; then
        echo $((SECONDS - start)) >"$ROOT/dist/$release/$arch.build-seconds"
        echo "build-packages: $target built in $((SECONDS - start)) s: dist/$release/zerobus-edge_${version}_$arch.deb"
    else
        rm -f "$ROOT/dist/$release/$arch.build-seconds"
        echo "build-packages: $target FAILED after $((SECONDS - start)) s ($log):" >&2
        tail -15 "$log" >&2
        status=1
    fi
    umount_root "$dir"
done
exit $status
