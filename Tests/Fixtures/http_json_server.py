"""HTTP/1.1 JSON test server (plain and TLS, no ALPN) for HTTP1Client tests, on 127.0.0.1 port 0.

  POST /token    -> 200 JSON {"access_token": "test-token", "received": <request body>,
                    "content_type": <Content-Type>, "user_agent": <User-Agent>} (Content-Length)
  GET  /chunked  -> 200 JSON sent with Transfer-Encoding: chunked, in several chunks
  other          -> 404 JSON {"error": "not found"}
Prints one line: READY http=<port> https=<port> ca=<ca.pem>
"""
import http.server
import json
import ssl
import threading

import test_certs


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, status, value):
        body = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode()
        if self.path != "/token":
            return self.send_json(404, {"error": "not found"})
        self.send_json(200, {"access_token": "test-token", "received": body,
                             "content_type": self.headers.get("Content-Type"),
                             "user_agent": self.headers.get("User-Agent")})

    def do_GET(self):
        if self.path != "/chunked":
            return self.send_json(404, {"error": "not found"})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for part in (b'{"parts": [', b'"a", "b", ', b'"c"]}'):
            self.wfile.write(b"%x;ext=1\r\n%s\r\n" % (len(part), part))
        self.wfile.write(b"0\r\nX-Trailer: yes\r\n\r\n")


def main():
    directory = test_certs.work_directory("http-json-")
    pki = test_certs.make_pki(directory)
    plain = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    secure = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki["cert"][0], pki["key"][0])
    secure.socket = context.wrap_socket(secure.socket, server_side=True)
    for server in (plain, secure):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    test_certs.exit_when_stdin_closes(directory)
    print(f"READY http={plain.server_address[1]} https={secure.server_address[1]} ca={pki['ca'][0]}", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
