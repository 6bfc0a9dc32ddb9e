"""Live data first after an outage (`drain`): a 2-minute outage at 500 readings/s, then the cloud
returns over a slow uplink (the emulator's `max_records_per_s`), and live readings are published
while the 60,000-row backlog drains.

live_first: live readings arrive within seconds, long before the backlog is done, and health
shows the drain's progress and ETA. fifo: they arrive only after the whole backlog. Nothing is
lost in either mode.
"""

import json
import threading
import time

import pytest

from agent_stack import Publisher, TableSpec, wait_for
from conftest import READINGS, assert_complete

RATE = 500
OUTAGE_S = 120
BACKLOG = RATE * OUTAGE_S
LIVE = RATE * 10
UPLINK_RECORDS_PER_S = 3000


class Arrivals:
    """The emulator's --out file read incrementally: when (monotonic, at poll granularity) and
    at which line each reading first arrived. Cheap enough to poll every 50 ms on 60k rows."""

    def __init__(self, path):
        self.path = path
        self.offset = 0
        self.lines = 0
        self.first: dict[str, tuple[int, float]] = {}
        self.rows: list[dict] = []

    def poll(self) -> "Arrivals":
        if not self.path.exists():
            return self
        now = time.monotonic()
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        complete = data[:data.rfind(b"\n") + 1]
        self.offset += len(complete)
        for line in complete.splitlines():
            entry = json.loads(line)
            if entry["table"] != READINGS:
                continue
            record = entry["record"]
            self.rows.append(record)
            self.first.setdefault(record["reading_id"], (self.lines, now))
            self.lines += 1
        return self

    def have(self, ids) -> bool:
        self.poll()
        return all(i in self.first for i in ids)


def backlog_of(status: dict) -> dict | None:
    return next(t for t in status["tables"] if t["name"] == READINGS).get("backlog")


def warmed_up(stack, options: dict, warm_rows: int = 500, sections: dict | None = None):
    """An agent on one table with `options`, its first `warm_rows` readings acked: returns the
    agent, a publisher and the emulator's arrivals."""
    stack.configure(tables=[TableSpec(READINGS, ["sensors/+/+"], options=options)], sections=sections or {})
    agent = stack.agent().start()
    publisher = Publisher(stack.broker)
    arrivals = Arrivals(stack.emulator.out)
    warm = publisher.publish(warm_rows, rate=RATE, prefix="warm")
    wait_for(lambda: arrivals.have(warm), 30, "warm-up readings acked", stack.diagnostics)
    return agent, publisher, arrivals, warm


@pytest.mark.parametrize("drain", ["live_first", "fifo"])
def test_live_readings_after_an_outage(stack, drain):
    # live_first also caps the backfill below the uplink, which leaves room for the live rows
    # and makes the drain last ~30 s; fifo has no live lane to protect.
    options = {"drain": drain, "linger_ms": 100}
    if drain == "live_first":
        options["backfill_max_rows_per_s"] = 2000
    agent, publisher, arrivals, warm = warmed_up(stack, options, warm_rows=1000)

    stack.emulator.stop()
    backlog = publisher.publish(BACKLOG, rate=RATE, prefix="backlog", timeout=OUTAGE_S + 60)  # the outage
    wait_for(lambda: agent.status()["buffer"]["rows"] >= BACKLOG, 30, "backlog buffered", stack.diagnostics)

    stack.emulator.extra_args = ["--fault", f"max_records_per_s={UPLINK_RECORDS_PER_S}"]
    stack.emulator.start()
    returned = time.monotonic()
    draining = wait_for(lambda: backlog_of(agent.status()), 30, "drain started", stack.diagnostics, interval=0.2)
    # The rows the stream had in flight at the outage are resent at once, before the drain is
    # sized: a few batches may be acked already.
    assert BACKLOG * 0.95 <= draining["initial_rows"] <= BACKLOG + 1000, draining

    live: list[str] = []
    live_began = time.monotonic()
    thread = threading.Thread(target=lambda: live.extend(publisher.publish(LIVE, rate=RATE, prefix="live")))
    thread.start()
    first_second = [f"live-{i}" for i in range(RATE)]

    if drain == "live_first":
        wait_for(lambda: arrivals.have(first_second), 8, "the first second of live readings acked",
                 stack.diagnostics)
        latest = max(arrivals.first[i][1] for i in first_second)
        assert sum(1 for i in backlog if i in arrivals.first) < BACKLOG, "the backlog was already done"
        progress = wait_for(lambda: (b := backlog_of(agent.status())) and b["eta_s"] is not None and b, 15,
                            "drain progress with an ETA", stack.diagnostics, interval=0.5)
        assert 0 < progress["rows"] <= progress["initial_rows"] and 0 <= progress["progress"] < 1, progress
        status, metrics = agent.http_get("/metrics")
        assert status == 200 and f'zerobus_edge_table_backlog_rows{{table="{READINGS}"}}' in metrics
        assert "draining backlog:" in agent.cli("status").stdout
    else:
        wait_for(lambda: arrivals.have(first_second), 120, "the first second of live readings acked",
                 stack.diagnostics, interval=0.2)
        latest = max(arrivals.first[i][1] for i in first_second)

    thread.join(60)
    assert not thread.is_alive() and len(live) == LIVE
    wait_for(lambda: arrivals.have(warm + backlog + live), 180, "every reading acked", stack.diagnostics,
             interval=0.5)
    drained = wait_for(lambda: (s := agent.status())["buffer"]["rows"] == 0 and backlog_of(s) is None and s, 30,
                       "ring empty and the drain over", stack.diagnostics, interval=0.5)
    assert_complete(arrivals.rows, warm + backlog + live, exactly_once=False)
    assert drained["buffer"]["dropped_total"] == 0

    backlog_done = max(arrivals.first[i][1] for i in backlog)
    first_live_line = min(arrivals.first[i][0] for i in live)
    last_backlog_line = max(arrivals.first[i][0] for i in backlog)
    latencies = sorted(arrivals.first[f"live-{i}"][1] - (live_began + i / RATE) for i in range(RATE))
    print(f"{drain}: first second of live readings acked {latest - live_began:.1f}s after publishing began "
          f"(median latency {latencies[len(latencies) // 2]:.1f}s); backlog of {BACKLOG} done "
          f"{backlog_done - returned:.1f}s after the cloud returned "
          f"({BACKLOG / (backlog_done - returned):.0f} rows/s)")
    if drain == "live_first":
        # Within a few seconds, while the backlog was still being delivered.
        assert latest - live_began <= 5, latest - live_began
        assert backlog_done > latest + 5, "the backlog finished no later than the live readings"
        assert first_live_line < last_backlog_line
    else:
        # Strict order: the live readings waited for the whole backlog.
        assert first_live_line > last_backlog_line
        assert latest >= backlog_done
    publisher.close()
    assert agent.stop() == 0


def test_a_reconnect_during_the_drain_loses_nothing(stack):
    """The cloud goes away again while a capped backlog drains: the rows buffered meanwhile join
    the backlog, the batches in flight on both lanes are resent, and every reading arrives."""
    agent, publisher, arrivals, warm = warmed_up(stack, {"drain": "live_first", "backfill_max_rows_per_s": 500})

    stack.emulator.stop()
    backlog = publisher.publish(RATE * 20, rate=RATE, prefix="backlog")  # a 20 s outage
    wait_for(lambda: agent.status()["buffer"]["rows"] >= len(backlog), 30, "backlog buffered", stack.diagnostics)
    stack.emulator.start()
    first = wait_for(lambda: backlog_of(agent.status()), 30, "drain started", stack.diagnostics, interval=0.2)

    live: list[str] = []
    thread = threading.Thread(target=lambda: live.extend(publisher.publish(RATE * 12, rate=RATE, prefix="live")))
    thread.start()
    # The second outage begins once the drain has made progress, and lasts while the live
    # readings keep coming (the publisher's pace, not a sleep, sets its length).
    wait_for(lambda: (b := backlog_of(agent.status())) and b["progress"] >= 0.15, 30, "drain under way",
             stack.diagnostics, interval=0.2)
    stack.emulator.stop()
    wait_for(lambda: not agent.status()["zerobus"]["connected"], 30, "link down again", stack.diagnostics,
             interval=0.2)
    thread.join(60)
    assert not thread.is_alive() and len(live) == RATE * 12
    stack.emulator.start()
    extended = wait_for(lambda: (b := backlog_of(agent.status())) and b["initial_rows"] > first["initial_rows"] and b,
                        30, "backlog extended by the second outage", stack.diagnostics, interval=0.2)
    assert extended["rows"] > 0, extended

    everything = warm + backlog + live
    wait_for(lambda: arrivals.have(everything), 120, "every reading acked", stack.diagnostics, interval=0.5)
    drained = wait_for(lambda: (s := agent.status())["buffer"]["rows"] == 0 and backlog_of(s) is None and s, 30,
                       "ring empty and the drain over", stack.diagnostics, interval=0.5)
    assert_complete(arrivals.rows, everything, exactly_once=False)
    assert drained["buffer"]["dropped_total"] == 0
    duplicates = len(arrivals.rows) - len(everything)
    print(f"reconnect during the drain: backlog {first['initial_rows']} -> {extended['initial_rows']} rows, "
          f"{duplicates} readings resent")
    publisher.close()
    assert agent.stop() == 0


def test_aged_backlog_rows_are_dropped_and_counted_and_the_drain_still_ends(stack):
    """`max_age` keeps dropping while a slow (capped) drain runs: the backlog shrinks under the
    drain, every backlog reading is delivered or counted as aged_out, and the drain ends."""
    agent, publisher, arrivals, warm = warmed_up(
        stack, {"drain": "live_first", "backfill_max_rows_per_s": 300}, sections={"buffer": {"max_age": "15s"}})

    stack.emulator.stop()
    backlog = publisher.publish(RATE * 20, rate=RATE, prefix="backlog")  # a 20 s outage, longer than max_age
    stack.emulator.start()
    wait_for(lambda: backlog_of(agent.status()), 30, "drain started", stack.diagnostics, interval=0.2)
    live = publisher.publish(RATE * 4, rate=RATE, prefix="live")
    wait_for(lambda: arrivals.have(live), 30, "live readings acked beside the aging backlog", stack.diagnostics)

    drained = wait_for(lambda: (s := agent.status())["buffer"]["rows"] == 0 and backlog_of(s) is None and s, 60,
                       "ring empty and the drain over", stack.diagnostics, interval=0.5)
    arrivals.poll()
    delivered = sum(1 for i in backlog if i in arrivals.first)
    aged_out = next(t for t in drained["tables"] if t["name"] == READINGS)["dropped"]["aged_out"]
    print(f"aged backlog: {delivered} of {len(backlog)} backlog readings delivered, {aged_out} aged out")
    assert aged_out > 0 and delivered < len(backlog), "max_age dropped nothing: the test proves nothing"
    # A row can be both (the oldest rows go first and may age out while in flight), never neither.
    assert delivered + aged_out >= len(backlog), (delivered, aged_out)
    assert drained["buffer"]["dropped"] == {"full": 0, "aged_out": aged_out, "purged": 0}
    assert_complete(arrivals.rows, warm + live, exactly_once=False)
    publisher.close()
    assert agent.stop() == 0
