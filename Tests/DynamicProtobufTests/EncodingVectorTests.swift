import DynamicProtobuf
import Testing

/// Byte-exact vectors worked out by hand from the protobuf encoding rules.
@Suite struct EncodingVectorTests {
    typealias F = DescriptorFixtures

    @Test func encode_whenScalarColumns_writesVarintFixedAndLengthDelimited() throws {
        let descriptor = try F.schema([
            Column(name: "id", type: .bigint),
            Column(name: "name", type: .string),
            Column(name: "temp", type: .double),
            Column(name: "ok", type: .boolean),
            Column(name: "small", type: .int),
            Column(name: "ratio", type: .float),
            Column(name: "raw", type: .binary),
        ])
        let bytes = try descriptor.encode([
            .int(150), .string("hi"), .double(1.5), .bool(true), .int(-1), .float(1.5), .bytes([0xDE, 0xAD]),
        ])
        #expect(bytes == [UInt8](hex:
            "08 96 01 "                          // 1: varint 150
            + "12 02 68 69 "                     // 2: "hi"
            + "19 00 00 00 00 00 00 F8 3F "      // 3: double 1.5 little-endian
            + "20 01 "                           // 4: true
            + "28 FF FF FF FF FF FF FF FF FF 01 " // 5: int32 -1 sign-extended to 10 bytes
            + "35 00 00 C0 3F "                  // 6: float 1.5
            + "3A 02 DE AD"))                    // 7: bytes
    }

    @Test func encode_whenFieldsAbsent_writesNothingForThem() throws {
        let descriptor = try F.schema([Column(name: "a", type: .int), Column(name: "b", type: .int)])
        #expect(try descriptor.encode([nil, .int(0)]) == [0x10, 0x00])
        #expect(try descriptor.encode([nil, nil]) == [])
    }

    @Test func encode_whenEveryWireEncoding_matchesHandVectors() throws {
        let descriptor = try F.allScalars()
        let row: [ProtoValue?] = [
            .int(-2), .int(Int64.min), .int(4_294_967_295), .int(1), .int(-1), .int(-2),
            .int(1), .int(Int64.max), .int(-2), .int(-1), .double(0.5), .int(2),
            .bool(false), .string("é"), .string("A"), .int(-2),
        ]
        #expect(try descriptor.encode(row) == [UInt8](hex:
            "08 FE FF FF FF FF FF FF FF FF 01 "     // int32 -2
            + "10 80 80 80 80 80 80 80 80 80 01 "   // int64 min
            + "18 FF FF FF FF 0F "                  // uint32 max
            + "20 01 "                              // uint64 1
            + "28 01 "                              // sint32 -1 → zigzag 1
            + "30 03 "                              // sint64 -2 → zigzag 3
            + "3D 01 00 00 00 "                     // fixed32 1
            + "41 FF FF FF FF FF FF FF 7F "         // fixed64 Int64.max
            + "4D FE FF FF FF "                     // sfixed32 -2
            + "51 FF FF FF FF FF FF FF FF "         // sfixed64 -1
            + "5D 00 00 00 3F "                     // float 0.5 (from .double)
            + "61 00 00 00 00 00 00 00 40 "         // double 2.0 (from .int)
            + "68 00 "                              // bool false (present, so written)
            + "72 02 C3 A9 "                        // string "é" as UTF-8
            + "7A 01 41 "                           // bytes from .string
            + "80 01 FE FF FF FF FF FF FF FF FF 01"))  // field 16: two-byte tag, enum -2
    }

    @Test func encode_whenNestedStruct_writesLengthPrefixedMessage() throws {
        let descriptor = try F.schema([
            Column(name: "id", type: .int),
            Column(name: "inner", type: .struct([Column(name: "a", type: .int), Column(name: "b", type: .string)])),
        ])
        let bytes = try descriptor.encode([.int(1), .message([.int(7), .string("x")])])
        #expect(bytes == [UInt8](hex: "08 01 12 05 08 07 12 01 78"))
    }

    @Test func encode_whenNestedLongerThan127Bytes_usesTwoByteLength() throws {
        let descriptor = try F.schema([
            Column(name: "inner", type: .struct([Column(name: "s", type: .string)])),
            Column(name: "after", type: .int),
        ])
        let text = String(repeating: "z", count: 200)
        let bytes = try descriptor.encode([.message([.string(text)]), .int(5)])
        // inner = 0A C8 01 + 200 bytes = 203 bytes → length varint CB 01.
        let expected = [UInt8](hex: "0A CB 01 0A C8 01") + [UInt8](repeating: 0x7A, count: 200) + [0x10, 0x05]
        #expect(bytes == expected)
    }

    @Test func encode_whenRepeatedScalars_writesThemUnpacked() throws {
        let descriptor = try F.schema([Column(name: "tags", type: .array(.int))])
        #expect(try descriptor.encode([.list([.int(1), .int(2), .int(300)])]) == [UInt8](hex: "08 01 08 02 08 AC 02"))
        #expect(try descriptor.encode([.list([])]) == [])
    }

    @Test func encode_whenRepeatedStructs_writesOneMessagePerElement() throws {
        let descriptor = try F.schema([Column(name: "points", type: .array(.struct([Column(name: "v", type: .bigint)])))])
        let bytes = try descriptor.encode([.list([.message([.int(1)]), .message([nil])])])
        #expect(bytes == [UInt8](hex: "0A 02 08 01 0A 00"))
    }

    @Test func encode_whenMap_writesEntryMessagesWithKeyAndValue() throws {
        let descriptor = try F.schema([Column(name: "m", type: .map(key: .string, value: .int))])
        let bytes = try descriptor.encode([
            .map([ProtoValue.MapEntry(key: .string("a"), value: .int(1)), .init(key: .string(""), value: .int(0))]),
        ])
        #expect(bytes == [UInt8](hex: "0A 05 0A 01 61 10 01 0A 04 0A 00 10 00"))
    }

    @Test func encode_whenMapOfStructs_nestsValueMessageInEntry() throws {
        let descriptor = try F.schema([
            Column(name: "m", type: .map(key: .bigint, value: .struct([Column(name: "n", type: .string)]))),
        ])
        let bytes = try descriptor.encode([.map([.init(key: .int(-1), value: .message([.string("q")]))])])
        #expect(bytes == [UInt8](hex: "0A 10 08 FF FF FF FF FF FF FF FF FF 01 12 03 0A 01 71"))
    }

    @Test func encode_appendingTo_reusesTheBuffer() throws {
        let descriptor = try F.schema([Column(name: "a", type: .int)])
        var buffer: [UInt8] = [0xAA]
        try descriptor.encode([.int(3)], appendingTo: &buffer)
        try descriptor.encode([.int(4)], appendingTo: &buffer)
        #expect(buffer == [0xAA, 0x08, 0x03, 0x08, 0x04])
    }
}
