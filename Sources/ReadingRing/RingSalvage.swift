#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SQLite

/// Salvage of a ring that fails its integrity check: every row SQLite can still read is copied
/// into a fresh file before the damaged one is moved aside, so a few bad pages cost the rows on
/// them, not the whole backlog.
///
/// Why not SQLite's recovery API: Debian builds it into the sqlite3 shell only, not into
/// libsqlite3. Instead the damaged file is attached read-only and each table is copied by rowid
/// in chunks (`INSERT … SELECT … WHERE rowid > cursor`). A chunk that hits a bad page fails as a
/// whole statement, so the copy falls back to single rows there, and steps the cursor one rowid
/// at a time past a row that cannot be read, until a seek lands on a readable page again.
/// Row, table and descriptor ids are kept, so intake-journal files still name the right ones and
/// stay where they are.
///
/// Crash safety: the copy is built as `<ring>.salvage-partial` (deleted if a crash interrupts
/// it) and renamed to `<ring>.salvaged` only when complete; `ReadingRing.open` finishes a
/// salvaged file it finds (damaged file aside, salvaged file in place) before anything else.
enum RingSalvage {
    /// What a salvage kept.
    struct Outcome: Equatable {
        var rowsKept: Int
        /// Rows the damaged file's index listed, when that index could be read; nil otherwise.
        var rowsListed: Int?
        var quarantineKept: Int
    }

    static func partialPath(_ ring: String) -> String { ring + ".salvage-partial" }
    static func salvagedPath(_ ring: String) -> String { ring + ".salvaged" }

    /// Builds `<ring>.salvaged` from the damaged `ring`. `previous` is what the state file says
    /// of it (a bound for row ids and, after a clean stop, the row count). Returns nil when
    /// nothing could be read (page 1 or the schema itself is damaged): the caller then starts
    /// an empty ring.
    static func salvage(_ ring: String, previous: RingStateFile?) -> Outcome? {
        let partial = partialPath(ring)
        removeSet(partial)
        guard var outcome = try? copy(from: ring, into: partial, rowIDBound: previous?.nextRowID) else {
            removeSet(partial)
            return nil
        }
        guard rename(partial, salvagedPath(ring)) == 0 else {
            removeSet(partial)
            return nil
        }
        JournalFiles.syncDirectory(of: ring)
        if outcome.rowsListed == nil, let previous, previous.clean { outcome.rowsListed = previous.rows }
        return outcome
    }

    private static func copy(from damaged: String, into target: String, rowIDBound: Int64?) throws -> Outcome {
        let db = try SQLiteConnection(path: target, flags: [.readWrite, .create, .noMutex, .uri])
        defer { try? db.close() }
        try db.pragma("auto_vacuum", "INCREMENTAL")
        try db.transaction { try db.execute(RingDatabase.schema) }
        try db.pragma("user_version", String(RingDatabase.schemaVersion))
        let attach = try db.prepare("ATTACH ?1 AS old")
        try attach.bind("file:" + percentEncoded(damaged) + "?mode=ro", at: 1)
        try attach.step()
        let present = try oldTables(db)
        guard present.contains("rows") else { throw RingDatabase.Unusable(reason: "no rows table") }

        var outcome = Outcome(rowsKept: 0, rowsListed: listedRows(db), quarantineKept: 0)
        // The ids of rows end below the high-water mark, wherever it can still be read.
        let marks = [rowIDBound, present.contains("meta") ? (try? scalar(db, "SELECT next_row_id FROM old.meta")) ?? nil : nil]
        let rowsBound = marks.compactMap { $0 }.max()
        for table in ["tables", "descriptors", "rows", "quarantine", "deliveries", "journal_applied", "requests", "meta"]
        where present.contains(table) {
            let copied = try copyByRowid(db, table: table, bound: table == "rows" ? rowsBound : nil)
            if table == "rows" { outcome.rowsKept = copied }
            if table == "quarantine" { outcome.quarantineKept = copied }
        }
        // A WITHOUT ROWID table: all or nothing (a few rows; lost totals are not lost readings).
        if present.contains("counters") { try? db.execute("INSERT INTO main.counters SELECT * FROM old.counters") }
        if present.contains("sparkplug_aliases") {
            try? db.execute(RingDatabase.sparkplugAliasesSchema + "INSERT INTO main.sparkplug_aliases SELECT * FROM old.sparkplug_aliases")
        }
        if present.contains("outages") {
            try? db.execute(RingDatabase.outagesSchema + "INSERT INTO main.outages SELECT * FROM old.outages")
        }
        try db.execute("DETACH old")
        return outcome
    }

    /// Copies `table` from `old` to `main` by rowid; returns the rows copied.
    private static func copyByRowid(_ db: SQLiteConnection, table: String, bound: Int64?) throws -> Int {
        let chunk = try db.prepare(
            "INSERT INTO main.\(table) SELECT * FROM old.\(table) WHERE rowid > ?1 ORDER BY rowid LIMIT ?2")
        let newest = try db.prepare("SELECT coalesce(max(rowid), ?1) FROM main.\(table)")
        // Where to stop stepping past unreadable rowids: the largest rowid the old file admits
        // to, or a generous step budget when even that cannot be read.
        let newestOld = (try? scalar(db, "SELECT max(rowid) FROM old.\(table)")) ?? nil
        let last = [newestOld, bound].compactMap { $0 }.max()
        var cursor: Int64 = 0, copied = 0, size = 512, probes = 0
        // Linear steps cost a failed seek each (~0.1 ms): with a known end, enough for a damaged
        // interior page's worth of ids and more; without one (a table whose root is damaged),
        // a few thousand. Past the budget the steps double, so the walk always ends.
        let probeBudget = last == nil ? 5_000 : 200_000
        while true {
            do {
                let added = try db.transaction { () throws -> Int in
                    try chunk.withReset { statement in
                        try statement.bind(cursor, at: 1)
                        try statement.bind(size, at: 2)
                        try statement.step()
                    }
                    return db.changes
                }
                guard added > 0 else { break }
                copied += added
                cursor = try newest.withReset { statement in
                    try statement.bind(cursor, at: 1)
                    try statement.step()
                    return statement.int64(0)
                }
                size = 512
            } catch {
                if size > 1 {
                    size = 1  // find the unreadable row one at a time
                    continue
                }
                // The row after `cursor` sits on a damaged page (or the path to it is damaged).
                probes += 1
                let step: Int64 = probes < probeBudget ? 1 : Int64(1) << min(probes - probeBudget, 40)
                cursor += step
                if let last, cursor >= last { break }
                if last == nil, probes > probeBudget + 64 { break }
            }
        }
        return copied
    }

    /// Rows the damaged file's `rows_by_table` index lists: a separate b-tree, often intact when
    /// table pages are not, so the log can say how many rows were lost.
    private static func listedRows(_ db: SQLiteConnection) -> Int? {
        (try? scalar(db, "SELECT count(*) FROM old.rows INDEXED BY rows_by_table"))
            .flatMap { $0 }.map(Int.init)
    }

    private static func oldTables(_ db: SQLiteConnection) throws -> Set<String> {
        let select = try db.prepare("SELECT name FROM old.sqlite_master WHERE type = 'table'")
        var names = Set<String>()
        while try select.step() == .row { names.insert(select.string(0)) }
        return names
    }

    private static func scalar(_ db: SQLiteConnection, _ sql: String) throws -> Int64? {
        let statement = try db.prepare(sql)
        guard try statement.step() == .row, !statement.isNull(0) else { return nil }
        return statement.int64(0)
    }

    /// A path as the path part of an SQLite URI filename.
    private static func percentEncoded(_ path: String) -> String {
        var encoded = ""
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "%"), UInt8(ascii: "?"), UInt8(ascii: "#"), 0..<0x20, 0x7F...:
                encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            default:
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        return encoded
    }

    static func removeSet(_ path: String) {
        for suffix in ["", "-journal", "-wal", "-shm"] { _ = unlink(path + suffix) }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
