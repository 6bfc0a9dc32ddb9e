extension ColumnType: CustomStringConvertible {
    /// Canonical Unity Catalog type text; `ColumnType(parsing: t.description) == t` for every `t`.
    /// Struct field names that are not plain identifiers are backquoted; non-nullable struct
    /// fields carry `NOT NULL`.
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
            "struct<"
                + fields.map { field in
                    "\(quotedFieldName(field.name)):\(field.type)\(field.nullable ? "" : " NOT NULL")"
                }.joined(separator: ",")
                + ">"
        }
    }

    /// True for types that map to one protobuf scalar (everything but array, map and struct).
    public var isScalar: Bool {
        switch self {
        case .array, .map, .struct: false
        default: true
        }
    }
}

private func quotedFieldName(_ name: String) -> String {
    if isPlainIdentifier(name) { return name }
    var quoted = "`"
    for character in name {
        quoted.append(character == "`" ? "``" : String(character))
    }
    return quoted + "`"
}

/// `[A-Za-z_][A-Za-z0-9_]*`: valid as a protobuf field name and as unquoted UC text.
func isPlainIdentifier(_ name: String) -> Bool {
    guard let first = name.utf8.first, first == UInt8(ascii: "_") || isASCIILetter(first) else { return false }
    return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || isASCIILetter($0) || (0x30...0x39).contains($0) }
}

private func isASCIILetter(_ byte: UInt8) -> Bool {
    (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
}
