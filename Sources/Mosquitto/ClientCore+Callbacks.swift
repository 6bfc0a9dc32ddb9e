import CMosquitto

/// The C callbacks. All run on the network thread, inside mosquitto_loop(), so they may use
/// `handle` without a lease; shared state goes through `state`. The lock is never held while
/// calling into libmosquitto or into the user's handlers.
extension ClientCore {
    private static func core(_ userdata: UnsafeMutableRawPointer?) -> ClientCore {
        Unmanaged<ClientCore>.fromOpaque(userdata!).takeUnretainedValue()
    }

    /// The v5 variants, for both protocol versions: libmosquitto calls them under 3.1.1 too
    /// (with no properties), so one set of callbacks serves both.
    func installCallbacks() {
        mosquitto_connect_v5_callback_set(handle) { _, userdata, result, flags, _ in
            ClientCore.core(userdata).connectAcknowledged(result: result, sessionPresent: flags & 1 != 0)
        }
        mosquitto_disconnect_callback_set(handle) { _, userdata, result in
            ClientCore.core(userdata).connectionEnded(result: result)
        }
        mosquitto_subscribe_v5_callback_set(handle) { _, userdata, mid, count, granted, _ in
            let grantedQoS = (0..<Int(count)).map { granted![$0] }
            ClientCore.core(userdata).subscribeAcknowledged(mid: mid, grantedQoS: grantedQoS)
        }
        // PUBACK order under v5: handle__publish (lib/handle_publish.c, v2.0.11) treats both
        // protocol versions alike. For QoS 1 it calls send__puback *before* on_message and
        // on_message_v5, and send__puback → send__command_with_mid → packet__queue only queues
        // the packet while threaded mode is set (the v5 PUBACK differs only in its optional
        // reason code byte, which is not sent for success). So, as under 3.1.1, the network
        // thread writes the PUBACK after this callback returned; PubackOrderingTests runs
        // against both protocol versions.
        mosquitto_message_v5_callback_set(handle) { _, userdata, message, properties in
            guard let message = message?.pointee else { return }
            // libmosquitto frees the message when the callback returns: the handler gets its
            // buffer on loan for the call and copies what it keeps (see MQTTDelivery).
            let bytes = message.payload?.assumingMemoryBound(to: UInt8.self)
            let payload = UnsafeBufferPointer(start: bytes, count: bytes == nil ? 0 : Int(max(message.payloadlen, 0)))
            let delivery = MQTTDelivery(
                topic: String(cString: message.topic), payload: payload,
                qos: Int(message.qos), retained: message.retain, mid: message.mid,
                properties: MQTTProperties(properties))
            // Synchronous on purpose: see MQTTClient's documentation on PUBACK timing.
            ClientCore.core(userdata).onMessage(delivery)
        }
        mosquitto_log_callback_set(handle) { _, userdata, level, text in
            guard level == MOSQ_LOG_ERR, let text else { return }
            let line = String(cString: text)
            ClientCore.core(userdata).state.withLock { $0.lastLibraryError = line }
        }
    }

    private func connectAcknowledged(result: Int32, sessionPresent: Bool) {
        guard result == 0 else {
            state.withLock { $0.refusedThisAttempt = true }
            // v5 CONNACKs carry reason codes (0x80 and up), 3.1.1 ones return codes (1…5).
            let text = options.protocolVersion == .v5 ? mosquitto_reason_string(result) : mosquitto_connack_string(result)
            let reason = text.map { String(cString: $0) } ?? "CONNACK code \(result)"
            onEvent(.error("broker \(brokerAddress) refused the connection: \(reason)"))
            return
        }
        let (unwanted, subscribe, firstConnect) = state.withLock { state -> (Bool, Bool, Bool) in
            state.failedAttempts = 0
            if state.paused || state.phase != .running { return (true, false, false) }
            state.connected = true
            let firstConnect = !state.hasConnectedSinceStart
            state.hasConnectedSinceStart = true
            return (false, !sessionPresent || (firstConnect && options.subscribeOnFirstConnect), firstConnect)
        }
        // pause() or stop() came during this attempt: the network loop disconnects right
        // after this callback (a DISCONNECT queued from here could be overtaken, see
        // sendCleanDisconnect).
        if unwanted { return }
        onEvent(.connected(sessionPresent: sessionPresent))
        if firstConnect && sessionPresent { unsubscribeUnwanted() }
        if subscribe { subscribeAll() }
    }

    /// Only a kept session has subscriptions to drop; no acknowledgement is waited for.
    private func unsubscribeUnwanted() {
        for filter in options.unsubscribeOnFirstConnect {
            let result = mosquitto_unsubscribe(handle, nil, filter)
            if result != Int32(MOSQ_ERR_SUCCESS.rawValue) {
                onEvent(.error("unsubscribing from \(filter): \(mosquittoErrorText(result))"))
            }
        }
    }

    /// Sends one SUBSCRIBE per filter (each has its own QoS); `.subscribed` follows the last SUBACK.
    private func subscribeAll() {
        var pending: [Int32: String] = [:]
        for subscription in options.subscriptions {
            var mid: Int32 = 0
            let result = mosquitto_subscribe(handle, &mid, subscription.filter, Int32(subscription.qos))
            if result == Int32(MOSQ_ERR_SUCCESS.rawValue) {
                pending[mid] = subscription.filter
            } else {
                onEvent(.error("subscribing to \(subscription.filter): \(mosquittoErrorText(result))"))
            }
        }
        // SUBACKs are handled on this same thread, later: no race with this assignment.
        state.withLock { $0.pendingSubscriptions = pending }
    }

    private func subscribeAcknowledged(mid: Int32, grantedQoS: [Int32]) {
        let (filter, allDone) = state.withLock { state -> (String?, Bool) in
            let filter = state.pendingSubscriptions.removeValue(forKey: mid)
            return (filter, filter != nil && state.pendingSubscriptions.isEmpty)
        }
        guard let filter else { return }
        // 0x80 in a SUBACK is the broker's "failure" (e.g. an ACL denies the filter).
        if grantedQoS.contains(where: { $0 >= 0x80 }) {
            onEvent(.error("broker \(brokerAddress) rejected the subscription to \(filter)"))
        }
        if allDone { onEvent(.subscribed) }
    }

    /// Reports the end of a connection or connection attempt once, from on_disconnect or
    /// (when libmosquitto skipped the callback) from the network loop.
    func connectionEnded(result: Int32) {
        let reason = result == 0 ? "disconnected by the client" : connectionFailureReason(result)
        let (firstReport, wasConnected, refused) = state.withLock { state -> (Bool, Bool, Bool) in
            let firstReport = !state.endOfAttemptReported
            state.endOfAttemptReported = true
            let wasConnected = state.connected
            state.connected = false
            state.pendingSubscriptions = [:]
            return (firstReport, wasConnected, state.refusedThisAttempt)
        }
        guard firstReport else { return }
        if wasConnected {
            onEvent(.disconnected(reason: reason))
        } else if !refused && result != 0 {
            onEvent(.error("connecting to \(brokerAddress): \(reason)"))
        }
    }
}
