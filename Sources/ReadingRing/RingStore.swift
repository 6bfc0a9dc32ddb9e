import SQLite

/// In-memory mirror of figures that would otherwise need table scans. It is a value, so a
/// transaction can snapshot it and put it back on rollback: memory never disagrees with disk.
struct RingMirror {
    struct Counters: Equatable {
        var dropped: Int64 = 0
        var acked: Int64 = 0
        var quarantined: Int64 = 0
        var quarantineDropped: Int64 = 0
        var ledger = LossLedger()
    }

    /// The id the next appended row gets. Ids are never reused while the ring is open.
    var nextRowID: Int64 = 1
    var totalRows = 0
    var rowsByTable: [Int64: Int] = [:]
    var tableIDs: [String: Int64] = [:]
    var tableNames: [Int64: String] = [:]
    /// Persistent totals by table name (mirrors the `counters` table).
    var counters: [String: Counters] = [:]
    var quarantineRows = 0
    /// Stored bytes of the quarantine, as `RingStore.quarantineEntryBytes` counts them.
    var quarantineBytes: Int64 = 0
    /// Drops not yet logged (see `ReadingRing.takeUnreportedDrops`): every drop gets a log line.
    var unreportedDrops = LossLedger()
}

/// The ring's engine: one SQLite connection, its prepared statements and the mirror.
/// Not `Sendable`: `ReadingRing` confines it behind a `Mutex`.
final class RingStore {
    let configuration: RingConfiguration
    let db: SQLiteConnection
    let pageSize: Int64
    var mirror = RingMirror()
    /// descriptor id → table id; descriptors never change, so this only grows after commits.
    var descriptorTables: [Int64: Int64] = [:]
    var descriptorIDs: [DescriptorKey: Int64] = [:]

    struct DescriptorKey: Hashable {
        var tableID: Int64
        var bytes: [UInt8]
    }

    // Statements used on hot paths, prepared once (SQLITE_PREPARE_PERSISTENT).
    let begin: SQLiteStatement
    let commit: SQLiteStatement
    let insertRow: SQLiteStatement
    let recordDelivery: SQLiteStatement
    let pruneDeliveries: SQLiteStatement
    let setJournalPosition: SQLiteStatement
    let setNextRowID: SQLiteStatement
    /// Marks recorded since the last prune (see `DeliveryWindow`).
    var deliveriesSincePrune = 0
    /// Sent ranges recorded since the last prune (see `ReadingRing+SentRanges`).
    var sentRangesSincePrune = 0
    let pageCounts: SQLiteStatement
    let pendingRows: SQLiteStatement
    let countRange: SQLiteStatement
    let deleteRow: SQLiteStatement
    let deleteRange: SQLiteStatement
    let deleteOldest: SQLiteStatement
    let firstRowNotOlderThan: SQLiteStatement
    let bumpCounter: SQLiteStatement
    let oldestReceivedAt: SQLiteStatement
    let oldestReceivedAtOfTable: SQLiteStatement

    init(db: SQLiteConnection, configuration: RingConfiguration) throws {
        self.db = db
        self.configuration = configuration
        pageSize = Int64(try db.pragma("page_size") ?? "4096") ?? 4096
        begin = try db.prepare("BEGIN IMMEDIATE", persistent: true)
        commit = try db.prepare("COMMIT", persistent: true)
        insertRow = try db.prepare(
            "INSERT INTO rows(id, table_id, descriptor_id, record_id, received_at, payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            persistent: true)
        recordDelivery = try db.prepare(
            "INSERT OR REPLACE INTO deliveries(mid, epoch, hash) VALUES (?1, ?2, ?3)", persistent: true)
        // Packet ids run 1…65535 and wrap: delete marks more than ?2 ids behind the newest ?1.
        pruneDeliveries = try db.prepare(
            "DELETE FROM deliveries WHERE (?1 - mid + 65535) % 65535 > ?2", persistent: true)
        setJournalPosition = try db.prepare(
            "INSERT OR REPLACE INTO journal_applied(id, generation, offset) VALUES (1, ?1, ?2)", persistent: true)
        setNextRowID = try db.prepare(
            "INSERT OR REPLACE INTO meta(id, next_row_id) VALUES (1, ?1)", persistent: true)
        pageCounts = try db.prepare(
            "SELECT page_count, freelist_count FROM pragma_page_count(), pragma_freelist_count()", persistent: true)
        pendingRows = try db.prepare(
            """
            SELECT id, record_id, descriptor_id, received_at, payload FROM rows
            WHERE table_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3
            """, persistent: true)
        // rows_by_table holds (table_id, id): the count walks one index range, no row is read.
        countRange = try db.prepare(
            "SELECT count(*) FROM rows WHERE table_id = ?1 AND id BETWEEN ?2 AND ?3", persistent: true)
        deleteRow = try db.prepare("DELETE FROM rows WHERE id = ?1 RETURNING table_id", persistent: true)
        deleteRange = try db.prepare(
            """
            DELETE FROM rows WHERE id IN
              (SELECT id FROM rows WHERE table_id = ?1 AND id BETWEEN ?2 AND ?3 ORDER BY id LIMIT ?4)
            """, persistent: true)
        deleteOldest = try db.prepare(
            "DELETE FROM rows WHERE id IN (SELECT id FROM rows WHERE id < ?2 ORDER BY id LIMIT ?1) RETURNING table_id",
            persistent: true)
        firstRowNotOlderThan = try db.prepare(
            "SELECT id FROM rows WHERE received_at >= ?1 ORDER BY id LIMIT 1", persistent: true)
        bumpCounter = try db.prepare(
            """
            INSERT INTO counters(table_name, name, value) VALUES (?1, ?2, ?3)
            ON CONFLICT(table_name, name) DO UPDATE SET value = value + excluded.value
            """, persistent: true)
        oldestReceivedAt = try db.prepare("SELECT received_at FROM rows ORDER BY id LIMIT 1", persistent: true)
        oldestReceivedAtOfTable = try db.prepare(
            "SELECT received_at FROM rows WHERE table_id = ?1 ORDER BY id LIMIT 1", persistent: true)
        try loadMirror()
    }

    /// Rebuilds the mirror from disk: O(rows) once at open (an index-only count).
    private func loadMirror() throws {
        var fresh = RingMirror()
        let tables = try db.prepare("SELECT id, name FROM tables")
        while try tables.step() == .row {
            fresh.tableIDs[tables.string(1)] = tables.int64(0)
            fresh.tableNames[tables.int64(0)] = tables.string(1)
        }
        let descriptors = try db.prepare("SELECT id, table_id FROM descriptors")
        while try descriptors.step() == .row {
            descriptorTables[descriptors.int64(0)] = descriptors.int64(1)
        }
        let counts = try db.prepare("SELECT table_id, count(*) FROM rows GROUP BY table_id")
        while try counts.step() == .row {
            fresh.rowsByTable[counts.int64(0)] = Int(counts.int64(1))
            fresh.totalRows += Int(counts.int64(1))
        }
        let maxID = try db.prepare("SELECT coalesce(max(id), 0) FROM rows")
        try maxID.step()
        fresh.nextRowID = maxID.int64(0) + 1
        // The high-water mark outlives the rows: ids are never reused, across restarts too, so a
        // start-up can tell rows lost with a WAL from rows acked (see `RingStateFile`).
        let mark = try db.prepare("SELECT next_row_id FROM meta WHERE id = 1")
        if try mark.step() == .row { fresh.nextRowID = max(fresh.nextRowID, mark.int64(0)) }
        let counters = try db.prepare("SELECT table_name, name, value FROM counters")
        while try counters.step() == .row {
            let table = counters.string(0), value = counters.int64(2)
            switch counters.string(1) {
            case CounterName.dropped: fresh.counters[table, default: .init()].dropped = value
            case CounterName.acked: fresh.counters[table, default: .init()].acked = value
            case CounterName.quarantined: fresh.counters[table, default: .init()].quarantined = value
            case CounterName.quarantineDropped: fresh.counters[table, default: .init()].quarantineDropped = value
            default:
                if let reason = CounterName.ledgerPath(counters.string(1)) {
                    fresh.counters[table, default: .init()].ledger[keyPath: reason] = value
                }
            }
        }
        let quarantine = try db.prepare("SELECT count(*), coalesce(sum(\(Self.quarantineEntryBytesSQL)), 0) FROM quarantine")
        try quarantine.step()
        fresh.quarantineRows = Int(quarantine.int64(0))
        fresh.quarantineBytes = quarantine.int64(1)
        mirror = fresh
    }

    /// The stored delivery marks (loaded into the in-memory window at open).
    func deliveryMarks() throws -> [Delivery] {
        let select = try db.prepare("SELECT mid, epoch, hash FROM deliveries")
        var marks: [Delivery] = []
        while try select.step() == .row {
            marks.append(Delivery(packetID: Int32(select.int64(0)), connectionEpoch: select.int64(1), contentHash: select.int64(2)))
        }
        return marks
    }

    // MARK: Transactions and counters

    /// Runs `body` in one `BEGIN IMMEDIATE … COMMIT`. On any error the transaction is rolled back
    /// and the mirror restored, then the error is rethrown.
    func write<T>(_ body: () throws -> T) throws -> T {
        let saved = mirror
        do {
            try begin.run()
            let result = try body()
            try commit.run()
            return result
        } catch {
            db.rollbackIfNeeded()
            mirror = saved
            throw error
        }
    }

    /// Persistent counters per table. A reason (`dropped_full`, …) is bumped together with its
    /// total (`dropped`), so the totals stay what they were before reasons were counted.
    enum CounterName {
        static let dropped = "dropped"
        static let acked = "acked"
        static let quarantined = "quarantined"
        static let quarantineDropped = "quarantine_dropped"
        static let droppedFull = "dropped_full"
        static let droppedAgedOut = "dropped_aged_out"
        static let droppedPurged = "dropped_purged"
        static let quarantinedUnmappable = "quarantined_unmappable"
        static let quarantinedRejected = "quarantined_rejected"
        /// Rows put on the wire again (not a loss; counted in the ledger beside the losses).
        static let resent = "resent"

        static func total(of reason: String) -> String? {
            switch reason {
            case droppedFull, droppedAgedOut, droppedPurged: dropped
            case quarantinedUnmappable, quarantinedRejected: quarantined
            default: nil
            }
        }

        static func ledgerPath(_ reason: String) -> WritableKeyPath<LossLedger, Int64>? {
            switch reason {
            case droppedFull: \.droppedFull
            case droppedAgedOut: \.droppedAgedOut
            case droppedPurged: \.droppedPurged
            case quarantinedUnmappable: \.quarantinedUnmappable
            case quarantinedRejected: \.quarantinedRejected
            case resent: \.resent
            default: nil
            }
        }
    }

    /// Adds to a persistent counter (inside the caller's transaction) and to its mirror.
    func bump(_ name: String, table: String, by amount: Int) throws {
        guard amount != 0 else { return }
        if let total = CounterName.total(of: name) { try bump(total, table: table, by: amount) }
        try bumpCounter.withReset { statement in
            try statement.bind(table, at: 1)
            try statement.bind(name, at: 2)
            try statement.bind(amount, at: 3)
            try statement.step()
        }
        let delta = Int64(amount)
        switch name {
        case CounterName.dropped: mirror.counters[table, default: .init()].dropped += delta
        case CounterName.acked: mirror.counters[table, default: .init()].acked += delta
        case CounterName.quarantined: mirror.counters[table, default: .init()].quarantined += delta
        case CounterName.quarantineDropped: mirror.counters[table, default: .init()].quarantineDropped += delta
        default:
            if let reason = CounterName.ledgerPath(name) {
                mirror.counters[table, default: .init()].ledger[keyPath: reason] += delta
                if CounterName.total(of: name) == CounterName.dropped { mirror.unreportedDrops[keyPath: reason] += delta }
            }
        }
    }

    /// Inside a transaction that inserted rows: persists the id high-water mark.
    func saveNextRowID() throws {
        try setNextRowID.withReset { statement in
            try statement.bind(mirror.nextRowID, at: 1)
            try statement.step()
        }
    }

    /// Applies deletions of rows, given as counts by table id, to the mirror and, when
    /// `counter` is set, to that persistent counter of each table.
    func recordRemoval(_ removedByTable: [Int64: Int], counter: String?) throws {
        for (tableID, count) in removedByTable {
            mirror.rowsByTable[tableID, default: 0] -= count
            mirror.totalRows -= count
            if let counter, let name = mirror.tableNames[tableID] {
                try bump(counter, table: name, by: count)
            }
        }
    }

    // MARK: Size measures

    /// (page_count, freelist_count) of the database as this connection sees it, including its
    /// own uncommitted changes.
    func pages() throws -> (total: Int64, free: Int64) {
        try pageCounts.withReset { statement in
            try statement.step()
            return (statement.int64(0), statement.int64(1))
        }
    }

    /// Bytes of pages in use: what the size bound acts on.
    func liveBytes() throws -> Int64 {
        let (total, free) = try pages()
        return (total - free) * pageSize
    }

    /// Database file + WAL file as on disk now.
    func bytesOnDisk() -> Int64 {
        RingDatabase.fileSize(configuration.path) + RingDatabase.fileSize(configuration.path + "-wal")
    }

    /// Live bytes taken by readings: live pages less the quarantine's estimated share. The
    /// readings' bound (`dataBudgetBytes`) acts on this, so quarantine growth never trims rows.
    func rowLiveBytes() throws -> Int64 {
        max(try liveBytes() - mirror.quarantineBytes, 0)
    }

    /// Average bytes per stored row, used to turn byte budgets into row counts.
    func averageRowBytes() throws -> Int64 {
        guard mirror.totalRows > 0 else { return 256 }
        return max(try rowLiveBytes() / Int64(mirror.totalRows), 16)
    }

    /// What one quarantine entry counts against the quarantine's bound: its payload and texts
    /// plus a quarter and 96 bytes, for cell overhead and partly filled pages (measured: small
    /// entries take ~1.16 × their contents in pages). Erring high matters: readings get the
    /// live bytes less this figure, so an estimate below the real pages would let junk trim them.
    /// The same figure in SQL and in Swift.
    static let quarantineEntryBytesSQL = {
        let contents =
            "(length(payload) + length(CAST(reason AS BLOB)) + coalesce(length(CAST(topic AS BLOB)), 0) + length(CAST(table_name AS BLOB)))"
        return "(\(contents) + \(contents) / 4 + 96)"
    }()

    static func quarantineEntryBytes(payload: Int, reason: String, topic: String?, table: String) -> Int64 {
        let contents = Int64(payload + reason.utf8.count + (topic?.utf8.count ?? 0) + table.utf8.count)
        return contents + contents / 4 + 96
    }

    /// How many average rows fit in `bytes`, at least 1.
    func rowsFitting(_ bytes: Int64) throws -> Int {
        Int(max(bytes / (try averageRowBytes()), 1))
    }
}
