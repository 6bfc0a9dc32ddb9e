"""Streams N synthetic proto rows with the official Databricks Python SDK (benchmark baseline).

Same table shape and batch size as `zerobus-example` so both clients do the same work:
encode rows, send them in batches, wait until every batch is acknowledged.
Usage: python sdk_stream.py HOST ROWS BATCH   → prints "rows_acked=N seconds=S rows_per_s=R"
"""

import sys
import time

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from zerobus import HeadersProvider, StreamConfigurationOptions, TableProperties
from zerobus.sdk.sync import ZerobusSdk

TABLE = "main.iot.readings"


def row_class():
    file = descriptor_pb2.FileDescriptorProto(name="bench_row.proto", package="bench", syntax="proto2")
    message = file.message_type.add(name="table_readings")
    F = descriptor_pb2.FieldDescriptorProto
    for number, (name, kind) in enumerate([("device_id", F.TYPE_STRING), ("metric", F.TYPE_STRING),
                                           ("value", F.TYPE_DOUBLE), ("event_time", F.TYPE_INT64),
                                           ("seq", F.TYPE_INT64)], start=1):
        message.field.add(name=name, number=number, type=kind, label=F.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("bench.table_readings"))


class Headers(HeadersProvider):
    def get_headers(self):
        return [("authorization", "Bearer bench"), ("x-databricks-zerobus-table-name", TABLE)]


def main():
    host, rows, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    Row = row_class()
    sdk = ZerobusSdk(host, "", application_name="zerobus-edge-bench/1.0")
    started = time.monotonic()
    stream = sdk.create_stream(table_properties=TableProperties(TABLE, Row.DESCRIPTOR),
                               options=StreamConfigurationOptions(), headers_provider=Headers())
    base_time = 1_780_000_000_000_000
    sent = 0
    while sent < rows:
        count = min(batch, rows - sent)
        records = [Row(device_id=f"sensor-{seq % 16}", metric="temperature", value=20 + (seq % 100) / 10,
                       event_time=base_time + seq * 1000, seq=seq) for seq in range(sent, sent + count)]
        stream.ingest_records_offset(records)
        sent += count
    stream.flush()
    seconds = time.monotonic() - started
    stream.close()
    print(f"rows_acked={sent} seconds={seconds} rows_per_s={int(sent / seconds)}", flush=True)


if __name__ == "__main__":
    main()
