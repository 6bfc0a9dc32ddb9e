#!/usr/bin/env bash
# First run, as a new operator following README.md "Operating it on a gateway" on a clean
# Debian 12 machine: a Debian 12 container (systemd-nspawn, real systemd, its own network
# namespace, so the default ports 1883 and 9464 are its own) with only what the README asks
# for. Steps, each checked:
#   1. the gateway's broker: apt install mosquitto (the agent reads mqtt://127.0.0.1:1883);
#   2. Install: apt install ./zerobus-edge_<ver>_<arch>.deb;
#   3. started before anything was edited: runs `unconfigured`, buffers a reading, says why;
#   4. Configure: only zerobus.endpoint, zerobus.workspace_url and the secrets in
#      /etc/default/zerobus-edge (the shipped [[table]] example is kept);
#   5. check-config, systemctl restart; a sensor publishes to the broker;
#   6. every reading, the one buffered while unconfigured too, arrives in the Zerobus
#      emulator (run in the container's network namespace: the gateway's "cloud"),
#      and `zerobus-edge status` says online.
# The emulator stands in for a workspace: its endpoint is http:// (h2c) on 127.0.0.1.
#
# Usage (root): Tests/Package/test_first_run.sh [path/to/zerobus-edge_<ver>_<arch>.deb]
# Needs systemd-container (apt) and Debian's mirror (apt in the container). The container
# root is unpacked from $ROOT_TARBALL (default: the bookworm test root of `make packages`,
# /var/cache/zerobus-edge-roots/bookworm-amd64-test.tar) or made with debootstrap when
# that is missing; it is deleted afterwards. Not part of `make test` (a few minutes, network).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PYTHON=${ZEROBUS_PYTHON:-$ROOT/.venv/bin/python}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
ROOT_TARBALL=${ROOT_TARBALL:-${ROOTS_DIR:-/var/cache/zerobus-edge-roots}/bookworm-amd64-test.tar}
PKG=zerobus-edge
CONFIG=/etc/zerobus-edge/agent.toml
DEFAULTS=/etc/default/zerobus-edge

. "$ROOT/Tests/Package/checks.sh"
. "$ROOT/Tests/Package/container.sh"

[ "$(id -u)" = 0 ] || { echo "test_first_run: must run as root" >&2; exit 2; }
command -v systemd-nspawn >/dev/null || { echo "test_first_run: systemd-nspawn is missing (apt-get install systemd-container)" >&2; exit 2; }
version=$(dpkg-parsechangelog -l "$ROOT/packaging/debian/changelog" -SVersion)
arch=$(dpkg --print-architecture)
DEB=${1:-$ROOT/dist/${PKG}_${version}_${arch}.deb}
[ -f "$DEB" ] || "$ROOT/packaging/build-deb.sh"

WORK=$(mktemp -d /var/tmp/zerobus-edge-first-run.XXXXXX)
CROOT="$WORK/root"
PIDS=()
NSPAWN=""
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [ -n "$NSPAWN" ]; then
        kill -TERM "$NSPAWN" 2>/dev/null || true   # nspawn powers the container off
        for _ in $(seq 1 40); do kill -0 "$NSPAWN" 2>/dev/null || break; sleep 0.5; done
        kill -KILL "$NSPAWN" 2>/dev/null || true
    fi
    if [ "${KEEP_WORK:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# --- a clean Debian 12 ---------------------------------------------------------------
mkdir -p "$CROOT"
if [ -f "$ROOT_TARBALL" ]; then
    tar -xf "$ROOT_TARBALL" -C "$CROOT"
else
    command -v debootstrap >/dev/null || { echo "test_first_run: no $ROOT_TARBALL and no debootstrap" >&2; exit 2; }
    debootstrap --variant=minbase bookworm "$CROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
        || { tail -20 "$WORK/debootstrap.log"; exit 1; }
fi
# Before booting (nspawn without -b shares the host's network for apt): what any Debian 12
# machine has, systemd, and nothing of the agent's.
in_root() { systemd-nspawn -q -D "$CROOT" --register=no --keep-unit -E DEBIAN_FRONTEND=noninteractive "$@"; }
in_root apt-get update -qq >"$WORK/apt.log" 2>&1 || { tail -20 "$WORK/apt.log"; exit 1; }
in_root apt-get install -y -qq --no-install-recommends systemd systemd-sysv dbus >>"$WORK/apt.log" 2>&1 \
    || { tail -20 "$WORK/apt.log"; exit 1; }
cp "$DEB" "$CROOT/root/"
deb_name=$(basename "$DEB")

# --- README: the broker and the package ---------------------------------------------------
check "a broker on the gateway: apt install mosquitto mosquitto-clients" \
    in_root apt-get install -y -qq mosquitto mosquitto-clients
check "Install: apt install ./$deb_name" in_root sh -c "cd /root && apt-get install -y -qq ./$deb_name"

boot_container "$CROOT" --private-network
check "the broker runs on the gateway (mosquitto.service, 127.0.0.1:1883)" \
    wait_for 30 sh -c "nsenter -t $LEADER -a -- systemctl -q is-active mosquitto && nsenter -t $LEADER -n -- bash -c 'echo > /dev/tcp/127.0.0.1/1883'"

# The "cloud": the emulator in the gateway's network namespace, with the credentials the
# operator will be given.
(cd "$ROOT" && exec nsenter -t "$LEADER" -n -- env -u http_proxy -u https_proxy "$PYTHON" Tests/Emulator/zerobus_emulator.py \
    --out "$WORK/acked.jsonl" --require-auth --client-id first-run-sp --client-secret first-run-secret \
    >"$WORK/emulator.out" 2>"$WORK/emulator.log") &
PIDS+=($!)
wait_for 60 grep -q '^ZEROBUS_EMULATOR ' "$WORK/emulator.out" || { echo "emulator did not start"; tail "$WORK/emulator.log"; exit 1; }
grpc_url=$(sed -n 's/^ZEROBUS_EMULATOR .*grpc=\([^ ]*\).*/\1/p' "$WORK/emulator.out")
http_url=$(sed -n 's/^ZEROBUS_EMULATOR .*http=\([^ ]*\).*/\1/p' "$WORK/emulator.out")

# A sensor of the shipped [[table]] example: sensors/<device>/<metric>, {"value": ..., "unit": ...}.
publish() { in_ct mosquitto_pub -h 127.0.0.1 -q 1 -t "sensors/$1/temp" -m "{\"value\": $2, \"unit\": \"C\"}"; }
# The health file as the container sees it (its /run), judged by the host's python3.
health() { in_ct cat /run/zerobus-edge/health.json | python3 -c "import json,sys; h=json.load(sys.stdin); sys.exit(not ($1))"; }
acked_values() { python3 -c "
import json, sys
rows = [json.loads(l) for l in open('$WORK/acked.jsonl')] if __import__('os').path.exists('$WORK/acked.jsonl') else []
values = sorted(r['record']['value'] for r in rows if r['table'] == 'main.iot.readings')
print(values); sys.exit(values != [float(v) for v in sys.argv[1:]])" "$@"; }

# --- started before anything was edited ----------------------------------------------
check "check-config accepts the unedited agent.toml, with warnings about the placeholders" \
    sh -c "nsenter -t $LEADER -a -- zerobus-edge check-config --config $CONFIG 2>&1 | tee /dev/stderr | grep -q 'configuration OK, but unconfigured'"
check "systemctl enable --now $PKG (unedited)" in_ct systemctl enable --now "$PKG"
check "unedited: the service runs, state unconfigured" wait_for 30 health "h['state'] == 'unconfigured' and h['mqtt']['connected']"
wait_for 30 sh -c "nsenter -t $LEADER -a -- journalctl -u $PKG --no-pager | grep -q 'MQTT subscribed'" || true
check "a reading sent while unconfigured" publish dev0 20.5
check "unedited: the reading is buffered, nothing sent" wait_for 30 health "h['state'] == 'unconfigured' and h['buffer']['rows'] == 1"
check "zerobus-edge status says unconfigured and why" \
    sh -c "nsenter -t $LEADER -a -- zerobus-edge status | tee /dev/stderr | grep -q 'last error: unconfigured: zerobus.endpoint'"
check "the journal says unconfigured" sh -c "nsenter -t $LEADER -a -- journalctl -u $PKG --no-pager | grep -q 'unconfigured: readings are buffered'"
check "nothing reached the emulator" sh -c "[ ! -s '$WORK/acked.jsonl' ]"

# --- README: Configure -------------------------------------------------------------------
sed -i -e "s|^endpoint = .*|endpoint = \"$grpc_url\"|" -e "s|^workspace_url = .*|workspace_url = \"$http_url\"|" "$CROOT$CONFIG"
printf 'DATABRICKS_CLIENT_ID=first-run-sp\nDATABRICKS_CLIENT_SECRET=first-run-secret\n' >>"$CROOT$DEFAULTS"
# As the README says: with the service's environment (the shell does not read $DEFAULTS).
check "check-config: configuration OK, no warning left" \
    sh -c "out=\$(nsenter -t $LEADER -a -- sh -c 'set -a; . $DEFAULTS; zerobus-edge check-config' 2>&1); echo \"\$out\"
        echo \"\$out\" | grep -qx 'configuration OK' && ! echo \"\$out\" | grep -q warning"
check "systemctl restart $PKG" in_ct systemctl restart "$PKG"
check "configured: online" wait_for 60 health "h['state'] == 'online'"
check "a sensor publishes two more readings" sh -c "nsenter -t $LEADER -a -- mosquitto_pub -h 127.0.0.1 -q 1 -t sensors/dev1/temp -m '{\"value\": 21.5, \"unit\": \"C\"}' \
    && nsenter -t $LEADER -a -- mosquitto_pub -h 127.0.0.1 -q 1 -t sensors/dev2/temp -m '{\"value\": 22.5, \"unit\": \"C\"}'"
check "every reading arrives in the emulator, the one buffered while unconfigured too" wait_for 60 acked_values 20.5 21.5 22.5
acked_values 20.5 21.5 22.5 || true
# health.interval_s is 10 s as shipped: the document catches up within one interval.
check "zerobus-edge status: online, 3 acked, nothing buffered (no secrets in the shell)" \
    wait_for 30 sh -c "nsenter -t $LEADER -a -- env -i /usr/bin/zerobus-edge status --json | tee /dev/stderr | python3 -c \"
import json, sys; h = json.load(sys.stdin)
sys.exit(not (h['state'] == 'online' and h['buffer']['rows'] == 0 and sum(t['acked_total'] for t in h['tables']) == 3))\""
check "GET /readyz on the default port 9464 answers 200" \
    nsenter -t "$LEADER" -n -- python3 -c "import urllib.request as u; assert u.build_opener(u.ProxyHandler({})).open('http://127.0.0.1:9464/readyz', timeout=5).status == 200"

echo "first run: $passed passed, $failed failed"
[ "$failed" = 0 ]
