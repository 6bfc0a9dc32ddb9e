"""Configuration reload (SIGHUP) while readings flow: add a table, change a column, break the file,
remove a table. Every published reading must arrive (by reading id, with one record_id each)."""

import re
import signal
import subprocess
import threading

from agent_stack import READING_COLUMNS, Publisher, TableSpec, free_port, wait_for
from conftest import READINGS, assert_complete, reading_rows

EVENTS = "main.iot.events"
EVENT_COLUMNS = [
    '{ name = "reading_id", type = "string", from = "$.id" }',
    '{ name = "seq", type = "bigint", from = "$.seq" }',
    '{ name = "record_id", type = "string", from = "record_id" }',
]
# `seq` becomes a double: rows encoded after the reload decode as 5.0, rows buffered before it as
# "5" (the emulator writes protobuf JSON, where an int64 is a string).
READING_COLUMNS_SEQ_DOUBLE = [c.replace('type = "bigint"', 'type = "double"') for c in READING_COLUMNS]


class Flow:
    """Readings published in the background on sensors/<dev>/temp until `finish()`."""

    def __init__(self, stack, rate: int = 400, chunk: int = 200):
        self.publisher = Publisher(stack.broker)
        self.ids: list[str] = []
        self.rate, self.chunk = rate, chunk
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run)
        self.thread.start()

    def _run(self):
        start = 0
        while not self.stopping.is_set():
            self.ids += self.publisher.publish(self.chunk, rate=self.rate, start=start, prefix="flow",
                                               topic=lambda i: f"sensors/dev{i % 3}/temp")
            start += self.chunk

    def finish(self) -> list[str]:
        self.stopping.set()
        self.thread.join(60)
        assert not self.thread.is_alive(), "the background publisher did not finish"
        self.publisher.close()
        return self.ids


def rewrite(stack, agent, tables):
    """Writes a new agent.toml for the same broker, emulator, data dir and health port."""
    port = int(agent.http.rsplit(":", 1)[1])
    stack.configure(tables=tables, health_port=port)


def sighup(agent, outcome: str = "configuration reloaded", timeout: float = 60) -> str:
    """Sends SIGHUP and waits for `outcome` in the log after it; returns the log written since."""
    before = len(agent.log_path.read_bytes())
    agent.process.send_signal(signal.SIGHUP)

    def since():
        return agent.log_path.read_bytes()[before:].decode(errors="replace")

    wait_for(lambda: outcome in since(), timeout, f"'{outcome}' after SIGHUP", agent.log_tail)
    return since()


def acked(stack, table=READINGS) -> set[str]:
    return {row["reading_id"] for row in reading_rows(stack.emulator, table)}


def test_adding_a_table_and_changing_a_column_while_readings_flow(stack):
    stack.configure(tables=[TableSpec(READINGS, ["sensors/+/+"])])
    agent = stack.agent().start()
    flow = Flow(stack)
    publisher = Publisher(stack.broker)
    wait_for(lambda: len(acked(stack)) >= 200, 30, "the flow arrives", stack.diagnostics)

    # Rows buffered while the cloud is away must keep the descriptor they were encoded with.
    stack.emulator.stop()
    before = publisher.publish(300, prefix="before", topic=lambda i: "sensors/dev9/temp")
    wait_for(lambda: (h := agent.health()) and h["buffer"]["rows"] >= 300, 30, "rows buffered", stack.diagnostics)

    rewrite(stack, agent, [TableSpec(READINGS, ["sensors/+/+"], columns=READING_COLUMNS_SEQ_DOUBLE),
                           TableSpec(EVENTS, ["events/+"], columns=EVENT_COLUMNS)])
    log = sighup(agent)
    assert f"added {EVENTS}" in log and f"changed {READINGS}" in log, log
    # The topics changed: the MQTT client reconnects with the new subscription.
    wait_for(lambda: "MQTT subscribed" in agent.log_path.read_text().rpartition("configuration reloaded")[2], 30,
             "subscribed again after the reload", stack.diagnostics)
    after = publisher.publish(300, prefix="after", topic=lambda i: "sensors/dev9/temp")
    events = publisher.publish(300, prefix="event", topic=lambda i: f"events/e{i % 2}")

    stack.emulator.start()
    flowed = flow.finish()
    wait_for(lambda: set(flowed + before + after) <= acked(stack), 90, "every reading acked", stack.diagnostics)
    wait_for(lambda: set(events) <= acked(stack, EVENTS), 60, "every event acked", stack.diagnostics)
    rows = reading_rows(stack.emulator)
    assert_complete(rows, flowed + before + after, exactly_once=False)
    assert_complete(reading_rows(stack.emulator, EVENTS), events, exactly_once=False)

    seq = {row["reading_id"]: row["seq"] for row in rows}
    assert all(isinstance(seq[i], str) for i in before), "rows buffered before the reload lost their descriptor"
    assert all(isinstance(seq[i], float) for i in after), "rows after the reload are not encoded with the new column"
    assert agent.health()["config_error"] is None
    publisher.close()
    assert agent.stop() == 0


def test_an_invalid_file_keeps_the_running_configuration_until_a_valid_reload(stack):
    config = stack.configure(tables=[TableSpec(READINGS, ["sensors/+/+"])])
    good = config.read_text()
    agent = stack.agent().start()
    flow = Flow(stack)
    wait_for(lambda: len(acked(stack)) >= 200, 30, "the flow arrives", stack.diagnostics)

    broken = good.replace("qos = 1", "qos = 0").replace("[retry]", "[retry]\nmax_backof_ms = 5")
    config.write_text(broken)
    lines = broken.splitlines()
    qos_line = next(n for n, line in enumerate(lines, 1) if line == "qos = 0")
    typo_line = next(n for n, line in enumerate(lines, 1) if line.startswith("max_backof_ms"))
    log = sighup(agent, "still running with the previous configuration")
    assert re.search(rf"agent\.toml:{qos_line}: mqtt\.qos: ", log), log
    assert re.search(rf"agent\.toml:{typo_line}: retry\.max_backof_ms: unknown key", log), log

    error = wait_for(lambda: (h := agent.health()) and h["config_error"], 30, "config_error in health",
                     stack.diagnostics)
    assert any(f"agent.toml:{qos_line}:" in e for e in error["errors"]), error
    assert any(f"agent.toml:{typo_line}:" in e for e in error["errors"]), error
    assert "zerobus_edge_config_error 1" in agent.http_get("/metrics")[1]
    # `status` reads the health file named by a config; the broken one does not load.
    readable = config.with_name("readable.toml")
    readable.write_text(good)
    status = subprocess.run([str(agent.binary), "status", "--config", str(readable)], capture_output=True, text=True,
                            env=agent.env, timeout=30)
    assert status.returncode == 0 and "reload refused" in status.stdout and f":{qos_line}:" in status.stdout, status
    # Still working on the old configuration.
    count = len(acked(stack))
    wait_for(lambda: len(acked(stack)) >= count + 200, 30, "readings keep arriving", stack.diagnostics)
    assert agent.running

    config.write_text(good)
    sighup(agent)
    wait_for(lambda: (h := agent.health()) and h["config_error"] is None, 30, "config_error cleared",
             stack.diagnostics)
    assert "zerobus_edge_config_error 0" in agent.http_get("/metrics")[1]
    ids = flow.finish()
    wait_for(lambda: set(ids) <= acked(stack), 60, "every reading acked", stack.diagnostics)
    assert_complete(reading_rows(stack.emulator), ids, exactly_once=False)
    assert agent.stop() == 0


def test_a_removed_table_keeps_draining_its_buffered_rows(stack):
    stack.configure(tables=[TableSpec(READINGS, ["sensors/+/+"]), TableSpec(EVENTS, ["events/+"], columns=EVENT_COLUMNS)])
    agent = stack.agent().start()
    flow = Flow(stack)
    publisher = Publisher(stack.broker)
    wait_for(lambda: len(acked(stack)) >= 200, 30, "the flow arrives", stack.diagnostics)

    stack.emulator.stop()
    events = publisher.publish(500, prefix="event", topic=lambda i: f"events/e{i % 2}")

    def buffered_events():
        health = agent.health() or {"tables": []}
        return next((t["rows"] for t in health["tables"] if t["name"] == EVENTS), 0)

    wait_for(lambda: buffered_events() >= 500, 30, "events buffered while the cloud is away", stack.diagnostics)

    rewrite(stack, agent, [TableSpec(READINGS, ["sensors/+/+"])])
    log = sighup(agent)
    assert f"removed {EVENTS}" in log, log
    wait_for(lambda: "MQTT subscribed" in agent.log_path.read_text().rpartition("configuration reloaded")[2], 30,
             "subscribed again after the reload", stack.diagnostics)
    # Published after the removal: no table wants them any more.
    publisher.publish(50, prefix="late-event", topic=lambda i: "events/e0")
    assert buffered_events() >= 500, "the removed table vanished from health while its rows wait"

    stack.emulator.start()
    wait_for(lambda: set(events) <= acked(stack, EVENTS), 60, "the removed table's rows drained", stack.diagnostics)
    assert_complete(reading_rows(stack.emulator, EVENTS), events, exactly_once=False)
    assert not any(r.startswith("late-event") for r in acked(stack, EVENTS))
    wait_for(lambda: "removed table drained" in agent.log_path.read_text(), 30, "the drained uplink ends",
             stack.diagnostics)
    wait_for(lambda: (h := agent.health()) and EVENTS not in [t["name"] for t in h["tables"]], 30,
             "the drained table leaves health", stack.diagnostics)

    ids = flow.finish()
    wait_for(lambda: set(ids) <= acked(stack), 60, "every reading acked", stack.diagnostics)
    assert_complete(reading_rows(stack.emulator), ids, exactly_once=False)
    publisher.close()
    assert agent.stop() == 0


def test_removed_tables_drain_after_a_restart_or_are_purged_deliberately(stack):
    alarms = "main.iot.alarms"
    stack.configure(tables=[TableSpec(READINGS, ["sensors/+/+"]), TableSpec(EVENTS, ["events/+"], columns=EVENT_COLUMNS),
                            TableSpec(alarms, ["alarms/+"], columns=EVENT_COLUMNS)])
    agent = stack.agent().start()
    publisher = Publisher(stack.broker)
    stack.emulator.stop()
    events = publisher.publish(300, prefix="event", topic=lambda i: "events/e0")
    publisher.publish(100, prefix="alarm", topic=lambda i: "alarms/a0")
    wait_for(lambda: (h := agent.health()) and h["buffer"]["rows"] >= 400, 30, "rows buffered", stack.diagnostics)
    assert agent.stop() == 0

    # Both tables are gone from the file when the agent starts again.
    stack.configure(tables=[TableSpec(READINGS, ["sensors/+/+"])], health_port=int(agent.http.rsplit(":", 1)[1]))
    agent = stack.agent().start()
    log = agent.log_path.read_text()
    assert f"draining them rows=300 table={EVENTS}" in log and f"rows=100 table={alarms}" in log, agent.log_tail()

    refused = agent.cli("buffer", "purge", "--table", READINGS)
    assert refused.returncode == 1 and "is configured" in refused.stderr, refused
    purged = agent.cli("buffer", "purge", "--table", alarms)
    assert purged.returncode == 0 and f"purged 100 buffered rows of {alarms}" in purged.stdout, purged
    wait_for(lambda: (h := agent.health()) and h["buffer"]["dropped_total"] >= 100, 30, "the purge counted as dropped",
             stack.diagnostics)

    stack.emulator.start()
    readings = publisher.publish(200, prefix="r", topic=lambda i: "sensors/dev0/temp")
    wait_for(lambda: set(events) <= acked(stack, EVENTS), 60, "the removed table drains after the restart",
             stack.diagnostics)
    wait_for(lambda: set(readings) <= acked(stack), 60, "readings acked", stack.diagnostics)
    assert_complete(reading_rows(stack.emulator, EVENTS), events, exactly_once=False)
    assert not acked(stack, alarms), "purged rows were sent"
    wait_for(lambda: (h := agent.health()) and [t["name"] for t in h["tables"]] == [READINGS], 30,
             "the drained tables leave health", stack.diagnostics)
    publisher.close()
    assert agent.stop() == 0


def test_health_settings_and_log_level_change_in_place(stack):
    stack.configure(tables=[TableSpec(READINGS, ["sensors/+/+"])])
    agent = stack.agent().start()
    flow = Flow(stack)
    wait_for(lambda: len(acked(stack)) >= 100, 30, "the flow arrives", stack.diagnostics)
    old_http = agent.http
    assert " debug zerobus-edge:" not in agent.log_path.read_text()

    new_port = free_port()
    stack.configure(tables=[TableSpec(READINGS, ["sensors/+/+"], options={"linger_ms": 20})], health_port=new_port,
                    sections={"agent": {"log_level": "debug"}})
    log = sighup(agent)
    assert "health settings changed" in log and "log level changed" in log and f"changed {READINGS}" in log, log
    # The restarted uplink opens a stream: logged at debug level, which is on now.
    wait_for(lambda: re.search(r" debug zerobus-edge: stream open ", agent.log_path.read_text()), 30,
             "a debug line after the reload", stack.diagnostics)
    agent.http = f"http://127.0.0.1:{new_port}"
    wait_for(lambda: agent.http_get("/healthz")[0] == 200, 30, "health on the new listener", stack.diagnostics)
    agent.http, moved = old_http, agent.http
    assert agent.http_get("/healthz")[0] == 0, "the old listener still answers"
    agent.http = moved

    ids = flow.finish()
    wait_for(lambda: set(ids) <= acked(stack), 60, "every reading acked", stack.diagnostics)
    assert_complete(reading_rows(stack.emulator), ids, exactly_once=False)
    assert agent.stop() == 0


def test_a_changed_connection_reconnects_only_that_link(stack):
    stack.configure(tables=[TableSpec(READINGS, ["sensors/+/+"])])
    agent = stack.agent().start()
    flow = Flow(stack)
    wait_for(lambda: len(acked(stack)) >= 100, 30, "the flow arrives", stack.diagnostics)
    port = int(agent.http.rsplit(":", 1)[1])

    def streams():
        return stack.emulator.stats()["per_table"][READINGS]["streams"]

    def mqtt_connects():
        return agent.log_path.read_text().count("MQTT connected")

    # [mqtt] only: MQTT reconnects, the Zerobus stream stays.
    opened, connects = streams(), mqtt_connects()
    stack.configure(tables=[TableSpec(READINGS, ["sensors/+/+"])], health_port=port,
                    sections={"mqtt": {"keepalive_s": 20}})
    log = sighup(agent)
    assert "MQTT connection changed" in log and "Zerobus" not in log.partition("configuration reloaded")[2], log
    wait_for(lambda: mqtt_connects() == connects + 1, 30, "MQTT connected again", stack.diagnostics)
    count = len(acked(stack))
    wait_for(lambda: len(acked(stack)) >= count + 100, 30, "readings keep arriving", stack.diagnostics)
    assert streams() == opened, "the Zerobus stream was reopened for an MQTT change"

    # [zerobus] only: the uplink reconnects, MQTT stays.
    stack.configure(tables=[TableSpec(READINGS, ["sensors/+/+"])], health_port=port,
                    sections={"mqtt": {"keepalive_s": 20}, "zerobus": {"token": "another-token"}})
    log = sighup(agent)
    assert "Zerobus connection changed" in log and "MQTT connection changed" not in log, log
    wait_for(lambda: streams() > opened, 30, "a new Zerobus stream", stack.diagnostics)
    count = len(acked(stack))
    wait_for(lambda: len(acked(stack)) >= count + 100, 30, "readings keep arriving", stack.diagnostics)
    assert mqtt_connects() == connects + 1, "MQTT reconnected for a Zerobus change"

    ids = flow.finish()
    wait_for(lambda: set(ids) <= acked(stack), 60, "every reading acked", stack.diagnostics)
    assert_complete(reading_rows(stack.emulator), ids, exactly_once=False)
    assert agent.stop() == 0
