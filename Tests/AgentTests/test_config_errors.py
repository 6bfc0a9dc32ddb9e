"""Configuration errors: `check-config` and `run` exit 2 and name the file, line and key."""

import re
import subprocess

import pytest

from agent_stack import clean_env

# (what is wrong, the line to break, its replacement, the key path the message must name)
BREAKAGES = [
    ("unknown key", 'client_id = "zerobus-edge-gw-test"', 'clientid = "zerobus-edge-gw-test"', "mqtt.clientid"),
    ("wrong type", "qos = 1", 'qos = "1"', "mqtt.qos"),
    ("bad table name", 'name = "main.iot.readings"', 'name = "readings"', "table[0].name"),
    ("unknown key in a column", '{ name = "value", type = "double", from = "$.value" }',
     '{ name = "value", type = "double", form = "$.value" }', "table[0].columns[3].form"),
]


def run_cli(binary, *args, timeout=20):
    return subprocess.run([str(binary), *args], capture_output=True, text=True, env=clean_env(), timeout=timeout)


def test_the_valid_config_passes(stack):
    result = run_cli(stack.binary, "check-config", "--config", str(stack.configure()))
    assert result.returncode == 0, result.stderr
    assert "configuration OK" in result.stdout


@pytest.mark.parametrize("what,original,broken,key", BREAKAGES, ids=[b[0] for b in BREAKAGES])
def test_config_error_names_key_and_line(stack, what, original, broken, key):
    config = stack.configure()
    lines = config.read_text().splitlines()
    line_no = next(n for n, line in enumerate(lines, 1) if original in line)
    lines[line_no - 1] = lines[line_no - 1].replace(original, broken)
    config.write_text("\n".join(lines) + "\n")

    for command in ("check-config", "run"):
        result = run_cli(stack.binary, command, "--config", str(config))
        assert result.returncode == 2, f"{command}: exit {result.returncode}\n{result.stdout}{result.stderr}"
        message = result.stderr
        assert re.search(rf"agent\.toml:{line_no}\b.*{re.escape(key)}", message), f"{command}: {message!r}"
    # Nothing was started by the failed `run`: no ring was created.
    assert not (stack.work / "data").exists()


def test_all_errors_are_reported_at_once(stack):
    config = stack.configure()
    text = config.read_text().replace("qos = 1", 'qos = "1"').replace('log_level = "info"', 'log_level = "loud"')
    config.write_text(text)
    result = run_cli(stack.binary, "check-config", "--config", str(config))
    assert result.returncode == 2
    assert "mqtt.qos" in result.stderr and "agent.log_level" in result.stderr, result.stderr


def test_missing_config_file_is_a_usage_error(stack):
    result = run_cli(stack.binary, "check-config", "--config", str(stack.work / "nope.toml"))
    assert result.returncode == 2 and "nope.toml" in result.stderr, result.stderr
