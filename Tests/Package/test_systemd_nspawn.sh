#!/usr/bin/env bash
# The package under a real systemd: boots a Debian 12 container (debootstrap +
# systemd-nspawn, host network) and checks what test_package.sh can only
# emulate: install leaves the unit disabled and stopped; `systemctl enable --now`
# starts the hardened unit (Type=notify, ExecStartPre check-config, sandbox,
# seccomp filter) and readings flow from a broker to the emulator on the host;
# the watchdog is fed; reload; a bad config stops the start; an upgrade keeps the
# edited config and restarts the service; remove stops it; purge takes everything.
#
# Usage (root): Tests/Package/test_systemd_nspawn.sh [path/to/zerobus-edge_<ver>_<arch>.deb]
# Needs debootstrap and systemd-container (apt), and Debian's mirror for the first
# debootstrap; the container root is kept in .build-nspawn/root for later runs.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PYTHON=${ZEROBUS_PYTHON:-$ROOT/.venv/bin/python}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
CROOT="$ROOT/.build-nspawn/root"
PKG=zerobus-edge
CONFIG=/etc/zerobus-edge/agent.toml

. "$ROOT/Tests/Package/checks.sh"
. "$ROOT/Tests/Package/container.sh"

[ "$(id -u)" = 0 ] || { echo "test_systemd_nspawn: must run as root" >&2; exit 2; }
for tool in debootstrap systemd-nspawn nsenter mosquitto mosquitto_pub; do
    command -v "$tool" >/dev/null || { echo "test_systemd_nspawn: $tool is missing (apt-get install debootstrap systemd-container mosquitto mosquitto-clients)" >&2; exit 2; }
done
version=$(dpkg-parsechangelog -l "$ROOT/packaging/debian/changelog" -SVersion)
arch=$(dpkg --print-architecture)
DEB=${1:-$ROOT/dist/${PKG}_${version}_${arch}.deb}
[ -f "$DEB" ] || "$ROOT/packaging/build-deb.sh"
deb_version=$(dpkg-deb -f "$DEB" Version)

WORK=$(mktemp -d /tmp/zerobus-edge-nspawn.XXXXXX)
PIDS=()
NSPAWN=""
cleanup() {
    local pid
    if [ -n "$NSPAWN" ]; then
        kill -TERM "$NSPAWN" 2>/dev/null || true   # nspawn powers the container off
        for _ in $(seq 1 40); do kill -0 "$NSPAWN" 2>/dev/null || break; sleep 0.5; done
        kill -KILL "$NSPAWN" 2>/dev/null || true
    fi
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

# --- the container --------------------------------------------------------------------
if [ ! -x "$CROOT/usr/lib/systemd/systemd" ]; then
    echo "debootstrap bookworm into $CROOT"
    rm -rf "$CROOT"; mkdir -p "$(dirname "$CROOT")"
    debootstrap --variant=minbase \
        --include=systemd,systemd-sysv,dbus,adduser,ca-certificates,libmosquitto1,libnghttp2-14,libmbedtls14,libsqlite3-0,libstdc++6,procps \
        bookworm "$CROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || { tail -20 "$WORK/debootstrap.log"; exit 1; }
fi
# The package depends on ca-certificates; containers made before that lack it.
[ -f "$CROOT/etc/ssl/certs/ca-certificates.crt" ] || { chroot "$CROOT" apt-get update -qq \
    && chroot "$CROOT" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ca-certificates >/dev/null; }
rm -f "$CROOT"/root/*.deb
cp "$DEB" "$CROOT/root/test.deb"
boot_container "$CROOT"
check "container boots systemd ($(in_ct systemctl is-system-running 2>/dev/null || true))" test -n "$LEADER"
in_ct sh -c "dpkg -P $PKG >/dev/null 2>&1 || true"

# --- broker and emulator on the host (the container shares its network) ----------------
mqtt_port=$(free_port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$mqtt_port" >"$WORK/mosquitto.conf"
mosquitto -c "$WORK/mosquitto.conf" >"$WORK/mosquitto.log" 2>&1 &
PIDS+=($!)
(cd "$ROOT" && exec env -u http_proxy -u https_proxy "$PYTHON" Tests/Emulator/zerobus_emulator.py --out "$WORK/acked.jsonl" \
    --require-auth --client-id ct-client --client-secret ct-secret >"$WORK/emulator.out" 2>"$WORK/emulator.log") &
PIDS+=($!)
wait_for 60 grep -q '^ZEROBUS_EMULATOR ' "$WORK/emulator.out" || { echo "emulator did not start"; tail "$WORK/emulator.log"; exit 1; }
grpc_url=$(sed -n 's/^ZEROBUS_EMULATOR .*grpc=\([^ ]*\).*/\1/p' "$WORK/emulator.out")
http_url=$(sed -n 's/^ZEROBUS_EMULATOR .*http=\([^ ]*\).*/\1/p' "$WORK/emulator.out")

# --- install ---------------------------------------------------------------------------
check "apt-style install with dpkg" in_ct dpkg -i /root/test.deb
check "unit is disabled after install" sh -c "[ \"\$(nsenter -t $LEADER -a -- systemctl is-enabled $PKG)\" = disabled ]"
check "unit is not running after install" sh -c "! nsenter -t $LEADER -a -- systemctl -q is-active $PKG"
exposure=$(in_ct systemd-analyze security "$PKG.service" 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
echo "    systemd-analyze security (loaded unit): $exposure"
check "exposure of the loaded unit $exposure <= 2.0" awk -v e="$exposure" 'BEGIN {exit !(e != "" && e <= 2.0)}'

# --- the operator's steps ------------------------------------------------------------------
sed -i -e "s|^endpoint = .*|endpoint = \"$grpc_url\"|" -e "s|^workspace_url = .*|workspace_url = \"$http_url\"|" \
    -e "s|^# url = \"mqtt://127.0.0.1:1883\"|url = \"mqtt://127.0.0.1:$mqtt_port\"|" \
    -e "s|^# gateway_id = .*|gateway_id = \"ct-test\"|" -e "s|^# interval_s = 10|interval_s = 1|" \
    -e "s|^# http_listen = .*|http_listen = \"127.0.0.1:$(free_port)\"|" "$CROOT$CONFIG"
printf 'DATABRICKS_CLIENT_ID=ct-client\nDATABRICKS_CLIENT_SECRET=ct-secret\n' >>"$CROOT/etc/default/zerobus-edge"
# A short watchdog so that a missing ping shows within the test.
mkdir -p "$CROOT/etc/systemd/system/$PKG.service.d"
printf '[Service]\nWatchdogSec=4s\n' >"$CROOT/etc/systemd/system/$PKG.service.d/test-watchdog.conf"
check "systemctl enable --now $PKG" in_ct systemctl enable --now "$PKG"
check "service is active (READY=1 received: Type=notify)" sh -c "[ \"\$(nsenter -t $LEADER -a -- systemctl is-active $PKG)\" = active ]"
pid=$(in_ct systemctl show -p MainPID --value "$PKG")
check "main process runs as zerobus-edge" sh -c "[ \"\$(nsenter -t $LEADER -a -- ps -o user= -p $pid)\" = $PKG ]"
wait_for 20 sh -c "grep -q '\"connected\":true' $CROOT/run/zerobus-edge/health.json" || true
for i in $(seq 1 10); do
    mosquitto_pub -h 127.0.0.1 -p "$mqtt_port" -q 1 -t "sensors/ct$i/temp" -m "{\"value\": $i}"
done
check "10 readings reach the emulator from the sandboxed service" \
    wait_for 60 sh -c "[ \$(grep -c main.iot.readings '$WORK/acked.jsonl' 2>/dev/null) -ge 10 ]"
sleep 10
check "watchdog fed: same process after 10 s with WatchdogSec=4s, no restarts" \
    sh -c "[ \"\$(nsenter -t $LEADER -a -- systemctl show -p MainPID --value $PKG)\" = $pid ] && [ \"\$(nsenter -t $LEADER -a -- systemctl show -p NRestarts --value $PKG)\" = 0 ]"
check "no seccomp or sandbox failure in the journal" \
    sh -c "! nsenter -t $LEADER -a -- journalctl -u $PKG --no-pager | grep -Ei 'SIGSYS|core-dump|code=killed|Operation not permitted|Permission denied|Read-only file system'"
check "systemctl reload (check-config, then SIGHUP)" in_ct systemctl reload "$PKG"
check "state: buffer.db 0600 in /var/lib/zerobus-edge 0700" \
    sh -c "[ \"\$(nsenter -t $LEADER -a -- stat -c '%a %U' /var/lib/zerobus-edge/buffer.db)\" = '600 $PKG' ] && [ \"\$(stat -c %a $CROOT/var/lib/zerobus-edge)\" = 700 ]"
check "zerobus-edge status" in_ct zerobus-edge status

cp "$CROOT$CONFIG" "$WORK/good.toml"
echo "bogus_key = 1" >>"$CROOT$CONFIG"
check "a bad config fails the start in ExecStartPre (exit 2)" sh -c "! nsenter -t $LEADER -a -- systemctl restart $PKG"
check "the journal names the bad key" sh -c "nsenter -t $LEADER -a -- journalctl -u $PKG --no-pager | grep -q 'bogus_key: unknown key'"
cp "$WORK/good.toml" "$CROOT$CONFIG"
in_ct systemctl reset-failed "$PKG" || true
check "starts again with the fixed config" in_ct systemctl start "$PKG"

# --- upgrade, remove, purge ---------------------------------------------------------------
rm -rf "$WORK/repack"; dpkg-deb -R "$DEB" "$WORK/repack"
sed -i "s/^Version: .*/Version: $deb_version+ct1/" "$WORK/repack/DEBIAN/control"
dpkg-deb --root-owner-group -b "$WORK/repack" "$CROOT/root/test-up.deb" >/dev/null
sum=$(md5sum <"$CROOT$CONFIG")
pid=$(in_ct systemctl show -p MainPID --value "$PKG")
check "upgrade with dpkg -i" in_ct dpkg -i /root/test-up.deb
check "upgrade restarted the service (new main process, active)" \
    sh -c "p=\$(nsenter -t $LEADER -a -- systemctl show -p MainPID --value $PKG); [ \"\$p\" != 0 ] && [ \"\$p\" != $pid ] && nsenter -t $LEADER -a -- systemctl -q is-active $PKG"
check "upgrade kept the edited config" sh -c "[ \"\$(md5sum <$CROOT$CONFIG)\" = '$sum' ]"
check "remove with dpkg -r" in_ct dpkg -r "$PKG"
check "remove stopped the service" sh -c "! nsenter -t $LEADER -a -- systemctl -q is-active $PKG"
check "purge with dpkg -P" in_ct dpkg -P "$PKG"
check "purge took config, state, user and unit" sh -c "! nsenter -t $LEADER -a -- getent passwd $PKG && [ ! -e $CROOT/etc/zerobus-edge ] \
    && [ ! -e $CROOT/var/lib/zerobus-edge ] && [ ! -e $CROOT/etc/default/zerobus-edge ] \
    && [ -z \"\$(find $CROOT/etc/systemd $CROOT/lib/systemd $CROOT/var/lib/systemd -name '$PKG*' ! -name '*.service.d')\" ]"
rm -rf "$CROOT/etc/systemd/system/$PKG.service.d" "$CROOT"/root/*.deb

echo "systemd: $passed passed, $failed failed"
[ "$failed" = 0 ]
