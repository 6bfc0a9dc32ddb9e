"""Every examples/*.toml passes `check-config`, with the routes and tables it is meant to have.

The examples point at installed paths (/etc/zerobus-edge/...). The test rewrites them: schemas to
examples/schemas/ (so check-config really loads the committed .descriptor), certificates to a
temp dir where openssl makes a CA and a client certificate (no key is committed). Secrets given
as ${VAR} come from the environment, as systemd would provide them.
"""

import json
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
    "mqtt5-shared-subscription.toml": (
        ["$share/edge/sensors/+/+  ->  main.iot.readings"],
        ["table main.iot.readings  format=json streams=1"]),
    "json-array-explode.toml": (
        ["loggers/+/scan  ->  main.factory.logger_readings"],
        ["table main.factory.logger_readings  format=json streams=1"]),
    "csv-logger.toml": (
        ["plc/+/batch  ->  main.plant.plc_values"],
        ["table main.plant.plc_values  format=csv streams=1"]),
    "influx-line-protocol.toml": (
        ["telegraf/#  ->  main.env.weather"],
        ["table main.env.weather  format=influx streams=1"]),
    "json-records-rescue.toml": (
        ["devices/+/state  ->  main.fleet.pump_state"],
        ["table main.fleet.pump_state  format=json streams=1"]),
}

# file → (table, topic, example payload under examples/payloads/, rows `zerobus-edge map` prints
# without their record_id; the payload files are the ones the examples' comments quote)
MAPPED = {
    "json-array-explode.toml": ("main.factory.logger_readings", "loggers/hall-2/scan", "json-array-explode.json", [
        {"logger": "dl-7", "channel": "t1", "value": 21.5, "unit": "C", "scan_time": 1777636800000000, "position": 0},
        {"logger": "dl-7", "channel": "p1", "value": 1.82, "unit": "bar", "scan_time": 1777636800000000, "position": 1},
    ]),
    "csv-logger.toml": ("main.plant.plc_values", "plc/line-4/batch", "csv-logger.csv", [
        {"line": "line-4", "event_time": 1777636800000000, "tag": "PT-101", "value": 4.21, "quality": "good"},
        {"line": "line-4", "event_time": 1777636800100000, "tag": "TT-102", "value": 88.0, "quality": "good"},
        {"line": "line-4", "event_time": 1777636800200000, "tag": "FT-103", "quality": "bad"},
    ]),
    "influx-line-protocol.toml": ("main.env.weather", "telegraf/roof-1", "influx-line-protocol.txt", [
        {"measurement": "weather", "station": "roof-1", "sensor": "bme280", "temp": 21.5, "rh": 40, "ok": True,
         "event_time": 1777636800000000},
        {"measurement": "weather", "station": "roof-2", "temp": 19.25, "rh": 44, "ok": False,
         "event_time": 1777636800500000},
    ]),
    "sparkplug-b.toml": ("main.ot.sparkplug_metrics", "spBv1.0/plant1/DBIRTH/edge1/press7", "sparkplug-b-dbirth.bin", [
        {"group_id": "plant1", "edge_node": "edge1", "device": "press7", "message_type": "DBIRTH",
         "metric": "Temperature", "alias": 3, "datatype": "Float", "value_double": 71.5, "value_text": "71.5",
         "is_null": False, "is_historical": False, "event_time": 1777636800000000, "seq": 1, "gateway_id": "gw-plant-a"},
        {"group_id": "plant1", "edge_node": "edge1", "device": "press7", "message_type": "DBIRTH",
         "metric": "Status", "alias": 4, "datatype": "String", "value_string": "RUNNING", "value_text": "RUNNING",
         "is_null": False, "is_historical": False, "event_time": 1777636800000000, "seq": 1, "gateway_id": "gw-plant-a"},
    ]),
    "json-records-rescue.toml": ("main.fleet.pump_state", "devices/pump-3/state", "json-records-rescue.json", [
        {"device": "pump-3", "event_time": 1777636800123000, "rpm": 1450, "state": "run",
         "extra": '{"fw":"2.4.1","bearing_temp":61.5}'},
    ]),
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


@pytest.mark.parametrize("name", sorted(MAPPED))
def test_example_payload_maps_to_the_rows_its_comment_promises(name, certs, tmp_path):
    table, topic, payload, expected = MAPPED[name]
    result = run("map", "--config", str(installed(EXAMPLES / name, certs, tmp_path)), "--table", table,
                 "--topic", topic, "--payload", str(EXAMPLES / "payloads" / payload), env=SECRETS)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"table {table}  format=")
    rows = []
    for index, line in enumerate(lines[1:]):
        record_id, row = line.split(" ", 1)
        row = json.loads(row)
        assert row.pop("record_id") == record_id
        # One message of several readings: <message id>.<index>; of one reading: the message id.
        assert record_id.endswith(f"-example-1.{index}" if len(expected) > 1 or "explode" in name else "-example-1")
        rows.append(row)
    assert rows == expected


def test_map_reports_the_quarantine_reason(certs, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,tag,value,quality\n2026-05-01T12:00:00Z,PT-101,4.2\n")
    result = run("map", "--config", str(installed(EXAMPLES / "csv-logger.toml", certs, tmp_path)),
                 "--table", "main.plant.plc_values", "--topic", "plc/line-4/batch", "--payload", str(bad), env=SECRETS)
    assert result.returncode == 1
    assert "quarantined: CSV line 2: 3 cells, expected 4 (timestamp,tag,value,quality)" in result.stderr
