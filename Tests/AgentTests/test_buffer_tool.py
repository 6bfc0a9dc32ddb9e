"""`zerobus-edge buffer stats|export|verify`: read-only views of the ring, with the agent running
and stopped, against what a real publisher put through a real mosquitto while the cloud was down."""

import csv
import io
import json
from pathlib import Path

from agent_stack import Publisher, TableSpec, wait_for
from conftest import READINGS

STATES = "main.iot.pump_state"
TABLES = [
    TableSpec(READINGS, ["sensors/+/+"]),
    TableSpec(STATES, ["devices/+/state"], [
        '{ name = "device", type = "string", from = "topic[1]" }',
        '{ name = "rpm", type = "int", from = "$.rpm" }',
        '{ name = "extra", type = "string", from = "unmapped", optional = true }',
        '{ name = "record_id", type = "string", from = "record_id" }',
    ], {"record_type": "json"}),
]


def export(agent, *args) -> list[dict]:
    result = agent.cli("buffer", "export", *args)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_stats_export_and_verify_show_exactly_the_pending_rows(stack):
    stack.configure(tables=TABLES)
    stack.emulator.stop()
    agent = stack.agent().start()
    publisher = Publisher(stack.broker)
    ids = publisher.publish(500, topic=lambda i: f"sensors/dev{i % 3}/temp")
    for n in range(20):
        publisher.publish_raw("devices/pump-1/state", json.dumps({"rpm": 1000 + n, "fw": f"v{n}"}).encode())

    stats = wait_for(lambda: (s := json.loads(agent.cli("buffer", "stats", "--json").stdout)) and s["rows"] == 520 and s,
                     30, "520 rows pending", stack.diagnostics)
    by_table = {t["name"]: t for t in stats["tables"]}
    assert by_table[READINGS]["rows"] == 500 and by_table[STATES]["rows"] == 20
    assert by_table[READINGS]["descriptors"] == 1 and by_table[READINGS]["bytes"] > 500 * 20
    assert by_table[READINGS]["oldest"] <= by_table[READINGS]["newest"]

    def check_export_while(state: str):
        rows = export(agent, "--table", READINGS, "--meta")
        assert [r["reading_id"] for r in rows] == ids, f"{state}: export is not exactly the pending readings"
        assert all(float(r["value"]) == int(r["reading_id"].split("-")[1]) * 0.5 for r in rows)
        assert all(r["_table"] == READINGS and r["_record_id"] == r["record_id"] for r in rows)
        states = export(agent, "--table", STATES)
        assert [s["rpm"] for s in states] == list(range(1000, 1020))
        assert json.loads(states[3]["extra"]) == {"fw": "v3"}
        assert len(export(agent)) == 520
        # --since/--until select by arrival time (inclusive).
        middle = rows[250]["_received_at"]
        later = export(agent, "--table", READINGS, "--since", middle, "--meta")
        assert later and all(r["_received_at"] >= middle for r in later) and len(later) < 500
        lines = agent.cli("buffer", "export", "--table", READINGS, "--format", "csv").stdout
        table = list(csv.DictReader(io.StringIO(lines)))
        assert [r["reading_id"] for r in table] == ids
        assert list(table[0]) == ["device_id", "metric", "reading_id", "value", "seq", "event_time", "gateway_id",
                                  "record_id"]

    check_export_while("running")
    verify = agent.cli("buffer", "verify")
    assert verify.returncode == 0 and "verdict: sound" in verify.stdout, verify.stdout + verify.stderr
    assert agent.stop() == 0
    check_export_while("stopped")
    assert json.loads(agent.cli("buffer", "stats", "--json").stdout)["rows"] == 520

    # Nothing above wrote to the ring: the backlog drains in full once the cloud is back.
    stack.emulator.start()
    agent = stack.agent().start()
    wait_for(lambda: len(stack.emulator.records(READINGS)) >= 500 and len(stack.emulator.records(STATES)) >= 20, 60,
             "backlog delivered", stack.diagnostics)
    wait_for(lambda: json.loads(agent.cli("buffer", "stats", "--json").stdout)["rows"] == 0, 30,
             "nothing pending", stack.diagnostics)
    assert export(agent) == []


def test_verify_reports_a_damaged_journal_and_a_damaged_ring(stack):
    stack.configure()
    stack.emulator.stop()
    agent = stack.agent().start()
    Publisher(stack.broker).publish(300, topic=lambda i: "sensors/dev1/temp")
    wait_for(lambda: json.loads(agent.cli("buffer", "stats", "--json").stdout)["rows"] == 300, 30, "300 pending",
             stack.diagnostics)
    agent.kill9()
    data = stack.work / "data"
    journals = sorted(data.glob("buffer.db.journal-*"))
    assert journals, "the running agent keeps a journal file"
    journal = max(journals, key=lambda p: p.stat().st_size)
    assert journal.stat().st_size > 1000, "the journal holds the burst"
    raw = bytearray(journal.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    journal.write_bytes(bytes(raw))
    verify = agent.cli("buffer", "verify")
    assert verify.returncode == 1, verify.stdout + verify.stderr
    assert "DAMAGED: 1 stretches" in verify.stdout and "verdict: problems found" in verify.stdout, verify.stdout

    # A graceful stop checkpoints the WAL into buffer.db: then damage its pages.
    journal.unlink()
    agent = stack.agent().start()
    assert agent.stop() == 0
    ring = data / "buffer.db"
    page = 4096
    raw = bytearray(ring.read_bytes())
    assert len(raw) > 4 * page
    raw[2 * page:3 * page] = b"\x5a" * page
    ring.write_bytes(bytes(raw))
    for extra in ("buffer.db-wal", "buffer.db-shm"):
        Path(data / extra).unlink(missing_ok=True)
    verify = agent.cli("buffer", "verify")
    assert verify.returncode == 1 and "integrity_check: FAILED" in verify.stdout, verify.stdout + verify.stderr
