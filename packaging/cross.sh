# Cross-compiling for arm64 at native speed, sourced by packaging/build-packages.sh after
# packaging/roots.sh.
#
# Why cross: under qemu-user a Swift build costs ~15x the CPU (a release build of this
# package: hours), and the only arm64 Swift that reads our 6.2 manifest is sid's
# swiftlang, whose own binaries need sid's libc. Cross-compiling splits the two:
#   - the compiler is sid's amd64 swiftlang, run natively in a sid amd64 root
#     ("sid-amd64-cross"); only the compiler needs sid's libc;
#   - the target is a Swift SDK made of the trixie arm64 build root (the sysroot: trixie's
#     libc, mbedTLS 3.6, libmosquitto, nghttp2, SQLite headers and libraries) plus the
#     arm64 Swift runtime of the SAME swiftlang version (Swift modules are tied to the
#     compiler that built them), taken from sid's arm64 swiftlang .deb and linked
#     statically, so the package needs no Swift on the gateway.
# The sysroot is an overlay: the trixie root stays untouched below, the Swift runtime
# (usr/lib/swift, swift_static, clang's headers) is added above it.
# The binary then goes through dpkg-buildpackage in the trixie arm64 root under qemu
# (debian/rules PREBUILT=), so its Depends come from trixie's dpkg-shlibdeps and its
# --version/check-config build test runs on arm64.

CROSS_TOOLCHAIN=sid-amd64   # where the compiler comes from: <release>-<host arch>
CROSS_DIR="$ROOTS_DIR/cross"

cross_target() { [ "$(target_arch "$1")" != "$HOST_ARCH" ]; }

# swift_sdk_name TARGET: the SDK's id in `swift sdk list`, e.g. trixie-arm64.
swift_sdk_name() { echo "$1"; }

# cross_runtime_debs VERSION ARCH: fetches sid's swiftlang and libswiftlang .debs of the
# compiler's upstream VERSION for ARCH into $CROSS_DIR (once), prints their paths.
cross_runtime_debs() {
    local upstream=$1 arch=$2 index="$CROSS_DIR/Packages-sid-$2" pkg file
    mkdir -p "$CROSS_DIR"
    [ -s "$index" ] || curl -fsS "$MIRROR/dists/sid/main/binary-$arch/Packages.xz" | xz -dc >"$index"
    for pkg in swiftlang libswiftlang; do
        # A binNMU (+bN) may differ between architectures; the upstream version may not.
        file=$(awk -v RS= -v p="$pkg" -v v="$upstream" '
            $0 ~ "(^|\n)Package: " p "\n" && match($0, /\nVersion: [^\n]*/) {
                ver = substr($0, RSTART + 10, RLENGTH - 10); sub(/-[^-]*$/, "", ver)
                if (ver == v && match($0, /\nFilename: [^\n]*/)) print substr($0, RSTART + 11, RLENGTH - 11) }' "$index")
        [ -n "$file" ] || { echo "cross: sid has no $pkg $upstream for $arch (its Packages index: $index)" >&2; return 1; }
        [ -s "$CROSS_DIR/$(basename "$file")" ] || curl -fsS -o "$CROSS_DIR/$(basename "$file")" "$MIRROR/$file" || return 1
        echo "$CROSS_DIR/$(basename "$file")"
    done
}

# prepare_cross TARGET BUILD_ROOT SOURCE: makes the toolchain root and the Swift SDK for TARGET
# (sysroot BUILD_ROOT), mounts the checkout SOURCE and the sysroot overlay in it; prints its path.
prepare_cross() {
    local target=$1 sysroot_lower=$2 source=$3 arch upstream debs deb runtime upper work cross sdk
    arch=$(target_arch "$target")
    cross=$(ensure_root "$CROSS_TOOLCHAIN" cross) || return 1
    mount_root "$cross" "$source"   # swift finds its own libraries through /proc/self/exe
    upstream=$(chroot "$cross" dpkg-query -W -f '${Version}' swiftlang | sed 's/-[^-]*$//')
    runtime="$CROSS_DIR/swift-$upstream-$arch"
    if [ ! -d "$runtime/usr/libexec/swift/lib/swift_static" ]; then
        debs=$(cross_runtime_debs "$upstream" "$arch") || return 1
        rm -rf "$runtime.tmp"; mkdir -p "$runtime.tmp"
        for deb in $debs; do dpkg-deb -x "$deb" "$runtime.tmp"; done
        mv "$runtime.tmp" "$runtime"
    fi
    upper="$CROSS_DIR/sysroot-$target-$upstream"; work="$CROSS_DIR/overlay-work-$target"
    if [ ! -d "$upper/usr/lib/swift_static" ]; then
        rm -rf "$upper"; mkdir -p "$upper/usr/lib"
        cp -a "$runtime/usr/libexec/swift/lib/swift" "$runtime/usr/libexec/swift/lib/swift_static" \
            "$runtime/usr/libexec/swift/lib/clang" "$upper/usr/lib/"
    fi
    mkdir -p "$work" "$cross/sysroot"
    mountpoint -q "$cross/sysroot" || mount -t overlay overlay \
        -o "lowerdir=$sysroot_lower,upperdir=$upper,workdir=$work" "$cross/sysroot"

    sdk="$cross/root/sdk/$target.artifactbundle"
    rm -rf "$sdk"; mkdir -p "$sdk/$target"
    cat >"$sdk/info.json" <<EOF
{"schemaVersion": "1.0", "artifacts": {"$(swift_sdk_name "$target")": {"type": "swiftSDK", "version": "$upstream",
  "variants": [{"path": "$target", "supportedTriples": ["x86_64-pc-linux-gnu"]}]}}}
EOF
    cat >"$sdk/$target/swift-sdk.json" <<EOF
{"schemaVersion": "4.0", "targetTriples": {"aarch64-unknown-linux-gnu": {
  "sdkRootPath": "/sysroot",
  "swiftResourcesPath": "/sysroot/usr/lib/swift",
  "swiftStaticResourcesPath": "/sysroot/usr/lib/swift_static",
  "toolsetPaths": ["toolset.json"]}}}
EOF
    # The toolchain's own lld links any architecture; gold would need binutils-aarch64-linux-gnu.
    cat >"$sdk/$target/toolset.json" <<EOF
{"schemaVersion": "1.0", "rootPath": "/usr/libexec/swift/bin",
 "linker": {"path": "ld.lld"}, "swiftCompiler": {"extraCLIOptions": ["-use-ld=lld"]}}
EOF
    chroot "$cross" swift sdk remove "$(swift_sdk_name "$target")" >/dev/null 2>&1 || true
    chroot "$cross" swift sdk install "/root/sdk/$target.artifactbundle" >/dev/null || return 1
    echo "$cross"
}

# cross_build CROSS_ROOT TARGET SCRATCH: debian/rules' own release build (same flags) with the SDK;
# SCRATCH is a path inside the checkout (/src/...). pkg-config answers for the sysroot.
cross_build() {
    local cross=$1 target=$2 scratch=$3
    chroot "$cross" env -i HOME=/root LANG=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        PKG_CONFIG_SYSROOT_DIR=/sysroot \
        PKG_CONFIG_LIBDIR=/sysroot/usr/lib/aarch64-linux-gnu/pkgconfig:/sysroot/usr/share/pkgconfig \
        make -C /src -f packaging/debian/rules override_dh_auto_build \
        SWIFT_SDK="$(swift_sdk_name "$target")" SCRATCH="$scratch"
}

umount_cross() {
    local cross="$ROOTS_DIR/$CROSS_TOOLCHAIN-cross"
    mountpoint -q "$cross/sysroot" && umount "$cross/sysroot"
    umount_root "$cross"
}
