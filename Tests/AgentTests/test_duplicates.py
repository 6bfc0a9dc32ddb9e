"""Duplicates after a kill -9, a cloud reconnect and a broker restart: measured, bounded, counted.

The README's guarantees state the bound for each; these tests measure the duplicates (readings that
reached the cloud more than once, always under one record_id), check them against the bound the
design gives, and check the ledger: every duplicate is among the rows `resent_total` counts.
Run with `-s` to see the figures (the README quotes them).

The bound, in rows: a row is sent twice only if it was on the wire, unacked, when the link or the
process died. A lane holds at most 16 unacked requests (`TableUplink.maxInflightBatches`) of at most
`batch_max_records` rows, so one event can repeat at most streams × 16 × batch_max_records rows.
Acks are applied to the ring as they arrive (one delete per ack), so nothing acked is resent.
"""

import signal
import threading

from agent_stack import Publisher, wait_for
from conftest import Stack, assert_complete, reading_rows

MAX_INFLIGHT_BATCHES = 16
BATCH_MAX_RECORDS = 1000
BOUND = MAX_INFLIGHT_BATCHES * BATCH_MAX_RECORDS  # streams = 1 (the default)


def duplicates(rows: list[dict], total: int) -> int:
    return len(rows) - total


def delivered(stack, agent, ids: list[str], what: str) -> tuple[int, int]:
    """Waits until every reading arrived (each duplicate under its one record_id); returns
    (duplicates, resent_total)."""
    wait_for(lambda: len({r["reading_id"] for r in reading_rows(stack.emulator)}) >= len(ids), 120, what,
             stack.diagnostics)
    rows = reading_rows(stack.emulator)
    assert_complete(rows, ids, exactly_once=False)
    found = duplicates(rows, len(ids))
    return found, settled_resent(stack, agent, found)


def resent_total(agent) -> int:
    health = agent.health()
    return health["tables"][0]["resent_total"] if health and health["tables"] else 0


def settled_resent(stack, agent, found: int) -> int:
    """`resent_total` once the ring is empty and, if it ever does, covers the `found` duplicates
    (a stream's own resends reach the counter at the next health interval, 1 s here)."""
    wait_for(lambda: (h := agent.health()) and h["buffer"]["rows"] == 0, 60, "ring empty", stack.diagnostics)
    try:
        wait_for(lambda: resent_total(agent) >= found, 10, "resent_total covers the duplicates")
    except AssertionError:
        pass  # the assertion below reports the figures
    return resent_total(agent)


def test_kill9_mid_burst_repeats_at_most_the_inflight_window(stack):
    stack.configure()
    agent = stack.agent().start()
    publisher = Publisher(stack.broker)
    total = 40_000
    ids: list[str] = []
    thread = threading.Thread(target=lambda: ids.extend(publisher.publish(total, rate=5000)))
    thread.start()
    wait_for(lambda: len(stack.emulator.records()) >= 10_000, 60, "burst under way", stack.diagnostics)
    assert thread.is_alive(), "the burst ended before the kill: the test would not test anything"
    assert agent.kill9() == -9
    killed_at = len(stack.emulator.records())

    restarted = stack.agent().start()
    thread.join(60)
    assert len(ids) == total
    found, resent = delivered(stack, restarted, ids, "every reading acked after the restart")
    print(f"\nkill -9 after {killed_at} of {total} acked: {found} duplicates, resent_total {resent}, bound {BOUND}")
    assert found <= resent <= BOUND
    assert restarted.stop() == 0


def test_a_cloud_reconnect_with_lost_acks_repeats_only_what_was_unacked(stack):
    """The worst case of a reconnect: the server committed requests whose acks never arrived. The
    stream resends them, so they arrive twice, and every one is counted as resent."""
    stack.configure()
    agent = stack.agent().start()
    publisher = Publisher(stack.broker)
    stack.emulator.set_faults(max_ack_lag=8, lose_acks_after_records=5000)
    total = 20_000
    ids = publisher.publish(total, rate=4000)
    found, resent = delivered(stack, agent, ids, "every reading acked")
    lost = stack.emulator.stats()["acks_lost"]
    print(f"\ncloud reconnect with {lost} request acks lost: {found} duplicates, resent_total {resent}, bound {BOUND}")
    assert lost >= 1, "the fault did not fire: the test would not test anything"
    assert 0 < found <= resent <= BOUND
    assert agent.stop() == 0


def test_a_broker_restart_mid_delivery_repeats_nothing(work, request):
    """Messages the agent stored but whose PUBACK the restart lost are redelivered by the broker
    (persistent session); the agent recognises them (packet id + content hash) and stores none
    twice. The cloud link is untouched, so nothing is resent either.

    To have messages in that state, the agent is stopped (SIGSTOP) while the broker pushes a burst
    into its socket, the broker restarts, and the agent resumes: it reads and stores what reached
    its socket, its PUBACKs go nowhere, and the restarted broker delivers those messages again."""
    stack = Stack(work, broker_persistence=True)
    request.addfinalizer(stack.close)
    stack.configure()
    agent = stack.agent().start()
    publisher = Publisher(stack.broker)
    before = publisher.publish(1000)
    wait_for(lambda: len(reading_rows(stack.emulator)) >= 1000, 60, "first readings acked", stack.diagnostics)
    agent.process.send_signal(signal.SIGSTOP)
    burst = publisher.publish(5000, prefix="burst")
    publisher.close()
    stack.broker.restart()
    agent.process.send_signal(signal.SIGCONT)
    found, resent = delivered(stack, agent, before + burst, "every reading acked after the broker restart")
    recognised = agent.log_tail(2000).count("message redelivered by the broker is already buffered")
    print(f"\nbroker restart mid-delivery: {recognised} redeliveries recognised, {found} duplicates, "
          f"resent_total {resent}")
    assert found == 0 and resent == 0
    assert agent.stop() == 0


def test_rows_left_unacked_by_a_kill_are_counted_as_resent_after_the_restart(stack):
    """The ledger counts exactly what the test did: 500 readings sent, never acked (the server
    withholds acks), the agent killed; after the restart all 500 go out again and resent_total says
    500. The server had committed none of them, so none arrives twice."""
    stack.configure()
    agent = stack.agent().start()
    stack.emulator.set_faults(withhold_acks=True)
    ids = Publisher(stack.broker).publish(500)
    wait_for(lambda: stack.emulator.stats()["records_received"] >= 500, 30, "500 records on the wire",
             stack.diagnostics)
    assert agent.kill9() == -9
    stack.emulator.set_faults(withhold_acks=None)

    restarted = stack.agent().start()
    wait_for(lambda: len(reading_rows(stack.emulator)) >= 500, 60, "all delivered after the restart", stack.diagnostics)
    rows = reading_rows(stack.emulator)
    assert_complete(rows, ids, exactly_once=True)
    wait_for(lambda: resent_total(restarted) == 500, 20, "resent_total 500", stack.diagnostics)
    health = restarted.health()
    assert health["buffer"]["resent_total"] == 500
    assert "zerobus_edge_table_resent_total{table=\"main.iot.readings\"} 500" in restarted.http_get("/metrics")[1]
    assert "Resent:      500 rows" in restarted.cli("status").stdout
    assert restarted.stop() == 0
