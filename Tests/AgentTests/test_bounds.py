"""The smallest buffer.max_bytes with the cloud down: bounded disk, counted drops, the newest rows kept."""

import re
import threading
import time
from pathlib import Path

from agent_stack import READING_COLUMNS, Publisher, TableSpec, wait_for
from conftest import READINGS, assert_complete, reading_rows

MAX_BYTES = 40 * 1024 * 1024  # the smallest allowed (4 x the largest accepted payload)
SHM_SLACK = 32 * 1024  # README: the -shm index is not counted
# Rows padded to ~16 KiB by a constant column, so that three ring-fulls take thousands of
# readings rather than millions: about 1900 rows fit the ring's page budget.
PAD_COLUMN = '{ name = "pad", type = "string", from = { const = "%s" } }' % ("p" * 16_000)
TOTAL = 6_000  # about three times what fits
# A full ring takes messages slower than a roomy one (trims and checkpoints): deadlines leave
# room for that in a debug build on a busy machine.
INTAKE_S = 120


class DiskSampler(threading.Thread):
    """Samples the ring's files every few ms; keeps the largest sizes seen."""

    def __init__(self, data_dir: Path):
        super().__init__(daemon=True)
        self.data_dir, self.stopped = data_dir, threading.Event()
        self.max_ring = self.max_dir = self.samples = 0

    def run(self):
        while not self.stopped.wait(0.005):
            sizes = {}
            for path in self.data_dir.glob("*"):
                try:
                    sizes[path.name] = path.stat().st_size
                except FileNotFoundError:
                    pass
            ring = sizes.get("buffer.db", 0) + sizes.get("buffer.db-wal", 0)
            self.max_ring, self.max_dir = max(self.max_ring, ring), max(self.max_dir, sum(sizes.values()))
            self.samples += 1


def publish_into_tiny_ring(stack, on_full: str):
    """The cloud down from the start, a 40 MiB ring, TOTAL padded readings at 3000/s while the disk is sampled."""
    stack.emulator.stop()
    stack.configure(tables=[TableSpec(READINGS, ["sensors/+/+"], columns=READING_COLUMNS + [PAD_COLUMN])],
                    sections={"buffer": {"max_bytes": "40MiB", "on_full": on_full}})
    agent = stack.agent().start()
    sampler = DiskSampler(stack.work / "data")
    sampler.start()
    ids = Publisher(stack.broker).publish(TOTAL, rate=3000)
    return agent, sampler, ids


def test_tiny_buffer_drops_oldest_and_keeps_newest(stack):
    agent, sampler, ids = publish_into_tiny_ring(stack, "drop_oldest")
    health = wait_for(lambda: (h := agent.health()) and h["mqtt"]["messages_total"] == TOTAL
                      and h["buffer"]["dropped_total"] > 0 and h, INTAKE_S, "every reading taken, drops counted",
                      stack.diagnostics)
    sampler.stopped.set()
    sampler.join()
    print(f"disk peak: ring {sampler.max_ring} B, directory {sampler.max_dir} B over {sampler.samples} samples; "
          f"buffered {health['buffer']['rows']}, dropped {health['buffer']['dropped_total']}")
    assert sampler.samples > 100
    assert sampler.max_ring <= MAX_BYTES, f"ring grew to {sampler.max_ring} B, cap {MAX_BYTES}"
    assert sampler.max_dir <= MAX_BYTES + SHM_SLACK, f"data dir grew to {sampler.max_dir} B"
    assert health["buffer"]["max_bytes"] == MAX_BYTES
    assert health["buffer"]["bytes"] <= MAX_BYTES
    table = next(t for t in health["tables"] if t["name"] == READINGS)
    assert table["dropped_total"] == health["buffer"]["dropped_total"]
    buffered, dropped = health["buffer"]["rows"], health["buffer"]["dropped_total"]
    assert buffered + dropped == TOTAL, "every reading is either buffered or counted as dropped"
    # The ledger says why, and the log says how many: every drop is in a "rows dropped" line.
    assert health["buffer"]["dropped"] == {"full": dropped, "aged_out": 0, "purged": 0}
    assert table["dropped"] == health["buffer"]["dropped"]

    def logged_drops():
        return sum(int(n) for n in re.findall(r"rows dropped from the buffer .*\brows=(\d+)", agent.log_path.read_text()))
    wait_for(lambda: logged_drops() == dropped, 10, f"{dropped} drops in the log", stack.diagnostics)

    stack.emulator.start()
    wait_for(lambda: (h := agent.health()) and h["buffer"]["rows"] == 0, 60, "the backlog drained",
             stack.diagnostics)
    arrived = sorted(int(row["seq"]) for row in reading_rows(stack.emulator))
    assert len(arrived) == len(set(arrived)) == buffered, "exactly the buffered rows arrived, once"
    # drop_oldest: what survives is the newest readings, without holes.
    assert arrived == list(range(TOTAL - buffered, TOTAL)), f"not the newest: {arrived[:3]}…{arrived[-3:]}"
    assert ids[-1] == f"r-{arrived[-1]}"
    assert agent.stop() == 0


def test_pause_keeps_the_backlog_at_the_broker_and_loses_nothing(stack):
    agent, sampler, ids = publish_into_tiny_ring(stack, "pause")
    wait_for(lambda: "pausing MQTT intake" in agent.log_tail(200), INTAKE_S, "intake paused", stack.diagnostics)
    health = wait_for(lambda: (h := agent.health()) and not h["mqtt"]["connected"] and h, 30,
                      "paused intake shows as MQTT disconnected", stack.diagnostics)
    assert health["buffer"]["dropped_total"] == 0
    assert 0 < health["mqtt"]["messages_total"] < TOTAL, "the broker should hold the rest"

    stack.emulator.start()
    restored = time.monotonic()
    wait_for(lambda: len({r["reading_id"] for r in reading_rows(stack.emulator)}) >= TOTAL, 120,
             "every reading delivered after the pause", stack.diagnostics, interval=0.5)
    print(f"all delivered {time.monotonic() - restored:.1f}s after the cloud returned")
    sampler.stopped.set()
    sampler.join()
    print(f"disk peak with pause: ring {sampler.max_ring} B")
    assert sampler.max_ring <= MAX_BYTES
    assert_complete(reading_rows(stack.emulator), ids, exactly_once=False)
    final = wait_for(lambda: (h := agent.health()) and h["buffer"]["rows"] == 0 and h["mqtt"]["connected"] and h,
                     30, "drained and connected again", stack.diagnostics)
    assert final["buffer"]["dropped_total"] == 0
    assert agent.stop() == 0
