import CMosquitto
import EdgeSupport
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
                reason: ErrnoText.describe(result))
        }
    }

    private enum NextStep { case connect, wait, exit }

    func runNetworkLoop() {
        state.withLock { $0.networkThread = pthread_self() }
        var socketOpen = false
        var disconnectSent = false
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
            // another thread queues a packet (libmosquitto's socketpair wake-up); the short
            // timeout bounds how long pause()/stop() wait to be noticed.
            let result = mosquitto_loop(handle, Self.loopTickMilliseconds, 1)
            if result == Int32(MOSQ_ERR_SUCCESS.rawValue) {
                let wanted = state.withLock { $0.phase == .running && !$0.paused }
                if !wanted && !disconnectSent {
                    sendCleanDisconnect()
                    disconnectSent = true
                }
                if stopGraceExpired() { break }
                continue
            }
            // The connection is over. on_disconnect has usually said why, but not always: a
            // failed TLS handshake inside mosquitto_loop() returns MOSQ_ERR_TLS without it.
            socketOpen = false
            disconnectSent = false
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

    static let loopTickMilliseconds: Int32 = 100

    /// Sends DISCONNECT (after everything queued before it) and ends the connection so that
    /// the broker really reads it, from the network thread and outside any callback.
    ///
    /// Two traps make a plain mosquitto_disconnect() unclean while the broker is sending (e.g.
    /// delivering a backlog, exactly when on_full = "pause" strikes), and the broker then
    /// publishes the will although the client left on purpose:
    /// 1. libmosquitto 2.0 marks the client disconnected at once but, in threaded mode, only
    ///    queues the DISCONNECT; a PUBLISH/PUBACK/PINGRESP read before it is written fails with
    ///    MOSQ_ERR_PROTOCOL and the socket is dropped. Turning threaded mode off for this call
    ///    makes libmosquitto write at once (this is the only thread that reads the socket, and
    ///    libmosquitto serialises writers from other threads with its out-packet mutexes).
    /// 2. libmosquitto closes the socket right after writing DISCONNECT. Unread incoming data
    ///    makes Linux answer with RST, and the broker, failing to write ("Broken pipe"), drops
    ///    the client before reading the DISCONNECT. So a duplicate descriptor keeps the socket
    ///    open: we send FIN and read (discarding) until the broker closes its side, at most
    ///    `disconnectGrace`. What is discarded was never acknowledged: the broker redelivers it.
    private func sendCleanDisconnect() {
        let socket = mosquitto_socket(handle)
        let keptOpen = socket >= 0 ? dup(socket) : -1
        mosquitto_threaded_set(handle, false)
        mosquitto_disconnect(handle)
        mosquitto_threaded_set(handle, true)
        guard keptOpen >= 0 else { return }
        // Still open in libmosquitto: the DISCONNECT did not fit the send buffer; the loop
        // writes the rest and closes. Nothing to drain from here.
        if mosquitto_socket(handle) < 0 {
            drainUntilPeerCloses(keptOpen, limit: Self.disconnectGrace)
        }
        close(keptOpen)
    }

    private func drainUntilPeerCloses(_ descriptor: Int32, limit: Duration) {
        shutdown(descriptor, Int32(SHUT_WR))
        let deadline = MonotonicInstant.now.advanced(by: limit)
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while MonotonicInstant.now < deadline {
            let remaining = deadline.nanoseconds - MonotonicInstant.now.nanoseconds
            var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&request, 1, Int32(min(remaining / 1_000_000 + 1, 1000)))
            if ready < 0 && errno == EINTR { continue }
            if ready <= 0 { continue }
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { return }  // the broker closed: it has processed the DISCONNECT
            if count < 0 && errno != EINTR && errno != EAGAIN { return }
        }
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

