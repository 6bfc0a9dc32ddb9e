// TEMPORARY (branch `config`): stand-in declarations of the TOML parser's fixed API so the
// configuration decoder compiles before the TOML branch is merged. Delete this file at merge;
// the real types live in the other files of this folder.

public struct TOMLPosition: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }
}

public struct TOMLNode: Sendable {
    public var value: TOMLValue
    public var position: TOMLPosition
    public var keyPosition: TOMLPosition?

    public init(value: TOMLValue, position: TOMLPosition, keyPosition: TOMLPosition? = nil) {
        self.value = value
        self.position = position
        self.keyPosition = keyPosition
    }
}

public indirect enum TOMLValue: Sendable {
    case string(String)
    case integer(Int64)
    case float(Double)
    case boolean(Bool)
    case datetime(String)
    case array([TOMLNode])
    case table(TOMLTable)

    public var typeName: String {
        switch self {
        case .string: "string"
        case .integer: "integer"
        case .float: "float"
        case .boolean: "boolean"
        case .datetime: "datetime"
        case .array: "array"
        case .table: "table"
        }
    }
}

public struct TOMLTable: Sendable {
    public var entries: [(key: String, node: TOMLNode)]

    public init(entries: [(key: String, node: TOMLNode)] = []) {
        self.entries = entries
    }

    public subscript(key: String) -> TOMLNode? {
        entries.first { $0.key == key }?.node
    }

    public var keys: [String] { entries.map(\.key) }
}

public struct TOMLError: Error, Sendable, CustomStringConvertible {
    public var position: TOMLPosition
    public var message: String

    public init(position: TOMLPosition, message: String) {
        self.position = position
        self.message = message
    }

    public var description: String { "line \(position.line), column \(position.column): \(message)" }
}

public enum TOML {
    public static func parse(_ text: String) throws(TOMLError) -> TOMLTable {
        throw TOMLError(position: TOMLPosition(line: 1, column: 1), message: "TOML parser not implemented yet")
    }
}
