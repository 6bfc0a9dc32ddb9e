"""Poison data never blocks a table: unmappable payloads and server-rejected rows are quarantined."""

import threading

from agent_stack import Publisher, wait_for
from conftest import READINGS, assert_complete, reading_rows

TOPIC = "sensors/dev1/temp"
POISON = {
    "invalid-json": b'{"id": "bad-1", "value": ',
    "wrong-type": b'{"id": "bad-2", "value": "hot", "seq": 2}',
    "too-large": b'{"id": "bad-3", "value": 1.0, "seq": 3, "pad": "' + b"x" * (10 * 1024 * 1024 + 4096) + b'"}',
    "binary": bytes(range(256)) * 4,
    "empty": b"",
}


def test_malformed_payloads_are_quarantined_and_valid_ones_flow(stack):
    agent = stack.agent().start()
    publisher = Publisher(stack.broker)
    ids: list[str] = []
    thread = threading.Thread(target=lambda: ids.extend(publisher.publish(3000, rate=1000, topic=lambda i: TOPIC)))
    thread.start()
    poison_publisher = Publisher(stack.broker)
    for payload in POISON.values():
        poison_publisher.publish_raw(TOPIC, payload)
    thread.join(60)
    assert len(ids) == 3000
    wait_for(lambda: len(reading_rows(stack.emulator)) >= 3000, 60, "valid readings delivered", stack.diagnostics)
    assert_complete(reading_rows(stack.emulator), ids, exactly_once=True)
    assert agent.running

    entries = wait_for(lambda: len(q := agent.quarantine()) >= len(POISON) and q, 15, "5 quarantine entries",
                       stack.diagnostics)
    assert len(entries) == len(POISON), entries
    assert all(e["kind"] == "unmappable" and e["table"] == READINGS and e["topic"] == TOPIC for e in entries)
    assert all(e["reason"] for e in entries), entries
    by_size = {e["payload_bytes"]: e["reason"] for e in entries}
    # Every payload is kept as it came, with its own reason; one too large for the quarantine's
    # share (1/8 of its bound) as its first 64 KiB, and the reason says so.
    kept = {name: (65536 if len(p) > 4 << 20 else len(p)) for name, p in POISON.items()}
    assert set(by_size) == set(kept.values()), by_size
    assert f"payload of {len(POISON['too-large'])} bytes; only its first 65536 bytes are kept" in by_size[65536]
    print("\n".join(f"{name}: {by_size[kept[name]]}" for name in POISON))
    assert "value" in by_size[len(POISON["wrong-type"])]
    assert "empty" in by_size[0].lower()
    assert "large" in by_size[65536].lower() or "limit" in by_size[65536]
    health = wait_for(lambda: (h := agent.health()) and h["buffer"]["quarantined_total"] == len(POISON) and h, 10,
                      "quarantined_total counts them", stack.diagnostics)
    assert health["tables"][0]["quarantined_total"] == len(POISON)
    assert health["state"] == "online", "poison data is not an agent failure"
    assert agent.stop() == 0
    # Without a daemon the CLI writes the ring itself.
    purge = agent.cli("quarantine", "purge")
    assert purge.returncode == 0 and purge.stdout.strip() == f"purged {len(POISON)}", purge.stdout + purge.stderr
    assert agent.quarantine() == []


def test_rows_rejected_by_the_server_are_isolated(stack):
    agent = stack.agent().start()
    publisher = Publisher(stack.broker)
    stack.emulator.set_faults(reject_records_matching="POISON")
    bad_seqs = {137, 1500, 1501}
    # A few bad rows hidden among good ones; batches of up to 1000 rows make the server reject
    # whole requests, of which only the bad rows may be lost to the quarantine.
    ids = publisher.publish(3000, rate=3000, topic=lambda i: TOPIC)
    for seq in sorted(bad_seqs):
        publisher.client.publish(TOPIC, f'{{"id": "POISON-{seq}", "seq": {seq}, "value": 1.0}}', qos=1)
    ids += publisher.publish(1000, start=3000, topic=lambda i: TOPIC)
    wait_for(lambda: len(reading_rows(stack.emulator)) >= 4000, 90, "good rows delivered", stack.diagnostics)
    rows = reading_rows(stack.emulator)
    assert_complete(rows, ids, exactly_once=False)
    assert not [r for r in rows if r["reading_id"].startswith("POISON")]

    entries = wait_for(lambda: len(q := agent.quarantine()) >= 3 and q, 30, "3 rejected rows quarantined",
                       stack.diagnostics)
    assert len(entries) == 3, entries
    assert all(e["kind"] == "rejected" and e["record_id"] for e in entries), entries
    assert all("INVALID_ARGUMENT" in e["reason"] or "invalid" in e["reason"].lower() for e in entries), entries
    wait_for(lambda: agent.status()["buffer"]["rows"] == 0, 30, "nothing left buffered", stack.diagnostics)

    # Once the table accepts them, `quarantine retry` sends them on, with their record_ids.
    stack.emulator.set_faults(reject_records_matching=None)
    retry = agent.cli("quarantine", "retry")
    assert retry.returncode == 0 and "requeued 3" in retry.stdout, retry.stdout + retry.stderr
    wait_for(lambda: len([r for r in reading_rows(stack.emulator) if r["reading_id"].startswith("POISON")]) == 3, 30,
             "retried rows delivered", stack.diagnostics)
    delivered = {r["record_id"] for r in reading_rows(stack.emulator) if r["reading_id"].startswith("POISON")}
    assert delivered == {e["record_id"] for e in entries}
    assert agent.quarantine() == []
    assert agent.stop() == 0
