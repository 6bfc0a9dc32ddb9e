"""Fixtures for `zerobus-edge schema pull` against the emulator's Unity Catalog stub."""

import pytest

from schema_support import CLIENT_ID, CLIENT_SECRET, READINGS, STATIC_TOKEN, UNSUPPORTED
from emulator_process import EmulatorProcess


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    work = tmp_path_factory.mktemp("uc-emulator")
    process = EmulatorProcess([
        "--require-auth", "--token", STATIC_TOKEN, "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET,
        "--uc-table", READINGS, "--uc-table", UNSUPPORTED,
    ], work / "emulator.log").start()
    yield process
    assert process.stop() == 0, process.log_tail()
