"""Runs the built zerobus-edge binary (ZEROBUS_EDGE_BIN, default .build/debug/zerobus-edge)."""

import os
import subprocess
from pathlib import Path

from emulator_process import clean_env

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("ZEROBUS_EDGE_BIN", ROOT / ".build" / "debug" / "zerobus-edge"))


def run(*args: str, env: dict | None = None, unset: tuple = (), timeout: float = 60) -> subprocess.CompletedProcess:
    """Runs the binary without proxies, with `env` added and the `unset` variables removed."""
    assert BINARY.exists(), f"{BINARY} not found: run `swift build` or set ZEROBUS_EDGE_BIN"
    environment = clean_env(**(env or {}))
    for name in unset:
        environment.pop(name, None)
    return subprocess.run([str(BINARY), *args], capture_output=True, text=True, timeout=timeout, env=environment)
