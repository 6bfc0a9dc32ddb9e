"""The plain-HTTP side of the emulator, all on one threaded port:

  POST /oidc/v1/token                          OAuth client-credentials mint (ZEROBUS_PROTOCOL.md §5)
  GET  /api/2.1/unity-catalog/tables/{name}    Unity Catalog table stub
  GET  /_emulator/stats                        counters (JSON)
  GET  /_emulator/faults                       current fault settings
  POST /_emulator/faults                       set faults (JSON object, see faults.FAULT_HELP)
  POST /_emulator/reset                        zero counters, clear faults and minted tokens
  POST /_emulator/tables                       {"spec": "cat.sch.tbl=col:type,..."} declare a UC table
  GET  /_emulator/records[?table=NAME]         acked records from the --out file (JSON array)
"""

import base64
import json
import logging
import secrets
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from uc_types import table_json

log = logging.getLogger("zerobus-emulator.http")

PRIVILEGE_TYPE = "unity_catalog_privileges"
OBJECT_TYPES = {"CATALOG", "SCHEMA", "TABLE"}


def validate_authorization_details(raw: str) -> list:
    details = json.loads(raw)
    if not isinstance(details, list) or not details:
        raise ValueError("authorization_details must be a non-empty JSON array")
    for entry in details:
        if not isinstance(entry, dict):
            raise ValueError("authorization_details entries must be objects")
        if entry.get("type") != PRIVILEGE_TYPE:
            raise ValueError(f"authorization_details type must be {PRIVILEGE_TYPE!r}")
        if entry.get("object_type") not in OBJECT_TYPES:
            raise ValueError(f"object_type must be one of {sorted(OBJECT_TYPES)}")
        path = entry.get("object_full_path")
        if not isinstance(path, str) or not path:
            raise ValueError("object_full_path must be a non-empty string")
        privileges = entry.get("privileges")
        if not isinstance(privileges, list) or not all(isinstance(p, str) for p in privileges):
            raise ValueError("privileges must be a list of strings")
    return details


class EmulatorHTTP:
    def __init__(self, host, port, config, stats, faults, tokens, catalog, jsonl_sink):
        self.config = config
        self.stats = stats
        self.faults = faults
        self.tokens = tokens
        self.catalog = catalog
        self.jsonl = jsonl_sink
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt, *args):
                log.debug("%s %s", self.address_string(), fmt % args)

            def do_GET(self):
                api.dispatch(self, "GET")

            def do_POST(self):
                api.dispatch(self, "POST")

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, name="http", daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    # --- plumbing -------------------------------------------------------------------------------

    @staticmethod
    def _reply(handler, status: int, body: dict | list):
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    @staticmethod
    def _body(handler) -> bytes:
        length = int(handler.headers.get("Content-Length") or 0)
        return handler.rfile.read(length) if length else b""

    def dispatch(self, handler, method):
        url = urllib.parse.urlsplit(handler.path)
        path = url.path
        try:
            if method == "POST" and path == "/oidc/v1/token":
                return self.token(handler)
            if method == "GET" and path.startswith("/api/2.1/unity-catalog/tables/"):
                return self.uc_table(handler, urllib.parse.unquote(path[len("/api/2.1/unity-catalog/tables/"):]))
            if method == "GET" and path == "/_emulator/stats":
                snapshot = self.stats.snapshot()
                snapshot["minted_tables"] = self.tokens.minted_tables()
                snapshot["faults"] = self.faults.snapshot()
                return self._reply(handler, 200, snapshot)
            if path == "/_emulator/faults":
                if method == "POST":
                    changes = json.loads(self._body(handler) or b"{}")
                    if not isinstance(changes, dict):
                        raise ValueError("faults must be a JSON object")
                    return self._reply(handler, 200, self.faults.update(changes))
                return self._reply(handler, 200, self.faults.snapshot())
            if method == "POST" and path == "/_emulator/reset":
                self._body(handler)
                self.stats.reset()
                self.faults.reset()
                self.tokens.reset()
                return self._reply(handler, 200, {"reset": True})
            if method == "POST" and path == "/_emulator/tables":
                spec = json.loads(self._body(handler) or b"{}").get("spec", "")
                return self._reply(handler, 200, {"defined": self.catalog.define(spec)})
            if method == "GET" and path == "/_emulator/records":
                if self.jsonl is None:
                    return self._reply(handler, 404, {"error": "the emulator runs without --out"})
                table = urllib.parse.parse_qs(url.query).get("table", [None])[0]
                return self._reply(handler, 200, self.jsonl.read(table))
            return self._reply(handler, 404, {"error_code": "ENDPOINT_NOT_FOUND", "message": f"no route {method} {path}"})
        except (ValueError, KeyError, TypeError) as e:
            return self._reply(handler, 400, {"error_code": "INVALID_PARAMETER_VALUE", "message": str(e)})

    # --- OAuth ----------------------------------------------------------------------------------

    def _basic_credentials(self, handler):
        header = handler.headers.get("Authorization", "")
        if not header.lower().startswith("basic "):
            return None
        try:
            client_id, _, secret = base64.b64decode(header[6:].strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return client_id, secret

    def token(self, handler):
        self.stats.count("token_requests")
        form = urllib.parse.parse_qs(self._body(handler).decode(errors="replace"), keep_blank_values=True)
        injected = self.faults.on_token_request()
        if injected is not None:
            return self._reply(handler, injected, {"error": "injected_fault", "error_description": f"HTTP {injected}"})
        credentials = self._basic_credentials(handler)
        expected_id, expected_secret = self.config.client_id, self.config.client_secret
        if credentials is None or (expected_id is not None and not (
                secrets.compare_digest(credentials[0], expected_id)
                and secrets.compare_digest(credentials[1], expected_secret or ""))):
            return self._reply(handler, 401, {"error": "invalid_client", "error_description": "bad client credentials"})
        field = lambda name: form.get(name, [None])[0]  # noqa: E731
        if field("grant_type") != "client_credentials":
            return self._reply(handler, 400, {"error": "unsupported_grant_type"})
        if field("scope") != "all-apis":
            return self._reply(handler, 400, {"error": "invalid_scope", "error_description": "scope must be all-apis"})
        raw_details = field("authorization_details")
        if raw_details is None and field("resource") is None:
            # A workspace token (REST APIs such as Unity Catalog): valid, but it may write no table.
            details = []
        else:
            try:
                details = validate_authorization_details(raw_details or "")
            except ValueError as e:
                return self._reply(handler, 400, {"error": "invalid_request", "error_description": str(e)})
        token = self.tokens.mint(details, self.config.token_ttl)
        self.stats.count("mints")
        self.stats.count("workspace_mints" if not details else "table_mints")
        log.info("minted a token for %s (resource %s)",
                 [d["object_full_path"] for d in details if d["object_type"] == "TABLE"] or "the workspace",
                 field("resource"))
        return self._reply(handler, 200, {"access_token": token, "expires_in": self.config.token_ttl,
                                          "token_type": "Bearer", "scope": "all-apis"})

    # --- Unity Catalog --------------------------------------------------------------------------

    def uc_table(self, handler, full_name):
        self.stats.count("uc_requests")
        if self.config.require_auth:
            header = handler.headers.get("Authorization", "")
            token = header[7:].strip() if header.lower().startswith("bearer ") else ""
            if not token or not self.tokens.is_valid(token):
                return self._reply(handler, 401, {"error_code": "UNAUTHENTICATED",
                                                  "message": "a valid Bearer token is required"})
        declared = self.catalog.get(full_name)
        if declared is None:
            return self._reply(handler, 404, {"error_code": "TABLE_DOES_NOT_EXIST",
                                              "message": f"Table '{full_name}' does not exist."})
        return self._reply(handler, 200, table_json(*declared))
