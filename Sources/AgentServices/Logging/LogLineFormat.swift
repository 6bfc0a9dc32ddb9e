import AgentCore
import EdgeSupport
import Logging

/// The text of one log line, without the trailing line feed (see `StderrLogHandler`).
enum LogLineFormat {
    /// Substrings of metadata keys whose values are never written.
    static let secretKeyFragments = [
        "password", "passwd", "secret", "token", "authorization", "credential", "api_key", "apikey", "cookie",
    ]

    static func line(
        level: Logger.Level, label: String, message: String, metadata: Logger.Metadata, style: StderrLogHandler.Style,
        epochMicros: Int64
    ) -> String {
        var line: String
        switch style {
        case .journal: line = "<\(syslogPriority(level))>"
        case .timestamped: line = ISO8601UTC.format(epochMicros: epochMicros, fractionalDigits: 3) + " "
        }
        line += "\(level.rawValue) \(label): \(escapeLineBreaks(message))"
        for key in metadata.keys.sorted() {
            let value = isSecret(key) ? "***" : render(metadata[key]!)
            line += " \(escapeLineBreaks(key))=\(quoteIfNeeded(value))"
        }
        return line
    }

    /// RFC 5424 severities as journald reads them from `<N>` prefixes.
    static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    static func isSecret(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return secretKeyFragments.contains { lowered.contains($0) }
    }

    /// Nested values keep swift-log's rendering, with secret keys of dictionaries masked too.
    static func render(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let text): return text
        case .stringConvertible(let convertible): return convertible.description
        case .array(let elements): return "[" + elements.map(render).joined(separator: ", ") + "]"
        case .dictionary(let entries):
            let rendered = entries.keys.sorted().map { key in
                "\(key): \(isSecret(key) ? "***" : render(entries[key]!))"
            }
            return "[" + rendered.joined(separator: ", ") + "]"
        }
    }

    /// Quotes values containing spaces, quotes, `=`, control characters, or nothing at all,
    /// escaped as a JSON string (backslash, quote and control characters).
    static func quoteIfNeeded(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.unicodeScalars.contains { scalar in
            scalar == " " || scalar == "\"" || scalar == "=" || scalar.value < 0x20 || scalar.value == 0x7F
        }
        guard needsQuotes else { return value }
        return JSONString.quoted(value)
    }

    static func escapeLineBreaks(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0 == "\n" || $0 == "\r" }) else { return text }
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}
