"""examples/swift-client: a standalone SwiftPM package using ZerobusClient on its own builds and
writes its rows to the emulator with OAuth. Building it compiles the client libraries a second
time (its own .build); set ZEROBUS_SKIP_SWIFT_CLIENT_EXAMPLE=1 to skip."""

import os
import subprocess

import pytest

from schema_support import ROOT
from emulator_process import EmulatorProcess, clean_env

PACKAGE = ROOT / "examples" / "swift-client"
pytestmark = pytest.mark.skipif(os.environ.get("ZEROBUS_SKIP_SWIFT_CLIENT_EXAMPLE") == "1",
                                reason="ZEROBUS_SKIP_SWIFT_CLIENT_EXAMPLE=1")


@pytest.fixture(scope="module")
def writer(tmp_path_factory):
    log = tmp_path_factory.mktemp("swift-client") / "build.log"
    with open(log, "w") as out:
        built = subprocess.run(["swift", "build", "--package-path", str(PACKAGE)], stdout=out,
                               stderr=subprocess.STDOUT, timeout=1500, env=clean_env())
    assert built.returncode == 0, log.read_text()[-4000:]
    return PACKAGE / ".build" / "debug" / "ReadingsWriter"


def test_writes_rows_with_oauth(writer, tmp_path):
    emulator = EmulatorProcess(["--require-auth", "--client-id", "writer", "--client-secret", "writer-secret",
                                "--out", str(tmp_path / "acked.jsonl")], tmp_path / "emulator.log").start()
    try:
        result = subprocess.run(
            [str(writer), "main.iot.readings"], capture_output=True, text=True, timeout=60,
            env=clean_env(ZEROBUS_ENDPOINT=emulator.endpoints["grpc"], DATABRICKS_WORKSPACE_URL=emulator.http,
                          DATABRICKS_CLIENT_ID="writer", DATABRICKS_CLIENT_SECRET="writer-secret"))
        assert result.returncode == 0, result.stdout + result.stderr + emulator.log_tail()
        assert result.stdout.strip() == "wrote 10 rows to main.iot.readings"
        status, records = emulator.request("GET", "/_emulator/records?table=main.iot.readings")
        assert status == 200
        rows = [r["record"] for r in records]
        assert len(rows) == 10
        assert rows[0]["device_id"] == "sensor-0" and rows[0]["value"] == 20.0
        assert {row["device_id"] for row in rows} == {"sensor-0", "sensor-1", "sensor-2"}
        # The stream's token was scoped to the table (the emulator records which tables it covered).
        assert emulator.stats()["minted_tables"] == {"main.iot.readings": 1}
    finally:
        assert emulator.stop() == 0


def test_explains_missing_settings(writer):
    result = subprocess.run([str(writer)], capture_output=True, text=True, timeout=30,
                            env={"PATH": os.environ.get("PATH", "")})
    assert result.returncode == 2
    assert "ZEROBUS_ENDPOINT" in result.stdout
