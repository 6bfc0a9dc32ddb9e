# Shared by the nspawn package tests (sourced after checks.sh): boots a Debian root under a real
# systemd and runs commands inside it.

# boot_container ROOT [systemd-nspawn options...]: sets NSPAWN (its pid) and LEADER (the
# container's systemd), and returns once systemd is up (running or degraded).
boot_container() {
    local root=$1; shift
    systemd-nspawn -q -D "$root" -b --register=no --keep-unit --console=pipe "$@" >"$WORK/nspawn.log" 2>&1 &
    NSPAWN=$!
    wait_for 30 has_leader || { echo "container did not boot"; cat "$WORK/nspawn.log"; exit 1; }
    LEADER=$(leader)
    wait_for 60 sh -c "nsenter -t $LEADER -a -- systemctl is-system-running | grep -Eq 'running|degraded'"
}
leader() { ps -o pid=,comm= --ppid "$NSPAWN" | awk '$2 == "systemd" {print $1}'; }
has_leader() { [ -n "$(leader)" ]; }
in_ct() { nsenter -t "$LEADER" -a -- "$@"; }
