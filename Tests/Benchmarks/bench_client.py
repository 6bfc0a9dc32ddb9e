"""Client benchmark: the Swift ZerobusClient vs the official Python SDK, same run, same emulator.

Both stream the same number of small proto rows in the same batch size to one emulator that
acks without decoding (so the emulator is not what is measured). For each client it prints
rows/s (wall clock, until everything is acked) and client CPU seconds (user+sys of the client
process from wait4), then the ratios. Usage (from the repo root, after `swift build -c release`):

    .venv/bin/python Tests/Benchmarks/bench_client.py [--rows 1000000] [--batch 1000]
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests" / "Emulator"))
from emulator_process import EmulatorProcess, clean_env  # noqa: E402


def run_measured(argv: list[str]) -> tuple[dict, float, float]:
    """Runs a client to completion; returns its summary fields, wall seconds and CPU seconds."""
    started = time.monotonic()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, env=clean_env())
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    output = process.stdout.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv[0]} failed:\n{output}")
    line = [l for l in output.splitlines() if l.startswith("rows_acked=")][-1]
    fields = dict(part.split("=") for part in line.split())
    return fields, wall, usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1_000)
    args = parser.parse_args()

    swift_client = ROOT / ".build" / "release" / "zerobus-example"
    if not swift_client.exists():
        raise SystemExit("build first: swift build -c release --product zerobus-example")
    log = ROOT / ".build" / "bench-emulator.log"
    emulator = EmulatorProcess(["--no-decode", "--log-level", "WARNING"], log).start()
    host = emulator.endpoints["grpc"]
    try:
        results = {}
        results["swift"] = run_measured([str(swift_client), "--endpoint", host, "--rows", str(args.rows),
                                         "--batch", str(args.batch), "--quiet"])
        results["python-sdk"] = run_measured([sys.executable, str(Path(__file__).parent / "sdk_stream.py"), host,
                                              str(args.rows), str(args.batch)])
        stats = emulator.stats()
    finally:
        emulator.stop()

    expected = 2 * args.rows
    print(f"client benchmark: {args.rows} proto rows per client, batches of {args.batch}, h2c, emulator acks only")
    print(f"{'client':<12} {'rows/s':>12} {'CPU s':>8} {'CPU µs/row':>11}")
    for name, (fields, wall, cpu) in results.items():
        rows = int(fields["rows_acked"])
        print(f"{name:<12} {rows / float(fields['seconds']):>12,.0f} {cpu:>8.2f} {cpu / rows * 1e6:>11.2f}")
    (swift, _, swift_cpu), (sdk, _, sdk_cpu) = results["swift"], results["python-sdk"]
    rate_ratio = (int(swift["rows_acked"]) / float(swift["seconds"])) / (int(sdk["rows_acked"]) / float(sdk["seconds"]))
    print(f"ratio swift/python-sdk: rows/s x{rate_ratio:.2f}, CPU x{swift_cpu / sdk_cpu:.2f}")
    print(f"emulator acked {stats['records_acked']} of {expected} rows")
    if stats["records_acked"] != expected:
        raise SystemExit("not every row was acknowledged")


if __name__ == "__main__":
    main()
