import SQLite

/// Read-only views of a ring for `zerobus-edge buffer stats|export|verify`, as root or as the
/// service user, while the daemon runs or while it is stopped.
///
/// The ring stays single-writer: this opens `buffer.db` with SQLITE_OPEN_READONLY (WAL lets a
/// reader see the last committed state without blocking the daemon) and reads journal files
/// without taking or changing anything. Pending rows are the rows in SQLite plus those of
/// journal records not yet applied (a daemon drains them within milliseconds; after a crash
/// they wait for the next start), so what is listed is exactly what the agent would still send.
public final class RingInspector {
    private let path: String
    private let db: SQLiteConnection

    public init(path: String) throws {
        self.path = path
        db = try SQLiteConnection(path: path, flags: [.readOnly, .noMutex, .noFollow])
        try db.pragma("busy_timeout", "5000")
    }

    deinit { try? db.close() }

    /// One table's buffered rows (`buffer stats`).
    public struct TableSummary: Sendable, Hashable {
        public var name: String
        public var rows: Int
        /// Payload and record id bytes (what the rows cost in the ring, before SQLite's overhead).
        public var bytes: Int64
        /// `received_at` of the oldest and newest row, µs since the epoch.
        public var oldest: Int64?
        public var newest: Int64?
        /// Distinct descriptors the rows were encoded with (more than one after a column change).
        public var descriptors: Int
    }

    /// A row the agent would still send, with the descriptor bytes it was registered with.
    public struct PendingRow: Sendable {
        public var table: String
        public var recordID: String
        public var receivedAt: Int64
        public var registeredDescriptor: [UInt8]
        public var payload: [UInt8]
        /// True when it is still in the intake journal, not yet in SQLite.
        public var inJournal: Bool
    }

    /// Aggregated by SQLite over the `rows` index and lengths (no payload is read, so a ring of
    /// millions of rows is summarised in a second or two), plus the unapplied journal records.
    public func summary() throws -> [TableSummary] {
        let names = try tableNames()
        var byName: [String: TableSummary] = [:]
        var descriptorsByTable: [String: Set<Int64>] = [:]
        func add(_ name: String, rows: Int, bytes: Int64, oldest: Int64, newest: Int64) {
            var summary = byName[name] ?? TableSummary(name: name, rows: 0, bytes: 0, descriptors: 0)
            summary.rows += rows
            summary.bytes += bytes
            summary.oldest = min(summary.oldest ?? oldest, oldest)
            summary.newest = max(summary.newest ?? newest, newest)
            byName[name] = summary
        }
        let select = try db.prepare("""
            SELECT table_id, descriptor_id, count(*), sum(length(payload) + length(CAST(record_id AS BLOB))),
                   min(received_at), max(received_at)
            FROM rows GROUP BY table_id, descriptor_id
            """)
        while try select.step() == .row {
            guard let name = names[select.int64(0)] else { continue }
            add(name, rows: Int(select.int64(2)), bytes: select.int64(3), oldest: select.int64(4), newest: select.int64(5))
            descriptorsByTable[name, default: []].insert(select.int64(1))
        }
        for record in try unappliedJournalRecords() {
            for row in record.rows {
                guard let name = names[row.tableID] else { continue }
                add(name, rows: 1, bytes: Int64(row.payload.count + row.recordID.utf8.count),
                    oldest: row.receivedAt, newest: row.receivedAt)
                descriptorsByTable[name, default: []].insert(row.descriptorID)
            }
        }
        return byName.values.map { summary in
            var summary = summary
            summary.descriptors = descriptorsByTable[summary.name]?.count ?? 0
            return summary
        }.sorted { $0.name < $1.name }
    }

    /// Calls `body` for each pending row, oldest first (SQLite rows by id, then journal
    /// records in file order), optionally of one table and within [since, until] (µs).
    public func pendingRows(
        table: String?, since: Int64?, until: Int64?, _ body: (PendingRow) throws -> Void
    ) throws {
        try eachPendingRow(table: table, since: since, until: until) { row, _ in try body(row) }
    }

    private func eachPendingRow(
        table: String?, since: Int64?, until: Int64?, _ body: (PendingRow, Int64) throws -> Void
    ) throws {
        let names = try tableNames()
        var descriptors: [Int64: [UInt8]] = [:]
        func descriptor(_ id: Int64) throws -> [UInt8] {
            if let known = descriptors[id] { return known }
            let select = try db.prepare("SELECT bytes FROM descriptors WHERE id = ?1")
            try select.bind(id, at: 1)
            let bytes = try select.step() == .row ? select.bytes(0) : []
            descriptors[id] = bytes
            return bytes
        }
        func wanted(_ name: String, _ receivedAt: Int64) -> Bool {
            (table == nil || table == name) && receivedAt >= (since ?? .min) && receivedAt <= (until ?? .max)
        }
        let select = try db.prepare("SELECT table_id, descriptor_id, record_id, received_at, payload FROM rows ORDER BY id")
        while try select.step() == .row {
            guard let name = names[select.int64(0)], wanted(name, select.int64(3)) else { continue }
            let descriptorID = select.int64(1)
            try body(PendingRow(
                table: name, recordID: select.string(2), receivedAt: select.int64(3),
                registeredDescriptor: try descriptor(descriptorID), payload: select.bytes(4), inJournal: false), descriptorID)
        }
        for record in try unappliedJournalRecords() {
            for row in record.rows {
                guard let name = names[row.tableID], wanted(name, row.receivedAt) else { continue }
                try body(PendingRow(
                    table: name, recordID: row.recordID, receivedAt: row.receivedAt,
                    registeredDescriptor: try descriptor(row.descriptorID), payload: row.payload, inJournal: true), row.descriptorID)
            }
        }
    }

    private func tableNames() throws -> [Int64: String] {
        var names: [Int64: String] = [:]
        let select = try db.prepare("SELECT id, name FROM tables")
        while try select.step() == .row { names[select.int64(0)] = select.string(1) }
        return names
    }

    private func journalPosition() throws -> (generation: Int64, offset: Int64) {
        let select = try db.prepare("SELECT generation, offset FROM journal_applied WHERE id = 1")
        return try select.step() == .row ? (select.int64(0), select.int64(1)) : (0, 0)
    }

    private func unappliedJournalRecords() throws -> [JournalRecord] {
        let (appliedGeneration, appliedOffset) = try journalPosition()
        var records: [JournalRecord] = []
        for generation in JournalFiles.generations(ring: path).generations where generation >= appliedGeneration {
            let bytes = try JournalFiles.contents(JournalFiles.path(ring: path, generation: generation))
            let start = generation == appliedGeneration ? Int(min(appliedOffset, Int64(bytes.count))) : 0
            records += JournalRecord.scan(bytes, from: start).records.map(\.0)
        }
        return records
    }

    /// What `buffer verify` found.
    public struct Verification: Sendable {
        /// SQLite's `integrity_check`: ["ok"] when sound, else its findings.
        public var integrity: [String]
        public var journals: [JournalCheck]
        public var isSound: Bool { integrity == ["ok"] && journals.allSatisfy(\.isSound) }
    }

    /// One journal file, checked frame by frame with its CRC-32s.
    public struct JournalCheck: Sendable {
        public var path: String
        public var bytes: Int
        public var records: Int
        public var rows: Int
        /// Byte ranges that are no intact record (each cost at least one message).
        public var damaged: [Range<Int>]
        /// Bytes at the end that form no whole record: a write cut short by a crash.
        public var incompleteTail: Int
        /// Records after the applied position: not yet in SQLite.
        public var unapplied: Int
        public var isSound: Bool { damaged.isEmpty }
    }

    public func verify() throws -> Verification {
        var integrity: [String] = []
        var appliedGeneration: Int64 = 0
        var appliedOffset: Int64 = 0
        do {
            let check = try db.prepare("PRAGMA integrity_check")
            while try check.step() == .row { integrity.append(check.string(0)) }
            (appliedGeneration, appliedOffset) = try journalPosition()
        } catch let error as SQLiteError where error.code ~= .corrupt || error.code ~= .notADatabase {
            // Damage bad enough that the check itself stops is still a finding, not a tool failure;
            // the journal files are checked all the same (every record then counts as unapplied).
            integrity.append(error.message)
        }
        var journals: [JournalCheck] = []
        for generation in JournalFiles.generations(ring: path).generations {
            let file = JournalFiles.path(ring: path, generation: generation)
            let bytes = try JournalFiles.contents(file)
            let scan = JournalRecord.scan(bytes, from: 0)
            let unapplied = scan.records.filter { record in
                generation > appliedGeneration || (generation == appliedGeneration && Int64(record.end) > appliedOffset)
            }.count
            journals.append(JournalCheck(
                path: file, bytes: bytes.count, records: scan.records.count,
                rows: scan.records.reduce(0) { $0 + $1.0.rows.count }, damaged: scan.damaged,
                incompleteTail: scan.tail?.count ?? 0, unapplied: unapplied))
        }
        return Verification(integrity: integrity, journals: journals)
    }
}
