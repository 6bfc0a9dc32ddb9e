/// The writer side of the intake journal: the open file, what in it is not yet in SQLite, and
/// when to move to the next generation. A value confined to `ReadingRing`'s intake mutex.
///
/// Why a journal: a message must be durable before its PUBACK, which libmosquitto sends as soon
/// as the message callback returns. One SQLite transaction per message made the MQTT thread the
/// bottleneck (WAL frames, locks, page checks per commit). One write() per message to an
/// append-only file gives the same guarantee as a WAL commit with `synchronous = NORMAL`
/// (survives kill -9; fdatasync per record with `sync = full`), and the drainer moves the
/// records into SQLite in batches, recording in the same transaction how far it got.
struct IntakeJournal {
    /// A record written to the file but not yet applied to SQLite.
    struct Pending {
        var record: JournalRecord
        var generation: Int64
        /// Offset just after the record in its file: the applied position once it is in SQLite.
        var end: Int64
        var frameBytes: Int64
        /// Estimated bytes the rows will take in SQLite (as `append` estimates them).
        var rowBytes: Int64
    }

    /// What the drainer takes in one go.
    struct Batch {
        var records: [Pending]
        var generation: Int64 { records.last?.generation ?? 0 }
        var end: Int64 { records.last?.end ?? 0 }
    }

    let ringPath: String
    let durable: Bool
    /// Files at least this large are rotated at the next drain; pending bytes at least this
    /// large make the MQTT thread drain inline. Both keep the journal within twice this.
    let drainBytes: Int64
    private(set) var generation: Int64
    private var fd: Int32
    private(set) var offset: Int64 = 0
    /// Earlier generations still on disk: deleted once their last record is in SQLite.
    private var retired: [(generation: Int64, bytes: Int64)] = []
    private(set) var pending: [Pending] = []
    private(set) var pendingFrameBytes: Int64 = 0
    private(set) var pendingRowBytes: Int64 = 0

    /// Starts a new, empty generation (call after replaying everything before it).
    init(ringPath: String, generation: Int64, durable: Bool, drainBytes: Int64) throws {
        self.ringPath = ringPath
        self.durable = durable
        self.drainBytes = drainBytes
        self.generation = generation
        fd = try JournalFiles.create(JournalFiles.path(ring: ringPath, generation: generation), durable: durable)
    }

    /// Bytes of journal files on disk.
    var fileBytes: Int64 { offset + retired.reduce(0) { $0 + $1.bytes } }

    /// Set when a write failed: the file may end in a partial frame that could not be cut off,
    /// and a record after it would be unreachable at replay. The next record starts a new file.
    private var writeFailed = false

    /// Appends one record with one write(); after it returns the record survives kill -9.
    mutating func append(_ record: JournalRecord, rowBytes: Int64) throws {
        if writeFailed { try startGeneration() }
        let frame = record.encoded()
        do {
            try JournalFiles.append(frame, fd: fd, at: offset, durable: durable)
        } catch {
            writeFailed = true
            throw error
        }
        offset += Int64(frame.count)
        pending.append(Pending(
            record: record, generation: generation, end: offset, frameBytes: Int64(frame.count), rowBytes: rowBytes))
        pendingFrameBytes += Int64(frame.count)
        pendingRowBytes += rowBytes
    }

    /// Takes every pending record for the drainer. If the file has grown past `drainBytes`, the
    /// writer moves on to a new generation first, so the file just left holds only records of
    /// this batch or earlier ones and can be deleted once the batch is committed.
    mutating func takeBatch() -> Batch? {
        guard !pending.isEmpty else { return nil }
        // Rotation can wait if the file system refuses a new file: the current one still works.
        if offset >= drainBytes { try? startGeneration() }
        defer { pending = [] }
        return Batch(records: pending)
    }

    /// Moves writing to a new file; the current one is retired (deleted once applied).
    private mutating func startGeneration() throws {
        let next = try JournalFiles.create(JournalFiles.path(ring: ringPath, generation: generation + 1), durable: durable)
        _ = closeFile(fd)
        // Its real size, which after a failed write may exceed what was accepted.
        retired.append((generation, max(offset, RingDatabase.fileSize(JournalFiles.path(ring: ringPath, generation: generation)))))
        generation += 1
        fd = next
        offset = 0
        writeFailed = false
    }

    /// Puts a batch whose transaction failed back in front, to be retried by the next drain.
    mutating func requeue(_ batch: Batch) {
        pending = batch.records + pending
    }

    /// The batch is committed: forget its records and delete files that are now fully applied.
    mutating func applied(_ batch: Batch) {
        for record in batch.records {
            pendingFrameBytes -= record.frameBytes
            pendingRowBytes -= record.rowBytes
        }
        while let first = retired.first, first.generation <= batch.generation {
            JournalFiles.remove(JournalFiles.path(ring: ringPath, generation: first.generation))
            retired.removeFirst()
        }
    }

    /// Closes the file; with nothing pending it is deleted (everything in it is in SQLite).
    mutating func close() {
        _ = closeFile(fd)
        fd = -1
        if pending.isEmpty {
            for file in retired { JournalFiles.remove(JournalFiles.path(ring: ringPath, generation: file.generation)) }
            JournalFiles.remove(JournalFiles.path(ring: ringPath, generation: generation))
        }
    }
}
