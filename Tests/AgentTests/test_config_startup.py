"""What would make `run` fail at start-up, `check-config` reports first, by file:line and key, and
`run` refuses the same way (exit 2) before starting anything. Each case passed check-config before."""

import os
import re
import subprocess

import pytest

from agent_stack import clean_env

DEEP_TYPE = "array<" * 100_000 + "int" + ">" * 100_000


def run_cli(binary, *args, timeout=20):
    return subprocess.run([str(binary), *args], capture_output=True, text=True, env=clean_env(), timeout=timeout)


def line_of(config, pattern: str) -> int:
    return next(n for n, line in enumerate(config.read_text().splitlines(), 1) if re.search(pattern, line))


def file_in(stack, name: str, text: str):
    path = stack.work / name
    path.write_text(text)
    return path


# (case id, sections for write_config (a callable of the stack), line pattern, key, message fragment)
CASES = [
    ("data_dir is a regular file", lambda s: {"agent": {"data_dir": str(file_in(s, "plain", "x"))}},
     r"^data_dir =", "agent.data_dir", "is a regular file, not a directory"),
    ("endpoint port 0", lambda s: {"zerobus": {"endpoint": "http://127.0.0.1:0"}},
     r"^endpoint =", "zerobus.endpoint", "port 0"),
    ("70k-byte mqtt client_id", lambda s: {"mqtt": {"client_id": "c" * 70_000}},
     r"^client_id =", "mqtt.client_id", "65535"),
    ("http_listen with a leading zero", lambda s: {"health": {"http_listen": "01.1.1.1:9464"}},
     r"^http_listen =", "health.http_listen", "not a numeric IPv4 address"),
    ("http_listen with a host name", lambda s: {"health": {"http_listen": "myhost.lan:9464"}},
     r"^http_listen =", "health.http_listen", "not a numeric IPv4 address"),
    ("garbage zerobus.ca_file", lambda s: {"zerobus": {"ca_file": str(file_in(s, "ca.pem", "<html>oops</html>"))}},
     r"^ca_file =", "zerobus.ca_file", "no PEM certificate"),
    ("well-formed PEM that is no certificate",
     lambda s: {"zerobus": {"ca_file": str(file_in(s, "ca.pem", "-----BEGIN CERTIFICATE-----\nMAMCAQA=\n"
                                                            "-----END CERTIFICATE-----\n"))}},
     r"^ca_file =", "zerobus.ca_file", "X509"),
    ("max_bytes below one maximum-size row", lambda s: {"buffer": {"max_bytes": "8MiB"}},
     r"^max_bytes =", "buffer.max_bytes", "at least 40 MiB"),
]


@pytest.mark.parametrize("sections,pattern,key,fragment", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_start_up_failures_are_config_errors_with_lines(stack, sections, pattern, key, fragment):
    config = stack.configure(sections=sections(stack))
    line = line_of(config, pattern)
    for command in ("check-config", "run"):
        result = run_cli(stack.binary, command, "--config", str(config))
        assert result.returncode == 2, f"{command}: exit {result.returncode}\n{result.stdout}{result.stderr[-2000:]}"
        assert re.search(rf"agent\.toml:{line}: {re.escape(key)}: .*{re.escape(fragment)}", result.stderr), \
            f"{command}: {result.stderr[-2000:]!r}"
    assert not (stack.work / "data").exists(), "the failed run must not have created the ring"


def test_deeply_nested_column_type_is_an_error_not_a_crash(stack):
    """100k nested array< overflowed the type parser's stack (SIGSEGV, exit -11)."""
    config = stack.configure()
    text = config.read_text().replace('type = "double", from = "$.value"', f'type = "{DEEP_TYPE}", from = "$.value"')
    config.write_text(text)
    line = line_of(config, r"array<array<")
    result = run_cli(stack.binary, "check-config", "--config", str(config))
    assert result.returncode == 2, f"exit {result.returncode}: {result.stderr[-500:]}"
    assert re.search(rf"agent\.toml:{line}: table\[0\]\.columns\[3\]\.type: types nested more than 64 levels",
                     result.stderr), result.stderr[-500:]


def test_a_fifo_as_config_is_refused_without_hanging(stack):
    fifo = stack.work / "agent.toml"
    os.mkfifo(fifo)
    for command in ("check-config", "run"):
        result = run_cli(stack.binary, command, "--config", str(fifo), timeout=10)
        assert result.returncode == 2 and f"{fifo}: not a regular file (a FIFO)" in result.stderr, result.stderr


def test_a_bad_descriptor_names_the_key_and_line(stack):
    descriptor = file_in(stack, "readings.descriptor", "not a descriptor set")
    config = stack.configure()
    text = re.sub(r"columns = \[.*?\n\]", f'descriptor = "{descriptor}"\nmessage = "Reading"', config.read_text(),
                  flags=re.S)
    config.write_text(text)
    line = line_of(config, r"^descriptor =")
    for command in ("check-config", "run"):
        result = run_cli(stack.binary, command, "--config", str(config))
        assert result.returncode == 2, result.stderr
        assert re.search(rf"agent\.toml:{line}: table\[0\]\.descriptor: {re.escape(str(descriptor))}: ", result.stderr), \
            result.stderr


def test_a_data_dir_symlinked_to_a_directory_passes_check_config(stack):
    (stack.work / "disk").mkdir()
    (stack.work / "data-link").symlink_to(stack.work / "disk")
    config = stack.configure(sections={"agent": {"data_dir": str(stack.work / "data-link")}})
    result = run_cli(stack.binary, "check-config", "--config", str(config))
    assert result.returncode == 0, result.stderr
