import GRPCTransport
import Logging

/// One Zerobus ingest stream into one table.
///
/// `ingest` returns as soon as a request is queued (with its logical offset); `waitForOffset`
/// and `flush` return once the server has acknowledged it durable. Retryable failures
/// (connection loss, UNAVAILABLE, lack of acks, CloseStreamSignal rotation) are recovered
/// by opening a new RPC and resending every unacked request in order with its batch grouping.
/// After a terminal failure every waiter gets the error and ``unackedBatches()`` returns
/// what was not acknowledged.
///
/// The I/O of the connection runs on the transport's own thread; this actor only keeps the
/// books (``StreamLedger``) and reacts to events.
public actor ZerobusStream {
    public nonisolated let tableName: String
    public nonisolated let format: RecordFormat
    /// The latest durable logical offset, each time it moves (cumulative: a value covers all
    /// earlier offsets, so a consumer that falls behind only ever needs the newest one).
    public nonisolated let acknowledgements: AsyncStream<Int64>

    let endpoint: Endpoint
    let transport: TransportOptions
    let headersProvider: any HeadersProvider
    let configuration: StreamConfiguration
    let logger: Logger
    let clock: StreamClock
    let ackContinuation: AsyncStream<Int64>.Continuation

    var ledger = StreamLedger()
    var phase: Phase = .opening
    var connection: HTTP2Connection?
    var rpc: RPC?
    /// Bumped whenever an RPC is abandoned, so its late events are ignored.
    var generation = 0
    /// When the server last said anything, or when we started waiting for it to.
    var lastServerActivity: StreamClock.Instant
    var pauseDeadline: StreamClock.Instant?
    var openWaiter: CheckedContinuation<String, any Error>?
    var closeWaiter: (deadline: StreamClock.Instant, continuation: CheckedContinuation<Void, Never>)?
    var offsetWaiters: [OffsetWaiter] = []
    var capacityWaiters: [CheckedContinuation<Void, Never>] = []
    var recoveryTask: Task<Void, Never>?
    var tickTask: Task<Void, Never>?

    /// The server's id of the current RPC's stream.
    public internal(set) var streamID: String?
    public internal(set) var statistics = StreamStatistics()

    enum Phase: Equatable {
        case opening, open, paused, recovering, closing, closed
        case failed(ZerobusError)
    }

    struct RPC {
        let call: GRPCCall
        let generation: Int
        var created = false
        let createDeadline: StreamClock.Instant
    }

    struct OffsetWaiter {
        let offset: Int64
        let deadline: StreamClock.Instant
        let continuation: CheckedContinuation<Void, any Error>
    }

    init(
        tableName: String, format: RecordFormat, endpoint: Endpoint, transport: TransportOptions,
        headersProvider: any HeadersProvider, configuration: StreamConfiguration, logger: Logger
    ) {
        self.tableName = tableName
        self.format = format
        self.endpoint = endpoint
        self.transport = transport
        self.headersProvider = headersProvider
        self.configuration = configuration
        self.logger = logger
        let clock = StreamClock(configuration.clock)
        self.clock = clock
        self.lastServerActivity = clock.now
        (acknowledgements, ackContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    // MARK: - Public API

    /// Queues one record; returns its logical offset. Waits while the in-flight window is full.
    @discardableResult
    public func ingest(_ record: [UInt8]) async throws -> Int64 {
        try await enqueue([record])
    }

    /// Queues a batch sent as one request (one offset); `nil` for an empty batch (nothing is sent).
    @discardableResult
    public func ingest(batch records: [[UInt8]]) async throws -> Int64? {
        guard !records.isEmpty else { return nil }
        return try await enqueue(records)
    }

    @discardableResult
    public func ingest(json: String) async throws -> Int64 {
        try requireJSON()
        return try await enqueue([Array(json.utf8)])
    }

    @discardableResult
    public func ingest(jsonBatch records: [String]) async throws -> Int64? {
        try requireJSON()
        guard !records.isEmpty else { return nil }
        return try await enqueue(records.map { Array($0.utf8) })
    }

    /// Returns once `offset` (and all before it) is durable.
    public func waitForOffset(_ offset: Int64) async throws {
        if offset <= ledger.lastAckedLogicalOffset { return }
        try checkUsable()
        guard offset <= ledger.lastQueuedLogicalOffset else {
            throw ZerobusError(.invalidArgument, "offset \(offset) was never ingested")
        }
        let deadline = clock.now + configuration.flushTimeout
        try await withCheckedThrowingContinuation { continuation in
            offsetWaiters.append(OffsetWaiter(offset: offset, deadline: deadline, continuation: continuation))
            ensureTicking()
        }
    }

    /// Returns once everything ingested so far is durable.
    public func flush() async throws {
        let last = ledger.lastQueuedLogicalOffset
        guard last >= 0 else { try checkUsable(); return }
        try await waitForOffset(last)
    }

    /// Flushes, half-closes the RPC, lets the server finish, and releases the connection.
    /// Idempotent. Throws the flush error, or the error that failed the stream.
    public func close() async throws {
        switch phase {
        case .closed: return
        case .failed(let error):
            await release()
            throw error
        default: break
        }
        var flushError: (any Error)?
        do { try await flush() } catch { flushError = error }
        if flushError == nil, phase == .open, let rpc {
            phase = .closing
            rpc.call.finishSending()
            let deadline = clock.now + configuration.closeDrainTimeout
            await withCheckedContinuation {
                closeWaiter = (deadline, $0)
                ensureTicking()
            }
        }
        if case .failed(let error) = phase, flushError == nil { flushError = error }
        if case .failed = phase {} else { phase = .closed }
        await release()
        if let flushError { throw flushError }
    }

    /// Ends the stream at once, without waiting for acks: the RPC is cancelled and every waiter
    /// (flush, `waitForOffset`, `ingest`) gets `streamClosed`. For callers that keep their own
    /// copy of unacked records (a bounded shutdown); `unackedBatches()` still lists them.
    public func abort() async {
        if case .failed = phase {} else { phase = .closed }
        resumeCloseWaiter()
        await release()
    }

    /// Requests not acknowledged (sent or not), oldest first, with their batch grouping.
    public func unackedBatches() -> [[[UInt8]]] {
        ledger.unackedRequests.map(\.records)
    }

    public var lastAckedOffset: Int64 { ledger.lastAckedLogicalOffset }
    public var isOpen: Bool { phase == .open }
    /// The error that ended the stream, if it failed.
    public var failure: ZerobusError? {
        if case .failed(let error) = phase { return error }
        return nil
    }

    // MARK: - Queueing and sending

    private func requireJSON() throws {
        guard format == .json else {
            throw ZerobusError(.invalidArgument, "JSON records given to a PROTO stream of \(tableName)")
        }
    }

    private func enqueue(_ records: [[UInt8]]) async throws -> Int64 {
        try checkUsable()
        let bytes = records.reduce(0) { $0 + $1.count }
        guard bytes <= configuration.maxRequestBytes else {
            throw ZerobusError(
                .invalidArgument,
                "ingest payload too large: \(bytes) bytes exceed the \(configuration.maxRequestBytes)-byte request limit")
        }
        while ledger.outstanding >= configuration.maxInflightRequests {
            await withCheckedContinuation { capacityWaiters.append($0) }
            try checkUsable()
        }
        let offset = ledger.enqueue(records)
        statistics.recordsQueued += records.count
        sendPending()
        return offset
    }

    func checkUsable() throws {
        switch phase {
        case .failed(let error): throw error
        case .closing, .closed: throw ZerobusError(.streamClosed, "stream to \(tableName) is closed")
        default: return
        }
    }

    /// Moves queued requests onto the wire of the open RPC.
    func sendPending() {
        guard phase == .open, let rpc, ledger.hasUnsent else { return }
        if !ledger.hasUnacked { lastServerActivity = clock.now }
        var messages: [[UInt8]] = []
        while let (wireOffset, request) = ledger.takeNextToSend() {
            do {
                messages.append(try WireMessages.ingest(records: request.records, wireOffset: wireOffset, format: format))
            } catch {
                terminate(ZerobusError(.invalidArgument, "cannot encode request: \(error)"))
                return
            }
        }
        rpc.call.send(contentsOf: messages)
        ensureTicking()  // the ack deadline of what was just sent
    }
}

/// Counters of one stream, for health reporting.
public struct StreamStatistics: Sendable, Hashable {
    public var recordsQueued = 0
    public var recordsAcked = 0
    public var requestsAcked = 0
    /// RPCs reopened after a failure.
    public var recoveries = 0
    /// RPCs reopened because the server asked (CloseStreamSignal).
    public var rotations = 0
    /// Records that were on the wire unacked when an RPC ended and were sent again on the next
    /// one: the upper bound of the duplicates this stream may have caused.
    public var recordsResent = 0
    public var lastError: String?
}
