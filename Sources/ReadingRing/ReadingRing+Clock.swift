import SQLite

/// A buffered row whose `received_at` may be re-based (see `ReadingRing.rebase`).
public struct RebaseCandidate: Sendable {
    public var id: Int64
    public var table: String
    public var descriptorID: Int64
    public var recordID: String
    public var receivedAt: Int64
    public var payload: [UInt8]
}

/// What the agent needs of the ring to correct times stamped by an untrusted wall clock.
extension ReadingRing {
    /// `pending` returns nothing while held: rows stamped by an untrusted clock wait for their
    /// re-base instead of leaving with a wrong time. Not persisted; the agent decides.
    public func holdUploads(_ hold: Bool) {
        uploadsHeld.store(hold, ordering: .relaxed)
    }

    public var uploadsAreHeld: Bool { uploadsHeld.load(ordering: .relaxed) }

    /// The newest row's `received_at` (by id, so no scan), or nil for an empty ring.
    public func newestReceivedAt() throws -> Int64? {
        try withStore { store in
            let statement = try store.db.prepare("SELECT received_at FROM rows ORDER BY id DESC LIMIT 1")
            return try statement.step() == .row ? statement.int64(0) : nil
        }
    }

    /// The newest wall time a trusted clock showed, as last saved (`saveTrustedClockMark`): acked
    /// rows are gone from the ring, so their times alone would not show a clock gone back.
    public func trustedClockMark() throws -> Int64? {
        try withStore { store in
            let statement = try store.db.prepare("SELECT newest_trusted_us FROM clock_mark WHERE id = 1")
            return try statement.step() == .row ? statement.int64(0) : nil
        }
    }

    public func saveTrustedClockMark(_ micros: Int64) throws {
        try withStore { store in
            let statement = try store.db.prepare("""
                INSERT INTO clock_mark(id, newest_trusted_us) VALUES (1, ?1)
                ON CONFLICT(id) DO UPDATE SET newest_trusted_us = max(newest_trusted_us, excluded.newest_trusted_us)
                """)
            try statement.bind(micros, at: 1)
            _ = try statement.step()
        }
    }

    /// The highest row id so far (0 for none): rows above it arrive later.
    public func lastRowID() throws -> Int64 {
        try withStore { $0.mirror.nextRowID - 1 }
    }

    /// Up to `limit` rows with id > `after` and `received_at` in `stamps`, in id order: the rows a
    /// re-base may concern (the caller picks its own by record id).
    public func rows(after id: Int64, stampedIn stamps: ClosedRange<Int64>, limit: Int = .max) throws -> [RebaseCandidate] {
        try withStore { store in
            let names = store.mirror.tableNames
            let select = try store.db.prepare("""
                SELECT id, table_id, descriptor_id, record_id, received_at, payload FROM rows
                WHERE id > ?1 AND received_at BETWEEN ?2 AND ?3 ORDER BY id LIMIT ?4
                """)
            try select.bind(id, at: 1)
            try select.bind(stamps.lowerBound, at: 2)
            try select.bind(stamps.upperBound, at: 3)
            try select.bind(limit, at: 4)
            var rows: [RebaseCandidate] = []
            while try select.step() == .row {
                rows.append(RebaseCandidate(
                    id: select.int64(0), table: names[select.int64(1)] ?? "", descriptorID: select.int64(2),
                    recordID: select.string(3), receivedAt: select.int64(4), payload: select.bytes(5)))
            }
            return rows
        }
    }

    /// Rewrites rows in place (same id, so each keeps its place in the upload order), in one
    /// transaction; ids no longer buffered are skipped. Returns how many rows changed.
    public func rewrite(_ rows: [(id: Int64, receivedAt: Int64, payload: [UInt8])]) throws -> Int {
        guard !rows.isEmpty else { return 0 }
        return try withStore { store in
            let update = try store.db.prepare("UPDATE rows SET received_at = ?2, payload = ?3 WHERE id = ?1")
            var changed = 0
            try store.db.transaction {
                for row in rows {
                    try update.bind(row.id, at: 1)
                    try update.bind(row.receivedAt, at: 2)
                    try update.bind(row.payload, at: 3)
                    _ = try update.step()
                    changed += Int(store.db.changes)
                    update.reset()
                }
            }
            return changed
        }
    }
}

/// A row stamped while the wall clock was untrusted: kept in the ring so that an agent
/// restarted in the same boot (`bootID`; boottime is continuous within it) can still re-base it.
public struct ClockNote: Sendable, Equatable {
    public var recordID: String
    /// CLOCK_BOOTTIME at the stamp, µs.
    public var mono: Int64
    /// Rows stored under `recordID` (a message can feed several tables).
    public var rows: Int
    /// The untrusted `received_at` written.
    public var receivedAt: Int64
    public var bootID: String

    public init(recordID: String, mono: Int64, rows: Int, receivedAt: Int64, bootID: String) {
        self.recordID = recordID
        self.mono = mono
        self.rows = rows
        self.receivedAt = receivedAt
        self.bootID = bootID
    }
}

extension RingDatabase {
    /// Added without a format change: older versions ignore the table, and it is empty
    /// unless the clock was untrusted.
    static let clockNotesSchema = """
        CREATE TABLE IF NOT EXISTS clock_notes(
            record_id TEXT PRIMARY KEY,
            mono_us INTEGER NOT NULL,
            rows INTEGER NOT NULL,
            received_at INTEGER NOT NULL,
            boot_id TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS clock_mark(
            id INTEGER PRIMARY KEY CHECK (id = 1),
            newest_trusted_us INTEGER NOT NULL);
        """
}

extension ReadingRing {
    public func saveClockNotes(_ notes: [ClockNote]) throws {
        guard !notes.isEmpty else { return }
        try withStore { store in
            let insert = try store.db.prepare(
                "INSERT OR REPLACE INTO clock_notes(record_id, mono_us, rows, received_at, boot_id) VALUES (?1, ?2, ?3, ?4, ?5)")
            try store.db.transaction {
                for note in notes {
                    try insert.bind(note.recordID, at: 1)
                    try insert.bind(note.mono, at: 2)
                    try insert.bind(note.rows, at: 3)
                    try insert.bind(note.receivedAt, at: 4)
                    try insert.bind(note.bootID, at: 5)
                    _ = try insert.step()
                    insert.reset()
                }
            }
        }
    }

    public func clockNotes() throws -> [ClockNote] {
        try withStore { store in
            let select = try store.db.prepare("SELECT record_id, mono_us, rows, received_at, boot_id FROM clock_notes")
            var notes: [ClockNote] = []
            while try select.step() == .row {
                notes.append(ClockNote(
                    recordID: select.string(0), mono: select.int64(1), rows: Int(select.int64(2)),
                    receivedAt: select.int64(3), bootID: select.string(4)))
            }
            return notes
        }
    }

    public func removeClockNotes(_ recordIDs: [String]) throws {
        guard !recordIDs.isEmpty else { return }
        try withStore { store in
            let delete = try store.db.prepare("DELETE FROM clock_notes WHERE record_id = ?1")
            try store.db.transaction {
                for id in recordIDs {
                    try delete.bind(id, at: 1)
                    _ = try delete.step()
                    delete.reset()
                }
            }
        }
    }
}
