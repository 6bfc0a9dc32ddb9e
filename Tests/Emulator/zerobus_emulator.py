#!/usr/bin/env python3
"""Local Databricks Zerobus Ingest emulator (see README.md in this folder).

Serves `databricks.zerobus.Zerobus/EphemeralStream` over h2c and/or TLS with grpcio, an OAuth
token endpoint, a Unity Catalog table stub and a control API on one HTTP port. Prints exactly one
line to stdout when ready:

  ZEROBUS_EMULATOR grpc=http://127.0.0.1:P tls=https://localhost:P http=http://127.0.0.1:P ca=/path/ca.pem

(parts that are not enabled are left out), then logs to stderr until SIGTERM/SIGINT.
"""

import argparse
import logging
import signal
import sys
import tempfile
import threading
from concurrent import futures
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import grpc  # noqa: E402

import stubs  # noqa: E402
from certs import ensure_certificates  # noqa: E402
from faults import FAULT_HELP, Faults  # noqa: E402
from http_api import EmulatorHTTP  # noqa: E402
from service import ZerobusService  # noqa: E402
from sinks import DeltaSink, JsonlSink  # noqa: E402
from state import Catalog, Stats, TokenStore  # noqa: E402

log = logging.getLogger("zerobus-emulator")


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="zerobus_emulator.py",
        description="Local Zerobus Ingest emulator for tests, demos and offline development.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=FAULT_HELP,
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0,
                   help="gRPC port (0 = pick a free one). h2c, or TLS when --tls is given")
    p.add_argument("--tls", action="store_true", help="serve TLS (ALPN h2) on --port instead of h2c")
    p.add_argument("--tls-port", type=int, default=None,
                   help="also serve TLS on this port (0 = free port) next to h2c on --port")
    p.add_argument("--cert-dir", default=None,
                   help="where the CA and server certificate are generated/reused (default: a temp dir)")
    p.add_argument("--http-port", type=int, default=0,
                   help="port of the OAuth/Unity Catalog/control HTTP server (0 = free port)")
    p.add_argument("--require-auth", action="store_true",
                   help="require 'authorization: Bearer' with --token or a minted token (else UNAUTHENTICATED)")
    p.add_argument("--token", default=None, help="static bearer token accepted with --require-auth")
    p.add_argument("--client-id", default=None,
                   help="OAuth client id the token endpoint accepts (default: any credentials)")
    p.add_argument("--client-secret", default=None, help="OAuth client secret for --client-id")
    p.add_argument("--token-ttl", type=int, default=3600, help="expires_in of minted tokens, seconds (default 3600)")
    p.add_argument("--uc-table", action="append", default=[], metavar="CAT.SCH.TBL=COL:TYPE,...",
                   help="declare a table for the Unity Catalog stub, e.g. 'main.d.t=id:bigint,tags:array<string>'; "
                        "append ' NOT NULL' to a column to make JSON records require it (repeatable)")
    p.add_argument("--out", default=None, help="append every acked record as a JSON line to this file")
    p.add_argument("--delta-dir", default=None,
                   help="also append acked records to a local Delta table per table name in this directory")
    p.add_argument("--delta-flush-ms", type=int, default=1000, help="Delta append interval (default 1000)")
    p.add_argument("--no-decode", dest="decode", action="store_false",
                   help="ack without decoding or storing records (benchmarks); records are still counted")
    p.add_argument("--fault", action="append", default=[], metavar="KEY=VALUE",
                   help="set a fault at start-up (repeatable; keys below)")
    p.add_argument("--max-workers", type=int, default=64, help="concurrent RPCs (default 64)")
    p.add_argument("--proto", default=str(stubs.DEFAULT_PROTO), help="path of zerobus_service.proto")
    p.add_argument("--stub-cache", default=None, help="where generated Python stubs are cached")
    p.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING (default INFO)")
    args = p.parse_args(argv)
    if args.client_secret is not None and args.client_id is None:
        p.error("--client-secret needs --client-id")
    if not args.decode and args.delta_dir:
        p.error("--no-decode and --delta-dir exclude each other")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    pb2 = stubs.load(Path(args.proto), Path(args.stub_cache) if args.stub_cache else None)

    stats, faults, tokens, catalog = Stats(), Faults(), TokenStore(args.token), Catalog()
    faults.set_from_cli(args.fault)
    for spec in args.uc_table:
        catalog.define(spec)
    jsonl = JsonlSink(args.out) if args.out and args.decode else None
    delta = DeltaSink(args.delta_dir, args.delta_flush_ms) if args.delta_dir else None

    service = ZerobusService(pb2, args, stats, faults, tokens, catalog, jsonl, delta)
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=args.max_workers, thread_name_prefix="rpc"),
        handlers=[service.generic_handler()],
        options=[
            # We enforce the 10 MiB limit ourselves (INVALID_ARGUMENT naming the offset).
            ("grpc.max_receive_message_length", 64 * 1024 * 1024),
            ("grpc.max_send_message_length", 64 * 1024 * 1024),
        ],
    )
    parts = ["ZEROBUS_EMULATOR"]
    ca_path = None
    tls_port_requested = args.port if args.tls else args.tls_port
    if not args.tls:
        port = server.add_insecure_port(f"{args.host}:{args.port}")
        parts.append(f"grpc=http://{_url_host(args.host)}:{port}")
    if tls_port_requested is not None:
        cert_dir = args.cert_dir or tempfile.mkdtemp(prefix="zerobus-emulator-certs-")
        paths = ensure_certificates(cert_dir, [args.host] if args.host not in ("127.0.0.1", "localhost") else [])
        credentials = grpc.ssl_server_credentials([(paths["key"].read_bytes(), paths["cert"].read_bytes())])
        tls_port = server.add_secure_port(f"{args.host}:{tls_port_requested}", credentials)
        tls_host = "localhost" if args.host in ("127.0.0.1", "localhost", "0.0.0.0") else args.host
        parts.append(f"tls=https://{tls_host}:{tls_port}")
        ca_path = paths["ca"]
    http = EmulatorHTTP(args.host, args.http_port, args, stats, faults, tokens, catalog, jsonl)
    parts.append(f"http=http://{_url_host(args.host)}:{http.port}")
    if ca_path is not None:
        parts.append(f"ca={ca_path}")

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    server.start()
    http.start()
    print(" ".join(parts), flush=True)
    log.info("ready: %s", " ".join(parts[1:]))
    # Short waits: a signal delivered to one of grpc's threads only sets a flag that the main
    # thread acts on when it next runs Python code, so a long wait would sleep through SIGTERM.
    while not stop.wait(0.2):
        pass
    log.info("shutting down")
    server.stop(grace=1).wait(5)
    http.stop()
    if delta is not None:
        delta.close()
    if jsonl is not None:
        jsonl.close()
    return 0


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


if __name__ == "__main__":
    sys.exit(main())
