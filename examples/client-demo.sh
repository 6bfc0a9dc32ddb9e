#!/usr/bin/env bash
# Streams synthetic rows through the Swift ZerobusClient into the local Zerobus emulator over
# TLS (mbedTLS, ALPN h2), then shows what the emulator acknowledged and decoded.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python=${ZEROBUS_PYTHON:-$root/.venv/bin/python}
work=$(mktemp -d)
trap 'kill $emulator_pid 2>/dev/null || true; wait $emulator_pid 2>/dev/null || true' EXIT

"$python" "$root/Tests/Emulator/zerobus_emulator.py" --tls --cert-dir "$work/certs" \
    --out "$work/acked.jsonl" --log-level WARNING > "$work/ready" 2> "$work/emulator.log" &
emulator_pid=$!
# The emulator prints one line once it listens; wait for that line, not for a fixed time.
for _ in $(seq 1 600); do
    grep -q '^ZEROBUS_EMULATOR ' "$work/ready" 2>/dev/null && break
    kill -0 $emulator_pid 2>/dev/null || { cat "$work/emulator.log"; exit 1; }
    sleep 0.1  # poll interval while waiting for the ready line
done
ready=$(cat "$work/ready")
echo "emulator: $ready"
endpoint=$(tr ' ' '\n' <<< "$ready" | sed -n 's/^tls=//p')
http=$(tr ' ' '\n' <<< "$ready" | sed -n 's/^http=//p')
ca=$(tr ' ' '\n' <<< "$ready" | sed -n 's/^ca=//p')

"$root/.build/debug/zerobus-example" --endpoint "$endpoint" --ca-file "$ca" --rows 20000 --batch 500

echo
echo "emulator counters: $(curl -s --noproxy '*' "$http/_emulator/stats" 2>/dev/null || "$python" -c "import urllib.request,sys; print(urllib.request.urlopen(sys.argv[1]).read().decode())" "$http/_emulator/stats")"
echo "first and last rows as the emulator decoded them:"
head -n 1 "$work/acked.jsonl"
tail -n 1 "$work/acked.jsonl"
echo "rows stored: $(wc -l < "$work/acked.jsonl")"
