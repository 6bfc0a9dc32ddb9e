// The document grammar: lines of key/value pairs, [table] and [[array]] headers, keys,
// and the structured values (arrays and inline tables).

extension TOMLParser {
    mutating func parseDocument() throws(TOMLError) -> TOMLTable {
        while true {
            skipWhitespace()
            guard let byte = peek() else { break }
            switch byte {
            case UInt8(ascii: "#"):
                try skipComment()
                try expectEndOfLine(after: "comment")
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                _ = try consumeNewline()
            case UInt8(ascii: "["):
                try parseHeader()
            default:
                let keys = try parseKeyValue(into: current)
                try expectEndOfLine(after: "the value of '\(TOMLKeyFormat.path(keys.map(\.name)))'")
            }
        }
        return root.build()
    }

    /// `[a.b]` or `[[a.b]]`, up to the end of its line.
    private mutating func parseHeader() throws(TOMLError) {
        let headerPosition = here()
        let isArray = peek(1) == UInt8(ascii: "[")
        index += isArray ? 2 : 1
        skipWhitespace()
        if next(is: "]") { throw error("empty table name; write a key between the brackets") }
        let keys = try parseKey()
        skipWhitespace()
        let closing = isArray ? "]]" : "]"
        guard next(is: "]"), !isArray || peek(1) == UInt8(ascii: "]") else {
            throw error(
                "expected '\(closing)' to close the table header, found \(describeCharacter())"
                    + (isArray ? "" : "; table names are keys, so '.' separates parts and spaces need quotes")
            )
        }
        index += isArray ? 2 : 1
        var name: String { "\(isArray ? "[[" : "[")\(TOMLKeyFormat.path(keys.map(\.name)))\(closing)" }
        current =
            isArray
            ? try appendTableArrayElement(keys, headerPosition: headerPosition)
            : try defineTable(keys, headerPosition: headerPosition)
        try expectEndOfLine(after: "table header \(name)")
    }

    /// `key = value` into `table`; returns the key path for messages.
    @discardableResult
    mutating func parseKeyValue(into table: TableBuilder) throws(TOMLError) -> [KeySegment] {
        let keys = try parseKey()
        var written: String { TOMLKeyFormat.path(keys.map(\.name)) }
        skipWhitespace()
        guard next(is: "=") else {
            if atEnd || next(is: "\n") || next(is: "\r") || next(is: "#") {
                throw error("expected '=' after key '\(written)'")
            }
            let looksLikeKey = peek().map { Self.isBareKeyByte($0) || $0 >= 0x80 } ?? false
            throw error(
                "expected '=' after key '\(written)', found \(describeCharacter())"
                    + (looksLikeKey ? "; keys with spaces or special characters must be quoted" : "")
            )
        }
        index += 1
        skipWhitespace()
        if atEnd || next(is: "\n") || next(is: "\r") || next(is: "#") {
            throw error("missing value for key '\(written)' after '='")
        }
        let value = try parseValue()
        try insert(value, at: keys, into: table)
        return keys
    }

    /// A possibly dotted key: `a`, `"quoted key"`, `'literal'`, `a . "b" . c`.
    mutating func parseKey() throws(TOMLError) -> [KeySegment] {
        var keys: [KeySegment] = []
        while true {
            keys.append(try parseSimpleKey())
            if keys.count > Self.maximumDepth {
                throw error("key has more than \(Self.maximumDepth) dotted parts", at: keys[0].position)
            }
            skipWhitespace()
            guard next(is: ".") else { return keys }
            index += 1
            skipWhitespace()
        }
    }

    private mutating func parseSimpleKey() throws(TOMLError) -> KeySegment {
        let position = here()
        guard let byte = peek() else { throw error("expected a key, found end of file") }
        if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
            if peek(1) == byte && peek(2) == byte {
                throw error("multi-line strings cannot be used as keys")
            }
            let name = byte == UInt8(ascii: "\"") ? try parseBasicString() : try parseLiteralString()
            return KeySegment(name: name, position: position)
        }
        let start = index
        while let byte = peek(), Self.isBareKeyByte(byte) { index += 1 }
        guard index > start else {
            if byte == UInt8(ascii: "=") { throw error("missing key before '='") }
            throw error(
                "expected a key, found \(describeCharacter()); bare keys may only contain "
                    + "A-Z a-z 0-9 _ -, other keys must be quoted"
            )
        }
        return KeySegment(name: String(decoding: bytes[start..<index], as: UTF8.self), position: position)
    }

    /// Any value; the node's `keyPosition` is filled in by the caller.
    mutating func parseValue() throws(TOMLError) -> TOMLNode {
        let position = here()
        guard let byte = peek() else { throw error("expected a value, found end of file") }
        let value: TOMLValue
        switch byte {
        case UInt8(ascii: "\""):
            value = .string(peek(1) == byte && peek(2) == byte ? try parseMultilineBasicString() : try parseBasicString())
        case UInt8(ascii: "'"):
            value = .string(
                peek(1) == byte && peek(2) == byte ? try parseMultilineLiteralString() : try parseLiteralString()
            )
        case UInt8(ascii: "["):
            value = try parseArray()
        case UInt8(ascii: "{"):
            value = try parseInlineTable()
        default:
            value = try parseScalarToken()
        }
        return TOMLNode(value: value, position: position)
    }

    private mutating func enterNesting() throws(TOMLError) {
        depth += 1
        if depth > Self.maximumDepth {
            throw error("arrays and inline tables are nested more than \(Self.maximumDepth) levels deep")
        }
    }

    /// `[ v, v, ]`: may span lines and hold comments; a trailing comma is allowed.
    private mutating func parseArray() throws(TOMLError) -> TOMLValue {
        let open = here()
        try enterNesting()
        index += 1
        var elements: [TOMLNode] = []
        while true {
            try skipWhitespaceCommentsAndNewlines()
            if next(is: "]") { break }
            if atEnd { throw unterminatedArray(open) }
            if next(is: ",") { throw error("expected a value in the array, found ','") }
            elements.append(try parseValue())
            try skipWhitespaceCommentsAndNewlines()
            if next(is: ",") {
                index += 1
            } else if !next(is: "]") {
                if atEnd { throw unterminatedArray(open) }
                throw error("expected ',' or ']' after an array element, found \(describeCharacter())")
            }
        }
        index += 1
        depth -= 1
        return .array(elements)
    }

    /// `{ k = v, k.j = w }`: on one line (values such as arrays may still span lines),
    /// no trailing comma; complete and immutable once closed.
    private mutating func parseInlineTable() throws(TOMLError) -> TOMLValue {
        let open = here()
        try enterNesting()
        index += 1
        let table = TableBuilder(origin: .inline, path: [], position: open, keyPosition: nil)
        skipWhitespace()
        if next(is: "}") {
            index += 1
            depth -= 1
            return .table(table.build())
        }
        while true {
            skipWhitespace()
            try checkInlineTableContinues(open: open)
            try parseKeyValue(into: table)
            skipWhitespace()
            if next(is: "}") { break }
            try checkInlineTableContinues(open: open)
            guard next(is: ",") else {
                throw error("expected ',' or '}' in inline table, found \(describeCharacter())")
            }
            index += 1
            skipWhitespace()
            if next(is: "}") { throw error("trailing comma is not allowed in an inline table") }
        }
        index += 1
        depth -= 1
        return .table(table.build())
    }

    private func checkInlineTableContinues(open: TOMLPosition) throws(TOMLError) {
        if atEnd {
            throw error("unterminated inline table: no closing '}' for this '{'", at: open)
        }
        if next(is: "\n") || next(is: "\r") || next(is: "#") {
            throw error("inline tables must be on a single line (no newlines or comments between '{' and '}')")
        }
    }

    private func unterminatedArray(_ open: TOMLPosition) -> TOMLError {
        error("unterminated array: no closing ']' for this '['", at: open)
    }
}
