#!/usr/bin/env bash
# Runs the TLS/transport tests inside a target's build root, against that release's
# mbedTLS (Debian 13: 3.6 with TLS 1.3; Debian 12: 2.28, TLS 1.2 only), with the
# fixtures on the root's own Python (a venv with grpcio, cryptography, protobuf).
#
# Usage (root): Tests/Package/test_transport_in_root.sh [target] [swift test --filter]
#   default: trixie-amd64 'GRPCTransportTests|AuthAndTransport'
# amd64 targets only (the host's /opt/swift is bind-mounted). Roots: packaging/roots.sh; the
# debug build stays in the root's /root/scratch between runs.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/packaging/roots.sh"
target=${1:-trixie-amd64}
filter=${2:-GRPCTransportTests|AuthAndTransport}
[ "$(target_arch "$target")" = "$HOST_ARCH" ] || { echo "test_transport_in_root: $HOST_ARCH targets only" >&2; exit 2; }

dir=$(ensure_root "$target" build)
trap 'umount_root "$dir"' EXIT
mount_root "$dir" "$ROOT"
# The emulator needs a newer protobuf than Debian's python3-protobuf (GetMessageClass), so the
# fixtures get a venv in the root from PyPI, like the host's `make venv`.
if [ ! -f "$dir/root/venv/.installed" ]; then
    chroot "$dir" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
    chroot "$dir" python3 -m venv /root/venv
    # PyPI is reached the way the host's pip reaches it, trusting the host's CA bundle.
    cp /etc/ssl/certs/ca-certificates.crt "$dir/root/host-ca-certificates.crt"
    chroot "$dir" env -i PATH=/usr/bin:/bin HOME=/root PIP_CERT=/root/host-ca-certificates.crt \
        /root/venv/bin/pip install -q grpcio grpcio-tools protobuf cryptography
    touch "$dir/root/venv/.installed"
fi
chroot "$dir" env -i HOME=/root LANG=C.UTF-8 PATH=/opt/swift/usr/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    ZEROBUS_PYTHON=/root/venv/bin/python sh -c "cd /src && swift build --build-tests --scratch-path /root/scratch \
    && swift test --skip-build --scratch-path /root/scratch --filter '$filter'"
