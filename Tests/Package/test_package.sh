#!/usr/bin/env bash
# Package test: installs the zerobus-edge .deb with dpkg on this machine and checks
# what an operator relies on: files, modes and owners, the system user, the version,
# check-config on the shipped configuration, the systemd unit (verify + security
# exposure), a smoke flow (the installed binary, run as the zerobus-edge user with
# the unit's environment and sandbox-like privileges, moves readings from a local
# mosquitto to the Zerobus emulator), upgrades with a modified conffile, remove and
# purge leaving nothing behind.
#
# Usage (root): Tests/Package/test_package.sh [path/to/zerobus-edge_<ver>_<arch>.deb]
# Without an argument it takes dist/zerobus-edge_<changelog version>_<arch>.deb,
# building it with packaging/build-deb.sh when missing.
#
# Without systemd as PID 1 (a container, CI), service actions are observed through
# stand-ins for systemctl and deb-systemd-invoke put first on dpkg's PATH while
# /run/systemd/system exists for the duration of each dpkg call; the stand-in for
# deb-systemd-invoke applies init-system-helpers' rules (start only enabled units,
# restart enabled or running ones). An installed zerobus-edge is purged first.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PYTHON=${ZEROBUS_PYTHON:-$ROOT/.venv/bin/python}
PKG=zerobus-edge
UNIT=/lib/systemd/system/zerobus-edge.service
CONFIG=/etc/zerobus-edge/agent.toml
DEFAULTS=/etc/default/zerobus-edge
STATE=/var/lib/zerobus-edge
RUNDIR=/run/zerobus-edge

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
check() { # check "description" command...
    local what=$1; shift
    if "$@" >"$WORK/check.out" 2>&1; then pass "$what"; else fail "$what"; sed 's/^/    /' "$WORK/check.out" | tail -20; fi
}
note() { echo "----- $*"; }

[ "$(id -u)" = 0 ] || { echo "test_package: must run as root (it installs the package)" >&2; exit 2; }

version=$(dpkg-parsechangelog -l "$ROOT/packaging/debian/changelog" -SVersion)
arch=$(dpkg --print-architecture)
DEB=${1:-$ROOT/dist/${PKG}_${version}_${arch}.deb}
if [ $# = 0 ] && [ ! -f "$DEB" ]; then "$ROOT/packaging/build-deb.sh"; fi
[ -f "$DEB" ] || { echo "test_package: no package at $DEB" >&2; exit 2; }
DEB=$(cd "$(dirname "$DEB")" && pwd)/$(basename "$DEB")
deb_version=$(dpkg-deb -f "$DEB" Version)

WORK=$(mktemp -d /tmp/zerobus-edge-pkgtest.XXXXXX)
chmod 0755 "$WORK"
PIDS=()
FAKE_RUN_SYSTEMD=0
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [ "$FAKE_RUN_SYSTEMD" = 1 ]; then rmdir /run/systemd/system 2>/dev/null || true; fi
    if [ "${KEEP_INSTALLED:-0}" != 1 ] && dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -qv "not-installed"; then
        dpkg --purge "$PKG" >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# --- stand-ins for the service manager --------------------------------------------
REAL_SYSTEMD=0
[ "$(cat /proc/1/comm 2>/dev/null)" = systemd ] && REAL_SYSTEMD=1
SHIM="$WORK/shim"
mkdir -p "$SHIM"
echo disabled >"$WORK/unit-enabled"
echo inactive >"$WORK/unit-active"
: >"$WORK/service.log"
cat >"$SHIM/systemctl" <<EOF
#!/bin/sh
echo "systemctl \$*" >>"$WORK/service.log"
case " \$* " in
    *" is-enabled "*) state=\$(cat "$WORK/unit-enabled"); echo "\$state"; [ "\$state" = enabled ] ;;
    *" is-active "*) [ "\$(cat "$WORK/unit-active")" = active ] ;;
    *) exit 0 ;;
esac
EOF
cat >"$SHIM/deb-systemd-invoke" <<EOF
#!/bin/sh
action=\$1; shift
enabled=\$(cat "$WORK/unit-enabled"); active=\$(cat "$WORK/unit-active")
case "\$action" in
    start) [ "\$enabled" = enabled ] || { echo "deb-systemd-invoke \$action \$* skipped (disabled)" >>"$WORK/service.log"; exit 0; } ;;
    restart) [ "\$enabled" = enabled ] || [ "\$active" = active ] || { echo "deb-systemd-invoke \$action \$* skipped (disabled, not running)" >>"$WORK/service.log"; exit 0; } ;;
esac
echo "deb-systemd-invoke \$action \$*" >>"$WORK/service.log"
EOF
chmod +x "$SHIM/systemctl" "$SHIM/deb-systemd-invoke"

# dpkg with the stand-ins (or the real service manager when systemd runs).
run_dpkg() {
    : >"$WORK/service.log"
    if [ "$REAL_SYSTEMD" = 1 ]; then dpkg "$@" </dev/null; return; fi
    local status=0
    if [ ! -d /run/systemd/system ]; then mkdir -p /run/systemd/system && FAKE_RUN_SYSTEMD=1; fi
    PATH="$SHIM:$PATH" dpkg "$@" </dev/null || status=$?
    if [ "$FAKE_RUN_SYSTEMD" = 1 ]; then rmdir /run/systemd/system; FAKE_RUN_SYSTEMD=0; fi
    return $status
}
service_log_has() { grep -q -- "$1" "$WORK/service.log"; }

# --- helpers -------------------------------------------------------------------------
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
stat_is() { # stat_is PATH "mode user group"
    local actual
    actual=$(stat -c '%a %U %G' "$1")
    [ "$actual" = "$2" ] || { echo "$1: $actual, expected $2"; return 1; }
}
wait_for() { # wait_for SECONDS command...
    local deadline=$((SECONDS + $1)); shift
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.2
    done
}
# The environment systemd gives the service: the unit's EnvironmentFile plus what
# the manager sets for a service with User=, StateDirectory= and RuntimeDirectory=.
unit_env() {
    local line name value
    UNIT_ENV=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
        LANG=C.UTF-8 USER=$PKG LOGNAME=$PKG HOME=$STATE SHELL=/usr/sbin/nologin
        STATE_DIRECTORY=$STATE RUNTIME_DIRECTORY=$RUNDIR)
    while IFS= read -r line || [ -n "$line" ]; do
        line=${line#"${line%%[![:space:]]*}"}
        case "$line" in ''|'#'*|';'*) continue ;; esac
        [[ "$line" =~ ^([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
        name=${BASH_REMATCH[1]}; value=${BASH_REMATCH[2]}
        if [[ "$value" =~ ^\"(.*)\"$ ]] || [[ "$value" =~ ^\'(.*)\'$ ]]; then value=${BASH_REMATCH[1]}; fi
        UNIT_ENV+=("$name=$value")
    done <"$DEFAULTS"
}
# Runs a command as the service user with the unit's environment, no new privileges,
# no capabilities and the unit's umask, from / (the unit's working directory).
as_service() {
    unit_env
    (cd / && umask 0077 && setpriv --reuid="$PKG" --regid="$PKG" --init-groups --no-new-privs \
        --inh-caps=-all --bounding-set=-all -- env -i "${UNIT_ENV[@]}" "$@")
}
leftovers() { # every path named after the package outside this test's folders
    # (/var/cache/man: man-db's trigger caches formatted pages there; not the package's.)
    # (${ROOTS_DIR:-/var/cache/zerobus-edge-roots}: the Debian roots of make packages, which install the package themselves.)
    find /etc /var /usr /lib /run /opt -xdev \( -path /var/tmp -o -path /var/cache/man -o -path /opt/swift -o -path /opt/swift-packages \
        -o -path "${ROOTS_DIR:-/var/cache/zerobus-edge-roots}" \) -prune \
        -o -name "*$PKG*" -print 2>/dev/null | grep -v -e "^$ROOT" -e "^$WORK" | LC_ALL=C sort || true
    grep -h "^$PKG:" /etc/passwd /etc/group /etc/shadow /etc/gshadow 2>/dev/null || true
    dpkg-statoverride --list 2>/dev/null | grep "$PKG" || true
}

# --- start from nothing ----------------------------------------------------------------
note "package $DEB ($deb_version)"
if dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -qv "not-installed"; then
    echo "purging the installed $PKG first"
    run_dpkg --purge "$PKG" >/dev/null
fi
leftovers >"$WORK/before.list"

# --- install ---------------------------------------------------------------------------
note "install"
check "dpkg -i installs the package" run_dpkg -i "$DEB"
check "package is installed (dpkg status 'install ok installed')" \
    sh -c "dpkg-query -W -f='\${Status}' $PKG | grep -qx 'install ok installed'"
check "service is neither enabled nor started by the installation" \
    sh -c "! grep -q 'deb-systemd-invoke start $PKG.service\$' '$WORK/service.log' && [ ! -e /etc/systemd/system/multi-user.target.wants/$PKG.service ]"

note "files, modes, owners"
check "/usr/bin/zerobus-edge 0755 root:root" stat_is /usr/bin/zerobus-edge "755 root root"
check "$CONFIG 0640 root:zerobus-edge" stat_is "$CONFIG" "640 root $PKG"
check "$DEFAULTS 0640 root:root" stat_is "$DEFAULTS" "640 root root"
check "$UNIT 0644 root:root" stat_is "$UNIT" "644 root root"
check "$STATE 0700 zerobus-edge:zerobus-edge" stat_is "$STATE" "700 $PKG $PKG"
check "man page zerobus-edge(8)" test -f /usr/share/man/man8/zerobus-edge.8.gz
check "copyright and changelog" test -f /usr/share/doc/$PKG/copyright -a -f /usr/share/doc/$PKG/changelog.gz
check "agent.toml and /etc/default/zerobus-edge are conffiles" \
    sh -c "dpkg-query -W -f='\${Conffiles}' $PKG | grep -q ' $CONFIG ' && dpkg-query -W -f='\${Conffiles}' $PKG | grep -q ' $DEFAULTS '"
check "agent.toml group and mode held by dpkg-statoverride" \
    sh -c "dpkg-statoverride --list $CONFIG | grep -Eqx 'root $PKG 0?640 $CONFIG'"
check "binary is stripped" sh -c "file -L /usr/bin/zerobus-edge | grep -q ', stripped'"
check "binary links no Swift runtime library dynamically" \
    sh -c "! ldd /usr/bin/zerobus-edge | grep -E 'libswift|libFoundation|libdispatch|libBlocksRuntime'"
check "Depends computed by dpkg-shlibdeps (libmosquitto1, libnghttp2, mbedTLS, SQLite, libc6)" \
    sh -c "dpkg-query -W -f='\${Depends}' $PKG | tee /dev/stderr | grep -q libmosquitto1 && dpkg-query -W -f='\${Depends}' $PKG | grep -q libnghttp2 \
        && dpkg-query -W -f='\${Depends}' $PKG | grep -q libmbedtls && dpkg-query -W -f='\${Depends}' $PKG | grep -q libsqlite3 && dpkg-query -W -f='\${Depends}' $PKG | grep -q libc6"

note "user"
check "system user zerobus-edge (uid < 1000, home $STATE, no login shell)" \
    sh -c "getent passwd $PKG | awk -F: '\$3 < 1000 && \$6 == \"$STATE\" && \$7 ~ /nologin\$/ {ok=1} END {exit !ok}'"
check "group zerobus-edge is the user's primary group" \
    sh -c "[ \"\$(id -gn $PKG)\" = $PKG ]"
check "the user cannot log in (locked password)" sh -c "passwd -S $PKG | awk '{exit !(\$2 == \"L\")}'"

note "binary"
check "zerobus-edge --version prints $deb_version" sh -c "[ \"\$(/usr/bin/zerobus-edge --version)\" = '$deb_version' ]"
check "check-config accepts the shipped agent.toml (as the service user, unit environment)" \
    as_service /usr/bin/zerobus-edge check-config --config "$CONFIG"
check "check-config warns (exit 0) that endpoint, workspace_url and the credentials are the shipped placeholders" sh -c "
    as_out=\$(env -i /usr/bin/zerobus-edge check-config --config $CONFIG 2>&1) || exit 1; echo \"\$as_out\"
    for key in endpoint workspace_url client_id client_secret; do
        echo \"\$as_out\" | grep -Eq \"^$CONFIG:[0-9]+: zerobus.\$key: warning: still the shipped placeholder\" || exit 1
    done
    echo \"\$as_out\" | grep -q 'configuration OK, but unconfigured'"
# Uncommenting every commented-out key must change nothing: the comments show the
# defaults (gateway_id and mqtt.client_id default to the host name, so they show an
# example; descriptor/message are the alternative to columns).
sed -E '/^# (descriptor|message|optional|gateway_id|client_id) /!s/^# ([a-z_]+ *= .*)$/\1/' "$CONFIG" >"$WORK/uncommented.toml"
check "the shipped agent.toml lists keys with their defaults (uncommented: same effective config)" bash -c "
    [ \$(grep -cE '^[a-z_]+ *= ' '$WORK/uncommented.toml') -gt \$(grep -cE '^[a-z_]+ *= ' '$CONFIG') ] &&
    diff <(env -i /usr/bin/zerobus-edge check-config --config '$CONFIG') <(env -i /usr/bin/zerobus-edge check-config --config '$WORK/uncommented.toml')"
check "check-config names the key and line of an error (exit 2)" sh -c '
    cp '"$CONFIG"' '"$WORK"'/bad.toml && sed -i "s/^# qos = 1/qos = 0/" '"$WORK"'/bad.toml
    out=$(/usr/bin/zerobus-edge check-config --config '"$WORK"'/bad.toml 2>&1); status=$?
    echo "$out"; [ $status = 2 ] && echo "$out" | grep -q "mqtt.qos" && echo "$out" | grep -q ":[0-9]"'

note "systemd unit"
for directive in "Type=notify" "WatchdogSec=" "ExecStartPre=/usr/bin/zerobus-edge check-config" "ExecReload=" \
    "Restart=on-failure" "StartLimitIntervalSec=" "StartLimitBurst=" "User=zerobus-edge" "StateDirectory=zerobus-edge" \
    "RuntimeDirectory=zerobus-edge" "EnvironmentFile=-/etc/default/zerobus-edge" "ProtectSystem=strict" \
    "ProtectHome=yes" "PrivateTmp=yes" "PrivateDevices=yes" "NoNewPrivileges=yes" "CapabilityBoundingSet=\$" \
    "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" "SystemCallFilter=@system-service" \
    "MemoryDenyWriteExecute=yes" "LockPersonality=yes"; do
    check "unit has $directive" grep -q "^$directive" "$UNIT"
done
if command -v systemd-analyze >/dev/null; then
    check "systemd-analyze verify is clean" sh -c "out=\$(systemd-analyze verify $UNIT 2>&1); status=\$?; echo \"\$out\"; [ \$status = 0 ] && [ -z \"\$out\" ]"
    if systemd-analyze security --offline=yes "$UNIT" >"$WORK/security.txt" 2>&1; then
        exposure=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$WORK/security.txt")
        echo "    systemd-analyze security: exposure $exposure"
        check "systemd-analyze security exposure $exposure <= 2.0" awk -v e="$exposure" 'BEGIN {exit !(e != "" && e <= 2.0)}'
    else
        fail "systemd-analyze security --offline=yes"; tail -5 "$WORK/security.txt"
    fi
else
    echo "SKIP: systemd-analyze not installed"
fi

# --- smoke flow --------------------------------------------------------------------------
note "smoke flow: mosquitto -> zerobus-edge (as $PKG) -> emulator"
mqtt_port=$(free_port)
cat >"$WORK/mosquitto.conf" <<EOF
listener $mqtt_port 127.0.0.1
allow_anonymous true
persistence false
log_dest stderr
EOF
mosquitto -c "$WORK/mosquitto.conf" >"$WORK/mosquitto.log" 2>&1 &
PIDS+=($!)
check "mosquitto listens on 127.0.0.1:$mqtt_port" wait_for 10 bash -c "echo > /dev/tcp/127.0.0.1/$mqtt_port"

emulator_ok=0
if [ -x "$PYTHON" ]; then
    (cd "$ROOT" && exec env -u http_proxy -u https_proxy "$PYTHON" Tests/Emulator/zerobus_emulator.py --out "$WORK/acked.jsonl" \
        --require-auth --client-id pkg-test-client --client-secret pkg-test-secret \
        >"$WORK/emulator.out" 2>"$WORK/emulator.log") &
    PIDS+=($!)
    if wait_for 60 grep -q '^ZEROBUS_EMULATOR ' "$WORK/emulator.out"; then
        grpc_url=$(sed -n 's/^ZEROBUS_EMULATOR .*grpc=\([^ ]*\).*/\1/p' "$WORK/emulator.out")
        http_url=$(sed -n 's/^ZEROBUS_EMULATOR .*http=\([^ ]*\).*/\1/p' "$WORK/emulator.out")
        pass "emulator ready (grpc $grpc_url, http $http_url)"
        emulator_ok=1
    else
        fail "emulator did not start"; tail -20 "$WORK/emulator.log"
    fi
else
    fail "no Python venv at $PYTHON for the emulator (make venv)"
fi

# --- unconfigured: the shipped config, run before the operator filled anything in -------
# Only the broker port, a free health port, a 1 s health interval and the gateway id (the
# buffered rows are checked with the others below) differ from the shipped file (a copy):
# endpoint, workspace_url and the credentials stay placeholders.
note "unconfigured: the shipped agent.toml runs, buffers and sends nothing"
buffered=5
unconfigured_port=$(free_port)
sed -e "s|^# url = \"mqtt://127.0.0.1:1883\"|url = \"mqtt://127.0.0.1:$mqtt_port\"|" -e "s|^# interval_s = 10|interval_s = 1|" \
    -e "s|^# gateway_id = .*|gateway_id = \"pkg-test\"|" \
    -e "s|^# http_listen = .*|http_listen = \"127.0.0.1:$unconfigured_port\"|" "$CONFIG" >"$WORK/shipped.toml"
chmod 0644 "$WORK/shipped.toml"
install -d -o "$PKG" -g "$PKG" -m 0755 "$RUNDIR"
unit_env
(cd / && umask 0077 && exec setpriv --reuid="$PKG" --regid="$PKG" --init-groups --no-new-privs \
    --inh-caps=-all --bounding-set=-all -- env -i "${UNIT_ENV[@]}" /usr/bin/zerobus-edge run --config "$WORK/shipped.toml") \
    >"$WORK/unconfigured.log" 2>&1 &
unconfigured_pid=$!
PIDS+=($unconfigured_pid)
health_is() { # health_is PYTHON-EXPRESSION-ON-h
    python3 -c "import json,sys; h=json.load(open('$RUNDIR/health.json')); sys.exit(not ($1))"
}
check "unconfigured agent connects to MQTT" wait_for 30 health_is "h['mqtt']['connected']"
check "unconfigured agent subscribed" wait_for 30 grep -q "MQTT subscribed" "$WORK/unconfigured.log"
for i in $(seq 1 $buffered); do
    mosquitto_pub -h 127.0.0.1 -p "$mqtt_port" -q 1 -t "sensors/dev$((i % 3))/temp" \
        -m "{\"value\": $i.5, \"unit\": \"C\", \"ts\": \"2026-01-01T12:00:00Z\"}"
done
check "health: state unconfigured, the reason in last_error, $buffered readings buffered, no connection attempts" \
    wait_for 30 health_is "h['state'] == 'unconfigured' and h['buffer']['rows'] == $buffered and h['zerobus']['reconnects_total'] == 0
        and h['zerobus']['last_error'].startswith('unconfigured: zerobus.endpoint, zerobus.workspace_url, zerobus.client_id, zerobus.client_secret')"
check "zerobus-edge status (as an operator, no secrets in the environment) shows unconfigured" \
    sh -c "env -i /usr/bin/zerobus-edge status --config $WORK/shipped.toml | tee /dev/stderr | grep -q '^State: *unconfigured'"
check "/readyz: 503 not ready: unconfigured" python3 -c "
import sys, urllib.error, urllib.request
try:
    urllib.request.urlopen('http://127.0.0.1:$unconfigured_port/readyz', timeout=5); sys.exit('200')
except urllib.error.HTTPError as e:
    body = e.read().decode(); print(e.code, body)
    sys.exit(not (e.code == 503 and body.startswith('not ready: unconfigured: ')))"
check "the log says unconfigured and why" grep -q "unconfigured: readings are buffered, nothing is sent.*zerobus.endpoint" "$WORK/unconfigured.log"
kill -TERM "$unconfigured_pid"
unconfigured_status=0
wait "$unconfigured_pid" || unconfigured_status=$?
check "unconfigured agent exits 0 on SIGTERM" test "$unconfigured_status" = 0
rm -rf "$RUNDIR"

if [ "$emulator_ok" = 1 ]; then
    # The operator's edits: endpoints, broker, gateway id, a free health port, and the
    # secrets in /etc/default/zerobus-edge (the emulator accepts only these credentials).
    http_port=$(free_port)
    sed -i -e "s|^endpoint = .*|endpoint = \"$grpc_url\"|" \
        -e "s|^workspace_url = .*|workspace_url = \"$http_url\"|" \
        -e "s|^# url = \"mqtt://127.0.0.1:1883\"|url = \"mqtt://127.0.0.1:$mqtt_port\"|" \
        -e "s|^# gateway_id = .*|gateway_id = \"pkg-test\"|" \
        -e "s|^# interval_s = 10|interval_s = 1|" \
        -e "s|^# http_listen = .*|http_listen = \"127.0.0.1:$http_port\"|" \
        -e "s|^# linger_ms .*|linger_ms = 20|" "$CONFIG"
    cat >>"$DEFAULTS" <<'EOF'
DATABRICKS_CLIENT_ID=pkg-test-client
DATABRICKS_CLIENT_SECRET="pkg-test-secret"
EOF
    modified_sum=$(md5sum <"$CONFIG")
    check "edited config keeps mode 0640 root:zerobus-edge" stat_is "$CONFIG" "640 root $PKG"
    check "ExecStartPre: check-config accepts the edited config as $PKG" \
        as_service /usr/bin/zerobus-edge check-config --config "$CONFIG"

    # What RuntimeDirectory= does at start, and a socket standing in for NOTIFY_SOCKET.
    install -d -o "$PKG" -g "$PKG" -m 0755 "$RUNDIR"
    python3 - "$WORK/notify.sock" "$WORK/notify.log" <<'EOF' &
import os, signal, socket, sys
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o666)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
with open(sys.argv[2], "a", buffering=1) as log:
    while True:
        log.write(sock.recv(4096).decode(errors="replace").replace("\n", " ") + "\n")
EOF
    PIDS+=($!)
    wait_for 5 test -S "$WORK/notify.sock"
    # ExecStart, with the watchdog armed at 2 s (the agent pings at half of it).
    unit_env
    (cd / && umask 0077 && exec setpriv --reuid="$PKG" --regid="$PKG" --init-groups --no-new-privs \
        --inh-caps=-all --bounding-set=-all -- env -i "${UNIT_ENV[@]}" NOTIFY_SOCKET="$WORK/notify.sock" \
        WATCHDOG_USEC=2000000 /usr/bin/zerobus-edge run --config "$CONFIG") >"$WORK/agent.log" 2>&1 &
    agent_pid=$!
    PIDS+=($agent_pid)
    check "agent sends READY=1 to NOTIFY_SOCKET" wait_for 30 grep -q "READY=1" "$WORK/notify.log"
    check "agent reports MQTT connected in $RUNDIR/health.json" \
        wait_for 30 python3 -c "import json,sys; sys.exit(not json.load(open('$RUNDIR/health.json'))['mqtt']['connected'])"
    count=25
    # 1..$buffered were buffered while unconfigured: they arrive now, with the rest.
    for i in $(seq $((buffered + 1)) $count); do
        mosquitto_pub -h 127.0.0.1 -p "$mqtt_port" -q 1 -t "sensors/dev$((i % 3))/temp" \
            -m "{\"value\": $i.5, \"unit\": \"C\", \"ts\": \"2026-01-01T12:00:00Z\"}"
    done
    acked() {
        python3 - "$WORK/acked.jsonl" "$count" <<'EOF'
import json, sys
path, count = sys.argv[1], int(sys.argv[2])
try:
    rows = [json.loads(line) for line in open(path)]
except FileNotFoundError:
    rows = []
rows = [r for r in rows if r["table"] == "main.iot.readings"]
values = sorted({r["record"]["value"] for r in rows})
expected = [i + 0.5 for i in range(1, count + 1)]
ok = values == expected and all(r["record"]["gateway_id"] == "pkg-test" and r["record"]["metric"] == "temp"
                                and r["record"]["device_id"].startswith("dev") and r["record"]["record_id"] for r in rows)
print(f"{len(rows)} rows, {len(values)} distinct values")
sys.exit(0 if ok else 1)
EOF
    }
    check "all $count readings reach the emulator with their columns (OAuth with the secrets from $DEFAULTS)" wait_for 60 acked
    acked || true
    check "agent pings the watchdog (WATCHDOG=1)" wait_for 10 grep -q "WATCHDOG=1" "$WORK/notify.log"
    check "$STATE/buffer.db 0600 zerobus-edge" stat_is "$STATE/buffer.db" "600 $PKG $PKG"
    check "$RUNDIR/health.json written by zerobus-edge" sh -c "[ \"\$(stat -c %U $RUNDIR/health.json)\" = $PKG ]"
    check "zerobus-edge status (as $PKG) reads the health file" as_service /usr/bin/zerobus-edge status --config "$CONFIG"
    check "GET /healthz answers on the configured port" \
        python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$http_port/healthz', timeout=5).read()"
    check "no secret in the agent's log" sh -c "! grep -q pkg-test-secret '$WORK/agent.log'"
    # ExecReload's SIGHUP: an invalid file is refused (config_error in health), a valid one applied in place.
    health_field() { python3 -c "import json,sys; h=json.load(open('$RUNDIR/health.json')); sys.exit(not eval(sys.argv[1]))" "$1"; }
    cp -p "$CONFIG" "$WORK/reload-good.toml"
    echo "bogus_key = 1" >>"$CONFIG"
    kill -HUP "$agent_pid"
    check "SIGHUP with a bad file: refused, the log names file, line and key" \
        wait_for 10 grep -Eq "agent\.toml:[0-9]+: .*bogus_key: unknown key" "$WORK/agent.log"
    check "health shows config_error" wait_for 10 health_field "h['config_error'] and 'bogus_key' in h['config_error']['errors'][0]"
    sed -e 's|^topics = \["sensors/+/+"\]|topics = ["sensors/+/+", "plant/+/+"]|' "$WORK/reload-good.toml" >"$CONFIG"
    kill -HUP "$agent_pid"
    check "SIGHUP with a valid file: applied in place" wait_for 10 grep -q "configuration reloaded" "$WORK/agent.log"
    check "health clears config_error" wait_for 10 health_field "h['config_error'] is None"
    check "the new topic is subscribed" wait_for 10 sh -c "[ \$(grep -c 'MQTT subscribed' '$WORK/agent.log') -ge 2 ]"
    mosquitto_pub -h 127.0.0.1 -p "$mqtt_port" -q 1 -t "plant/dev7/temp" -m '{"value": 99.5}'
    check "a reading on the reloaded topic arrives" wait_for 30 grep -q '"device_id":"dev7".*"value":99.5' "$WORK/acked.jsonl"
    cat "$WORK/reload-good.toml" >"$CONFIG"   # the edited file the upgrade steps below expect
    kill -TERM "$agent_pid"
    agent_status=0
    wait "$agent_pid" || agent_status=$?
    check "agent exits 0 on SIGTERM" test "$agent_status" = 0
    [ "$agent_status" = 0 ] || tail -20 "$WORK/agent.log"
    rm -rf "$RUNDIR"   # what systemd does when the service stops
else
    modified_sum=""
fi

# --- upgrades ----------------------------------------------------------------------------
# Two newer packages made from this one: +pkgtest1 ships the same agent.toml
# (dpkg keeps the edited file without asking), +pkgtest2 ships a changed one
# (with --force-confold dpkg keeps the edited file and puts the new one beside it).
repack() { # repack VERSION CHANGE_CONFFILE OUT
    local dir="$WORK/repack-$1"
    rm -rf "$dir"; dpkg-deb -R "$DEB" "$dir"
    sed -i "s/^Version: .*/Version: $1/" "$dir/DEBIAN/control"
    [ "$2" = yes ] && echo "# (changed in $1)" >>"$dir/etc/zerobus-edge/agent.toml"
    dpkg-deb --root-owner-group -b "$dir" "$3" >/dev/null
}
note "upgrade (same shipped conffile)"
[ -n "$modified_sum" ] || { echo "# modified by the package test" >>"$CONFIG"; modified_sum=$(md5sum <"$CONFIG"); }
repack "$deb_version+pkgtest1" no "$WORK/up1.deb"
echo enabled >"$WORK/unit-enabled"; echo active >"$WORK/unit-active"   # the operator ran enable --now
check "dpkg -i of a newer version (no conffile prompt)" run_dpkg -i "$WORK/up1.deb"
check "upgrade keeps the edited agent.toml" sh -c "[ \"\$(md5sum <$CONFIG)\" = '$modified_sum' ] && [ ! -e $CONFIG.dpkg-dist ]"
check "upgrade keeps the secrets in $DEFAULTS" grep -q "^DATABRICKS_CLIENT_ID=pkg-test-client" "$DEFAULTS"
check "upgrade keeps agent.toml 0640 root:zerobus-edge" stat_is "$CONFIG" "640 root $PKG"
check "upgrade keeps the ring in $STATE" test -f "$STATE/buffer.db"
check "upgrade restarts the service (deb-systemd-invoke restart)" service_log_has "deb-systemd-invoke restart $PKG.service"
check "upgrade does not stop the service before unpacking" sh -c "! grep -q 'deb-systemd-invoke stop' '$WORK/service.log'"

note "upgrade (changed shipped conffile)"
repack "$deb_version+pkgtest2" yes "$WORK/up2.deb"
check "dpkg -i --force-confold of a newer version with a changed agent.toml" run_dpkg --force-confold -i "$WORK/up2.deb"
check "the edited agent.toml is kept, the new one is agent.toml.dpkg-dist" \
    sh -c "[ \"\$(md5sum <$CONFIG)\" = '$modified_sum' ] && [ -f $CONFIG.dpkg-dist ]"
check "upgrade restarts the service again" service_log_has "deb-systemd-invoke restart $PKG.service"
check "check-config still accepts the kept config" as_service /usr/bin/zerobus-edge check-config --config "$CONFIG"

# --- remove and purge --------------------------------------------------------------------
note "remove"
check "dpkg -r removes the package" run_dpkg -r "$PKG"
check "remove stops the service" service_log_has "deb-systemd-invoke stop $PKG.service"
check "remove takes the binary and the unit" sh -c "[ ! -e /usr/bin/zerobus-edge ] && [ ! -e $UNIT ]"
check "remove keeps the configuration, the ring and the user (until purge)" \
    sh -c "[ -f $CONFIG ] && [ -f $DEFAULTS ] && [ -f $STATE/buffer.db -o -z '$modified_sum' ] && getent passwd $PKG"

note "purge"
echo disabled >"$WORK/unit-enabled"; echo inactive >"$WORK/unit-active"
check "dpkg -P purges the package" run_dpkg -P "$PKG"
check "purge removes /etc/zerobus-edge (with agent.toml.dpkg-dist) and $DEFAULTS" sh -c "[ ! -e /etc/zerobus-edge ] && [ ! -e $DEFAULTS ]"
check "purge removes $STATE" test ! -e "$STATE"
check "purge removes the user and the group" sh -c "! getent passwd $PKG && ! getent group $PKG"
check "purge removes the dpkg-statoverride" sh -c "! dpkg-statoverride --list $CONFIG"
check "dpkg knows nothing of the package" sh -c "! dpkg-query -W -f='\${Status}' $PKG 2>/dev/null | grep -qv not-installed"
leftovers >"$WORK/after.list"
check "nothing left behind (files named zerobus-edge, passwd/group entries, overrides)" \
    diff "$WORK/before.list" "$WORK/after.list"

echo "package: $passed passed, $failed failed"
[ "$failed" = 0 ]
