/// A message as libmosquitto delivered it, lent to the handler for the duration of the call.
///
/// The payload is libmosquitto's own buffer, not a copy: libmosquitto 2.0 already holds two
/// copies of every payload while the handler runs (the packet and the message), so a third one
/// here would make a 10 MiB payload cost 30 MiB before the handler has looked at it. The
/// handler copies only what it keeps (`copy()` or `payloadArray()`). Noncopyable and borrowed, so
/// the value cannot outlive the call; the buffer must not escape `withPayload` either.
public struct MQTTDelivery: ~Copyable {
    public let topic: String
    public let qos: Int
    /// true when the broker delivered a stored retained message (e.g. right after subscribing).
    public let retained: Bool
    /// The packet id on this connection (0 for QoS 0). Not unique across reconnects.
    public let mid: Int32
    /// MQTT v5 properties (content type, user properties, …); empty under MQTT 3.1.1.
    public let properties: MQTTProperties
    private let payload: UnsafeBufferPointer<UInt8>

    init(
        topic: String, payload: UnsafeBufferPointer<UInt8>, qos: Int, retained: Bool, mid: Int32,
        properties: MQTTProperties = MQTTProperties()
    ) {
        self.topic = topic
        self.properties = properties
        self.payload = payload
        self.qos = qos
        self.retained = retained
        self.mid = mid
    }

    public var payloadCount: Int { payload.count }

    /// Calls `body` with libmosquitto's payload bytes; they are valid only inside `body`.
    public func withPayload<Result, Failure: Error>(
        _ body: (UnsafeBufferPointer<UInt8>) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(payload)
    }

    /// The payload, copied.
    public func payloadArray() -> [UInt8] {
        Array(payload)
    }

    /// The whole message, copied, to keep beyond the handler.
    public func copy() -> MQTTMessage {
        MQTTMessage(
            topic: topic, payload: payloadArray(), qos: qos, retained: retained, mid: mid, properties: properties)
    }
}
