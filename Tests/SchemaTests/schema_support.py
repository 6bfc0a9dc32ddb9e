"""Helpers of Tests/SchemaTests: the built binary (ZEROBUS_EDGE_BIN, default .build/debug/zerobus-edge)
and the emulator's credentials and tables. A uniquely named module, so `conftest` of another test
folder in the same pytest run cannot shadow it."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests" / "Emulator"))

from emulator_process import clean_env  # noqa: E402

CLIENT_ID = "schema-pull-sp"
CLIENT_SECRET = "s3cret-never-printed"
STATIC_TOKEN = "static-token-never-printed"

# string/bigint/double/timestamp/array/map/struct, NOT NULL, and an alias UC reports as is.
READINGS = ("main.iot.readings=device_id:string NOT NULL,seq:bigint,value:double,"
            "event_time:timestamp NOT NULL,tags:array<string>,attrs:map<string,double>,"
            "location:struct<lat:double,lon:double,alt_m:float>,local_time:timestamp_ntz")
UNSUPPORTED = "main.iot.ledger=id:bigint,amount:decimal(18,2),note:string,span:interval day to second"

BINARY = Path(os.environ.get("ZEROBUS_EDGE_BIN", ROOT / ".build" / "debug" / "zerobus-edge"))


def run(*args: str, env: dict | None = None, unset: tuple = (), timeout: float = 60) -> subprocess.CompletedProcess:
    """Runs the binary without proxies, with `env` added and the `unset` variables removed."""
    assert BINARY.exists(), f"{BINARY} not found: run `swift build` or set ZEROBUS_EDGE_BIN"
    environment = clean_env(**(env or {}))
    for name in unset:
        environment.pop(name, None)
    return subprocess.run([str(BINARY), *args], capture_output=True, text=True, timeout=timeout, env=environment)
