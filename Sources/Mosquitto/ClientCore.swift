import CMosquitto
import Glibc

/// mosquitto_lib_init must run once per process before anything else. A global `let` is
/// initialised lazily and exactly once (swift_once), by whichever thread touches it first.
private let libraryInitResult: Int32 = mosquitto_lib_init()

/// The libmosquitto handle and the state shared with its network thread.
///
/// `@unchecked Sendable`: `handle` is an OpaquePointer. The network thread uses it freely;
/// other threads use it only between `acquireLease()` and `releaseLease()`, and it is destroyed
/// exactly once, after the network thread has ended and no lease is held (or, if the client
/// never started, by `stop()`/`deinit` once no lease is held). Other threads only publish,
/// which libmosquitto serialises with its own mutexes (`mosquitto_threaded_set(true)`).
/// Everything mutable lives in `state`.
final class ClientCore: @unchecked Sendable {
    let handle: OpaquePointer
    let options: MQTTOptions
    let onMessage: @Sendable (borrowing MQTTDelivery) -> Void
    let onEvent: @Sendable (MQTTEvent) -> Void
    let state = Monitor(ClientState())

    /// After DISCONNECT, how long the network thread waits for the broker to close its side
    /// (and, when stopping, for the connection to end) before closing anyway.
    static let disconnectGrace = Duration.seconds(2)

    init(
        options: MQTTOptions,
        onMessage: @escaping @Sendable (borrowing MQTTDelivery) -> Void,
        onEvent: @escaping @Sendable (MQTTEvent) -> Void
    ) throws(MQTTError) {
        try Self.validate(options)
        try check(libraryInitResult, "initialising libmosquitto")
        let clientID = options.clientID.isEmpty ? nil : options.clientID
        guard let handle = mosquitto_new(clientID, options.cleanSession, nil) else {
            throw MQTTError(code: .outOfMemory, operation: "creating the MQTT client", reason: "mosquitto_new failed")
        }
        do {
            try Self.configure(handle, options)
        } catch {
            mosquitto_destroy(handle)
            throw error
        }
        self.handle = handle
        self.options = options
        self.onMessage = onMessage
        self.onEvent = onEvent
        // Callbacks only run on the network thread, which holds a strong reference to self.
        mosquitto_user_data_set(handle, Unmanaged.passUnretained(self).toOpaque())
        installCallbacks()
    }

    deinit {
        // Reached only when no network thread holds a reference, i.e. it never ran or has ended.
        let destroyed = state.withLock { $0.handleDestroyed }
        if !destroyed { mosquitto_destroy(handle) }
    }

    var brokerAddress: String {
        "\(options.tls == nil ? "mqtt" : "mqtts")://\(options.host):\(options.port)"
    }

    // MARK: Calls from other threads

    func start() throws(MQTTError) {
        let phase = state.withLock { state -> ClientPhase in
            let phase = state.phase
            if phase == .created { state.phase = .running }
            return phase
        }
        switch phase {
        case .created: break
        case .running: return
        case .stopping, .stopped:
            throw MQTTError(code: .stopped, operation: "starting the MQTT client", reason: "it was stopped")
        }
        do {
            try spawnNetworkThread()
        } catch {
            state.withLock { $0.phase = .stopped }
            throw error
        }
    }

    func publish(topic: String, payload: [UInt8], qos: Int, retain: Bool) throws(MQTTError) {
        let operation = "publishing to \(topic)"
        guard (0...2).contains(qos) else {
            throw MQTTError(code: .invalidArgument, operation: operation, reason: "QoS must be 0, 1 or 2, not \(qos)")
        }
        try acquireLease(operation)
        defer { releaseLease() }
        let result = payload.withUnsafeBytes { bytes in
            mosquitto_publish(handle, nil, topic, Int32(bytes.count), bytes.baseAddress, Int32(qos), retain)
        }
        // For QoS 1/2 libmosquitto 2.0 files the message in its outgoing queue *before* it
        // tries to send, and reports MOSQ_ERR_NO_CONN when offline although it will send the
        // message after reconnecting (checked by MessagingTests). That is a success: queued.
        if qos > 0 && result == Int32(MOSQ_ERR_NO_CONN.rawValue) { return }
        try check(result, operation)
    }

    /// Only sets the flag: the network thread sends the DISCONNECT itself (see
    /// `sendCleanDisconnect`), within one loop tick.
    func pause() {
        state.withLock { state in
            guard state.phase == .created || state.phase == .running else { return }
            state.paused = true
        }
    }

    func resume() {
        state.withLock { state in
            guard state.paused else { return }
            state.paused = false
            state.failedAttempts = 0
            state.nextAttempt = .now
        }
    }

    func stop() {
        enum Step { case destroyNow, wait }
        let step = state.withLock { state -> Step in
            switch state.phase {
            case .created:
                state.phase = .stopped
                return .destroyNow
            case .running:
                // The network thread sees this within one loop tick, sends DISCONNECT and ends.
                state.phase = .stopping
                state.stopRequestedAt = .now
                return .wait
            case .stopping, .stopped:
                return .wait
            }
        }
        switch step {
        case .destroyNow:
            // Phase `.stopped` refuses new leases; wait out those in progress, then destroy.
            state.wait(until: { $0.leases == 0 }, deadline: { _ in nil }) { _ in }
            mosquitto_destroy(handle)
            state.withLock { $0.handleDestroyed = true }
            return
        case .wait:
            break
        }
        // From a callback the network thread cannot be waited for: it finishes (and destroys
        // the handle) once the callback returns.
        let onNetworkThread = state.withLock { $0.isOnNetworkThread }
        if onNetworkThread { return }
        state.wait(until: { $0.networkThreadFinished || $0.handleDestroyed }, deadline: { _ in nil }) { _ in }
    }

    var isConnected: Bool { state.withLock { $0.connected } }

    private func acquireLease(_ operation: @autoclosure () -> String) throws(MQTTError) {
        let granted = state.withLock { state -> Bool in
            guard state.phase == .created || state.phase == .running else { return false }
            state.leases += 1
            return true
        }
        if !granted {
            throw MQTTError(code: .stopped, operation: operation(), reason: "the MQTT client is stopped")
        }
    }

    private func releaseLease() {
        state.withLock { $0.leases -= 1 }
    }
}
