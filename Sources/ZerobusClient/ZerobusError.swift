import GRPCTransport

/// An error from the Zerobus client. Every error answers ``isRetryable``: the stream
/// recovers by itself from retryable errors and surfaces non-retryable ones once.
///
/// Messages never contain secrets (tokens, client secrets, authorization headers).
public struct ZerobusError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Code: Sendable, Hashable {
        /// The server ended the RPC with this gRPC status code.
        case grpcStatus(Int)
        /// TCP, DNS, proxy, TLS or HTTP/2 failure.
        case transport
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

    /// gRPC codes after which retrying cannot help (ZEROBUS_PROTOCOL.md §4).
    public static let nonRetryableGRPCCodes: Set<Int> = [3, 5, 7, 11, 12, 16]

    public var isRetryable: Bool {
        if let retryableOverride { return retryableOverride }
        switch code {
        case .grpcStatus(let status): return !Self.nonRetryableGRPCCodes.contains(status)
        case .transport, .ackTimeout, .createTimeout, .unexpectedResponse, .tokenFetch: return true
        case .invalidArgument, .streamClosed, .flushTimeout: return false
        }
    }

    /// UNAUTHENTICATED or PERMISSION_DENIED: the token may be stale and is re-minted once.
    public var isAuthRejection: Bool {
        code == .grpcStatus(16) || code == .grpcStatus(7)
    }

    public var description: String {
        switch code {
        case .grpcStatus(let status): return "\(GRPCCodeName.name(of: status)) (\(status)): \(message)"
        default: return message
        }
    }

    static func from(_ status: GRPCStatus) -> ZerobusError {
        ZerobusError(.grpcStatus(status.code), status.message.isEmpty ? "stream ended" : status.message)
    }

    static func from(_ error: TransportError) -> ZerobusError {
        // A certificate that does not verify will not verify on the next attempt either,
        // but an operator may fix the trust store while we wait: keep retrying (with backoff).
        ZerobusError(.transport, error.description)
    }
}

/// Canonical gRPC status code names, for messages people read.
enum GRPCCodeName {
    static let names = [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
        "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
        "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
        "UNAUTHENTICATED",
    ]

    static func name(of code: Int) -> String {
        names.indices.contains(code) ? names[code] : "CODE_\(code)"
    }
}
