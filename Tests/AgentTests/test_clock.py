"""A gateway clock stepped from 1970 to now during a run: rows stamped before the step are
flagged clock_synced = false and held, then re-based from the monotonic clock and sent; rows
after the step are synced; health shows unsynced, then stepped.

The agent runs under Fixtures/clock_shift.c (LD_PRELOAD), which shifts only its wall clock by
the seconds in a file; the broker, the emulator and this test keep the real clock."""

import sqlite3
import subprocess
import time
from pathlib import Path

from agent_stack import READING_COLUMNS, Publisher, TableSpec, wait_for
from conftest import READINGS, reading_rows

SHIM_SOURCE = Path(__file__).resolve().parent.parent / "Fixtures" / "clock_shift.c"
COLUMNS = READING_COLUMNS + [
    '{ name = "received_at", type = "timestamp", from = "received_at" }',
    '{ name = "clock_synced", type = "boolean", from = "clock_synced" }',
]


def build_shim(work: Path) -> Path:
    shim = work / "clock_shift.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-o", str(shim), str(SHIM_SOURCE)], check=True)
    return shim


def clock(agent) -> dict:
    return (agent.health() or {}).get("clock") or {}


JSON_TABLE = "main.iot.readings_json"


def test_clock_stepped_from_1970_rows_flagged_then_rebased(stack, work):
    """Each message feeds a protobuf and a record_type = "json" table (one record id, two rows)."""
    shift_file = work / "clock-shift"
    # The agent's wall clock reads about a minute after the epoch.
    shift_file.write_text(f"{60 - time.time():.6f}\n")
    stack.configure(tables=[TableSpec(READINGS, ["sensors/+/+"], COLUMNS),
                            TableSpec(JSON_TABLE, ["sensors/+/+"], COLUMNS, {"record_type": "json"})])
    agent = stack.agent(env={"LD_PRELOAD": str(build_shim(work)), "CLOCK_SHIFT_FILE": str(shift_file)})
    agent.start()
    wait_for(lambda: clock(agent).get("state") == "unsynced", 15, "health: clock unsynced", stack.diagnostics)
    assert clock(agent)["reason"] == "before_build_date"

    publisher = Publisher(stack.broker)
    before_from = time.time()
    early = publisher.publish(20, rate=100, prefix="early")
    before_to = time.time()
    wait_for(lambda: clock(agent).get("rows_unsynced_total") == 40, 15, "40 unsynced rows", stack.diagnostics)
    assert clock(agent)["uploads_held"] is True
    assert reading_rows(stack.emulator) == [], "rows stamped by an untrusted clock left before their re-base"

    shift_file.write_text("0\n")  # NTP steps the clock to now
    wait_for(lambda: clock(agent).get("state") == "stepped", 15, "health: clock stepped", stack.diagnostics)
    wait_for(lambda: clock(agent).get("rows_rebased_total") == 40, 15, "40 rows re-based", stack.diagnostics)
    status = clock(agent)
    assert status["rows_not_rebased_total"] == 0
    assert status["last_step_s"] > 1_700_000_000
    summary = agent.cli("status").stdout
    assert "Clock:       stepped since" in summary and "40 rows unsynced, 40 re-based, 0 not" in summary, summary
    metrics = agent.http_get("/metrics")[1]
    assert 'zerobus_edge_clock_state{state="stepped"} 1' in metrics
    late = publisher.publish(10, prefix="late")
    after_to = time.time()
    publisher.close()

    for table in (READINGS, JSON_TABLE):
        wait_for(lambda: len(reading_rows(stack.emulator, table)) >= 30, 30, f"30 rows in {table}", stack.diagnostics)
        check_rows(reading_rows(stack.emulator, table), early, late, (before_from, before_to, after_to))
    log = agent.log_path.read_text(errors="replace")
    assert log.count("wall clock untrusted") == 1
    assert "wall clock trusted again" in log and "re-based" in log


def check_rows(rows: list[dict], early: list[str], late: list[str], times: tuple[float, float, float]) -> None:
    before_from, before_to, after_to = times
    by_id = {row["reading_id"]: row for row in rows}
    assert sorted(by_id) == sorted(early + late)
    for reading in early:
        row = by_id[reading]
        assert row["clock_synced"] is False
        received = int(row["received_at"]) / 1e6  # int64 columns arrive as JSON strings
        assert before_from - 2 <= received <= before_to + 2, f"{reading}: received_at {received} not re-based"
    for reading in late:
        row = by_id[reading]
        assert row["clock_synced"] is True
        assert before_to <= int(row["received_at"]) / 1e6 <= after_to + 2


def test_kill9_while_unsynced_rows_of_both_runs_rebased(stack, work):
    """Untrusted stamps survive a kill -9 within the same boot (boottime runs on): rows from
    before and after the restart are all re-based once the clock steps."""
    shift_file = work / "clock-shift"
    shift_file.write_text(f"{60 - time.time():.6f}\n")
    stack.configure(tables=[TableSpec(READINGS, ["sensors/+/+"], COLUMNS)])
    env = {"LD_PRELOAD": str(build_shim(work)), "CLOCK_SHIFT_FILE": str(shift_file)}
    first = stack.agent(env=env)
    first.start()
    publisher = Publisher(stack.broker)
    started = time.time()
    ids = publisher.publish(10, prefix="first")

    def notes() -> int:
        with sqlite3.connect(f"file:{work / 'data' / 'buffer.db'}?mode=ro", uri=True) as db:
            try:
                return db.execute("SELECT count(*) FROM clock_notes").fetchone()[0]
            except sqlite3.OperationalError:  # locked or not yet created
                return 0

    wait_for(lambda: notes() == 10, 15, "10 untrusted stamps kept in the ring", stack.diagnostics)
    first.kill9()

    second = stack.agent(env=env)
    second.start()
    wait_for(lambda: clock(second).get("rows_unsynced_total") == 10, 15, "restored notes in health", stack.diagnostics)
    ids += publisher.publish(10, prefix="second")
    published = time.time()
    wait_for(lambda: clock(second).get("rows_unsynced_total") == 20, 15, "20 unsynced rows", stack.diagnostics)
    shift_file.write_text("0\n")
    wait_for(lambda: clock(second).get("rows_rebased_total") == 20, 15, "20 rows re-based", stack.diagnostics)
    publisher.close()
    wait_for(lambda: len(reading_rows(stack.emulator)) >= 20, 30, "20 rows in the cloud", stack.diagnostics)
    rows = {row["reading_id"]: row for row in reading_rows(stack.emulator)}
    assert sorted(rows) == sorted(ids)
    for reading, row in rows.items():
        assert row["clock_synced"] is False
        assert started - 2 <= int(row["received_at"]) / 1e6 <= published + 2, f"{reading} not re-based"


def test_clock_that_never_syncs_still_delivers_after_the_hold(stack, work):
    """With agent.clock_hold_s = 2 a clock stuck at 1970 holds uploads only briefly: rows leave
    flagged with their 1970 times (nothing to re-base them with)."""
    shift_file = work / "clock-shift"
    shift_file.write_text(f"{60 - time.time():.6f}\n")
    stack.configure(tables=[TableSpec(READINGS, ["sensors/+/+"], COLUMNS)], sections={"agent": {"clock_hold_s": 2}})
    agent = stack.agent(env={"LD_PRELOAD": str(build_shim(work)), "CLOCK_SHIFT_FILE": str(shift_file)})
    agent.start()
    publisher = Publisher(stack.broker)
    ids = publisher.publish(5, prefix="stuck")
    publisher.close()
    wait_for(lambda: len(reading_rows(stack.emulator)) >= 5, 30, "5 rows in the cloud", stack.diagnostics)
    rows = reading_rows(stack.emulator)
    assert sorted(row["reading_id"] for row in rows) == sorted(ids)
    for row in rows:
        assert row["clock_synced"] is False
        assert int(row["received_at"]) / 1e6 < 86_400, "a 1970 stamp, as the clock said"
    # The health document is written every interval_s: the one after the release shows it.
    status = wait_for(lambda: (c := clock(agent)).get("uploads_held") is False and c, 10,
                      "health shows the hold released", stack.diagnostics)
    assert status["state"] == "unsynced"
    assert "wall clock still untrusted: sending rows" in agent.log_path.read_text(errors="replace")
