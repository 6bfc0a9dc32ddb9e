"""Fault injection: a thread-safe set of knobs, set from `--fault KEY=VALUE` or POST /_emulator/faults.

Record thresholds count records (a batch of 5 counts 5) received on all streams *after the
fault was set*; they fire once and then clear themselves. Setting a key to null clears it.
"""

import threading
import time

import grpc

STATUS_BY_CODE = {code.value[0]: code for code in grpc.StatusCode}

FAULT_HELP = """\
fault keys (--fault KEY=VALUE, or a JSON object POSTed to /_emulator/faults; null clears a key):
  unavailable_after_records=N      once N records have arrived, fail the RPC with UNAVAILABLE
                                   (the request that reaches N is not acked); one-shot
  fail_status_after_records=[N,C]  same with status code C (int or name, e.g. 13 or "INTERNAL")
  lose_acks_after_records=N        once N records have arrived, make every unacked request of the
                                   RPC durable (it reaches the records) but lose its ack: fail the
                                   RPC with UNAVAILABLE instead; one-shot. Models a server that
                                   committed a request whose ack never reached the client, the
                                   case that turns a resend into a duplicate
  close_signal_after_records=N     after acking the request that reaches N records, send
                                   close_stream_signal{duration}; one-shot. The RPC then ends
                                   after the duration with close_signal_end_status (or OK as
                                   soon as the client half-closes, which the SDK does once
                                   everything in flight is acked)
  close_signal_duration_ms=MS      duration in the signal (default 1000)
  close_signal_end_status=C        status when the duration expires (default UNAVAILABLE; 0/OK)
  withhold_acks=true               receive records but never ack them (until cleared)
  create_delay_ms=MS               delay the create_stream_response (create_delay_times creates,
                                   default -1 = every create)
  fail_create_with_status=C        fail creates with status C (fail_create_times, default -1 = all)
  token_endpoint_status=HTTP       answer the next token_endpoint_times (default 1) token
                                   requests with this HTTP status
  reject_records_matching=TEXT     any request holding a record whose text (JSON text, or the
                                   decoded proto as JSON) contains TEXT fails with
                                   INVALID_ARGUMENT (until cleared)
  max_ack_lag=N                    coalesce acks: ack when N requests are unacked, or when no
                                   request arrived for 20 ms (default 1 = ack every request)
  max_records_per_s=N              a slow uplink: all streams together are acked at most N
                                   records per second, each request in arrival order after those
                                   before it (until cleared)
"""

DEFAULTS = {
    "unavailable_after_records": None,
    "fail_status_after_records": None,
    "lose_acks_after_records": None,
    "close_signal_after_records": None,
    "close_signal_duration_ms": 1000,
    "close_signal_end_status": "UNAVAILABLE",
    "withhold_acks": False,
    "create_delay_ms": None,
    "create_delay_times": -1,
    "fail_create_with_status": None,
    "fail_create_times": -1,
    "token_endpoint_status": None,
    "token_endpoint_times": 1,
    "reject_records_matching": None,
    "max_ack_lag": 1,
    "max_records_per_s": None,
}
THRESHOLD_KEYS = ("unavailable_after_records", "fail_status_after_records", "close_signal_after_records",
                  "lose_acks_after_records")


def parse_status(value) -> grpc.StatusCode:
    if isinstance(value, str) and not value.isdigit():
        try:
            return grpc.StatusCode[value.upper()]
        except KeyError:
            raise ValueError(f"unknown gRPC status {value!r}") from None
    code = int(value)
    if code not in STATUS_BY_CODE:
        raise ValueError(f"unknown gRPC status code {code}")
    return STATUS_BY_CODE[code]


def _validate(key, value):
    if value is None:
        return DEFAULTS[key]
    if key in ("unavailable_after_records", "close_signal_after_records", "lose_acks_after_records", "create_delay_ms",
               "close_signal_duration_ms"):
        value = int(value)
        if value < 0:
            raise ValueError(f"{key} must be >= 0")
        return value
    if key in ("create_delay_times", "fail_create_times", "token_endpoint_times"):
        return int(value)
    if key == "max_records_per_s":
        value = int(value)
        if value < 1:
            raise ValueError("max_records_per_s must be >= 1 (null clears it)")
        return value
    if key == "max_ack_lag":
        value = int(value)
        if value < 1:
            raise ValueError("max_ack_lag must be >= 1")
        return value
    if key == "fail_status_after_records":
        if isinstance(value, dict):
            value = [value["records"], value["status"]]
        if isinstance(value, str):
            value = value.split(":", 1)
        records, status = value
        return [int(records), parse_status(status).value[0]]
    if key in ("fail_create_with_status", "close_signal_end_status"):
        return parse_status(value).value[0]
    if key == "token_endpoint_status":
        value = int(value)
        if not 100 <= value <= 599:
            raise ValueError("token_endpoint_status must be an HTTP status")
        return value
    if key == "withhold_acks":
        if isinstance(value, str):
            return value.lower() in ("1", "true", "yes", "on")
        return bool(value)
    if key == "reject_records_matching":
        return str(value)
    raise ValueError(f"unknown fault {key!r}")


class RecordAction:
    """What the stream handler must do with a request after counting its records."""

    def __init__(self, fail: grpc.StatusCode | None = None, close_signal_ms: int | None = None,
                 close_end_status: grpc.StatusCode | None = None, lose_acks: bool = False):
        self.fail = fail
        self.lose_acks = lose_acks
        self.close_signal_ms = close_signal_ms
        self.close_end_status = close_end_status


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self._values = dict(DEFAULTS)
        self._counted = {key: 0 for key in THRESHOLD_KEYS}
        self._throttle_free_at = 0.0  # monotonic time when the modelled uplink is next idle

    def update(self, changes: dict) -> dict:
        """Validates every key first, then applies them all (so a bad request changes nothing)."""
        unknown = [k for k in changes if k not in DEFAULTS]
        if unknown:
            raise ValueError(f"unknown fault key(s): {', '.join(unknown)}")
        validated = {k: _validate(k, v) for k, v in changes.items()}
        with self._lock:
            self._values.update(validated)
            for key in validated:
                if key in self._counted:
                    self._counted[key] = 0
            return dict(self._values)

    def set_from_cli(self, assignments: list[str]) -> None:
        import json
        changes = {}
        for item in assignments:
            key, sep, raw = item.partition("=")
            if not sep:
                raise ValueError(f"--fault needs KEY=VALUE, got {item!r}")
            try:
                changes[key.strip()] = json.loads(raw)
            except ValueError:
                changes[key.strip()] = raw
        self.update(changes)

    def reset(self) -> None:
        with self._lock:
            self._values = dict(DEFAULTS)
            self._counted = {key: 0 for key in THRESHOLD_KEYS}

    def snapshot(self) -> dict:
        with self._lock:
            return dict(self._values)

    def get(self, key):
        with self._lock:
            return self._values[key]

    def on_create(self) -> tuple[int, grpc.StatusCode | None]:
        """(delay in ms, status to fail with or None), consuming the counted create faults."""
        with self._lock:
            delay = self._consume("create_delay_ms", "create_delay_times") or 0
            status = self._consume("fail_create_with_status", "fail_create_times")
            return delay, (STATUS_BY_CODE[status] if status is not None else None)

    def on_token_request(self) -> int | None:
        with self._lock:
            return self._consume("token_endpoint_status", "token_endpoint_times")

    def _consume(self, key, times_key):
        value = self._values[key]
        if value is None:
            return None
        times = self._values[times_key]
        if times > 0:
            times -= 1
            self._values[times_key] = times
            if times == 0:
                self._values[key] = None
                self._values[times_key] = DEFAULTS[times_key]
        return value

    def throttle_delay(self, count: int) -> float:
        """Seconds a request of `count` records waits before its ack under max_records_per_s:
        the uplink is one queue shared by every stream, so a request waits for those that
        arrived before it, then for its own records."""
        with self._lock:
            rate = self._values["max_records_per_s"]
            if not rate:
                return 0.0
            now = time.monotonic()
            self._throttle_free_at = max(now, self._throttle_free_at) + count / rate
            return self._throttle_free_at - now

    def on_records(self, count: int) -> RecordAction:
        """Counts `count` received records against the thresholds; fires (and clears) at most once each."""
        with self._lock:
            fired = {}
            for key in THRESHOLD_KEYS:
                setting = self._values[key]
                if setting is None:
                    continue
                self._counted[key] += count
                limit = setting[0] if isinstance(setting, list) else setting
                if self._counted[key] >= limit:
                    fired[key] = setting
                    self._values[key] = None
                    self._counted[key] = 0
            action = RecordAction()
            if "unavailable_after_records" in fired:
                action.fail = grpc.StatusCode.UNAVAILABLE
            elif "fail_status_after_records" in fired:
                action.fail = STATUS_BY_CODE[fired["fail_status_after_records"][1]]
            action.lose_acks = "lose_acks_after_records" in fired
            if "close_signal_after_records" in fired:
                action.close_signal_ms = self._values["close_signal_duration_ms"]
                action.close_end_status = STATUS_BY_CODE[
                    _validate("close_signal_end_status", self._values["close_signal_end_status"])]
            return action
