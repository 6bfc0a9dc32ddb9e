import EdgeSupport
/// A strict RFC 8259 JSON parser over raw bytes, without Foundation. It runs once per MQTT message,
/// so it works on an `UnsafeBufferPointer`, builds strings straight from the input when they contain
/// no escapes, and converts most numbers without going through text.
public enum JSONParser {
    /// Deepest nesting of arrays/objects accepted; deeper documents are rejected rather than
    /// risking the stack on hostile payloads.
    public static let defaultMaxDepth = 64

    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(JSONParseError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { (buffer) throws(JSONParseError) -> JSONValue in
            try parse(buffer, maxDepth: maxDepth)
        }
    }

    public static func parse(
        _ buffer: UnsafeBufferPointer<UInt8>,
        maxDepth: Int = defaultMaxDepth
    ) throws(JSONParseError) -> JSONValue {
        var scanner = JSONScanner(bytes: buffer, maxDepth: maxDepth)
        scanner.skipWhitespace()
        let value = try scanner.parseValue(depth: 0)
        scanner.skipWhitespace()
        if scanner.offset != buffer.count {
            throw JSONParseError(offset: scanner.offset, message: "unexpected \(scanner.describeCurrent()) after the JSON value")
        }
        return value
    }

    /// Parses `bytes` as exactly one JSON number (no surrounding whitespace), or returns nil.
    public static func parseNumber(_ buffer: UnsafeBufferPointer<UInt8>) -> JSONNumber? {
        guard let first = buffer.first, first == UInt8(ascii: "-") || (first >= 0x30 && first <= 0x39) else {
            return nil
        }
        var scanner = JSONScanner(bytes: buffer, maxDepth: 0)
        guard let number = try? scanner.parseNumber(), scanner.offset == buffer.count else { return nil }
        return number
    }
}

/// A syntax error, with the byte offset (0-based) where it was detected.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public var offset: Int
    public var message: String
    public var description: String { "invalid JSON at byte \(offset): \(message)" }
}

struct JSONScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var offset = 0

    init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    func describeCurrent() -> String {
        guard offset < bytes.count else { return "end of input" }
        let byte = bytes[offset]
        if byte >= 0x21 && byte < 0x7F { return "character '\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x" + String(byte, radix: 16)
    }

    mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0A, 0x0D: offset += 1
            default: return
            }
        }
    }

    func error(_ message: String) -> JSONParseError {
        JSONParseError(offset: offset, message: message)
    }

    mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard offset < bytes.count else { throw error("unexpected end of input, expected a value") }
        switch bytes[offset] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error("unexpected \(describeCurrent()), expected a value")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        let start = literal.utf8Start
        guard offset + count <= bytes.count else { throw error("invalid literal, expected '\(literal)'") }
        for index in 0..<count where bytes[offset + index] != start[index] {
            throw error("invalid literal, expected '\(literal)'")
        }
        offset += count
    }

    private mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        if depth > maxDepth { throw error("nesting deeper than \(maxDepth) levels") }
        offset += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if offset < bytes.count && bytes[offset] == UInt8(ascii: "]") {
            offset += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            guard offset < bytes.count else { throw error("unexpected end of input in array") }
            switch bytes[offset] {
            case UInt8(ascii: ","): offset += 1
            case UInt8(ascii: "]"): offset += 1; return .array(elements)
            default: throw error("unexpected \(describeCurrent()) in array, expected ',' or ']'")
            }
        }
    }

    private mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        if depth > maxDepth { throw error("nesting deeper than \(maxDepth) levels") }
        offset += 1  // {
        var members: [JSONObject.Member] = []
        // Keys seen, once the object is large enough that scanning `members` would be quadratic.
        var seenKeys: Set<String>?
        skipWhitespace()
        if offset < bytes.count && bytes[offset] == UInt8(ascii: "}") {
            offset += 1
            return .object(JSONObject(members))
        }
        while true {
            skipWhitespace()
            guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else {
                throw error("unexpected \(describeCurrent()) in object, expected a string key")
            }
            let keyOffset = offset
            let key = try parseString()
            if Self.isDuplicate(key, in: members, seen: &seenKeys) {
                throw JSONParseError(offset: keyOffset, message: "duplicate key \"\(key)\" in object")
            }
            skipWhitespace()
            guard offset < bytes.count, bytes[offset] == UInt8(ascii: ":") else {
                throw error("unexpected \(describeCurrent()) after object key, expected ':'")
            }
            offset += 1
            skipWhitespace()
            members.append(JSONObject.Member(key: key, value: try parseValue(depth: depth)))
            skipWhitespace()
            guard offset < bytes.count else { throw error("unexpected end of input in object") }
            switch bytes[offset] {
            case UInt8(ascii: ","): offset += 1
            case UInt8(ascii: "}"): offset += 1; return .object(JSONObject(members))
            default: throw error("unexpected \(describeCurrent()) in object, expected ',' or '}'")
            }
        }
    }

    /// Duplicate keys are refused rather than resolved: RFC 8259 leaves their meaning open, and
    /// senders disagree (first wins in some, last in others), so a row built from either value
    /// could be the wrong reading. The payload is quarantined with the key named instead.
    private static func isDuplicate(_ key: String, in members: [JSONObject.Member], seen: inout Set<String>?) -> Bool {
        if seen == nil {
            if members.count < 16 { return members.contains { $0.key == key } }
            seen = Set(members.map(\.key))
        }
        return !seen!.insert(key).inserted
    }

    /// Parses a string starting at its opening quote. Strings without escapes are decoded straight
    /// from the input; the first backslash switches to the copying slow path.
    mutating func parseString() throws(JSONParseError) -> String {
        let quoteOffset = offset
        offset += 1
        let start = offset
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                let text = try makeString(UnsafeBufferPointer(rebasing: bytes[start..<offset]), startedAt: quoteOffset)
                offset += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { return try parseEscapedString(contentStart: start, quoteOffset: quoteOffset) }
            if byte < 0x20 { throw error("unescaped control character in string") }
            offset += 1
        }
        throw JSONParseError(offset: quoteOffset, message: "unterminated string")
    }

    private func makeString(_ utf8: UnsafeBufferPointer<UInt8>, startedAt quoteOffset: Int) throws(JSONParseError) -> String {
        guard let text = UTF8Validation.string(utf8) else {
            throw JSONParseError(offset: quoteOffset, message: "string is not valid UTF-8")
        }
        return text
    }
}
