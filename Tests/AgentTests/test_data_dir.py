"""The data directory: a symlinked data_dir works end to end, and one daemon per directory holds
even when the old lock file is deleted from under it."""

from agent_stack import Publisher, wait_for
from conftest import assert_complete, reading_rows


def test_symlinked_data_dir_is_resolved_and_used(stack):
    # The usual way to move state to a data partition: data_dir is a symlink to it.
    target = stack.work / "partition" / "zerobus-edge"
    target.mkdir(parents=True)
    link = stack.work / "data"
    link.symlink_to(target, target_is_directory=True)
    stack.configure()

    agent = stack.agent()
    check = agent.cli("check-config")
    assert check.returncode == 0, check.stderr
    agent.start()
    assert f"path={target.resolve()}" in agent.log_tail(200), agent.log_tail(200)

    publisher = Publisher(stack.broker)
    ids = publisher.publish(200, topic=lambda i: f"sensors/d{i % 2}/temp")
    wait_for(lambda: len(reading_rows(stack.emulator)) >= len(ids), 30, "200 readings acked", stack.diagnostics)
    assert_complete(reading_rows(stack.emulator), ids, exactly_once=True)
    assert (target / "buffer.db").is_file()
    assert link.is_symlink(), "the link itself must stay a link (nothing replaced it with a directory)"

    # The CLI resolves the same way: it reads the ring and hands `retry` to the daemon.
    assert agent.quarantine() == []
    retry = agent.cli("quarantine", "retry")
    assert retry.returncode == 0 and "requeued 0" in retry.stdout, retry.stderr
    publisher.close()
    assert agent.stop() == 0


def test_deleting_the_lock_file_does_not_let_a_second_agent_in(stack):
    agent = stack.agent().start()
    lock_file = stack.work / "data" / "agent.lock"
    if lock_file.exists():  # what an operator (or a tmp cleaner) might do
        lock_file.unlink()

    second = agent.cli("run", timeout=30)
    assert second.returncode == 1, second.stderr
    data = (stack.work / "data").resolve()
    assert f"another zerobus-edge process is using {data} (pid {agent.process.pid} holds its lock)" in second.stderr, \
        second.stderr

    # The first one is unaffected and still delivers.
    assert agent.running and agent.http_get("/healthz")[0] == 200
    publisher = Publisher(stack.broker)
    ids = publisher.publish(50, prefix="after")
    wait_for(lambda: len(reading_rows(stack.emulator)) >= len(ids), 30, "readings after the refusal acked",
             stack.diagnostics)
    assert_complete(reading_rows(stack.emulator), ids, exactly_once=True)
    publisher.close()
    assert agent.stop() == 0
