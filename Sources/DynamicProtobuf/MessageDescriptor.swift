import SwiftProtobuf

/// The compiled view of one protobuf message: what the encoder, decoder and JSON renderer walk.
///
/// Build one from a `TableSchema`, from a `Google_Protobuf_DescriptorProto`, or with
/// `load(descriptorSet:messageName:)`. For the top-level message `descriptorProto` is exactly
/// what travels in `create_stream.descriptor_proto`: one message, every type it uses nested
/// inside it, `type_name`s fully qualified.
///
/// Immutable after construction, so `Sendable` without locks.
public final class MessageDescriptor: Sendable {
    /// Short name, e.g. `table_Readings` or `TagsEntry`.
    public let name: String
    /// Fully qualified name without the leading dot, e.g. `zerobus_edge.table_Readings`.
    public let fullName: String
    /// Fields in declaration order; rows are `[ProtoValue?]` aligned with this array.
    public let fields: [FieldDescriptor]
    /// True for the synthetic `XxxEntry` message of a map field (key = field 1, value = field 2).
    public let isMapEntry: Bool
    /// This message's `DescriptorProto`. For the top-level message it is self-contained.
    public let descriptorProto: Google_Protobuf_DescriptorProto

    private let indexByName: [String: Int]
    /// Encoder view of `fields`, same order.
    let plans: [FieldPlan]

    init(
        name: String,
        fullName: String,
        fields: [FieldDescriptor],
        isMapEntry: Bool,
        descriptorProto: Google_Protobuf_DescriptorProto
    ) {
        self.name = name
        self.fullName = fullName
        self.fields = fields
        self.isMapEntry = isMapEntry
        self.descriptorProto = descriptorProto
        var index: [String: Int] = [:]
        for (position, field) in fields.enumerated() { index[field.name] = position }
        self.indexByName = index
        self.plans = fields.enumerated().map { position, field in FieldPlan(field, position: position) }
    }

    /// Position of the field called `name` in `fields` (and so in a row), or nil.
    public func fieldIndex(named name: String) -> Int? {
        indexByName[name]
    }

    /// `descriptorProto` serialized: the bytes for `create_stream.descriptor_proto`.
    public func serializedDescriptorProto() -> [UInt8] {
        // Serializing a DescriptorProto we built ourselves cannot fail: it has no required
        // fields left unset and no Any fields.
        (try? descriptorProto.serializedBytes()) ?? []
    }
}

/// One field of a `MessageDescriptor`.
public struct FieldDescriptor: Sendable {
    public let name: String
    public let number: Int32
    public let type: ProtoFieldType
    public let label: FieldLabel
    /// The message type of `.message` fields; for map fields the `XxxEntry` message.
    public let message: MessageDescriptor?
    /// True when this is a protobuf map (repeated `XxxEntry` with `map_entry = true`);
    /// its values are `.map([...])`.
    public let isMap: Bool
    /// The Unity Catalog type the field came from, when built from a `TableSchema`
    /// (for repeated fields: the element type; for map entries: the key or value type).
    public let columnType: ColumnType?
    /// Fully qualified enum name (no leading dot) for `.enumeration` fields.
    public let enumName: String?
    /// Declared numbers of the enum (proto2 enums are closed), sorted.
    public let enumValues: [Int32]

    public var isRepeated: Bool { label == .repeated }
    public var isRequired: Bool { label == .required }

    init(
        name: String,
        number: Int32,
        type: ProtoFieldType,
        label: FieldLabel,
        message: MessageDescriptor?,
        isMap: Bool,
        columnType: ColumnType?,
        enumName: String?,
        enumValues: [Int32]
    ) {
        self.name = name
        self.number = number
        self.type = type
        self.label = label
        self.message = message
        self.isMap = isMap
        self.columnType = columnType
        self.enumName = enumName
        self.enumValues = enumValues.sorted()
    }
}

public enum FieldLabel: Sendable, Hashable, CustomStringConvertible {
    case optional
    case required
    case repeated

    public var description: String {
        switch self {
        case .optional: "optional"
        case .required: "required"
        case .repeated: "repeated"
        }
    }
}

/// Protobuf field types the encoder supports (every type but `group`).
public enum ProtoFieldType: Sendable, Hashable, CustomStringConvertible {
    case double, float
    case int32, int64, uint32, uint64, sint32, sint64
    case fixed32, fixed64, sfixed32, sfixed64
    case bool, string, bytes
    /// Carried as `.int`; encoded like int32.
    case enumeration
    case message

    /// The `.proto` spelling (`enum` for `.enumeration`).
    public var description: String {
        switch self {
        case .double: "double"
        case .float: "float"
        case .int32: "int32"
        case .int64: "int64"
        case .uint32: "uint32"
        case .uint64: "uint64"
        case .sint32: "sint32"
        case .sint64: "sint64"
        case .fixed32: "fixed32"
        case .fixed64: "fixed64"
        case .sfixed32: "sfixed32"
        case .sfixed64: "sfixed64"
        case .bool: "bool"
        case .string: "string"
        case .bytes: "bytes"
        case .enumeration: "enum"
        case .message: "message"
        }
    }

    var isInteger: Bool {
        switch self {
        case .int32, .int64, .uint32, .uint64, .sint32, .sint64, .fixed32, .fixed64, .sfixed32, .sfixed64,
            .enumeration:
            true
        default: false
        }
    }

    var wireType: WireType {
        switch self {
        case .int32, .int64, .uint32, .uint64, .sint32, .sint64, .bool, .enumeration: .varint
        case .fixed64, .sfixed64, .double: .fixed64
        case .fixed32, .sfixed32, .float: .fixed32
        case .string, .bytes, .message: .lengthDelimited
        }
    }

    /// Integers a field of this type can hold as `Int64`, narrowed to tinyint/smallint when the
    /// column type says so. uint64 and fixed64 stop at `Int64.max` because values are `Int64`.
    func integerRange(narrowedBy columnType: ColumnType?) -> ClosedRange<Int64> {
        switch columnType {
        case .tinyint: return Int64(Int8.min)...Int64(Int8.max)
        case .smallint: return Int64(Int16.min)...Int64(Int16.max)
        default: break
        }
        switch self {
        case .int32, .sint32, .sfixed32, .enumeration: return Int64(Int32.min)...Int64(Int32.max)
        case .uint32, .fixed32: return 0...Int64(UInt32.max)
        case .uint64, .fixed64: return 0...Int64.max
        default: return Int64.min...Int64.max
        }
    }

    /// Name used in error messages: the UC column type when known (`tinyint`), else the proto type.
    func displayName(for columnType: ColumnType?) -> String {
        switch columnType {
        case .tinyint: "tinyint"
        case .smallint: "smallint"
        default: description
        }
    }
}

/// Protobuf wire types (the low three bits of a tag).
enum WireType: UInt32 {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case startGroup = 3
    case endGroup = 4
    case fixed32 = 5
}
