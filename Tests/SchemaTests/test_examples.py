"""Every examples/*.toml passes `check-config`, with the routes and tables it is meant to have.

The examples point at installed paths (/etc/zerobus-edge/...). The test rewrites them: schemas to
examples/schemas/ (so check-config really loads the committed .descriptor), certificates to a
temp dir where openssl makes a CA and a client certificate (no key is committed). Secrets given
as ${VAR} come from the environment, as systemd would provide them.
"""

import subprocess
from pathlib import Path

import pytest
from google.protobuf.descriptor_pb2 import FileDescriptorSet

from schema_support import ROOT, run

EXAMPLES = ROOT / "examples"
SECRETS = {"DATABRICKS_CLIENT_ID": "example-sp", "DATABRICKS_CLIENT_SECRET": "example-secret",
           "MQTT_PASSWORD": "example-password", "ZEROBUS_TOKEN": "example-token"}

# file → (routes as printed, table header prefixes)
EXPECTED = {
    "sparkplug-b.toml": (
        ["spBv1.0/#  ->  main.ot.sparkplug_metrics"],
        ["table main.ot.sparkplug_metrics  format=sparkplug_b streams=1"]),
    "json-per-device.toml": (
        ["factory/+/telemetry  ->  main.factory.telemetry"],
        ["table main.factory.telemetry  format=json streams=1"]),
    "topic-per-metric.toml": (
        ["sensors/+/+  ->  main.iot.readings"],
        ["table main.iot.readings  format=value streams=1"]),
    "descriptor-table.toml": (
        ["machines/+/events  ->  main.factory.machine_events"],
        ["table main.factory.machine_events  format=json streams=1"]),
    "multi-table-health.toml": (
        ["plant/+/sensors/+  ->  main.plant.readings", "plant/+/alarms     ->  main.plant.alarms",
         "meters/+/kwh       ->  main.plant.energy"],
        ["table main.plant.readings  format=json streams=2", "table main.plant.alarms  format=json streams=1",
         "table main.plant.energy  format=value streams=1"]),
    "demo.toml": (
        ["sensors/+/+  ->  main.iot.readings"],
        ["table main.iot.readings  format=json streams=1"]),
    "mqtts-client-cert.toml": (
        ["substation/14/+/measurements  ->  main.grid.substation_measurements"],
        ["table main.grid.substation_measurements  format=json streams=1"]),
}


def test_every_example_is_covered():
    assert sorted(p.name for p in EXAMPLES.glob("*.toml")) == sorted(EXPECTED)


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> Path:
    """ca.pem, gw-cert.pem (signed by the CA, clientAuth) and gw-key.pem, as the mqtts example names them."""
    out = tmp_path_factory.mktemp("certs")

    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=out, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out", "ca.pem",
            "-days", "2", "-subj", "/CN=example broker CA")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "gw-key.pem", "-out", "gw.csr",
            "-subj", "/CN=gw-substation-14")
    (out / "ext.cnf").write_text("extendedKeyUsage = clientAuth\n")
    openssl("x509", "-req", "-in", "gw.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
            "-out", "gw-cert.pem", "-days", "2", "-extfile", "ext.cnf")
    openssl("verify", "-CAfile", "ca.pem", "gw-cert.pem")
    return out


def installed(example: Path, certs: Path, tmp_path: Path) -> Path:
    text = example.read_text()
    text = text.replace("/etc/zerobus-edge/schemas/", f"{EXAMPLES / 'schemas'}/")
    text = text.replace("/etc/zerobus-edge/certs/", f"{certs}/")
    # check-config checks the data directory can be created: as a non-root user, not in /var/lib.
    text = text.replace('"/var/lib/zerobus-edge"', f'"{tmp_path}/data"')
    path = tmp_path / example.name
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_passes_check_config(name, certs, tmp_path):
    result = run("check-config", "--config", str(installed(EXAMPLES / name, certs, tmp_path)), env=SECRETS)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    routes, tables = EXPECTED[name]
    printed_routes = lines[lines.index("routes") + 1:]
    printed_routes = [line.strip() for line in printed_routes[:printed_routes.index("")]]
    assert printed_routes == routes
    assert [line.split(" batch_max_records")[0] for line in lines if line.startswith("table ")] == tables
    assert lines[-1] == "configuration OK"
    for secret in ("example-secret", "example-password", "example-token"):
        assert secret not in result.stdout


def test_mqtts_example_uses_the_client_certificate(certs, tmp_path):
    result = run("check-config", "--config", str(installed(EXAMPLES / "mqtts-client-cert.toml", certs, tmp_path)),
                 env=SECRETS)
    assert result.returncode == 0, result.stderr
    assert "mqtts://broker.example.com:8883" in result.stdout
    assert f"ca_file={certs}/ca.pem cert_file={certs}/gw-cert.pem key_file={certs}/gw-key.pem" in result.stdout


def test_multi_table_example_sends_health_rows(certs, tmp_path):
    result = run("check-config", "--config", str(installed(EXAMPLES / "multi-table-health.toml", certs, tmp_path)),
                 env=SECRETS)
    assert "table=main.ops.gateway_health" in result.stdout


def test_descriptor_example_is_the_committed_proto(tmp_path):
    """The committed .descriptor is what protoc makes of the committed .proto (regenerate if not)."""
    fresh = tmp_path / "machine_events.descriptor"
    subprocess.run(["protoc", "--include_imports", f"--descriptor_set_out={fresh}", "-I", str(EXAMPLES / "schemas"),
                    str(EXAMPLES / "schemas" / "machine_events.proto")], check=True)
    committed = (EXAMPLES / "schemas" / "machine_events.descriptor").read_bytes()
    assert FileDescriptorSet.FromString(fresh.read_bytes()) == FileDescriptorSet.FromString(committed)


def test_descriptor_example_fails_without_the_file(certs, tmp_path):
    """check-config really opens the descriptor: the uninstalled path is reported."""
    if Path("/etc/zerobus-edge/schemas/machine_events.descriptor").exists():
        pytest.skip("the example descriptor is installed on this machine")
    result = run("check-config", "--config", str(EXAMPLES / "descriptor-table.toml"), env=SECRETS)
    assert result.returncode == 2
    assert ("descriptor-table.toml:31: table[0].descriptor: /etc/zerobus-edge/schemas/machine_events.descriptor: "
            "cannot open: No such file or directory") in result.stderr, result.stderr


def test_secrets_must_be_provided(certs, tmp_path):
    result = run("check-config", "--config", str(installed(EXAMPLES / "json-per-device.toml", certs, tmp_path)),
                 unset=tuple(SECRETS))
    assert result.returncode == 2
    assert "DATABRICKS_CLIENT_SECRET" in result.stderr
