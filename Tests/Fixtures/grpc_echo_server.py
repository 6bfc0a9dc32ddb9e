"""gRPC test server for GRPCTransportTests, with bytes (identity) serializers.

Methods:
  /test.Echo/Bidi   echoes every message; ends OK with trailer x-echo-count=<messages>.
  /test.Echo/Abort  reads the first request message and aborts with the code in metadata
                    x-abort-code and that message (UTF-8) as the status message.
  /test.Echo/Sink   client streaming; replies once with "<messages> <bytes>" (ASCII).
  /test.Echo/Count  unary; returns the number of calls to other methods so far, as ASCII.
Serves h2c and TLS (leaf for DNS:localhost) on 127.0.0.1, port 0, and prints one line:
  READY h2c=<port> tls=<port> ca=<ca.pem> other_ca=<unrelated ca.pem>
"""
import sys
import threading
from concurrent import futures

import grpc

import test_certs

calls = 0
lock = threading.Lock()


def count_call():
    global calls
    with lock:
        calls += 1


def bidi(request_iterator, context):
    count_call()
    received = 0
    for message in request_iterator:
        received += 1
        yield message
    context.set_trailing_metadata((("x-echo-count", str(received)),))


def abort(request_iterator, context):
    count_call()
    metadata = dict(context.invocation_metadata())
    first = next(request_iterator, b"aborted")
    code = int(metadata.get("x-abort-code", "9"))
    status = next(s for s in grpc.StatusCode if s.value[0] == code)
    context.abort(status, first.decode())


def sink(request_iterator, context):
    count_call()
    messages = 0
    total = 0
    for message in request_iterator:
        messages += 1
        total += len(message)
    return f"{messages} {total}".encode()


def count(request, context):
    with lock:
        return str(calls).encode()


def identity(value):
    return value


def main():
    directory = test_certs.work_directory("grpc-echo-")
    pki = test_certs.make_pki(directory)
    handlers = {
        "Bidi": grpc.stream_stream_rpc_method_handler(bidi, identity, identity),
        "Abort": grpc.stream_stream_rpc_method_handler(abort, identity, identity),
        "Sink": grpc.stream_unary_rpc_method_handler(sink, identity, identity),
        "Count": grpc.unary_unary_rpc_method_handler(count, identity, identity),
    }
    options = [("grpc.max_receive_message_length", 16 << 20), ("grpc.max_send_message_length", 16 << 20)]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16), options=options)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("test.Echo", handlers),))
    h2c_port = server.add_insecure_port("127.0.0.1:0")
    credentials = grpc.ssl_server_credentials([(pki["key"][1], pki["cert"][1])])
    tls_port = server.add_secure_port("127.0.0.1:0", credentials)
    server.start()
    test_certs.exit_when_stdin_closes(directory)
    print(f"READY h2c={h2c_port} tls={tls_port} ca={pki['ca'][0]} other_ca={pki['other_ca'][0]}", flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    sys.exit(main())
