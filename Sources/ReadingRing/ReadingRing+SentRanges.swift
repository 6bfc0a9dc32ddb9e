import SQLite

/// Which buffered rows were already put on the wire, so that sending them again (after a
/// reconnect, or after a restart: a kill -9 leaves them unacked in the ring) is counted as a
/// resend (`resent` counter, `resent_total` in health). Resends are the only source of
/// duplicates in the cloud, so the counter is what bounds them for the operator.
///
/// One row per batch, `[first_id, last_id]` of one table, written when the batch is first sent
/// (one small insert per batch, not per row). Ranges whose rows are all gone (acked, dropped,
/// quarantined) are pruned every `pruneEvery` inserts and at start-up, so the table stays at
/// about the size of the in-flight window.
extension RingDatabase {
    /// Added with format 2's other side tables (a format-2 file gains it when opened; no rows of
    /// existing tables change, so the format number stays).
    static let sentRangesSchema = """
        CREATE TABLE IF NOT EXISTS sent_ranges(
            table_id INTEGER NOT NULL,
            first_id INTEGER NOT NULL,
            last_id INTEGER NOT NULL,
            PRIMARY KEY (table_id, first_id, last_id)) WITHOUT ROWID;
        """

    /// A range is stale when no row of its table lies in it any more (index seek on rows_by_table).
    static let pruneSentRanges = """
        DELETE FROM sent_ranges WHERE NOT EXISTS (
            SELECT 1 FROM rows WHERE rows.table_id = sent_ranges.table_id
            AND rows.id BETWEEN sent_ranges.first_id AND sent_ranges.last_id)
        """
}

extension ReadingRing {
    static let pruneSentRangesEvery = 64

    /// Records that the rows of `table` with ids in `ids` are on the wire, and adds `resent`
    /// (how many of them had been sent before) to the table's `resent` counter, in one
    /// transaction.
    public func recordSent(table: String, ids: ClosedRange<Int64>, resent: Int) throws {
        try withStore { store in
            guard let tableID = store.mirror.tableIDs[table] else { return }
            try store.write {
                let insert = try store.db.prepare(
                    "INSERT OR IGNORE INTO sent_ranges(table_id, first_id, last_id) VALUES (?1, ?2, ?3)")
                try insert.bind(tableID, at: 1)
                try insert.bind(ids.lowerBound, at: 2)
                try insert.bind(ids.upperBound, at: 3)
                try insert.run()
                try store.bump(RingStore.CounterName.resent, table: table, by: resent)
                store.sentRangesSincePrune += 1
                if store.sentRangesSincePrune >= Self.pruneSentRangesEvery {
                    store.sentRangesSincePrune = 0
                    try store.db.execute(RingDatabase.pruneSentRanges)
                }
            }
        }
    }

    /// Adds rows that a stream resent by itself (after recovering its RPC) to `table`'s counter.
    public func countResent(table: String, rows: Int) throws {
        guard rows > 0 else { return }
        try withStore { store in
            try store.write { try store.bump(RingStore.CounterName.resent, table: table, by: rows) }
        }
    }

    /// The id ranges of `table` sent before and still (partly) in the ring, after pruning the
    /// stale ones: read once when an uplink starts, to recognise the resends of a previous run.
    public func sentRanges(table: String) throws -> [ClosedRange<Int64>] {
        try withStore { store in
            guard let tableID = store.mirror.tableIDs[table] else { return [] }
            try store.write { try store.db.execute(RingDatabase.pruneSentRanges) }
            let select = try store.db.prepare(
                "SELECT first_id, last_id FROM sent_ranges WHERE table_id = ?1 ORDER BY first_id")
            try select.bind(tableID, at: 1)
            var ranges: [ClosedRange<Int64>] = []
            while try select.step() == .row {
                let first = select.int64(0), last = select.int64(1)
                if first <= last { ranges.append(first...last) }
            }
            return ranges
        }
    }
}
