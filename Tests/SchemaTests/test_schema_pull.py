"""`zerobus-edge schema pull` end to end: emulator with --require-auth, OAuth or a static token."""

import tomllib
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2

from schema_support import CLIENT_ID, CLIENT_SECRET, STATIC_TOKEN, run

EXPECTED_COLUMNS = [
    {"name": "device_id", "type": "string", "from": "$.device_id"},
    {"name": "seq", "type": "bigint", "from": "$.seq", "optional": True},
    {"name": "value", "type": "double", "from": "$.value", "optional": True},
    {"name": "event_time", "type": "timestamp", "from": "$.event_time"},
    {"name": "tags", "type": "array<string>", "from": "$.tags", "optional": True},
    {"name": "attrs", "type": "map<string,double>", "from": "$.attrs", "optional": True},
    {"name": "location", "type": "struct<lat:double,lon:double,alt_m:float>", "from": "$.location", "optional": True},
    {"name": "local_time", "type": "timestamp", "from": "$.local_time", "optional": True},
]


def write_config(directory: Path, emulator, auth: str = "oauth", workspace: bool = True, tables: str = "") -> Path:
    """A config with only [zerobus] (schema pull needs no [[table]]); secrets come from ${VARS}."""
    lines = ["[agent]", f'data_dir = "{directory / "data"}"', "", "[zerobus]",
             f'endpoint = "{emulator.endpoints["grpc"]}"']
    if workspace:
        lines.append(f'workspace_url = "{emulator.http}"')
    if auth == "oauth":
        lines += ['client_id = "${ZB_CLIENT_ID}"', 'client_secret = "${ZB_CLIENT_SECRET}"']
    else:
        lines.append('token = "${ZB_TOKEN}"')
    path = directory / "agent.toml"
    path.write_text("\n".join(lines) + "\n" + tables)
    return path


ENV = {"ZB_CLIENT_ID": CLIENT_ID, "ZB_CLIENT_SECRET": CLIENT_SECRET, "ZB_TOKEN": STATIC_TOKEN}


def pull(config: Path, *args: str, env: dict = ENV):
    result = run("schema", "pull", *args, "--config", str(config), env=env)
    for secret in (CLIENT_SECRET, STATIC_TOKEN):
        assert secret not in result.stdout + result.stderr
    return result


def test_oauth_pull_prints_the_columns_block(emulator, tmp_path):
    before = emulator.stats()
    result = pull(write_config(tmp_path, emulator), "main.iot.readings")
    assert result.returncode == 0, result.stderr
    assert tomllib.loads(result.stdout)["columns"] == EXPECTED_COLUMNS
    assert "# timestamp_ntz in Unity Catalog" in result.stdout
    after = emulator.stats()
    # One workspace token (scope all-apis, no table authorization_details), one UC read.
    assert after["workspace_mints"] == before["workspace_mints"] + 1
    assert after["uc_requests"] == before["uc_requests"] + 1


def test_static_token_pull(emulator, tmp_path):
    result = pull(write_config(tmp_path, emulator, auth="token"), "main.iot.readings")
    assert result.returncode == 0, result.stderr
    assert tomllib.loads(result.stdout)["columns"] == EXPECTED_COLUMNS


def test_pasted_block_passes_check_config(emulator, tmp_path):
    block = pull(write_config(tmp_path, emulator), "main.iot.readings").stdout
    table = '\n[[table]]\nname = "main.iot.readings"\ntopics = ["sensors/+/json"]\n' + block + "\n"
    config = write_config(tmp_path, emulator, tables=table)
    result = run("check-config", "--config", str(config), env=ENV)
    assert result.returncode == 0, result.stderr
    assert "sensors/+/json  ->  main.iot.readings" in result.stdout
    assert "location    struct<lat:double,lon:double,alt_m:float>  <- $.location  (optional)" in result.stdout
    assert "configuration OK" in result.stdout


def test_descriptor_file_serves_a_descriptor_table(emulator, tmp_path):
    descriptor = tmp_path / "schemas" / "readings.descriptor"
    result = pull(write_config(tmp_path, emulator), "main.iot.readings", "--descriptor", str(descriptor),
                  "--message", "Reading")
    assert result.returncode == 0, result.stderr
    assert f'# descriptor = "{descriptor}"' in result.stdout
    assert '# message    = "Reading"' in result.stdout

    files = descriptor_pb2.FileDescriptorSet.FromString(descriptor.read_bytes()).file
    assert [f.package for f in files] == ["zerobus_edge"]
    message = files[0].message_type[0]
    assert message.name == "Reading"
    fields = {f.name: f for f in message.field}
    assert list(fields) == [c["name"] for c in EXPECTED_COLUMNS]
    F = descriptor_pb2.FieldDescriptorProto
    assert fields["device_id"].label == F.LABEL_REQUIRED and fields["device_id"].type == F.TYPE_STRING
    assert fields["event_time"].label == F.LABEL_REQUIRED and fields["event_time"].type == F.TYPE_INT64
    assert fields["seq"].label == F.LABEL_OPTIONAL and fields["seq"].type == F.TYPE_INT64
    assert fields["tags"].label == F.LABEL_REPEATED and fields["tags"].type == F.TYPE_STRING
    assert fields["attrs"].type_name == ".zerobus_edge.Reading.AttrsEntry"
    assert fields["location"].type_name == ".zerobus_edge.Reading.Location"

    table = (f'\n[[table]]\nname = "main.iot.readings"\ntopics = ["sensors/#"]\n'
             f'descriptor = "{descriptor}"\nmessage = "Reading"\n')
    check = run("check-config", "--config", str(write_config(tmp_path, emulator, tables=table)), env=ENV)
    assert check.returncode == 0, check.stderr
    assert f"descriptor={descriptor} message=Reading" in check.stdout


def test_unsupported_types_name_each_column(emulator, tmp_path):
    result = pull(write_config(tmp_path, emulator), "main.iot.ledger")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "table main.iot.ledger has columns Zerobus cannot ingest" in result.stderr
    assert "column amount (decimal(18,2))" in result.stderr
    assert "column span (interval day to second)" in result.stderr
    assert "column note" not in result.stderr and "column id " not in result.stderr


def test_missing_table(emulator, tmp_path):
    result = pull(write_config(tmp_path, emulator), "main.iot.nope")
    assert result.returncode == 1
    assert "table main.iot.nope not found in Unity Catalog (TABLE_DOES_NOT_EXIST" in result.stderr


def test_bad_client_secret(emulator, tmp_path):
    result = pull(write_config(tmp_path, emulator), "main.iot.readings", env={**ENV, "ZB_CLIENT_SECRET": "wrong"})
    assert result.returncode == 1
    assert "answered HTTP 401" in result.stderr and "client_secret" in result.stderr
    assert "wrong" not in result.stderr


def test_bad_static_token_is_rejected_by_unity_catalog(emulator, tmp_path):
    result = pull(write_config(tmp_path, emulator, auth="token"), "main.iot.readings",
                  env={**ENV, "ZB_TOKEN": "not-a-token"})
    assert result.returncode == 1
    assert "Unity Catalog rejected the credentials: HTTP 401 (UNAUTHENTICATED" in result.stderr
    assert "not-a-token" not in result.stderr


def test_emulator_requires_a_token_for_tables(emulator):
    assert emulator.request("GET", "/api/2.1/unity-catalog/tables/main.iot.readings")[0] == 401


@pytest.mark.parametrize("args, message", [
    (["main.iot"], '"main.iot" is not a table name catalog.schema.table'),
    (["main.iot.readings", "--message", "bad-name"], "--message bad-name"),
])
def test_usage_errors_exit_2(emulator, tmp_path, args, message):
    result = pull(write_config(tmp_path, emulator), *args)
    assert result.returncode == 2
    assert message in result.stderr


def test_workspace_url_is_needed(emulator, tmp_path):
    result = pull(write_config(tmp_path, emulator, auth="token", workspace=False), "main.iot.readings")
    assert result.returncode == 2
    assert "zerobus.workspace_url is not set" in result.stderr


def test_missing_argument_exits_2():
    """Argument errors exit 2 like every usage error (SPEC §4), not ArgumentParser's 64."""
    result = run("schema", "pull")
    assert result.returncode == 2
    assert "Missing expected argument '<table>'" in result.stderr
