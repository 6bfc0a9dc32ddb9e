"""Messages of several readings end to end: explode, CSV, line protocol, and JSON records with a
rescue column, through a real mosquitto, the built agent and the emulator.

Every reading must arrive exactly once, value for value, with record_id `<message id>.<index>`;
a malformed message of each format is quarantined whole with its reason while the others flow;
and a kill -9 in the middle of a burst loses no reading and never splits a message.
"""

import json
import threading

from agent_stack import Publisher, TableSpec, wait_for

EXPLODE = "main.fmt.logger_readings"
CSV = "main.fmt.plc_values"
INFLUX = "main.fmt.weather"
JSONREC = "main.fmt.pump_state"

TABLES = [
    TableSpec(EXPLODE, ["loggers/+/scan"], [
        '{ name = "logger", type = "string", from = "topic[1]" }',
        '{ name = "scan", type = "bigint", from = "$.scan" }',
        '{ name = "channel", type = "string", from = "@.ch" }',
        '{ name = "value", type = "double", from = "@.v" }',
        '{ name = "position", type = "int", from = "@key" }',
        '{ name = "record_id", type = "string", from = "record_id" }',
    ], {"explode": "$.readings"}),
    TableSpec(CSV, ["plc/+/batch"], [
        '{ name = "line", type = "string", from = "topic[1]" }',
        '{ name = "event_time", type = "timestamp", from = "$.timestamp" }',
        '{ name = "tag", type = "string", from = "$.tag" }',
        '{ name = "value", type = "double", from = "$.value", optional = true }',
        '{ name = "record_id", type = "string", from = "record_id" }',
    ], {"format": "csv", "csv_delimiter": ";"}),
    TableSpec(INFLUX, ["telegraf/#"], [
        '{ name = "station", type = "string", from = "$.tags.station" }',
        '{ name = "temp", type = "double", from = "$.fields.temp" }',
        '{ name = "count", type = "bigint", from = "$.fields.count" }',
        '{ name = "note", type = "string", from = "$.fields.note", optional = true }',
        '{ name = "event_time", type = "timestamp", from = "$.timestamp" }',
        '{ name = "record_id", type = "string", from = "record_id" }',
    ], {"format": "influx", "influx_precision": "ms"}),
    TableSpec(JSONREC, ["devices/+/state"], [
        '{ name = "device", type = "string", from = "topic[1]" }',
        '{ name = "rpm", type = "int", from = "$.rpm" }',
        '{ name = "event_time", type = "timestamp", from = "$.ts" }',
        '{ name = "extra", type = "string", from = "unmapped", optional = true }',
        '{ name = "record_id", type = "string", from = "record_id" }',
    ], {"record_type": "json"}),
]

MESSAGES = 150
BASE_MS = 1_777_636_800_000


def explode_payload(n: int) -> bytes:
    readings = [{"ch": f"c{k}", "v": n + k / 4} for k in range(n % 4 + 1)]
    return json.dumps({"scan": n, "readings": readings}).encode()


def csv_payload(n: int) -> bytes:
    lines = ["timestamp;tag;value"] + [f"{BASE_MS + n * 10 + k};T-{n}-{k};{'' if k == 2 else n + k}" for k in range(3)]
    return ("\r\n".join(lines) + "\r\n").encode()


def influx_payload(n: int) -> bytes:
    return "\n".join(f'w,station=s{n}\\ {k} temp={n}.5,count={k}i,note="n \\"{k}\\"" {BASE_MS + n * 10 + k}'
                     for k in range(2)).encode()


def json_payload(n: int) -> bytes:
    return json.dumps({"rpm": 1000 + n, "ts": BASE_MS + n, "fw": f"2.{n}", "bearing": {"t": n}}).encode()


def expected_rows() -> dict[str, list[dict]]:
    """What the emulator must hold per table, keyed by what identifies each reading."""
    rows = {EXPLODE: [], CSV: [], INFLUX: [], JSONREC: expected_json_rows(MESSAGES)}
    for n in range(MESSAGES):
        for k in range(n % 4 + 1):
            rows[EXPLODE].append({"logger": "hall-1", "scan": n, "channel": f"c{k}", "value": n + k / 4, "position": k})
        for k in range(3):
            row = {"line": "line-4", "event_time": (BASE_MS + n * 10 + k) * 1000, "tag": f"T-{n}-{k}"}
            if k != 2:
                row["value"] = float(n + k)
            rows[CSV].append(row)
        for k in range(2):
            rows[INFLUX].append({"station": f"s{n} {k}", "temp": n + 0.5, "count": k, "note": f'n "{k}"',
                                 "event_time": (BASE_MS + n * 10 + k) * 1000})
    return rows


def expected_json_rows(count: int) -> list[dict]:
    return [{"device": "pump-3", "rpm": 1000 + n, "event_time": (BASE_MS + n) * 1000,
             "extra": json.dumps({"fw": f"2.{n}", "bearing": {"t": n}}, separators=(",", ":"))} for n in range(count)]


def normalised(record: dict) -> dict:
    """Decoded protobuf shows 64-bit integers as strings (proto3 JSON); compare them as numbers."""
    return {k: int(v) if isinstance(v, str) and v.lstrip("-").isdigit() and k != "tag" else v
            for k, v in record.items()}


def arrived(stack, table: str) -> list[dict]:
    return [normalised(entry["record"]) for entry in stack.emulator.records(table)]


def publish_all(publisher: Publisher, messages: range) -> None:
    for n in messages:
        publisher.publish_raw("loggers/hall-1/scan", explode_payload(n))
        publisher.publish_raw("plc/line-4/batch", csv_payload(n))
        publisher.publish_raw("telegraf/roof", influx_payload(n))
        publisher.publish_raw("devices/pump-3/state", json_payload(n))


def check_record_ids(rows: list[dict], *, exploded: bool) -> None:
    """`<message id>.<index>`: distinct, and each message's rows numbered 0…n-1 with no gap."""
    ids = [row.pop("record_id") for row in rows]
    assert len(set(ids)) == len(ids), "a record_id arrived twice"
    if not exploded:
        assert all("." not in i.rsplit("-", 1)[-1] for i in ids), ids[:3]
        return
    by_message: dict[str, set[int]] = {}
    for i in ids:
        message, index = i.rsplit(".", 1)
        by_message.setdefault(message, set()).add(int(index))
    assert all(indexes == set(range(len(indexes))) for indexes in by_message.values()), "a message arrived split"


def without_ids(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "record_id"} for row in rows]


def sort_key(row: dict) -> str:
    return json.dumps(row, sort_keys=True)


def test_each_format_arrives_value_for_value_and_malformed_messages_are_quarantined(stack):
    stack.configure(tables=TABLES)
    agent = stack.agent().start()
    publisher = Publisher(stack.broker)
    half = MESSAGES // 2
    publish_all(publisher, range(half))
    malformed = {
        EXPLODE: ("loggers/hall-1/scan", b'{"scan": 1, "readings": [{"ch": "x", "v": "warm"}]}', "readings[0]"),
        CSV: ("plc/line-4/batch", b"timestamp;tag;value\n1;T;2;extra\n", "CSV line 2: 4 cells, expected 3"),
        INFLUX: ("telegraf/roof", b"w,station=x temp=1.5,count=1i 1\nw,station=y temp=oops", "line protocol line 2"),
        JSONREC: ("devices/pump-3/state", b'{"rpm": "fast", "ts": 1}', "column 'rpm'"),
    }
    for topic, payload, _ in malformed.values():
        publisher.publish_raw(topic, payload)
    publish_all(publisher, range(half, MESSAGES))

    expected = expected_rows()
    for table, rows in expected.items():
        wait_for(lambda: len(arrived(stack, table)) >= len(rows), 60, f"{len(rows)} rows in {table}", stack.diagnostics)
    entries = wait_for(lambda: len(q := agent.quarantine()) >= len(malformed) and q, 20, "4 quarantined",
                       stack.diagnostics)
    assert len(entries) == len(malformed), entries
    for table, (topic, payload, reason) in malformed.items():
        [entry] = [e for e in entries if e["table"] == table]
        assert entry["kind"] == "unmappable" and entry["topic"] == topic and entry["payload_bytes"] == len(payload)
        assert reason in entry["reason"], entry["reason"]
    for table, rows in expected.items():
        got = arrived(stack, table)
        check_record_ids(got, exploded=table != JSONREC)
        assert sorted(got, key=sort_key) == sorted(rows, key=sort_key), table
    health = wait_for(lambda: (h := agent.health()) and h["buffer"]["quarantined_total"] == len(malformed) and h, 10,
                      "quarantined_total counts them", stack.diagnostics)
    assert health["state"] == "online"
    assert agent.stop() == 0


def test_kill9_mid_burst_loses_no_reading_and_splits_no_message(stack):
    """Exploded messages and JSON records, through a kill -9 and an outage of the cloud."""
    stack.configure(tables=[TABLES[0], TABLES[3]])
    agent = stack.agent().start()
    publisher = Publisher(stack.broker)
    messages = 3000
    total = sum(n % 4 + 1 for n in range(messages))

    def burst():
        for n in range(messages):
            publisher.publish_raw("loggers/hall-1/scan", explode_payload(n))
            if n % 10 == 0:
                publisher.publish_raw("devices/pump-3/state", json_payload(n))

    thread = threading.Thread(target=burst)
    thread.start()
    wait_for(lambda: len(stack.emulator.records(EXPLODE)) >= total // 5, 60, "a fifth delivered", stack.diagnostics)
    agent.kill9()
    stack.emulator.stop()
    agent = stack.agent().start()
    thread.join(120)
    # Everything left is buffered while the cloud is down, then delivered when it returns.
    wait_for(lambda: json.loads(agent.cli("buffer", "stats", "--json").stdout)["rows"] > 0, 30, "a backlog",
             stack.diagnostics)
    stack.emulator.start()
    wait_for(lambda: len({e["record"]["record_id"] for e in stack.emulator.records(EXPLODE)}) >= total
             and len({e["record"]["record_id"] for e in stack.emulator.records(JSONREC)}) >= messages // 10,
             120, f"all {total} readings and {messages // 10} JSON records", stack.diagnostics)
    rows = arrived(stack, EXPLODE)
    distinct = {row["record_id"]: row for row in rows}
    print(f"\n{total} readings in {messages} messages; {len(rows) - len(distinct)} resent after kill -9")
    check_record_ids(list(distinct.values()), exploded=True)
    assert sorted(without_ids(list(distinct.values())), key=sort_key) == \
        sorted([{"logger": "hall-1", **r} for r in (
            {"scan": n, "channel": f"c{k}", "value": n + k / 4, "position": k}
            for n in range(messages) for k in range(n % 4 + 1))], key=sort_key)
    states = {row["record_id"]: row for row in arrived(stack, JSONREC)}
    assert sorted(without_ids(list(states.values())), key=sort_key) == sorted(
        [r for n, r in enumerate(expected_json_rows(messages)) if n % 10 == 0], key=sort_key)
