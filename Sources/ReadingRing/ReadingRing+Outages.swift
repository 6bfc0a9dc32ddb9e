import SQLite

/// One period in which the cloud could not be reached, as the health document reports it.
public struct OutageRecord: Sendable, Hashable {
    /// When it began, µs since the epoch.
    public var start: Int64
    /// When the link came back; nil while it lasts.
    public var end: Int64?
    /// Rows the ring took in meanwhile (ids handed out: readings, and health rows if any).
    public var rowsBuffered: Int64
    /// Rows dropped meanwhile (full or aged out; see the loss ledger for the reasons).
    public var rowsDropped: Int64

    public init(start: Int64, end: Int64?, rowsBuffered: Int64, rowsDropped: Int64) {
        self.start = start
        self.end = end
        self.rowsBuffered = rowsBuffered
        self.rowsDropped = rowsDropped
    }
}

extension RingDatabase {
    /// Added in ring format 2: the recent outages, newest last, at most `ReadingRing.outagesKept`.
    static let outagesSchema = """
        CREATE TABLE IF NOT EXISTS outages(
            start INTEGER PRIMARY KEY,
            end INTEGER,
            rows_buffered INTEGER NOT NULL,
            rows_dropped INTEGER NOT NULL);
        """
}

extension ReadingRing {
    /// How many outages the ring remembers.
    public static let outagesKept = 20

    /// Inserts or updates the outage that began at `record.start`, and forgets the oldest ones
    /// beyond `outagesKept`. Called at most once per health interval.
    public func saveOutage(_ record: OutageRecord) throws {
        try withStore { store in
            try store.write {
                let upsert = try store.db.prepare(
                    "INSERT OR REPLACE INTO outages(start, end, rows_buffered, rows_dropped) VALUES (?1, ?2, ?3, ?4)")
                try upsert.bind(record.start, at: 1)
                try upsert.bind(record.end, at: 2)
                try upsert.bind(record.rowsBuffered, at: 3)
                try upsert.bind(record.rowsDropped, at: 4)
                try upsert.run()
                let trim = try store.db.prepare(
                    "DELETE FROM outages WHERE start NOT IN (SELECT start FROM outages ORDER BY start DESC LIMIT ?1)")
                try trim.bind(Self.outagesKept, at: 1)
                try trim.run()
            }
        }
    }

    /// The remembered outages, oldest first.
    public func outages() throws -> [OutageRecord] {
        try withStore { store in
            let select = try store.db.prepare("SELECT start, end, rows_buffered, rows_dropped FROM outages ORDER BY start")
            var records: [OutageRecord] = []
            while try select.step() == .row {
                records.append(OutageRecord(
                    start: select.int64(0), end: select.isNull(1) ? nil : select.int64(1),
                    rowsBuffered: select.int64(2), rowsDropped: select.int64(3)))
            }
            return records
        }
    }

    /// Ids handed to rows so far (never reused, across restarts): the difference of two
    /// readings is how many rows were buffered in between.
    public func rowsEverBuffered() throws -> Int64 {
        try withStore { $0.mirror.nextRowID - 1 }
    }
}
