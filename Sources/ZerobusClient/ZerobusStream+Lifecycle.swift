import GRPCTransport
import Logging

/// Opening RPCs, reacting to server events, recovery and timers.
extension ZerobusStream {
    /// Opens the first RPC (with the recovery policy's retries).
    func start() async throws {
        do {
            try await connectWithRetries(authAlreadyRetried: false)
        } catch {
            let failure = (error as? ZerobusError) ?? ZerobusError(.transport, "\(error)")
            phase = .failed(failure)
            await release()
            throw failure
        }
    }

    /// Attempts to open an RPC until one succeeds, the error is terminal or the policy gives up.
    func connectWithRetries(authAlreadyRetried: Bool) async throws {
        var failures = 0
        var authRetried = authAlreadyRetried
        while true {
            try checkUsable()
            do {
                try await openRPC()
                phase = .open
                pauseDeadline = nil
                sendPending()
                return
            } catch let error as ZerobusError {
                statistics.lastError = error.description
                configuration.onOpenAttemptFailed?(error)
                failures += 1
                if error.isAuthRejection && !authRetried {
                    authRetried = true
                    logger.warning("credentials rejected, fetching new ones", metadata: ["table": "\(tableName)", "error": "\(error)"])
                    await headersProvider.invalidate()
                    continue
                }
                guard error.isRetryable, configuration.recovery.allowsAnotherAttempt(afterFailures: failures) else {
                    throw error
                }
                let delay = configuration.recovery.backoff.delay(attempt: failures - 1)
                logger.warning(
                    "opening stream failed, retrying",
                    metadata: ["table": "\(tableName)", "error": "\(error)", "retry_in_ms": "\(BackoffPolicy.milliseconds(delay))"])
                do { try await clock.sleep(for: delay) } catch { throw ZerobusError(.streamClosed, "stream closed while reconnecting") }
            }
        }
    }

    /// One attempt: headers, connection (reused while alive), RPC, create_stream and its response.
    private func openRPC() async throws {
        let headers = try await headersProvider.headers(tableName: tableName)
        if connection?.isClosed ?? true {
            do {
                connection = try await HTTP2Connection.connect(to: endpoint, options: transport)
            } catch {
                throw ZerobusError.from(error)
            }
        }
        guard let connection else { throw ZerobusError(.transport, "no connection") }
        let call: GRPCCall
        do {
            call = try connection.startCall(path: WireMessages.ephemeralStreamPath, metadata: headers)
        } catch {
            await dropConnection()
            throw ZerobusError.from(error)
        }
        generation += 1
        let current = generation
        rpc = RPC(call: call, generation: current, createDeadline: clock.now + configuration.createTimeout)
        ensureTicking()
        // Unstructured because it outlives this attempt: it carries the RPC's events for the
        // RPC's whole life (an abandoned RPC's late events drain here and are ignored by
        // generation), and ends with the call's event stream (cancelling the call ends that).
        Task { [weak self] in
            for await event in call.events {
                guard let self else { call.cancel(); return }
                await self.handle(event, generation: current)
            }
        }
        call.send(try WireMessages.createStream(table: tableName, format: format))
        do {
            streamID = try await withCheckedThrowingContinuation { openWaiter = $0 }
            lastServerActivity = clock.now
            logger.debug("stream open", metadata: ["table": "\(tableName)", "stream_id": "\(streamID ?? "")"])
        } catch {
            abandonRPC(cancel: true)
            if (error as? ZerobusError)?.code == .transport { await dropConnection() }
            throw error
        }
    }

    // MARK: - Server events

    func handle(_ event: GRPCCallEvent, generation eventGeneration: Int) {
        guard eventGeneration == generation, var current = rpc else { return }
        switch event {
        case .responseHeaders:
            return
        case .message(let bytes):
            lastServerActivity = clock.now
            do {
                switch try WireMessages.decodeResponse(bytes) {
                case .created(let id):
                    guard !current.created else {
                        throw ZerobusError(.unexpectedResponse, "second create_stream_response on one stream")
                    }
                    current.created = true
                    rpc = current
                    resumeOpenWaiter(with: .success(id))
                case .acknowledged(let wireOffset):
                    guard current.created else { throw ZerobusError(.unexpectedResponse, "ack before create_stream_response") }
                    try acknowledge(wireOffset)
                case .closeSignal(let duration):
                    guard current.created else { throw ZerobusError(.unexpectedResponse, "close signal before create_stream_response") }
                    pauseForRotation(after: duration)
                }
            } catch {
                fail((error as? ZerobusError) ?? ZerobusError(.unexpectedResponse, "\(error)"))
            }
        case .finished(let status, _):
            let error = status.isOK
                ? ZerobusError(.grpcStatus(.ok), "server ended the stream")
                : ZerobusError.from(status)
            if !current.created {
                resumeOpenWaiter(with: .failure(error))
            } else if phase == .closing && status.isOK {
                abandonRPC(cancel: false)
                resumeCloseWaiter()
            } else {
                fail(error)
            }
        }
    }

    private func acknowledge(_ wireOffset: Int64) throws {
        let progress: StreamLedger.AckProgress?
        do {
            progress = try ledger.acknowledge(upToWireOffset: wireOffset)
        } catch {
            throw ZerobusError(.unexpectedResponse, "server acknowledged wire offset \(wireOffset), which was never sent")
        }
        if let progress {
            statistics.recordsAcked += progress.records
            statistics.requestsAcked += progress.requests
            ackContinuation.yield(progress.lastAckedLogicalOffset)
            resumeOffsetWaiters(upTo: progress.lastAckedLogicalOffset)
            resumeCapacityWaiters()
        }
        if phase == .paused && !ledger.hasUnacked { rotate() }
    }

    /// CloseStreamSignal: stop sending on this RPC, let its acks arrive, then move to a new one.
    private func pauseForRotation(after duration: Duration) {
        guard configuration.recovery.enabled, phase == .open else { return }
        let wait = configuration.maxPauseOnCloseSignal.map { min($0, duration) } ?? duration
        phase = .paused
        pauseDeadline = clock.now + wait
        ensureTicking()
        logger.info("server asked to rotate the stream", metadata: ["table": "\(tableName)"])
        if wait <= .zero || !ledger.hasUnacked { rotate() }
    }

    private func rotate() {
        statistics.rotations += 1
        rpc?.call.finishSending()
        abandonRPC(cancel: false)
        beginRecovery(authAlreadyRetried: false)
    }

    // MARK: - Failure and recovery

    /// A failure of the current RPC: recover if allowed, else fail the stream.
    func fail(_ error: ZerobusError) {
        statistics.lastError = error.description
        if phase == .closing {
            terminate(error)
            resumeCloseWaiter()
            return
        }
        let recoverable = error.isRetryable || error.isAuthRejection
        guard configuration.recovery.enabled, recoverable else {
            terminate(error)
            return
        }
        logger.warning("stream failed, recovering", metadata: ["table": "\(tableName)", "error": "\(error)"])
        abandonRPC(cancel: true)
        // A connection that failed or went silent is not worth reusing.
        let stale = [.transport, .ackTimeout, .createTimeout].contains(error.code) ? detachConnection() : nil
        statistics.recoveries += 1
        beginRecovery(
            authAlreadyRetried: error.isAuthRejection, invalidatingCredentials: error.isAuthRejection, closing: stale)
    }

    /// Reconnects in the background. Unstructured because recovery begins in synchronous actor
    /// code (an event, a tick) that must not wait for it, and the actor has no scope that could
    /// own a child task; `release()` cancels it, which ends its backoff sleep.
    private func beginRecovery(
        authAlreadyRetried: Bool, invalidatingCredentials: Bool = false, closing stale: HTTP2Connection? = nil
    ) {
        phase = .recovering
        statistics.recordsResent += ledger.rewindForNewRPC()
        recoveryTask = Task {
            // The stale connection closes beside the reconnect, as a child of this task rather
            // than a task of its own (`close()` finishes even if the recovery is cancelled).
            async let staleClosed: Void? = stale?.close()
            if invalidatingCredentials { await self.headersProvider.invalidate() }
            do {
                try await self.connectWithRetries(authAlreadyRetried: authAlreadyRetried)
            } catch {
                self.terminate((error as? ZerobusError) ?? ZerobusError(.transport, "\(error)"))
            }
            _ = await staleClosed
        }
    }

    /// Ends the stream for good: every waiter gets `error`, unacked requests stay retrievable.
    func terminate(_ error: ZerobusError) {
        if case .failed = phase { return }
        if phase == .closed { return }
        logger.error("stream failed", metadata: ["table": "\(tableName)", "error": "\(error)"])
        phase = .failed(error)
        statistics.lastError = error.description
        abandonRPC(cancel: true)
        resumeOpenWaiter(with: .failure(error))
        failWaiters(with: error)
        closeConnectionInBackground()
    }

    /// Detaches the connection at once, so a reconnect cannot pick it up.
    private func detachConnection() -> HTTP2Connection? {
        defer { connection = nil }
        return connection
    }

    /// Detaches the connection and closes it without waiting. Fire and forget on purpose: a
    /// terminal failure is reached from synchronous code, and a failed stream may never see
    /// `close()` or `abort()`, so nothing else would release the socket; nobody awaits the close.
    private func closeConnectionInBackground() {
        guard let old = detachConnection() else { return }
        Task { await old.close() }
    }

    /// Forgets the current RPC; its remaining events are ignored from now on.
    func abandonRPC(cancel: Bool) {
        if cancel { rpc?.call.cancel() }
        rpc = nil
        generation += 1
    }

    func dropConnection() async {
        let old = connection
        connection = nil
        await old?.close()
    }

    /// Releases everything: timers, recovery, RPC, connection, waiters.
    func release() async {
        tickTask?.cancel()
        tickTask = nil
        recoveryTask?.cancel()
        recoveryTask = nil
        abandonRPC(cancel: true)
        failWaiters(with: failure ?? ZerobusError(.streamClosed, "stream to \(tableName) is closed"))
        resumeOpenWaiter(with: .failure(ZerobusError(.streamClosed, "stream to \(tableName) is closed")))
        ackContinuation.finish()
        await dropConnection()
    }
}
