import SQLite

extension RingStore {
    private static let entryColumns =
        "id, kind, table_name, topic, reason, received_at, quarantined_at, payload, record_id, descriptor_id"

    /// Moves rejected rows from `rows` to `quarantine`, keeping payload, record id and
    /// descriptor id so a retry can resend them exactly. One transaction. Returns rows moved.
    func quarantine(rowIDs: [Int64], reason: String, now: Int64) throws -> Int {
        try write { () throws -> Int in
            let move = try db.prepare(
                """
                INSERT INTO quarantine(kind, table_name, reason, received_at, quarantined_at, payload, record_id, descriptor_id)
                SELECT 'rejected', t.name, ?2, r.received_at, ?3, r.payload, r.record_id, r.descriptor_id
                FROM rows r JOIN tables t ON t.id = r.table_id WHERE r.id = ?1
                RETURNING table_name, \(Self.quarantineEntryBytesSQL)
                """)
            var movedByTable: [String: Int] = [:]
            var removed: [Int64: Int] = [:]
            for id in rowIDs {
                try move.withReset { statement in
                    try statement.bind(id, at: 1)
                    try statement.bind(reason, at: 2)
                    try statement.bind(now, at: 3)
                    while try statement.step() == .row {
                        movedByTable[statement.string(0), default: 0] += 1
                        mirror.quarantineRows += 1
                        mirror.quarantineBytes += statement.int64(1)
                    }
                }
                try deleteRow.withReset { statement in
                    try statement.bind(id, at: 1)
                    while try statement.step() == .row { removed[statement.int64(0), default: 0] += 1 }
                }
            }
            try recordRemoval(removed, counter: nil)
            for (table, count) in movedByTable { try bump(CounterName.quarantinedRejected, table: table, by: count) }
            // Rejected rows are kept whole (a retry resends them exactly); room is made by
            // evicting the quarantine's own oldest entries, never the newest one.
            try enforceQuarantineBound()
            return movedByTable.values.reduce(0, +)
        }
    }

    /// Stores a raw MQTT payload that could not be mapped to a row, then evicts the
    /// quarantine's oldest entries past its bound (never a reading). A payload larger than
    /// `quarantineWholePayloadBytes` is stored as a prefix, and the reason says so: one
    /// 10 MiB junk message must not flush every other entry. Returns the entry id.
    func quarantineUnmappable(
        table: String, topic: String, payload: [UInt8], reason: String, receivedAt: Int64, now: Int64
    ) throws -> Int64 {
        var stored = payload, storedReason = reason
        if payload.count > configuration.quarantineWholePayloadBytes {
            stored = Array(payload.prefix(configuration.quarantinePrefixBytes))
            storedReason += " [payload of \(payload.count) bytes; only its first \(stored.count) bytes are kept]"
        }
        return try write { () throws -> Int64 in
            let insert = try db.prepare(
                """
                INSERT INTO quarantine(kind, table_name, topic, reason, received_at, quarantined_at, payload)
                VALUES ('unmappable', ?1, ?2, ?3, ?4, ?5, ?6)
                """)
            try insert.bind(table, at: 1)
            try insert.bind(topic, at: 2)
            try insert.bind(storedReason, at: 3)
            try insert.bind(receivedAt, at: 4)
            try insert.bind(now, at: 5)
            try insert.bind(stored, at: 6)
            try insert.step()
            mirror.quarantineRows += 1
            mirror.quarantineBytes += Self.quarantineEntryBytes(
                payload: stored.count, reason: storedReason, topic: topic, table: table)
            let id = db.lastInsertRowID
            try bump(CounterName.quarantinedUnmappable, table: table, by: 1)
            try enforceQuarantineBound()
            return id
        }
    }

    /// Inside a transaction: deletes the oldest quarantine entries while the quarantine is over
    /// its byte or entry bound, keeping at least the newest entry. Each is counted as
    /// `quarantine_dropped`. Returns how many were deleted.
    @discardableResult
    func enforceQuarantineBound() throws -> Int {
        var deleted = 0
        while mirror.quarantineRows > 1 {
            let overEntries = mirror.quarantineRows - configuration.quarantineMaxEntries
            let overBytes = mirror.quarantineBytes - configuration.quarantineBudgetBytes
            guard overEntries > 0 || overBytes > 0 else { break }
            let average = max(mirror.quarantineBytes / Int64(mirror.quarantineRows), 1)
            let byBytes = overBytes > 0 ? Int(overBytes / average) + 1 : 0
            let limit = min(max(overEntries, byBytes, 1), mirror.quarantineRows - 1)
            let count = try deleteOldestQuarantine(limit: limit)
            deleted += count
            if count == 0 { break }
        }
        return deleted
    }

    /// The oldest `limit` entries, oldest first.
    func quarantineList(limit: Int) throws -> [QuarantineEntry] {
        let select = try db.prepare("SELECT \(Self.entryColumns) FROM quarantine ORDER BY id LIMIT ?1")
        try select.bind(limit, at: 1)
        return try readEntries(select)
    }

    /// Removes and returns the given entries (all when `ids` is nil), oldest first, in one
    /// transaction. The caller re-appends or re-maps them; a new failure quarantines them anew.
    func quarantineTake(ids: [Int64]?) throws -> [QuarantineEntry] {
        try write { () throws -> [QuarantineEntry] in
            var entries: [QuarantineEntry] = []
            if let ids {
                let select = try db.prepare("SELECT \(Self.entryColumns) FROM quarantine WHERE id = ?1")
                for id in ids.sorted() {
                    try select.withReset { statement in
                        try statement.bind(id, at: 1)
                        entries += try readEntries(statement)
                    }
                }
            } else {
                entries = try readEntries(try db.prepare("SELECT \(Self.entryColumns) FROM quarantine ORDER BY id"))
            }
            let delete = try db.prepare("DELETE FROM quarantine WHERE id = ?1")
            for entry in entries {
                try delete.withReset { statement in
                    try statement.bind(entry.id, at: 1)
                    try statement.step()
                }
                mirror.quarantineRows -= 1
                mirror.quarantineBytes -= Self.quarantineEntryBytes(
                    payload: entry.payload.count, reason: entry.reason, topic: entry.topic, table: entry.table)
            }
            return entries
        }
    }

    /// Deletes every quarantine entry, in small transactions. Returns how many.
    func quarantinePurge() throws -> Int {
        var total = 0
        let perStep = try rowsFitting(configuration.stepBytes)
        while true {
            let count = try write { try deleteOldestQuarantine(limit: perStep, countAsDropped: false) }
            total += count
            if count == 0 { return total }
        }
    }

    /// Inside a transaction: deletes up to `limit` oldest quarantine entries; counted as
    /// `quarantine_dropped` unless purged on purpose. Returns how many.
    @discardableResult
    func deleteOldestQuarantine(limit: Int, countAsDropped: Bool = true) throws -> Int {
        let delete = try db.prepare(
            """
            DELETE FROM quarantine WHERE id IN (SELECT id FROM quarantine ORDER BY id LIMIT ?1)
            RETURNING table_name, \(Self.quarantineEntryBytesSQL)
            """)
        try delete.bind(limit, at: 1)
        var byTable: [String: Int] = [:]
        while try delete.step() == .row {
            byTable[delete.string(0), default: 0] += 1
            mirror.quarantineRows -= 1
            mirror.quarantineBytes -= delete.int64(1)
        }
        if countAsDropped {
            for (table, count) in byTable { try bump(CounterName.quarantineDropped, table: table, by: count) }
        }
        return byTable.values.reduce(0, +)
    }

    private func readEntries(_ statement: SQLiteStatement) throws -> [QuarantineEntry] {
        var entries: [QuarantineEntry] = []
        while try statement.step() == .row {
            entries.append(QuarantineEntry(
                id: statement.int64(0),
                kind: QuarantineEntry.Kind(rawValue: statement.string(1)) ?? .unmappable,
                table: statement.string(2),
                topic: statement.optionalString(3),
                reason: statement.string(4),
                receivedAt: statement.int64(5),
                quarantinedAt: statement.int64(6),
                payload: statement.bytes(7),
                recordID: statement.optionalString(8),
                descriptorID: statement.isNull(9) ? nil : statement.int64(9)))
        }
        return entries
    }
}
