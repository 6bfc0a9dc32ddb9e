"""Conformance of the emulator with the official Databricks Python SDK (databricks-zerobus-ingest-sdk).

Each SDK scenario runs in its own process (sdk_scenario.py); every test checks that every record
arrived, decoded, equal to what was sent and exactly once.
"""

import pytest

from conformance_support import CLIENT_ID, CLIENT_SECRET, FAST, MIXED_CALLS, acked, \
    assert_every_record_arrived_at_least_once, assert_every_record_arrived_once, run_sdk

def test_json_single_and_batch_over_h2c(emulator):
    result = run_sdk(emulator, "main.conf.json_h2c")
    assert result["offsets"] == list(range(len(MIXED_CALLS)))
    rows = assert_every_record_arrived_once(emulator, "main.conf.json_h2c", result)
    assert [(r["offset"], r["index_in_batch"]) for r in rows[:4]] == [(0, 0), (1, 0), (2, 0), (2, 1)]


def test_proto_with_nested_repeated_and_map_fields_over_h2c(emulator, proto_dir):
    result = run_sdk(emulator, "main.conf.proto_h2c", fmt="proto", proto_dir=proto_dir)
    rows = assert_every_record_arrived_once(emulator, "main.conf.proto_h2c", result)
    first = rows[0]["record"]
    assert first["inner"] == {"a": 0, "b": "inner-0"} and first["attrs"]["k1"] == "0" and first["kind"] == "BETA"


def test_json_and_proto_over_tls(emulator, proto_dir):
    result = run_sdk(emulator, "main.conf.json_tls", tls=True)
    assert_every_record_arrived_once(emulator, "main.conf.json_tls", result)
    result = run_sdk(emulator, "main.conf.proto_tls", fmt="proto", tls=True, proto_dir=proto_dir)
    assert_every_record_arrived_once(emulator, "main.conf.proto_tls", result)


def test_oauth_mints_one_token_scoped_to_the_table(emulator):
    table = "main.conf.oauth"
    mints_before = emulator.stats()["mints"]
    result = run_sdk(emulator, table, auth={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}, streams=2)
    assert_every_record_arrived_once(emulator, table, result)
    stats = emulator.stats()
    assert stats["mints"] - mints_before == 1  # the SDK caches the token across its two streams
    assert stats["minted_tables"][table] == 1
    assert stats["per_table"][table]["streams"] == 2


def test_oauth_over_tls_with_proto(emulator, proto_dir):
    table = "main.conf.oauth_tls"
    result = run_sdk(emulator, table, fmt="proto", tls=True, proto_dir=proto_dir,
                     auth={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    assert_every_record_arrived_once(emulator, table, result)
    assert emulator.stats()["minted_tables"][table] == 1


def test_wrong_client_secret_is_non_retriable(emulator):
    result = run_sdk(emulator, "main.conf.bad_secret", auth={"client_id": CLIENT_ID, "client_secret": "wrong"},
                     options=FAST)
    assert result["error"] and result["error"]["type"] == "NonRetriableException"
    assert acked(emulator, "main.conf.bad_secret") == []


def test_close_stream_signal_midstream_reconnects_without_loss(emulator):
    table = "main.conf.close_signal"
    emulator.set_faults(close_signal_after_records=20, close_signal_duration_ms=1500)
    before = emulator.stats()["close_signals"]
    result = run_sdk(emulator, table, calls=[1] * 30 + [0] + [4] * 10 + [1] * 20, options=FAST)
    # The SDK may still send a request on the signalled RPC after it decided to reconnect; the
    # emulator acks it there, and the SDK resends it on the new RPC: at-least-once, as specified.
    assert_every_record_arrived_at_least_once(emulator, table, result)
    stats = emulator.stats()
    assert stats["close_signals"] == before + 1
    assert stats["per_table"][table]["streams"] >= 2


def test_unavailable_midstream_recovers_without_loss(emulator):
    table = "main.conf.unavailable"
    emulator.set_faults(unavailable_after_records=25)
    result = run_sdk(emulator, table, calls=[1] * 30 + [3] * 10 + [1] * 30, options=FAST)
    assert_every_record_arrived_once(emulator, table, result)
    stats = emulator.stats()
    assert stats["per_table"][table]["streams"] >= 2
    assert stats["last_error"]["status"] == "UNAVAILABLE" and stats["last_error"]["table"] == table


def test_lost_acks_make_the_sdk_resend_records_the_server_already_has(emulator):
    """The fault behind every duplicate: requests committed whose acks never arrived. The official
    SDK resends them on its next RPC, so they arrive twice, on a later stream, and nothing is lost."""
    table = "main.conf.lost_acks"
    emulator.set_faults(lose_acks_after_records=25, max_ack_lag=4)
    result = run_sdk(emulator, table, calls=[1] * 30 + [3] * 10 + [1] * 30, options=FAST)
    assert_every_record_arrived_at_least_once(emulator, table, result)
    lost = emulator.stats()["acks_lost"]
    assert lost >= 1
    assert len(acked(emulator, table)) > len(result["sent"]), "a lost ack must show as a duplicate"


def test_proto_stream_recovers_from_internal_error(emulator, proto_dir):
    table = "main.conf.proto_internal"
    emulator.set_faults(fail_status_after_records=[7, "INTERNAL"])
    result = run_sdk(emulator, table, fmt="proto", proto_dir=proto_dir, options=FAST)
    assert_every_record_arrived_once(emulator, table, result)
    assert emulator.stats()["per_table"][table]["streams"] == 2


def test_coalesced_acks_still_deliver_everything(emulator):
    table = "main.conf.coalesced"
    emulator.set_faults(max_ack_lag=4)
    result = run_sdk(emulator, table, calls=[1] * 25 + [2] * 5)
    assert_every_record_arrived_once(emulator, table, result)
    assert emulator.stats()["per_table"][table]["requests"] == 30


@pytest.mark.parametrize("status", [7, 16])
def test_non_retryable_status_at_create_raises_non_retriable(emulator, status):
    table = f"main.conf.create_fails_{status}"
    emulator.set_faults(fail_create_with_status=status)
    result = run_sdk(emulator, table, options=FAST)
    assert result["error"] and result["error"]["type"] == "NonRetriableException", result
    assert result["sent"] == [] and acked(emulator, table) == []


def test_unknown_bearer_token_is_rejected(emulator):
    result = run_sdk(emulator, "main.conf.bad_token", auth={"headers": "not-a-valid-token"}, options=FAST)
    assert result["error"] and result["error"]["type"] == "NonRetriableException"
    assert emulator.stats()["last_error"]["status"] == "UNAUTHENTICATED"
