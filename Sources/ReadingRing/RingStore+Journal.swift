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
            if !records.isEmpty { try saveNextRowID() }
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
    /// generation by generation, and deletes the files. Damage in the middle of a file costs
    /// only the records it hits (see `JournalRecord.scan`) and is reported; bytes at the end of
    /// the newest file that are no whole record are a write a crash interrupted. Returns the
    /// generation the writer must start with and what was found.
    func replayJournal(batchBytes: Int64) throws -> JournalReplay {
        var (appliedGeneration, appliedOffset) = try journalPosition()
        // A position beyond what the writer ever uses is damage: replay every file rather than
        // skip them (duplicates carry their record ids; a loss would be silent) or overflow.
        if !(0...JournalFiles.maxGeneration).contains(appliedGeneration) { (appliedGeneration, appliedOffset) = (0, 0) }
        var replay = JournalReplay(nextGeneration: 1)
        var newest = appliedGeneration
        let (generations, ignored) = JournalFiles.generations(ring: configuration.path)
        replay.ignoredFiles = ignored
        for generation in generations {
            newest = max(newest, generation)
            let path = JournalFiles.path(ring: configuration.path, generation: generation)
            if generation >= appliedGeneration {
                let bytes = try JournalFiles.contents(path)
                let start = generation == appliedGeneration ? Int(appliedOffset) : 0
                let scan = JournalRecord.scan(bytes, from: min(max(start, 0), bytes.count))
                var batch: [JournalRecord] = []
                var batchSize = 0
                for (record, end) in scan.records {
                    batch.append(record)
                    batchSize += record.rows.reduce(0) { $0 + $1.payload.count + 64 }
                    // Batches as small as the drainer's, so the WAL stays within its budget.
                    guard batchSize >= batchBytes else { continue }
                    _ = try applyJournal(batch, generation: generation, offset: Int64(end))
                    replay.records += batch.count
                    batch = []
                    batchSize = 0
                }
                // Also when empty: records the file as done, so its torn tail is never read again.
                _ = try applyJournal(batch, generation: generation, offset: Int64(bytes.count))
                replay.records += batch.count
                replay.damagedRegions += scan.damaged.count
                replay.damagedBytes += scan.damaged.reduce(0) { $0 + $1.count }
                var damaged = !scan.damaged.isEmpty
                if let tail = scan.tail {
                    if generation == generations.last {
                        replay.tornTailBytes = tail.count
                    } else {
                        replay.damagedRegions += 1
                        replay.damagedBytes += tail.count
                        damaged = true
                    }
                }
                // Its intact records are in SQLite now; the file itself is kept for the operator
                // (what the damage looks like is evidence), under a name no journal scan matches.
                if damaged, let aside = JournalFiles.moveAside(path, ring: configuration.path, generation: generation) {
                    replay.movedAside.append(aside)
                    continue
                }
            }
            JournalFiles.remove(path)
        }
        replay.nextGeneration = newest + 1
        return replay
    }
}

/// What `replayJournal` found at open.
struct JournalReplay {
    var nextGeneration: Int64
    var records = 0
    /// Damaged stretches skipped in the middle of files (each cost at least one record).
    var damagedRegions = 0
    var damagedBytes = 0
    /// Bytes at the end of the newest file that are no whole record.
    var tornTailBytes = 0
    /// Files named like journal files whose generation this agent never writes; left alone.
    var ignoredFiles: [String] = []
    /// Where damaged journal files were moved after their intact records were replayed.
    var movedAside: [String] = []
}
