"""Sparkplug B (`format = "sparkplug_b"`) end to end: a real mosquitto, the built agent, the
emulator, and an edge node whose payloads and topics are made by pysparkplug (a Sparkplug B
implementation nobody here wrote), published at QoS 1 with paho-mqtt 2 and PUBACKed one by one.
pysparkplug's own EdgeNode/Client are not used: they need paho-mqtt < 2 (`message_retry_set`),
and its EdgeNode never sends alias-only DATA, the case that matters here.

Every metric the edge node published is compared with the row the emulator decoded, value for
value; aliases must survive an agent restart between BIRTH and DATA; unknown aliases, malformed
bytes and bad topics are quarantined while valid messages keep flowing.
"""

import itertools
import math
import random
import time

import pysparkplug as spb

from agent_stack import Publisher, TableSpec, wait_for
from conftest import reading_rows

TABLE = "main.ot.sparkplug"
GROUP = "plant-a"
D = spb.DataType

COLUMNS = [
    '{ name = "group_id", type = "string", from = "$.group" }',
    '{ name = "edge_node", type = "string", from = "$.edge_node" }',
    '{ name = "device", type = "string", from = "$.device", optional = true }',
    '{ name = "message_type", type = "string", from = "$.message_type" }',
    '{ name = "metric", type = "string", from = "$.name", optional = true }',
    '{ name = "alias", type = "bigint", from = "$.alias", optional = true }',
    '{ name = "datatype", type = "string", from = "$.datatype", optional = true }',
    '{ name = "value_double", type = "double", from = "$.double_value", optional = true }',
    '{ name = "value_long", type = "bigint", from = "$.long_value", optional = true }',
    '{ name = "value_bool", type = "boolean", from = "$.boolean_value", optional = true }',
    '{ name = "value_string", type = "string", from = "$.string_value", optional = true }',
    '{ name = "value_text", type = "string", from = "$.value", optional = true }',
    '{ name = "is_null", type = "boolean", from = "$.is_null", optional = true }',
    '{ name = "event_time", type = "timestamp", from = "$.timestamp", default = "received_at" }',
    '{ name = "seq", type = "bigint", from = "$.seq", optional = true }',
    '{ name = "record_id", type = "string", from = "record_id" }',
]

# name → (datatype, alias); the same shape for the node and each device.
NODE_METRICS = {"Counter": (D.INT32, 1), "Temperature": (D.DOUBLE, 2), "Running": (D.BOOLEAN, 3),
                "State": (D.STRING, 4), "BigCounter": (D.UINT64, 5), "Offset": (D.INT8, 6), "Ratio": (D.FLOAT, 7)}
DEVICE_METRICS = {"Pressure": (D.DOUBLE, 10), "Cycles": (D.INT64, 11), "Alarm": (D.BOOLEAN, 12),
                  "Recipe": (D.STRING, 13), "Level": (D.FLOAT, 14), "Stamp": (D.DATETIME, 15)}


def sparkplug_table(**options) -> list[TableSpec]:
    return [TableSpec(TABLE, ["spBv1.0/#"], COLUMNS, {"format": "sparkplug_b", **options})]


def now_ms() -> int:
    return int(time.time() * 1000)


def random_value(datatype, rng: random.Random):
    if datatype == D.INT32:
        return rng.randint(-2**31, 2**31 - 1)
    if datatype == D.INT64:
        return rng.randint(-2**63, 2**63 - 1)
    if datatype == D.INT8:
        return rng.randint(-128, 127)
    if datatype == D.UINT64:
        return rng.randint(0, 2**64 - 1)
    if datatype == D.DOUBLE:
        return rng.uniform(-1e6, 1e6)
    if datatype == D.FLOAT:
        return rng.choice([0.1, 21.5, -3.25, 1e-3, 12345.678])
    if datatype == D.BOOLEAN:
        return rng.random() < 0.5
    if datatype == D.STRING:
        return rng.choice(["RUNNING", "STOPPED", "ümlaut ✓", "", "a,b;\"c\""])
    if datatype == D.DATETIME:
        import datetime
        return datetime.datetime.fromtimestamp(rng.randint(1_600_000_000_000, 1_800_000_000_000) / 1000,
                                               tz=datetime.timezone.utc)
    raise AssertionError(datatype)


def expected_columns(datatype, value) -> dict:
    """The typed columns of a metric's row, as the emulator's JSON shows them (int64 as strings)."""
    if value is None:
        return {"value_double": None, "value_long": None, "value_bool": None, "value_string": None}
    if datatype in (D.INT8, D.INT32, D.INT64):
        return {"value_long": str(value), "value_double": float(value)}
    if datatype == D.UINT64:
        if value > 2**63 - 1:
            return {"value_long": None, "value_double": float(value), "value_text": str(value)}
        return {"value_long": str(value), "value_double": float(value)}
    if datatype == D.DATETIME:
        ms = int(value.timestamp() * 1000)
        return {"value_long": str(ms), "value_double": float(ms)}
    if datatype in (D.DOUBLE, D.FLOAT):
        return {"value_double": value}
    if datatype == D.BOOLEAN:
        return {"value_bool": value}
    return {"value_string": value, "value_text": value}


def close(a, b) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isclose(a, b, rel_tol=1e-15))


def check_row(row: dict, want: dict) -> None:
    for key, value in want.items():
        got = row.get(key)
        assert close(got, value), f"{key}: expected {value!r}, got {got!r} in {row}"


class EdgeNodePublisher:
    """Sparkplug messages encoded by pysparkplug, published at QoS 1 and PUBACKed, in order."""

    def __init__(self, stack, node: str):
        self.publisher = Publisher(stack.broker)
        self.node = node
        self.seq = itertools.cycle(range(256))
        self.clock = 0
        self.sent: list[dict] = []  # one expected row per metric

    def tick(self) -> int:
        """A payload timestamp later than the previous one by more than a message's metrics
        (each metric of a DATA message is stamped ts - i), so every reading has its own time."""
        self.clock = max(now_ms(), self.clock + 50)
        return self.clock

    def topic(self, message_type, device=None) -> str:
        return str(spb.Topic(message_type=message_type, group_id=GROUP, edge_node_id=self.node, device_id=device))

    def birth(self, metrics: dict, values: dict, device=None, bd_seq=None) -> None:
        ts = self.tick()
        pb = [spb.Metric(timestamp=ts, name=name, datatype=datatype, value=values[name], alias=alias)
              for name, (datatype, alias) in metrics.items()]
        if bd_seq is not None:
            pb.append(spb.Metric(timestamp=ts, name="bdSeq", datatype=D.INT64, value=bd_seq))
        if device is None:
            payload, message_type = spb.NBirth(timestamp=ts, seq=next(self.seq), metrics=tuple(pb)), spb.MessageType.NBIRTH
        else:
            payload, message_type = spb.DBirth(timestamp=ts, seq=next(self.seq), metrics=tuple(pb)), spb.MessageType.DBIRTH
        self.publisher.publish_raw(self.topic(message_type, device), payload.encode())
        for metric in pb:
            self.expect(message_type, device, metric.name, metric.datatype, metric.value, ts, metric.alias)

    def data_by_alias(self, metrics: dict, values: dict, device=None) -> None:
        """A DATA message whose metrics carry only alias, value and timestamp (no name, no datatype)."""
        ts = self.tick()
        pb = tuple(spb.Metric(timestamp=ts - i, name=None, datatype=metrics[name][0], value=value, alias=metrics[name][1])
                   for i, (name, value) in enumerate(values.items()))
        cls, message_type = (spb.NData, spb.MessageType.NDATA) if device is None else (spb.DData, spb.MessageType.DDATA)
        self.publisher.publish_raw(self.topic(message_type, device),
                                   cls(timestamp=ts, seq=next(self.seq), metrics=pb).encode(include_dtypes=False))
        for i, (name, value) in enumerate(values.items()):
            self.expect(message_type, device, name, metrics[name][0], value, ts - i, metrics[name][1])

    def death(self, bd_seq: int) -> None:
        ts = self.tick()
        payload = spb.NDeath(timestamp=ts, bd_seq_metric=spb.Metric(timestamp=ts, name="bdSeq", datatype=D.INT64, value=bd_seq))
        self.publisher.publish_raw(self.topic(spb.MessageType.NDEATH), payload.encode())
        self.expect(spb.MessageType.NDEATH, None, "bdSeq", D.INT64, bd_seq, ts, None)

    def expect(self, message_type, device, name, datatype, value, ts, alias) -> None:
        row = {"group_id": GROUP, "edge_node": self.node, "device": device, "message_type": str(message_type),
               "metric": name, "datatype": datatype.name.title().replace("Uint", "UInt").replace("Datetime", "DateTime"),
               "alias": None if alias is None else str(alias), "event_time": str(ts * 1000)}
        row.update(expected_columns(datatype, value))
        self.sent.append(row)


def rows_by_metric(rows: list[dict]) -> dict:
    """Rows keyed by (message type, device, metric, event time): each metric reading once."""
    keyed = {}
    for row in rows:
        key = (row["message_type"], row.get("device"), row.get("metric"), row["event_time"])
        assert key not in keyed, f"two rows for {key}"
        keyed[key] = row
    return keyed


def compare(sent: list[dict], rows: list[dict]) -> None:
    keyed = rows_by_metric(rows)
    assert len(rows) == len(sent), f"{len(rows)} rows for {len(sent)} metrics"
    for want in sent:
        key = (want["message_type"], want["device"], want["metric"], want["event_time"])
        assert key in keyed, f"no row for {key}"
        check_row(keyed[key], want)
    assert len({row["record_id"] for row in rows}) == len(rows)


def test_alias_only_data_is_read_across_a_restart_and_a_rebirth(stack):
    stack.configure(tables=sparkplug_table())
    agent = stack.agent().start()
    rng = random.Random(7)
    edge = EdgeNodePublisher(stack, "edge-1")
    devices = ["press-1", "press-2"]
    edge.birth(NODE_METRICS, {n: random_value(t, rng) for n, (t, _) in NODE_METRICS.items()}, bd_seq=0)
    for device in devices:
        edge.birth(DEVICE_METRICS, {n: random_value(t, rng) for n, (t, _) in DEVICE_METRICS.items()}, device=device)
    births = len(edge.sent)
    wait_for(lambda: len(reading_rows(stack.emulator, TABLE)) >= births, 30, "BIRTH rows", stack.diagnostics)

    # The aliases were stored with the BIRTHs: a new agent process reads the DATA that follows.
    assert agent.stop() == 0
    agent = stack.agent().start()
    for _ in range(40):
        edge.data_by_alias(NODE_METRICS, {n: random_value(t, rng) for n, (t, _) in rng.sample(sorted(NODE_METRICS.items()), 4)})
        for device in devices:
            edge.data_by_alias(DEVICE_METRICS, {n: random_value(t, rng) for n, (t, _) in DEVICE_METRICS.items()}, device=device)
    # A null metric, then the node dies and is born again with other aliases.
    edge.data_by_alias(NODE_METRICS, {"Counter": None})
    edge.death(bd_seq=0)
    reborn = {name: (datatype, alias + 100) for name, (datatype, alias) in NODE_METRICS.items()}
    edge.birth(reborn, {n: random_value(t, rng) for n, (t, _) in reborn.items()}, bd_seq=1)
    for _ in range(10):
        edge.data_by_alias(reborn, {n: random_value(t, rng) for n, (t, _) in reborn.items()})

    wait_for(lambda: len(reading_rows(stack.emulator, TABLE)) >= len(edge.sent), 60, "every metric's row",
             stack.diagnostics)
    compare(edge.sent, reading_rows(stack.emulator, TABLE))
    assert agent.quarantine() == []


def test_unknown_aliases_malformed_bytes_and_bad_topics_are_quarantined_and_data_keeps_flowing(stack):
    stack.configure(tables=sparkplug_table(sparkplug_death="ignore"))
    agent = stack.agent().start()
    rng = random.Random(11)
    edge = EdgeNodePublisher(stack, "edge-2")
    edge.birth(NODE_METRICS, {n: random_value(t, rng) for n, (t, _) in NODE_METRICS.items()})
    ts = now_ms()
    unknown = spb.NData(timestamp=ts, seq=1, metrics=(
        spb.Metric(timestamp=ts, name=None, datatype=D.INT32, value=5, alias=1),
        spb.Metric(timestamp=ts, name=None, datatype=D.INT32, value=5, alias=99),
    )).encode()
    poison = {
        "unknown alias": (edge.topic(spb.MessageType.NDATA), unknown),
        "malformed": (edge.topic(spb.MessageType.NDATA), b"\x12\x05\x0a"),
        "json": (edge.topic(spb.MessageType.NDATA), b'{"value": 1}'),
        "bad topic": (f"spBv1.0/{GROUP}/NDATA", unknown),
        "no device level": (f"spBv1.0/{GROUP}/DDATA/edge-2", unknown),
        "DATA before its DBIRTH": (edge.topic(spb.MessageType.DDATA, "never-born"), unknown),
    }
    for i in range(20):
        edge.data_by_alias(NODE_METRICS, {"Counter": i, "State": f"s{i}"})
        if i < len(poison):
            topic, payload = list(poison.values())[i]
            edge.publisher.publish_raw(topic, payload)
    # Not edge data: no row and no quarantine entry. Deaths are ignored by this table.
    edge.publisher.publish_raw("spBv1.0/STATE/scada-host", b'{"online": true, "timestamp": 1}')
    edge.publisher.publish_raw(edge.topic(spb.MessageType.NDEATH),
                               spb.NDeath(timestamp=ts, bd_seq_metric=spb.Metric(timestamp=ts, name="bdSeq", datatype=D.INT64, value=0)).encode())
    edge.data_by_alias(NODE_METRICS, {"Counter": 1000})

    wait_for(lambda: len(reading_rows(stack.emulator, TABLE)) >= len(edge.sent), 60, "valid rows", stack.diagnostics)
    compare(edge.sent, reading_rows(stack.emulator, TABLE))
    entries = wait_for(lambda: len(q := agent.quarantine()) >= len(poison) and q, 15, "quarantine entries",
                       stack.diagnostics)
    assert len(entries) == len(poison), entries
    reasons = [e["reason"] for e in entries]
    print("\n".join(reasons))
    assert all(e["kind"] == "unmappable" and e["table"] == TABLE for e in entries)
    assert reasons[0] == "NDATA metric 2 of 2: unknown alias 99: is not declared by the NBIRTH for plant-a/edge-2"
    assert reasons[1].startswith("malformed Sparkplug B payload: field of 5 bytes runs past the end")
    assert reasons[2].startswith("malformed Sparkplug B payload")
    assert reasons[3].startswith("not a Sparkplug B topic: spBv1.0/plant-a/NDATA:")
    assert reasons[4] == "not a Sparkplug B topic: spBv1.0/plant-a/DDATA/edge-2: DDATA topics have 5 levels, this one has 4"
    assert reasons[5] == ("DDATA metric 1 of 2: unknown alias 1: cannot be resolved: no DBIRTH seen for "
                          "plant-a/edge-2/never-born")
    listed = agent.cli("quarantine", "list")
    assert listed.returncode == 0 and "unknown alias 99" in listed.stdout, listed.stdout + listed.stderr
    assert agent.running

    # The device's DBIRTH arrives late: a retry maps its DATA with the stored aliases (done by the
    # running agent); the other entries still fail, with the same reasons.
    late = {"A": (D.INT32, 1), "B": (D.INT32, 99)}
    edge.birth(late, {"A": 0, "B": 0}, device="never-born")
    retried = agent.cli("quarantine", "retry")
    assert retried.returncode == 0 and retried.stdout.strip() == "requeued 1, still failing 5", \
        retried.stdout + retried.stderr
    for name, (datatype, alias) in late.items():
        edge.expect(spb.MessageType.DDATA, "never-born", name, datatype, 5, ts, alias)
    wait_for(lambda: len(reading_rows(stack.emulator, TABLE)) >= len(edge.sent), 30, "the retried DDATA's rows",
             stack.diagnostics)
    compare(edge.sent, reading_rows(stack.emulator, TABLE))
    assert sorted(e["reason"] for e in agent.quarantine()) == sorted(reasons[:5])


def test_device_death_makes_a_row_without_a_metric(stack):
    stack.configure(tables=sparkplug_table(sparkplug_death="row"))
    stack.agent().start()
    edge = EdgeNodePublisher(stack, "edge-3")
    edge.publisher.publish_raw(edge.topic(spb.MessageType.DDEATH, "press-9"), spb.DDeath(timestamp=now_ms(), seq=4).encode())
    rows = wait_for(lambda: (r := reading_rows(stack.emulator, TABLE)) and r, 30, "DDEATH row", stack.diagnostics)
    assert len(rows) == 1
    check_row(rows[0], {"message_type": "DDEATH", "device": "press-9", "metric": None, "seq": "4", "value_text": None})
