import SQLite
import Synchronization

/// The agent's durable buffer: encoded rows wait here, in one SQLite file, until the cloud has
/// acknowledged them; rows that cannot be delivered wait in a quarantine table of the same file.
///
/// ## Invariants
///
/// 1. **Committed means durable.** `append` returns only after its transaction committed to
///    the WAL. A kill -9 loses nothing committed; a power cut loses nothing with `sync = .full`
///    and at most the last commits (never consistency) with `.normal`. No state that matters
///    lives only in memory: the in-memory counts mirror tables and are rebuilt at open.
///    `journal` (the MQTT path, with `intakeJournal`) gives the same guarantee with one write()
///    to the intake journal; `drainJournal` moves records into SQLite in batches, and `open`
///    replays what was not yet drained (see `IntakeJournal`).
/// 2. **Order.** Row ids strictly increase in append order and are never reused while the ring
///    is open (they continue after the largest id present when reopened). `pending` returns a
///    table's rows in id order; callers keep their own "after id" cursor.
/// 3. **A row keeps its descriptor.** Each row references the descriptor it was encoded with
///    (deduplicated by content), so a config change with a backlog never re-encodes or
///    mislabels old rows. A batch from `pending` never mixes descriptors.
/// 4. **Removal only on ack.** Rows leave `rows` only through `remove` (acked), `quarantine`
///    (rejected), or the bounds (counted per table as dropped, persistently).
/// 5. **Bounded disk.** With B = `maxBytes`, WAL budget W = min(B/8, 4 MiB) and page budget
///    P = B − 2W: live pages stay ≤ P after every append (`.dropOldest` deletes the oldest rows
///    across all tables; `.pause` refuses), the WAL is checkpointed at W and truncated to W
///    (`journal_size_limit`), and every internal step (trim, ack removal, vacuum) rewrites at
///    most W/4 so no single transaction balloons the WAL, including a drain after an outage.
///    Freed pages are reused first and returned to the file system by `enforceBounds`
///    (`incremental_vacuum` + `wal_checkpoint(TRUNCATE)`). Hence file + WAL ≤ B whenever each
///    caller batch passed to `append` is below 3W/8 (48 KiB at B = 1 MiB, 1.5 MiB at B ≥ 32 MiB);
///    a larger batch adds up to twice its excess. Outside the bound: the `-shm` index (32 KiB
///    per 4096 WAL frames), and a WAL held open by another process's long read transaction.
///    B must be at least 1 MiB. Quarantine may use at most P/4; its oldest entries go first.
///    With the intake journal, P is further reduced by the journal budget J = W/4, which its
///    files never exceed (drained and rotated at J/2, so a drain batch is at most W/8).
/// 6. **Corruption never crash-loops and never silently loses.** `open` runs `quick_check`; a
///    corrupt or foreign file is renamed to `buffer.db.corrupt-<unix time>` (with its -wal and
///    -shm) for the operator, a fresh ring starts, and `OpenReport` says so.
/// 7. **Age.** `enforceBounds` drops rows whose `receivedAt` is older than `maxAge`, walking
///    from the oldest id; a row re-appended from quarantine (old `receivedAt`, new id) is
///    aged out when it reaches the head.
///
/// ## Threads
///
/// `Sendable`: the one SQLite connection and its statements live in a `RingStore` that only
/// exists inside a `Mutex`, and never escape a `withLock` body; so at most one thread uses the
/// connection at a time, which Debian's `SQLITE_THREADSAFE=1` build permits for a connection
/// opened with `SQLITE_OPEN_NOMUTEX`. Calls block the calling thread for the length of their
/// SQLite work: call from dedicated threads (the MQTT thread, the uploader), not from the
/// cooperative pool in a loop. Times are microseconds since the Unix epoch.
public final class ReadingRing: Sendable {
    public let configuration: RingConfiguration
    /// What `open` found (damage, salvage, replay), for health and logs.
    public let openReport: OpenReport
    private let store: Mutex<RingStore?>
    let intake: Mutex<IntakeState>
    /// While true, `pending` returns nothing (see `holdUploads`).
    let uploadsHeld = Atomic<Bool>(false)

    private init(
        store: consuming sending RingStore, intake: consuming sending IntakeState, configuration: RingConfiguration,
        openReport: OpenReport
    ) {
        self.configuration = configuration
        self.openReport = openReport
        self.store = Mutex(store)
        self.intake = Mutex(intake)
    }

    /// Opens or creates the ring (file mode 0600), applying pragmas, checking integrity and
    /// enforcing the bounds once (a lowered `maxBytes` or expired rows are handled at once).
    public static func open(_ configuration: RingConfiguration) throws -> (ReadingRing, OpenReport) {
        try configuration.validate()
        var report = OpenReport(rows: 0, quarantineRows: 0)
        let path = configuration.path
        // A salvage that a crash interrupted after its copy was complete: finish it.
        if RingDatabase.fileExists(RingSalvage.salvagedPath(path)) {
            if RingDatabase.fileExists(path) {
                report.movedAsideTo = try RingDatabase.moveAside(path, now: now(), withJournals: false)
            }
            try RingDatabase.renameFile(RingSalvage.salvagedPath(path), to: path)
        }
        RingSalvage.removeSet(RingSalvage.partialPath(path))
        // Only the owner (the process that replays the journal) keeps the state file.
        let previous = configuration.intakeJournal ? RingStateFile.read(ring: path) : nil
        let store: RingStore
        do {
            store = try makeStore(configuration)
        } catch let unusable as RingDatabase.Unusable {
            report.corruptionReason = unusable.reason
            // Copy what can still be read, then move the damaged set aside for the operator.
            // Journal files name this file's ids: they stay with a salvaged copy (same ids) and
            // go aside with the damaged file otherwise.
            let salvage = RingSalvage.salvage(path, previous: previous)
            report.movedAsideTo = try RingDatabase.moveAside(path, now: now(), withJournals: salvage == nil)
            if let salvage {
                try RingDatabase.renameFile(RingSalvage.salvagedPath(path), to: path)
                report.salvage = .init(rowsKept: salvage.rowsKept, rowsListed: salvage.rowsListed, quarantineKept: salvage.quarantineKept)
            }
            do {
                store = try makeStore(configuration)
            } catch is RingDatabase.Unusable {
                // The salvaged copy itself fails the check (should not happen): start empty.
                _ = try RingDatabase.moveAside(path, now: now(), withJournals: true)
                report.salvage = nil
                store = try makeStore(configuration)
            }
        }
        var intake = IntakeState()
        if configuration.intakeJournal {
            // Before anything else: what was journaled (and PUBACKed) before a crash goes to SQLite.
            let replay = try store.replayJournal(batchBytes: configuration.journalDrainBytes)
            report.journalRecordsReplayed = replay.records
            report.journalDamagedRegions = replay.damagedRegions
            report.journalDamagedBytes = replay.damagedBytes
            report.journalMovedAsideTo = replay.movedAside
            report.journalTornTailBytes = replay.tornTailBytes
            report.journalIgnoredFiles = replay.ignoredFiles
            intake.journal = try IntakeJournal(
                ringPath: configuration.path, generation: replay.nextGeneration, durable: configuration.sync == .full,
                drainBytes: configuration.journalDrainBytes)
        }
        if configuration.intakeJournal {
            // A salvage already reported its own losses against the damaged file.
            if let previous, report.movedAsideTo == nil {
                report.missing = previous.missing(nextRowID: store.mirror.nextRowID, rows: store.mirror.totalRows)
            }
            // From here on a crash compares against this run's rows, not the lost ones.
            intake.savedState = RingStateFile(nextRowID: store.mirror.nextRowID, rows: store.mirror.totalRows, clean: false)
        }
        intake.savedState?.write(ring: path)
        _ = try store.enforceBounds(now: now())
        report.rows = store.mirror.totalRows
        report.quarantineRows = store.mirror.quarantineRows
        intake.window.load(try store.deliveryMarks())
        intake.tableIDs = store.mirror.tableIDs
        intake.descriptorTables = store.descriptorTables
        intake.liveBytes = try store.rowLiveBytes()
        return (ReadingRing(store: store, intake: intake, configuration: configuration, openReport: report), report)
    }

    private static func makeStore(_ configuration: RingConfiguration) throws -> RingStore {
        do {
            return try RingStore(db: try RingDatabase.open(configuration), configuration: configuration)
        } catch let error as SQLiteError where error.code ~= .notADatabase || error.code ~= .corrupt {
            throw RingDatabase.Unusable(reason: error.description)
        }
    }

    /// Wall-clock time in microseconds since the Unix epoch.
    public static func now() -> Int64 { RingDatabase.nowMicros() }

    func withStore<T: Sendable>(_ body: (RingStore) throws -> T) throws -> T {
        try store.withLock { store in
            guard let store else { throw RingError.closed }
            return try body(store)
        }
    }

    /// Rows dropped since the last call, by reason, for the log: wherever a drop happens (a
    /// trim while the journal drains, an append, the age bound, a purge), it is counted at
    /// once and logged by whoever polls this (the agent's housekeeping, every second).
    public func takeUnreportedDrops() throws -> LossLedger {
        try withStore { store in
            defer { store.mirror.unreportedDrops = LossLedger() }
            return store.mirror.unreportedDrops
        }
    }

    // MARK: Descriptors

    /// The id of `descriptor` (serialized descriptor bytes) for `table`, stored once per content.
    public func descriptorID(table: String, descriptor: [UInt8]) throws -> Int64 {
        try withStore { store in
            let id = try store.descriptorID(table: table, descriptor: descriptor)
            syncRegistrations(store)
            return id
        }
    }

    /// The bytes stored for a descriptor id.
    public func descriptor(id: Int64) throws -> [UInt8] {
        guard let bytes = try withStore({ try $0.descriptor(id: id) }) else {
            throw RingError.unknownDescriptor(id: id, table: nil)
        }
        return bytes
    }

    // MARK: Rows

    /// Stores `rows` in one transaction (see invariant 5 for what happens when full). Journaled
    /// rows are drained first, so ids keep following arrival order.
    public func append(_ rows: [NewRow]) throws -> AppendOutcome {
        try withStore { store in
            _ = try drainLocked(store)
            return try store.append(rows)
        }
    }

    /// Stores the rows of one MQTT message together with its delivery mark, in one transaction.
    /// (The MQTT path uses `journal` instead; this is the unjournaled equivalent.)
    public func append(_ rows: [NewRow], delivery: Delivery) throws -> AppendOutcome {
        try withStore { store in
            _ = try drainLocked(store)
            let outcome = try store.append(rows, delivery: delivery)
            if case .stored = outcome { intake.withLock { $0.window.record(delivery) } }
            return outcome
        }
    }

    /// True when `delivery` repeats a message stored on an earlier connection (see `Delivery`).
    /// Answered from memory: no query per message.
    public func isRedelivery(_ delivery: Delivery) throws -> Bool {
        intake.withLock { $0.window.isRedelivery(delivery) }
    }

    /// Up to `maxRecords` rows of `table` with id > `after`, in id order, stopping before
    /// `maxBytes` of payload would be exceeded (the first row always comes) and before the
    /// descriptor changes.
    public func pending(table: String, after id: Int64, maxRecords: Int, maxBytes: Int) throws -> [StoredRow] {
        if uploadsHeld.load(ordering: .relaxed) { return [] }
        return try withStore { try $0.pending(table: table, after: id, maxRecords: maxRecords, maxBytes: maxBytes) }
    }

    /// The id of the newest row in SQLite (0 when none was ever stored). Rows still in the
    /// intake journal get larger ids when they are applied.
    public func newestRowID() throws -> Int64 {
        try withStore { $0.mirror.nextRowID - 1 }
    }

    /// How many rows of `table` with ids in `range` are buffered: an index range count, cheap
    /// enough for each health report (about 20 ms per million rows).
    public func count(table: String, ids range: ClosedRange<Int64>) throws -> Int {
        try withStore { try $0.count(table: table, ids: range) }
    }

    /// Deletes acked rows and counts them as acked per table. Unknown ids (e.g. rows dropped
    /// meanwhile) are ignored. A large removal is split into transactions of at most W/4 of rows
    /// (invariant 5); each bumps the counters with its own deletions, so counts and rows always
    /// agree even across a crash. Returns how many rows were removed.
    @discardableResult
    public func remove(ids: [Int64]) throws -> Int {
        try withStore { try $0.remove(ids: ids) }
    }

    /// Deletes the acked rows of `table` whose ids lie in `range` (a batch from `pending` is one
    /// such range). Returns how many rows were removed.
    @discardableResult
    public func remove(table: String, range: ClosedRange<Int64>) throws -> Int {
        try withStore { try $0.remove(table: table, range: range) }
    }

    /// Deletes every buffered row of `table`, counted as dropped (an operator's deliberate purge,
    /// e.g. of a table removed from the configuration). Returns how many rows were removed.
    @discardableResult
    public func purge(table: String) throws -> Int {
        try withStore { store in
            _ = try drainLocked(store)
            return try store.remove(table: table, range: 0...Int64.max, counter: RingStore.CounterName.droppedPurged)
        }
    }

    // MARK: Quarantine

    /// Moves rows the server rejected to quarantine, with `reason`. Returns how many moved.
    @discardableResult
    public func quarantine(rowIDs: [Int64], reason: String) throws -> Int {
        try withStore { try $0.quarantine(rowIDs: rowIDs, reason: reason, now: Self.now()) }
    }

    /// Quarantines a raw message that could not be mapped to a row of `table`.
    @discardableResult
    public func quarantineUnmappable(
        table: String, topic: String, payload: [UInt8], reason: String, receivedAt: Int64
    ) throws -> Int64 {
        try withStore {
            try $0.quarantineUnmappable(
                table: table, topic: topic, payload: payload, reason: reason, receivedAt: receivedAt, now: Self.now())
        }
    }

    /// The oldest `limit` quarantine entries.
    public func quarantineList(limit: Int = 100) throws -> [QuarantineEntry] {
        try withStore { try $0.quarantineList(limit: limit) }
    }

    /// Removes and returns entries for a retry (all when `ids` is nil).
    public func quarantineTake(ids: [Int64]? = nil) throws -> [QuarantineEntry] {
        try withStore { try $0.quarantineTake(ids: ids) }
    }

    /// Deletes all quarantine entries; returns how many.
    @discardableResult
    public func quarantinePurge() throws -> Int {
        try withStore { try $0.quarantinePurge() }
    }

    // MARK: Bounds, health, lifecycle

    /// Drops expired rows, trims to the size budget, returns free pages to the file system and
    /// checkpoints. Call periodically (about every second) and after large acks; every step is a
    /// small transaction, so appends interleave with a long trim only between steps.
    @discardableResult
    public func enforceBounds(now: Int64 = ReadingRing.now()) throws -> TrimReport {
        try withStore { store in
            let report = try store.enforceBounds(now: now)
            saveState(store, now: now)
            return report
        }
    }

    /// Refreshes `<ring>.state` (owner only) when the high-water mark moved, at most every 5 s.
    private func saveState(_ store: RingStore, now: Int64) {
        let state = RingStateFile(nextRowID: store.mirror.nextRowID, rows: store.mirror.totalRows, clean: false)
        let due = intake.withLock { intake -> Bool in
            guard let saved = intake.savedState, saved.nextRowID != state.nextRowID,
                  now - intake.stateSavedAt >= 5_000_000 else { return false }
            intake.savedState = state
            intake.stateSavedAt = now
            return true
        }
        if due { state.write(ring: configuration.path) }
    }

    /// Health figures; no table scans, cheap enough for every second on a large ring.
    public func stats(now: Int64 = ReadingRing.now()) throws -> RingStats {
        try withStore { store in
            var stats = try store.stats(now: now)
            addJournal(to: &stats, tableNames: store.mirror.tableNames, now: now)
            return stats
        }
    }

    /// Checkpoints the WAL into the database file and truncates it.
    public func checkpoint() throws {
        try withStore { _ = try $0.checkpoint() }
    }

    /// Checkpoints and closes the database. Later calls throw `RingError.closed`.
    public func close() throws {
        let store = store.withLock { store -> RingStore? in
            defer { store = nil }
            return store
        }
        guard let store else { return }
        // A clean stop leaves no journal behind (the next open would replay it otherwise).
        while let applied = try? drainLocked(store), applied > 0 {}
        intake.withLock { state in
            state.journal?.close()
            state.journal = nil
        }
        // A clean stop leaves an empty WAL: everything is in the database file itself.
        _ = try? store.checkpoint()
        if configuration.intakeJournal {
            RingStateFile(nextRowID: store.mirror.nextRowID, rows: store.mirror.totalRows, clean: true)
                .write(ring: configuration.path)
        }
        try store.db.close()
    }
}
