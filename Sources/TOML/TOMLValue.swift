// The parsed form of a TOML 1.0 document. Every value and every key keeps its source
// position, so configuration errors can say "line 14: key 'fromm' ..." instead of just
// "unknown key".

/// A place in the source text. Both numbers are 1-based; the column counts Unicode
/// scalars (not bytes), so it matches what an editor shows for non-ASCII lines.
public struct TOMLPosition: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// `line:column`, e.g. `14:5`.
    public var description: String { "\(line):\(column)" }
}

/// A value together with where it came from. Equality compares positions too.
public struct TOMLNode: Sendable, Equatable {
    public var value: TOMLValue
    /// Where the value starts: the opening quote or bracket, the first digit, the `[`
    /// of a `[table]` / `[[table]]` header. A table that was only created implicitly
    /// (the `a` of `[a.b]`, or of `a.b = 1`) has the position of its first mention.
    public var position: TOMLPosition
    /// The key segment that introduced the value (for `a.b.c = 1`, the `c` for the
    /// value and `a`/`b` for the tables). For a `[[table]]` element it is the last key
    /// of that element's header; for other array elements and the root it is nil.
    public var keyPosition: TOMLPosition?

    public init(value: TOMLValue, position: TOMLPosition, keyPosition: TOMLPosition? = nil) {
        self.value = value
        self.position = position
        self.keyPosition = keyPosition
    }
}

/// A TOML value.
public indirect enum TOMLValue: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case float(Double)
    case boolean(Bool)
    /// An offset date-time, local date-time, local date or local time, kept as the
    /// validated source text (e.g. `1979-05-27T07:32:00Z`, `1979-05-27 07:32:00`,
    /// `1979-05-27`, `07:32:00.999`).
    case datetime(String)
    /// An array; arrays of tables (`[[x]]`) are arrays of `.table` nodes.
    case array([TOMLNode])
    case table(TOMLTable)

    /// The type's name for messages: "string", "integer", "float", "boolean",
    /// "datetime", "array" or "table".
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

    public var stringValue: String? {
        if case .string(let value) = self { value } else { nil }
    }

    public var integerValue: Int64? {
        if case .integer(let value) = self { value } else { nil }
    }

    public var floatValue: Double? {
        if case .float(let value) = self { value } else { nil }
    }

    public var booleanValue: Bool? {
        if case .boolean(let value) = self { value } else { nil }
    }

    public var datetimeText: String? {
        if case .datetime(let value) = self { value } else { nil }
    }

    public var arrayValue: [TOMLNode]? {
        if case .array(let value) = self { value } else { nil }
    }

    public var tableValue: TOMLTable? {
        if case .table(let value) = self { value } else { nil }
    }
}

/// A table: key/node pairs in source order (the order in which each key was first
/// mentioned), with lookup by key. Equality compares entries in order, positions included.
public struct TOMLTable: Sendable, Equatable {
    /// Setting this rebuilds the lookup index (O(n)); the parser sets it once per table.
    public var entries: [(key: String, node: TOMLNode)] {
        didSet { index = Self.makeIndex(entries) }
    }
    /// Key → offset in `entries`, only for tables large enough that a linear scan would
    /// cost more than hashing (most configuration tables have a handful of keys).
    private var index: [String: Int]?
    private static let indexThreshold = 12

    public init(entries: [(key: String, node: TOMLNode)] = []) {
        self.entries = entries
        self.index = Self.makeIndex(entries)
    }

    /// The node for `key`, or nil. If `entries` was edited to hold a key twice, the
    /// first one wins.
    public subscript(key: String) -> TOMLNode? {
        if let index {
            return index[key].map { entries[$0].node }
        }
        return entries.first { $0.key == key }?.node
    }

    public var keys: [String] { entries.map(\.key) }
    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    public static func == (lhs: TOMLTable, rhs: TOMLTable) -> Bool {
        lhs.entries.count == rhs.entries.count
            && zip(lhs.entries, rhs.entries).allSatisfy { $0.key == $1.key && $0.node == $1.node }
    }

    private static func makeIndex(_ entries: [(key: String, node: TOMLNode)]) -> [String: Int]? {
        guard entries.count > indexThreshold else { return nil }
        var index: [String: Int] = [:]
        index.reserveCapacity(entries.count)
        for (offset, entry) in entries.enumerated() where index[entry.key] == nil {
            index[entry.key] = offset
        }
        return index
    }
}

/// A syntax or structure error, with the position it was found at.
public struct TOMLError: Error, Sendable, Equatable, CustomStringConvertible {
    public var position: TOMLPosition
    public var message: String

    public init(position: TOMLPosition, message: String) {
        self.position = position
        self.message = message
    }

    /// `line L, column C: message`.
    public var description: String { "line \(position.line), column \(position.column): \(message)" }
}

public enum TOML {
    /// Parses a TOML 1.0 document.
    public static func parse(_ text: String) throws(TOMLError) -> TOMLTable {
        var bytes = Array(text.utf8)
        // A String is valid Unicode by construction, so only the byte-order mark needs care.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var parser = TOMLParser(bytes: bytes)
        return try parser.parseDocument()
    }

    /// Parses a TOML 1.0 document given as raw bytes (e.g. a file's contents), which
    /// must be UTF-8; invalid UTF-8 is reported with its position. A leading UTF-8
    /// byte-order mark is skipped.
    public static func parse(utf8 bytes: [UInt8]) throws(TOMLError) -> TOMLTable {
        var bytes = bytes
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        try TOMLUTF8Check.validate(bytes)
        var parser = TOMLParser(bytes: bytes)
        return try parser.parseDocument()
    }
}
