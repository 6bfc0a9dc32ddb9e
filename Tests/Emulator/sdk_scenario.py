"""Runs one ingestion scenario with the official Databricks Python SDK, in its own process.

Own process because rustls reads SSL_CERT_FILE when the SDK starts, and to keep the Rust
runtime of one scenario away from the next. Usage:

    python sdk_scenario.py '<JSON spec>'

spec keys: host, table, format ("json"|"proto"), calls (list of record counts per ingest call:
1 → ingest_record_offset, n ≥ 2 → ingest_records_offset, 0 → flush()), streams (how many streams one after the
other from one SDK, default 1), auth ({"headers": token} or {"client_id", "client_secret"}),
uc_url, proto_dir (directory with row_pb2.py), options (StreamConfigurationOptions kwargs).
Prints one JSON line: {"sent": [...records as JSON objects...], "offsets": [...], "error": null|{type,message}}.
"""

import json
import sys


def make_json_record(i: int) -> dict:
    return {"id": i, "name": f"rec-{i}", "tags": [f"t{i % 3}", "x"], "nested": {"a": i * 2, "b": i % 2 == 0},
            "score": i / 4}


def make_proto_record(row_class, i: int):
    row = row_class(id=10_000_000_000 + i, name=f"rec-{i}", values=[i, i + 1, -i], score=i / 8, flag=i % 2 == 0)
    row.inner.a = i
    row.inner.b = f"inner-{i}"
    row.attrs["k1"] = i
    row.attrs[f"key-{i % 5}"] = -i
    item = row.items.add()
    item.a = i * 3
    row.blob = bytes([i % 256, 0, 255])
    row.kind = row_class.Kind.Value("ALPHA" if i % 2 else "BETA")
    return row


def main() -> None:
    spec = json.loads(sys.argv[1])
    from google.protobuf.json_format import MessageToDict
    from zerobus import HeadersProvider, NonRetriableException, StreamConfigurationOptions, TableProperties, \
        ZerobusException
    from zerobus.sdk.sync import ZerobusSdk

    table = spec["table"]
    row_class = None
    if spec["format"] == "proto":
        sys.path.insert(0, spec["proto_dir"])
        import row_pb2
        row_class = row_pb2.Row
        properties = TableProperties(table, row_class.DESCRIPTOR)
    else:
        properties = TableProperties(table)

    class StaticHeaders(HeadersProvider):
        def get_headers(self):
            return [("authorization", f"Bearer {spec['auth']['headers']}"),
                    ("x-databricks-zerobus-table-name", table)]

    options = StreamConfigurationOptions(**spec.get("options", {}))
    sdk = ZerobusSdk(spec["host"], spec.get("uc_url", ""), application_name="emulator-conformance/1.0")
    sent, offsets, error = [], [], None
    counter = 0
    try:
        for _ in range(spec.get("streams", 1)):
            if "headers" in spec["auth"]:
                stream = sdk.create_stream(table_properties=properties, options=options,
                                           headers_provider=StaticHeaders())
            else:
                stream = sdk.create_stream(spec["auth"]["client_id"], spec["auth"]["client_secret"],
                                           properties, options)
            for count in spec["calls"]:
                if count == 0:
                    stream.flush()
                    continue
                batch = []
                for _ in range(count):
                    if row_class is not None:
                        record = make_proto_record(row_class, counter)
                        sent.append(MessageToDict(record, preserving_proto_field_name=True))
                    else:
                        record = make_json_record(counter)
                        sent.append(record)
                        record = json.dumps(record)
                    batch.append(record)
                    counter += 1
                offsets.append(stream.ingest_record_offset(batch[0]) if count == 1
                               else stream.ingest_records_offset(batch))
            stream.flush()
            stream.close()
    except NonRetriableException as e:
        error = {"type": "NonRetriableException", "message": str(e)}
    except ZerobusException as e:
        error = {"type": "ZerobusException", "message": str(e)}
    print(json.dumps({"sent": sent, "offsets": offsets, "error": error}), flush=True)


if __name__ == "__main__":
    main()
