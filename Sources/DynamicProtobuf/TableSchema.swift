/// The columns of one Unity Catalog table and the protobuf names to give its row message.
public struct TableSchema: Sendable, Hashable {
    /// Name of the row message, e.g. `table_Readings`.
    public var messageName: String
    /// Protobuf package the message lives in (may be empty); only visible in `type_name`s.
    public var package: String
    public var columns: [Column]

    public static let defaultPackage = "zerobus_edge"

    public init(messageName: String, package: String = TableSchema.defaultPackage, columns: [Column]) {
        self.messageName = messageName
        self.package = package
        self.columns = columns
    }

    /// A schema whose message is named after the table: `main.iot.readings` → `table_readings`.
    public init(tableName: String, package: String = TableSchema.defaultPackage, columns: [Column]) {
        self.init(messageName: TableSchema.messageName(forTable: tableName), package: package, columns: columns)
    }

    /// `table_` + the last dot-separated part of a table name, with characters that cannot
    /// appear in a protobuf identifier replaced by `_` (the convention of Databricks' generator).
    public static func messageName(forTable tableName: String) -> String {
        let last = tableName.split(separator: ".", omittingEmptySubsequences: false).last.map(String.init) ?? ""
        var name = "table_"
        for scalar in last.unicodeScalars {
            let isWordCharacter = scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar))
            name.unicodeScalars.append(isWordCharacter || scalar == "_" ? scalar : "_")
        }
        return name
    }
}

extension MessageDescriptor {
    /// Compiles a table schema: one top-level message, structs and map entries nested inside it.
    ///
    /// Mapping: string → string, int/smallint/tinyint/date → int32, bigint/timestamp → int64,
    /// float, double, boolean → bool, binary → bytes, array<T> → repeated T, struct → nested
    /// message (named after the column in PascalCase), map<K,V> → repeated nested `XxxEntry`
    /// with `map_entry = true`. Nullable → `optional`, non-nullable → `required`.
    ///
    /// Rejected (protobuf cannot express them without a wrapper message): array<array<…>>,
    /// array<map<…>>, map values that are arrays or maps, and map keys other than
    /// string/int/bigint/smallint/tinyint/boolean/date/timestamp. Wrap the inner collection in a
    /// struct, e.g. `array<struct<values:array<int>>>`.
    public convenience init(schema: TableSchema) throws(DescriptorError) {
        let proto = try SchemaDescriptorBuilder(package: schema.package)
            .rowMessage(named: schema.messageName, columns: schema.columns)
        try self.init(compiling: proto, package: schema.package, columns: schema.columns)
    }
}
