# Debian roots per target (<release>-<arch>, e.g. trixie-arm64), sourced by
# packaging/build-packages.sh and Tests/Package/test_packages.sh.
#
# Roots live outside the repository in $ROOTS_DIR: debootstrap's .deb cache per
# target (debs-<target>), a tarball of each finished root (<target>-<kind>.tar) and
# the unpacked root (<target>-<kind>). A rebuild reuses the unpacked build root; a
# test unpacks a fresh test root from its tarball each time. Nothing is downloaded
# again unless $ROOTS_DIR is removed (apt-get still fetches the package's Depends in
# a test root, from the mirror).
#
# kind "build": debhelper and the -dev libraries. amd64 builds there with the host's
# /opt/swift bind-mounted (the runtime libraries it needs come from the root); arm64 is
# cross-compiled (packaging/cross.sh, this root as its sysroot) and packaged here under qemu-user.
# kind "test": minbase, nothing of ours; the package brings its Depends.
# kind "cross": the compiler for a foreign target (packaging/cross.sh): sid's swiftlang.

ROOTS_DIR=${ROOTS_DIR:-/var/cache/zerobus-edge-roots}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
# trixie-arm64 is cross-compiled (packaging/cross.sh); its root and test run under qemu-user.
ALL_TARGETS="bookworm-amd64 trixie-amd64 trixie-arm64"
HOST_ARCH=$(dpkg --print-architecture)

target_release() { echo "${1%-*}"; }
target_arch() { echo "${1##*-}"; }

build_packages() { # build_packages TARGET: the root's --include list
    local release arch curl
    release=$(target_release "$1"); arch=$(target_arch "$1")
    local list=debhelper,dpkg-dev,libmbedtls-dev,libmosquitto-dev,libnghttp2-dev,libsqlite3-dev,pkgconf,git,ca-certificates
    if [ "$arch" = "$HOST_ARCH" ]; then
        # What the host toolchain's swift-build/swift-frontend link against (ldd).
        # debian/rules passes gold's --icf=all; from Debian 13 gold is its own package.
        curl=libcurl4 gold=
        [ "$release" = bookworm ] || { curl=libcurl4t64; gold=,binutils-gold; }
        list+=,$curl,libxml2,libedit2,libncurses6,zlib1g-dev,binutils$gold,libuuid1
    fi
    echo "$list"
}
# The cross root's --include list: the compiler, and what debian/rules' build target needs.
CROSS_PACKAGES=swiftlang,libc6-dev,make,dpkg-dev,git,ca-certificates,pkgconf

# Foreign architectures run through binfmt_misc + qemu-user-static (flag P, no F:
# the interpreter must exist inside the root, so it is copied in).
enable_qemu() {
    local arch=$1
    [ "$arch" = "$HOST_ARCH" ] && return 0
    [ "$arch" = arm64 ] || { echo "roots: no qemu set-up for $arch" >&2; return 1; }
    command -v qemu-aarch64-static >/dev/null || apt-get install -y -qq qemu-user-static binfmt-support >/dev/null
    mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
    update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
}
copy_qemu() {
    local dir=$1 arch=$2
    [ "$arch" = "$HOST_ARCH" ] && return 0
    mkdir -p "$dir/usr/libexec/qemu-binfmt"
    cp /usr/bin/qemu-aarch64-static "$dir/usr/bin/"
    ln -sf /usr/bin/qemu-aarch64-static "$dir/usr/libexec/qemu-binfmt/aarch64-binfmt-P"
}

# ensure_root TARGET KIND [fresh]: prints the root's path; makes it when missing
# (from the tarball, else with debootstrap, then keeps a tarball).
ensure_root() {
    local target=$1 kind=$2 fresh=${3:-}
    local release arch dir tar log
    release=$(target_release "$target"); arch=$(target_arch "$target")
    dir="$ROOTS_DIR/$target-$kind"; tar="$dir.tar"; log="$ROOTS_DIR/logs/$target-$kind.log"
    mkdir -p "$ROOTS_DIR/logs" "$ROOTS_DIR/debs-$target"
    enable_qemu "$arch"
    if [ -n "$fresh" ] && [ -f "$tar" ]; then umount_root "$dir"; remove_root "$dir" || return 1; fi
    if [ ! -x "$dir/usr/bin/dpkg" ]; then
        remove_root "$dir" || return 1; mkdir -p "$dir"
        if [ -f "$tar" ]; then
            tar -C "$dir" -xf "$tar"
        else
            echo "roots: debootstrap $target ($kind) into $dir, log $log" >&2
            local variant=minbase include=adduser
            [ "$kind" = build ] && { variant=buildd; include=$(build_packages "$target"); }
            [ "$kind" = cross ] && include=$CROSS_PACKAGES
            # Two stages so the foreign root gets qemu before its packages are configured.
            debootstrap --foreign --variant=$variant --arch="$arch" --cache-dir="$ROOTS_DIR/debs-$target" \
                --include="$include" "$release" "$dir" "$MIRROR" >"$log" 2>&1 || { tail -20 "$log" >&2; return 1; }
            copy_qemu "$dir" "$arch"
            chroot "$dir" /debootstrap/debootstrap --second-stage >>"$log" 2>&1 || { tail -20 "$log" >&2; return 1; }
            # SwiftPM fetches the dependencies from the host's local mirrors, like the host's git does.
            printf '[url "/opt/swift-packages/"]\n\tinsteadOf = https://github.com/\n[safe]\n\tdirectory = *\n' >"$dir/etc/gitconfig"
            tar -C "$dir" -cf "$tar" .
        fi
    fi
    echo "$dir"
}

# rm -rf of a root that still has /dev or the checkout bound inside would delete the host's
# files, so a root is only removed when nothing is mounted below it.
remove_root() {
    local dir=$1
    [ -e "$dir" ] || return 0
    if awk -v d="$dir/" 'index($2, d) == 1 {found=1} END {exit !found}' /proc/mounts; then
        echo "roots: $dir still has mounts; not removing it" >&2; return 1
    fi
    rm -rf "$dir"
}

# mount_root DIR [SOURCE]: /proc and /dev; with SOURCE (a build) also the checkout at /src and
# the host's Swift toolchain and package mirrors (read-only). A test root gets neither, so the
# installed binary cannot lean on the toolchain's libraries.
mount_root() {
    local dir=$1 source=${2:-}
    mountpoint -q "$dir/proc" || mount -t proc proc "$dir/proc"
    if ! mountpoint -q "$dir/dev"; then mount --rbind /dev "$dir/dev"; mount --make-rslave "$dir/dev"; fi
    local pair from to
    [ -n "$source" ] || return 0
    for pair in /opt/swift:/opt/swift /opt/swift-packages:/opt/swift-packages ${source:+$source:/src}; do
        from=${pair%%:*}; to=$dir${pair#*:}
        [ -d "$from" ] || continue
        mkdir -p "$to"
        mountpoint -q "$to" && continue
        mount --bind "$from" "$to"
        [ "$from" = "$source" ] || mount -o remount,bind,ro "$to"
    done
}
umount_root() {
    local dir=$1 point
    [ -d "$dir" ] || return 0
    for point in sysroot src opt/swift-packages opt/swift dev proc; do
        mountpoint -q "$dir/$point" && umount -R "$dir/$point"
    done
    return 0
}
