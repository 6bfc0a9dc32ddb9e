import GRPCTransport

/// A header sent with the RPC (names are lowercase on the wire).
public typealias Header = HeaderField
/// TCP / TLS / proxy settings shared by the gRPC channel and the OAuth token requests.
public typealias TransportOptions = ConnectionOptions

/// How records of a stream are encoded on the wire.
public enum RecordFormat: Sendable, Hashable {
    /// Protobuf rows; `descriptor` is a serialized `google.protobuf.DescriptorProto` of the
    /// row message with every referenced type nested inside it.
    case proto(descriptor: [UInt8])
    /// JSON objects, one per record.
    case json
}

/// Tunables of one Zerobus stream. Defaults follow the official SDKs where they suit a
/// gateway; the in-flight window is smaller because gateways have little memory.
public struct StreamConfiguration: Sendable {
    /// Ingest calls (a batch counts once) queued or awaiting their ack; `ingest` waits beyond it.
    public var maxInflightRequests: Int = 10_000
    /// No server message for this long while requests are unacked: the RPC is presumed dead.
    public var ackTimeout: Duration = .seconds(60)
    /// Budget for one open attempt: headers, connection, RPC and `create_stream_response`.
    public var createTimeout: Duration = .seconds(15)
    public var flushTimeout: Duration = .seconds(300)
    /// After END_STREAM, how long `close` waits for the server's final acks and trailers.
    public var closeDrainTimeout: Duration = .seconds(2)
    /// Upper bound on honouring a CloseStreamSignal's duration; `nil` honours the server's.
    public var maxPauseOnCloseSignal: Duration? = nil
    public var recovery: RecoveryPolicy = RecoveryPolicy()
    /// Called with the error of every failed attempt to open an RPC (the first one included),
    /// before the next attempt. With `recovery` retrying, `createStream` does not return while
    /// the server is unreachable, so this is how a caller can show why (health's `last_error`).
    public var onOpenAttemptFailed: (@Sendable (ZerobusError) -> Void)? = nil
    /// Summed record bytes allowed in one ingest call: the server's 10 MiB minus envelope room.
    public var maxRequestBytes: Int = StreamConfiguration.serverRequestLimit - 64 * 1024
    /// The clock of every deadline (ack, create, flush, close, rotation) and of the recovery
    /// backoff. Tests pass a manual clock to step through timeouts without waiting for them.
    public var clock: any Clock<Duration> = ContinuousClock()
    public static let serverRequestLimit = 10 * 1024 * 1024

    public init() {}
}
