// The byte cursor shared by all parts of the parser: position tracking, whitespace,
// comments, newlines and error construction. The grammar lives in the extensions
// (TOMLParser+Document, +Strings, +Numbers, +DateTime).

/// A single-pass TOML parser over UTF-8 bytes. The bytes are already valid UTF-8
/// (a Swift String, or checked by `TOMLUTF8Check`), so only TOML's own rules are
/// checked here.
struct TOMLParser {
    let bytes: [UInt8]
    /// Offset of the next unread byte.
    var index = 0
    /// 1-based line of `index`, and the offset where that line starts; kept up to date
    /// by `consumeNewline()` so positions cost only a scan of the current line.
    var line = 1
    var lineStart = 0
    /// Nesting of arrays and inline tables, capped so hostile input cannot overflow the stack.
    var depth = 0
    static let maximumDepth = 128
    /// The document being built, and the table that key/value lines currently go to
    /// (the root, or the table opened by the last header).
    let root: TableBuilder
    var current: TableBuilder

    init(bytes: [UInt8]) {
        self.bytes = bytes
        root = TableBuilder(origin: .root, path: [], position: TOMLPosition(line: 1, column: 1), keyPosition: nil)
        current = root
    }

    // MARK: Reading

    var atEnd: Bool { index >= bytes.count }

    /// The byte `offset` places ahead, or nil past the end.
    @inline(__always)
    func peek(_ offset: Int = 0) -> UInt8? {
        let position = index + offset
        return position < bytes.count ? bytes[position] : nil
    }

    @inline(__always)
    func next(is ascii: Unicode.Scalar) -> Bool {
        peek() == UInt8(ascii: ascii)
    }

    /// The position of `index`.
    func here() -> TOMLPosition {
        position(at: index)
    }

    /// The position of a byte offset on the current line (not before `lineStart`).
    func position(at offset: Int) -> TOMLPosition {
        var column = 1
        var scan = lineStart
        while scan < offset {
            if bytes[scan] & 0xC0 != 0x80 { column += 1 }  // skip UTF-8 continuation bytes
            scan += 1
        }
        return TOMLPosition(line: line, column: column)
    }

    func error(_ message: String, at position: TOMLPosition? = nil) -> TOMLError {
        TOMLError(position: position ?? here(), message: message)
    }

    // MARK: Whitespace, newlines, comments

    /// Skips spaces and tabs.
    mutating func skipWhitespace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 {
            index += 1
        }
    }

    /// Consumes LF or CRLF and returns true; returns false (consuming nothing) if the next
    /// byte is not a newline. A CR without LF is an error.
    mutating func consumeNewline() throws(TOMLError) -> Bool {
        guard let byte = peek() else { return false }
        if byte == UInt8(ascii: "\n") {
            index += 1
        } else if byte == UInt8(ascii: "\r") {
            guard peek(1) == UInt8(ascii: "\n") else {
                throw error("carriage return (U+000D) must be followed by a line feed")
            }
            index += 2
        } else {
            return false
        }
        line += 1
        lineStart = index
        return true
    }

    /// If a comment starts here, consumes it up to (not including) the end of the line.
    mutating func skipComment() throws(TOMLError) {
        guard next(is: "#") else { return }
        index += 1
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") { return }
            if Self.isForbiddenControl(byte) {
                throw error("\(describeCharacter()) is not allowed in a comment")
            }
            index += 1
        }
    }

    /// Skips whitespace, comments and newlines (inside arrays).
    mutating func skipWhitespaceCommentsAndNewlines() throws(TOMLError) {
        while true {
            skipWhitespace()
            try skipComment()
            if try !consumeNewline() { return }
        }
    }

    /// After a key/value pair or a table header: optional whitespace and comment, then a
    /// newline or the end of the document.
    mutating func expectEndOfLine(after what: @autoclosure () -> String) throws(TOMLError) {
        skipWhitespace()
        try skipComment()
        if atEnd { return }
        if try consumeNewline() { return }
        throw error("unexpected \(describeCharacter()) after \(what()); expected a new line or a comment")
    }

    // MARK: Characters

    /// Control characters TOML forbids in comments and strings: all of C0 except tab,
    /// plus DEL. (Newlines are handled by the callers before this check.)
    @inline(__always)
    static func isForbiddenControl(_ byte: UInt8) -> Bool {
        (byte < 0x20 && byte != 0x09) || byte == 0x7F
    }

    @inline(__always)
    static func isBareKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }

    /// The character at `index` for a message: `'x'`, `'é'`, or `U+0007` for controls,
    /// `end of file` past the end.
    func describeCharacter(at offset: Int? = nil) -> String {
        let offset = offset ?? index
        guard offset < bytes.count else { return "end of file" }
        let lead = bytes[offset]
        if lead < 0x80 {
            if lead == UInt8(ascii: "\n") || lead == UInt8(ascii: "\r") { return "end of line" }
            if Self.isForbiddenControl(lead) || lead == 0x09 { return "control character \(Self.codePoint(UInt32(lead)))" }
            if lead == UInt8(ascii: "'") { return "\"'\"" }
            return "'\(Character(Unicode.Scalar(lead)))'"
        }
        var end = offset + 1
        while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
        let text = String(decoding: bytes[offset..<end], as: UTF8.self)
        let scalar = text.unicodeScalars.first.map { Self.codePoint($0.value) } ?? ""
        return "'\(text)' (\(scalar))"
    }

    /// `U+00E9` style.
    static func codePoint(_ value: UInt32) -> String {
        let hex = String(value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
