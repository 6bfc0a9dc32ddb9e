// The four string forms: "basic" (escapes), 'literal' (verbatim), and their
// """multi-line""" / '''multi-line''' variants. Each starts with `index` on the
// opening quote and ends just past the closing one.

extension TOMLParser {
    private static let quote = UInt8(ascii: "\"")
    private static let apostrophe = UInt8(ascii: "'")
    private static let backslash = UInt8(ascii: "\\")
    private static let lineFeed = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")

    /// `"..."`: one line, with escapes.
    mutating func parseBasicString() throws(TOMLError) -> String {
        let open = here()
        index += 1
        var decoded: [UInt8] = []
        var runStart = index
        while true {
            guard index < bytes.count else { throw unterminatedString(open, "\"") }
            let byte = bytes[index]
            if byte == Self.quote {
                decoded.append(contentsOf: bytes[runStart..<index])
                index += 1
                return String(decoding: decoded, as: UTF8.self)
            } else if byte == Self.backslash {
                decoded.append(contentsOf: bytes[runStart..<index])
                try parseEscape(into: &decoded)
                runStart = index
            } else if byte == Self.lineFeed || byte == Self.carriageReturn {
                throw unterminatedString(open, "\"")
            } else if Self.isForbiddenControl(byte) {
                throw forbiddenControlInString()
            } else {
                index += 1
            }
        }
    }

    /// `'...'`: one line, taken verbatim.
    mutating func parseLiteralString() throws(TOMLError) -> String {
        let open = here()
        index += 1
        let start = index
        while true {
            guard index < bytes.count else { throw unterminatedString(open, "'") }
            let byte = bytes[index]
            if byte == Self.apostrophe {
                index += 1
                return String(decoding: bytes[start..<(index - 1)], as: UTF8.self)
            } else if byte == Self.lineFeed || byte == Self.carriageReturn {
                throw unterminatedString(open, "'")
            } else if Self.isForbiddenControl(byte) {
                throw forbiddenControlInString()
            }
            index += 1
        }
    }

    /// `"""..."""`: escapes, newlines, and a backslash at the end of a line that swallows
    /// the line break and the leading whitespace of the following lines.
    mutating func parseMultilineBasicString() throws(TOMLError) -> String {
        try parseMultiline(delimiter: Self.quote)
    }

    /// `'''...'''`: newlines allowed, no escapes.
    mutating func parseMultilineLiteralString() throws(TOMLError) -> String {
        try parseMultiline(delimiter: Self.apostrophe)
    }

    private mutating func parseMultiline(delimiter: UInt8) throws(TOMLError) -> String {
        let open = here()
        let escapes = delimiter == Self.quote
        index += 3
        _ = try consumeNewline()  // a newline right after the opening delimiter is not content
        var decoded: [UInt8] = []
        var runStart = index
        while true {
            guard index < bytes.count else {
                let closing = String(repeating: Character(Unicode.Scalar(delimiter)), count: 3)
                throw error(
                    "unterminated multi-line string: missing closing \(closing) for the string that starts here",
                    at: open
                )
            }
            let byte = bytes[index]
            if byte == delimiter {
                var count = 1
                while peek(count) == delimiter { count += 1 }
                if count < 3 {
                    index += count
                    continue
                }
                if count > 5 {
                    throw error(
                        "too many quotes: at most two extra quotes may come before a multi-line string's closing delimiter",
                        at: position(at: index + 5)
                    )
                }
                // Up to two quotes right before the closing delimiter belong to the content.
                decoded.append(contentsOf: bytes[runStart..<(index + count - 3)])
                index += count
                return String(decoding: decoded, as: UTF8.self)
            } else if byte == Self.backslash && escapes {
                decoded.append(contentsOf: bytes[runStart..<index])
                if isLineEndingBackslash() {
                    index += 1
                    while true {
                        skipWhitespace()
                        if try !consumeNewline() { break }
                    }
                } else {
                    try parseEscape(into: &decoded)
                }
                runStart = index
            } else if byte == Self.lineFeed {
                index += 1
                line += 1
                lineStart = index
            } else if byte == Self.carriageReturn {
                // CRLF becomes "\n", so values do not depend on how the file was saved.
                decoded.append(contentsOf: bytes[runStart..<index])
                _ = try consumeNewline()
                decoded.append(Self.lineFeed)
                runStart = index
            } else if Self.isForbiddenControl(byte) {
                throw forbiddenControlInString()
            } else {
                index += 1
            }
        }
    }

    /// A backslash followed by optional spaces/tabs and then a newline.
    private func isLineEndingBackslash() -> Bool {
        var look = index + 1
        while look < bytes.count, bytes[look] == 0x20 || bytes[look] == 0x09 { look += 1 }
        return look < bytes.count && (bytes[look] == Self.lineFeed || bytes[look] == Self.carriageReturn)
    }

    /// An escape sequence at `index` (on the backslash), appended as UTF-8.
    private mutating func parseEscape(into decoded: inout [UInt8]) throws(TOMLError) {
        let start = index
        guard let code = peek(1) else { throw error("unterminated string: it ends with a lone '\\'") }
        index += 2
        switch code {
        case UInt8(ascii: "b"): decoded.append(0x08)
        case UInt8(ascii: "t"): decoded.append(0x09)
        case UInt8(ascii: "n"): decoded.append(0x0A)
        case UInt8(ascii: "f"): decoded.append(0x0C)
        case UInt8(ascii: "r"): decoded.append(0x0D)
        case Self.quote: decoded.append(Self.quote)
        case Self.backslash: decoded.append(Self.backslash)
        case UInt8(ascii: "u"): try parseUnicodeEscape(digits: 4, start: start, into: &decoded)
        case UInt8(ascii: "U"): try parseUnicodeEscape(digits: 8, start: start, into: &decoded)
        default:
            let shown = code == Self.lineFeed || code == Self.carriageReturn ? "a line break" : describeCharacter(at: start + 1)
            throw error(
                "invalid escape: '\\' followed by \(shown); valid escapes are \\b \\t \\n \\f \\r \\\" \\\\ "
                    + "\\uXXXX and \\UXXXXXXXX (a backslash before a line break only works in \"\"\" strings)",
                at: position(at: start)
            )
        }
    }

    private mutating func parseUnicodeEscape(digits: Int, start: Int, into decoded: inout [UInt8]) throws(TOMLError) {
        let letter = digits == 4 ? "u" : "U"
        var value: UInt32 = 0
        for _ in 0..<digits {
            guard let byte = peek(), let digit = Self.hexDigitValue(byte) else {
                throw error(
                    "invalid escape: \\\(letter) must be followed by exactly \(digits) hexadecimal digits",
                    at: position(at: start)
                )
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        guard let scalar = Unicode.Scalar(value) else {
            throw error(
                "invalid escape: \(Self.codePoint(value)) is not a Unicode scalar value "
                    + "(surrogates D800-DFFF and values above 10FFFF are not allowed)",
                at: position(at: start)
            )
        }
        UTF8.encode(scalar) { decoded.append($0) }
    }

    static func hexDigitValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private func unterminatedString(_ open: TOMLPosition, _ quote: String) -> TOMLError {
        error("unterminated string: missing closing \(quote) on the line where the string starts", at: open)
    }

    private func forbiddenControlInString() -> TOMLError {
        error("\(describeCharacter()) is not allowed in a string; write it as an escape (e.g. \\u0007)")
    }
}
