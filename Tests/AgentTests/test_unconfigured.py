"""Issue 11, items 2 and 3, end to end.

An unedited install (the shipped `${DATABRICKS_CLIENT_ID:-not-set}` placeholders) passes
check-config with warnings, runs `unconfigured`: readings are buffered, the token endpoint is
never asked, health, `status`, `/readyz` and the log say why; once the secrets are filled in,
a restart delivers what was buffered. Read-only commands work without the secrets' variables.
"""

import json
import signal
import subprocess
import time

from agent_stack import Emulator, Publisher, agent_binary, free_port, wait_for
from conftest import READINGS, assert_complete, reading_rows
from emulator_process import clean_env

CLIENT_ID, CLIENT_SECRET = "edge-sp", "edge-secret"
SECRET_VARIABLES = ("DATABRICKS_CLIENT_ID", "DATABRICKS_CLIENT_SECRET", "ZEROBUS_TOKEN", "MQTT_PASSWORD")


def without_secrets() -> dict:
    """An operator's shell: none of the service's secret variables."""
    env = clean_env()
    for name in SECRET_VARIABLES:
        env.pop(name, None)
    return env


def with_secrets() -> dict:
    return {**without_secrets(), "DATABRICKS_CLIENT_ID": CLIENT_ID, "DATABRICKS_CLIENT_SECRET": CLIENT_SECRET}


def oauth_stack(stack, client_id: str, client_secret: str):
    """The stack's emulator replaced by one that requires OAuth with CLIENT_ID/CLIENT_SECRET; the
    config authenticates with `client_id`/`client_secret` (as written in agent.toml)."""
    stack.emulator.stop()
    stack.emulator = Emulator(stack.work / "oauth-emulator", extra_args=[
        "--require-auth", "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET]).start()
    stack.configure(sections={"zerobus": {
        "token": None, "workspace_url": f"http://127.0.0.1:{stack.emulator.http_port}",
        "client_id": client_id, "client_secret": client_secret}})


def cli(stack, *args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([str(agent_binary()), *args, "--config", str(stack.config)], capture_output=True, text=True,
                          env=env, timeout=60)


def zerobus_line(stack, key: str) -> int:
    """The line of `key` in the [zerobus] section of the generated config."""
    lines = stack.config.read_text().splitlines()
    section = lines.index("[zerobus]")
    return next(n for n, line in enumerate(lines[section:], section + 1) if line.startswith(key + " "))


def test_unconfigured_buffers_without_asking_for_tokens_then_delivers_once_configured(stack):
    oauth_stack(stack, "${DATABRICKS_CLIENT_ID:-not-set}", "${DATABRICKS_CLIENT_SECRET:-not-set}")

    # check-config: a warning per placeholder, by line and key, and still exit 0.
    checked = cli(stack, "check-config", env=without_secrets())
    assert checked.returncode == 0, checked.stderr
    for key in ("client_id", "client_secret"):
        assert (f"{stack.config}:{zerobus_line(stack, key)}: zerobus.{key}: warning: still the shipped placeholder "
                f"\"not-set\"") in checked.stderr, checked.stderr
    assert "configuration OK, but unconfigured" in checked.stdout, checked.stdout

    agent = stack.agent()
    agent.env = without_secrets()
    agent.start()
    publisher = Publisher(stack.broker)
    ids = publisher.publish(50)
    health = wait_for(lambda: (h := agent.health()) and h["state"] == "unconfigured" and h["buffer"]["rows"] == 50 and h,
                      30, "unconfigured with the 50 readings buffered", stack.diagnostics)
    reason = health["zerobus"]["last_error"]
    assert reason.startswith("unconfigured: ") and "zerobus.client_id, zerobus.client_secret" in reason, reason
    assert not health["zerobus"]["connected"]

    # Absence can only be watched over a while: 3 s is 15 initial backoffs (200 ms) and 3 health
    # intervals, in which an uplink trying the placeholders would have asked for tokens.
    watch_until = time.monotonic() + 3
    wait_for(lambda: time.monotonic() >= watch_until, 10, "the observation window")
    stats = stack.emulator.stats()
    assert stats.get("token_requests", 0) == 0, stats
    assert stats.get("creates", 0) == 0 and stack.emulator.records() == [], stats

    status = cli(stack, "status", env=without_secrets())
    assert status.returncode == 0, status.stderr
    assert "State:       unconfigured" in status.stdout and "zerobus.client_id" in status.stdout, status.stdout
    code, body = agent.http_get("/readyz")
    assert code == 503 and body.startswith("not ready: unconfigured: zerobus.client_id"), (code, body)
    code, metrics = agent.http_get("/metrics")
    assert 'state="unconfigured"} 1' in metrics, metrics
    assert "unconfigured: readings are buffered, nothing is sent" in agent.log_tail(200)
    assert agent.stop() == 0, agent.log_tail()

    # The operator fills in /etc/default/zerobus-edge and restarts: the buffered readings arrive.
    checked = cli(stack, "check-config", env=with_secrets())
    assert checked.returncode == 0 and "warning" not in checked.stderr, checked.stderr
    agent = stack.agent()
    agent.env = with_secrets()
    agent.start()
    wait_for(lambda: len(stack.emulator.records()) >= 50, 60, "the 50 buffered readings delivered", stack.diagnostics)
    assert_complete(reading_rows(stack.emulator, READINGS), ids, exactly_once=True)
    wait_for(lambda: (h := agent.health()) and h["state"] == "online" and h["zerobus"]["last_error"] is None, 30,
             "online once configured", stack.diagnostics)
    assert stack.emulator.stats()["token_requests"] > 0
    publisher.close()
    assert agent.stop() == 0, agent.log_tail()


def test_read_only_commands_need_no_secrets(stack):
    """`${X}` without a fallback: the service has X, the operator's shell does not."""
    oauth_stack(stack, "${DATABRICKS_CLIENT_ID}", "${DATABRICKS_CLIENT_SECRET}")
    agent = stack.agent()
    agent.env = with_secrets()
    agent.start()
    publisher = Publisher(stack.broker)
    ids = publisher.publish(20)
    for n in range(3):
        publisher.publish_raw(f"sensors/dev0/temp", f"not json {n}".encode())
    wait_for(lambda: len(stack.emulator.records()) >= 20, 60, "20 readings delivered", stack.diagnostics)
    assert_complete(reading_rows(stack.emulator, READINGS), ids, exactly_once=True)
    wait_for(lambda: (h := agent.health()) and h["state"] == "online" and h["buffer"]["quarantined_total"] == 3, 30,
             "online with 3 quarantined", stack.diagnostics)

    shell = without_secrets()
    status = cli(stack, "status", env=shell)
    assert status.returncode == 0, status.stderr
    assert "State:       online" in status.stdout, status.stdout
    document = cli(stack, "status", "--json", env=shell)
    assert document.returncode == 0 and json.loads(document.stdout)["state"] == "online", document.stderr
    listed = cli(stack, "quarantine", "list", "--json", env=shell)
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == 3
    retried = cli(stack, "quarantine", "retry", env=shell)  # handed to the daemon
    assert retried.returncode == 0 and "still failing 3" in retried.stdout, (retried.stdout, retried.stderr)
    purged = cli(stack, "quarantine", "purge", env=shell)
    assert purged.returncode == 0 and "purged 3" in purged.stdout, (purged.stdout, purged.stderr)

    # What starts the daemon still needs them, and says which variable is missing.
    checked = cli(stack, "check-config", env=shell)
    assert checked.returncode == 2 and "'DATABRICKS_CLIENT_ID', 'DATABRICKS_CLIENT_SECRET' are not set" in checked.stderr, \
        checked.stderr
    publisher.close()
    assert agent.stop() == 0, agent.log_tail()


def test_a_reload_with_the_real_endpoint_ends_the_unconfigured_state(stack):
    """Only the endpoint is still the shipped placeholder: a reload that sets it starts the
    uplinks (the credentials need no restart here, they are written in the file)."""
    placeholder = "https://workspace-id.zerobus.region.cloud.databricks.com"  # config/agent.toml's
    oauth_stack(stack, CLIENT_ID, CLIENT_SECRET)
    real = stack.emulator.endpoint
    port = free_port()
    zerobus = {"token": None, "workspace_url": f"http://127.0.0.1:{stack.emulator.http_port}",
               "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    stack.configure(health_port=port, sections={"zerobus": {**zerobus, "endpoint": placeholder}})
    agent = stack.agent()
    agent.env = without_secrets()
    agent.start()
    publisher = Publisher(stack.broker)
    ids = publisher.publish(30)
    health = wait_for(lambda: (h := agent.health()) and h["state"] == "unconfigured" and h["buffer"]["rows"] == 30 and h,
                      30, "unconfigured with the 30 readings buffered", stack.diagnostics)
    assert "zerobus.endpoint" in health["zerobus"]["last_error"], health["zerobus"]
    assert stack.emulator.stats().get("token_requests", 0) == 0

    stack.configure(health_port=port, sections={"zerobus": {**zerobus, "endpoint": real}})
    before = len(agent.log_path.read_bytes())
    agent.process.send_signal(signal.SIGHUP)
    wait_for(lambda: "configuration reloaded" in agent.log_path.read_bytes()[before:].decode(errors="replace"), 60,
             "the reload applied", agent.log_tail)
    ids += publisher.publish(20, start=30)
    wait_for(lambda: len(stack.emulator.records()) >= 50, 60, "the 50 readings delivered", stack.diagnostics)
    assert_complete(reading_rows(stack.emulator, READINGS), ids, exactly_once=True)
    wait_for(lambda: (h := agent.health()) and h["state"] == "online" and h["zerobus"]["last_error"] is None, 30,
             "online once the endpoint is set", stack.diagnostics)
    publisher.close()
    assert agent.stop() == 0, agent.log_tail()
