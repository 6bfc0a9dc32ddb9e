"""A real 2-minute cloud outage (the emulator process is gone) while readings arrive at 500/s."""

import json
import threading
import time

import paho.mqtt.client as mqtt

from agent_stack import Publisher, wait_for
from conftest import READINGS, assert_complete, reading_rows

RATE = 500
OUTAGE_S = 120
HEALTH_TABLE = "main.ops.agent_health"


def retained_status(broker, topic: str) -> dict:
    """The retained message on `topic`, read by a fresh subscriber."""
    got = {}
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"status-reader-{time.time_ns()}")
    client.on_message = lambda c, u, m: got.setdefault("doc", json.loads(m.payload))
    client.connect("127.0.0.1", broker.port)
    client.subscribe(topic, qos=1)
    client.loop_start()
    try:
        return wait_for(lambda: got.get("doc"), 10, f"retained message on {topic}")
    finally:
        client.loop_stop()
        client.disconnect()


def test_two_minute_outage_loses_nothing_and_reports_offline(stack):
    stack.configure(sections={"health": {"table": HEALTH_TABLE}})
    agent = stack.agent().start()
    publisher = Publisher(stack.broker)
    total = RATE * (OUTAGE_S + 25)
    ids: list[str] = []
    thread = threading.Thread(target=lambda: ids.extend(publisher.publish(total, rate=RATE, timeout=OUTAGE_S + 90)))
    thread.start()
    wait_for(lambda: len(stack.emulator.records()) >= 2 * RATE, 30, "first readings acked", stack.diagnostics)

    stack.emulator.stop()
    outage_began = time.monotonic()
    offline = wait_for(lambda: (s := agent.status())["state"] == "offline" and s, 90, "status offline",
                       stack.diagnostics, interval=1)
    assert not offline["zerobus"]["connected"]
    assert offline["zerobus"]["offline_for_s"] >= 60
    assert offline["zerobus"]["last_error"], offline
    assert offline["mqtt"]["connected"] and offline["mqtt"]["messages_total"] > 30 * RATE
    assert offline["buffer"]["rows"] >= 50 * RATE, offline  # a minute of readings waits in the ring
    assert offline["buffer"]["oldest_age_s"] >= 55, offline
    tables = {t["name"]: t for t in offline["tables"]}
    assert tables[READINGS]["rows"] + tables[HEALTH_TABLE]["rows"] == offline["buffer"]["rows"]
    # The outage is on record while it lasts: begun, not ended, growing.
    [ongoing] = offline["outages"]
    assert ongoing["end"] is None and ongoing["duration_s"] >= 55, ongoing
    assert ongoing["rows_buffered"] >= 50 * RATE and ongoing["rows_dropped"] == 0, ongoing

    # The health listener and the status topic keep answering while the cloud is away.
    status, body = agent.http_get("/healthz")
    assert status == 200 and json.loads(body)["state"] == "offline"
    status, _ = agent.http_get("/readyz")
    assert status == 503, "ready although nothing drains"
    status, metrics = agent.http_get("/metrics")
    assert status == 200
    rows_gauge = [line for line in metrics.splitlines() if line.startswith("zerobus_edge_buffer_rows")]
    assert rows_gauge and float(rows_gauge[0].split()[-1]) > 0, metrics[:2000]
    assert retained_status(stack.broker, "zerobus-edge/gw-test/status")["state"] == "offline"
    summary = agent.cli("status")
    assert summary.returncode == 0 and "offline" in summary.stdout, summary.stdout + summary.stderr

    time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - outage_began)))  # the outage's length, not a sync
    stack.emulator.start()
    restored = time.monotonic()
    thread.join(OUTAGE_S + 120)
    assert not thread.is_alive() and len(ids) == total
    wait_for(lambda: len({r["reading_id"] for r in reading_rows(stack.emulator)}) >= total, 120,
             "every reading acked after the outage", stack.diagnostics, interval=0.5)
    drained = wait_for(lambda: (s := agent.status())["buffer"]["rows"] == 0 and s["state"] == "online" and s,
                       60, "ring drained and state online", stack.diagnostics, interval=0.5)
    print(f"backlog at offline: {offline['buffer']['rows']} rows; everything acked "
          f"{time.monotonic() - restored:.1f}s after the cloud returned")
    assert_complete(reading_rows(stack.emulator), ids, exactly_once=False)
    assert drained["buffer"]["dropped_total"] == 0
    assert drained["zerobus"]["reconnects_total"] >= 1
    # Ended, with its length and what it cost, and still remembered after a restart.
    [outage] = drained["outages"]
    assert outage["end"] is not None and OUTAGE_S - 5 <= outage["duration_s"] <= OUTAGE_S + 15, outage
    # Rows taken in meanwhile: the readings (±1 health interval at each end) and the health rows
    # (two tables, one row each per second).
    assert abs(outage["rows_buffered"] - (RATE + 2) * outage["duration_s"]) <= 3 * RATE, outage
    assert outage["rows_dropped"] == 0
    summary = agent.cli("status").stdout
    assert "Outages:" in summary and "rows buffered, 0 dropped" in summary, summary
    # health.table rows were buffered like data: the outage itself reached the cloud.
    health_rows = wait_for(lambda: [r["record"] for r in stack.emulator.records(HEALTH_TABLE)
                                    if r["record"]["state"] == "offline"], 30, "offline health rows delivered")
    assert max(int(r["offline_for_s"]) for r in health_rows) >= 60
    assert max(int(r["backlog_rows"]) for r in health_rows) >= 50 * RATE
    assert all(r["gateway_id"] == "gw-test" and not r["zerobus_connected"] for r in health_rows)
    publisher.close()
    assert agent.stop() == 0
    restarted = stack.agent().start()
    wait_for(lambda: (h := restarted.health()) and h["outages"] and h["outages"][-1]["start"] == outage["start"]
             and h["outages"][-1]["end"] == outage["end"] and h, 30, "the outage remembered across a restart",
             stack.diagnostics)
    assert restarted.stop() == 0
