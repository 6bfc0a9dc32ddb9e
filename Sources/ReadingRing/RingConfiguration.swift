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
        intakeJournal: Bool = false
    ) {
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
    }

    // MARK: Derived budgets (see the invariants in ReadingRing.swift)

    /// WAL budget: the auto-checkpoint threshold and `journal_size_limit`. 1/8 of the cap, at most 4 MiB.
    var walBudgetBytes: Int64 { min(maxBytes / 8, 4 << 20) }

    /// Budget for live pages of the database file: the cap minus twice the WAL budget
    /// (one for the WAL itself, one for the largest transaction in flight plus `-shm`), minus
    /// the intake journal's share when it is used.
    var pageBudgetBytes: Int64 { maxBytes - 2 * walBudgetBytes - (intakeJournal ? journalBudgetBytes : 0) }
    /// Live bytes at which the ring is full. With `on_full = "pause"` (which stops taking rows
    /// there) 1/16 below the page budget, because room is judged from an estimate of each row's
    /// size (and, for journaled rows, from the live size as of the last drain); without the
    /// margin an underestimate crossed the budget and the bounds check dropped rows, which pause
    /// mode promises never to do.
    var fullBytes: Int64 { onFull == .pause ? pageBudgetBytes - pageBudgetBytes / 16 : pageBudgetBytes }

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
