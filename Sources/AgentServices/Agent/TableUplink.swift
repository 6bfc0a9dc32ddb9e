import AgentCore
import DynamicProtobuf
import Logging
import ReadingRing
import ZerobusClient

/// Streams one table's rows from the ring to Zerobus over `streams` parallel lanes.
///
/// Invariants:
/// - A row leaves the ring only after the server acknowledged the request that carried it.
/// - Every batch holds rows of one descriptor; a lane opens a new stream when it changes.
/// - A batch the server rejects as a data error (INVALID_ARGUMENT, OUT_OF_RANGE) is resent as a
///   *probe*: alone, waited for, and split in halves on rejection, until single bad rows are
///   isolated and quarantined. The other rows keep flowing; nothing blocks the table.
/// - Connection trouble is handled inside `ZerobusStream` (it recovers forever); auth and other
///   terminal errors back off here (auth slower) and open a fresh stream, forever.
/// - After an outage the rows buffered until the reconnect are a backlog (`BacklogDrain`): with
///   `drain = "live_first"` live rows go on one extra lane of their own while the general lanes
///   drain the backlog, optionally capped (`TableUplink+Drain.swift`); with `fifo` in id order.
actor TableUplink {
    struct Batch: Sendable {
        let rows: [StoredRow]
        /// Sent alone and waited for, so a rejection names this batch.
        let probe: Bool
        /// Its rows were on the wire before (a failed stream's unacked work): sending it again
        /// counts as a resend.
        var sentBefore = false
        /// Rows buffered before the latest reconnect: the drain ends once none is unacked.
        var backlog = false
        var ids: [Int64] { rows.map(\.id) }
        var descriptorID: Int64 { rows[0].descriptorID }
    }

    let table: CompiledTable
    let ring: RingAccess
    let client: ZerobusClient
    let headers: any HeadersProvider
    let streamConfiguration: StreamConfiguration
    let backoff: BackoffPolicy
    let logger: Logger
    let clock = ContinuousClock()
    /// Wakes lanes waiting for work: new rows in the ring (via `RingChanges`), acks that free a
    /// window, requeued batches, a drain starting, `stop`. Lanes never poll.
    let wake = WakeSignal()
    /// Held while a lane looks at the link and claims its next batch: both await the ring now,
    /// and two lanes interleaving there could claim the same rows, or take the backlog as live
    /// rows before the drain is set up.
    private var claimHeld = false
    private var claimWaiters: [CheckedContinuation<Void, Never>] = []
    /// The format of each descriptor id met so far (a descriptor id never changes its bytes).
    private var formats: [Int64: RecordFormat] = [:]

    /// Which rows are backlog and which live, and how far each was handed to lanes.
    var plan: BacklogDrain
    /// Lanes 0..<generalLanes carry the table's rows; `liveLane` (live-first only) follows them.
    let generalLanes: Int
    var liveLane: Int? { plan.order == .liveFirst ? generalLanes : nil }
    /// The backfill cap of the running drain; nil without a cap or a drain.
    var bucket: TokenBucket?
    /// Health figures of the running drain.
    var progress: DrainProgress?
    /// Backlog batches taken by a lane and not yet on the wire nor requeued.
    var backlogInTransit = 0
    /// Per general lane: its stream was open when last looked at (see `observe(lane:up:)`).
    var laneUp: [Bool]
    var linkWasUp = false
    /// Batches to send before new rows: unacked work of failed streams, and probes. The live
    /// lane's own go to `liveRequeued`, so a live batch never waits behind the backlog.
    var requeued: [Batch] = []
    var liveRequeued: [Batch] = []
    /// Per lane: requests on the wire (stream offset → row ids), oldest first.
    var inflight: [[(offset: Int64, batch: Batch)]]
    private var openLanes: Set<Int> = []
    /// The current stream of each lane, for health.
    var streams: [Int: ZerobusStream] = [:]
    /// Requests one lane may have unacked; keeps memory flat while the cloud is away.
    static let maxInflightBatches = 16
    var stopping = false
    /// Lanes whose last failure was a data error that made progress isolating bad rows (no
    /// backoff then). Per lane: `recover` runs before the failing lane's `await stream.abort()`,
    /// so a shared flag could be taken by another lane's unrelated failure, which would skip
    /// its backoff while this lane backed off.
    private var isolating: Set<Int> = []
    private(set) var status = UplinkStatus()
    /// Per lane: the first live row it is lingering on, and since when (monotonic).
    var lingerStart: [Int: (rowID: Int64, since: ContinuousClock.Instant)] = [:]
    /// Ranges a previous run sent without seeing the ack (read once, at the first batch): their
    /// rows are resends when they go out now.
    var earlierRuns: [ClosedRange<Int64>]?
    /// Per lane: the current stream's own resends already added to the ring's counter.
    private var streamResendsCounted: [Int: Int] = [:]

    init(
        table: CompiledTable, ring: RingAccess, client: ZerobusClient, headers: any HeadersProvider,
        streamConfiguration: StreamConfiguration, backoff: BackoffPolicy, logger: Logger
    ) {
        self.table = table
        self.ring = ring
        self.client = client
        self.headers = headers
        self.streamConfiguration = streamConfiguration
        self.backoff = backoff
        self.logger = logger
        plan = BacklogDrain(order: table.batching.drain)
        generalLanes = max(1, table.batching.streams)
        laneUp = Array(repeating: false, count: generalLanes)
        inflight = Array(repeating: [], count: generalLanes + (table.batching.drain == .liveFirst ? 1 : 0))
    }

    /// Runs every lane, and the watch for reconnects that starts a drain, until `stop`.
    func run() async {
        ring.changes.subscribe(wake)
        defer { ring.changes.unsubscribe(wake) }
        await withTaskGroup(of: Void.self) { group in
            for lane in inflight.indices {
                group.addTask { await self.runLane(lane) }
            }
            group.addTask { await self.watchLink() }
        }
    }

    /// No new batches; lanes flush what is in flight and close. The caller bounds the wait and
    /// then calls `abortStreams`.
    func stop() {
        stopping = true
        wake.signal()
    }

    /// Ends every stream without waiting for acks. Unacked rows are still in the ring and are
    /// resent after the next start, so a shutdown never waits on a silent server.
    func abortStreams() async {
        for stream in streams.values { await stream.abort() }
    }

    // MARK: - Lanes

    /// Lanes still running or requests still unacked (shutdown waits for this to clear).
    var isBusy: Bool { runningLanes > 0 }
    private var runningLanes = 0

    private func runLane(_ lane: Int) async {
        runningLanes += 1
        defer {
            runningLanes -= 1
            wake.signal()
        }
        var failures = 0
        while !stopping && !Task.isCancelled {
            // The live lane has a stream only while a drain runs: otherwise the table's own
            // `streams` carry everything, as without live-first.
            if lane == liveLane && !plan.isDraining {
                let seen = wake.generation
                if !plan.isDraining { await wake.wait(after: seen) }
                continue
            }
            do {
                try await session(lane)
                failures = 0
            } catch where stopping {
                return  // streams aborted by a bounded shutdown: not a link failure
            } catch let error as ZerobusError where isolating.contains(lane) {
                // A rejected batch was just split or quarantined: the server is healthy, and each
                // probe halves the suspect rows, so this ends. Backing off would stall the table.
                isolating.remove(lane)
                recordFailure(error, lane: lane)
            } catch let error as ZerobusError {
                failures += 1
                recordFailure(error, lane: lane)
                // Credentials refused even after a fresh token, or a certificate we do not trust:
                // an operator has to act, so slow down harder, but keep trying (they may have).
                let slow = error.isAuthRejection || error.code == .untrustedCertificate
                let attempt = slow ? failures + 2 : failures - 1
                try? await Task.sleep(for: backoff.delay(attempt: attempt))
            } catch {
                failures += 1
                recordFailure(ZerobusError(.transport, "\(error)"), lane: lane)
                try? await Task.sleep(for: backoff.delay(attempt: failures - 1))
            }
        }
    }

    /// One stream's life: send batches until the table stops or the stream fails for good.
    private func session(_ lane: Int) async throws {
        var stream: ZerobusStream?
        var acks: Task<Void, Never>?
        /// Taken from the ring or the requeue, not yet on the wire: requeued if the stream fails.
        var claimed: Batch?
        defer { acks?.cancel() }
        do {
            // Open at once, even with nothing to send: credentials and the table are checked
            // at start, and health can tell whether the link is really up.
            let first = try await openStream(format: RegisteredSchema.format(of: table.registeredBytes))
            stream = first
            streams[lane] = first
            streamResendsCounted[lane] = 0
            markOpen(lane, true)
            acks = Task { await self.consumeAcknowledgements(of: first, lane: lane) }
            while !Task.isCancelled && !stopping && (lane != liveLane || plan.isDraining) {
                // Read before looking for work: whatever changes after this ends the wait below.
                let seen = wake.generation
                // Bounded work in flight per lane: during an outage rows stay in the ring, not in
                // memory. The next ack (or a failure) wakes the lane.
                if inflight[lane].count >= Self.maxInflightBatches {
                    await wake.wait(after: seen)
                    try Task.checkCancellation()
                    continue
                }
                await acquireClaim()
                let next: Next
                do {
                    // Looked at right before every claim: a lane whose stream just came back must
                    // not take the backlog as live rows before the drain is set up.
                    if let stream { await observe(lane: lane, up: await stream.isOpen) }
                    next = try await nextBatch(lane: lane)
                } catch {
                    releaseClaim()
                    throw error
                }
                releaseClaim()
                let batch: Batch
                switch next {
                case .wait(let pause):
                    await wake.wait(after: seen, timeout: pause)
                    try Task.checkCancellation()
                    continue
                case .batch(let next):
                    batch = next
                }
                claimed = batch
                let batchFormat: RecordFormat
                do {
                    batchFormat = try await format(of: batch)
                } catch RingError.unknownDescriptor {
                    // Sent with any other descriptor, the server would read its bytes against
                    // the wrong columns: keep the rows, out of the way, for the operator.
                    claimed = nil
                    if batch.backlog { backlogInTransit -= 1 }
                    await quarantine(batch, reason: "the descriptor these rows were encoded with (id \(batch.descriptorID)) is missing from the buffer", by: "agent")
                    continue
                }
                if let current = stream, current.format != batchFormat {
                    try await current.flush()
                    await acknowledge(lane: lane, upTo: await current.lastAckedOffset)
                    try await current.close()
                    await countStreamResends(await current.statistics, counted: streamResendsCounted[lane, default: 0])
                    stream = nil
                }
                if stream == nil {
                    let opened = try await openStream(format: batchFormat)
                    stream = opened
                    streams[lane] = opened
                    streamResendsCounted[lane] = 0
                    markOpen(lane, true)
                    acks?.cancel()
                    acks = Task { await self.consumeAcknowledgements(of: opened, lane: lane) }
                }
                guard let stream else { continue }
                // Booked before it can reach the wire: a kill -9 right after the send must still
                // leave the rows marked as sent, or their resend would go uncounted.
                await recordSent(batch)
                guard let offset = try await stream.ingest(batch: batch.rows.map(\.payload)) else { continue }
                inflight[lane].append((offset, batch))
                claimed = nil
                if batch.backlog { backlogInTransit -= 1 }
                if batch.probe {
                    try await stream.waitForOffset(offset)
                    await acknowledge(lane: lane, upTo: offset)
                }
            }
            if let stream {
                try await stream.flush()
                await acknowledge(lane: lane, upTo: await stream.lastAckedOffset)
                try await stream.close()
            }
            markOpen(lane, false)
        } catch {
            markOpen(lane, false)
            let failure = (error as? ZerobusError) ?? ZerobusError(.transport, "\(error)")
            if let stream { await acknowledge(lane: lane, upTo: await stream.lastAckedOffset) }
            // It is newer than everything in flight, older than any row still unclaimed.
            if let claimed {
                requeue([claimed], lane: lane)
                if claimed.backlog { backlogInTransit -= 1 }
            }
            if let bad = recover(lane: lane, after: failure) {
                await quarantine(bad, reason: failure.description, by: "server")
            }
            // Its unacked batches were requeued: a graceful close would only wait for them again.
            if let stream { await stream.abort() }
            throw failure
        }
    }

    /// Books `batch` as on the wire, counting the rows that were sent before (in this run, or
    /// by a run that ended before their ack) as resent.
    private func recordSent(_ batch: Batch) async {
        let ids = batch.ids
        guard let lowest = ids.min(), let highest = ids.max() else { return }
        var resent = 0
        if batch.sentBefore {
            resent = ids.count
        } else if let earlier = earlierRuns, !earlier.isEmpty {
            resent = ids.count { id in earlier.contains { $0.contains(id) } }
        }
        let name = table.name
        do {
            try await ring.perform { [resent] in try $0.recordSent(table: name, ids: lowest...highest, resent: resent) }
        } catch {
            logger.error("cannot record sent rows", metadata: ["table": "\(table.name)", "error": "\(error)"])
        }
    }

    /// Adds what a stream resent by itself (after recovering its RPC) beyond `counted`, what
    /// was already added for it. Returns the new figure counted.
    @discardableResult
    private func countStreamResends(_ statistics: StreamStatistics, counted: Int) async -> Int {
        let delta = statistics.recordsResent - counted
        guard delta > 0 else { return counted }
        let name = table.name
        do {
            try await ring.perform { try $0.countResent(table: name, rows: delta) }
        } catch {
            logger.error("cannot count resent rows", metadata: ["table": "\(table.name)", "error": "\(error)"])
        }
        return statistics.recordsResent
    }

    /// The format of the descriptor `batch`'s rows were encoded with: each row is sent with its
    /// own (invariant 3 of `ReadingRing`), never the table's current one in its place. Throws
    /// `RingError.unknownDescriptor` when the ring has no such descriptor.
    private func format(of batch: Batch) async throws -> RecordFormat {
        let id = batch.descriptorID
        if let known = formats[id] { return known }
        let format = RegisteredSchema.format(of: try await ring.perform { try $0.descriptor(id: id) })
        formats[id] = format
        return format
    }

    func acquireClaim() async {
        guard claimHeld else {
            claimHeld = true
            return
        }
        // Handed over by `releaseClaim`, still held.
        await withCheckedContinuation { claimWaiters.append($0) }
    }

    func releaseClaim() {
        if claimWaiters.isEmpty {
            claimHeld = false
        } else {
            claimWaiters.removeFirst().resume()
        }
    }

    private func openStream(format: RecordFormat) async throws -> ZerobusStream {
        var configuration = streamConfiguration
        // createStream retries inside the stream until it opens, so while the first connection
        // keeps failing (refused, untrusted certificate, bad credentials) nothing is thrown here
        // and health showed last_error null; the log alone had the cause.
        configuration.onOpenAttemptFailed = { [weak self] error in
            Task { await self?.noteOpenFailure(error) }
        }
        return try await client.createStream(
            table: table.name, format: format, headers: headers, configuration: configuration)
    }

    private func noteOpenFailure(_ error: ZerobusError) {
        status.lastError = error.description
    }

    private func consumeAcknowledgements(of stream: ZerobusStream, lane: Int) async {
        for await offset in stream.acknowledgements {
            // Offsets belong to one stream: ignore a late ack of a stream this lane has replaced.
            guard streams[lane] === stream else { return }
            await acknowledge(lane: lane, upTo: offset)
        }
    }

    // MARK: - Books

    private func acknowledge(lane: Int, upTo offset: Int64) async {
        var done: [Int64] = []
        while let first = inflight[lane].first, first.offset <= offset {
            inflight[lane].removeFirst()
            done.append(contentsOf: first.batch.ids)
        }
        guard !done.isEmpty else { return }
        // A window slot is free, and the drain may be over.
        finishDrainIfDone()
        wake.signal()
        do {
            _ = try await ring.perform { [done] in try $0.remove(ids: done) }
            status.lastAckAt = ReadingRing.now()
            status.ackedSinceStart += done.count
        } catch {
            logger.error("cannot remove acknowledged rows", metadata: ["table": "\(table.name)", "error": "\(error)"])
        }
    }

    /// After a stream failed: its unacked batches go back in front, in order. A data error makes
    /// the first of them a probe (or splits a failed probe); returns a single bad row's batch,
    /// for the caller to quarantine.
    private func recover(lane: Int, after error: ZerobusError) -> Batch? {
        var unacked = inflight[lane].map { entry in
            var batch = entry.batch
            batch.sentBefore = true
            return batch
        }
        inflight[lane].removeAll()
        guard !unacked.isEmpty else { return nil }
        var bad: Batch?
        if Self.isDataError(error) {
            isolating.insert(lane)
            let suspect = unacked.removeFirst()
            if suspect.rows.count == 1 && suspect.probe {
                bad = suspect
            } else if suspect.probe {
                let half = suspect.rows.count / 2
                unacked.insert(contentsOf: [
                    Batch(rows: Array(suspect.rows[..<half]), probe: true, sentBefore: true, backlog: suspect.backlog),
                    Batch(rows: Array(suspect.rows[half...]), probe: true, sentBefore: true, backlog: suspect.backlog),
                ], at: 0)
            } else {
                unacked.insert(Batch(rows: suspect.rows, probe: true, sentBefore: true, backlog: suspect.backlog), at: 0)
            }
        }
        requeue(unacked, lane: lane)
        return bad
    }

    /// Puts batches back in front of the lane's queue: the live lane's stay on the live lane.
    private func requeue(_ batches: [Batch], lane: Int) {
        if lane == liveLane {
            liveRequeued.insert(contentsOf: batches, at: 0)
        } else {
            requeued.insert(contentsOf: batches, at: 0)
        }
        wake.signal()
    }

    /// `by`: who refused the rows (the server, or the agent itself), for the log.
    private func quarantine(_ batch: Batch, reason: String, by refuser: String) async {
        logger.warning("rows rejected by the \(refuser), quarantined", metadata: [
            "table": "\(table.name)", "rows": "\(batch.rows.count)", "reason": "\(reason)",
        ])
        let ids = batch.ids
        do {
            _ = try await ring.perform { try $0.quarantine(rowIDs: ids, reason: reason) }
            status.quarantinedSinceStart += batch.rows.count
        } catch {
            logger.error("cannot quarantine rows", metadata: ["table": "\(table.name)", "error": "\(error)"])
            requeued.append(batch)
            wake.signal()
        }
        finishDrainIfDone()
    }

    static func isDataError(_ error: ZerobusError) -> Bool {
        error.isDataRejection
    }

    private func recordFailure(_ error: ZerobusError, lane: Int) {
        status.lastError = error.description
        status.failures += 1
        if error.code == .untrustedCertificate {
            logger.error("the Zerobus server's certificate is not trusted: check zerobus.ca_file, the endpoint's host name and the system clock; retrying", metadata: [
                "table": "\(table.name)", "error": "\(error)",
            ])
            return
        }
        logger.warning("uplink failed, retrying", metadata: ["table": "\(table.name)", "lane": "\(lane)", "error": "\(error)"])
    }

    /// The status with the link state read from the streams themselves (a stream that is
    /// recovering from an outage is not connected).
    func currentStatus() async -> UplinkStatus {
        var connected = false
        var recoveries = 0
        var streamError: String?
        for (lane, stream) in streams {
            let statistics = await stream.statistics
            if streams[lane] === stream {  // not replaced while we waited for its statistics
                streamResendsCounted[lane] = await countStreamResends(statistics, counted: streamResendsCounted[lane, default: 0])
            }
            if await stream.isOpen {
                connected = true
            } else if let error = statistics.lastError {
                // A stream recovering by itself never throws to us: its error is the link's.
                streamError = error
            }
            recoveries += statistics.recoveries
        }
        var result = status
        if let streamError { result.lastError = streamError }
        result.reconnects += recoveries
        if connected != linkUp {
            linkUp = connected
            if connected { status.connectedSince = ReadingRing.now() } else { status.disconnectedSince = ReadingRing.now() }
        }
        result.connected = connected
        result.connectedSince = status.connectedSince
        result.disconnectedSince = status.disconnectedSince
        result.backlog = await backlogStatus()
        return result
    }

    private var linkUp = false

    private func markOpen(_ lane: Int, _ open: Bool) {
        if open {
            openLanes.insert(lane)
            // The live lane opens a stream per drain by design: that is no reconnect.
            if lane != liveLane { status.reconnects += status.everConnected ? 1 : 0 }
            status.everConnected = true
        } else {
            openLanes.remove(lane)
            _ = noteLane(lane, up: false)
            if let stream = streams.removeValue(forKey: lane) {
                // The lane's next stream starts counting from zero; this one's remainder is added here.
                let counted = streamResendsCounted.removeValue(forKey: lane) ?? 0
                Task {
                    let statistics = await stream.statistics
                    status.reconnects += statistics.recoveries
                    await countStreamResends(statistics, counted: counted)
                }
            }
        }
    }
}

/// What health reporting needs to know about a table's uplink.
struct UplinkStatus: Sendable {
    var connected = false
    var everConnected = false
    var connectedSince: Int64?
    var disconnectedSince: Int64? = ReadingRing.now()
    var lastAckAt: Int64?
    var reconnects = 0
    var failures = 0
    var lastError: String?
    var ackedSinceStart = 0
    var quarantinedSinceStart = 0
    /// The backlog drain after an outage while it lasts.
    var backlog: HealthReport.Backlog?
}
