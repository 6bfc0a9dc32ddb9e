#!/usr/bin/env python3
"""Simulated factory sensors publishing JSON readings to an MQTT broker (QoS 1).

A few devices, each with a few metrics, publish on `sensors/<device>/<metric>`:

    {"value": 71.42, "unit": "degC", "ts": "2026-05-09T07:35:25.123Z"}

Values follow a slow random walk around a realistic base (temperatures, pressures, vibration,
power, humidity), with an occasional spike. Readings are spread evenly over the devices and metrics
and paced to `--rate` readings per second in total.

    python examples/sensor_simulator.py --port 1883 --rate 50 --duration 30
    python examples/sensor_simulator.py --count 10000 --rate 0        # as fast as possible

At the end it prints one line, e.g. `published=1500 acked=1500 seconds=30.0` (acked = PUBACKs
received from the broker), and exits 0 only if every reading was acknowledged. Needs paho-mqtt.
"""

import argparse
import json
import random
import signal
import sys
import threading
import time
from datetime import datetime, timezone

import paho.mqtt.client as mqtt

# device → metrics it reports: (metric, unit, base value, random-walk step, lower bound, upper bound)
DEVICES = {
    "press-01": [("temperature", "degC", 68.0, 0.4, 40.0, 95.0), ("pressure", "bar", 182.0, 1.5, 120.0, 240.0),
                 ("vibration", "mm/s", 2.8, 0.15, 0.2, 12.0)],
    "press-02": [("temperature", "degC", 64.0, 0.4, 40.0, 95.0), ("pressure", "bar", 176.0, 1.5, 120.0, 240.0),
                 ("vibration", "mm/s", 3.4, 0.15, 0.2, 12.0)],
    "boiler-01": [("temperature", "degC", 82.0, 0.2, 60.0, 110.0), ("pressure", "bar", 4.2, 0.03, 2.0, 8.0),
                  ("power", "kW", 45.0, 0.8, 0.0, 90.0)],
    "hall-env-01": [("temperature", "degC", 21.5, 0.05, 10.0, 35.0), ("humidity", "%", 46.0, 0.3, 20.0, 80.0)],
}


class Sensor:
    def __init__(self, device, metric, unit, base, step, low, high, rng):
        self.topic = f"sensors/{device}/{metric}"
        self.unit, self.base, self.step, self.low, self.high, self.rng = unit, base, step, low, high, rng
        self.value = base + rng.uniform(-step, step) * 5

    def next_payload(self) -> bytes:
        # random walk pulled gently back to the base, clamped; now and then a short spike
        self.value += self.rng.gauss(0, self.step) + (self.base - self.value) * 0.02
        value = self.value * (1.25 if self.rng.random() < 0.002 else 1.0)
        value = min(self.high, max(self.low, value))
        now = datetime.now(timezone.utc)
        ts = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
        return json.dumps({"value": round(value, 3), "unit": self.unit, "ts": ts}, separators=(",", ":")).encode()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1", help="broker host (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=1883, help="broker port (default 1883)")
    parser.add_argument("--rate", type=float, default=20.0,
                        help="readings per second over all sensors; 0 = as fast as possible (default 20)")
    parser.add_argument("--duration", type=float, default=None, help="seconds to run (default: until Ctrl-C)")
    parser.add_argument("--count", type=int, default=None, help="stop after this many readings")
    parser.add_argument("--devices", type=int, default=len(DEVICES),
                        help=f"how many of the {len(DEVICES)} simulated devices to run (default all)")
    parser.add_argument("--client-id", default=None, help="MQTT client id (default sensor-sim-<pid>)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (repeatable values)")
    parser.add_argument("--quiet", action="store_true", help="only the final summary line")
    args = parser.parse_args(argv)
    if args.rate < 0:
        parser.error("--rate must be >= 0")
    if args.rate == 0 and args.duration is None and args.count is None:
        parser.error("--rate 0 needs --count or --duration")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    rng = random.Random(args.seed)
    sensors = [Sensor(device, *spec, rng=rng) for device, specs in list(DEVICES.items())[:max(1, args.devices)]
               for spec in specs]

    acked = 0
    acked_lock = threading.Lock()
    connected = threading.Event()

    def on_connect(client, userdata, flags, reason_code, properties):
        if not reason_code.is_failure:
            connected.set()

    def on_publish(client, userdata, mid, reason_code, properties):
        nonlocal acked
        with acked_lock:
            acked += 1

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=args.client_id or f"sensor-sim-{id(rng):x}")
    client.on_connect, client.on_publish = on_connect, on_publish
    client.max_inflight_messages_set(200)
    client.max_queued_messages_set(0)  # unlimited: nothing is dropped client-side while the broker is away
    try:
        client.connect(args.host, args.port, keepalive=30)
    except OSError as e:
        print(f"sensor_simulator: cannot connect to {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    client.loop_start()
    if not connected.wait(10):
        print(f"sensor_simulator: broker {args.host}:{args.port} did not accept the connection", file=sys.stderr)
        return 1

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    published = 0
    started = time.monotonic()
    next_report = started + 5
    deadline = started + args.duration if args.duration is not None else None
    while not stop.is_set():
        now = time.monotonic()
        if deadline is not None and now >= deadline:
            break
        if args.count is not None and published >= args.count:
            break
        if args.rate:
            due = started + published / args.rate
            if due > now:
                stop.wait(min(due - now, 0.5))
                continue
        sensor = sensors[published % len(sensors)]
        client.publish(sensor.topic, sensor.next_payload(), qos=1)
        published += 1
        if not args.quiet and now >= next_report:
            print(f"sensor_simulator: {published} readings published", flush=True)
            next_report = now + 5

    elapsed = time.monotonic() - started
    # wait for the broker's PUBACKs of what is still in flight
    wait_until = time.monotonic() + 30
    while time.monotonic() < wait_until:
        with acked_lock:
            if acked >= published:
                break
        time.sleep(0.05)
    client.disconnect()
    client.loop_stop()
    print(f"published={published} acked={acked} seconds={elapsed:.1f}", flush=True)
    return 0 if acked >= published else 1


if __name__ == "__main__":
    sys.exit(main())
