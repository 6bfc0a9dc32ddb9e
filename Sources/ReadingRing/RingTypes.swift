/// A row to store: one encoded protobuf message for `table`, encoded with `descriptorID`.
public struct NewRow: Sendable, Equatable {
    public var table: String
    /// From `ReadingRing.descriptorID(table:descriptor:)`; must belong to `table`.
    public var descriptorID: Int64
    /// Unique per reading and stable across resends, so downstream can deduplicate.
    public var recordID: String
    /// Microseconds since the Unix epoch.
    public var receivedAt: Int64
    public var payload: [UInt8]

    public init(table: String, descriptorID: Int64, recordID: String, receivedAt: Int64, payload: [UInt8]) {
        self.table = table
        self.descriptorID = descriptorID
        self.recordID = recordID
        self.receivedAt = receivedAt
        self.payload = payload
    }
}

/// A row waiting for its ack, as returned by `pending`.
public struct StoredRow: Sendable, Equatable {
    /// Ring position: strictly increasing in append order.
    public var id: Int64
    public var recordID: String
    public var descriptorID: Int64
    public var payload: [UInt8]
    /// Microseconds since the Unix epoch.
    public var receivedAt: Int64
}

/// What `append` did.
public enum AppendOutcome: Sendable, Equatable {
    /// All rows were committed with these consecutive ids (empty for an empty append);
    /// `droppedOldest` older rows were deleted to make room (only with `.dropOldest`).
    case stored(ids: Range<Int64>, droppedOldest: Int)
    /// `.pause` mode and no room: nothing was written.
    case full
}

/// What `journal` did.
public enum JournalOutcome: Sendable, Equatable {
    /// The record is in the journal file: it survives kill -9 (and a power cut with `sync = full`).
    case accepted
    /// Nothing was written: no room in `pause` mode, or the journal is at its budget because
    /// draining into SQLite fails. The caller holds the rows and pauses intake.
    case full
}

/// A quarantined (dead-letter) entry.
public struct QuarantineEntry: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// The MQTT payload could not be mapped to a row; `payload` is the raw message.
        case unmappable
        /// The server rejected the encoded row as non-retryable; `payload` is the encoded row and
        /// `descriptorID` the descriptor it was encoded with.
        case rejected
    }

    public var id: Int64
    public var kind: Kind
    public var table: String
    public var topic: String?
    public var reason: String
    /// Microseconds since the Unix epoch.
    public var receivedAt: Int64
    /// When the entry was quarantined, microseconds since the Unix epoch.
    public var quarantinedAt: Int64
    public var payload: [UInt8]
    public var recordID: String?
    public var descriptorID: Int64?
}

/// Ring health figures; cheap to compute (no table scans).
public struct RingStats: Sendable, Equatable {
    public struct Table: Sendable, Equatable {
        public var name: String
        public var rows: Int
        /// Age of the table's oldest row in seconds; nil when it has none.
        public var oldestAgeSeconds: Double?
        public var droppedTotal: Int64
        public var ackedTotal: Int64
        public var quarantinedTotal: Int64
        /// The drops and quarantines by reason.
        public var ledger: LossLedger
    }

    public var rows: Int
    /// Database file plus WAL file, as on disk now (`stat`).
    public var bytesOnDisk: Int64
    /// Bytes of live pages: (page_count - freelist_count) × page_size; what the bound acts on.
    public var liveBytes: Int64
    public var maxBytes: Int64
    /// `bytesOnDisk / maxBytes`.
    public var fillRatio: Double
    /// Age of the oldest row in seconds; nil when the ring is empty.
    public var oldestAgeSeconds: Double?
    public var droppedTotal: Int64
    public var quarantinedTotal: Int64
    /// Quarantine entries deleted because the quarantine reached its own bound.
    public var quarantineDroppedTotal: Int64
    /// The drops and quarantines by reason, over all tables.
    public var ledger: LossLedger
    /// Entries currently in quarantine.
    public var quarantineRows: Int
    /// What they count against the quarantine's bound (`RingConfiguration.quarantineMaxBytes`).
    public var quarantineBytes: Int64
    /// True when `append` would refuse (pause mode) or drop (drop-oldest mode) right now.
    public var isFull: Bool
    public var tables: [Table]
}

/// Every row lost or set aside, by reason, persistent across restarts. `dropped_total` and
/// `quarantined_total` are the sums (plus anything counted before reasons were, v0.1 rings).
public struct LossLedger: Sendable, Equatable {
    /// Oldest rows deleted to keep the ring within `max_bytes` (`on_full = "drop_oldest"`).
    public var droppedFull: Int64 = 0
    /// Rows older than `max_age`.
    public var droppedAgedOut: Int64 = 0
    /// Rows an operator discarded (`buffer purge`).
    public var droppedPurged: Int64 = 0
    /// Payloads that could not be mapped to a row.
    public var quarantinedUnmappable: Int64 = 0
    /// Rows the server refused.
    public var quarantinedRejected: Int64 = 0
    /// Rows sent again after a reconnect or a restart (each may be a duplicate in the cloud).
    public var resent: Int64 = 0

    public init() {}

    public var droppedTotal: Int64 { droppedFull + droppedAgedOut + droppedPurged }

    static func + (lhs: LossLedger, rhs: LossLedger) -> LossLedger {
        var sum = lhs
        sum.droppedFull += rhs.droppedFull
        sum.droppedAgedOut += rhs.droppedAgedOut
        sum.droppedPurged += rhs.droppedPurged
        sum.quarantinedUnmappable += rhs.quarantinedUnmappable
        sum.quarantinedRejected += rhs.quarantinedRejected
        sum.resent += rhs.resent
        return sum
    }
}

/// What `enforceBounds` did.
public struct TrimReport: Sendable, Equatable {
    public var droppedByAge = 0
    public var droppedBySize = 0
    /// Oldest quarantine entries deleted because the quarantine reached its own bound.
    public var quarantineDropped = 0
    public var vacuumedPages = 0
    public var checkpointed = false
    /// Database + WAL after the trim.
    public var bytesOnDisk: Int64 = 0
}

/// What `ReadingRing.open` found.
public struct OpenReport: Sendable, Equatable {
    /// Set when the existing file was corrupt or not a database: where it was moved (its `-wal`
    /// and `-shm` beside it with the same prefix), and why. The ring then started with what
    /// could be salvaged from it (`salvage`), or empty.
    public var movedAsideTo: String?
    public var corruptionReason: String?
    /// Set when the rows still readable in a damaged file were copied into the new ring.
    public var salvage: Salvage?

    public struct Salvage: Sendable, Equatable {
        public var rowsKept: Int
        /// Rows the damaged file's index listed (nil when unreadable); the difference to
        /// `rowsKept` is what the damage cost.
        public var rowsListed: Int?
        public var quarantineKept: Int
        public var rowsLost: Int? { rowsListed.map { max($0 - rowsKept, 0) } }
    }
    /// Rows found in the ring at open.
    public var rows: Int
    public var quarantineRows: Int
    /// Intake-journal records found after the applied position and written to SQLite at open.
    public var journalRecordsReplayed = 0
    /// Damaged stretches of journal files skipped at replay, and their bytes: each cost at
    /// least one message that the broker had been told was stored. Log at error level.
    public var journalDamagedRegions = 0
    public var journalDamagedBytes = 0
    /// Where the damaged journal files went once their intact records were replayed.
    public var journalMovedAsideTo: [String] = []
    /// Bytes at the end of the newest journal file that form no whole record: a write cut short
    /// by a crash or a power cut, never acknowledged to the broker (it redelivers the message).
    public var journalTornTailBytes = 0
    /// Set when the ring holds less than the previous run recorded in `<ring>.state` (see
    /// `RingStateFile`): rows lost outside the agent's control. Log at error level.
    public var missing: Missing?

    public struct Missing: Sendable, Equatable {
        /// Rows lost; with `exact` false an upper bound (some may have been delivered).
        public var rows: Int
        public var exact: Bool
        public var detail: String
    }
    /// Files beside the ring named like journal files but with no generation this agent
    /// writes; left untouched.
    public var journalIgnoredFiles: [String] = []
}

/// Errors of the ring itself. SQLite failures (disk full, I/O errors, …) are thrown as the
/// `SQLiteError` they are, with SQLite's message and the SQL that failed.
public enum RingError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidConfiguration(String)
    /// `append` named a descriptor id the ring does not know, or one belonging to another
    /// table; or `descriptor(id:)` was asked for an unknown id (table nil).
    case unknownDescriptor(id: Int64, table: String?)
    case closed
    /// A file-system step outside SQLite failed (creating the file, moving a corrupt file aside).
    case fileSystem(String)
    /// The file is a sound SQLite database this version cannot use (newer ring format, no WAL).
    case incompatibleFile(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let message): "invalid buffer configuration: \(message)"
        case .unknownDescriptor(let id, let table?): "descriptor id \(id) is not a descriptor of table \(table)"
        case .unknownDescriptor(let id, nil): "no descriptor with id \(id)"
        case .closed: "the reading ring is closed"
        case .fileSystem(let message): "buffer file: \(message)"
        case .incompatibleFile(let message): "buffer file: \(message)"
        }
    }
}

/// What identifies one QoS 1 delivery from the broker, stored with the message's rows.
///
/// If the agent dies after committing a message but before libmosquitto wrote its PUBACK,
/// the broker redelivers it on the next connection with the same packet id. Such a message
/// (same packet id, same content hash, committed on an *earlier* connection) is recognised and
/// not stored twice. Only the marks of the last `DeliveryWindow.size` packet ids are kept
/// (a redelivery is of a message in flight at the crash), so they stay small, and a packet id
/// the broker reuses 65535 messages later finds no mark: a new reading is not mistaken for a redelivery.
public struct Delivery: Sendable, Equatable {
    public var packetID: Int32
    /// Increases with every connection (e.g. the connect time in µs), also across restarts.
    public var connectionEpoch: Int64
    /// A hash of topic and payload.
    public var contentHash: Int64

    public init(packetID: Int32, connectionEpoch: Int64, contentHash: Int64) {
        self.packetID = packetID
        self.connectionEpoch = connectionEpoch
        self.contentHash = contentHash
    }
}
