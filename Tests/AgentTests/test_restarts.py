"""Process and broker restarts: kill -9 mid-burst, SIGTERM with a backlog, a broker restart."""

import threading
import time

import pytest

from agent_stack import Publisher, wait_for
from conftest import Stack, assert_complete, reading_rows


def publish_in_background(publisher, count, rate, **kwargs):
    ids: list[str] = []
    thread = threading.Thread(target=lambda: ids.extend(publisher.publish(count, rate=rate, **kwargs)))
    thread.start()
    return thread, ids


def acked_ids(stack) -> set[str]:
    return {row["reading_id"] for row in reading_rows(stack.emulator)}


# The durability guarantees hold under both protocol versions (mqtt.protocol).
PROTOCOLS = pytest.mark.parametrize("protocol", ["v3.1.1", "v5"])


@PROTOCOLS
def test_kill9_during_burst_loses_nothing(stack, protocol):
    stack.configure(sections={"mqtt": {"protocol": protocol}})
    agent = stack.agent().start()
    publisher = Publisher(stack.broker)
    total = 30_000
    thread, ids = publish_in_background(publisher, total, 5000)
    wait_for(lambda: len(stack.emulator.records()) >= 5000, 30, "burst under way", stack.diagnostics)
    assert thread.is_alive(), "the burst ended before the kill: the test would not test anything"
    assert agent.kill9() == -9
    killed_at = len(stack.emulator.records())

    restarted = stack.agent().start()
    thread.join(60)
    assert not thread.is_alive() and len(ids) == total
    wait_for(lambda: len(acked_ids(stack)) >= total, 90, "every reading acked after the restart", stack.diagnostics)
    rows = reading_rows(stack.emulator)
    assert_complete(rows, ids, exactly_once=False)
    print(f"killed after {killed_at} acked records; {len(rows) - total} duplicates, all sharing record_id")
    assert restarted.stop() == 0


def test_sigterm_exits_zero_and_restart_drains_the_rest(stack):
    agent = stack.agent().start()
    publisher = Publisher(stack.broker)
    ids = publisher.publish(200, topic=lambda i: f"sensors/dev{i % 4}/temp")
    wait_for(lambda: len(acked_ids(stack)) == 200, 30, "first 200 acked", stack.diagnostics)
    stack.emulator.set_faults(withhold_acks=True)
    ids += publisher.publish(3000, start=200)
    wait_for(lambda: agent.status()["buffer"]["rows"] >= 3000, 30, "3000 rows buffered without acks",
             stack.diagnostics)

    began = time.monotonic()
    assert agent.stop() == 0, agent.log_tail()
    assert time.monotonic() - began < 15, "shutdown is not bounded"
    final = agent.status()
    assert final["state"] == "offline" and final["buffer"]["rows"] >= 3000, final

    stack.emulator.set_faults(withhold_acks=None)
    restarted = stack.agent().start()
    wait_for(lambda: len(acked_ids(stack)) >= 3200, 60, "the rest drained after the restart", stack.diagnostics)
    assert_complete(reading_rows(stack.emulator), ids, exactly_once=False)
    wait_for(lambda: restarted.status()["buffer"]["rows"] == 0, 30, "ring empty", stack.diagnostics)
    assert restarted.stop() == 0


@PROTOCOLS
@pytest.mark.parametrize("persistence", [False, True], ids=["broker-forgets", "broker-persists"])
def test_broker_restart_reconnects_by_itself(work, persistence, protocol, request):
    """Without persistence the broker forgets the session, so the agent must subscribe again on its
    own; with persistence the session (and what is queued in it) survives the restart (under v5
    only because the agent asked for a session expiry interval)."""
    stack = Stack(work, broker_persistence=persistence)
    request.addfinalizer(stack.close)
    stack.configure(sections={"mqtt": {"protocol": protocol}})
    agent = stack.agent().start()
    publisher = Publisher(stack.broker)
    before = publisher.publish(1000, rate=1000)
    wait_for(lambda: len(acked_ids(stack)) >= 1000, 30, "readings before the restart acked", stack.diagnostics)
    publisher.close()

    stack.broker.restart()
    publisher = Publisher(stack.broker)
    if persistence:
        # The session survives: readings published before the agent is even back must arrive.
        early = publisher.publish(2000, rate=2000, prefix="early")
    else:
        # Nothing holds readings for the agent until it subscribed again: probe until one gets through.
        early = []
        wait_for(lambda: publisher.publish(1, prefix="probe", start=time.monotonic_ns())
                 and any(r["reading_id"].startswith("probe") for r in reading_rows(stack.emulator)), 30,
                 "a reading published after the restart arrives", stack.diagnostics, interval=0.5)
    wait_for(lambda: (h := agent.health()) and h["mqtt"]["connected"], 60, "agent reports MQTT connected",
             stack.diagnostics)
    after = publisher.publish(5000, rate=2000, prefix="after")
    wait_for(lambda: set(early + after) <= acked_ids(stack), 60, "every reading after the restart acked",
             stack.diagnostics)
    assert_complete(reading_rows(stack.emulator), before + early + after, exactly_once=False)
    assert "MQTT disconnected" in agent.log_tail(400)
    assert agent.running
    publisher.close()
    assert agent.stop() == 0


def test_a_second_agent_on_the_same_ring_is_refused(stack):
    agent = stack.agent().start()
    second = agent.cli("run", timeout=30)
    assert second.returncode == 1, second.stderr
    assert "another zerobus-edge process is using" in second.stderr, second.stderr
    assert agent.running and agent.http_get("/healthz")[0] == 200
    assert agent.stop() == 0
