"""A clean run: 100k readings over 3 topics into 2 tables (one on 2 parallel streams), all
delivered once with their values."""

import time

from agent_stack import Publisher, TableSpec, wait_for
from conftest import READINGS, assert_complete, reading_rows

POWER = "main.iot.power"
TOPICS = ["sensors/dev1/temp", "sensors/dev2/humidity", "plant/line7/power"]
TOTAL = 100_000


def test_100k_readings_three_topics_two_tables(stack):
    stack.configure(tables=[TableSpec(READINGS, ["sensors/+/+"]), TableSpec(POWER, ["plant/+/+"], options={"streams": 2})])
    agent = stack.agent().start()
    publisher = Publisher(stack.broker)
    began = time.monotonic()
    ids = publisher.publish(TOTAL, topic=lambda i: TOPICS[i % 3])
    published_s = time.monotonic() - began
    wait_for(lambda: len(stack.emulator.records()) >= TOTAL, 180, f"{TOTAL} records acked", stack.diagnostics)
    delivered_s = time.monotonic() - began
    print(f"published {TOTAL} in {published_s:.1f}s, all acked after {delivered_s:.1f}s")

    readings, power = reading_rows(stack.emulator, READINGS), reading_rows(stack.emulator, POWER)
    assert len(readings) + len(power) == TOTAL, "records beyond the published readings (duplicates or strays)"
    expected_power = [i for n, i in enumerate(ids) if n % 3 == 2]
    assert_complete(power, expected_power, exactly_once=True)
    assert_complete(readings, [i for n, i in enumerate(ids) if n % 3 != 2], exactly_once=True)
    for row in readings + power:
        seq = int(row["seq"])
        topic = TOPICS[seq % 3].split("/")
        assert row["reading_id"] == f"r-{seq}"
        assert row["value"] == seq * 0.5, row
        assert (row["device_id"], row["metric"]) == (topic[1], topic[2]), row
        assert row["gateway_id"] == "gw-test"
    assert len({row["record_id"] for row in readings + power}) == TOTAL

    # The health figures agree with what the cloud got, and the ring is empty.
    def settled():
        health = agent.status()
        return health if health["buffer"]["rows"] == 0 and sum(t["acked_total"] for t in health["tables"]) == TOTAL else None
    health = wait_for(settled, 15, "status shows an empty ring and every row acked", stack.diagnostics)
    assert health["mqtt"]["messages_total"] == TOTAL
    assert health["buffer"]["dropped_total"] == 0 and health["buffer"]["quarantined_total"] == 0
    assert {t["name"] for t in health["tables"]} == {READINGS, POWER}
    publisher.close()
    assert agent.stop() == 0, agent.log_tail()
