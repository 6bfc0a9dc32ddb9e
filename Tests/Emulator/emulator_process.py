"""Test helper: run the emulator as a child process and talk to its control API.

`EmulatorProcess.start()` returns once the emulator printed its ready line (it reads stdout with a
deadline; there is no sleep). The emulator's stderr goes to a log file whose tail is attached to
failures.
"""

import json
import os
import selectors
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
EMULATOR = HERE / "zerobus_emulator.py"
PROXY_VARIABLES = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
                   "grpc_proxy", "GRPC_PROXY")


def clean_env(**extra) -> dict:
    """The environment for children: no proxies (even 127.0.0.1 would be tunnelled), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES}
    env["NO_PROXY"] = env["no_proxy"] = env["no_grpc_proxy"] = "127.0.0.1,localhost"
    env.update({k: str(v) for k, v in extra.items()})
    return env


class EmulatorProcess:
    def __init__(self, args: list[str], log_path: Path, python: str = sys.executable):
        self.args = args
        self.log_path = Path(log_path)
        self.python = python
        self.process = None
        self.endpoints: dict[str, str] = {}

    def start(self, timeout: float = 30.0) -> "EmulatorProcess":
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen([self.python, str(EMULATOR), *self.args], stdout=subprocess.PIPE,
                                        stderr=self._log, env=clean_env())
        line = self._read_line(timeout)
        if not line.startswith("ZEROBUS_EMULATOR "):
            self.stop()
            raise RuntimeError(f"emulator did not become ready: {line!r}\n{self.log_tail()}")
        self.endpoints = dict(part.split("=", 1) for part in line.split()[1:])
        return self

    def _read_line(self, timeout: float) -> str:
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        buffer = b""
        while b"\n" not in buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                return buffer.decode(errors="replace")
            chunk = os.read(self.process.stdout.fileno(), 4096)
            if not chunk:
                break
            buffer += chunk
        return buffer.decode(errors="replace").strip()

    def stop(self) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()
        self._log.close()
        return self.process.returncode

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    # --- control API ---------------------------------------------------------------------------

    @property
    def http(self) -> str:
        return self.endpoints["http"]

    def request(self, method: str, path: str, body=None, headers=None):
        """(status, parsed JSON body) for any HTTP request to the emulator."""
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        req = urllib.request.Request(self.http + path, data=data, method=method, headers=headers or {})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(req, timeout=10) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def stats(self) -> dict:
        return self.request("GET", "/_emulator/stats")[1]

    def set_faults(self, **faults) -> dict:
        status, body = self.request("POST", "/_emulator/faults", faults)
        assert status == 200, body
        return body
