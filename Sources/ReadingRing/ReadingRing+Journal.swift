/// State the MQTT thread needs per message, behind its own mutex so that journaling a message
/// never waits for SQLite work (a drain, an uplink read, a trim). Lock order: store, then this.
struct IntakeState {
    var window = DeliveryWindow()
    /// Copies of the store's registrations, to validate rows without the store.
    var tableIDs: [String: Int64] = [:]
    var descriptorTables: [Int64: Int64] = [:]
    /// nil unless `RingConfiguration.intakeJournal`.
    var journal: IntakeJournal?
    /// Live SQLite bytes of readings as of the last drain (for the `pause` room check).
    var liveBytes: Int64 = 0
    /// What `<ring>.state` holds now, and when it was written (owner only; see `RingStateFile`).
    var savedState: RingStateFile?
    var stateSavedAt: Int64 = 0
}

/// The intake journal (see `IntakeJournal` for why): the MQTT thread journals, a drainer moves
/// records into SQLite in batches. Rows become visible to `pending` once drained; `stats`
/// already counts them while they are journaled.
extension ReadingRing {
    /// Makes one message's rows durable with one write() to the journal (plus fdatasync with
    /// `sync = full`) and records its delivery mark in the in-memory window. Returns `.full`
    /// without writing when `pause` mode has no room, or when the journal cannot be drained
    /// (SQLite failing) and has reached its budget. Throws when the write fails.
    public func journal(_ rows: [NewRow], delivery: Delivery?) throws -> JournalOutcome {
        guard !rows.isEmpty else { return .accepted }
        let drainBytes = configuration.journalDrainBytes
        if intake.withLock({ ($0.journal?.pendingFrameBytes ?? 0) >= drainBytes }) {
            // The drainer is behind (or a batch is large): drain on this thread, which bounds
            // the journal and slows intake to what SQLite can take.
            _ = try? drainJournal()
        }
        let configuration = configuration
        return try intake.withLock { state throws -> JournalOutcome in
            guard state.journal != nil else {
                throw configuration.intakeJournal
                    ? RingError.closed : RingError.invalidConfiguration("the intake journal is not enabled")
            }
            var journalRows: [JournalRecord.Row] = []
            journalRows.reserveCapacity(rows.count)
            var rowBytes: Int64 = 0
            for row in rows {
                guard let tableID = state.tableIDs[row.table], state.descriptorTables[row.descriptorID] == tableID else {
                    throw RingError.unknownDescriptor(id: row.descriptorID, table: row.table)
                }
                journalRows.append(JournalRecord.Row(
                    tableID: tableID, descriptorID: row.descriptorID, recordID: row.recordID,
                    receivedAt: row.receivedAt, payload: row.payload))
                rowBytes += Int64(row.payload.count + row.recordID.utf8.count + 40)
            }
            if configuration.onFull == .pause,
               state.liveBytes + state.journal!.pendingRowBytes + rowBytes > configuration.fullBytes {
                return .full
            }
            guard state.journal!.pendingFrameBytes < configuration.journalBudgetBytes else { return .full }
            try state.journal!.append(JournalRecord(rows: journalRows, delivery: delivery), rowBytes: rowBytes)
            if let delivery { state.window.record(delivery) }
            return .accepted
        }
    }

    /// Moves every journaled record into SQLite in one transaction with the new applied
    /// position. Call every few tens of milliseconds from a dedicated thread (blocking I/O).
    /// Returns how many records were applied.
    @discardableResult
    public func drainJournal() throws -> Int {
        try withStore { try drainLocked($0) }
    }

    /// `drainJournal` for a caller that already holds the store.
    func drainLocked(_ store: RingStore) throws -> Int {
        guard configuration.intakeJournal else { return 0 }
        guard let batch = intake.withLock({ $0.journal?.takeBatch() }) else {
            try refreshLiveBytes(store)  // acks and trims free room while nothing arrives
            return 0
        }
        do {
            _ = try store.applyJournal(batch.records.map(\.record), generation: batch.generation, offset: batch.end)
        } catch {
            intake.withLock { $0.journal?.requeue(batch) }
            throw error
        }
        intake.withLock { $0.journal?.applied(batch) }
        try? refreshLiveBytes(store)
        return batch.records.count
    }

    /// The live-bytes figure `journal` checks for room; only `pause` mode asks (page-count
    /// queries every drain would be wasted otherwise).
    private func refreshLiveBytes(_ store: RingStore) throws {
        guard configuration.onFull == .pause else { return }
        let live = try store.rowLiveBytes()
        intake.withLock { $0.liveBytes = live }
    }

    /// Copies the store's table and descriptor registrations for `journal`.
    func syncRegistrations(_ store: RingStore) {
        let tableIDs = store.mirror.tableIDs, descriptorTables = store.descriptorTables
        intake.withLock { state in
            state.tableIDs = tableIDs
            state.descriptorTables = descriptorTables
        }
    }

    /// Adds journaled, not yet drained rows to `stats` (rows, ages, files).
    func addJournal(to stats: inout RingStats, tableNames: [Int64: String], now: Int64) {
        let (rows, oldest, fileBytes, rowBytes) = intake.withLock { state in
            var rows: [Int64: Int] = [:]
            var oldest: [Int64: Int64] = [:]
            for pending in state.journal?.pending ?? [] {
                for row in pending.record.rows {
                    rows[row.tableID, default: 0] += 1
                    oldest[row.tableID] = min(oldest[row.tableID] ?? row.receivedAt, row.receivedAt)
                }
            }
            return (rows, oldest, state.journal?.fileBytes ?? 0, state.journal?.pendingRowBytes ?? 0)
        }
        func age(_ receivedAt: Int64) -> Double { max(Double(now - receivedAt) / 1_000_000, 0) }
        for (tableID, count) in rows {
            guard let index = stats.tables.firstIndex(where: { $0.name == tableNames[tableID] }) else { continue }
            stats.tables[index].rows += count
            let journalAge = age(oldest[tableID]!)
            stats.tables[index].oldestAgeSeconds = max(stats.tables[index].oldestAgeSeconds ?? 0, journalAge)
            stats.oldestAgeSeconds = max(stats.oldestAgeSeconds ?? 0, journalAge)
            stats.rows += count
        }
        stats.bytesOnDisk += fileBytes
        stats.fillRatio = Double(stats.bytesOnDisk) / Double(stats.maxBytes)
        stats.isFull = stats.isFull || stats.liveBytes + rowBytes > configuration.fullBytes
    }
}
