import DynamicProtobuf
import SwiftProtobuf
import Testing

@Suite struct SchemaDescriptorTests {
    static let readings = TableSchema(
        messageName: "table_Readings",
        columns: [
            Column(name: "device_id", type: .string, nullable: false),
            Column(name: "value", type: .double),
            Column(name: "location", type: .struct([
                Column(name: "lat", type: .double, nullable: false),
                Column(name: "labels", type: .array(.string)),
            ])),
            Column(name: "tags", type: .map(key: .string, value: .bigint)),
            Column(name: "samples", type: .array(.struct([Column(name: "t", type: .timestamp)]))),
            Column(name: "extra_info", type: .map(key: .int, value: .struct([Column(name: "note", type: .string)]))),
            Column(name: "day", type: .date, nullable: false),
        ])

    @Test func descriptorProto_whenStructArrayMap_matchesDatabricksLayout() throws {
        let descriptor = try MessageDescriptor(schema: Self.readings)
        let proto = descriptor.descriptorProto
        #expect(proto.name == "table_Readings")
        #expect(descriptor.fullName == "zerobus_edge.table_Readings")

        let fields = proto.field
        #expect(fields.map(\.name) == ["device_id", "value", "location", "tags", "samples", "extra_info", "day"])
        #expect(fields.map(\.number) == [1, 2, 3, 4, 5, 6, 7])
        #expect(fields.map(\.label) == [.required, .optional, .optional, .repeated, .repeated, .repeated, .required])
        #expect(fields.map(\.type) == [.string, .double, .message, .message, .message, .message, .int32])
        #expect(fields.map(\.typeName) == [
            "", "", ".zerobus_edge.table_Readings.Location", ".zerobus_edge.table_Readings.TagsEntry",
            ".zerobus_edge.table_Readings.Samples", ".zerobus_edge.table_Readings.ExtraInfoEntry", "",
        ])

        let nested = Dictionary(uniqueKeysWithValues: proto.nestedType.map { ($0.name, $0) })
        #expect(Set(nested.keys) == ["Location", "TagsEntry", "Samples", "ExtraInfoEntry", "ExtraInfo"])

        let location = try #require(nested["Location"])
        #expect(location.field.map(\.name) == ["lat", "labels"])
        #expect(location.field.map(\.label) == [.required, .repeated])
        #expect(location.field.map(\.type) == [.double, .string])
        #expect(!location.options.mapEntry)

        let tagsEntry = try #require(nested["TagsEntry"])
        #expect(tagsEntry.options.mapEntry)
        #expect(tagsEntry.field.map(\.name) == ["key", "value"])
        #expect(tagsEntry.field.map(\.number) == [1, 2])
        #expect(tagsEntry.field.map(\.label) == [.optional, .optional])
        #expect(tagsEntry.field.map(\.type) == [.string, .int64])

        let samples = try #require(nested["Samples"])
        #expect(samples.field.map(\.type) == [.int64])

        let extraEntry = try #require(nested["ExtraInfoEntry"])
        #expect(extraEntry.options.mapEntry)
        #expect(extraEntry.field.map(\.type) == [.int32, .message])
        #expect(extraEntry.field[1].typeName == ".zerobus_edge.table_Readings.ExtraInfo")
        #expect(nested["ExtraInfo"]?.field.map(\.name) == ["note"])
    }

    @Test func compiledFields_whenStructArrayMap_describeEncoding() throws {
        let descriptor = try MessageDescriptor(schema: Self.readings)
        let fields = descriptor.fields
        #expect(fields.map(\.type) == [.string, .double, .message, .message, .message, .message, .int32])
        #expect(fields.map(\.isMap) == [false, false, false, true, false, true, false])
        #expect(fields[2].message?.name == "Location")
        #expect(fields[2].message?.fields.map(\.label) == [.required, .repeated])
        #expect(fields[3].message?.isMapEntry == true)
        #expect(fields[5].message?.fields[1].message?.fullName == "zerobus_edge.table_Readings.ExtraInfo")
        #expect(fields[6].columnType == .date)
        #expect(descriptor.fieldIndex(named: "tags") == 3)
        #expect(descriptor.fieldIndex(named: "nope") == nil)
    }

    @Test func serializedDescriptorProto_parsesBackToTheSameMessage() throws {
        let descriptor = try MessageDescriptor(schema: Self.readings)
        let parsed = try Google_Protobuf_DescriptorProto(serializedBytes: descriptor.serializedDescriptorProto())
        #expect(parsed == descriptor.descriptorProto)
    }

    @Test func nestedNames_whenTheyCollide_stayUnique() throws {
        let schema = TableSchema(
            messageName: "row", package: "",
            columns: [
                Column(name: "Inner", type: .int),
                Column(name: "inner", type: .struct([Column(name: "a", type: .int)])),
                Column(name: "inner_", type: .struct([Column(name: "b", type: .int)])),
                Column(name: "x", type: .map(key: .string, value: .string)),
                Column(name: "x_entry", type: .struct([Column(name: "c", type: .int)])),
            ])
        let descriptor = try MessageDescriptor(schema: schema)
        #expect(descriptor.descriptorProto.nestedType.map(\.name) == ["Inner2", "Inner3", "XEntry", "XEntry2"])
        #expect(descriptor.descriptorProto.field[1].typeName == ".row.Inner2")
        #expect(descriptor.fullName == "row")
    }

    @Test(arguments: [
        (Column(name: "a", type: .array(.array(.int))),
         "a: array<array<int>> cannot be represented in protobuf; wrap the inner collection in a struct, "
            + "e.g. array<struct<values:array<int>>>"),
        (Column(name: "a", type: .array(.map(key: .string, value: .int))),
         "a: array<map<string,int>> cannot be represented in protobuf; wrap the inner collection in a struct, "
            + "e.g. array<struct<values:map<string,int>>>"),
        (Column(name: "m", type: .map(key: .string, value: .array(.int))),
         "m: map<string,array<int>> cannot be represented in protobuf (map values cannot be repeated); "
            + "wrap the value in a struct, e.g. map<string,struct<values:array<int>>>"),
        (Column(name: "m", type: .map(key: .double, value: .int)),
         "m: map key type double is not allowed in protobuf (use string or an integer type)"),
        (Column(name: "bad-name", type: .int), "bad-name: column name is not a protobuf identifier ([A-Za-z_][A-Za-z0-9_]*)"),
        (Column(name: "s", type: .struct([Column(name: "1x", type: .int)])),
         "s.1x: column name is not a protobuf identifier ([A-Za-z_][A-Za-z0-9_]*)"),
    ])
    func init_whenSchemaUnrepresentable_throwsClearError(column: Column, message: String) {
        #expect {
            try MessageDescriptor(schema: TableSchema(messageName: "t", columns: [column]))
        } throws: { error in
            (error as? DescriptorError)?.message == message
        }
    }

    @Test func init_whenDuplicateColumn_throws() {
        let schema = TableSchema(messageName: "t", columns: [Column(name: "a", type: .int), Column(name: "a", type: .string)])
        #expect(throws: DescriptorError("a: duplicate column")) { try MessageDescriptor(schema: schema) }
    }

    @Test func messageName_whenDerivedFromTable() {
        #expect(TableSchema.messageName(forTable: "main.iot.readings") == "table_readings")
        #expect(TableSchema.messageName(forTable: "main.iot.my-table 2") == "table_my_table_2")
        #expect(TableSchema(tableName: "c.s.Orders", columns: []).messageName == "table_Orders")
    }

    @Test func fieldNumbers_skipTheReservedRange() throws {
        let columns = (1...19_001).map { Column(name: "c\($0)", type: .boolean) }
        let descriptor = try MessageDescriptor(schema: TableSchema(messageName: "wide", columns: columns))
        #expect(descriptor.fields[18_998].number == 18_999)
        #expect(descriptor.fields[18_999].number == 20_000)
        #expect(descriptor.fields[19_000].number == 20_001)
    }
}
