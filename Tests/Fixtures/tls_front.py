"""TLS front for a plaintext HTTP/2 (h2c) backend, with a capped TLS version, on 127.0.0.1 port 0.

  --backend host:port   where to forward the decrypted bytes (e.g. grpc_echo_server.py's h2c port)
  --max-version 1.2     newest TLS version offered (1.2 or 1.3)
Python's ssl (OpenSSL) terminates TLS with ALPN h2 and a leaf for DNS:localhost; a gRPC client
then talks to the backend through it, so the client's TLS 1.2 code path is tested against a
server that refuses 1.3 (grpcio's own TLS always offers 1.3).
Prints one line: READY tls=<port> ca=<ca.pem>
"""
import argparse
import socket
import ssl
import sys
import threading

import test_certs
from connect_proxy import pipe


def serve(listener, context, backend):
    while True:
        client, _ = listener.accept()
        threading.Thread(target=forward, args=(client, context, backend), daemon=True).start()


def forward(client, context, backend):
    try:
        tls = context.wrap_socket(client, server_side=True)
        upstream = socket.create_connection(backend)
    except (OSError, ssl.SSLError):
        client.close()  # a failed handshake is the client's test to observe, not ours
        return
    threading.Thread(target=pipe, args=(upstream, tls), daemon=True).start()
    pipe(tls, upstream)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", required=True)
    parser.add_argument("--max-version", choices=["1.2", "1.3"], default="1.2")
    arguments = parser.parse_args()
    host, port = arguments.backend.rsplit(":", 1)
    directory = test_certs.work_directory("tls-front-")
    pki = test_certs.make_pki(directory)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.maximum_version = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}[arguments.max_version]
    context.set_alpn_protocols(["h2"])
    context.load_cert_chain(pki["cert"][0], pki["key"][0])
    listener = socket.create_server(("127.0.0.1", 0))
    threading.Thread(target=serve, args=(listener, context, (host, int(port))), daemon=True).start()
    test_certs.exit_when_stdin_closes(directory)
    print(f"READY tls={listener.getsockname()[1]} ca={pki['ca'][0]}", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    sys.exit(main())
