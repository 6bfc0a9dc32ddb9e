/// How a `ReadingRing` is stored and bounded. Validated by `ReadingRing.open`.
public struct RingConfiguration: Sendable, Equatable {
    /// What `append` does when the ring has no room.
    public enum WhenFull: Sendable, Equatable {
        /// Delete the oldest rows (across all tables, oldest first) to make room. Every dropped row
        /// is counted per table, persistently. The default.
        case dropOldest
        /// Write nothing and return `.full`; the caller stops taking messages (the MQTT broker's
        /// session queue absorbs the backlog) and retries once acks have made room.
        case pause
    }

    /// SQLite `synchronous` in WAL mode.
    public enum SyncMode: String, Sendable, Equatable {
        /// fsync only at checkpoints: a power cut can lose the last commits, never corrupts.
        case normal = "NORMAL"
        /// fsync the WAL at every commit: a power cut loses nothing committed. Slower on flash.
        case full = "FULL"
    }

    /// The smallest accepted `maxBytes`. Below this the WAL reserve (1/8) would be a handful of
    /// pages and the ring would spend its time checkpointing.
    public static let minimumMaxBytes: Int64 = 1 << 20

    /// The database file, conventionally `<data_dir>/buffer.db`. Its `-wal` and `-shm` files sit beside it.
    public var path: String
    /// Cap on the database file plus its WAL, in bytes (see `ReadingRing` for the slack).
    public var maxBytes: Int64
    /// Rows older than this (by `receivedAt`) are dropped by `enforceBounds`.
    public var maxAge: Duration
    public var onFull: WhenFull
    public var sync: SyncMode
    /// The quarantine's own bound, in stored bytes (payloads plus reasons and ~64 bytes of
    /// overhead per entry); nil = `maxBytes / 16`. This much of the page budget is reserved for
    /// it, so junk never takes room from readings (see `dataBudgetBytes`).
    public var quarantineMaxBytes: Int64?
    /// The quarantine's bound in entries: a flood of small junk payloads evicts its own oldest
    /// entries, not readings.
    public var quarantineMaxEntries: Int
    /// Replay and write the intake journal (`<path>.journal-<n>`, see `ReadingRing.journal`).
    /// Only for the process that owns the data directory: opening the ring replays and deletes
    /// the journal files, which would steal them from a running daemon.
    public var intakeJournal: Bool

    public init(
        path: String,
        maxBytes: Int64 = 512 << 20,
        maxAge: Duration = .seconds(7 * 24 * 3600),
        onFull: WhenFull = .dropOldest,
        sync: SyncMode = .normal,
        quarantineMaxBytes: Int64? = nil,
        quarantineMaxEntries: Int = 10_000,
        intakeJournal: Bool = false
    ) {
        self.quarantineMaxBytes = quarantineMaxBytes
        self.quarantineMaxEntries = quarantineMaxEntries
        self.path = path
        self.maxBytes = maxBytes
        self.maxAge = maxAge
        self.onFull = onFull
        self.sync = sync
        self.intakeJournal = intakeJournal
    }

    /// `<dataDirectory>/buffer.db` with the other settings at their defaults.
    public static func inDataDirectory(_ dataDirectory: String) -> RingConfiguration {
        RingConfiguration(path: dataDirectory.hasSuffix("/") ? dataDirectory + "buffer.db" : dataDirectory + "/buffer.db")
    }

    /// Throws `RingError.invalidConfiguration` naming the offending field.
    public func validate() throws(RingError) {
        if path.isEmpty { throw .invalidConfiguration("buffer path is empty") }
        if maxBytes < Self.minimumMaxBytes {
            throw .invalidConfiguration("buffer.max_bytes is \(maxBytes) bytes; the minimum is 1 MiB (1048576)")
        }
        if maxAge <= .zero { throw .invalidConfiguration("buffer.max_age must be positive") }
        if let quarantineMaxBytes, quarantineMaxBytes < Self.minimumQuarantineBytes || quarantineMaxBytes > maxBytes / 4 {
            throw .invalidConfiguration(
                "buffer.quarantine_max_bytes is \(quarantineMaxBytes) bytes; it must lie between 16 KiB and a quarter of max_bytes (\(maxBytes / 4))")
        }
        if quarantineMaxEntries < 1 { throw .invalidConfiguration("buffer.quarantine_max_entries must be at least 1") }
    }

    /// The smallest accepted `quarantineMaxBytes`: room for a few reasons and payload prefixes.
    public static let minimumQuarantineBytes: Int64 = 16 << 10

    // MARK: Derived budgets (see the invariants in ReadingRing.swift)

    /// The quarantine's byte bound in force.
    public var quarantineBudgetBytes: Int64 { quarantineMaxBytes ?? max(maxBytes / 16, Self.minimumQuarantineBytes) }

    /// Live bytes the readings may use: the page budget less the quarantine's reserve. The
    /// reserve is the quarantine's bound plus a quarter, because the quarantine's size is
    /// estimated from its contents while SQLite stores it in partly filled pages. Readings are
    /// trimmed (or refused, in pause mode) against this figure and the quarantine against its
    /// own bound, so neither ever displaces the other.
    var dataBudgetBytes: Int64 { pageBudgetBytes - quarantineBudgetBytes - quarantineBudgetBytes / 4 }

    /// An unmappable payload larger than this is quarantined as a prefix of
    /// `quarantinePrefixBytes` (with the reason saying so), so a few huge junk messages cannot
    /// evict every other entry; smaller ones are kept whole for `quarantine retry`.
    var quarantineWholePayloadBytes: Int64 { quarantineBudgetBytes / 8 }
    var quarantinePrefixBytes: Int { Int(min(64 << 10, quarantineWholePayloadBytes)) }

    /// WAL budget: the auto-checkpoint threshold and `journal_size_limit`. 1/8 of the cap, at most 4 MiB.
    var walBudgetBytes: Int64 { min(maxBytes / 8, 4 << 20) }

    /// Budget for live pages of the database file: the cap minus twice the WAL budget
    /// (one for the WAL itself, one for the largest transaction in flight plus `-shm`), minus
    /// the intake journal's share when it is used.
    var pageBudgetBytes: Int64 { maxBytes - 2 * walBudgetBytes - (intakeJournal ? journalBudgetBytes : 0) }
    /// Live bytes of readings (live bytes less the quarantine's) at which the ring is full. With `on_full = "pause"` (which stops taking rows
    /// there) 1/16 below the page budget, because room is judged from an estimate of each row's
    /// size (and, for journaled rows, from the live size as of the last drain); without the
    /// margin an underestimate crossed the budget and the bounds check dropped rows, which pause
    /// mode promises never to do.
    var fullBytes: Int64 { onFull == .pause ? dataBudgetBytes - dataBudgetBytes / 16 : dataBudgetBytes }

    /// Intake journal files on disk stay within this (2 × `journalDrainBytes` plus one record):
    /// they are drained and rotated once half of it is reached.
    var journalBudgetBytes: Int64 { stepBytes }

    /// Pending journal bytes that start a drain (and a file rotation); also the largest drain
    /// batch, far below the 3W/8 that keeps one transaction inside the WAL budget.
    var journalDrainBytes: Int64 { journalBudgetBytes / 2 }

    /// Largest amount of data one internal step (a trim or removal chunk, a vacuum step) may
    /// rewrite, so that no single transaction can blow the WAL past its budget.
    var stepBytes: Int64 { max(walBudgetBytes / 4, 16 << 10) }

    /// Rows older than this many microseconds are expired.
    var maxAgeMicros: Int64 {
        let (seconds, attoseconds) = maxAge.components
        let micros = seconds.multipliedReportingOverflow(by: 1_000_000)
        return micros.overflow ? Int64.max : micros.partialValue + attoseconds / 1_000_000_000_000
    }
}
