"""Shared emulator state: counters, minted OAuth tokens, and the Unity Catalog table registry.

Every object here is reached from gRPC worker threads and HTTP handler threads, so each
guards its fields with one lock and hands out copies.
"""

import secrets
import threading
import time
from collections import defaultdict

from uc_types import Column, parse_table_spec


class Stats:
    def __init__(self):
        self._lock = threading.Lock()
        self._counters = defaultdict(int)
        self.reset()

    def reset(self):
        with self._lock:
            self._counters = defaultdict(int)
            self._per_table = defaultdict(lambda: {"records": 0, "streams": 0, "requests": 0})
            self._last_error = None
            self._errors = []
            self._active = 0

    def count(self, name: str, amount: int = 1):
        with self._lock:
            self._counters[name] += amount

    def stream_created(self, table: str):
        with self._lock:
            self._counters["creates"] += 1
            self._per_table[table]["streams"] += 1

    def acked(self, table: str, requests: int, records: int):
        with self._lock:
            self._counters["records_acked"] += records
            self._counters["requests_acked"] += requests
            self._per_table[table]["records"] += records
            self._per_table[table]["requests"] += requests

    def stream_active(self, delta: int):
        with self._lock:
            self._active += delta

    def error(self, status: str, message: str, table: str | None):
        entry = {"status": status, "message": message, "table": table, "time": time.time()}
        with self._lock:
            self._last_error = entry
            self._errors = (self._errors + [entry])[-50:]
            self._counters["errors"] += 1

    def snapshot(self) -> dict:
        with self._lock:
            out = {key: self._counters.get(key, 0) for key in (
                "opens", "creates", "records_received", "requests_received", "records_acked",
                "requests_acked", "mints", "workspace_mints", "table_mints", "token_requests", "uc_requests",
                "close_signals", "acks_lost", "errors")}
            out["active_streams"] = self._active
            out["per_table"] = {name: dict(v) for name, v in self._per_table.items()}
            out["last_error"] = self._last_error
            out["recent_errors"] = list(self._errors)
            return out


class TokenStore:
    """OAuth tokens minted by the token endpoint, with the tables their authorization_details cover."""

    def __init__(self, static_token: str | None):
        self.static_token = static_token
        self._lock = threading.Lock()
        self._tokens = {}
        self._minted_tables = defaultdict(int)

    def mint(self, authorization_details: list, ttl_seconds: int) -> str:
        token = "emu-" + secrets.token_urlsafe(24)
        tables = {d["object_full_path"].lower() for d in authorization_details
                  if d.get("object_type") == "TABLE" and "MODIFY" in d.get("privileges", [])}
        with self._lock:
            self._tokens[token] = (time.monotonic() + ttl_seconds, tables)
            for table in tables:
                self._minted_tables[table] += 1
        return token

    def lookup(self, token: str):
        """`None` if unknown or expired, else the set of tables the token may write."""
        with self._lock:
            entry = self._tokens.get(token)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def is_valid(self, token: str) -> bool:
        return (self.static_token is not None and secrets.compare_digest(token, self.static_token)) \
            or self.lookup(token) is not None

    def minted_tables(self) -> dict:
        with self._lock:
            return dict(self._minted_tables)

    def reset(self):
        with self._lock:
            self._tokens.clear()
            self._minted_tables.clear()


class Catalog:
    """Tables known to the UC stub (from --uc-table or POST /_emulator/tables)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._tables: dict[str, list[Column]] = {}

    def define(self, spec: str) -> str:
        name, columns = parse_table_spec(spec)
        with self._lock:
            self._tables[name.lower()] = (name, columns)
        return name

    def get(self, full_name: str):
        """(declared name, columns) or None."""
        with self._lock:
            return self._tables.get(full_name.lower())
