import SQLite

/// Applying intake-journal records to SQLite: the drainer's batches and the replay at open.
extension RingStore {
    /// How far the journal has been applied: (generation, offset after the last applied record).
    func journalPosition() throws -> (generation: Int64, offset: Int64) {
        let select = try db.prepare("SELECT generation, offset FROM journal_applied WHERE id = 1")
        return try select.step() == .row ? (select.int64(0), select.int64(1)) : (0, 0)
    }

    /// Inserts the rows and delivery marks of `records` and the new applied position in one
    /// transaction, then trims once for the whole batch (not per row). Records are already
    /// durable and PUBACKed, so in `pause` mode they are stored even if they overshoot a little:
    /// the room check happened when they were journaled. Returns rows dropped to make room.
    func applyJournal(_ records: [JournalRecord], generation: Int64, offset: Int64) throws -> Int {
        try write { () throws -> Int in
            var newestMark: Int32?
            for record in records {
                try insertJournalRows(record.rows)
                if let delivery = record.delivery {
                    try recordDeliveryMark(delivery)
                    newestMark = delivery.packetID
                }
            }
            if let newestMark { try pruneDeliveryMarks(newest: newestMark, recorded: records.count) }
            try setJournalPosition.withReset { statement in
                try statement.bind(generation, at: 1)
                try statement.bind(offset, at: 2)
                try statement.step()
            }
            guard configuration.onFull == .dropOldest else { return 0 }
            return try trimToDataBudget(maxSteps: 4)
        }
    }

    private func insertJournalRows(_ rows: [JournalRecord.Row]) throws {
        for row in rows {
            // Only possible if the journal outlived its database (e.g. buffer.db deleted by hand):
            // such a row cannot be sent with the right descriptor, so it is not stored.
            guard descriptorTables[row.descriptorID] == row.tableID else { continue }
            try insertNextRow(
                tableID: row.tableID, descriptorID: row.descriptorID, recordID: row.recordID,
                receivedAt: row.receivedAt, payload: row.payload)
        }
    }

    /// At open, before anything else: applies every intact record after the applied position,
    /// generation by generation, and deletes the files. A torn or garbled record ends its file
    /// (the crash interrupted that write; nothing after it was acknowledged to the broker).
    /// Returns the generation the writer must start with and how many records were replayed.
    func replayJournal(batchBytes: Int64) throws -> (nextGeneration: Int64, records: Int) {
        let (appliedGeneration, appliedOffset) = try journalPosition()
        var replayed = 0
        var newest = appliedGeneration
        for generation in JournalFiles.generations(ring: configuration.path) {
            newest = max(newest, generation)
            let path = JournalFiles.path(ring: configuration.path, generation: generation)
            if generation >= appliedGeneration {
                let bytes = try JournalFiles.contents(path)
                let start = generation == appliedGeneration ? Int(appliedOffset) : 0
                var batch: [JournalRecord] = []
                var batchSize = 0
                for (record, end) in JournalRecord.decodeAll(bytes, from: min(start, bytes.count)) {
                    batch.append(record)
                    batchSize += record.rows.reduce(0) { $0 + $1.payload.count + 64 }
                    // Batches as small as the drainer's, so the WAL stays within its budget.
                    guard batchSize >= batchBytes else { continue }
                    _ = try applyJournal(batch, generation: generation, offset: Int64(end))
                    replayed += batch.count
                    batch = []
                    batchSize = 0
                }
                // Also when empty: records the file as done, so its torn tail is never read again.
                _ = try applyJournal(batch, generation: generation, offset: Int64(bytes.count))
                replayed += batch.count
            }
            JournalFiles.remove(path)
        }
        return (newest + 1, replayed)
    }
}
