"""The baseline for the agent benchmark: an MQTT → Zerobus bridge written the usual Python way.

paho-mqtt subscriber (QoS 1, persistent session) + the official Databricks Python SDK
(`databricks-zerobus-ingest-sdk`), doing the agent's mapping job for the reading table:

    sensors/<device>/<metric>  {"value": 71.4, "unit": "degC", "ts": 1780000000123 | "2026-…Z"}
      → device_id, metric (topic segments), value, unit, event_time (µs; epoch s/ms/µs or ISO-8601),
        gateway_id, record_id ("<gateway>-<start>-<seq>")
      → protobuf row (the same descriptor the agent declares) → batches of --batch rows or
        --linger-ms, whichever first → `ingest_records_offset` on one SDK stream.

It is a fair, reasonably written bridge: one JSON parse, one message construction and one
serialisation per reading, batched submission, the SDK does the streaming and acks. It keeps no
local buffer (the agent's SQLite ring has no counterpart here), so it does strictly less work.

    python python_bridge.py --mqtt-port 1883 --endpoint http://127.0.0.1:PORT

Prints `BRIDGE_READY` once subscribed and the stream is open; on SIGTERM/SIGINT flushes, waits
for the acks and prints `received=N submitted=N seconds=S`.
"""

import argparse
import json
import signal
import sys
import threading
import time
from datetime import datetime

import paho.mqtt.client as mqtt
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from zerobus import HeadersProvider, StreamConfigurationOptions, TableProperties
from zerobus.sdk.sync import ZerobusSdk


def row_class():
    """The proto row of the reading table (the same columns the agent's config declares)."""
    file = descriptor_pb2.FileDescriptorProto(name="bridge_row.proto", package="bridge", syntax="proto2")
    message = file.message_type.add(name="table_readings")
    F = descriptor_pb2.FieldDescriptorProto
    columns = [("device_id", F.TYPE_STRING), ("metric", F.TYPE_STRING), ("value", F.TYPE_DOUBLE),
               ("unit", F.TYPE_STRING), ("event_time", F.TYPE_INT64), ("gateway_id", F.TYPE_STRING),
               ("record_id", F.TYPE_STRING)]
    for number, (name, kind) in enumerate(columns, start=1):
        message.field.add(name=name, number=number, type=kind, label=F.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("bridge.table_readings"))


def event_micros(ts) -> int:
    """µs since the epoch from epoch s / ms / µs (by magnitude, like the agent) or ISO-8601 text."""
    if isinstance(ts, (int, float)) and not isinstance(ts, bool):
        magnitude = abs(ts)
        if magnitude < 1e11:
            return int(round(ts * 1_000_000))
        if magnitude < 1e14:
            return int(round(ts * 1_000))
        return int(ts)
    if isinstance(ts, str):
        return int(datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1_000_000)
    raise ValueError(f"bad ts {ts!r}")


class Headers(HeadersProvider):
    def __init__(self, table: str, token: str):
        super().__init__()
        self.headers = [("authorization", f"Bearer {token}"), ("x-databricks-zerobus-table-name", table)]

    def get_headers(self):
        return self.headers


class Bridge:
    def __init__(self, args):
        self.args = args
        self.Row = row_class()
        self.gateway = args.gateway_id
        self.id_prefix = f"{args.gateway_id}-{int(time.time())}-"
        self.sequence = 0
        self.batch: list[bytes] = []
        self.batch_started = 0.0
        self.lock = threading.Lock()
        self.received = self.submitted = self.rejected = 0
        self.sdk = ZerobusSdk(args.endpoint, args.uc_url, application_name="zerobus-edge-bench-bridge/1.0")
        self.stream = self.sdk.create_stream(
            table_properties=TableProperties(args.table, self.Row.DESCRIPTOR),
            options=StreamConfigurationOptions(), headers_provider=Headers(args.table, args.token))
        self.subscribed = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=args.client_id, clean_session=False)
        self.client.on_connect = self.on_connect
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        self.client.on_message = self.on_message

    # paho's network thread
    def on_connect(self, client, userdata, flags, reason_code, properties):
        client.subscribe(self.args.topic, qos=1)

    def on_message(self, client, userdata, message):
        self.received += 1
        try:
            doc = json.loads(message.payload)
            _, device, metric = message.topic.split("/", 2)
            self.sequence += 1
            row = self.Row(device_id=device, metric=metric, value=float(doc["value"]), gateway_id=self.gateway,
                           record_id=self.id_prefix + str(self.sequence))
            if "unit" in doc:
                row.unit = doc["unit"]
            row.event_time = event_micros(doc["ts"]) if "ts" in doc else time.time_ns() // 1000
            encoded = row.SerializeToString()
        except (ValueError, KeyError, TypeError):
            self.rejected += 1  # a real bridge would dead-letter it
            return
        with self.lock:
            if not self.batch:
                self.batch_started = time.monotonic()
            self.batch.append(encoded)
            if len(self.batch) >= self.args.batch:
                self._submit_locked()

    def _submit_locked(self):
        if self.batch:
            batch, self.batch = self.batch, []
            self.stream.ingest_records_offset(batch)
            self.submitted += len(batch)

    def linger_loop(self, stop: threading.Event):
        linger = self.args.linger_ms / 1000
        while not stop.wait(linger / 2):
            with self.lock:
                if self.batch and time.monotonic() - self.batch_started >= linger:
                    self._submit_locked()

    def run(self):
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        self.client.connect("127.0.0.1", self.args.mqtt_port, keepalive=30)
        self.client.loop_start()
        if not self.subscribed.wait(15):
            raise SystemExit("bridge: no SUBACK from the broker")
        started = time.monotonic()
        print("BRIDGE_READY", flush=True)
        linger = threading.Thread(target=self.linger_loop, args=(stop,), daemon=True)
        linger.start()
        stop.wait()
        self.client.disconnect()
        self.client.loop_stop()
        with self.lock:
            self._submit_locked()
        self.stream.flush()
        self.stream.close()
        print(f"received={self.received} submitted={self.submitted} rejected={self.rejected} "
              f"seconds={time.monotonic() - started:.1f}", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mqtt-port", type=int, default=1883)
    parser.add_argument("--topic", default="sensors/+/+")
    parser.add_argument("--client-id", default="python-bridge")
    parser.add_argument("--endpoint", required=True, help="Zerobus endpoint, e.g. http://127.0.0.1:PORT")
    parser.add_argument("--uc-url", default="", help="workspace URL (unused with a static token)")
    parser.add_argument("--token", default="bench")
    parser.add_argument("--table", default="main.iot.readings")
    parser.add_argument("--gateway-id", default="gw-bridge")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--linger-ms", type=float, default=100)
    Bridge(parser.parse_args(argv)).run()


if __name__ == "__main__":
    main()
