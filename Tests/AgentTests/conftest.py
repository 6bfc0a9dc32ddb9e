"""End-to-end fixtures: a real mosquitto, the Zerobus emulator and the built agent binary per test.

Binary: $ZEROBUS_EDGE_BIN or .build/debug/zerobus-edge (a missing binary fails every test, loudly).
On a failure the tails of the agent, broker and emulator logs are printed with the report.
"""

import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Fixtures"))
from agent_stack import Agent, Broker, Emulator, TableSpec, agent_binary, write_config  # noqa: E402

READINGS = "main.iot.readings"
WORK_ROOT = Path(tempfile.gettempdir()) / "zerobus-edge-agent-tests"
WORK_ROOT.mkdir(exist_ok=True)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, "rep_" + report.when, report)


class Stack:
    """One test's broker, emulator and agents (all stopped at teardown)."""

    def __init__(self, work: Path, broker_persistence: bool = False):
        self.work = work
        self.binary = agent_binary()
        self.broker = Broker(work / "broker", persistence=broker_persistence).start()
        self.emulator = Emulator(work / "emulator").start()
        self.agents: list[Agent] = []
        self.config = None

    def configure(self, tables=None, **kwargs) -> Path:
        self.config = write_config(self.work / "agent.toml", data_dir=self.work / "data", broker=self.broker,
                                   emulator=self.emulator, tables=tables or [TableSpec(READINGS, ["sensors/+/+"])],
                                   **kwargs)
        return self.config

    def agent(self, env: dict | None = None) -> Agent:
        """A new agent process (not started) on the current config, logging to agent.log;
        `env` adds variables to its environment."""
        agent = Agent(self.config or self.configure(), self.work / "agent.log", env=env)
        self.agents.append(agent)
        return agent

    def diagnostics(self) -> str:
        agent_log = self.agents[-1].log_tail(80) if self.agents else ""
        emulator_log = self.emulator.log_tail() if self.emulator.process else "(emulator stopped)"
        return f"--- agent ---\n{agent_log}\n--- emulator ---\n{emulator_log}"

    def close(self) -> None:
        for agent in self.agents:
            if agent.running:
                agent.kill9()
        self.emulator.stop()
        self.broker.stop()


@pytest.fixture
def work(request):
    """A private work directory, kept (and named) when the test fails. Not pytest's tmp_path:
    other pytest runs on this machine prune /tmp/pytest-of-<user> while ours are still running."""
    path = Path(tempfile.mkdtemp(prefix=f"{request.node.name[:40]}-", dir=WORK_ROOT))
    yield path
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        print(f"work directory kept: {path}")
    else:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def stack(work, request):
    stack = Stack(work)
    yield stack
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        print(stack.diagnostics())
    stack.close()


def reading_rows(emulator: Emulator, table: str = READINGS) -> list[dict]:
    return [entry["record"] for entry in emulator.records(table)]


def assert_complete(rows: list[dict], ids: list[str], *, exactly_once: bool) -> None:
    """Every id in `ids` arrived; each duplicate carries the same record_id; none if `exactly_once`."""
    by_reading: dict[str, set[str]] = {}
    counts = Counter()
    for row in rows:
        by_reading.setdefault(row["reading_id"], set()).add(row["record_id"])
        counts[row["reading_id"]] += 1
    missing = [i for i in ids if i not in by_reading]
    assert not missing, f"{len(missing)} of {len(ids)} readings lost, e.g. {missing[:5]}"
    split = {r: ids for r, ids in by_reading.items() if len(ids) > 1}
    assert not split, f"{len(split)} readings arrived under different record_ids, e.g. {list(split.items())[:3]}"
    if exactly_once:
        duplicated = [r for r, n in counts.items() if n > 1]
        assert not duplicated, f"{len(duplicated)} readings arrived more than once, e.g. {duplicated[:5]}"
