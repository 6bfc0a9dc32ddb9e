"""Tiny threaded HTTP CONNECT proxy for tests, on 127.0.0.1 port 0.

  --auth user:password   require Proxy-Authorization: Basic for CONNECT (else 407)
Answers `GET /count` with the number of tunnels opened so far (plain text).
Prints one line: READY port=<port>
"""
import argparse
import base64
import socket
import socketserver
import sys
import threading

import test_certs

tunnels = 0
lock = threading.Lock()
required_authorization = None


def pipe(source, destination):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            destination.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, destination):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        global tunnels
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            head += chunk
        head, _, rest = head.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if method == "GET" and target == "/count":
            with lock:
                body = str(tunnels).encode()
            self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
            return
        if method != "CONNECT":
            self.request.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        if required_authorization and headers.get("proxy-authorization") != required_authorization:
            self.request.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                                 b"Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n")
            return
        host, _, port = target.rpartition(":")
        try:
            upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=10)
            upstream.settimeout(None)
        except OSError as error:
            self.request.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            print(f"upstream {target} failed: {error}", file=sys.stderr, flush=True)
            return
        with lock:
            tunnels += 1
        self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        if rest:
            upstream.sendall(rest)
        back = threading.Thread(target=pipe, args=(upstream, self.request), daemon=True)
        back.start()
        pipe(self.request, upstream)
        back.join()
        upstream.close()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global required_authorization
    parser = argparse.ArgumentParser()
    parser.add_argument("--auth")
    arguments = parser.parse_args()
    if arguments.auth:
        required_authorization = "Basic " + base64.b64encode(arguments.auth.encode()).decode()
    server = Server(("127.0.0.1", 0), Handler)
    test_certs.exit_when_stdin_closes()
    print(f"READY port={server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
