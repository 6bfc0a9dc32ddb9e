import CMosquitto
import Glibc

extension ClientCore {
    /// Rejects options libmosquitto would reject later with a bare MOSQ_ERR_INVAL, naming the culprit.
    static func validate(_ options: MQTTOptions) throws(MQTTError) {
        if options.host.isEmpty { throw .invalidOption("the broker host is empty") }
        if !(1...65535).contains(options.port) {
            throw .invalidOption("port \(options.port) is outside 1–65535")
        }
        if options.clientID.isEmpty && !options.cleanSession {
            throw .invalidOption("a persistent session (clean_session = false) needs a client id")
        }
        if options.clientID.utf8.count > 65535 { throw .invalidOption("the client id is longer than 65535 bytes") }
        if options.keepalive != 0 && !(5...65535).contains(options.keepalive) {
            throw .invalidOption("keepalive \(options.keepalive) s must be 0 or 5–65535")
        }
        let hasUser = !(options.username ?? "").isEmpty
        if !hasUser && !(options.password ?? "").isEmpty {
            throw .invalidOption("a password is set but no username (MQTT 3.1.1 needs both)")
        }
        for subscription in options.subscriptions {
            if !(0...2).contains(subscription.qos) {
                throw .invalidOption("subscription \(subscription.filter): QoS must be 0, 1 or 2")
            }
            if mosquitto_sub_topic_check(subscription.filter) != Int32(MOSQ_ERR_SUCCESS.rawValue) {
                throw .invalidOption("\"\(subscription.filter)\" is not a valid topic filter")
            }
        }
        if let will = options.will {
            if !(0...2).contains(will.qos) { throw .invalidOption("will: QoS must be 0, 1 or 2") }
            if mosquitto_pub_topic_check(will.topic) != Int32(MOSQ_ERR_SUCCESS.rawValue) {
                throw .invalidOption("will topic \"\(will.topic)\" is not a valid topic (no wildcards allowed)")
            }
        }
        if options.reconnectDelayMin <= .zero || options.reconnectDelayMax < options.reconnectDelayMin {
            throw .invalidOption("reconnect delays need 0 < minimum ≤ maximum")
        }
        if let tls = options.tls {
            if (tls.certFile == nil) != (tls.keyFile == nil) {
                throw .invalidOption("TLS: a client certificate needs its key file and vice versa")
            }
            for (what, path) in [("CA file", tls.caFile), ("certificate file", tls.certFile), ("key file", tls.keyFile)] {
                if let path, access(path, R_OK) != 0 {
                    throw .invalidOption("TLS: \(what) \(path) is not readable")
                }
            }
        }
    }

    /// Everything set before the first connect: protocol, threading, credentials, will, TLS.
    static func configure(_ handle: OpaquePointer, _ options: MQTTOptions) throws(MQTTError) {
        let version = options.protocolVersion == .v5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311
        try check(
            mosquitto_int_option(handle, MOSQ_OPT_PROTOCOL_VERSION, version),
            "selecting MQTT \(options.protocolVersion.rawValue)")
        if options.protocolVersion == .v5 { try setConnectProperties(handle, options) }
        // Other threads publish while the network thread runs. With this set, libmosquitto only
        // queues outgoing packets (from any thread, including PUBACKs queued before on_message)
        // and the network thread alone writes them, after the callback has returned.
        try check(mosquitto_threaded_set(handle, true), "enabling threaded mode")
        if let username = options.username, !username.isEmpty {
            // The password is deliberately absent from the error text.
            try check(mosquitto_username_pw_set(handle, username, options.password), "setting username and password")
        }
        if let will = options.will {
            let result = will.payload.withUnsafeBytes { bytes in
                mosquitto_will_set(handle, will.topic, Int32(bytes.count), bytes.baseAddress, Int32(will.qos), will.retain)
            }
            try check(result, "setting the last will on \(will.topic)")
        }
        if let tls = options.tls {
            try configureTLS(handle, tls)
        }
    }

    /// Stores the v5 CONNECT properties (the Session Expiry Interval) in the handle.
    ///
    /// libmosquitto 2.0 has no asynchronous connect that takes properties: only the blocking
    /// `mosquitto_connect_bind_v5` sets them, in `mosq->connect_properties`, which every later
    /// `mosquitto_connect_async`/reconnect sends again (lib/connect.c, `mosquitto__reconnect`).
    /// `mosquitto_connect_bind_v5` copies the properties *before* it validates the host, so
    /// calling it with no host stores them and returns MOSQ_ERR_INVAL without touching the
    /// network (checked in the v2.0.11 source). Our own non-blocking connects (see the network
    /// loop) then carry them. `MQTTv5Tests` checks that a v5 session really survives a
    /// disconnect, which fails if the property stops reaching the broker.
    private static func setConnectProperties(_ handle: OpaquePointer, _ options: MQTTOptions) throws(MQTTError) {
        guard !options.cleanSession else { return }
        var properties: OpaquePointer?
        defer { mosquitto_property_free_all(&properties) }
        try check(
            mosquitto_property_add_int32(&properties, Int32(MQTT_PROP_SESSION_EXPIRY_INTERVAL.rawValue), options.sessionExpiryInterval),
            "building the session expiry property")
        let result = mosquitto_connect_bind_v5(handle, nil, 0, Int32(options.keepalive), nil, properties)
        // MOSQ_ERR_INVAL is the expected "no host" answer after the properties were stored;
        // anything else (e.g. a property check failing) means they were not.
        if result != Int32(MOSQ_ERR_INVAL.rawValue) {
            try check(result == Int32(MOSQ_ERR_SUCCESS.rawValue) ? Int32(MOSQ_ERR_UNKNOWN.rawValue) : result,
                      "storing the v5 CONNECT properties")
        }
    }

    /// Debian's hashed directory of the system's trusted CAs (ca-certificates). libmosquitto
    /// 2.0.11 refuses to connect with only MOSQ_OPT_TLS_USE_OS_CERTS ("used without specifying
    /// cafile, capath or psk"), so "trust the system store" means this capath.
    static let systemCertificateDirectory = "/etc/ssl/certs"

    private static func configureTLS(_ handle: OpaquePointer, _ tls: MQTTTLS) throws(MQTTError) {
        let caDirectory = tls.caFile == nil ? systemCertificateDirectory : nil
        try check(
            mosquitto_tls_set(handle, tls.caFile, caDirectory, tls.certFile, tls.keyFile, nil),
            "loading TLS files (CA \(tls.caFile ?? caDirectory ?? ""), certificate \(tls.certFile ?? "none"))")
        if tls.insecureSkipVerify {
            try check(mosquitto_tls_insecure_set(handle, true), "disabling TLS host name checks")
            // SSL_VERIFY_NONE: also accept certificates no trusted CA signed.
            try check(mosquitto_tls_opts_set(handle, 0, nil, nil), "disabling TLS certificate checks")
        }
    }
}
