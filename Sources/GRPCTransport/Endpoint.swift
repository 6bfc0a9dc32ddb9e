/// Where to connect: scheme, host and port. The scheme alone decides the transport.
public struct Endpoint: Sendable, Hashable {
    public enum Scheme: Sendable, Hashable {
        /// TLS with ALPN (h2 for HTTP/2).
        case https
        /// Cleartext; for HTTP/2 this is h2c with prior knowledge (no Upgrade dance).
        case http
    }

    public var scheme: Scheme
    /// Host name or IP literal, without brackets for IPv6.
    public var host: String
    public var port: Int

    public init(scheme: Scheme, host: String, port: Int) {
        self.scheme = scheme
        self.host = host
        self.port = port
    }

    /// Parses `[scheme://]host[:port][/path]`. A missing scheme means `https`; default ports are
    /// 443 and 80; IPv6 literals are written in brackets (`[::1]:8443`); any path is ignored.
    public init(parsing url: String) throws(TransportError) {
        self = try ParsedURL(parsing: url).endpoint
    }

    /// `host:port` as sent in `:authority`, `Host` and `CONNECT` (IPv6 literals in brackets).
    public var authority: String { "\(bracketedHost):\(port)" }

    /// True when `host` is an IPv4 or IPv6 literal rather than a DNS name.
    public var hostIsIPLiteral: Bool { IPLiteral.isIPLiteral(host) }

    var bracketedHost: String { host.contains(":") ? "[\(host)]" : host }

    var defaultPort: Int { scheme == .https ? 443 : 80 }
}

/// A URL split into the endpoint and the request target (`/path?query`), for HTTP/1.1 requests.
struct ParsedURL: Hashable {
    var endpoint: Endpoint
    /// Path plus query, always starting with `/`.
    var requestTarget: String

    init(parsing url: String) throws(TransportError) {
        var rest = Substring(url.trimmingWhitespace())
        var scheme = Endpoint.Scheme.https
        if let range = rest.firstRange(of: "://") {
            switch rest[..<range.lowerBound].lowercased() {
            case "https": scheme = .https
            case "http": scheme = .http
            case let other: throw TransportError(.invalidEndpoint, "unsupported URL scheme '\(other)' in '\(url)'")
            }
            rest = rest[range.upperBound...]
        }
        let targetStart = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[..<targetStart]
        var target = String(rest[targetStart...])
        if let hash = target.firstIndex(of: "#") { target = String(target[..<hash]) }
        if target.isEmpty || target.first == "?" { target = "/" + target }
        if authority.contains("@") {
            throw TransportError(.invalidEndpoint, "credentials in the URL are not supported: '\(url)'")
        }
        let (host, port) = try splitHostPort(authority, in: url)
        let endpoint = Endpoint(scheme: scheme, host: host, port: 0)
        self.endpoint = Endpoint(scheme: scheme, host: host, port: port ?? endpoint.defaultPort)
        self.requestTarget = target
    }
}

/// Splits `host[:port]` / `[v6][:port]`; the host is returned without brackets.
func splitHostPort(_ authority: Substring, in url: String) throws(TransportError) -> (host: String, port: Int?) {
    var host: Substring
    var portText: Substring?
    if authority.hasPrefix("[") {
        guard let close = authority.firstIndex(of: "]") else {
            throw TransportError(.invalidEndpoint, "unterminated IPv6 literal in '\(url)'")
        }
        host = authority[authority.index(after: authority.startIndex)..<close]
        let after = authority[authority.index(after: close)...]
        if !after.isEmpty {
            guard after.first == ":" else { throw TransportError(.invalidEndpoint, "unexpected text after ']' in '\(url)'") }
            portText = after.dropFirst()
        }
    } else if let colon = authority.lastIndex(of: ":") {
        host = authority[..<colon]
        portText = authority[authority.index(after: colon)...]
        if host.contains(":") {
            throw TransportError(.invalidEndpoint, "IPv6 literals must be written in brackets: '\(url)'")
        }
    } else {
        host = authority
    }
    guard !host.isEmpty else { throw TransportError(.invalidEndpoint, "missing host in '\(url)'") }
    var port: Int?
    if let portText {
        guard let value = Int(portText), (1...65535).contains(value) else {
            throw TransportError(.invalidEndpoint, "invalid port '\(portText)' in '\(url)'")
        }
        port = value
    }
    return (String(host), port)
}

enum IPLiteral {
    static func isIPLiteral(_ host: String) -> Bool { isIPv4(host) || host.contains(":") }

    static func isIPv4(_ host: String) -> Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCIIDigit) && Int(part)! <= 255
        }
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and line breaks.
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[start...end])
    }
}
