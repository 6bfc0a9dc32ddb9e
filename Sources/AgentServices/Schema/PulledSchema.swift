import AgentCore
import DynamicProtobuf

/// A Unity Catalog table made usable by the agent: the `columns = [...]` block for agent.toml
/// and the descriptor for a `descriptor = …` table. Pure (no I/O), so it is unit-tested directly.
public struct PulledSchema: Sendable {
    public let table: UnityCatalogTable
    /// The columns with parsed types, in table order; `nullable` as UC reports it.
    public let columns: [Column]
    /// The row message: NOT NULL columns are proto2 `required`, the others `optional`, like
    /// Databricks' own generator.
    public let descriptor: MessageDescriptor

    /// - Parameter messageName: the row message name; default `table_<table>`.
    /// - Throws: `.runtime` naming every column whose type has no Zerobus protobuf mapping,
    ///   or the reason the columns cannot form a protobuf message; `.usage` for a bad name.
    public init(table: UnityCatalogTable, messageName: String? = nil) throws(SchemaPullError) {
        let message = messageName ?? TableSchema.messageName(forTable: table.fullName)
        guard Self.isIdentifier(message) else {
            throw SchemaPullError(.usage, "--message \(message): use letters, digits and underscores (a protobuf message name)")
        }
        guard !table.columns.isEmpty else {
            throw SchemaPullError(.runtime, "table \(table.fullName) has no columns")
        }
        var columns: [Column] = []
        var problems: [String] = []
        for column in table.columns {
            do {
                columns.append(Column(name: column.name, type: try ColumnType(parsing: column.typeText), nullable: column.nullable))
            } catch {
                problems.append("column \(column.name) (\(column.typeText)): \(error.reason)")
            }
        }
        guard problems.isEmpty else {
            throw SchemaPullError(
                .runtime,
                "table \(table.fullName) has columns Zerobus cannot ingest:\n  " + problems.joined(separator: "\n  "))
        }
        do {
            descriptor = try MessageDescriptor(schema: TableSchema(messageName: message, columns: columns))
        } catch {
            throw SchemaPullError(.runtime, "table \(table.fullName) cannot be expressed as a protobuf message: \(error)")
        }
        self.table = table
        self.columns = columns
    }

    /// The message name to put next to `descriptor = …` in a `[[table]]`.
    public var messageName: String { descriptor.name }

    /// The `.descriptor` file (a FileDescriptorSet).
    public func descriptorSet(fileName: String) -> [UInt8] {
        descriptor.serializedDescriptorSet(fileName: fileName)
    }

    /// TOML for a `[[table]]`: every column read from the same-named JSON field; nullable columns
    /// are `optional` (a missing field becomes null instead of sending the payload to quarantine).
    /// Where our canonical type differs from UC's text (`timestamp_ntz` → `timestamp`), a comment
    /// keeps the original visible.
    public func columnsBlock() -> String {
        let nameCells = columns.map { "name = \(Self.quoted($0.name)),"  }
        let typeCells = columns.map { "type = \(Self.quoted($0.type.description)),"  }
        let nameWidth = nameCells.map(\.count).max() ?? 0
        let typeWidth = typeCells.map(\.count).max() ?? 0
        var lines = [
            "# \(table.fullName): \(columns.count) columns from Unity Catalog (zerobus-edge schema pull).",
            "# Paste into the table's [[table]]; point `from` at topic[1], received_at, record_id, … where a",
            "# value is not a field of the JSON payload.",
            "columns = [",
        ]
        for (index, column) in columns.enumerated() {
            var line = "  { " + Self.padded(nameCells[index], to: nameWidth) + " "
                + Self.padded(typeCells[index], to: typeWidth) + " from = \(Self.quoted("$." + column.name))"
            if column.nullable { line += ", optional = true" }
            line += " },"
            let original = table.columns[index].typeText
            if Self.normalized(original) != Self.normalized(column.type.description) {
                line += "  # \(original) in Unity Catalog"
            }
            lines.append(line)
        }
        lines.append("]")
        return lines.joined(separator: "\n")
    }

    /// Case and spaces do not make a difference worth a comment.
    private static func normalized(_ type: String) -> String {
        String(type.lowercased().filter { !$0.isWhitespace })
    }

    private static func padded(_ text: String, to width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    /// A TOML basic string: a JSON string literal (with DEL escaped, as `JSONValue.quoted` does) is one.
    static func quoted(_ text: String) -> String {
        JSONValue.quoted(text)
    }

    private static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.utf8.first, first == UInt8(ascii: "_") || isLetter(first) else { return false }
        return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || isLetter($0) || (0x30...0x39).contains($0) }
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }
}
