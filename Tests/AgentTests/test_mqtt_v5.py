"""MQTT v5 end to end (mqtt.protocol = "v5"): properties mapped into columns, two agents on one
shared subscription, kill -9 of a group member mid-burst, and message expiry at the broker."""

import math
import os
import threading
import time
from collections import Counter

from agent_stack import READING_COLUMNS, Agent, Publisher, TableSpec, wait_for, write_config
from conftest import READINGS, assert_complete, reading_rows

V5 = {"mqtt": {"protocol": "v5"}}
SHARED = "$share/edge/sensors/+/+"
PROPERTY_COLUMNS = READING_COLUMNS + [
    '{ name = "content_type", type = "string", from = "mqtt.content_type", optional = true }',
    '{ name = "site", type = "string", from = "mqtt.user_property.site", optional = true }',
    '{ name = "line", type = "int", from = "mqtt.user_property.line", optional = true }',
    '{ name = "reply_to", type = "string", from = "mqtt.response_topic", optional = true }',
    '{ name = "expiry_s", type = "bigint", from = "mqtt.message_expiry_s", optional = true }',
]


class V5Publisher:
    """paho-mqtt speaking MQTT v5, QoS 1, one message at a time with its PUBLISH properties."""

    def __init__(self, broker):
        import paho.mqtt.client as mqtt
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"v5pub-{os.getpid()}-{time.time_ns()}",
                                  protocol=mqtt.MQTTv5)
        self.client.connect("127.0.0.1", broker.port, keepalive=30)
        self.client.loop_start()

    def publish(self, topic: str, payload: str, *, content_type=None, user_properties=(), response_topic=None,
                expiry_s=None) -> None:
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties
        properties = Properties(PacketTypes.PUBLISH)
        if content_type is not None:
            properties.ContentType = content_type
        if user_properties:
            properties.UserProperty = list(user_properties)
        if response_topic is not None:
            properties.ResponseTopic = response_topic
        if expiry_s is not None:
            properties.MessageExpiryInterval = expiry_s
        info = self.client.publish(topic, payload, qos=1, properties=properties)
        info.wait_for_publish(30)
        assert info.is_published(), "broker did not PUBACK"

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def reading(reading_id: str, seq: int) -> str:
    return f'{{"id": "{reading_id}", "seq": {seq}, "value": {seq * 0.5}}}'


def rows_by_id(stack) -> dict[str, dict]:
    return {row["reading_id"]: row for row in reading_rows(stack.emulator)}


def wait_for_rows(stack, done, what: str, timeout: float = 30) -> dict[str, dict]:
    """The acked rows by reading id, once `done(rows)` holds."""
    def check():
        rows = rows_by_id(stack)
        return rows if done(rows) else None
    return wait_for(check, timeout, what, stack.diagnostics)


def test_v5_properties_fill_columns(stack):
    stack.configure(tables=[TableSpec(READINGS, ["sensors/+/+"], PROPERTY_COLUMNS)], sections=V5)
    agent = stack.agent().start()
    publisher = V5Publisher(stack.broker)
    for i in range(20):
        publisher.publish(f"sensors/dev{i % 2}/temp", reading(f"p-{i}", i), content_type="application/json",
                          user_properties=[("site", f"site-{i % 3}"), ("line", str(i)), ("site", "ignored")],
                          response_topic=f"replies/{i}", expiry_s=3600)
    publisher.publish("sensors/dev9/temp", reading("bare", 99))  # a v5 message without properties
    publisher.close()
    plain = Publisher(stack.broker).publish(1, prefix="v311")  # and one from a 3.1.1 publisher
    rows = wait_for_rows(stack, lambda r: len(r) >= 22, "22 readings acked")

    for i in range(20):
        row = rows[f"p-{i}"]
        assert row["content_type"] == "application/json", row
        assert row["site"] == f"site-{i % 3}", row  # the first "site" property, not the repeated one
        assert row["line"] == i and row["reply_to"] == f"replies/{i}", row
        # What was left of the hour when the broker forwarded it (int64 is a JSON string here).
        assert 3500 <= int(row["expiry_s"]) <= 3600, row
    for reading_id in ["bare", plain[0]]:
        absent = {key: rows[reading_id].get(key) for key in ["content_type", "site", "line", "reply_to", "expiry_s"]}
        assert set(absent.values()) == {None}, absent
    assert agent.stop() == 0


def group_member(stack, name: str) -> Agent:
    """An agent of its own (data dir, client id, health port, log) in the shared group."""
    config = write_config(stack.work / f"agent-{name}.toml", data_dir=stack.work / f"data-{name}",
                          broker=stack.broker, emulator=stack.emulator, gateway_id=f"gw-{name}",
                          tables=[TableSpec(READINGS, [SHARED])], sections=V5)
    agent = Agent(config, stack.work / f"agent-{name}.log")
    stack.agents.append(agent)
    return agent


def by_gateway(rows) -> Counter:
    return Counter(row["gateway_id"] for row in rows)


def test_two_agents_share_one_subscription_exactly_once(stack):
    first, second = group_member(stack, "a").start(), group_member(stack, "b").start()
    publisher = Publisher(stack.broker)
    total = 2000
    ids = publisher.publish(total, rate=2000, topic=lambda i: f"sensors/dev{i % 5}/temp")
    wait_for(lambda: len(reading_rows(stack.emulator)) >= total, 60, "every reading acked", stack.diagnostics)
    for agent in (first, second):
        wait_for(lambda: agent.status()["buffer"]["rows"] == 0, 30, "both rings empty", stack.diagnostics)
    rows = reading_rows(stack.emulator)
    assert_complete(rows, ids, exactly_once=True)
    assert len(rows) == total
    shares = by_gateway(rows)
    print(f"shared subscription: {dict(shares)}")
    assert shares["gw-a"] > 0 and shares["gw-b"] > 0, shares
    publisher.close()
    assert first.stop() == 0 and second.stop() == 0


def test_kill9_of_a_group_member_mid_burst_loses_nothing(stack):
    """mosquitto 2.0 keeps handing the killed member its round-robin share (queued in its
    persistent session) and redelivers its unacknowledged messages to *it* when it returns."""
    first, second = group_member(stack, "a").start(), group_member(stack, "b").start()
    publisher = Publisher(stack.broker)
    total = 20_000
    ids: list[str] = []
    thread = threading.Thread(target=lambda: ids.extend(
        publisher.publish(total, rate=4000, topic=lambda i: f"sensors/dev{i % 5}/temp")))
    thread.start()
    wait_for(lambda: by_gateway(reading_rows(stack.emulator))["gw-a"] >= 2000, 30, "burst under way at agent a",
             stack.diagnostics)
    assert thread.is_alive(), "the burst ended before the kill: the test would not test anything"
    assert first.kill9() == -9
    killed_at = len(reading_rows(stack.emulator))

    restarted = first.start()
    thread.join(90)
    assert not thread.is_alive() and len(ids) == total
    wait_for(lambda: len({r["reading_id"] for r in reading_rows(stack.emulator)}) >= total, 90,
             "every reading acked after the restart", stack.diagnostics)
    for agent in (restarted, second):
        wait_for(lambda: agent.status()["buffer"]["rows"] == 0, 30, "both rings empty", stack.diagnostics)
    rows = reading_rows(stack.emulator)
    assert_complete(rows, ids, exactly_once=False)
    duplicates = Counter(r["reading_id"] for r in rows)
    duplicated = {reading_id: n for reading_id, n in duplicates.items() if n > 1}
    # Only the crash can cause duplicates: every duplicated reading went through agent a.
    crash_side = {r["reading_id"] for r in rows if r["gateway_id"] == "gw-a"}
    assert set(duplicated) <= crash_side, "a duplicate not explained by the crash of agent a"
    print(f"killed agent a after {killed_at} acked records; {len(rows) - total} duplicates "
          f"({len(duplicated)} readings), shares {dict(by_gateway(rows))}")
    publisher.close()
    assert restarted.stop() == 0 and second.stop() == 0


def wait_until_expired(published_at: float, interval_s: int) -> None:
    """mosquitto keeps `expiry = now_s + interval` in whole seconds and drops a message once
    `now_s > expiry`, so it has certainly expired at floor(PUBACK time) + interval + 1 s."""
    expired_at = math.floor(published_at) + interval_s + 1.2
    wait_for(lambda: time.time() >= expired_at, interval_s + 5, "the short expiry interval has passed")


def test_broker_drops_messages_that_expire_while_the_agent_is_down(stack):
    stack.configure(tables=[TableSpec(READINGS, ["sensors/+/+"], PROPERTY_COLUMNS)], sections=V5)
    agent = stack.agent().start()
    assert agent.stop() == 0  # clean DISCONNECT: the v5 session (session expiry) stays at the broker

    publisher = V5Publisher(stack.broker)
    publisher.publish("sensors/dev1/temp", reading("short-lived", 1), expiry_s=1)
    published_at = time.time()
    publisher.publish("sensors/dev1/temp", reading("long-lived", 2), expiry_s=3600)
    publisher.publish("sensors/dev1/temp", reading("no-expiry", 3))
    publisher.close()
    wait_until_expired(published_at, 1)

    restarted = stack.agent().start(wait_subscribed=False)
    rows = wait_for_rows(stack, lambda r: "no-expiry" in r, "the last queued reading acked")
    # The broker delivers a session's queue in order: once the last one is here, the first
    # would be too had the broker not dropped it.
    assert "short-lived" not in rows, rows.get("short-lived")
    assert 3500 <= int(rows["long-lived"]["expiry_s"]) <= 3600, rows["long-lived"]
    assert rows["no-expiry"].get("expiry_s") is None
    assert restarted.stop() == 0


def test_a_taken_message_is_delivered_after_its_expiry(stack):
    """Expiry is the broker's business: once the agent PUBACKed a message it is in the ring and
    reaches the cloud however long that takes."""
    stack.configure(tables=[TableSpec(READINGS, ["sensors/+/+"], PROPERTY_COLUMNS)], sections=V5)
    agent = stack.agent().start()
    stack.emulator.stop()  # the cloud is away: the reading can only wait in the ring
    publisher = V5Publisher(stack.broker)
    publisher.publish("sensors/dev1/temp", reading("taken", 1), expiry_s=1)
    published_at = time.time()
    publisher.close()
    wait_for(lambda: agent.status()["buffer"]["rows"] >= 1, 30, "the reading buffered", stack.diagnostics)
    wait_until_expired(published_at, 1)
    assert "taken" not in rows_by_id(stack)
    stack.emulator.start()
    rows = wait_for_rows(stack, lambda r: "taken" in r, "the expired reading acked")
    assert int(rows["taken"]["expiry_s"]) <= 1
    assert agent.stop() == 0
