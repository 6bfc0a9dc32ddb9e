import CMosquitto
import Glibc

/// Why our own thread instead of mosquitto_loop_start(): loop_start's body, loop_forever,
/// returns for good on MOSQ_ERR_TLS, _EAI, _PROTOCOL, _AUTH and others (the client would
/// silently never reconnect after, say, a broker certificate problem), and it sleeps between
/// reconnects with an uninterruptible nanosleep, so stop() could hang for the whole backoff.
/// This loop calls mosquitto_loop() itself, never gives up, and waits on a condition variable.
/// Threaded mode (mosquitto_threaded_set) keeps libmosquitto's "queue, let the loop write"
/// behaviour that loop_start would give.
extension ClientCore {
    func spawnNetworkThread() throws(MQTTError) {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        // The thread owns one reference until it ends.
        let retained = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, &attributes, { argument in
            let core = Unmanaged<ClientCore>.fromOpaque(argument!).takeRetainedValue()
            core.runNetworkLoop()
            return nil
        }, retained)
        if result != 0 {
            Unmanaged<ClientCore>.fromOpaque(retained).release()
            throw MQTTError(
                code: .threadCreation, operation: "starting the MQTT network thread",
                reason: String(cString: strerror(result)))
        }
    }

    private enum NextStep { case connect, wait, exit }

    func runNetworkLoop() {
        state.withLock { $0.networkThread = pthread_self() }
        var socketOpen = false
        while true {
            if !socketOpen {
                let step = state.wait(
                    until: { $0.phase != .running || (!$0.paused && MonotonicInstant.now >= $0.nextAttempt) },
                    deadline: { $0.paused ? nil : $0.nextAttempt }
                ) { state -> NextStep in
                    if state.phase != .running { return .exit }
                    if state.paused || MonotonicInstant.now < state.nextAttempt { return .wait }
                    state.refusedThisAttempt = false
                    state.endOfAttemptReported = false
                    state.lastLibraryError = nil
                    return .connect
                }
                if step == .exit { break }
                if step == .wait { continue }
                // Non-blocking TCP connect (the DNS lookup blocks, on this thread only).
                let result = mosquitto_connect_async(
                    handle, options.host, Int32(options.port), Int32(options.keepalive))
                if result != Int32(MOSQ_ERR_SUCCESS.rawValue) {
                    let reason = connectionFailureReason(result)
                    state.withLock { $0.scheduleRetry(minimum: options.reconnectDelayMin, maximum: options.reconnectDelayMax) }
                    onEvent(.error("connecting to \(brokerAddress): \(reason)"))
                    continue
                }
                socketOpen = true
            }
            // Reads, runs callbacks, writes queued packets, keeps alive. Returns early when
            // another thread queues a packet (libmosquitto's socketpair wake-up).
            let result = mosquitto_loop(handle, 1000, 1)
            if result == Int32(MOSQ_ERR_SUCCESS.rawValue) {
                if stopGraceExpired() { break }
                continue
            }
            // The connection is over. on_disconnect has usually said why, but not always: a
            // failed TLS handshake inside mosquitto_loop() returns MOSQ_ERR_TLS without it.
            socketOpen = false
            connectionEnded(result: result)
            state.withLock { state in
                if state.paused || state.phase != .running {
                    state.nextAttempt = .now
                } else {
                    state.scheduleRetry(minimum: options.reconnectDelayMin, maximum: options.reconnectDelayMax)
                }
            }
        }
        finishNetworkThread()
    }

    private func stopGraceExpired() -> Bool {
        state.withLock { state in
            guard state.phase == .stopping, let requested = state.stopRequestedAt else { return false }
            return MonotonicInstant.now >= requested.advanced(by: Self.disconnectGrace)
        }
    }

    /// Destroys the handle (closing any socket) once no other thread is inside libmosquitto.
    /// Phase `.stopped` refuses new leases; the destroy itself runs outside the lock.
    private func finishNetworkThread() {
        state.wait(until: { $0.leases == 0 }, deadline: { _ in nil }) { state in
            state.phase = .stopped
            state.connected = false
        }
        mosquitto_destroy(handle)
        state.withLock { state in
            state.handleDestroyed = true
            state.networkThreadFinished = true
        }
    }

    /// libmosquitto's text, plus OpenSSL's reason when libmosquitto logged one.
    func connectionFailureReason(_ result: Int32) -> String {
        let text = mosquittoErrorText(result)
        let detail = state.withLock { $0.lastLibraryError }
        guard let detail, !detail.isEmpty else { return text }
        return "\(text) (\(detail))"
    }
}

