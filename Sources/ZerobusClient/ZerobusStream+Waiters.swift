/// Continuations waiting on acks, capacity, creation and close; and the timer that
/// enforces every deadline of the stream.
extension ZerobusStream {
    func resumeOffsetWaiters(upTo acked: Int64) {
        guard offsetWaiters.contains(where: { $0.offset <= acked }) else { return }
        var remaining: [OffsetWaiter] = []
        for waiter in offsetWaiters {
            if waiter.offset <= acked { waiter.continuation.resume() } else { remaining.append(waiter) }
        }
        offsetWaiters = remaining
    }

    func resumeCapacityWaiters() {
        let waiters = capacityWaiters
        capacityWaiters.removeAll()
        for waiter in waiters { waiter.resume() }
    }

    func resumeOpenWaiter(with result: Result<String, ZerobusError>) {
        guard let waiter = openWaiter else { return }
        openWaiter = nil
        waiter.resume(with: result.mapError { $0 as any Error })
    }

    func resumeCloseWaiter() {
        guard let waiter = closeWaiter else { return }
        closeWaiter = nil
        waiter.continuation.resume()
    }

    func failWaiters(with error: ZerobusError) {
        let waiters = offsetWaiters
        offsetWaiters.removeAll()
        for waiter in waiters { waiter.continuation.resume(throwing: error) }
        // Capacity waiters re-check the phase and throw themselves.
        resumeCapacityWaiters()
    }

    /// The timer granularity: fine enough for the shortest configured timeout.
    private var tickInterval: Duration {
        let shortest = min(configuration.ackTimeout, configuration.createTimeout, configuration.closeDrainTimeout)
        return min(max(shortest / 10, .milliseconds(10)), .milliseconds(250))
    }

    /// Whether any deadline is running: a create awaiting its response, requests awaiting acks,
    /// a rotation's close deadline, or a waiter's timeout.
    private var hasPendingDeadline: Bool {
        if let current = rpc, !current.created { return true }
        if phase == .open && ledger.hasUnacked { return true }
        if phase == .paused && pauseDeadline != nil { return true }
        return closeWaiter != nil || !offsetWaiters.isEmpty
    }

    /// Starts the timer when a deadline begins. It stops by itself once none is pending, so an
    /// idle stream (everything acked, nobody waiting) causes no wakeups at all; call this
    /// wherever a deadline can begin. Unstructured because deadlines begin in synchronous actor
    /// code and the timer outlives it; `release()` cancels it, ending its sleep on the clock.
    func ensureTicking() {
        guard tickTask == nil, hasPendingDeadline else { return }
        switch phase {
        case .closed, .failed: return
        default: break
        }
        let interval = tickInterval
        let clock = clock
        tickTask = Task { [weak self] in
            while !Task.isCancelled {
                do { try await clock.sleep(for: interval) } catch { return }
                guard let self, await self.tick() else { return }
            }
        }
    }

    /// One timer tick: enforces the deadlines, and ends the timer when none is left.
    private func tick() -> Bool {
        checkDeadlines()
        guard hasPendingDeadline else {
            tickTask = nil
            return false
        }
        return true
    }

    func checkDeadlines() {
        let now = clock.now
        if let current = rpc, !current.created, now >= current.createDeadline {
            resumeOpenWaiter(with: .failure(ZerobusError(.createTimeout, "no create_stream_response within \(configuration.createTimeout)")))
        }
        if phase == .open, ledger.hasUnacked, now - lastServerActivity >= configuration.ackTimeout {
            fail(ZerobusError(.ackTimeout, "no acknowledgement from the server within \(configuration.ackTimeout)"))
        }
        if phase == .paused, let deadline = pauseDeadline, now >= deadline {
            pauseDeadline = nil
            fail(ZerobusError(.grpcStatus(.unavailable), "stream rotation: the server's close deadline passed with requests unacked"))
        }
        if let waiter = closeWaiter, now >= waiter.deadline {
            resumeCloseWaiter()
        }
        if offsetWaiters.contains(where: { now >= $0.deadline }) {
            var remaining: [OffsetWaiter] = []
            for waiter in offsetWaiters {
                if now >= waiter.deadline {
                    waiter.continuation.resume(throwing: ZerobusError(
                        .flushTimeout, "offset \(waiter.offset) not acknowledged within \(configuration.flushTimeout)"))
                } else {
                    remaining.append(waiter)
                }
            }
            offsetWaiters = remaining
        }
    }
}
