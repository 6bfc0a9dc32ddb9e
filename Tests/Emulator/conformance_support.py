"""Helpers shared by the emulator test modules: run an SDK scenario, make raw gRPC calls, mint tokens."""

import base64
import json
import subprocess
import sys
import urllib.parse

import grpc
from google.protobuf import descriptor_pb2

from emulator_process import HERE, clean_env

TOKEN = "static-test-token"
CLIENT_ID, CLIENT_SECRET = "conformance-client", "conformance-secret"
UC_TABLE = "main.conf.uc_json"
UC_TABLE_SPEC = f"{UC_TABLE}=id:bigint NOT NULL,name:string,tags:array<string>,nested:struct<a:int,b:boolean>"
FAST = {"recovery_backoff_ms": 200, "recovery_timeout_ms": 3000, "server_lack_of_ack_timeout_ms": 2000,
        "flush_timeout_ms": 30000}
MIXED_CALLS = [1, 1, 5, 1, 10, 2, 1, 3]  # singles and batches: 24 records in 8 requests

def run_sdk(emulator, table, fmt="json", calls=MIXED_CALLS, tls=False, auth=None, options=None,
            proto_dir=None, streams=1) -> dict:
    spec = {"host": emulator.endpoints["tls" if tls else "grpc"], "table": table, "format": fmt,
            "calls": calls, "streams": streams, "auth": auth or {"headers": TOKEN},
            "uc_url": emulator.http, "options": options or {}, "proto_dir": str(proto_dir or "")}
    env = clean_env(RUST_LOG="warn")
    if tls:
        env["SSL_CERT_FILE"] = emulator.endpoints["ca"]
    done = subprocess.run([sys.executable, str(HERE / "sdk_scenario.py"), json.dumps(spec)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, f"{done.stderr[-3000:]}\n--- emulator ---\n{emulator.log_tail()}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def acked(emulator, table) -> list[dict]:
    status, rows = emulator.request("GET", "/_emulator/records?" + urllib.parse.urlencode({"table": table}))
    assert status == 200
    return rows


def _describe_mismatch(emulator, rows, sent) -> str:
    keys = [json.dumps(r["record"], sort_keys=True) for r in rows]
    missing = [r for r in sent if json.dumps(r, sort_keys=True) not in keys]
    duplicated = sorted({k for k in keys if keys.count(k) > 1})
    return (f"sent {len(sent)}, received {len(rows)}, missing {missing[:3]}, duplicated {duplicated[:3]}, "
            f"rows {[(r['stream_id'][:8], r['offset']) for r in rows]}\n--- emulator log ---\n{emulator.log_tail()}")


def assert_every_record_arrived_once(emulator, table, result):
    """Every sent record was acked, decoded equal, in order, exactly once."""
    assert result["error"] is None, result["error"]
    rows = acked(emulator, table)
    assert [row["record"] for row in rows] == result["sent"], _describe_mismatch(emulator, rows, result["sent"])
    assert emulator.stats()["per_table"][table]["records"] == len(result["sent"])
    return rows


def assert_every_record_arrived_at_least_once(emulator, table, result):
    """At-least-once (ZEROBUS_PROTOCOL.md §4): every sent record arrived decoded equal, in order of
    first arrival; a repeat is allowed only as a resend on a later stream than its first copy."""
    assert result["error"] is None, result["error"]
    rows = acked(emulator, table)
    first_stream, streams_in_order, firsts = {}, [], []
    for row in rows:
        if row["stream_id"] not in streams_in_order:
            streams_in_order.append(row["stream_id"])
        key = json.dumps(row["record"], sort_keys=True)
        if key in first_stream:
            earlier = streams_in_order.index(first_stream[key])
            assert streams_in_order.index(row["stream_id"]) > earlier, _describe_mismatch(emulator, rows, result["sent"])
        else:
            first_stream[key] = row["stream_id"]
            firsts.append(row["record"])
    assert firsts == result["sent"], _describe_mismatch(emulator, rows, result["sent"])
    return rows


def raw_call(emulator, requests, metadata=None):
    """(responses, status code, details) of one EphemeralStream RPC made with plain grpcio."""
    import stubs
    pb2 = stubs.load()
    target = emulator.endpoints["grpc"].removeprefix("http://")
    metadata = metadata if metadata is not None else [("authorization", f"Bearer {TOKEN}")]
    with grpc.insecure_channel(target, options=[("grpc.enable_http_proxy", 0)]) as channel:
        call = channel.stream_stream("/databricks.zerobus.Zerobus/EphemeralStream",
                                     request_serializer=pb2.EphemeralStreamRequest.SerializeToString,
                                     response_deserializer=pb2.EphemeralStreamResponse.FromString)
        responses = []
        try:
            for response in call(iter(requests), metadata=metadata, timeout=20):
                responses.append(response)
            return responses, grpc.StatusCode.OK, ""
        except grpc.RpcError as e:
            return responses, e.code(), e.details()


def pb():
    import stubs
    return stubs.load()


def create(table, record_type=None, descriptor=None):
    pb2 = pb()
    request = pb2.CreateIngestStreamRequest(table_name=table)
    request.record_type = pb2.JSON if record_type is None else record_type
    if descriptor is not None:
        request.descriptor_proto = descriptor
    return pb2.EphemeralStreamRequest(create_stream=request)


def json_record(offset, text):
    pb2 = pb()
    return pb2.EphemeralStreamRequest(ingest_record=pb2.IngestRecordRequest(offset_id=offset, json_record=text))


def json_batch(offset, texts):
    pb2 = pb()
    return pb2.EphemeralStreamRequest(ingest_record_batch=pb2.IngestRecordBatchRequest(
        offset_id=offset, json_batch=pb2.JsonRecordBatch(records=texts)))


def row_descriptor(proto_dir) -> bytes:
    sys.path.insert(0, str(proto_dir))
    import row_pb2
    message = descriptor_pb2.DescriptorProto()
    row_pb2.Row.DESCRIPTOR.CopyToProto(message)
    return message.SerializeToString()


def mint(emulator, table, client_id=CLIENT_ID, secret=CLIENT_SECRET, details=None):
    catalog, schema, _ = table.split(".")
    details = details if details is not None else [
        {"object_full_path": catalog, "object_type": "CATALOG", "privileges": ["USE CATALOG"],
         "type": "unity_catalog_privileges"},
        {"object_full_path": f"{catalog}.{schema}", "object_type": "SCHEMA", "privileges": ["USE SCHEMA"],
         "type": "unity_catalog_privileges"},
        {"object_full_path": table, "object_type": "TABLE", "operations": ["zerobuswrite"],
         "privileges": ["SELECT", "MODIFY"], "type": "unity_catalog_privileges"}]
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "scope": "all-apis",
                                   "resource": "api://databricks/workspaces/127/zerobusDirectWriteApi",
                                   "authorization_details": json.dumps(details)}).encode()
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return emulator.request("POST", "/oidc/v1/token", form, {
        "Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"})
