"""Agent benchmark: zerobus-edge against a null MQTT subscriber and a Python bridge, one run.

Everything runs on one mosquitto and one Zerobus emulator (`--no-decode`: it acks and counts, so
the emulator is not what is measured), with the same publishers for every subject: P
`mosquitto_pub -l -q 1` processes (one topic each, `sensors/dev-NN/temperature`) fed JSON
readings through their stdin by this script, either as fast as they go or paced.

Figures (SPEC §8):
  * end-to-end sustained readings/s (publish start → last row acked by the emulator) vs a null
    subscriber (`mosquitto_sub -q 1 ... > /dev/null`, publish start → its last message);
  * CPU seconds per 100k readings (utime+stime from /proc/<pid>/stat, all threads), agent vs the
    paho-mqtt + official SDK bridge (python_bridge.py), at the same paced load and at full speed;
  * resident memory (VmRSS sampled every 100 ms, VmHWM) at a steady 10k readings/s and while a
    1M-row backlog builds up with the emulator stopped;
  * drain rate of that backlog once the emulator is back (same port);
  * release binary size (and stripped);
  * Sparkplug B: metrics/s and agent CPU per metric for DDATA of 10 alias-only metrics, beside the
    JSON figures (bench_sparkplug.py; --skip-sparkplug to leave it out).

    swift build -c release --product zerobus-edge
    .venv/bin/python Tests/Benchmarks/bench_agent.py            # full run, ~5-8 min
    .venv/bin/python Tests/Benchmarks/bench_agent.py --quick    # smaller, ~2 min

Figures are printed (this is not a timed test); the exit status is 0 unless a run failed.
On a shared machine the absolute numbers move; the ratios, measured in the same run, are the point.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "Tests" / "Fixtures"))
from agent_stack import Agent, Broker, Emulator, TableSpec, clean_env, wait_for, write_config  # noqa: E402
from bench_sparkplug import report_lines as sparkplug_report_lines, run_sparkplug  # noqa: E402

BINARY = REPO / ".build" / "release" / "zerobus-edge"
TABLE = "main.iot.readings"
CLK_TCK = os.sysconf("SC_CLK_TCK")
MiB = 1024 * 1024

# The agent does the same job as the bridge: topic segments + JSON fields + metadata → proto row.
COLUMNS = [
    '{ name = "device_id",  type = "string",    from = "topic[1]" }',
    '{ name = "metric",     type = "string",    from = "topic[2]" }',
    '{ name = "value",      type = "double",    from = "$.value" }',
    '{ name = "unit",       type = "string",    from = "$.unit", optional = true }',
    '{ name = "event_time", type = "timestamp", from = "$.ts",   default = "received_at" }',
    '{ name = "gateway_id", type = "string",    from = "gateway_id" }',
    '{ name = "record_id",  type = "string",    from = "record_id" }',
]


def log(text: str) -> None:
    print(f"  {time.strftime('%H:%M:%S')} {text}", flush=True)


# --- /proc ---------------------------------------------------------------------------------------

def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads) in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def status_kib(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def context_switches(pid: int) -> int:
    """Voluntary + involuntary context switches of every thread of a process (each is a wakeup)."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                        total += int(line.split()[1])
        except OSError:
            pass  # a thread that ended meanwhile
    return total


class RSSSampler:
    """Samples VmRSS of a process every `interval` s in a thread; `marks` label moments."""

    def __init__(self, pid: int, interval: float = 0.1):
        self.pid, self.interval = pid, interval
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                self.samples.append((time.monotonic(), status_kib(self.pid, "VmRSS")))
            except OSError:
                return
            self._stop.wait(self.interval)

    def now_kib(self) -> int:
        return status_kib(self.pid, "VmRSS")

    def peak_kib(self, since: float = 0.0, until: float = float("inf")) -> int:
        values = [kib for t, kib in self.samples if since <= t <= until]
        return max(values) if values else 0

    def stop(self):
        self._stop.set()
        self._thread.join()


# --- publishers ----------------------------------------------------------------------------------

def readings(publisher: int, count: int, start: int = 0) -> list[bytes]:
    """JSON lines like the sensors send: {"value":21.37,"unit":"degC","ts":<epoch ms>}."""
    base_ms = 1_780_000_000_000 + publisher * 7
    return [b'{"value":%.2f,"unit":"degC","ts":%d}\n' % (20 + ((n * 37 + publisher) % 900) / 10, base_ms + n)
            for n in range(start, start + count)]


class Publishers:
    """P `mosquitto_pub -l -q 1 -M 1000` processes, one topic each, fed through stdin.

    stdin stays open until `close()`: mosquitto_pub 2.0.11 disconnects at EOF without sending what
    is still queued (measured: ~1/3 of 100k lines arrived), so EOF only comes after the subject
    under test has seen everything."""

    def __init__(self, broker: Broker, count: int, tag: str):
        self.broker = broker
        self.processes = []
        for k in range(count):
            client_id = f"bench-pub-{tag}-{k}"
            self.processes.append(subprocess.Popen(
                ["mosquitto_pub", "-p", str(broker.port), "-q", "1", "-M", "1000", "-l", "-i", client_id,
                 "-t", f"sensors/dev-{k:02d}/temperature"],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=clean_env()))
        ids = [f"as bench-pub-{tag}-{k} " for k in range(count)]
        wait_for(lambda: all(i in broker.log_path.read_text(errors="replace") for i in ids), 15,
                 "publishers connected")

    def feed(self, per_publisher: list[list[bytes]], rate: float | None = None) -> float:
        """Writes every line (paced to `rate` readings/s in total, or as fast as possible); returns
        when all is written to the pipes (not necessarily published yet). Returns the start time."""
        started = time.monotonic()
        threads = []
        for process, lines in zip(self.processes, per_publisher):
            target = self._write_all if rate is None else self._write_paced
            args = (process, lines) if rate is None else (process, lines, rate / len(self.processes), started)
            threads.append(threading.Thread(target=target, args=args, daemon=True))
        for thread in threads:
            thread.start()
        self._threads = threads
        return started

    def wait_written(self, timeout: float = 600):
        for thread in self._threads:
            thread.join(timeout)

    @staticmethod
    def _write_all(process, lines):
        data = b"".join(lines)
        for offset in range(0, len(data), 1 << 20):
            process.stdin.write(data[offset:offset + (1 << 20)])
        process.stdin.flush()

    @staticmethod
    def _write_paced(process, lines, rate, started):
        step = 0.01
        per_step = rate * step
        written = 0
        tick = 0
        while written < len(lines):
            tick += 1
            due = int(min(len(lines), per_step * tick))
            if due > written:
                try:
                    process.stdin.write(b"".join(lines[written:due]))
                    process.stdin.flush()
                except (ValueError, BrokenPipeError):
                    return  # closed early (a timed-out phase)
                written = due
            delay = started + tick * step - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def close(self):
        for thread in getattr(self, "_threads", []):
            thread.join(5)
        for process in self.processes:
            try:
                process.stdin.close()
            except BrokenPipeError:
                pass
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if k < total % parts else 0) for k in range(parts)]


def forget_session(broker: Broker, client_id: str) -> None:
    """Connects once with clean_session=True so the broker drops a subject's persistent session
    (it would otherwise queue every later run's readings for it)."""
    import paho.mqtt.client as mqtt
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
    client.connect("127.0.0.1", broker.port, keepalive=10)
    client.loop_start()
    time.sleep(0.3)
    client.disconnect()
    client.loop_stop()


# --- the benchmark -------------------------------------------------------------------------------

class Bench:
    def __init__(self, args):
        self.args = args
        self.work = Path(tempfile.mkdtemp(prefix="zerobus-edge-bench-"))
        self.broker = Broker(self.work / "broker").start()
        self.emulator = Emulator(self.work / "emulator", extra_args=["--no-decode"]).start()
        self.results: dict = {}
        self.data_cache: dict = {}
        self.acked_base = 0

    def lines(self, total: int, start: int = 0) -> list[list[bytes]]:
        key = (total, start)
        if key not in self.data_cache:
            counts = split(total, self.args.publishers)
            self.data_cache[key] = [readings(k, c, start) for k, c in enumerate(counts)]
        return self.data_cache[key]

    def acked(self) -> int:
        return self.emulator.stats()["records_acked"]

    def wait_acked(self, target: int, timeout: float) -> float | None:
        """Time at which the emulator had acked `target` rows (counted from acked_base), or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.acked() - self.acked_base >= target:
                return time.monotonic()
            time.sleep(0.02)
        return None

    # null subscriber -------------------------------------------------------------------------

    def run_null(self, label: str, total: int) -> None:
        log(f"null subscriber ({label}): {total} readings, {self.args.publishers} publishers, full speed")
        sub = subprocess.Popen(["mosquitto_sub", "-p", str(self.broker.port), "-q", "1", "-i", f"bench-null-{label}",
                                "-t", "sensors/+/+", "-C", str(total)], stdout=subprocess.DEVNULL, env=clean_env())
        wait_for(lambda: f"as bench-null-{label} " in self.broker.log_path.read_text(errors="replace"), 15,
                 "null subscriber connected")
        time.sleep(0.2)  # its SUBSCRIBE follows the CONNECT; mosquitto_sub cannot tell us
        publishers = Publishers(self.broker, self.args.publishers, f"null-{label}")
        started = publishers.feed(self.lines(total))
        try:
            _, status, usage = os.wait4(sub.pid, 0)
            finished = time.monotonic()
            sub.returncode = os.waitstatus_to_exitcode(status)
        finally:
            publishers.close()
        rate = total / (finished - started)
        cpu = usage.ru_utime + usage.ru_stime
        log(f"  {rate:,.0f} readings/s ({finished - started:.2f} s), mosquitto_sub CPU {cpu:.2f} s")
        self.results.setdefault("null", []).append({"rate": rate, "cpu_per_100k": cpu / total * 1e5})

    # subjects --------------------------------------------------------------------------------

    def measure_max_rate(self, name: str, pid: int, total: int, sampler: RSSSampler) -> dict:
        log(f"{name}: {total} readings at full speed")
        self.acked_base = self.acked()
        cpu0 = cpu_seconds(pid)
        publishers = Publishers(self.broker, self.args.publishers, f"{name}-max")
        started = publishers.feed(self.lines(total))
        finished = self.wait_acked(total, self.args.timeout)
        publishers.close()
        if finished is None:
            log(f"  TIMEOUT: only {self.acked() - self.acked_base} of {total} acked")
            return {"rate": None, "cpu_per_100k": None}
        cpu = cpu_seconds(pid) - cpu0
        result = {"rate": total / (finished - started), "cpu_per_100k": cpu / total * 1e5,
                  "rss_peak_kib": sampler.peak_kib(started, finished)}
        log(f"  {result['rate']:,.0f} readings/s end to end ({finished - started:.2f} s), CPU {cpu:.2f} s "
            f"= {result['cpu_per_100k']:.2f} s/100k, peak RSS {result['rss_peak_kib'] / 1024:.1f} MiB")
        return result

    def measure_paced(self, name: str, pid: int, rate: float, seconds: float, sampler: RSSSampler) -> dict:
        total = int(rate * seconds)
        log(f"{name}: {rate:,.0f} readings/s for {seconds:g} s ({total} readings)")
        self.acked_base = self.acked()
        cpu0 = cpu_seconds(pid)
        publishers = Publishers(self.broker, self.args.publishers, f"{name}-paced")
        started = publishers.feed(self.lines(total, start=10_000_000), rate=rate)
        publishers.wait_written(seconds + 60)
        written = time.monotonic()
        finished = self.wait_acked(total, self.args.timeout)
        publishers.close()
        if finished is None:
            log(f"  TIMEOUT: only {self.acked() - self.acked_base} of {total} acked")
            return {}
        cpu = cpu_seconds(pid) - cpu0
        steady_from = started + min(5.0, seconds * 0.25)  # after start-up effects
        samples = [kib for t, kib in sampler.samples if steady_from <= t <= written]
        result = {"cpu_per_100k": cpu / total * 1e5, "lag_s": finished - written,
                  "rss_steady_max_kib": max(samples) if samples else 0,
                  "rss_steady_min_kib": min(samples) if samples else 0,
                  "achieved_rate": total / (written - started)}
        log(f"  offered {result['achieved_rate']:,.0f}/s, last row acked {result['lag_s']:.2f} s after the last "
            f"publish; CPU {cpu:.2f} s = {result['cpu_per_100k']:.3f} s/100k; RSS steady "
            f"{result['rss_steady_min_kib'] / 1024:.1f}–{result['rss_steady_max_kib'] / 1024:.1f} MiB")
        return result

    def run_agent(self) -> None:
        args = self.args
        os.environ["ZEROBUS_EDGE_BIN"] = str(args.binary)
        config = write_config(
            self.work / "agent.toml", data_dir=self.work / "agent-data", broker=self.broker, emulator=self.emulator,
            gateway_id="gw-bench", tables=[TableSpec(TABLE, ["sensors/+/+"], columns=COLUMNS)],
            # info: lifecycle lines only (none per message); Agent.start waits for "MQTT subscribed".
            sections={"agent": {"log_level": "info"}, "buffer": {"max_bytes": "2GiB"}, "health": {"interval_s": 10},
                      "retry": {"initial_backoff_ms": 200, "max_backoff_ms": 1000}})
        # The environment the systemd unit gives the agent (MALLOC_ARENA_MAX=2: fewer glibc arenas).
        agent = Agent(config, self.work / "agent.log", env={"MALLOC_ARENA_MAX": "2"}).start()
        pid = agent.process.pid
        try:
            wait_for(lambda: (agent.health() or {}).get("zerobus", {}).get("connected"), 30, "agent connected",
                     agent.log_tail)
            sampler = RSSSampler(pid)
            idle_kib = sampler.now_kib()
            log(f"agent (release, pid {pid}) up; idle RSS {idle_kib / 1024:.1f} MiB")
            result = {"idle_rss_kib": idle_kib}
            result["idle"] = self.measure_idle(pid, args.idle_seconds)
            result["max"] = self.measure_max_rate("agent", pid, args.readings, sampler)
            result["paced"] = self.measure_paced("agent", pid, args.paced_rate, args.paced_seconds, sampler)
            result["backlog"] = self.measure_backlog(agent, pid, args.backlog, sampler)
            result["hwm_kib"] = status_kib(pid, "VmHWM")
            sampler.stop()
            self.results["agent"] = result
        finally:
            if agent.running:
                agent.stop(timeout=30)
            forget_session(self.broker, "zerobus-edge-gw-bench")
            if not agent.log_path.exists() or "error" in agent.log_tail(5).lower():
                log("agent log tail:\n" + agent.log_tail(10))

    def measure_idle(self, pid: int, seconds: float) -> dict:
        """An idle gateway: broker connected, cloud up, no readings. What does the agent cost?
        Health is written every 10 s here, the default."""
        log(f"agent idle for {seconds:g} s (broker and cloud connected, no readings)")
        cpu0, switches0, began = cpu_seconds(pid), context_switches(pid), time.monotonic()
        time.sleep(seconds)  # the measurement interval itself, not a synchronisation
        elapsed = time.monotonic() - began
        threads = len(os.listdir(f"/proc/{pid}/task"))
        result = {"seconds": elapsed, "cpu_s_per_min": (cpu_seconds(pid) - cpu0) / elapsed * 60,
                  "switches_per_s": (context_switches(pid) - switches0) / elapsed, "threads": threads}
        log(f"  idle: {result['cpu_s_per_min']:.3f} CPU-s/min, {result['switches_per_s']:.0f} context switches/s "
            f"across {threads} threads")
        return result

    def measure_backlog(self, agent: Agent, pid: int, total: int, sampler: RSSSampler) -> dict:
        log(f"agent backlog: emulator stopped, {total} readings published at full speed")
        self.emulator.stop()
        publishers = Publishers(self.broker, self.args.publishers, "agent-backlog")
        started = publishers.feed(self.lines(total, start=20_000_000))
        marks = {}  # backlog fraction → RSS KiB when the ring held that many rows
        fractions = [0.25, 0.5, 0.75, 1.0]
        deadline = time.monotonic() + self.args.timeout
        rows = 0
        while time.monotonic() < deadline and len(marks) < len(fractions):
            rows = ((agent.health() or {}).get("buffer") or {}).get("rows", 0)
            for fraction in fractions:
                if fraction not in marks and rows >= fraction * total:
                    marks[fraction] = (rows, sampler.now_kib())
            time.sleep(0.1)
        buffered = time.monotonic()
        publishers.close()
        if len(marks) < len(fractions):
            log(f"  TIMEOUT: the ring holds {rows} rows")
        intake = total / (buffered - started)
        for fraction, (at_rows, kib) in sorted(marks.items()):
            log(f"  backlog {at_rows:>8} rows: RSS {kib / 1024:.1f} MiB")
        build_peak = sampler.peak_kib(started, buffered)
        db = agent.health() or {}
        log(f"  intake with the cloud down {intake:,.0f} readings/s; peak RSS while buffering {build_peak / 1024:.1f} MiB;"
            f" ring {db.get('buffer', {}).get('bytes', 0) / MiB:.0f} MiB on disk")
        time.sleep(2)  # settle: the health report and RSS with the whole backlog held
        full_kib = sampler.now_kib()

        log("  emulator back on the same port; draining")
        self.emulator.start()
        self.acked_base = 0  # a fresh emulator process counts from zero
        restarted = time.monotonic()
        first = None
        while first is None and time.monotonic() - restarted < 120:
            if self.acked() > 0:
                first = time.monotonic()
            time.sleep(0.02)
        finished = self.wait_acked(total, self.args.timeout)
        if finished is None or first is None:
            log(f"  TIMEOUT: {self.acked()} of {total} acked")
            return {"marks": marks, "full_kib": full_kib, "build_peak_kib": build_peak}
        drain_peak = sampler.peak_kib(restarted, finished)
        result = {"marks": marks, "full_kib": full_kib, "build_peak_kib": build_peak, "drain_peak_kib": drain_peak,
                  "drain_rate": total / (finished - first), "drain_rate_incl_reconnect": total / (finished - restarted),
                  "reconnect_s": first - restarted, "intake_rate": intake}
        log(f"  drained {total} rows in {finished - first:.2f} s after the first ack ({result['drain_rate']:,.0f} rows/s;"
            f" {result['reconnect_s']:.2f} s to reconnect); peak RSS while draining {drain_peak / 1024:.1f} MiB")
        return result

    def run_bridge(self) -> None:
        args = self.args
        out = self.work / "bridge.out"
        bridge = subprocess.Popen(
            [sys.executable, str(HERE / "python_bridge.py"), "--mqtt-port", str(self.broker.port),
             "--endpoint", self.emulator.endpoint, "--client-id", "bench-python-bridge"],
            stdout=open(out, "w"), stderr=subprocess.STDOUT, env=clean_env(RUST_LOG="warn"))
        try:
            wait_for(lambda: bridge.poll() is not None or "BRIDGE_READY" in out.read_text(errors="replace"), 60,
                     "bridge ready", lambda: out.read_text(errors="replace")[-2000:])
            assert bridge.poll() is None, out.read_text()
            sampler = RSSSampler(bridge.pid)
            log(f"python bridge (pid {bridge.pid}) up; idle RSS {sampler.now_kib() / 1024:.1f} MiB")
            result = {"max": self.measure_max_rate("bridge", bridge.pid, args.readings, sampler),
                      "paced": self.measure_paced("bridge", bridge.pid, args.paced_rate, args.paced_seconds, sampler)}
            sampler.stop()
            self.results["bridge"] = result
        finally:
            bridge.terminate()
            try:
                bridge.wait(30)
            except subprocess.TimeoutExpired:
                bridge.kill()
            forget_session(self.broker, "bench-python-bridge")

    def close(self):
        if self.emulator.running:
            self.emulator.stop()
        self.broker.stop()
        if self.args.keep:
            log(f"work dir kept: {self.work}")
        else:
            shutil.rmtree(self.work, ignore_errors=True)


# --- report --------------------------------------------------------------------------------------

def binary_sizes(binary: Path) -> tuple[int, int | None, bool]:
    size = binary.stat().st_size
    stripped = None
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "stripped"
        if subprocess.run(["strip", "-o", str(copy), str(binary)], capture_output=True).returncode == 0:
            stripped = copy.stat().st_size
    ldd = subprocess.run(["ldd", str(binary)], capture_output=True, text=True).stdout
    return size, stripped, "libswiftCore" not in ldd


def report(results: dict, args, binary: Path) -> None:
    rows = []

    def mark(ok):
        return "n/a" if ok is None else ("met" if ok else "NOT MET")

    null = max((r["rate"] for r in results.get("null", [])), default=None)
    agent, bridge = results.get("agent", {}), results.get("bridge", {})
    a_max, a_paced, a_backlog = agent.get("max", {}), agent.get("paced", {}), agent.get("backlog", {})
    b_max, b_paced = bridge.get("max", {}), bridge.get("paced", {})

    def fmt_rate(value):
        return "—" if value is None else f"{value:,.0f}/s"

    e2e = a_max.get("rate")
    ratio = e2e / null if e2e and null else None
    rows.append(("end-to-end readings/s, agent", fmt_rate(e2e),
                 f"{ratio:.0%} of null subscriber" if ratio else "", "≥ 90 % of null", mark(ratio and ratio >= 0.9)))
    for i, r in enumerate(results.get("null", [])):
        rows.append((f"  null subscriber (run {i + 1})", fmt_rate(r["rate"]), "", "", ""))
    b_rate = b_max.get("rate")
    rows.append(("  python bridge, same load", fmt_rate(b_rate),
                 f"{b_rate / null:.0%} of null subscriber" if b_rate and null else "", "", ""))

    a_cpu, b_cpu = a_paced.get("cpu_per_100k"), b_paced.get("cpu_per_100k")
    cpu_ratio = a_cpu / b_cpu if a_cpu and b_cpu else None
    rows.append((f"CPU s / 100k readings at {args.paced_rate:,.0f}/s, agent", f"{a_cpu:.3f} s" if a_cpu else "—",
                 f"1/{1 / cpu_ratio:.1f} of bridge" if cpu_ratio else "", "≤ 1/5 of bridge",
                 mark(cpu_ratio and cpu_ratio <= 0.2)))
    rows.append(("  python bridge", f"{b_cpu:.3f} s" if b_cpu else "—", "", "", ""))
    a_cpu_max, b_cpu_max = a_max.get("cpu_per_100k"), b_max.get("cpu_per_100k")
    if a_cpu_max and b_cpu_max:
        rows.append(("CPU s / 100k readings at full speed, agent", f"{a_cpu_max:.3f} s",
                     f"1/{b_cpu_max / a_cpu_max:.1f} of bridge", "(≤ 1/5)", mark(a_cpu_max / b_cpu_max <= 0.2)))
        rows.append(("  python bridge", f"{b_cpu_max:.3f} s", "", "", ""))

    steady = a_paced.get("rss_steady_max_kib")
    rows.append((f"RSS at {args.paced_rate:,.0f} readings/s (max of samples)",
                 f"{steady / 1024:.1f} MiB" if steady else "—",
                 f"idle {agent.get('idle_rss_kib', 0) / 1024:.1f} MiB", "≤ 24 MiB", mark(steady and steady <= 24 * 1024)))
    marks = a_backlog.get("marks", {})
    full = a_backlog.get("full_kib")
    peak_backlog = max([a_backlog.get("build_peak_kib", 0), a_backlog.get("drain_peak_kib", 0)] +
                       [kib for _, kib in marks.values()]) if a_backlog else None
    growth = None
    if 0.25 in marks and 1.0 in marks:
        growth = (marks[1.0][1] - marks[0.25][1]) / 1024
    flat_ok = None if growth is None else growth <= 2.0
    rows.append((f"RSS with a {args.backlog:,}-row backlog (peak build+drain)",
                 f"{peak_backlog / 1024:.1f} MiB" if peak_backlog else "—",
                 f"held {full / 1024:.1f} MiB" if full else "", "≤ 24 MiB", mark(peak_backlog and peak_backlog <= 24 * 1024)))
    rows.append(("  RSS growth 25 % → 100 % of the backlog", f"{growth:+.1f} MiB" if growth is not None else "—",
                 " ".join(f"{int(f * 100)}%:{kib / 1024:.1f}" for f, (_, kib) in sorted(marks.items())),
                 "flat (≤ +2 MiB)", mark(flat_ok)))
    rows.append(("  agent VmHWM over the whole run", f"{agent.get('hwm_kib', 0) / 1024:.1f} MiB", "", "", ""))
    drain = a_backlog.get("drain_rate")
    rows.append((f"drain of the {args.backlog:,}-row backlog", fmt_rate(drain),
                 f"{fmt_rate(a_backlog.get('drain_rate_incl_reconnect'))} incl. {a_backlog.get('reconnect_s', 0):.1f} s reconnect"
                 if drain else "", "≥ 50,000/s", mark(drain and drain >= 50_000)))
    rows.append(("  intake with the cloud down", fmt_rate(a_backlog.get("intake_rate")), "", "", ""))

    idle = agent.get("idle")
    if idle:
        rows.append((f"idle for {idle['seconds']:.0f} s: CPU-s per minute", f"{idle['cpu_s_per_min']:.3f}",
                     f"{idle['threads']} threads", "≤ 0.1 (issue core)", mark(idle["cpu_s_per_min"] <= 0.1)))
        rows.append(("  idle context switches per second", f"{idle['switches_per_s']:.0f}", "all threads",
                     "≤ 5 (issue core)", mark(idle["switches_per_s"] <= 5)))

    size, stripped, static = binary_sizes(binary)
    rows.append(("release binary (the one benchmarked)", f"{size / MiB:.1f} MiB",
                 (f"stripped {stripped / MiB:.1f} MiB" if stripped else "")
                 + ("" if static else ", Swift stdlib dynamic"), "≤ 16 MiB (static, stripped)",
                 mark((stripped or size) <= 16 * MiB) if static else "n/a (dynamic)"))
    if args.static_binary:
        s_size, s_stripped, s_static = binary_sizes(args.static_binary)
        rows.append(("static-stdlib binary (--static-binary)", f"{s_size / MiB:.1f} MiB",
                     f"stripped {s_stripped / MiB:.1f} MiB" if s_stripped else "", "≤ 16 MiB (static, stripped)",
                     mark((s_stripped or s_size) <= 16 * MiB) if s_static else "n/a (not static)"))

    print()
    print(f"agent benchmark — {args.readings:,} readings at full speed, {args.paced_rate:,.0f}/s for "
          f"{args.paced_seconds:g} s, {args.backlog:,}-row backlog; {args.publishers} mosquitto_pub publishers, "
          f"QoS 1; emulator --no-decode, h2c; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    header = ("figure", "measured", "vs baseline / detail", "SPEC §8 target", "")
    widths = [max(w, len(h)) for w, h in zip(widths, header)]
    for row in [header] + rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    if not static:
        print("(the benchmarked binary links the Swift runtime and Foundation dynamically: their shared pages count "
              "in its RSS; pass --static-binary for the size of a --static-swift-stdlib build)")
    for line in sparkplug_report_lines(results):
        print(line)
    print("\nraw figures:", json.dumps(results, default=str))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller run (~2 min)")
    parser.add_argument("--readings", type=int, help="readings per full-speed run (default 400k, quick 100k)")
    parser.add_argument("--paced-rate", type=float, default=10_000, help="paced load, readings/s (default 10000)")
    parser.add_argument("--paced-seconds", type=float, help="paced run length (default 30, quick 10)")
    parser.add_argument("--backlog", type=int, help="backlog rows (default 1,000,000, quick 200,000)")
    parser.add_argument("--idle-seconds", type=float, help="idle measurement (default 300, quick 30)")
    parser.add_argument("--publishers", type=int, default=4, help="mosquitto_pub processes (default 4)")
    parser.add_argument("--binary", type=Path, default=Path(os.environ.get("ZEROBUS_EDGE_BIN", BINARY)))
    parser.add_argument("--static-binary", type=Path, help="also report the size of this static-stdlib build")
    parser.add_argument("--skip-bridge", action="store_true", help="no Python bridge runs")
    parser.add_argument("--skip-sparkplug", action="store_true", help="no Sparkplug B case")
    parser.add_argument("--timeout", type=float, default=300, help="per-phase timeout in seconds")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    args.readings = args.readings or (100_000 if args.quick else 400_000)
    args.paced_seconds = args.paced_seconds or (10 if args.quick else 30)
    args.backlog = args.backlog or (200_000 if args.quick else 1_000_000)
    args.idle_seconds = args.idle_seconds or (30 if args.quick else 300)
    if not args.binary.exists():
        raise SystemExit(f"{args.binary} is missing: swift build -c release --product zerobus-edge")
    if shutil.which("mosquitto_pub") is None or shutil.which("mosquitto_sub") is None:
        raise SystemExit("mosquitto_pub/mosquitto_sub are missing: apt install mosquitto-clients")

    print(f"agent benchmark: {args.binary}")
    began = time.monotonic()
    bench = Bench(args)
    failed = False
    try:
        bench.run_null("1", args.readings)
        bench.run_agent()
        if not args.skip_sparkplug:
            run_sparkplug(bench, Agent, TableSpec, write_config, cpu_seconds, forget_session, log)
        if not args.skip_bridge:
            bench.run_bridge()
        bench.run_null("2", args.readings)
    except Exception as e:
        failed = True
        log(f"FAILED: {type(e).__name__}: {e}")
    finally:
        bench.close()
    report(bench.results, args, args.binary)
    print(f"(whole run {time.monotonic() - began:.0f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
