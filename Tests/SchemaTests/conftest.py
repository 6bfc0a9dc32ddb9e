"""Fixtures for `zerobus-edge schema pull` against the emulator's Unity Catalog stub."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests" / "Emulator"))

from emulator_process import EmulatorProcess  # noqa: E402

CLIENT_ID = "schema-pull-sp"
CLIENT_SECRET = "s3cret-never-printed"
STATIC_TOKEN = "static-token-never-printed"

# string/bigint/double/timestamp/array/map/struct, NOT NULL, and an alias UC reports as is.
READINGS = ("main.iot.readings=device_id:string NOT NULL,seq:bigint,value:double,"
            "event_time:timestamp NOT NULL,tags:array<string>,attrs:map<string,double>,"
            "location:struct<lat:double,lon:double,alt_m:float>,local_time:timestamp_ntz")
UNSUPPORTED = "main.iot.ledger=id:bigint,amount:decimal(18,2),note:string,span:interval day to second"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    work = tmp_path_factory.mktemp("uc-emulator")
    process = EmulatorProcess([
        "--require-auth", "--token", STATIC_TOKEN, "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET,
        "--uc-table", READINGS, "--uc-table", UNSUPPORTED,
    ], work / "emulator.log").start()
    yield process
    assert process.stop() == 0, process.log_tail()
