"""Protocol validation paths the SDK never exercises (raw grpcio client), and the HTTP side:
OAuth token endpoint, Unity Catalog stub, control API."""

import time

import grpc
import pytest

from conformance_support import TOKEN, UC_TABLE, acked, create, json_batch, json_record, mint, pb, raw_call, \
    row_descriptor

def test_first_message_must_be_create_stream(emulator):
    _, code, details = raw_call(emulator, [json_record(0, "{}")])
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "create_stream" in details


def test_request_stream_without_create_stream_is_invalid(emulator):
    _, code, details = raw_call(emulator, [])
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "create_stream" in details


@pytest.mark.parametrize("table", ["a.b", "a..c", "a.b.c.d", ""])
def test_table_name_needs_three_parts(emulator, table):
    _, code, _ = raw_call(emulator, [create(table)])
    assert code == grpc.StatusCode.INVALID_ARGUMENT


def test_record_type_unspecified_and_proto_without_descriptor_are_rejected(emulator):
    assert raw_call(emulator, [create("main.conf.raw", record_type=0)])[1] == grpc.StatusCode.INVALID_ARGUMENT
    assert raw_call(emulator, [create("main.conf.raw", record_type=1)])[1] == grpc.StatusCode.INVALID_ARGUMENT
    code = raw_call(emulator, [create("main.conf.raw", record_type=1, descriptor=b"\xff\xff")])[1]
    assert code == grpc.StatusCode.INVALID_ARGUMENT


def test_happy_raw_stream_acks_cumulatively_and_ends_ok(emulator):
    responses, code, _ = raw_call(emulator, [create("main.conf.raw_ok"), json_record(0, '{"a":1}'),
                                             json_batch(1, ['{"a":2}', '{"a":3}'])])
    assert code == grpc.StatusCode.OK
    assert responses[0].WhichOneof("payload") == "create_stream_response" and responses[0].create_stream_response.stream_id
    assert [r.ingest_record_response.durability_ack_up_to_offset for r in responses[1:]] == [0, 1]
    assert [r["record"] for r in acked(emulator, "main.conf.raw_ok")] == [{"a": 1}, {"a": 2}, {"a": 3}]


def test_offsets_must_start_at_zero_and_increase_by_one(emulator):
    _, code, details = raw_call(emulator, [create("main.conf.raw_gap"), json_record(0, "{}"), json_record(2, "{}")])
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "expected 1" in details


def test_invalid_json_names_the_offset(emulator):
    _, code, details = raw_call(emulator, [create("main.conf.raw_json"), json_record(0, "{}"),
                                           json_batch(1, ["{}", "{not json"])])
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "offset 1" in details and "record 1" in details


def test_json_record_missing_a_not_null_uc_column_is_rejected(emulator):
    _, code, details = raw_call(emulator, [create(UC_TABLE), json_record(0, '{"name":"x"}')])
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "id" in details


def test_undecodable_and_incomplete_proto_records_are_rejected(emulator, proto_dir):
    pb2 = pb()
    descriptor = row_descriptor(proto_dir)
    import row_pb2

    def proto_record(offset, raw):
        return pb2.EphemeralStreamRequest(
            ingest_record=pb2.IngestRecordRequest(offset_id=offset, proto_encoded_record=raw))

    good = row_pb2.Row(id=1, name="ok").SerializeToString()
    _, code, details = raw_call(emulator, [create("main.conf.raw_proto", 1, descriptor), proto_record(0, good),
                                           proto_record(1, b"\x0a\xff")])
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "offset 1" in details
    missing_id = row_pb2.Row(name="no id").SerializePartialToString()
    _, code, details = raw_call(emulator, [create("main.conf.raw_proto", 1, descriptor), proto_record(0, missing_id)])
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "id" in details


def test_table_header_must_match_and_auth_is_required(emulator):
    mismatch = [("authorization", f"Bearer {TOKEN}"), ("x-databricks-zerobus-table-name", "main.conf.other")]
    assert raw_call(emulator, [create("main.conf.raw_hdr")], mismatch)[1] == grpc.StatusCode.INVALID_ARGUMENT
    assert raw_call(emulator, [create("main.conf.raw_hdr")], [])[1] == grpc.StatusCode.UNAUTHENTICATED


def test_minted_token_for_another_table_is_permission_denied(emulator):
    status, body = mint(emulator, "main.conf.granted")
    assert status == 200
    metadata = [("authorization", f"Bearer {body['access_token']}")]
    assert raw_call(emulator, [create("main.conf.granted")], metadata)[1] == grpc.StatusCode.OK
    assert raw_call(emulator, [create("main.conf.not_granted")], metadata)[1] == grpc.StatusCode.PERMISSION_DENIED


def test_message_over_10_mib_is_rejected(emulator):
    big = '{"blob":"' + "x" * (10 * 1024 * 1024) + '"}'
    _, code, details = raw_call(emulator, [create("main.conf.raw_big"), json_record(0, big)])
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "10 MiB" in details


def test_reject_records_matching_fails_the_whole_request(emulator):
    emulator.set_faults(reject_records_matching="poison")
    _, code, details = raw_call(emulator, [create("main.conf.raw_poison"), json_record(0, '{"a":1}'),
                                           json_batch(1, ['{"a":2}', '{"a":"poison"}'])])
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "offset 1" in details
    assert [r["record"] for r in acked(emulator, "main.conf.raw_poison")] == [{"a": 1}]


def test_withheld_acks_are_never_sent(emulator):
    emulator.set_faults(withhold_acks=True)
    responses, code, _ = raw_call(emulator, [create("main.conf.raw_withheld"), json_record(0, "{}"),
                                             json_record(1, "{}")])
    assert code == grpc.StatusCode.OK
    assert [r.WhichOneof("payload") for r in responses] == ["create_stream_response"]


def test_max_records_per_s_paces_acks_like_a_slow_uplink(emulator):
    status, _ = emulator.request("POST", "/_emulator/faults", {"max_records_per_s": 0})
    assert status == 400, "a rate of 0 would stall every stream: refused"
    emulator.set_faults(max_records_per_s=40)
    batches = [json_batch(i, [f'{{"n":{i * 10 + j}}}' for j in range(10)]) for i in range(4)]
    began = time.monotonic()
    responses, code, _ = raw_call(emulator, [create("main.conf.raw_slow"), *batches])
    elapsed = time.monotonic() - began
    assert code == grpc.StatusCode.OK
    assert [r.ingest_record_response.durability_ack_up_to_offset for r in responses[1:]] == [0, 1, 2, 3]
    assert len(acked(emulator, "main.conf.raw_slow")) == 40
    # 40 records at 40/s: about a second; without the fault these few requests take milliseconds.
    assert 0.9 <= elapsed < 5, elapsed


# --- HTTP side: OAuth, Unity Catalog, control API ------------------------------------------------------

def test_token_endpoint_checks_credentials_shape_and_injected_status(emulator):
    status, body = mint(emulator, "main.conf.t")
    assert status == 200 and body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["access_token"]
    assert mint(emulator, "main.conf.t", secret="nope")[0] == 401
    assert mint(emulator, "main.conf.t", details=[{"object_type": "TABLE"}])[0] == 400
    emulator.set_faults(token_endpoint_status=503, token_endpoint_times=2)
    assert [mint(emulator, "main.conf.t")[0] for _ in range(3)] == [503, 503, 200]


def test_unity_catalog_stub(emulator):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    status, table = emulator.request("GET", f"/api/2.1/unity-catalog/tables/{UC_TABLE}", headers=auth)
    assert status == 200
    assert (table["catalog_name"], table["schema_name"], table["name"]) == ("main", "conf", "uc_json")
    assert [(c["name"], c["type_text"], c["type_name"], c["nullable"], c["position"]) for c in table["columns"]] == [
        ("id", "bigint", "LONG", False, 0), ("name", "string", "STRING", True, 1),
        ("tags", "array<string>", "ARRAY", True, 2), ("nested", "struct<a:int,b:boolean>", "STRUCT", True, 3)]
    status, body = emulator.request("GET", "/api/2.1/unity-catalog/tables/main.conf.nope", headers=auth)
    assert status == 404 and body["error_code"] == "TABLE_DOES_NOT_EXIST"
    assert emulator.request("GET", f"/api/2.1/unity-catalog/tables/{UC_TABLE}")[0] == 401


def test_unknown_fault_key_is_rejected_and_changes_nothing(emulator):
    status, _ = emulator.request("POST", "/_emulator/faults", {"max_ack_lag": 3, "no_such_fault": 1})
    assert status == 400
    assert emulator.stats()["faults"]["max_ack_lag"] == 1
