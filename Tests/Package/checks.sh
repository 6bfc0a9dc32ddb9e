# Shared by the package tests (sourced): counted checks and condition polling.
# The sourcing script sets WORK (a scratch folder) before calling check.

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
check() { # check "description" command...: counts it, and shows the command's output when it fails
    local what=$1; shift
    if "$@" >"$WORK/check.out" 2>&1; then pass "$what"; else fail "$what"; sed 's/^/    /' "$WORK/check.out" | tail -20; fi
}
# wait_for SECONDS command...: polls a condition; nothing is assumed to be done by a delay.
wait_for() {
    local deadline=$((SECONDS + $1)); shift
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.2
    done
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
