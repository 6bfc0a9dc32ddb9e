import CNghttp2
import Synchronization

/// What happens on a call, in order: `.responseHeaders` once (absent for Trailers-Only responses),
/// `.message` per received gRPC message, then exactly one `.finished`.
public enum GRPCCallEvent: Sendable {
    /// The response header block, as received (including `:status`).
    case responseHeaders([HeaderField])
    case message([UInt8])
    /// The call is over. `trailers` is the trailing header block (for a Trailers-Only response,
    /// the only header block), empty when the call ended without one (reset, connection loss).
    case finished(GRPCStatus, trailers: [HeaderField])
}

/// One gRPC call (an HTTP/2 stream) on an ``HTTP2Connection``. All methods are thread-safe and
/// never block; the connection's I/O thread does the work.
///
/// The call keeps its connection open while the handle is alive. If the consumer of ``events``
/// stops iterating (its task is cancelled), the call is cancelled.
public final class GRPCCall: Sendable {
    /// The call's events; iterate once.
    public let events: AsyncStream<GRPCCallEvent>
    private let continuation: AsyncStream<GRPCCallEvent>.Continuation
    private let mailbox: ConnectionMailbox
    /// Keeps the connection (and so its I/O thread) alive while someone holds the call.
    private let connection: HTTP2Connection
    private let outbound = Mutex(OutboundQueue())

    /// Framed bytes waiting for nghttp2's data provider, plus the flags the provider needs.
    private struct OutboundQueue {
        var bytes: [UInt8] = []
        var readIndex = 0
        var endRequested = false
        /// The provider returned NGHTTP2_ERR_DEFERRED; new data must post a `.resume`.
        var deferred = false
        var finished = false
        /// Producers waiting in `waitForOutboundSpace(below:)`.
        var spaceWaiters: [(limit: Int, continuation: CheckedContinuation<Void, Never>)] = []

        var pendingCount: Int { bytes.count - readIndex }

        /// Removes and returns the waiters whose limit is now satisfied (all of them once finished).
        mutating func takeSatisfiedWaiters() -> [CheckedContinuation<Void, Never>] {
            guard !spaceWaiters.isEmpty else { return [] }
            let pending = pendingCount
            var satisfied: [CheckedContinuation<Void, Never>] = []
            spaceWaiters.removeAll { waiter in
                guard finished || pending < waiter.limit else { return false }
                satisfied.append(waiter.continuation)
                return true
            }
            return satisfied
        }
    }

    init(connection: HTTP2Connection, mailbox: ConnectionMailbox) {
        (events, continuation) = AsyncStream.makeStream(of: GRPCCallEvent.self)
        self.connection = connection
        self.mailbox = mailbox
        continuation.onTermination = { [weak self] termination in
            if case .cancelled = termination { self?.cancel() }
        }
    }

    /// Frames `message` (5-byte gRPC prefix) and queues it for sending.
    public func send(_ message: [UInt8]) {
        enqueue { GRPCMessageFramer.appendFramed(message, to: &$0.bytes) }
    }

    /// Frames and queues several messages at once (one lock, at most one wakeup).
    public func send(contentsOf messages: [[UInt8]]) {
        enqueue { queue in
            for message in messages { GRPCMessageFramer.appendFramed(message, to: &queue.bytes) }
        }
    }

    /// Half-closes the request stream (END_STREAM) after everything already queued.
    public func finishSending() {
        enqueue { $0.endRequested = true }
    }

    /// Resets the stream with RST_STREAM(CANCEL); the call finishes with CANCELLED (1) unless it
    /// had already finished.
    public func cancel() {
        mailbox.post(.cancel(self))
    }

    /// Bytes queued by `send` (including prefixes) that nghttp2 has not taken yet; use it to apply
    /// backpressure. Data handed to nghttp2 is further limited by HTTP/2 flow control.
    public var bufferedOutboundBytes: Int { outbound.withLock { $0.pendingCount } }

    /// Suspends until ``bufferedOutboundBytes`` is below `limit` (or the call has finished), so a
    /// producer can apply backpressure without polling. Not interrupted by task cancellation; it
    /// always returns at the latest when the call finishes.
    public func waitForOutboundSpace(below limit: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = outbound.withLock { queue in
                guard !queue.finished && queue.pendingCount >= limit else { return true }
                queue.spaceWaiters.append((limit, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }

    private func enqueue(_ change: (inout OutboundQueue) -> Void) {
        let needsResume = outbound.withLock { queue in
            guard !queue.finished && !queue.endRequested else { return false }
            change(&queue)
            guard queue.deferred else { return false }
            queue.deferred = false
            return true
        }
        if needsResume { mailbox.post(.resume(self)) }
    }

    // MARK: I/O thread side

    /// nghttp2 data provider body: copies queued bytes into `buffer` and returns the count, or
    /// NGHTTP2_ERR_DEFERRED when there is nothing to send yet; sets EOF after a half-close.
    func readOutbound(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int, flags: UnsafeMutablePointer<UInt32>) -> Int {
        let (result, waiters) = outbound.withLock { queue -> (Int, [CheckedContinuation<Void, Never>]) in
            let count = min(capacity, queue.pendingCount)
            if count > 0 {
                queue.bytes.withUnsafeBytes { raw in
                    buffer.update(from: raw.baseAddress!.advanced(by: queue.readIndex).assumingMemoryBound(to: UInt8.self), count: count)
                }
                queue.readIndex += count
                compact(&queue)
            }
            if queue.pendingCount == 0 && queue.endRequested {
                flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
                return (count, queue.takeSatisfiedWaiters())
            }
            if count == 0 {
                queue.deferred = true
                return (Int(NGHTTP2_ERR_DEFERRED.rawValue), [])
            }
            return (count, queue.takeSatisfiedWaiters())
        }
        for waiter in waiters { waiter.resume() }
        return result
    }

    private func compact(_ queue: inout OutboundQueue) {
        if queue.readIndex == queue.bytes.count {
            // Keep a modest buffer for the next messages, but give back the memory of huge ones.
            queue.bytes.removeAll(keepingCapacity: queue.bytes.capacity <= 1 << 20)
            queue.readIndex = 0
        } else if queue.readIndex >= 1 << 20 && queue.readIndex * 2 >= queue.bytes.count {
            queue.bytes.removeFirst(queue.readIndex)
            queue.readIndex = 0
        }
    }

    func deliver(_ event: GRPCCallEvent) {
        continuation.yield(event)
    }

    /// Ends the call: drops unsent data, emits `.finished` and closes the event stream.
    func finish(_ status: GRPCStatus, trailers: [HeaderField]) {
        let waiters = outbound.withLock { queue in
            queue.finished = true
            queue.bytes = []
            queue.readIndex = 0
            return queue.takeSatisfiedWaiters()
        }
        for waiter in waiters { waiter.resume() }
        continuation.yield(.finished(status, trailers: trailers))
        continuation.finish()
    }
}
