// TEMPORARY (branch `config`): a minimal stand-in for DynamicProtobuf's `ColumnType(parsing:)`,
// `ColumnTypeParseError` and `ColumnType.description`, which are being written on the dynproto
// branch. Same signatures and the same reasons for the cases the configuration tests check.
// Delete this file when the dynproto branch is merged.
import DynamicProtobuf

public struct ColumnTypeParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public let text: String
    public let column: Int
    public let reason: String

    public init(text: String, column: Int, reason: String) {
        self.text = text
        self.column = column
        self.reason = reason
    }

    public var description: String { "\(reason) at column \(column) of \"\(text)\"" }
}

extension ColumnType {
    public init(parsing text: String) throws(ColumnTypeParseError) {
        var parser = TemporaryTypeParser(chars: Array(text), text: text)
        let type = try parser.parseType()
        parser.skipSpaces()
        if parser.index < parser.chars.count {
            throw parser.error("unexpected '\(String(parser.chars[parser.index...]))' after the type")
        }
        self = type
    }
}

extension ColumnType: CustomStringConvertible {
    public var description: String {
        switch self {
        case .string: "string"
        case .int: "int"
        case .bigint: "bigint"
        case .smallint: "smallint"
        case .tinyint: "tinyint"
        case .float: "float"
        case .double: "double"
        case .boolean: "boolean"
        case .binary: "binary"
        case .date: "date"
        case .timestamp: "timestamp"
        case .array(let element): "array<\(element)>"
        case .map(let key, let value): "map<\(key),\(value)>"
        case .struct(let fields):
            "struct<" + fields.map { "\($0.name):\($0.type)\($0.nullable ? "" : " NOT NULL")" }.joined(separator: ",") + ">"
        }
    }
}

private struct TemporaryTypeParser {
    let chars: [Character]
    let text: String
    var index = 0

    init(chars: [Character], text: String) {
        self.chars = chars
        self.text = text
    }

    func error(_ reason: String, at position: Int? = nil) -> ColumnTypeParseError {
        ColumnTypeParseError(text: text, column: (position ?? index) + 1, reason: reason)
    }

    mutating func skipSpaces() {
        while index < chars.count, chars[index].isWhitespace { index += 1 }
    }

    mutating func readWord() -> String {
        let start = index
        while index < chars.count, chars[index].isLetter || chars[index].isNumber || chars[index] == "_" { index += 1 }
        return String(chars[start..<index])
    }

    mutating func expect(_ token: Character, after what: String) throws(ColumnTypeParseError) {
        skipSpaces()
        guard index < chars.count, chars[index] == token else {
            throw error("expected '\(token)' after \(what), found \(index < chars.count ? "'\(chars[index])'" : "the end")")
        }
        index += 1
    }

    mutating func parseType() throws(ColumnTypeParseError) -> ColumnType {
        skipSpaces()
        let start = index
        let word = readWord()
        switch word.lowercased() {
        case "": throw error("expected a type name")
        case "string": return .string
        case "int", "integer": return .int
        case "bigint", "long": return .bigint
        case "smallint", "short": return .smallint
        case "tinyint", "byte": return .tinyint
        case "float", "real": return .float
        case "double": return .double
        case "boolean": return .boolean
        case "binary": return .binary
        case "date": return .date
        case "timestamp", "timestamp_ntz": return .timestamp
        case "array":
            try expect("<", after: "array")
            let element = try parseType()
            try expect(">", after: "the array element type")
            return .array(element)
        case "map":
            try expect("<", after: "map")
            let key = try parseType()
            try expect(",", after: "the map key type")
            let value = try parseType()
            try expect(">", after: "the map value type")
            return .map(key: key, value: value)
        case "struct":
            try expect("<", after: "struct")
            var fields: [Column] = []
            while true {
                skipSpaces()
                let name = readWord()
                if name.isEmpty { throw error("expected a struct field name") }
                skipSpaces()
                if index < chars.count, chars[index] == ":" { index += 1 }
                fields.append(Column(name: name, type: try parseType()))
                skipSpaces()
                if index < chars.count, chars[index] == "," {
                    index += 1
                    continue
                }
                try expect(">", after: "struct field '\(name)'")
                return .struct(fields)
            }
        case "decimal", "dec", "numeric":
            skipSpaces()
            if index < chars.count, chars[index] == "(" {
                while index < chars.count, chars[index] != ")" { index += 1 }
                if index < chars.count { index += 1 }
            }
            throw error(
                "unsupported type '\(String(chars[start..<index]))': decimal has no Zerobus protobuf mapping "
                    + "(use double, or string for exact values)",
                at: start)
        default:
            throw error("unknown type '\(word)'", at: start)
        }
    }
}
