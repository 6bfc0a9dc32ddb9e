"""The Sparkplug B case of bench_agent.py: DDATA payloads of 10 alias-only metrics each.

A second agent (its own data directory, client id and `format = "sparkplug_b"` table) runs on the
same broker and emulator after the JSON case. P publisher processes (this file run with
`--publish`), one edge node and device each, send an NBIRTH and a DBIRTH declaring 10 metrics
(Double, Float, Int32, Int64, Boolean, String, …) and then DDATA messages carrying all 10 by alias,
encoded beforehand by pysparkplug and published with paho-mqtt at QoS 1. Measured from the first
DDATA to the last metric's row acked: metrics/s end to end and the agent's CPU per metric, printed
beside the JSON figures of the same run (one reading per message there, ten here). The
publishers are Python: when the metric rate is close to what they can send, it is their limit.
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
METRICS_PER_MESSAGE = 10
SPARKPLUG_TABLE = "main.ot.sparkplug_bench"
COLUMNS = [
    # Optional: the NBIRTH (bdSeq) is a node message, without a device.
    '{ name = "device",     type = "string",    from = "$.device",        optional = true }',
    '{ name = "metric",     type = "string",    from = "$.name" }',
    '{ name = "datatype",   type = "string",    from = "$.datatype" }',
    '{ name = "value",      type = "double",    from = "$.double_value",  optional = true }',
    '{ name = "text",       type = "string",    from = "$.string_value",  optional = true }',
    '{ name = "event_time", type = "timestamp", from = "$.timestamp",     default = "received_at" }',
    '{ name = "gateway_id", type = "string",    from = "gateway_id" }',
    '{ name = "record_id",  type = "string",    from = "record_id" }',
]


def metric_set(spb):
    D = spb.DataType
    return [("Temperature", D.DOUBLE), ("Pressure", D.DOUBLE), ("Level", D.FLOAT), ("Speed", D.FLOAT),
            ("Count", D.INT32), ("Energy", D.INT64), ("Running", D.BOOLEAN), ("Alarm", D.BOOLEAN),
            ("State", D.STRING), ("Offset", D.INT16)]


def value(datatype, n: int, k: int, spb):
    D = spb.DataType
    if datatype == D.DOUBLE:
        return 20 + ((n * 37 + k) % 900) / 10
    if datatype == D.FLOAT:
        return ((n + k) % 1000) / 4
    if datatype in (D.INT32, D.INT64, D.INT16):
        return (n * 7 + k) % 30000 - 15000
    if datatype == D.BOOLEAN:
        return (n + k) % 2 == 0
    return ("RUNNING", "IDLE", "FAULT")[(n + k) % 3]


def publish(port: int, index: int, messages: int) -> None:
    """Child process: BIRTHs, then waits for "go" on stdin, then `messages` DDATA at QoS 1."""
    import paho.mqtt.client as mqtt
    import pysparkplug as spb

    node, device, base_ms = f"edge-bench-{index}", f"dev-{index}", 1_780_000_000_000 + index
    metrics = metric_set(spb)
    topic = lambda kind, dev=None: str(spb.Topic(message_type=kind, group_id="bench", edge_node_id=node, device_id=dev))  # noqa: E731
    births = [
        (topic(spb.MessageType.NBIRTH), spb.NBirth(timestamp=base_ms, seq=0, metrics=(
            spb.Metric(timestamp=base_ms, name="bdSeq", datatype=spb.DataType.INT64, value=0),)).encode()),
        (topic(spb.MessageType.DBIRTH, device), spb.DBirth(timestamp=base_ms, seq=1, metrics=tuple(
            spb.Metric(timestamp=base_ms, name=name, datatype=datatype, value=value(datatype, 0, k, spb), alias=k + 1)
            for k, (name, datatype) in enumerate(metrics))).encode()),
    ]
    data_topic = topic(spb.MessageType.DDATA, device)
    payloads = [spb.DData(timestamp=base_ms + 10 * n, seq=(n + 2) % 256, metrics=tuple(
        spb.Metric(timestamp=base_ms + 10 * n, name=None, datatype=datatype, value=value(datatype, n, k, spb), alias=k + 1)
        for k, (_, datatype) in enumerate(metrics))).encode() for n in range(1, messages + 1)]

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-spb-pub-{index}")
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port, keepalive=30)
    client.loop_start()
    for birth_topic, payload in births:
        client.publish(birth_topic, payload, qos=1).wait_for_publish(30)
    print("BIRTHS", flush=True)
    if not sys.stdin.readline():
        return  # the benchmark gave up before the data phase
    pending = []
    for payload in payloads:
        pending.append(client.publish(data_topic, payload, qos=1))
        if len(pending) >= 20_000:
            pending.pop(0).wait_for_publish(120)
    for info in pending:
        info.wait_for_publish(120)
    print("DONE", flush=True)
    client.disconnect()
    client.loop_stop()


def run_sparkplug(bench, agent_class, table_spec, write_config, cpu_seconds, forget_session, log) -> None:
    """Runs the case on `bench` (a bench_agent.Bench) and stores bench.results["sparkplug"]."""
    args = bench.args
    publishers = max(1, min(args.publishers, 2))
    messages = max(1, args.readings // METRICS_PER_MESSAGE // publishers)
    total = messages * publishers * METRICS_PER_MESSAGE
    config = write_config(
        bench.work / "agent-spb.toml", data_dir=bench.work / "agent-spb-data", broker=bench.broker,
        emulator=bench.emulator, gateway_id="gw-bench-spb",
        tables=[table_spec(SPARKPLUG_TABLE, ["spBv1.0/#"], columns=COLUMNS, options={"format": "sparkplug_b"})],
        sections={"agent": {"log_level": "info"}, "buffer": {"max_bytes": "2GiB"}})
    agent = agent_class(config, bench.work / "agent-spb.log", env={"MALLOC_ARENA_MAX": "2"}).start()
    children = []
    try:
        log(f"agent, Sparkplug B: {publishers} edge nodes × {messages} DDATA of {METRICS_PER_MESSAGE} metrics "
            f"({total} metrics)")
        bench.acked_base = bench.acked()
        for index in range(publishers):
            children.append(subprocess.Popen(
                [sys.executable, str(Path(__file__)), "--publish", "--port", str(bench.broker.port), "--index",
                 str(index), "--messages", str(messages)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True))
        for child in children:
            assert child.stdout.readline().strip() == "BIRTHS", "a publisher failed before its BIRTHs"
        births = publishers * (1 + METRICS_PER_MESSAGE)
        if bench.wait_acked(births, 60) is None:
            raise RuntimeError(f"BIRTH rows were not acked ({bench.acked() - bench.acked_base} of {births}); "
                               f"quarantined: {((agent.health() or {}).get('buffer') or {}).get('quarantined_total')}")
        bench.acked_base = bench.acked()
        pid = agent.process.pid
        cpu0 = cpu_seconds(pid)
        started = time.monotonic()
        for child in children:
            child.stdin.write("go\n")
            child.stdin.flush()
        finished = bench.wait_acked(total, args.timeout)
        if finished is None:
            log(f"  TIMEOUT: only {bench.acked() - bench.acked_base} of {total} metrics acked")
            bench.results["sparkplug"] = {}
            return
        cpu = cpu_seconds(pid) - cpu0
        result = {"metrics": total, "messages": total // METRICS_PER_MESSAGE, "rate": total / (finished - started),
                  "cpu_per_100k": cpu / total * 1e5}
        quarantined = ((agent.health() or {}).get("buffer") or {}).get("quarantined_total", 0)
        result["quarantined"] = quarantined
        log(f"  {result['rate']:,.0f} metrics/s end to end ({finished - started:.2f} s), agent CPU {cpu:.2f} s = "
            f"{result['cpu_per_100k']:.2f} s/100k metrics; quarantined {quarantined}")
        bench.results["sparkplug"] = result
    finally:
        for child in children:
            try:
                child.stdin.close()
                child.wait(30)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                child.kill()
        if agent.running:
            agent.stop(timeout=30)
        forget_session(bench.broker, "zerobus-edge-gw-bench-spb")


def report_lines(results: dict) -> list[str]:
    spb, json_max = results.get("sparkplug") or {}, (results.get("agent") or {}).get("max") or {}
    if not spb.get("rate"):
        return ["Sparkplug B: no figures (see the log above)"] if "sparkplug" in results else []
    lines = [f"Sparkplug B, DDATA of {METRICS_PER_MESSAGE} alias-only metrics, agent (same broker, emulator, run):",
             f"  {spb['rate']:,.0f} metrics/s end to end; agent CPU {spb['cpu_per_100k'] * 10:.2f} µs per metric "
             f"({spb['cpu_per_100k']:.2f} s/100k)"]
    if json_max.get("rate") and json_max.get("cpu_per_100k"):
        lines.append(f"  JSON, one reading per message: {json_max['rate']:,.0f} readings/s; agent CPU "
                     f"{json_max['cpu_per_100k'] * 10:.2f} µs per reading → Sparkplug metric / JSON reading CPU "
                     f"×{spb['cpu_per_100k'] / json_max['cpu_per_100k']:.2f}")
    return lines


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--publish", action="store_true", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--index", type=int, required=True)
    parser.add_argument("--messages", type=int, required=True)
    options = parser.parse_args()
    publish(options.port, options.index, options.messages)
