import DynamicProtobuf
import SwiftProtobuf

/// Small helpers to write `DescriptorProto`s by hand in tests.
enum DescriptorFixtures {
    typealias FieldType = Google_Protobuf_FieldDescriptorProto.TypeEnum
    typealias Label = Google_Protobuf_FieldDescriptorProto.Label

    static func field(
        _ name: String, _ number: Int32, _ type: FieldType, _ label: Label = .optional, typeName: String? = nil
    ) -> Google_Protobuf_FieldDescriptorProto {
        var field = Google_Protobuf_FieldDescriptorProto()
        field.name = name
        field.number = number
        field.type = type
        field.label = label
        if let typeName { field.typeName = typeName }
        return field
    }

    static func message(
        _ name: String, _ fields: [Google_Protobuf_FieldDescriptorProto],
        nested: [Google_Protobuf_DescriptorProto] = [], enums: [Google_Protobuf_EnumDescriptorProto] = [],
        mapEntry: Bool = false
    ) -> Google_Protobuf_DescriptorProto {
        var message = Google_Protobuf_DescriptorProto()
        message.name = name
        message.field = fields
        message.nestedType = nested
        message.enumType = enums
        if mapEntry { message.options.mapEntry = true }
        return message
    }

    static func enumeration(_ name: String, _ values: [(String, Int32)]) -> Google_Protobuf_EnumDescriptorProto {
        var enumeration = Google_Protobuf_EnumDescriptorProto()
        enumeration.name = name
        enumeration.value = values.map { name, number in
            var value = Google_Protobuf_EnumValueDescriptorProto()
            value.name = name
            value.number = number
            return value
        }
        return enumeration
    }

    /// One message with a field of every scalar wire encoding, numbered 1…, all optional.
    static func allScalars() throws -> MessageDescriptor {
        let types: [(String, FieldType)] = [
            ("i32", .int32), ("i64", .int64), ("u32", .uint32), ("u64", .uint64), ("s32", .sint32), ("s64", .sint64),
            ("f32", .fixed32), ("f64", .fixed64), ("sf32", .sfixed32), ("sf64", .sfixed64), ("flt", .float),
            ("dbl", .double), ("flag", .bool), ("text", .string), ("blob", .bytes), ("color", .enum),
        ]
        var fields = types.enumerated().map { index, pair in field(pair.0, Int32(index + 1), pair.1) }
        fields[15].typeName = "Color"
        let proto = message("Scalars", fields, enums: [enumeration("Color", [("RED", 0), ("GREEN", 1), ("BLUE", -2)])])
        return try MessageDescriptor(descriptorProto: proto, package: "test")
    }

    static func schema(_ columns: [Column]) throws -> MessageDescriptor {
        try MessageDescriptor(schema: TableSchema(messageName: "Row", package: "p", columns: columns))
    }
}

extension Array where Element == UInt8 {
    /// `"08 96 01"` → `[0x08, 0x96, 0x01]`.
    init(hex: String) {
        self = hex.split(separator: " ").map { UInt8($0, radix: 16)! }
    }
}
