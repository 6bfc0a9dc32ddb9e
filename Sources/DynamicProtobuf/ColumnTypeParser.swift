extension ColumnType {
    /// Parses Unity Catalog / Spark SQL type text such as `bigint`, `array<string>`,
    /// `map<string, double>` or `struct<a:int, `odd name`:array<string> NOT NULL>`.
    ///
    /// Keywords are case-insensitive and spaces are tolerated anywhere between tokens.
    /// Aliases: `integer`, `long`, `short`, `byte`, `real`, `timestamp_ntz`/`timestamp_ltz`
    /// (→ `timestamp`), `varchar(n)`/`char(n)`/`variant` (→ `string`, the way Databricks'
    /// proto generator maps them). Struct fields may be backquoted, the colon after the name
    /// is optional, `NOT NULL` makes the field non-nullable and `COMMENT '…'` is ignored.
    /// `decimal` and other types without a Zerobus protobuf mapping are rejected, and so are types
    /// nested deeper than `ColumnType.maximumNesting`.
    public init(parsing text: String) throws(ColumnTypeParseError) {
        var parser = ColumnTypeParser(text: text)
        self = try parser.parseWhole()
    }
}

extension ColumnType {
    /// Deepest nesting of `array<`, `map<` and `struct<` accepted. The parser recurses once per
    /// level, so an unbounded depth let a hostile or mistyped type text overflow the stack. 64 is
    /// what `JSONParser.defaultMaxDepth` lets a payload carry, so a deeper column could never be
    /// filled from JSON anyway; it is also well inside protobuf's usual 100-level decoding limit.
    public static let maximumNesting = 64
}

/// Recursive-descent parser over the characters of one type text.
struct ColumnTypeParser {
    private let text: String
    private let chars: [Character]
    private var index = 0
    /// `array<`/`map<`/`struct<` levels open at `index`.
    private var depth = 0

    init(text: String) {
        self.text = text
        self.chars = Array(text)
    }

    mutating func parseWhole() throws(ColumnTypeParseError) -> ColumnType {
        let type = try parseType()
        skipSpaces()
        if index < chars.count {
            throw error("unexpected '\(String(chars[index...]))' after the type")
        }
        return type
    }

    private mutating func parseType() throws(ColumnTypeParseError) -> ColumnType {
        skipSpaces()
        let start = index
        let word = readWord()
        guard !word.isEmpty else {
            throw index < chars.count ? error("expected a type name, found '\(chars[index])'") : error("expected a type name")
        }
        switch word.lowercased() {
        case "string", "variant": return .string
        case "varchar", "char":
            try skipParenthesizedArguments(of: word, start: start)
            return .string
        case "int", "integer": return .int
        case "bigint", "long": return .bigint
        case "smallint", "short": return .smallint
        case "tinyint", "byte": return .tinyint
        case "float", "real": return .float
        case "double": return .double
        case "boolean": return .boolean
        case "binary": return .binary
        case "date": return .date
        case "timestamp", "timestamp_ntz", "timestamp_ltz": return .timestamp
        case "array":
            try enterNested(start: start)
            defer { depth -= 1 }
            try expect("<", after: "array")
            let element = try parseType()
            try expect(">", after: "the array element type")
            return .array(element)
        case "map":
            try enterNested(start: start)
            defer { depth -= 1 }
            try expect("<", after: "map")
            let key = try parseType()
            try expect(",", after: "the map key type")
            let value = try parseType()
            try expect(">", after: "the map value type")
            return .map(key: key, value: value)
        case "struct":
            try enterNested(start: start)
            defer { depth -= 1 }
            try expect("<", after: "struct")
            return .struct(try parseStructFields())
        case "decimal", "dec", "numeric":
            try skipParenthesizedArguments(of: word, start: start)
            throw error(
                "unsupported type '\(String(chars[start..<index]))': decimal has no Zerobus protobuf mapping "
                    + "(use double, or string for exact values)",
                at: start)
        case "interval", "void", "geometry", "geography", "object":
            throw error("unsupported type '\(word)': no Zerobus protobuf mapping", at: start)
        default:
            throw error("unknown type '\(word)'", at: start)
        }
    }

    private mutating func enterNested(start: Int) throws(ColumnTypeParseError) {
        depth += 1
        if depth > ColumnType.maximumNesting {
            throw error("types nested more than \(ColumnType.maximumNesting) levels deep are not supported", at: start)
        }
    }

    private mutating func parseStructFields() throws(ColumnTypeParseError) -> [Column] {
        var fields: [Column] = []
        skipSpaces()
        if peek(">") { throw error("struct needs at least one field") }
        while true {
            skipSpaces()
            let nameStart = index
            let name = try readFieldName()
            if fields.contains(where: { $0.name == name }) {
                throw error("duplicate struct field '\(name)'", at: nameStart)
            }
            skipSpaces()
            if peek(":") { index += 1 }
            let type = try parseType()
            let nullable = try parseFieldModifiers()
            fields.append(Column(name: name, type: type, nullable: nullable))
            skipSpaces()
            if peek(",") {
                index += 1
                continue
            }
            try expect(">", after: "struct field '\(name)'")
            return fields
        }
    }

    /// `NOT NULL` and `COMMENT '…'` after a struct field's type. Returns whether it is nullable.
    private mutating func parseFieldModifiers() throws(ColumnTypeParseError) -> Bool {
        var nullable = true
        while true {
            skipSpaces()
            let start = index
            let word = readWord().lowercased()
            switch word {
            case "not":
                skipSpaces()
                guard readWord().lowercased() == "null" else { throw error("expected NULL after NOT", at: start) }
                nullable = false
            case "comment":
                skipSpaces()
                try skipQuotedString()
            case "":
                return nullable
            default:
                throw error("unexpected '\(word)' after a struct field type", at: start)
            }
        }
    }

    private mutating func readFieldName() throws(ColumnTypeParseError) -> String {
        guard peek("`") else {
            let name = readWord()
            if name.isEmpty { throw error("expected a struct field name") }
            return name
        }
        let start = index
        index += 1
        var name = ""
        while index < chars.count {
            if chars[index] == "`" {
                // A doubled backquote is a literal backquote inside the name.
                if index + 1 < chars.count, chars[index + 1] == "`" {
                    name.append("`")
                    index += 2
                    continue
                }
                index += 1
                if name.isEmpty { throw error("empty struct field name", at: start) }
                return name
            }
            name.append(chars[index])
            index += 1
        }
        throw error("unterminated backquoted field name", at: start)
    }

    private mutating func skipQuotedString() throws(ColumnTypeParseError) {
        guard index < chars.count, chars[index] == "'" || chars[index] == "\"" else {
            throw error("expected a quoted comment")
        }
        let quote = chars[index]
        let start = index
        index += 1
        while index < chars.count {
            if chars[index] == "\\" {
                index += 2
                continue
            }
            if chars[index] == quote {
                index += 1
                return
            }
            index += 1
        }
        throw error("unterminated comment string", at: start)
    }

    /// Consumes `(…)` after types like `varchar(10)` or `decimal(10, 2)`, if present.
    private mutating func skipParenthesizedArguments(of word: String, start: Int) throws(ColumnTypeParseError) {
        skipSpaces()
        guard peek("(") else { return }
        while index < chars.count, chars[index] != ")" { index += 1 }
        guard index < chars.count else { throw error("unterminated '(' after \(word)", at: start) }
        index += 1
    }

    private mutating func expect(_ token: Character, after what: String) throws(ColumnTypeParseError) {
        skipSpaces()
        guard peek(token) else {
            let found = index < chars.count ? "'\(chars[index])'" : "the end"
            throw error("expected '\(token)' after \(what), found \(found)")
        }
        index += 1
    }

    private func peek(_ token: Character) -> Bool {
        index < chars.count && chars[index] == token
    }

    private mutating func readWord() -> String {
        let start = index
        while index < chars.count, chars[index].isLetter || chars[index].isNumber || chars[index] == "_" {
            index += 1
        }
        return String(chars[start..<index])
    }

    private mutating func skipSpaces() {
        while index < chars.count, chars[index].isWhitespace { index += 1 }
    }

    private func error(_ reason: String, at position: Int? = nil) -> ColumnTypeParseError {
        ColumnTypeParseError(text: text, column: (position ?? index) + 1, reason: reason)
    }
}
