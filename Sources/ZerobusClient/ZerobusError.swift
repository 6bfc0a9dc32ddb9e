import GRPCTransport

/// An error from the Zerobus client. Every error answers ``isRetryable``: the stream
/// recovers by itself from retryable errors and surfaces non-retryable ones once.
///
/// Messages never contain secrets (tokens, client secrets, authorization headers).
public struct ZerobusError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Code: Sendable, Hashable {
        /// The server ended the RPC with this gRPC status code.
        case grpcStatus(GRPCStatus.Code)
        /// TCP, DNS, proxy, TLS or HTTP/2 failure.
        case transport
        /// The server's TLS certificate did not verify: not signed by a trusted CA, another host
        /// name, expired, or not yet valid (a gateway clock far behind). Not retried by the
        /// stream: it is configuration (the CA bundle, the endpoint's name) or the clock, and a
        /// caller that retries forever would otherwise never learn of it.
        case untrustedCertificate
        /// OAuth token could not be obtained (network or 5xx: retryable; 4xx/bad JSON: not).
        case tokenFetch
        /// No acknowledgement arrived within the lack-of-ack timeout.
        case ackTimeout
        /// Stream creation did not complete in time.
        case createTimeout
        /// `flush` or `waitForOffset` gave up waiting.
        case flushTimeout
        /// The server sent something the protocol does not allow.
        case unexpectedResponse
        /// The caller asked for something invalid (bad table name, oversized request, …).
        case invalidArgument
        /// The stream was closed, or failed terminally, before the operation could complete.
        case streamClosed
    }

    public var code: Code
    public var message: String
    /// Set when the error was decided by the client, overriding the code's default class.
    private var retryableOverride: Bool?

    public init(_ code: Code, _ message: String, retryable: Bool? = nil) {
        self.code = code
        self.message = message
        self.retryableOverride = retryable
    }

    /// What a gRPC status means to a Zerobus client (ZEROBUS_PROTOCOL.md §4). The one place
    /// that classifies codes: retry, auth and data-error decisions all read it.
    public enum StatusClass: Sendable, Hashable {
        /// Transient (UNAVAILABLE, INTERNAL, RESOURCE_EXHAUSTED, …): reconnect and resend.
        case transient
        /// UNAUTHENTICATED or PERMISSION_DENIED: the token may be stale; mint a new one once.
        case authRejected
        /// INVALID_ARGUMENT or OUT_OF_RANGE: the server refuses the records themselves, so
        /// resending them cannot help (a caller isolates and sets aside the bad ones).
        case dataRejected
        /// NOT_FOUND or UNIMPLEMENTED: the table or the method is wrong; retrying cannot help.
        case misconfigured
    }

    public static func classify(_ status: GRPCStatus.Code) -> StatusClass {
        switch status {
        case .unauthenticated, .permissionDenied: .authRejected
        case .invalidArgument, .outOfRange: .dataRejected
        case .notFound, .unimplemented: .misconfigured
        default: .transient
        }
    }

    /// The class of a gRPC failure; nil for client-side errors.
    public var statusClass: StatusClass? {
        if case .grpcStatus(let status) = code { Self.classify(status) } else { nil }
    }

    public var isRetryable: Bool {
        if let retryableOverride { return retryableOverride }
        switch code {
        case .grpcStatus: return statusClass == .transient
        case .transport, .ackTimeout, .createTimeout, .unexpectedResponse, .tokenFetch: return true
        case .invalidArgument, .streamClosed, .flushTimeout, .untrustedCertificate: return false
        }
    }

    /// UNAUTHENTICATED or PERMISSION_DENIED: the token may be stale and is re-minted once.
    public var isAuthRejection: Bool { statusClass == .authRejected }

    /// INVALID_ARGUMENT or OUT_OF_RANGE: the records of the failed request were refused.
    public var isDataRejection: Bool { statusClass == .dataRejected }

    public var description: String {
        switch code {
        case .grpcStatus(let status): return "\(status): \(message)"
        case .untrustedCertificate: return "server certificate not trusted: \(message)"
        default: return message
        }
    }

    static func from(_ status: GRPCStatus) -> ZerobusError {
        ZerobusError(.grpcStatus(status.code), status.message.isEmpty ? "stream ended" : status.message)
    }

    static func from(_ error: TransportError) -> ZerobusError {
        error.kind == .certificateVerification
            ? ZerobusError(.untrustedCertificate, error.message)
            : ZerobusError(.transport, error.description)
    }
}
