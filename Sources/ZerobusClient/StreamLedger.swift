/// The bookkeeping of one Zerobus stream, free of I/O: which requests wait to be sent,
/// which are on the wire and unacked, and how wire offsets map to the caller's offsets.
///
/// Invariants:
/// - Logical offsets (what callers see) start at 0 and grow by one per ingest call for the
///   stream's whole life; they never go on the wire.
/// - Wire offsets start at 0 on every RPC and grow by one per request sent on it.
/// - `inflight` holds sent, unacked requests in wire order; a cumulative ack up to wire offset
///   `k` removes exactly those with wire offset ≤ k.
/// - On a new RPC, unacked requests are resent first, in order, with their batch grouping.
struct StreamLedger {
    struct Request: Sendable {
        let logicalOffset: Int64
        let records: [[UInt8]]
    }

    enum AckError: Error, Equatable {
        /// The server acknowledged a wire offset it was never sent.
        case beyondSent(ack: Int64, highestSent: Int64)
    }

    private(set) var pending = FIFO<Request>()
    private(set) var inflight = FIFO<(wireOffset: Int64, request: Request)>()
    private(set) var nextLogicalOffset: Int64 = 0
    private(set) var lastAckedLogicalOffset: Int64 = -1
    private(set) var nextWireOffset: Int64 = 0
    private var lastAckedWireOffset: Int64 = -1

    /// Requests queued or unacked: what the in-flight window counts.
    var outstanding: Int { pending.count + inflight.count }
    var lastQueuedLogicalOffset: Int64 { nextLogicalOffset - 1 }
    var hasUnsent: Bool { !pending.isEmpty }
    var hasUnacked: Bool { !inflight.isEmpty }

    mutating func enqueue(_ records: [[UInt8]]) -> Int64 {
        let offset = nextLogicalOffset
        nextLogicalOffset += 1
        pending.append(Request(logicalOffset: offset, records: records))
        return offset
    }

    /// Takes the next request to send on the current RPC and assigns its wire offset.
    mutating func takeNextToSend() -> (wireOffset: Int64, request: Request)? {
        guard let request = pending.popFirst() else { return nil }
        let entry = (wireOffset: nextWireOffset, request: request)
        nextWireOffset += 1
        inflight.append(entry)
        return entry
    }

    struct AckProgress: Equatable {
        /// The caller-visible offset now durable (and every one before it).
        var lastAckedLogicalOffset: Int64
        var requests: Int
        var records: Int
    }

    /// Applies a cumulative durability ack. Returns what became durable, `nil` for a
    /// duplicate or stale ack (a no-op, as in the SDKs).
    mutating func acknowledge(upToWireOffset ack: Int64) throws(AckError) -> AckProgress? {
        guard ack < nextWireOffset else {
            throw .beyondSent(ack: ack, highestSent: nextWireOffset - 1)
        }
        guard ack > lastAckedWireOffset else { return nil }
        var progress = AckProgress(lastAckedLogicalOffset: lastAckedLogicalOffset, requests: 0, records: 0)
        while let first = inflight.first, first.wireOffset <= ack {
            _ = inflight.popFirst()
            progress.lastAckedLogicalOffset = first.request.logicalOffset
            progress.requests += 1
            progress.records += first.request.records.count
        }
        lastAckedWireOffset = ack
        lastAckedLogicalOffset = progress.lastAckedLogicalOffset
        return progress.requests > 0 ? progress : nil
    }

    /// Prepares for a new RPC: unacked requests go back in front of the unsent ones. Returns how
    /// many records were on the wire and will be sent again (duplicates if the server had them).
    @discardableResult
    mutating func rewindForNewRPC() -> Int {
        let unacked = inflight.elements.map(\.request)
        inflight = FIFO()
        pending.prepend(contentsOf: unacked)
        nextWireOffset = 0
        lastAckedWireOffset = -1
        return unacked.reduce(0) { $0 + $1.records.count }
    }

    /// Everything not yet durable, oldest first, with its batch grouping.
    var unackedRequests: [Request] {
        inflight.elements.map(\.request) + Array(pending.elements)
    }
}
