/// A failure of the transport: resolving, connecting, the proxy tunnel, TLS, or the HTTP/2 session.
///
/// `message` is meant for humans and logs; it never contains credentials (proxy passwords, tokens).
public struct TransportError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, coarse enough to branch on.
    public enum Kind: Sendable, Hashable {
        /// The URL or host could not be understood.
        case invalidEndpoint
        /// Name resolution (getaddrinfo) failed.
        case dns
        /// No address accepted the TCP connection.
        case connect
        /// A deadline passed (connect, handshake, tunnel or HTTP/1.1 request).
        case timeout
        /// The proxy setting was unusable or the proxy refused the CONNECT tunnel.
        case proxy
        /// The TLS handshake failed for a reason other than certificate verification.
        case tlsHandshake
        /// The server certificate did not verify against the trust anchors or the expected name.
        case certificateVerification
        /// The TLS server did not select the required application protocol (h2).
        case alpn
        /// A socket read or write failed, or the peer closed the connection unexpectedly.
        case io
        /// The peer violated HTTP/1.1, HTTP/2 or gRPC framing rules.
        case protocolError
        /// The connection is closed (or going away) and cannot be used any more.
        case closed
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(kind): \(message)" }
}
