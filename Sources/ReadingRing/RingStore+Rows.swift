import EdgeSupport
import SQLite

extension RingStore {
    // MARK: Descriptors

    func descriptorID(table: String, descriptor: [UInt8]) throws -> Int64 {
        if let tableID = mirror.tableIDs[table],
           let id = descriptorIDs[DescriptorKey(tableID: tableID, bytes: descriptor)] {
            return id
        }
        let hash = FNV1a.hash(descriptor)
        let (tableID, id) = try write { () throws -> (Int64, Int64) in
            let tableID = try ensureTable(table)
            let lookup = try db.prepare("SELECT id, bytes FROM descriptors WHERE table_id = ?1 AND hash = ?2")
            try lookup.bind(tableID, at: 1)
            try lookup.bind(hash, at: 2)
            // Equal hashes are compared byte for byte: the hash only narrows the search.
            while try lookup.step() == .row {
                if lookup.bytes(1) == descriptor { return (tableID, lookup.int64(0)) }
            }
            let insert = try db.prepare("INSERT INTO descriptors(table_id, hash, bytes) VALUES (?1, ?2, ?3)")
            try insert.bind(tableID, at: 1)
            try insert.bind(hash, at: 2)
            try insert.bind(descriptor, at: 3)
            try insert.step()
            return (tableID, db.lastInsertRowID)
        }
        descriptorTables[id] = tableID
        descriptorIDs[DescriptorKey(tableID: tableID, bytes: descriptor)] = id
        return id
    }

    func descriptor(id: Int64) throws -> [UInt8]? {
        let lookup = try db.prepare("SELECT bytes FROM descriptors WHERE id = ?1")
        try lookup.bind(id, at: 1)
        return try lookup.step() == .row ? lookup.bytes(0) : nil
    }

    /// The id of `table`, inserting it if new. Call inside `write`.
    private func ensureTable(_ table: String) throws -> Int64 {
        if let id = mirror.tableIDs[table] { return id }
        let insert = try db.prepare("INSERT INTO tables(name) VALUES (?1)")
        try insert.bind(table, at: 1)
        try insert.step()
        let id = db.lastInsertRowID
        mirror.tableIDs[table] = id
        mirror.tableNames[id] = table
        return id
    }

    // MARK: Append

    func append(_ rows: [NewRow], delivery: Delivery? = nil) throws -> AppendOutcome {
        var tableIDs: [Int64] = []
        tableIDs.reserveCapacity(rows.count)
        var incoming: Int64 = 0
        for row in rows {
            guard let tableID = mirror.tableIDs[row.table], descriptorTables[row.descriptorID] == tableID else {
                throw RingError.unknownDescriptor(id: row.descriptorID, table: row.table)
            }
            tableIDs.append(tableID)
            // Payload, record id and ~40 bytes of cell and index overhead per row.
            incoming += Int64(row.payload.count + row.recordID.utf8.count + 40)
        }
        let first = mirror.nextRowID
        guard !rows.isEmpty else { return .stored(ids: first..<first, droppedOldest: 0) }
        if configuration.onFull == .pause, try rowLiveBytes() + incoming > configuration.fullBytes {
            return .full
        }
        let dropped = try write { () throws -> Int in
            if let delivery {
                try recordDeliveryMark(delivery)
                try pruneDeliveryMarks(newest: delivery.packetID)
            }
            for (offset, row) in rows.enumerated() {
                try insertNextRow(
                    tableID: tableIDs[offset], descriptorID: row.descriptorID, recordID: row.recordID,
                    receivedAt: row.receivedAt, payload: row.payload)
            }
            try saveNextRowID()
            guard configuration.onFull == .dropOldest else { return 0 }
            return try trimToDataBudget(maxSteps: 4)
        }
        return .stored(ids: first..<(first + Int64(rows.count)), droppedOldest: dropped)
    }

    /// Inside a transaction: stores a row under the next row id and counts it in the mirror
    /// (which `write` restores if the transaction fails).
    func insertNextRow(tableID: Int64, descriptorID: Int64, recordID: String, receivedAt: Int64, payload: [UInt8]) throws {
        let id = mirror.nextRowID
        try insertRow.withReset { insert in
            try insert.bind(id, at: 1)
            try insert.bind(tableID, at: 2)
            try insert.bind(descriptorID, at: 3)
            try insert.bind(recordID, at: 4)
            try insert.bind(receivedAt, at: 5)
            try insert.bind(payload, at: 6)
            try insert.step()
        }
        mirror.nextRowID = id + 1
        mirror.rowsByTable[tableID, default: 0] += 1
        mirror.totalRows += 1
    }

    /// Inside a transaction: the packet id, connection and content hash of a stored message, by
    /// which a redelivery of it is recognised (see `Delivery`).
    func recordDeliveryMark(_ delivery: Delivery) throws {
        try recordDelivery.withReset { record in
            try record.bind(Int64(delivery.packetID), at: 1)
            try record.bind(delivery.connectionEpoch, at: 2)
            try record.bind(delivery.contentHash, at: 3)
            try record.step()
        }
    }

    /// Marks more than `DeliveryWindow.size` packet ids behind the newest are dropped (see
    /// there why), every `DeliveryWindow.pruneInterval` marks.
    func pruneDeliveryMarks(newest packetID: Int32, recorded: Int = 1) throws {
        deliveriesSincePrune += recorded
        guard deliveriesSincePrune >= DeliveryWindow.pruneInterval else { return }
        deliveriesSincePrune = 0
        try pruneDeliveries.withReset { prune in
            try prune.bind(Int64(packetID), at: 1)
            try prune.bind(Int64(DeliveryWindow.size), at: 2)
            try prune.step()
        }
    }

    /// Inside a transaction: deletes the oldest rows in chunks until the readings' live bytes
    /// fit the data budget, or `maxSteps` chunks were deleted. A chunk is at least the overshoot
    /// and at least 1/64 of the budget (so the ring does not trim on every append once full),
    /// and at most `stepBytes` (so one transaction's WAL stays small). Quarantine entries are
    /// never deleted here: the quarantine has its own bound (`enforceQuarantineBound`), and
    /// readings are never trimmed to make room for junk. Returns rows deleted.
    @discardableResult
    func trimToDataBudget(maxSteps: Int) throws -> Int {
        let budget = configuration.dataBudgetBytes
        var rows = 0
        for _ in 0..<maxSteps {
            let over = try rowLiveBytes() - budget
            guard over > 0 else { break }
            let chunk = min(configuration.stepBytes, max(over, budget / 64))
            let count = try deleteOldestRows(limit: try rowsFitting(chunk), before: Int64.max, reason: CounterName.droppedFull)
            rows += count
            if count == 0 { break }
        }
        return rows
    }

    /// Inside a transaction: deletes up to `limit` oldest rows with id < `before`, counting them
    /// as dropped per table for `reason` (`droppedFull`, `droppedAgedOut`). Returns how many.
    func deleteOldestRows(limit: Int, before: Int64, reason: String) throws -> Int {
        var removed: [Int64: Int] = [:]
        try deleteOldest.withReset { statement in
            try statement.bind(limit, at: 1)
            try statement.bind(before, at: 2)
            while try statement.step() == .row { removed[statement.int64(0), default: 0] += 1 }
        }
        try recordRemoval(removed, counter: reason)
        return removed.values.reduce(0, +)
    }

    // MARK: Reading and acknowledging

    func pending(table: String, after id: Int64, maxRecords: Int, maxBytes: Int) throws -> [StoredRow] {
        guard let tableID = mirror.tableIDs[table], maxRecords > 0 else { return [] }
        return try pendingRows.withReset { statement in
            try statement.bind(tableID, at: 1)
            try statement.bind(id, at: 2)
            try statement.bind(maxRecords, at: 3)
            var batch: [StoredRow] = []
            var bytes = 0
            while try statement.step() == .row {
                let descriptorID = statement.int64(2)
                // One Zerobus stream has one descriptor: a batch never mixes them.
                if let first = batch.first, first.descriptorID != descriptorID { break }
                let payload = statement.bytes(4)
                // The first row always goes, even if larger than maxBytes, so it cannot block the table.
                if !batch.isEmpty, bytes + payload.count > maxBytes { break }
                bytes += payload.count
                batch.append(StoredRow(
                    id: statement.int64(0), recordID: statement.string(1), descriptorID: descriptorID,
                    payload: payload, receivedAt: statement.int64(3)))
            }
            return batch
        }
    }

    func count(table: String, ids range: ClosedRange<Int64>) throws -> Int {
        guard let tableID = mirror.tableIDs[table] else { return 0 }
        return try countRange.withReset { statement in
            try statement.bind(tableID, at: 1)
            try statement.bind(range.lowerBound, at: 2)
            try statement.bind(range.upperBound, at: 3)
            guard try statement.step() == .row else { return 0 }
            return Int(statement.int64(0))
        }
    }

    /// Deletes acked rows by id, in transactions of at most `stepBytes` of rows each, bumping
    /// the acked counters in the same transactions. Unknown ids are ignored. Returns rows removed.
    func remove(ids: [Int64]) throws -> Int {
        let perStep = try rowsFitting(configuration.stepBytes)
        let sorted = ids.sorted()
        var total = 0
        var start = 0
        while start < sorted.count {
            let chunk = sorted[start..<min(start + perStep, sorted.count)]
            start = chunk.endIndex
            total += try write { () throws -> Int in
                var removed: [Int64: Int] = [:]
                for id in chunk {
                    try deleteRow.withReset { statement in
                        try statement.bind(id, at: 1)
                        while try statement.step() == .row { removed[statement.int64(0), default: 0] += 1 }
                    }
                }
                try recordRemoval(removed, counter: CounterName.acked)
                return removed.values.reduce(0, +)
            }
        }
        return total
    }

    /// Deletes acked rows of one table with ids in `range`, chunked like `remove(ids:)`.
    /// `counter`: what the removal counts as (`acked` for an acknowledged batch).
    func remove(table: String, range: ClosedRange<Int64>, counter: String = CounterName.acked) throws -> Int {
        guard let tableID = mirror.tableIDs[table] else { return 0 }
        let perStep = try rowsFitting(configuration.stepBytes)
        var total = 0
        while true {
            let count = try write { () throws -> Int in
                try deleteRange.withReset { statement in
                    try statement.bind(tableID, at: 1)
                    try statement.bind(range.lowerBound, at: 2)
                    try statement.bind(range.upperBound, at: 3)
                    try statement.bind(perStep, at: 4)
                    try statement.step()
                }
                let count = db.changes
                try recordRemoval([tableID: count], counter: counter)
                return count
            }
            total += count
            if count < perStep { return total }
        }
    }
}
