#!/usr/bin/env python3
"""zerobus-edge end-to-end demo: sensors → mosquitto → the agent → (local) Zerobus Ingest.

Starts, on free loopback ports and in a temporary directory:
  * mosquitto (the gateway's MQTT broker),
  * the Zerobus emulator (Tests/Emulator) serving TLS with a CA it generates,
  * the agent (`zerobus-edge run --config examples/demo.toml`),
  * the sensor simulator (examples/sensor_simulator.py),
then shows rows arriving in the "cloud", a few decoded rows and the agent's health document.

    .venv/bin/python examples/demo.py                  # ~35 s
    .venv/bin/python examples/demo.py --outage         # emulator down for 60 s, then the backlog drains
    .venv/bin/python examples/demo.py --outage 20 --keep

`--outage` stops the emulator after a warm-up while the sensors keep publishing, prints
`zerobus-edge status` while the backlog and its age grow, restarts the emulator on the same port,
waits for the drain and compares what the sensors published with what arrived (distinct
record_id). Exit status: 0 when they are equal, 1 otherwise (or on any failure).

Needs the agent binary (`swift build`; or ZEROBUS_EDGE_BIN) and the venv (`make venv`).
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "Tests" / "Fixtures"))
from agent_stack import Agent, Broker, Emulator, agent_binary, free_port, wait_for  # noqa: E402

CONFIG = HERE / "demo.toml"
SIMULATOR = HERE / "sensor_simulator.py"
READINGS = "main.iot.readings"
HEALTH_TABLE = "main.iot.edge_health"

T0 = time.monotonic()


def say(text: str = "") -> None:
    print(text, flush=True)


def step(text: str) -> None:
    say(f"\n[{time.monotonic() - T0:5.1f}s] {text}")


def indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.rstrip("\n").splitlines())


class Demo:
    def __init__(self, args):
        self.args = args
        self.work = Path(tempfile.mkdtemp(prefix="zerobus-edge-demo-"))
        self.broker = self.emulator = self.agent = self.simulator = None
        self.sim_out = self.work / "simulator.out"
        self.failed = False

    # --- the stack ------------------------------------------------------------------------------

    def start(self) -> None:
        binary = agent_binary()
        say("zerobus-edge demo")
        say(f"  agent binary: {binary.relative_to(REPO) if binary.is_relative_to(REPO) else binary}")
        say(f"  work dir:     {self.work}")

        step("starting mosquitto ...")
        self.broker = Broker(self.work / "broker").start()
        say(f"  mosquitto listening on 127.0.0.1:{self.broker.port}")

        step("starting the Zerobus emulator (TLS, its own CA) ...")
        self.emulator = Emulator(self.work / "emulator", extra_args=["--tls", "--cert-dir", str(self.work / "certs")])
        self.emulator.start()
        self.ca_file = self.work / "certs" / "ca.pem"
        say(f"  Zerobus endpoint https://localhost:{self.emulator.port}   CA {self.ca_file}")
        say(f"  control API      http://127.0.0.1:{self.emulator.http_port}/_emulator/stats")

        step(f"starting the agent: zerobus-edge run --config {CONFIG.relative_to(REPO)}")
        health_port = free_port()
        self.env = {"DEMO_DIR": str(self.work), "DEMO_MQTT_PORT": self.broker.port,
                    "DEMO_ZEROBUS_PORT": self.emulator.port, "DEMO_CA_FILE": str(self.ca_file),
                    "DEMO_HEALTH_PORT": health_port}
        self.agent = Agent(CONFIG, self.work / "agent.log", env=self.env)
        # demo.toml takes its paths from ${DEMO_*}: point the fixture at the expanded values
        self.agent.health_file = self.work / "health.json"
        self.agent.http = f"http://127.0.0.1:{health_port}"
        checked = self.agent.cli("check-config")
        if checked.returncode != 0:
            raise RuntimeError(f"check-config failed:\n{checked.stdout}{checked.stderr}")
        self.agent.start()
        wait_for(lambda: (self.health() or {}).get("zerobus", {}).get("connected")
                 and self.health()["mqtt"]["connected"], 30, "agent connected to MQTT and Zerobus",
                 self.agent.log_tail)
        say(f"  agent up: MQTT connected, Zerobus stream open   (health: {self.agent.http}/healthz)")
        say(f"  log: {self.agent.log_path}")

    def start_simulator(self, rate: float, duration: float) -> None:
        step(f"starting the sensor simulator: {rate:g} readings/s for {duration:g} s "
             f"on sensors/<device>/<metric> (QoS 1)")
        self.simulator = subprocess.Popen(
            [sys.executable, str(SIMULATOR), "--port", str(self.broker.port), "--rate", str(rate),
             "--duration", str(duration), "--quiet", "--client-id", "demo-sensors"],
            stdout=open(self.sim_out, "w"), stderr=subprocess.STDOUT)
        self.sim_started = time.monotonic()

    def simulator_result(self) -> int:
        """Readings the simulator published (and the broker acknowledged)."""
        code = self.simulator.wait(60)
        line = [l for l in self.sim_out.read_text().splitlines() if l.startswith("published=")]
        if code != 0 or not line:
            raise RuntimeError(f"sensor simulator failed ({code}):\n{self.sim_out.read_text()}")
        fields = dict(part.split("=") for part in line[-1].split())
        if fields["published"] != fields["acked"]:
            raise RuntimeError(f"broker did not acknowledge every reading: {line[-1]}")
        return int(fields["published"])

    def stop(self) -> None:
        for name, stopper in (("simulator", self._stop_simulator), ("agent", self._stop_agent),
                              ("emulator", lambda: self.emulator and self.emulator.running and self.emulator.stop()),
                              ("broker", lambda: self.broker and self.broker.stop())):
            try:
                stopper()
            except Exception as e:  # keep cleaning up
                say(f"  (stopping the {name}: {e})")
        if self.args.keep or self.failed:
            say(f"\nfiles kept in {self.work} (agent.log, emulator/, broker/, data/buffer.db)")
        else:
            shutil.rmtree(self.work, ignore_errors=True)

    def _stop_simulator(self):
        if self.simulator and self.simulator.poll() is None:
            self.simulator.terminate()
            self.simulator.wait(10)

    def _stop_agent(self):
        if self.agent and self.agent.running:
            self.agent.stop(timeout=20)

    # --- what we look at ------------------------------------------------------------------------

    def health(self) -> dict | None:
        return self.agent.health()

    def arrived(self) -> tuple[dict, set]:
        """(rows per table acked by the emulator, distinct record_ids of readings)."""
        per_table, ids = {}, set()
        for entry in self.emulator.records():
            per_table[entry["table"]] = per_table.get(entry["table"], 0) + 1
            if entry["table"] == READINGS:
                ids.add(entry["record"].get("record_id"))
        return per_table, ids

    def progress_line(self) -> str:
        health = self.health() or {}
        per_table, _ = self.arrived()
        buffer = health.get("buffer", {})
        return (f"  [{time.monotonic() - T0:5.1f}s] arrived: {READINGS} {per_table.get(READINGS, 0):>6} rows,"
                f" {HEALTH_TABLE} {per_table.get(HEALTH_TABLE, 0):>3}"
                f"  | agent: {health.get('mqtt', {}).get('messages_total', 0):>6} taken from MQTT,"
                f" {buffer.get('rows', 0):>5} in the ring")

    def status_line(self) -> str:
        """A one-line digest of `zerobus-edge status --json`."""
        result = self.agent.cli("status", "--json")
        if result.returncode != 0:
            return f"  status: {result.stderr.strip()}"
        doc = json.loads(result.stdout)
        zb, buffer = doc["zerobus"], doc["buffer"]
        link = "connected" if zb["connected"] else f"disconnected {zb.get('offline_for_s', 0)}s"
        return (f"  [{time.monotonic() - T0:5.1f}s] state={doc['state']:<8} zerobus={link:<16} backlog={buffer['rows']:>5} rows"
                f"  oldest={buffer.get('oldest_age_s', 0):>3}s  reconnects={zb.get('reconnects_total', 0)}")

    def show_samples(self, count: int = 4) -> None:
        rows = [e["record"] for e in self.emulator.records(READINGS)]
        if not rows:
            return
        step(f"a few rows of {READINGS} as the emulator decoded them (proto → JSON):")
        picks = rows[:: max(1, len(rows) // count)][:count]
        for row in picks:
            shown = dict(row)
            if isinstance(shown.get("event_time"), (int, str)) and str(shown["event_time"]).lstrip("-").isdigit():
                micros = int(shown["event_time"])
                shown["event_time"] = datetime.fromtimestamp(micros / 1e6, timezone.utc).isoformat(
                    timespec="milliseconds").replace("+00:00", "Z") + f"  ({micros} µs)"
            say("    " + "  ".join(f"{k}={v}" for k, v in shown.items()))
        health_rows = [e["record"] for e in self.emulator.records(HEALTH_TABLE)]
        if health_rows:
            say(f"  and the latest of {len(health_rows)} rows in {HEALTH_TABLE} (the agent's own health):")
            say("    " + json.dumps(health_rows[-1], separators=(", ", ": "))[:400])

    def show_health(self) -> None:
        step(f"the health document — `zerobus-edge status` (also GET {self.agent.http}/healthz):")
        result = self.agent.cli("status")
        say(indent(result.stdout or result.stderr))
        result = self.agent.cli("status", "--json")
        if result.returncode == 0:
            say("  `zerobus-edge status --json`:")
            say(indent(json.dumps(json.loads(result.stdout), indent=2)))

    def wait_for_drain(self, published: int, timeout: float, every: float) -> set:
        """Waits until every published reading arrived (distinct record_id) and the ring is empty."""
        deadline = time.monotonic() + timeout
        next_print = time.monotonic() + every
        while True:
            _, ids = self.arrived()
            buffered = (self.health() or {}).get("buffer", {}).get("rows", -1)
            if len(ids) >= published and buffered == 0:
                return ids
            if time.monotonic() >= deadline:
                say(f"  gave up waiting after {timeout:.0f}s: {len(ids)} of {published} arrived, {buffered} buffered")
                return ids
            if time.monotonic() >= next_print:
                say(self.status_line() + f"  arrived={len(ids)}/{published}")
                next_print += every
            time.sleep(0.2)

    def compare(self, published: int, ids: set) -> bool:
        per_table, _ = self.arrived()
        total = per_table.get(READINGS, 0)
        health = self.health() or {}
        step("published vs. arrived:")
        say(f"  sensors published (broker PUBACKed):     {published}")
        say(f"  agent took from MQTT:                    {health.get('mqtt', {}).get('messages_total', '?')}")
        say(f"  arrived in {READINGS}, distinct record_id: {len(ids)}"
            f"   ({total} rows, {total - len(ids)} duplicate resends)")
        say(f"  dropped {health.get('buffer', {}).get('dropped_total', '?')}, "
            f"quarantined {health.get('buffer', {}).get('quarantined_total', '?')}")
        equal = len(ids) == published
        say("  EQUAL — nothing lost" if equal else f"  NOT EQUAL — {published - len(ids)} readings missing")
        return equal

    # --- the two scenarios ----------------------------------------------------------------------

    def run_normal(self) -> bool:
        args = self.args
        self.start_simulator(args.rate, args.duration)
        step("rows arriving (acked rows per table from the emulator; the agent's figures are from its\n"
             "        health file, refreshed every 2 s):")
        while self.simulator.poll() is None:
            time.sleep(min(5, max(0.5, args.duration / 6)))
            say(self.progress_line())
        published = self.simulator_result()
        say(f"  simulator done: {published} readings published")
        ids = self.wait_for_drain(published, 60, 5)
        say(self.progress_line())
        self.show_samples()
        self.show_health()
        return self.compare(published, ids)

    def run_outage(self) -> bool:
        args = self.args
        warmup, outage, after = args.warmup, args.outage, 10.0
        self.start_simulator(args.rate, warmup + outage + after)
        step(f"warm-up: {warmup:g} s with the cloud reachable")
        while time.monotonic() - self.sim_started < warmup:
            time.sleep(min(5, warmup / 2))
            say(self.progress_line())

        step(f"OUTAGE: stopping the Zerobus emulator for {outage:g} s — the sensors keep publishing")
        down_at = time.monotonic()
        self.emulator.stop()
        say(f"  emulator stopped ({time.monotonic() - down_at:.1f}s to shut down)")
        say("  `zerobus-edge status` every few seconds (the backlog is kept in the SQLite ring):")
        every = 10 if outage >= 40 else 5
        while time.monotonic() - down_at < outage:
            time.sleep(min(every, max(0.1, outage - (time.monotonic() - down_at))))
            say(self.status_line())
        if outage >= 60:  # `offline` starts after a minute unreachable; let the next health report show it
            try:
                wait_for(lambda: (self.health() or {}).get("state") == "offline", 8, "state offline")
            except AssertionError:
                pass
        step("status at the end of the outage:")
        say(indent(self.agent.cli("status").stdout))

        step(f"the emulator returns on the same port (https://localhost:{self.emulator.port}, same CA, same --out file)")
        self.emulator.start()
        up_at = time.monotonic()
        say("  draining:")
        wait_for(lambda: (self.health() or {}).get("zerobus", {}).get("connected"), 60, "agent reconnected",
                 self.agent.log_tail, interval=0.1)
        say(f"  agent reconnected {time.monotonic() - up_at:.1f}s after the emulator came back")
        published = None
        while published is None:
            if self.simulator.poll() is not None:
                published = self.simulator_result()
                break
            time.sleep(2)
            say(self.status_line())
        say(f"  simulator done: {published} readings published")
        ids = self.wait_for_drain(published, 120, 2)
        say(self.status_line())
        self.show_samples(3)
        self.show_health()
        return self.compare(published, ids)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outage", type=float, nargs="?", const=60.0, default=None, metavar="SECONDS",
                        help="demonstrate an outage: stop the emulator for SECONDS (default 60)")
    parser.add_argument("--rate", type=float, default=200.0, help="sensor readings per second (default 200)")
    parser.add_argument("--duration", type=float, default=25.0,
                        help="seconds the sensors publish in the normal demo (default 25)")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds before the outage starts (default 10)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, ring, acked rows)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    demo = Demo(args)
    ok = False
    interrupted = False
    try:
        demo.start()
        ok = demo.run_outage() if args.outage is not None else demo.run_normal()
        if not ok:
            demo.failed = True
    except KeyboardInterrupt:
        say("\ninterrupted — cleaning up")
        demo.failed = False
        interrupted = True
    except Exception as e:
        demo.failed = True
        say(f"\ndemo failed: {e}")
        if demo.agent:
            say("--- agent log (tail) ---\n" + demo.agent.log_tail(30))
    finally:
        step("stopping simulator, agent, emulator and mosquitto")
        demo.stop()
    return 130 if interrupted else (0 if ok else 1)


if __name__ == "__main__":
    sys.exit(main())
