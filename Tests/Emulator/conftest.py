"""Fixtures for the emulator tests: one emulator per test module, a compiled test proto."""

from pathlib import Path

import pytest

from conformance_support import CLIENT_ID, CLIENT_SECRET, TOKEN, UC_TABLE_SPEC
from emulator_process import HERE, EmulatorProcess


@pytest.fixture(scope="module")
def proto_dir(tmp_path_factory) -> Path:
    """Directory holding row_pb2.py compiled from testdata/row.proto."""
    from grpc_tools import protoc
    out = tmp_path_factory.mktemp("row_proto")
    assert protoc.main(["protoc", f"-I{HERE / 'testdata'}", f"--python_out={out}", "row.proto"]) == 0
    return out


@pytest.fixture(scope="module")
def shared_emulator(tmp_path_factory):
    """h2c + TLS, auth required (static token or OAuth), --out JSONL, one UC table."""
    work = tmp_path_factory.mktemp("emulator")
    process = EmulatorProcess([
        "--tls-port", "0", "--cert-dir", str(work / "certs"), "--out", str(work / "acked.jsonl"),
        "--require-auth", "--token", TOKEN, "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET,
        "--uc-table", UC_TABLE_SPEC,
    ], work / "emulator.log").start()
    yield process
    assert process.stop() == 0, process.log_tail()


@pytest.fixture
def emulator(shared_emulator):
    """The module's emulator; faults a test set are cleared afterwards."""
    yield shared_emulator
    status, _ = shared_emulator.request("POST", "/_emulator/faults",
                                        {key: None for key in shared_emulator.stats()["faults"]})
    assert status == 200
