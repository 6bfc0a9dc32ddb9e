#!/usr/bin/env bash
# Tests each target's package (what `make test-packages` runs) in a clean root of
# its own release and architecture (arm64 under qemu-user), then prints a table:
# target, build time, stripped binary size, .deb size, result.
#
# Per target: a fresh minbase root from $ROOTS_DIR (packaging/roots.sh); apt-get
# installs only the package's own Depends from the mirror, then `dpkg -i` must
# succeed; `--version` and `check-config` on the shipped agent.toml; a smoke flow:
# a real mosquitto and the Zerobus emulator run on the host (the root shares its
# network, loopback only), the INSTALLED binary runs in the root as the
# zerobus-edge user, N readings are published and the same N distinct record_ids
# must reach the emulator over TLS (its CA as ca_file).
#
# Usage (root): Tests/Package/test_packages.sh [target...]  (default: $TARGETS, else the amd64 ones)
# Packages come from dist/<release>/ (packaging/build-packages.sh); the logs go next to them
# (<arch>.test.log, <arch>.agent.log).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/packaging/roots.sh"
PYTHON=${ZEROBUS_PYTHON:-$ROOT/.venv/bin/python}
PKG=zerobus-edge
COUNT=${COUNT:-25}
[ "$(id -u)" = 0 ] || { echo "test_packages: must run as root (debootstrap, chroot)" >&2; exit 2; }
read -r -a targets <<<"${*:-${TARGETS:-$ALL_TARGETS}}"
version=$(dpkg-parsechangelog -l "$ROOT/packaging/debian/changelog" -SVersion)

WORK=$(mktemp -d /tmp/zerobus-edge-pkgs.XXXXXX)
PIDS=()
current_root=
agent=
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    [ -z "$current_root" ] || umount_root "$current_root"
    rm -rf "$WORK"
}
trap cleanup EXIT

. "$ROOT/Tests/Package/checks.sh"

# One broker and one emulator on the host serve every target in turn.
mqtt_port=$(free_port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$mqtt_port" >"$WORK/mosquitto.conf"
mosquitto -c "$WORK/mosquitto.conf" >"$WORK/mosquitto.log" 2>&1 &
PIDS+=($!)
wait_for 10 bash -c "echo > /dev/tcp/127.0.0.1/$mqtt_port" || { echo "mosquitto did not start" >&2; exit 1; }

run_in_root() { # run_in_root DIR USER command...: the unit's environment, as USER (in a subshell)
    local dir=$1 user=$2; shift 2
    # exec: run in the background, $! is then the agent itself, which the test stops by its pid.
    exec chroot --userspec="$user:$user" "$dir" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
        HOME=/var/lib/$PKG STATE_DIRECTORY=/var/lib/$PKG RUNTIME_DIRECTORY=/run/$PKG \
        DATABRICKS_CLIENT_ID=pkg-test-client DATABRICKS_CLIENT_SECRET=pkg-test-secret "$@"
}

# Distinct record_ids among the emulator's rows for this gateway; exit 0 when it is exactly COUNT.
acked() { # acked FILE GATEWAY
    python3 - "$1" "$2" "$COUNT" <<'EOF'
import json, sys
path, gateway, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
try:
    rows = [json.loads(line) for line in open(path)]
except FileNotFoundError:
    rows = []
rows = [r["record"] for r in rows if r["table"] == "main.iot.readings" and r["record"]["gateway_id"] == gateway]
ids = {r["record_id"] for r in rows}
values = sorted({r["value"] for r in rows})
print(f"{len(rows)} rows, {len(ids)} distinct record_ids")
sys.exit(0 if len(ids) == count and values == [i + 0.5 for i in range(1, count + 1)] else 1)
EOF
}

test_target() { # test_target TARGET: its last line is PASS or what failed (sets current_root, agent)
    local target=$1 release arch deb dir deps tls_url http_url
    release=$(target_release "$target"); arch=$(target_arch "$target")
    deb="$ROOT/dist/$release/${PKG}_${version}_$arch.deb"
    [ -f "$deb" ] || { echo "no package (make packages)"; return 1; }
    dir=$(ensure_root "$target" test fresh) || { echo "no test root"; return 1; }
    current_root=$dir
    mount_root "$dir"
    cp "$deb" "$dir/root/"
    # Only what the package declares, so a missing Depends shows up as a failing dpkg -i or run.
    deps=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed -E 's/\|.*//; s/\(.*\)//; s/ //g' | grep -v '^$' | tr '\n' ' ')
    chroot "$dir" apt-get update -qq || { echo "apt-get update failed"; return 1; }
    # shellcheck disable=SC2086
    chroot "$dir" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $deps >/dev/null \
        || { echo "Depends not installable: $deps"; return 1; }
    chroot "$dir" dpkg -i "/root/$(basename "$deb")" || { echo "dpkg -i failed"; return 1; }
    [ "$(chroot "$dir" /usr/bin/$PKG --version)" = "$version" ] || { echo "--version is not $version"; return 1; }
    (run_in_root "$dir" $PKG /usr/bin/$PKG check-config --config /etc/$PKG/agent.toml) \
        || { echo "check-config rejects the shipped agent.toml"; return 1; }

    : >"$WORK/out.jsonl"
    # The gRPC stream goes over TLS (1.3 with Debian 13's mbedTLS, 1.2 with Debian 12's) to the
    # emulator's own CA, which the operator would add as ca_file; a real system has localhost in /etc/hosts.
    tls_url=$(sed -n 's/^ZEROBUS_EMULATOR .*tls=\([^ ]*\).*/\1/p' "$WORK/emulator.out")
    install -m 0644 "$(sed -n 's/^ZEROBUS_EMULATOR .*ca=\([^ ]*\).*/\1/p' "$WORK/emulator.out")" "$dir/etc/$PKG/test-ca.pem"
    grep -q localhost "$dir/etc/hosts" 2>/dev/null || echo "127.0.0.1 localhost" >>"$dir/etc/hosts"
    http_url=$(sed -n 's/^ZEROBUS_EMULATOR .*http=\([^ ]*\).*/\1/p' "$WORK/emulator.out")
    sed -i -e "s|^endpoint = .*|endpoint = \"$tls_url\"|" \
        -e "s|^# ca_file = \"\"|ca_file = \"/etc/$PKG/test-ca.pem\"|" \
        -e "s|^workspace_url = .*|workspace_url = \"$http_url\"|" \
        -e "s|^# url = \"mqtt://127.0.0.1:1883\"|url = \"mqtt://127.0.0.1:$mqtt_port\"|" \
        -e "s|^# gateway_id = .*|gateway_id = \"$target\"|" \
        -e "s|^# http_listen = .*|http_listen = \"127.0.0.1:$(free_port)\"|" \
        -e "s|^# linger_ms .*|linger_ms = 20|" "$dir/etc/$PKG/agent.toml"
    chroot "$dir" install -d -o $PKG -g $PKG -m 0755 /run/$PKG
    run_in_root "$dir" $PKG /usr/bin/$PKG run --config /etc/$PKG/agent.toml >"$ROOT/dist/$release/$arch.agent.log" 2>&1 &
    agent=$!
    PIDS+=($agent)
    wait_for 120 python3 -c "import json,sys; sys.exit(not json.load(open('$dir/run/$PKG/health.json'))['mqtt']['connected'])" \
        || { echo "agent never reported MQTT connected"; tail -5 "$ROOT/dist/$release/$arch.agent.log"; return 1; }
    local i
    for i in $(seq 1 "$COUNT"); do
        mosquitto_pub -h 127.0.0.1 -p "$mqtt_port" -q 1 -t "sensors/dev$((i % 3))/temp" \
            -m "{\"value\": $i.5, \"unit\": \"C\", \"ts\": \"2026-01-01T12:00:00Z\"}"
    done
    if ! wait_for 180 acked "$WORK/acked.jsonl" "$target"; then
        echo "smoke: $(acked "$WORK/acked.jsonl" "$target") of $COUNT"; return 1
    fi
    echo "PASS ($COUNT/$COUNT record_ids)"
}

(cd "$ROOT" && exec env -u http_proxy -u https_proxy "$PYTHON" Tests/Emulator/zerobus_emulator.py --out "$WORK/acked.jsonl" \
    --tls-port 0 --cert-dir "$WORK/certs" --require-auth --client-id pkg-test-client --client-secret pkg-test-secret >"$WORK/emulator.out" 2>"$WORK/emulator.log") &
PIDS+=($!)
wait_for 60 grep -q '^ZEROBUS_EMULATOR ' "$WORK/emulator.out" || { echo "emulator did not start" >&2; tail "$WORK/emulator.log" >&2; exit 1; }

rows=()
status=0
for target in "${targets[@]}"; do
    release=$(target_release "$target"); arch=$(target_arch "$target")
    deb="$ROOT/dist/$release/${PKG}_${version}_$arch.deb"
    echo "test_packages: $target"
    start=$SECONDS
    log="$ROOT/dist/$release/$arch.test.log"
    mkdir -p "$ROOT/dist/$release"
    test_target "$target" >"$log" 2>&1 || true
    result=$(tail -1 "$log")
    [[ "$result" == PASS* ]] || { status=1; echo "  failed: $result (log: $log)"; tail -15 "$log" | sed 's/^/    /'; }
    if [ -n "$agent" ]; then kill -TERM "$agent" 2>/dev/null || true; wait "$agent" 2>/dev/null || true; agent=; fi
    [ -z "$current_root" ] || { umount_root "$current_root"; current_root=; }
    built=$(cat "$ROOT/dist/$release/$arch.build-seconds" 2>/dev/null || echo "?")
    binary=$( [ -f "$deb" ] && dpkg-deb --fsys-tarfile "$deb" | tar -tvf - ./usr/bin/$PKG | awk '{print $3}' || echo "-")
    size=$( [ -f "$deb" ] && stat -c %s "$deb" || echo "-")
    rows+=("$(printf '%-16s %8s %14s %10s  %s (%d s)' "$target" "${built} s" "$binary" "$size" "$result" $((SECONDS - start)))")
done

echo
printf '%-16s %8s %14s %10s  %s\n' target build "binary bytes" ".deb bytes" "smoke (test time)"
printf '%s\n' "${rows[@]}"
exit $status
