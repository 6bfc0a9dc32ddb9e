"""The `databricks.zerobus.Zerobus/EphemeralStream` handler (ZEROBUS_PROTOCOL.md §3).

One RPC = one worker thread running `EphemeralStream` plus one reader thread that turns the
blocking request iterator into a queue, so the handler can wait for "next request, or the
ack-coalescing idle tick, or the close-signal deadline" in one place.
"""

import json
import logging
import queue
import threading
import time
import uuid

import grpc

from decoding import ProtoSchema, RecordError, SchemaError, decode_json, message_arrow_schema, \
    message_to_native, proto_schema
from sinks import AckedRecord

log = logging.getLogger("zerobus-emulator.grpc")

MAX_MESSAGE_BYTES = 10 * 1024 * 1024
ACK_IDLE_SECONDS = 0.02
SERVICE = "databricks.zerobus.Zerobus"


class Abort(Exception):
    def __init__(self, code: grpc.StatusCode, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class StreamContext:
    """What one RPC learned from its create_stream."""

    def __init__(self, table, stream_id, record_type, schema: ProtoSchema | None, required_columns, arrow_schema):
        self.table = table
        self.stream_id = stream_id
        self.record_type = record_type
        self.schema = schema
        self.required_columns = required_columns
        self.arrow_schema = arrow_schema


class ZerobusService:
    def __init__(self, pb2, config, stats, faults, tokens, catalog, jsonl_sink, delta_sink):
        self.pb2 = pb2
        self.config = config
        self.stats = stats
        self.faults = faults
        self.tokens = tokens
        self.catalog = catalog
        self.jsonl = jsonl_sink
        self.delta = delta_sink
        self.record_type_names = {v.number: v.name for v in pb2.RecordType.DESCRIPTOR.values}

    def generic_handler(self):
        handler = grpc.stream_stream_rpc_method_handler(
            self.ephemeral_stream,
            request_deserializer=self.pb2.EphemeralStreamRequest.FromString,
            response_serializer=self.pb2.EphemeralStreamResponse.SerializeToString,
        )
        return grpc.method_handlers_generic_handler(SERVICE, {"EphemeralStream": handler})

    # --- RPC ------------------------------------------------------------------------------------

    def ephemeral_stream(self, request_iterator, context):
        self.stats.count("opens")
        self.stats.stream_active(1)
        table = None
        try:
            metadata = {k: v for k, v in context.invocation_metadata()}
            token = self._check_authentication(metadata)
            # The official client waits for response HEADERS before it sends create_stream.
            context.send_initial_metadata(())
            events = queue.Queue()
            threading.Thread(target=self._read_requests, args=(request_iterator, events),
                             name="zerobus-reader", daemon=True).start()
            kind, first = events.get()
            if kind == "cancelled":
                return
            if kind == "end":
                raise Abort(grpc.StatusCode.INVALID_ARGUMENT, "request stream ended before create_stream")
            stream = self._create(first, metadata, token)
            table = stream.table
            yield self.pb2.EphemeralStreamResponse(
                create_stream_response=self.pb2.CreateIngestStreamResponse(stream_id=stream.stream_id))
            yield from self._ingest_loop(stream, events, context)
        except Abort as abort:
            self.stats.error(abort.code.name, abort.message, table)
            log.info("RPC ends with %s: %s", abort.code.name, abort.message)
            context.abort(abort.code, abort.message)
        finally:
            self.stats.stream_active(-1)

    @staticmethod
    def _read_requests(request_iterator, events):
        try:
            for request in request_iterator:
                events.put(("request", request))
            events.put(("end", None))
        except Exception as e:  # noqa: BLE001 - cancellation surfaces as an exception here
            events.put(("cancelled", e))

    def _check_authentication(self, metadata) -> str | None:
        header = metadata.get("authorization")
        token = header[7:].strip() if header and header.lower().startswith("bearer ") else None
        if self.config.require_auth:
            if token is None:
                raise Abort(grpc.StatusCode.UNAUTHENTICATED, "missing 'authorization: Bearer <token>' header")
            if not self.tokens.is_valid(token):
                raise Abort(grpc.StatusCode.UNAUTHENTICATED, "unknown or expired bearer token")
        return token

    def _create(self, request, metadata, token) -> StreamContext:
        if request.WhichOneof("payload") != "create_stream":
            raise Abort(grpc.StatusCode.INVALID_ARGUMENT, "first message must be create_stream")
        create = request.create_stream
        table = create.table_name
        parts = table.split(".")
        if len(parts) != 3 or not all(parts):
            raise Abort(grpc.StatusCode.INVALID_ARGUMENT,
                        f"table_name must be catalog.schema.table, got {table!r}")
        header_table = metadata.get("x-databricks-zerobus-table-name")
        if header_table is not None and header_table != table:
            raise Abort(grpc.StatusCode.INVALID_ARGUMENT,
                        f"x-databricks-zerobus-table-name {header_table!r} does not match table_name {table!r}")
        if token is not None:
            covered = self.tokens.lookup(token)
            if covered is not None and table.lower() not in covered:
                raise Abort(grpc.StatusCode.PERMISSION_DENIED,
                            f"token's authorization_details do not grant MODIFY on {table}")
        record_type = create.record_type if create.HasField("record_type") else self.pb2.PROTO
        schema, arrow_schema, required = None, None, []
        if record_type == self.pb2.PROTO:
            if not create.descriptor_proto:
                raise Abort(grpc.StatusCode.INVALID_ARGUMENT, "PROTO stream needs descriptor_proto")
            try:
                schema = proto_schema(create.descriptor_proto)
            except SchemaError as e:
                raise Abort(grpc.StatusCode.INVALID_ARGUMENT, str(e)) from None
            if self.delta is not None:
                arrow_schema = _arrow_schema_or_none(lambda: _struct_to_schema(message_arrow_schema(schema.descriptor)))
        elif record_type == self.pb2.JSON:
            declared = self.catalog.get(table)
            if declared is not None:
                required = [c.name for c in declared[1] if not c.nullable]
                if self.delta is not None:
                    from uc_types import arrow_schema as uc_arrow_schema
                    arrow_schema = _arrow_schema_or_none(lambda: uc_arrow_schema(declared[1]))
        elif record_type == getattr(self.pb2, "AVRO", -1):
            raise Abort(grpc.StatusCode.UNIMPLEMENTED, "the emulator does not decode AVRO streams")
        else:
            raise Abort(grpc.StatusCode.INVALID_ARGUMENT,
                        f"record_type {self.record_type_names.get(record_type, record_type)} is not allowed")
        delay_ms, fail_status = self.faults.on_create()
        if delay_ms:
            time.sleep(delay_ms / 1000)  # injected fault: a slow server, not synchronisation
        if fail_status is not None:
            raise Abort(fail_status, f"injected fault: create fails with {fail_status.name}")
        stream = StreamContext(table, str(uuid.uuid4()), record_type, schema, required, arrow_schema)
        self.stats.stream_created(table)
        log.info("stream %s created for %s (%s)", stream.stream_id, table,
                 self.record_type_names.get(record_type, record_type))
        return stream

    # --- ingest -------------------------------------------------------------------------------

    def _ingest_loop(self, stream: StreamContext, events, context):
        expected_offset = 0
        pending = []            # [(offset, [AckedRecord])] received, not yet acked
        close_deadline = None   # monotonic time at which a signalled RPC ends
        close_status = None
        while True:
            timeout = None
            if pending:
                timeout = ACK_IDLE_SECONDS
            if close_deadline is not None:
                remaining = max(0.0, close_deadline - time.monotonic())
                timeout = remaining if timeout is None else min(timeout, remaining)
            try:
                kind, request = events.get(timeout=timeout)
            except queue.Empty:
                if close_deadline is not None and time.monotonic() >= close_deadline:
                    yield from self._ack(stream, pending)
                    if close_status == grpc.StatusCode.OK:
                        return
                    raise Abort(close_status, "stream closed after close_stream_signal duration")
                yield from self._ack(stream, pending)
                continue
            if kind == "cancelled" or (kind == "end" and not context.is_active()):
                log.info("stream %s cancelled by the client; %d unacked request(s) dropped",
                         stream.stream_id, len(pending))
                return
            if kind == "end":
                yield from self._ack(stream, pending)
                log.info("stream %s half-closed by the client", stream.stream_id)
                return
            records = self._decode_request(stream, request, expected_offset)
            expected_offset += 1
            self.stats.count("requests_received")
            self.stats.count("records_received", len(records))
            action = self.faults.on_records(len(records))
            if action.fail is not None:
                raise Abort(action.fail, f"injected fault: {action.fail.name} at offset {expected_offset - 1}")
            if action.lose_acks:
                pending.append((expected_offset - 1, records))
                lost = len(pending)
                for _ in self._ack(stream, pending):
                    pass  # durable like any acked request, but the response never leaves
                self.stats.count("acks_lost", lost)
                raise Abort(grpc.StatusCode.UNAVAILABLE,
                            f"injected fault: {lost} request(s) durable up to offset {expected_offset - 1}, acks lost")
            delay = self.faults.throttle_delay(len(records))
            if delay > 0:
                time.sleep(delay)  # injected fault: a slow uplink, not synchronisation
            if self.faults.get("withhold_acks"):
                continue
            pending.append((expected_offset - 1, records))
            if len(pending) >= self.faults.get("max_ack_lag"):
                yield from self._ack(stream, pending)
            if action.close_signal_ms is not None:
                yield from self._ack(stream, pending)
                self.stats.count("close_signals")
                log.info("stream %s: sending close_stream_signal(%d ms)", stream.stream_id, action.close_signal_ms)
                seconds, millis = divmod(action.close_signal_ms, 1000)
                signal = self.pb2.CloseStreamSignal()
                signal.duration.seconds = seconds
                signal.duration.nanos = millis * 1_000_000
                yield self.pb2.EphemeralStreamResponse(close_stream_signal=signal)
                close_deadline = time.monotonic() + action.close_signal_ms / 1000
                close_status = action.close_end_status

    def _ack(self, stream: StreamContext, pending: list):
        if not pending:
            return
        records = [r for _, batch in pending for r in batch]
        if self.jsonl is not None and records:
            self.jsonl.write(records)
        if self.delta is not None and records:
            self.delta.write(records, stream.arrow_schema)
        last_offset = pending[-1][0]
        self.stats.acked(stream.table, len(pending), sum(len(batch) for _, batch in pending))
        pending.clear()
        yield self.pb2.EphemeralStreamResponse(
            ingest_record_response=self.pb2.IngestRecordResponse(durability_ack_up_to_offset=last_offset))

    def _decode_request(self, stream: StreamContext, request, expected_offset):
        """Validates one ingest request; returns its records (or, with --no-decode, their count)."""
        kind = request.WhichOneof("payload")
        if kind not in ("ingest_record", "ingest_record_batch"):
            raise Abort(grpc.StatusCode.INVALID_ARGUMENT, f"unexpected {kind} after create_stream")
        body = getattr(request, kind)
        if not body.HasField("offset_id") or body.offset_id != expected_offset:
            got = body.offset_id if body.HasField("offset_id") else "none"
            raise Abort(grpc.StatusCode.INVALID_ARGUMENT,
                        f"offset_id {got} out of sequence, expected {expected_offset}")
        size = request.ByteSize()
        if size > MAX_MESSAGE_BYTES:
            raise Abort(grpc.StatusCode.INVALID_ARGUMENT,
                        f"message of {size} bytes at offset {expected_offset} exceeds the 10 MiB limit")
        is_proto = stream.record_type == self.pb2.PROTO
        if kind == "ingest_record":
            payload = body.WhichOneof("record")
            wanted = "proto_encoded_record" if is_proto else "json_record"
            if payload != wanted:
                raise Abort(grpc.StatusCode.INVALID_ARGUMENT,
                            f"offset {expected_offset}: {payload} on a {'PROTO' if is_proto else 'JSON'} stream")
            raw_records = [getattr(body, payload)]
        else:
            payload = body.WhichOneof("batch")
            wanted = "proto_encoded_batch" if is_proto else "json_batch"
            if payload != wanted:
                raise Abort(grpc.StatusCode.INVALID_ARGUMENT,
                            f"offset {expected_offset}: {payload} on a {'PROTO' if is_proto else 'JSON'} stream")
            raw_records = list(getattr(body, payload).records)
            if not raw_records:
                raise Abort(grpc.StatusCode.INVALID_ARGUMENT, f"offset {expected_offset}: empty batch")
        if not self.config.decode:
            return _Count(len(raw_records))
        reject = self.faults.get("reject_records_matching")
        records = []
        for index, raw in enumerate(raw_records):
            try:
                if is_proto:
                    message = stream.schema.decode(raw, expected_offset, index)
                    decoded = ProtoSchema.to_json(message)
                    native = message_to_native(message) if self.delta is not None else None
                    text = json.dumps(decoded)
                else:
                    decoded = decode_json(raw, expected_offset, index, stream.required_columns)
                    native, text = None, raw
            except RecordError as e:
                raise Abort(grpc.StatusCode.INVALID_ARGUMENT, str(e)) from None
            if reject and reject in text:
                raise Abort(grpc.StatusCode.INVALID_ARGUMENT,
                            f"record {index} at offset {expected_offset} rejected (matches {reject!r})")
            records.append(AckedRecord(stream.table, stream.stream_id, expected_offset, index, decoded, native))
        return records


class _Count(list):
    """--no-decode: stands in for the record list; only its length matters."""

    def __init__(self, n):
        super().__init__()
        self.n = n

    def __len__(self):
        return self.n


def _struct_to_schema(struct_type):
    import pyarrow as pa
    return pa.schema(list(struct_type))


def _arrow_schema_or_none(build):
    try:
        return build()
    except Exception as e:  # noqa: BLE001 - Delta is optional; a schema it can't express just infers
        log.warning("no Arrow schema for Delta (%s); types will be inferred", e)
        return None
