import CMosquitto

/// A failed call: what was being done, libmosquitto's result code and its text.
public struct MQTTError: Error, Sendable, Equatable, CustomStringConvertible {
    /// libmosquitto's `MOSQ_ERR_*` value, plus a few codes of this wrapper (≥ 1000).
    public struct Code: RawRepresentable, Hashable, Sendable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        public static let outOfMemory = Code(rawValue: Int32(MOSQ_ERR_NOMEM.rawValue))
        public static let protocolError = Code(rawValue: Int32(MOSQ_ERR_PROTOCOL.rawValue))
        public static let invalidArgument = Code(rawValue: Int32(MOSQ_ERR_INVAL.rawValue))
        public static let notConnected = Code(rawValue: Int32(MOSQ_ERR_NO_CONN.rawValue))
        public static let connectionRefused = Code(rawValue: Int32(MOSQ_ERR_CONN_REFUSED.rawValue))
        public static let connectionLost = Code(rawValue: Int32(MOSQ_ERR_CONN_LOST.rawValue))
        public static let tls = Code(rawValue: Int32(MOSQ_ERR_TLS.rawValue))
        public static let payloadTooLarge = Code(rawValue: Int32(MOSQ_ERR_PAYLOAD_SIZE.rawValue))
        public static let notSupported = Code(rawValue: Int32(MOSQ_ERR_NOT_SUPPORTED.rawValue))
        public static let system = Code(rawValue: Int32(MOSQ_ERR_ERRNO.rawValue))
        public static let hostLookup = Code(rawValue: Int32(MOSQ_ERR_EAI.rawValue))
        public static let malformedUTF8 = Code(rawValue: Int32(MOSQ_ERR_MALFORMED_UTF8.rawValue))
        /// An option failed validation before libmosquitto saw it.
        public static let invalidOption = Code(rawValue: 1000)
        /// `start()` after `stop()`, or a call on a stopped client.
        public static let stopped = Code(rawValue: 1001)
        /// The network thread could not be created.
        public static let threadCreation = Code(rawValue: 1002)
    }

    public let code: Code
    /// What was being done, e.g. "publishing to sensors/a/temp".
    public let operation: String
    /// Why it failed (mosquitto_strerror's text or the wrapper's own explanation).
    public let reason: String

    public init(code: Code, operation: String, reason: String) {
        self.code = code
        self.operation = operation
        self.reason = reason
    }

    /// An error from a libmosquitto result code.
    init(mosquittoCode: Int32, operation: String) {
        self.init(code: Code(rawValue: mosquittoCode), operation: operation, reason: mosquittoErrorText(mosquittoCode))
    }

    static func invalidOption(_ reason: String) -> MQTTError {
        MQTTError(code: .invalidOption, operation: "checking MQTT options", reason: reason)
    }

    public var description: String { "\(operation): \(reason)" }
}

/// mosquitto_strerror's text, which for MOSQ_ERR_ERRNO is strerror(errno): call it right
/// after the failing call, on the same thread.
func mosquittoErrorText(_ code: Int32) -> String {
    guard let text = mosquitto_strerror(code) else { return "libmosquitto error \(code)" }
    return String(cString: text)
}

/// Throws unless `result` is MOSQ_ERR_SUCCESS.
func check(_ result: Int32, _ operation: @autoclosure () -> String) throws(MQTTError) {
    if result != Int32(MOSQ_ERR_SUCCESS.rawValue) {
        throw MQTTError(mosquittoCode: result, operation: operation())
    }
}
