"""Where acked records go: a JSON-lines file (written before the ack is sent, so a client that saw
its flush() return can read every record) and, optionally, one local Delta table per table name.

Delta appends are batched by a background thread (every --delta-flush-ms and at shutdown),
because one Delta commit per ack would create thousands of tiny files.
"""

import json
import logging
import queue
import threading
from pathlib import Path

log = logging.getLogger("zerobus-emulator.sinks")


class AckedRecord:
    __slots__ = ("table", "stream_id", "offset", "index_in_batch", "record", "native")

    def __init__(self, table, stream_id, offset, index_in_batch, record, native=None):
        self.table = table
        self.stream_id = stream_id
        self.offset = offset
        self.index_in_batch = index_in_batch
        self.record = record      # JSON-able dict (MessageToDict or parsed JSON)
        self.native = native      # dict with native values for Delta (proto only)


class JsonlSink:
    def __init__(self, path: str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._file = open(self.path, "a", encoding="utf-8")

    def write(self, records: list[AckedRecord]) -> None:
        lines = "".join(
            json.dumps({"table": r.table, "stream_id": r.stream_id, "offset": r.offset,
                        "index_in_batch": r.index_in_batch, "record": r.record}, separators=(",", ":")) + "\n"
            for r in records)
        with self._lock:
            self._file.write(lines)
            self._file.flush()

    def read(self, table: str | None = None) -> list[dict]:
        with self._lock:
            self._file.flush()
        rows = []
        with open(self.path, encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                if table is None or row["table"] == table:
                    rows.append(row)
        return rows

    def close(self) -> None:
        with self._lock:
            self._file.close()


class DeltaSink:
    """Appends acked records to DIR/<catalog.schema.table> with `deltalake.write_deltalake`.

    The Arrow schema comes from the proto descriptor (PROTO streams), else from the UC stub
    declaration (JSON streams), else pyarrow infers it (columns that are all null are dropped).
    """

    def __init__(self, directory: str, flush_ms: int):
        import deltalake  # noqa: F401 - fail at start-up, not on the first write
        import pyarrow  # noqa: F401

        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.flush_seconds = flush_ms / 1000
        self._queue = queue.Queue()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="delta-writer", daemon=True)
        self._thread.start()

    def write(self, records: list[AckedRecord], arrow_schema) -> None:
        if records:
            self._queue.put((records[0].table, [r.native if r.native is not None else r.record for r in records],
                             arrow_schema))

    def _run(self):
        while not self._stopping.is_set():
            self._stopping.wait(self.flush_seconds)
            self._drain()

    def _drain(self):
        pending: dict[str, tuple[list, object]] = {}
        while True:
            try:
                table, rows, schema = self._queue.get_nowait()
            except queue.Empty:
                break
            rows_so_far, _ = pending.get(table, ([], None))
            pending[table] = (rows_so_far + rows, schema)
        for table, (rows, schema) in pending.items():
            try:
                self._append(table, rows, schema)
            except Exception as e:  # noqa: BLE001 - a Delta problem must not stop ingestion
                log.warning("delta append to %s failed: %s", table, e)

    def _append(self, table, rows, schema):
        import pyarrow as pa
        from deltalake import write_deltalake

        if schema is not None:
            data = pa.Table.from_pylist(rows, schema=schema)
        else:
            data = pa.Table.from_pylist(rows)
            keep = [i for i, f in enumerate(data.schema) if not pa.types.is_null(f.type)]
            data = data.select(keep)
        write_deltalake(str(self.directory / table), data, mode="append", schema_mode="merge")
        log.info("delta: appended %d record(s) to %s", len(rows), table)

    def close(self):
        self._stopping.set()
        self._thread.join(timeout=10)
        self._drain()
