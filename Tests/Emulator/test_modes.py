"""Emulator modes beyond the shared instance: Delta output, --no-decode, TLS-only, and RPC endings
the SDK does not produce on its own (the close-signal deadline)."""

import json
import threading

import grpc
import pytest

from conformance_support import create, json_record, pb, run_sdk
from emulator_process import EmulatorProcess

JSON_TABLE_SPEC = ("main.delta.json_rows=id:bigint NOT NULL,name:string,tags:array<string>,"
                   "nested:struct<a:int,b:boolean>,score:double")


@pytest.fixture
def start_emulator(tmp_path):
    started = []

    def start(*args):
        process = EmulatorProcess(list(args), tmp_path / f"emulator{len(started)}.log").start()
        started.append(process)
        return process

    yield start
    for process in started:
        assert process.stop() == 0, process.log_tail()


def open_call(emulator, requests_before_block):
    """Starts an RPC whose request stream stays open until the returned event is set."""
    pb2 = pb()
    release = threading.Event()

    def requests():
        yield from requests_before_block
        release.wait()

    channel = grpc.insecure_channel(emulator.endpoints["grpc"].removeprefix("http://"),
                                    options=[("grpc.enable_http_proxy", 0)])
    call = channel.stream_stream("/databricks.zerobus.Zerobus/EphemeralStream",
                                 request_serializer=pb2.EphemeralStreamRequest.SerializeToString,
                                 response_deserializer=pb2.EphemeralStreamResponse.FromString)
    return channel, call(requests(), timeout=20), release


def test_delta_tables_receive_acked_json_and_proto_records(start_emulator, tmp_path, proto_dir):
    from deltalake import DeltaTable

    delta_dir = tmp_path / "delta"
    emulator = start_emulator("--delta-dir", str(delta_dir), "--uc-table", JSON_TABLE_SPEC)
    json_result = run_sdk(emulator, "main.delta.json_rows")
    proto_result = run_sdk(emulator, "main.delta.proto_rows", fmt="proto", proto_dir=proto_dir)
    assert json_result["error"] is None and proto_result["error"] is None
    assert emulator.stop() == 0  # SIGTERM flushes the pending Delta appends

    json_rows = DeltaTable(str(delta_dir / "main.delta.json_rows")).to_pyarrow_table().to_pylist()
    assert sorted(json_rows, key=lambda r: r["id"]) == json_result["sent"]
    proto_rows = sorted(DeltaTable(str(delta_dir / "main.delta.proto_rows")).to_pyarrow_table().to_pylist(),
                        key=lambda r: r["id"])
    assert len(proto_rows) == len(proto_result["sent"])
    for row, sent in zip(proto_rows, proto_result["sent"]):
        assert row["id"] == int(sent["id"])  # int64 stays an integer in Delta
        assert row["inner"] == sent["inner"] and row["values"] == sent["values"] and row["kind"] == sent["kind"]
        assert dict(row["attrs"]) == {k: int(v) for k, v in sent["attrs"].items()}


def test_no_decode_counts_but_stores_nothing(start_emulator, tmp_path):
    out = tmp_path / "never.jsonl"
    emulator = start_emulator("--no-decode", "--out", str(out))
    result = run_sdk(emulator, "main.bench.rows", calls=[1, 50, 1, 49])
    assert result["error"] is None
    stats = emulator.stats()
    assert stats["records_acked"] == 101 and stats["requests_acked"] == 4
    assert not out.exists()


def test_tls_only_listener(start_emulator, tmp_path):
    emulator = start_emulator("--tls", "--cert-dir", str(tmp_path / "certs"), "--out", str(tmp_path / "o.jsonl"))
    assert "grpc" not in emulator.endpoints and emulator.endpoints["tls"].startswith("https://localhost:")
    result = run_sdk(emulator, "main.tls.only", tls=True)
    assert result["error"] is None
    rows = [json.loads(line)["record"] for line in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert rows == result["sent"]


def test_close_signal_deadline_ends_the_rpc_with_the_configured_status(start_emulator):
    emulator = start_emulator("--fault", "close_signal_after_records=1", "--fault", "close_signal_duration_ms=300")
    channel, responses, release = open_call(emulator, [create("main.sig.deadline"), json_record(0, "{}")])
    received = []
    with pytest.raises(grpc.RpcError) as failure:
        for response in responses:
            received.append(response)
    release.set()
    channel.close()
    assert failure.value.code() == grpc.StatusCode.UNAVAILABLE
    assert [r.WhichOneof("payload") for r in received] == [
        "create_stream_response", "ingest_record_response", "close_stream_signal"]
    assert received[2].close_stream_signal.duration.ToMilliseconds() == 300

