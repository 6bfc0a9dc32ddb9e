/// The agent's MQTT client: libmosquitto 2.0 on a dedicated network thread, with persistent
/// sessions, automatic reconnects (capped exponential backoff, forever) and resubscription
/// whenever the broker lost the session.
///
/// ## Threading and when the broker gets its PUBACK
///
/// `onMessage` and `onEvent` run **synchronously on the network thread**. While a handler runs,
/// nothing is read from or written to the socket. For a QoS 1 message libmosquitto 2.0.x builds
/// the PUBACK *before* calling `onMessage`, but in threaded mode (which this client uses at all
/// times except the instant it writes a DISCONNECT, never during a handler) it only queues it;
/// the network thread writes it after `onMessage` has returned. So a handler that commits the
/// message durably (e.g. a SQLite transaction) before returning has it on disk before the
/// broker can see the PUBACK; a crash in between means a redelivery (a duplicate), not a loss.
/// A handler that returns without storing the message has acknowledged it all the same.
/// `PubackOrderingTests` checks the ordering against a real broker (and fails with threaded
/// mode off). It is an implementation property of libmosquitto 2.0.x, not a documented
/// promise: the test guards it on upgrades. MQTT v5 changes nothing here: libmosquitto's
/// handle__publish takes the same path for both versions (see ClientCore+Callbacks), and
/// PubackOrderingTests runs under both.
///
/// Handlers must be quick: while one runs, nothing else happens on the connection, keepalive
/// included (a handler blocking for 1.5 × keepalive gets the client dropped by the broker).
/// They must not wait for the network thread, but may call `publish`, `pause` and `stop`
/// (stop then returns at once and the thread ends after the handler).
public final class MQTTClient: Sendable {
    private let core: ClientCore

    /// Validates the options and prepares the connection; nothing is sent before `start()`.
    /// `onMessage` gets each message copied (simple; one extra copy of every payload).
    public convenience init(
        options: MQTTOptions,
        onMessage: @escaping @Sendable (MQTTMessage) -> Void,
        onEvent: @escaping @Sendable (MQTTEvent) -> Void
    ) throws(MQTTError) {
        try self.init(options: options, onDelivery: { onMessage($0.copy()) }, onEvent: onEvent)
    }

    /// As above, but `onDelivery` borrows libmosquitto's buffer for the call and copies only
    /// what it keeps: for big payloads (see `MQTTDelivery`).
    public init(
        options: MQTTOptions,
        onDelivery: @escaping @Sendable (borrowing MQTTDelivery) -> Void,
        onEvent: @escaping @Sendable (MQTTEvent) -> Void
    ) throws(MQTTError) {
        core = try ClientCore(options: options, onMessage: onDelivery, onEvent: onEvent)
    }

    deinit {
        core.stop()
    }

    /// Starts the network thread, which connects and keeps reconnecting until `stop()`.
    /// Connection failures are reported as `.error` events, not thrown. Calling it again is a no-op.
    public func start() throws(MQTTError) {
        try core.start()
    }

    /// Queues a message; thread-safe, also from the handlers. While disconnected (or paused),
    /// QoS 1/2 messages are kept in memory by libmosquitto, without limit, and sent after the
    /// next connect (lost if the process ends first); QoS 0 fails with `.notConnected`. Check
    /// `isConnected` before publishing periodic status to avoid a stale backlog.
    public func publish(topic: String, payload: [UInt8], qos: Int = 1, retain: Bool = false) throws(MQTTError) {
        try core.publish(topic: topic, payload: payload, qos: qos, retain: retain)
    }

    /// Stops taking messages: disconnects cleanly (within one 100 ms loop tick) and stays away
    /// until `resume()`. The broker keeps the persistent session and queues QoS 1 messages
    /// meanwhile, up to its max_queued_messages/max_queued_bytes (mosquitto's default: 1000
    /// messages; beyond that it drops them). The will is not published. Messages already read
    /// may still reach `onMessage` after this returns; they must be handled like any other.
    public func pause() {
        core.pause()
    }

    /// Reconnects after `pause()`, at once.
    public func resume() {
        core.resume()
    }

    /// Sends a clean DISCONNECT (after anything published before, so a final retained
    /// "offline" status reaches the broker first; the broker then does NOT publish the will),
    /// ends the network thread and frees libmosquitto's handle. Takes effect within one loop
    /// tick (100 ms) and waits for the broker to close its side, at most about 2 s more.
    /// Idempotent; afterwards `publish` throws `.stopped`. Messages the handler has not seen
    /// were not acknowledged and stay with the broker's session.
    public func stop() {
        core.stop()
    }

    /// A CONNACK was accepted and the connection has not ended since.
    public var isConnected: Bool {
        core.isConnected
    }
}
