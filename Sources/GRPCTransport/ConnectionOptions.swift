/// Which HTTP CONNECT proxy to tunnel through.
public enum ProxySetting: Sendable, Hashable {
    /// gRPC-core rules: first non-empty of `grpc_proxy`, `GRPC_PROXY`, `https_proxy`, `HTTPS_PROXY`,
    /// `http_proxy`, `HTTP_PROXY`; bypassed by `no_grpc_proxy`, `NO_GRPC_PROXY`, `no_proxy`, `NO_PROXY`.
    /// (``HTTP1Client`` uses curl/reqwest rules instead; see ``HTTP1Client``.)
    case fromEnvironment
    /// Connect directly.
    case none
    /// Always use this proxy: `http://[user:pass@]host[:port]` (port defaults to 80).
    case url(String)
}

/// How to reach and trust a server. The defaults suit a production endpoint with a public certificate.
public struct ConnectionOptions: Sendable {
    /// Deadline for the whole dial: TCP connect (all addresses), proxy tunnel and TLS handshake.
    /// Name resolution uses the system resolver and its own timeouts.
    public var connectTimeout: Duration = .seconds(10)
    /// A PEM bundle whose certificates are added to the trust anchors.
    public var extraCAFile: String? = nil
    /// Trust `/etc/ssl/certs/ca-certificates.crt` (Debian's system bundle).
    public var useSystemTrustStore: Bool = true
    /// The name used for SNI and certificate verification instead of the endpoint host.
    ///
    /// Needed when dialling an IP address: mbedTLS 2.28 matches only DNS names (dNSName SANs or the
    /// CN), never iPAddress SANs, so an IP-literal host without this override verifies only if the
    /// certificate literally lists that IP text as a DNS name.
    public var serverNameOverride: String? = nil
    public var proxy: ProxySetting = .fromEnvironment
    public var userAgent: String = "zerobus-edge"
    /// Largest inbound gRPC message accepted; a bigger one fails the call with RESOURCE_EXHAUSTED (8).
    public var maxInboundMessageSize: Int = 64 << 20

    public init() {}
}

/// One HTTP header or gRPC metadata entry.
public struct HeaderField: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    public var description: String { "\(name): \(value)" }
}

extension Array where Element == HeaderField {
    /// The value of the first field with this (lowercase) name.
    public func first(named name: String) -> String? {
        first(where: { $0.name == name })?.value
    }
}
