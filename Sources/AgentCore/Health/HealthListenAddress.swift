#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `health.http_listen`: where the health HTTP server listens, `"127.0.0.1:9464"` or
/// `"[::1]:9464"`. `localhost` means `127.0.0.1`. Port 0 asks the kernel for a free port.
///
/// Only numeric addresses (and `localhost`) are accepted: the server must not depend on name
/// resolution, and a health endpoint is meant to stay on loopback or a known interface.
public struct HealthListenAddress: Sendable, Hashable, CustomStringConvertible {
    public enum Family: Sendable, Hashable {
        case ipv4
        case ipv6
    }

    /// The numeric host without brackets (`127.0.0.1`, `::1`).
    public var host: String
    public var family: Family
    public var port: Int

    public init(host: String, family: Family, port: Int) {
        self.host = host
        self.family = family
        self.port = port
    }

    public static let loopbackDefault = HealthListenAddress(host: "127.0.0.1", family: .ipv4, port: 9464)

    /// `127.0.0.1:9464` / `[::1]:9464`, the way the setting is written.
    public var description: String {
        family == .ipv6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Parses the setting; returns nil for `""` (the server is disabled).
    public static func parse(_ text: String) throws(HealthListenAddressError) -> HealthListenAddress? {
        if text.isEmpty { return nil }
        let host: Substring
        let portText: Substring
        let family: Family
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw HealthListenAddressError(text, "expected [IPv6]:port")
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
            family = .ipv6
            guard host.contains(":"), isNumeric(host, family: AF_INET6) else {
                throw HealthListenAddressError(text, "\"\(host)\" is not an IPv6 address")
            }
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw HealthListenAddressError(text, "expected host:port")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            family = .ipv4
            guard host == "localhost" || isIPv4(host) else {
                if host.contains(":") {
                    throw HealthListenAddressError(text, "write IPv6 addresses in brackets, e.g. [::1]:9464")
                }
                throw HealthListenAddressError(text, "\"\(host)\" is not a numeric IPv4 address or localhost")
            }
        }
        guard portText.allSatisfy({ $0.isASCII && $0.isNumber }), let port = Int(portText), port <= 65_535 else {
            throw HealthListenAddressError(text, "port must be a number from 0 to 65535")
        }
        return HealthListenAddress(host: host == "localhost" ? "127.0.0.1" : String(host), family: family, port: port)
    }

    private static func isIPv4(_ text: Substring) -> Bool {
        isNumeric(text, family: AF_INET)
    }

    /// Decided by `inet_pton`, the call the listener binds with, so that what `check-config`
    /// accepts is exactly what `run` can bind: a hand-written check let "01.1.1.1" through
    /// (inet_pton refuses leading zeros, which some tools read as octal) and the agent then
    /// failed at start-up.
    static func isNumeric(_ text: Substring, family: Int32) -> Bool {
        var storage = in6_addr()  // large enough for either family
        return inet_pton(family, String(text), &storage) == 1
    }
}

/// A malformed `health.http_listen` value.
public struct HealthListenAddressError: Error, Sendable, Equatable, CustomStringConvertible {
    public var text: String
    public var reason: String

    public init(_ text: String, _ reason: String) {
        self.text = text
        self.reason = reason
    }

    public var description: String { "health.http_listen \"\(text)\": \(reason)" }
}
