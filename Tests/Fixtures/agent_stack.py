"""A real zerobus-edge stack for tests, demos and benchmarks: mosquitto + emulator + agent binary.

    from agent_stack import Broker, Emulator, Agent, Publisher, TableSpec, write_config, wait_for

    broker = Broker(work / "broker").start()
    emulator = Emulator(work / "emulator").start()
    config = write_config(work / "agent.toml", data_dir=work / "data", broker=broker, emulator=emulator,
                          tables=[TableSpec("main.iot.readings", ["sensors/+/+"])])
    agent = Agent(config, work / "agent.log").start()
    ids = Publisher(broker).publish(1000, rate=500, topic=lambda i: f"sensors/d{i % 3}/temp")
    wait_for(lambda: len(emulator.reading_ids()) >= 1000, 30, "all readings acked", agent.log_tail)

Every process gets its own files in a work directory; ports are free loopback ports chosen once, so
broker and emulator restart on the same port. Nothing here sleeps to synchronise: `wait_for` polls
a condition until a deadline and names what it waited for (plus a log tail) when it fails.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Tests" / "Emulator"))
from emulator_process import EmulatorProcess, clean_env  # noqa: E402

MOSQUITTO = os.environ.get("MOSQUITTO_BIN", "/usr/sbin/mosquitto")


def agent_binary() -> Path:
    """ZEROBUS_EDGE_BIN or .build/debug/zerobus-edge; raises with a hint when it is missing."""
    path = Path(os.environ.get("ZEROBUS_EDGE_BIN", REPO / ".build" / "debug" / "zerobus-edge"))
    if not path.is_file() or not os.access(path, os.X_OK):
        raise FileNotFoundError(f"agent binary {path} is missing: run `swift build` or set ZEROBUS_EDGE_BIN")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout: float, what: str, diagnostics=None, interval: float = 0.05):
    """Polls `condition()` until it returns something truthy (returned) or `timeout` s pass (AssertionError)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            extra = f"\n--- diagnostics ---\n{diagnostics()}" if diagnostics else ""
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for: {what}{extra}")
        time.sleep(interval)


def _tail(path: Path, lines: int) -> str:
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Broker:
    """mosquitto on a fixed free loopback port. Queues are unlimited so that the broker, not its
    defaults (max_queued_messages 1000), decides nothing about loss while the agent is down."""

    def __init__(self, work: Path, port: int | None = None, persistence: bool = False):
        self.work = Path(work)
        self.work.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.persistence = persistence
        self.log_path = self.work / "mosquitto.log"
        self.process = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10) -> "Broker":
        config = self.work / "mosquitto.conf"
        lines = [f"listener {self.port} 127.0.0.1", "allow_anonymous true", "max_queued_messages 0",
                 "max_queued_bytes 0", "max_inflight_messages 0", f"log_dest file {self.log_path}",
                 "log_type error", "log_type warning", "log_type notice"]
        if os.geteuid() == 0:
            lines.append("user root")  # else mosquitto drops to `mosquitto`, which cannot write here
        if self.persistence:
            lines += ["persistence true", f"persistence_location {self.work}/", "autosave_interval 1"]
        config.write_text("\n".join(lines) + "\n")
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(config)], stdout=subprocess.DEVNULL,
                                        stderr=open(self.work / "mosquitto.stderr", "ab"))
        wait_for(lambda: self.process.poll() is not None or _port_open(self.port), timeout,
                 f"mosquitto listening on {self.port}", lambda: _tail(self.log_path, 20))
        assert self.process.poll() is None, _tail(self.work / "mosquitto.stderr", 20)
        return self

    def stop(self, timeout: float = 10) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout)

    def restart(self) -> "Broker":
        self.stop()
        return self.start()


class Emulator:
    """The Zerobus emulator on fixed ports with one --out file, so a restart looks like the same cloud."""

    def __init__(self, work: Path, extra_args: list[str] | None = None):
        self.work = Path(work)
        self.work.mkdir(parents=True, exist_ok=True)
        self.port, self.http_port = free_port(), free_port()
        self.out = self.work / "acked.jsonl"
        self.extra_args = extra_args or []
        self.process: EmulatorProcess | None = None
        self.starts = 0

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Emulator":
        self.starts += 1
        args = ["--port", str(self.port), "--http-port", str(self.http_port), "--out", str(self.out),
                "--log-level", "WARNING", *self.extra_args]
        self.process = EmulatorProcess(args, self.work / f"emulator-{self.starts}.log").start()
        return self

    def stop(self) -> int | None:
        code = self.process.stop() if self.process else None
        self.process = None
        return code

    @property
    def running(self) -> bool:
        return self.process is not None

    def set_faults(self, **faults) -> dict:
        return self.process.set_faults(**faults)

    def stats(self) -> dict:
        return self.process.stats()

    def records(self, table: str | None = None) -> list[dict]:
        """Every acked record so far (also while the emulator is stopped): dicts with table, offset, record."""
        if not self.out.exists():
            return []
        result = []
        with open(self.out, "rb") as f:
            for line in f:
                if line.endswith(b"\n"):  # a line being written is read next time
                    entry = json.loads(line)
                    if table is None or entry["table"] == table:
                        result.append(entry)
        return result

    def log_tail(self) -> str:
        return _tail(self.work / f"emulator-{self.starts}.log", 30)


@dataclass
class TableSpec:
    """One [[table]]; `columns` are TOML inline tables (default: the reading columns below)."""
    name: str
    topics: list[str]
    columns: list[str] | None = None
    options: dict = field(default_factory=dict)


READING_COLUMNS = [
    '{ name = "device_id", type = "string", from = "topic[1]" }',
    '{ name = "metric", type = "string", from = "topic[2]" }',
    '{ name = "reading_id", type = "string", from = "$.id" }',
    '{ name = "value", type = "double", from = "$.value" }',
    '{ name = "seq", type = "bigint", from = "$.seq" }',
    '{ name = "event_time", type = "timestamp", from = "$.ts", default = "received_at" }',
    '{ name = "gateway_id", type = "string", from = "gateway_id" }',
    '{ name = "record_id", type = "string", from = "record_id" }',
]


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(str(value))


def write_config(path: Path, *, data_dir: Path, broker: Broker, emulator: Emulator, tables: list[TableSpec],
                 gateway_id: str = "gw-test", health_port: int | None = None, sections: dict | None = None) -> Path:
    """Writes agent.toml (SPEC §3). `sections` overrides/extends keys, e.g. {"buffer": {"max_bytes": "2MiB"}}."""
    path, data_dir = Path(path), Path(data_dir)
    base = {
        "agent": {"gateway_id": gateway_id, "data_dir": str(data_dir), "log_level": "info"},
        "mqtt": {"url": broker.url, "client_id": f"zerobus-edge-{gateway_id}", "clean_session": False, "qos": 1},
        "zerobus": {"endpoint": emulator.endpoint, "token": "test-token"},
        "retry": {"initial_backoff_ms": 200, "max_backoff_ms": 2000},
        "health": {"interval_s": 1, "file": str(data_dir.parent / f"{path.stem}-health.json"),
                   "http_listen": f"127.0.0.1:{health_port or free_port()}"},
    }
    for section, keys in (sections or {}).items():
        base.setdefault(section, {}).update(keys)
    lines = []
    for section, keys in base.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {_toml(value)}" for key, value in keys.items() if value is not None]
        lines.append("")
    for table in tables:
        lines += ["[[table]]", f"name = {_toml(table.name)}", f"topics = {_toml(table.topics)}"]
        lines += [f"{key} = {_toml(value)}" for key, value in table.options.items()]
        lines += ["columns = ["] + [f"  {c}," for c in (table.columns or READING_COLUMNS)] + ["]", ""]
    path.write_text("\n".join(lines))
    return path


class Agent:
    """`zerobus-edge run --config ...` as a child; stderr (its log) appended to `log_path`."""

    def __init__(self, config: Path, log_path: Path, env: dict | None = None):
        self.config = Path(config)
        self.log_path = Path(log_path)
        self.env = clean_env(**(env or {}))
        self.process = None
        self.binary = agent_binary()
        text = self.config.read_text()
        self.health_file = Path(_toml_value(text, "file"))
        self.http = "http://" + _toml_value(text, "http_listen")

    def start(self, ready_timeout: float = 30, wait_subscribed: bool = True) -> "Agent":
        """Starts the agent and returns once its health HTTP server answers and (with
        `wait_subscribed`) its MQTT subscription is acknowledged: a reading published before
        that has no subscriber at the broker on a first start."""
        marker = f"=== start {time.strftime('%H:%M:%S')} {time.monotonic_ns()} ==="
        with open(self.log_path, "ab") as log:
            log.write(f"{marker}\n".encode())
            self.process = subprocess.Popen([str(self.binary), "run", "--config", str(self.config)],
                                            stdout=log, stderr=log, env=self.env)
        wait_for(lambda: self.process.poll() is not None or self.http_get("/healthz")[0] == 200, ready_timeout,
                 "agent health endpoint up", self.log_tail)
        assert self.process.poll() is None, f"agent exited with {self.process.returncode}\n{self.log_tail()}"
        if wait_subscribed:
            wait_for(lambda: "MQTT subscribed" in self.log_path.read_text(errors="replace").rpartition(marker)[2],
                     ready_timeout, "agent subscribed at the broker", self.log_tail)
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout: float = 30) -> int:
        """Signals the agent and returns its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout)

    def kill9(self) -> int:
        return self.stop(signal.SIGKILL)

    def log_tail(self, lines: int = 60) -> str:
        return _tail(self.log_path, lines)

    def cli(self, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
        """Runs `zerobus-edge <args> --config <config>` and returns the completed process (text)."""
        return subprocess.run([str(self.binary), *args, "--config", str(self.config)], capture_output=True,
                              text=True, env=self.env, timeout=timeout)

    def status(self) -> dict:
        """`zerobus-edge status --json`, parsed."""
        result = self.cli("status", "--json")
        assert result.returncode == 0, f"status failed ({result.returncode}): {result.stderr}"
        return json.loads(result.stdout)

    def health(self) -> dict | None:
        """The health file, or None while it does not exist or is being replaced."""
        try:
            return json.loads(self.health_file.read_text())
        except (OSError, ValueError):
            return None

    def quarantine(self) -> list[dict]:
        result = self.cli("quarantine", "list", "--json")
        assert result.returncode == 0, f"quarantine list failed ({result.returncode}): {result.stderr}"
        return json.loads(result.stdout)

    def http_get(self, path: str) -> tuple[int, str]:
        """(status, body) of GET on the health listener; (0, error) when it does not answer."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(self.http + path, timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()
        except OSError as e:
            return 0, str(e)


def _toml_value(text: str, key: str) -> str:
    """The first `key = "value"` string in the generated config (good enough for files we wrote)."""
    for line in text.splitlines():
        name, _, value = line.partition("=")
        if name.strip() == key:
            return json.loads(value.strip())
    raise KeyError(key)


class Publisher:
    """paho-mqtt, QoS 1. Payloads: {"id": "<prefix>-<i>", "seq": i, "value": i * 0.5, "ts": <epoch ms>}."""

    def __init__(self, broker: Broker, client_id: str | None = None):
        import paho.mqtt.client as mqtt
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id or f"pub-{os.getpid()}-{time.time_ns()}")
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.client.connect("127.0.0.1", broker.port, keepalive=30)
        self.client.loop_start()

    def publish(self, count: int, rate: float | None = None, topic=lambda i: "sensors/dev0/temp",
                prefix: str = "r", start: int = 0, wait_acks: bool = True, timeout: float = 120) -> list[str]:
        """Publishes `count` readings, paced to `rate` per second (None = as fast as possible), and
        returns their ids. With `wait_acks`, returns only after the broker PUBACKed every one (else
        only all but the last MAX_PENDING are known to be acked)."""
        ids, pending = [], deque()
        began = time.monotonic()
        deadline = began + timeout
        for n in range(count):
            i = start + n
            if rate and n % max(1, int(rate / 100)) == 0:  # pace in ~10 ms steps
                ahead = began + n / rate - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
            while len(pending) >= self.MAX_PENDING:  # packet ids are 16 bits: bound what is unacked
                self._await(pending.popleft(), deadline)
            reading_id = f"{prefix}-{i}"
            payload = json.dumps({"id": reading_id, "seq": i, "value": i * 0.5, "ts": int(time.time() * 1000)})
            pending.append(self.client.publish(topic(i), payload, qos=1))
            ids.append(reading_id)
        if wait_acks:
            for info in pending:
                self._await(info, deadline)
        return ids

    MAX_PENDING = 20_000

    @staticmethod
    def _await(info, deadline: float) -> None:
        info.wait_for_publish(max(0.1, deadline - time.monotonic()))
        assert info.is_published(), "broker did not PUBACK every reading in time"

    def publish_raw(self, topic: str, payload: bytes, timeout: float = 30) -> None:
        info = self.client.publish(topic, payload, qos=1)
        info.wait_for_publish(timeout)
        assert info.is_published()

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
