/// A Unity Catalog column type, as written in a table schema (`string`, `bigint`,
/// `array<struct<a:int,b:string>>`, `map<string,double>`, …).
///
/// The protobuf mapping follows Databricks' documented Unity Catalog → protobuf table:
/// int → int32, bigint → int64, smallint/tinyint → int32, float, double, boolean → bool,
/// binary → bytes, date → int32 (days since epoch), timestamp → int64 (µs since epoch),
/// array<T> → repeated T, struct<…> → nested message, map<K,V> → map entry message.
public indirect enum ColumnType: Sendable, Hashable {
    case string
    case int
    case bigint
    case smallint
    case tinyint
    case float
    case double
    case boolean
    case binary
    case date
    case timestamp
    case array(ColumnType)
    case map(key: ColumnType, value: ColumnType)
    case `struct`([Column])
}

/// One column (or struct field) of a table schema.
public struct Column: Sendable, Hashable {
    public var name: String
    public var type: ColumnType
    /// Nullable columns become proto2 `optional`, non-nullable ones `required`.
    public var nullable: Bool

    public init(name: String, type: ColumnType, nullable: Bool = true) {
        self.name = name
        self.type = type
        self.nullable = nullable
    }
}

/// A value ready for protobuf encoding. Integers of every width are carried as `Int64`
/// and range-checked against the field type when encoded.
///
/// Deliberately not `indirect`: the recursive cases already hold arrays, and boxing every
/// scalar would cost a heap allocation per value on the encoding hot path.
public enum ProtoValue: Sendable, Hashable {
    case int(Int64)
    case float(Float)
    case double(Double)
    case bool(Bool)
    case string(String)
    case bytes([UInt8])
    /// A repeated field.
    case list([ProtoValue])
    /// A map field, entries in insertion order.
    case map([MapEntry])
    /// A nested message: values aligned with the nested descriptor's fields, `nil` = absent.
    case message([ProtoValue?])

    public struct MapEntry: Sendable, Hashable {
        public var key: ProtoValue
        public var value: ProtoValue
        public init(key: ProtoValue, value: ProtoValue) {
            self.key = key
            self.value = value
        }
    }
}
