import DynamicProtobuf
import SwiftProtobuf
import Testing

/// Loading record messages from `FileDescriptorSet`s built in memory.
@Suite struct DescriptorSetTests {
    typealias F = DescriptorFixtures

    /// shop.proto: `table_Orders` uses a nested type, a map, a sibling message, a sibling enum and a
    /// message from common.proto (package `common`) that has a nested type of its own.
    static func shopSet(extraFiles: [Google_Protobuf_FileDescriptorProto] = []) throws -> [UInt8] {
        var common = Google_Protobuf_FileDescriptorProto()
        common.name = "common.proto"
        common.package = "common"
        common.messageType = [
            F.message("Address", [F.field("city", 1, .string), F.field("geo", 2, .message, typeName: "Address.Geo")],
                      nested: [F.message("Geo", [F.field("lat", 1, .double)])]),
        ]
        var shop = Google_Protobuf_FileDescriptorProto()
        shop.name = "shop.proto"
        shop.package = "shop"
        shop.dependency = ["common.proto"]
        shop.messageType = [
            F.message("table_Orders", [
                F.field("id", 1, .int64, .required),
                F.field("customer", 2, .message, typeName: ".shop.Customer"),
                F.field("items", 3, .message, .repeated, typeName: ".shop.table_Orders.Item"),
                F.field("status", 4, .enum, typeName: ".shop.Status"),
                F.field("ship_to", 5, .message, typeName: ".common.Address"),
                F.field("meta", 6, .message, .repeated, typeName: ".shop.table_Orders.MetaEntry"),
            ], nested: [
                F.message("Item", [F.field("sku", 1, .string), F.field("qty", 2, .sint32)]),
                F.message("MetaEntry", [F.field("key", 1, .string), F.field("value", 2, .string)], mapEntry: true),
            ]),
            F.message("Customer", [F.field("name", 1, .string), F.field("home", 2, .message, typeName: "common.Address")]),
        ]
        shop.enumType = [F.enumeration("Status", [("NEW", 0), ("PAID", 1)])]
        var set = Google_Protobuf_FileDescriptorSet()
        set.file = [common, shop] + extraFiles
        return try set.serializedBytes()
    }

    /// Every `type_name` in `message` and its nested types.
    static func typeNames(_ message: Google_Protobuf_DescriptorProto) -> [String] {
        message.field.map(\.typeName).filter { !$0.isEmpty } + message.nestedType.flatMap(typeNames)
    }

    @Test func load_whenMessageUsesOutsideTypes_inlinesThemAsNestedTypes() throws {
        let descriptor = try MessageDescriptor.load(descriptorSet: Self.shopSet(), messageName: "table_Orders")
        let proto = descriptor.descriptorProto
        #expect(descriptor.fullName == "shop.table_Orders")
        #expect(proto.nestedType.map(\.name) == ["Item", "MetaEntry", "Customer", "Address"])
        #expect(proto.enumType.map(\.name) == ["Status"])
        #expect(proto.field.map(\.typeName) == [
            "", ".shop.table_Orders.Customer", ".shop.table_Orders.Item", ".shop.table_Orders.Status",
            ".shop.table_Orders.Address", ".shop.table_Orders.MetaEntry",
        ])
        #expect(proto.nestedType[2].field[1].typeName == ".shop.table_Orders.Address")
        #expect(proto.nestedType[3].field[1].typeName == ".shop.table_Orders.Address.Geo")
        #expect(Self.typeNames(proto).allSatisfy { $0.hasPrefix(".shop.table_Orders.") })

        // The sent descriptor stands on its own: it compiles without the set.
        let standalone = try MessageDescriptor(
            descriptorProto: Google_Protobuf_DescriptorProto(serializedBytes: descriptor.serializedDescriptorProto()),
            package: "shop")
        #expect(standalone.fields.map(\.name) == descriptor.fields.map(\.name))
        #expect(standalone.fields[4].message?.fields[1].message?.fullName == "shop.table_Orders.Address.Geo")
    }

    @Test func load_compiledFields_encodeEnumsMapsAndInlinedMessages() throws {
        let descriptor = try MessageDescriptor.load(descriptorSet: Self.shopSet(), messageName: ".shop.table_Orders")
        #expect(descriptor.fields.map(\.type) == [.int64, .message, .message, .enumeration, .message, .message])
        #expect(descriptor.fields[5].isMap)
        #expect(descriptor.fields[3].enumValues == [0, 1])
        let row: [ProtoValue?] = [
            .int(1), .message([.string("A"), nil]), .list([.message([.string("x"), .int(-1)])]), .int(1),
            .message([.string("B"), .message([.double(0.5)])]), .map([.init(key: .string("k"), value: .string("v"))]),
        ]
        let bytes = try descriptor.encode(row)
        #expect(bytes == [UInt8](hex:
            "08 01 12 03 0A 01 41 1A 05 0A 01 78 10 01 20 01 "
            + "2A 0E 0A 01 42 12 09 09 00 00 00 00 00 00 E0 3F 32 06 0A 01 6B 12 01 76"))
        #expect(try descriptor.decode(bytes) == row)
    }

    @Test func load_whenShortNameIsAmbiguous_listsCandidates() throws {
        var other = Google_Protobuf_FileDescriptorProto()
        other.name = "other.proto"
        other.package = "other"
        other.messageType = [F.message("Customer", [F.field("x", 1, .int32)])]
        let bytes = try Self.shopSet(extraFiles: [other])
        #expect(throws: DescriptorError("message name 'Customer' is ambiguous: shop.Customer, other.Customer")) {
            try MessageDescriptor.load(descriptorSet: bytes, messageName: "Customer")
        }
        #expect(try MessageDescriptor.load(descriptorSet: bytes, messageName: "other.Customer").fields.count == 1)
    }

    @Test func load_whenMessageMissing_listsTopLevelMessages() throws {
        #expect(throws: DescriptorError(
            "message 'table_Nope' not found among top-level messages [common.Address, shop.table_Orders, shop.Customer]")
        ) {
            try MessageDescriptor.load(descriptorSet: Self.shopSet(), messageName: "table_Nope")
        }
    }

    @Test func load_whenBytesAreNotADescriptorSet_throws() {
        #expect(throws: DescriptorError.self) {
            try MessageDescriptor.load(descriptorSet: [0xFF, 0xFF, 0xFF], messageName: "x")
        }
    }

    @Test func init_whenTypeIsOutsideTheMessage_explains() {
        let proto = F.message("Row", [F.field("other", 1, .message, typeName: ".p.Other")])
        #expect(throws: DescriptorError(
            "Row.other: type '.p.Other' is not defined in the descriptor (a descriptor set needs --include_imports; "
                + "a single DescriptorProto must nest every type it uses)")
        ) {
            try MessageDescriptor(descriptorProto: proto, package: "p")
        }
    }

    @Test func init_whenRelativeTypeNames_qualifiesThem() throws {
        let proto = F.message("Row", [F.field("inner", 1, .message, typeName: "Inner")],
                              nested: [F.message("Inner", [F.field("a", 1, .int32)])])
        let descriptor = try MessageDescriptor(descriptorProto: proto, package: "p.q")
        #expect(descriptor.descriptorProto.field[0].typeName == ".p.q.Row.Inner")
        #expect(descriptor.fields[0].message?.fullName == "p.q.Row.Inner")
    }

    @Test func init_whenGroupField_isRejected() {
        let proto = F.message("Row", [F.field("g", 1, .group, typeName: "G")], nested: [F.message("G", [])])
        #expect(throws: DescriptorError("g: group fields are not supported (use a nested message)")) {
            try MessageDescriptor(descriptorProto: proto, package: "")
        }
    }

    @Test func init_whenRecursiveMessage_isRejected() {
        let proto = F.message("Row", [F.field("next", 1, .message, typeName: ".Row.Node")],
                              nested: [F.message("Node", [F.field("next", 1, .message, typeName: ".Row.Node")])])
        #expect(throws: DescriptorError("next.next: recursive message type 'Row.Node' is not supported")) {
            try MessageDescriptor(descriptorProto: proto, package: "")
        }
    }

    /// A chain of message types as deep as a descriptor file may make it (a 3000-deep chain
    /// crashed the recursive compiler); a struct column at the type-nesting limit still compiles.
    @Test func init_whenMessagesNestTooDeep_isRejected() throws {
        func chain(_ depth: Int) -> Google_Protobuf_DescriptorProto {
            let nested = (0..<depth).map { level in
                level == depth - 1
                    ? F.message("M\(level)", [F.field("v", 1, .int32)])
                    : F.message("M\(level)", [F.field("f", 1, .message, typeName: ".Row.M\(level + 1)")])
            }
            return F.message("Row", [F.field("f", 1, .message, typeName: ".Row.M0")], nested: nested)
        }
        let limit = ColumnType.maximumNesting
        _ = try MessageDescriptor(descriptorProto: chain(limit), package: "")
        let path = Array(repeating: "f", count: limit + 1).joined(separator: ".")
        #expect(throws: DescriptorError("\(path): messages nested more than 64 levels deep are not supported")) {
            try MessageDescriptor(descriptorProto: chain(3000), package: "")
        }
        let deepStruct = String(repeating: "struct<a:", count: limit) + "int" + String(repeating: ">", count: limit)
        _ = try MessageDescriptor(schema: TableSchema(tableName: "t", columns: [Column(name: "c", type: try ColumnType(parsing: deepStruct))]))
    }
}
