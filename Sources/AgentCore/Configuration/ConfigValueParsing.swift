#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Parsers for the value formats of agent.toml (sizes, durations, URLs, host:port, table names).
/// Pure functions returning nil on bad input; callers word the error.
enum ConfigValueParsing {
    /// "4MiB", "512 MiB", "1GB", "1048576", "64k": decimal units (k, kb, mb, gb, tb = 1000^n) and
    /// binary units (kib, mib, gib, tib = 1024^n), case-insensitive. Whole numbers only.
    static func byteSize(_ text: String) -> Int64? {
        let trimmed = text.trimmingASCIISpaces()
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let number = Int64(digits) else { return nil }
        let unit = trimmed.dropFirst(digits.count).trimmingASCIISpaces().lowercased()
        let multiplier: Int64
        switch unit {
        case "", "b": multiplier = 1
        case "k", "kb": multiplier = 1000
        case "ki", "kib": multiplier = 1 << 10
        case "m", "mb": multiplier = 1_000_000
        case "mi", "mib": multiplier = 1 << 20
        case "g", "gb": multiplier = 1_000_000_000
        case "gi", "gib": multiplier = 1 << 30
        case "t", "tb": multiplier = 1_000_000_000_000
        case "ti", "tib": multiplier = 1 << 40
        default: return nil
        }
        let (product, overflow) = number.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : product
    }

    /// "500ms", "45s", "30m", "12h", "7d", "1h30m"; a bare number is seconds.
    static func duration(_ text: String) -> Duration? {
        var rest = Substring(text.trimmingASCIISpaces())
        guard !rest.isEmpty else { return nil }
        if let seconds = Int64(rest) { return .seconds(seconds) }
        var total = Duration.zero
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, let number = Int64(digits), number < 1 << 40 else { return nil }
            rest = rest.dropFirst(digits.count)
            let unit = rest.prefix { $0.isASCII && $0.isLetter }
            rest = rest.dropFirst(unit.count)
            switch unit {
            case "ms": total += .milliseconds(number)
            case "s": total += .seconds(number)
            case "m": total += .seconds(number * 60)
            case "h": total += .seconds(number * 3600)
            case "d": total += .seconds(number * 86_400)
            default: return nil
            }
        }
        return total
    }

    static func formatBytes(_ bytes: Int64) -> String {
        for (unit, size) in [("GiB", Int64(1) << 30), ("MiB", Int64(1) << 20), ("KiB", Int64(1) << 10)]
        where bytes >= size && bytes % size == 0 {
            return "\(bytes / size) \(unit)"
        }
        return bytes == 1 ? "1 byte" : "\(bytes) bytes"
    }

    static func formatDuration(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        for (unit, size) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1000)]
        where milliseconds >= size && milliseconds % size == 0 {
            return "\(milliseconds / size)\(unit)"
        }
        return "\(milliseconds)ms"
    }

    /// `scheme://host[:port][/]` with a host name, IPv4 address or `[IPv6]` literal.
    /// Returns nil (with a reason) when malformed; user info (`user:pass@`) is refused so that
    /// credentials stay in their own, masked keys.
    static func serviceAddress(
        _ text: String,
        schemes: [(scheme: String, useTLS: Bool, defaultPort: Int)]
    ) -> Result<ServiceAddress, URLProblem> {
        guard let separator = text.firstIndex(of: ":"), text[separator...].hasPrefix("://") else {
            return .failure(.missingScheme)
        }
        let scheme = text[..<separator].lowercased()
        guard let known = schemes.first(where: { $0.scheme == scheme }) else { return .failure(.unsupportedScheme(scheme)) }
        var rest = text[text.index(separator, offsetBy: 3)...]
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        if rest.contains("@") { return .failure(.credentialsInURL) }
        if rest.contains("/") || rest.contains("?") || rest.contains("#") { return .failure(.hasPath) }
        guard let hostPort = hostAndPort(rest, defaultPort: known.defaultPort) else { return .failure(.badHost) }
        // Port 0 means "any port" to bind, but nothing can be reached on it: refused here, not
        // as a connection error after start-up.
        if hostPort.port == 0 { return .failure(.portZero) }
        return .success(ServiceAddress(url: text, useTLS: known.useTLS, host: hostPort.host, port: hostPort.port))
    }

    enum URLProblem: Error, Equatable {
        case missingScheme
        case unsupportedScheme(String)
        case credentialsInURL
        case hasPath
        case badHost
        case portZero
    }

    /// `host:port`, `[v6]:port`, or `host` alone when `defaultPort` is given. Ports 0…65535.
    static func hostAndPort(_ text: Substring, defaultPort: Int?) -> HostPort? {
        var host: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
            guard !host.isEmpty, host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }),
                  HealthListenAddress.isNumeric(host, family: AF_INET6) else { return nil }
        } else {
            if let colon = text.lastIndex(of: ":") {
                host = text[..<colon]
                portText = text[text.index(after: colon)...]
            } else {
                host = text
            }
            guard !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_") })
            else { return nil }
        }
        let port: Int
        if let portText {
            guard !portText.isEmpty, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let parsed = Int(portText), parsed <= 65_535 else { return nil }
            port = parsed
        } else {
            guard let defaultPort else { return nil }
            port = defaultPort
        }
        return HostPort(host: String(host), port: port)
    }

    /// A name of letters, digits and underscores, starting with a letter or underscore.
    static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.utf8.first, first == UInt8(ascii: "_") || isASCIILetter(first) else { return false }
        return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || isASCIILetter($0) || isASCIIDigit($0) }
    }
}

extension StringProtocol {
    func trimmingASCIISpaces() -> SubSequence {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}

/// A network service given as a URL in the configuration (MQTT broker, Zerobus endpoint,
/// workspace URL, proxy).
public struct ServiceAddress: Sendable, Hashable, CustomStringConvertible {
    /// The URL as written (after `${VAR}` interpolation).
    public var url: String
    /// `mqtts`/`https`.
    public var useTLS: Bool
    public var host: String
    public var port: Int

    public init(url: String, useTLS: Bool, host: String, port: Int) {
        self.url = url
        self.useTLS = useTLS
        self.host = host
        self.port = port
    }

    public var description: String { url }
}

/// A `host:port` pair (`127.0.0.1:9464`, `[::1]:9464`).
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// A Unity Catalog table name `catalog.schema.table`; each part ASCII letters, digits, underscores.
public struct TableName: Sendable, Hashable, CustomStringConvertible {
    public var catalog: String
    public var schema: String
    public var table: String

    public init?(parsing text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ part in
            !part.isEmpty && part.utf8.allSatisfy { $0 == UInt8(ascii: "_") || isASCIILetter($0) || isASCIIDigit($0) }
        }) else { return nil }
        catalog = String(parts[0])
        schema = String(parts[1])
        table = String(parts[2])
    }

    public var description: String { "\(catalog).\(schema).\(table)" }
}
