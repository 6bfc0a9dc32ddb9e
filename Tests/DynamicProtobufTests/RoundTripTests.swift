import DynamicProtobuf
import Testing

@Suite struct RoundTripTests {
    typealias F = DescriptorFixtures

    static let everyColumnType = TableSchema(
        messageName: "table_All",
        columns: [
            Column(name: "s", type: .string, nullable: false),
            Column(name: "i", type: .int),
            Column(name: "b", type: .bigint),
            Column(name: "sm", type: .smallint),
            Column(name: "ti", type: .tinyint),
            Column(name: "f", type: .float),
            Column(name: "d", type: .double),
            Column(name: "flag", type: .boolean),
            Column(name: "raw", type: .binary),
            Column(name: "day", type: .date),
            Column(name: "ts", type: .timestamp),
            Column(name: "nums", type: .array(.bigint)),
            Column(name: "words", type: .array(.string)),
            Column(name: "attrs", type: .map(key: .string, value: .double)),
            Column(name: "by_id", type: .map(key: .int, value: .struct([Column(name: "label", type: .string)]))),
            Column(name: "pos", type: .struct([
                Column(name: "x", type: .float, nullable: false),
                Column(name: "hist", type: .array(.struct([Column(name: "t", type: .timestamp)]))),
            ])),
        ])

    static let fullRow: [ProtoValue?] = [
        .string("dev-1 ✓"), .int(Int64(Int32.min)), .int(Int64.max), .int(-32768), .int(127),
        .float(-0.25), .double(3.141592653589793), .bool(true), .bytes([0, 1, 255]), .int(19_000),
        .int(1_700_000_000_123_456),
        .list([.int(-1), .int(0), .int(Int64.min)]),
        .list([.string(""), .string("two")]),
        .map([.init(key: .string("k1"), value: .double(-1e300)), .init(key: .string("k2"), value: .double(0))]),
        .map([.init(key: .int(-5), value: .message([.string("neg")])), .init(key: .int(7), value: .message([nil]))]),
        .message([.float(2.5), .list([.message([.int(1)]), .message([.int(-2)])])]),
    ]

    @Test func decode_whenEncodedFromEveryColumnType_returnsTheSameRow() throws {
        let descriptor = try MessageDescriptor(schema: Self.everyColumnType)
        let bytes = try descriptor.encode(Self.fullRow)
        #expect(try descriptor.decode(bytes) == Self.fullRow)
    }

    @Test func decode_whenOptionalFieldsAbsent_returnsNil() throws {
        let descriptor = try MessageDescriptor(schema: Self.everyColumnType)
        var row = [ProtoValue?](repeating: nil, count: descriptor.fields.count)
        row[0] = .string("only")
        #expect(try descriptor.decode(descriptor.encode(row)) == row)
    }

    @Test func decode_whenEveryWireEncoding_roundTripsExtremes() throws {
        let descriptor = try F.allScalars()
        let rows: [[ProtoValue?]] = [
            [.int(Int64(Int32.min)), .int(Int64.min), .int(0), .int(0), .int(Int64(Int32.min)), .int(Int64.min),
             .int(0), .int(0), .int(Int64(Int32.min)), .int(Int64.min), .float(-.infinity), .double(-0.0),
             .bool(false), .string(""), .bytes([]), .int(0)],
            [.int(Int64(Int32.max)), .int(Int64.max), .int(Int64(UInt32.max)), .int(Int64.max),
             .int(Int64(Int32.max)), .int(Int64.max), .int(Int64(UInt32.max)), .int(Int64.max),
             .int(Int64(Int32.max)), .int(Int64.max), .float(.greatestFiniteMagnitude),
             .double(.leastNonzeroMagnitude), .bool(true), .string("日本語 \u{0}"), .bytes(Array(0...255)), .int(-2)],
        ]
        for row in rows {
            #expect(try descriptor.decode(descriptor.encode(row)) == row)
        }
    }

    @Test func decode_whenRepeatedScalarsArePacked_acceptsThem() throws {
        let descriptor = try F.schema([Column(name: "tags", type: .array(.int))])
        // Packed form a proto3 writer would produce: one length-delimited run of varints.
        #expect(try descriptor.decode([UInt8](hex: "0A 04 01 02 AC 02")) == [.list([.int(1), .int(2), .int(300)])])
    }

    @Test func decode_whenUnknownFieldsPresent_skipsThem() throws {
        let descriptor = try F.schema([Column(name: "a", type: .int)])
        // field 9 varint, field 10 fixed64, field 11 bytes, field 12 fixed32, then a = 3
        let bytes = [UInt8](hex: "48 05 51 01 02 03 04 05 06 07 08 5A 01 FF 65 01 02 03 04 08 03")
        #expect(try descriptor.decode(bytes) == [.int(3)])
    }

    @Test(arguments: [
        ("08", "invalid protobuf at byte 1: truncated varint"),
        ("12 05 61", "invalid protobuf at byte 1: length 5 runs past the end"),
        ("0A 01 61", "invalid protobuf at byte 0: field a (int32) has wire type 2"),
        ("00", "invalid protobuf at byte 0: invalid tag 0"),
        ("12 02 C3 28", "invalid protobuf at byte 1: field s is not valid UTF-8"),
    ])
    func decode_whenBytesAreInvalid_saysWhere(hex: String, message: String) throws {
        let descriptor = try F.schema([Column(name: "a", type: .int), Column(name: "s", type: .string)])
        #expect {
            try descriptor.decode([UInt8](hex: hex))
        } throws: { error in
            (error as? ProtoDecodingError)?.description == message
        }
    }

    @Test func jsonString_rendersNamesNestingMapsAndBase64() throws {
        let descriptor = try MessageDescriptor(schema: Self.everyColumnType)
        let json = descriptor.jsonString(of: Self.fullRow)
        #expect(json == #"{"s":"dev-1 ✓","i":-2147483648,"b":9223372036854775807,"sm":-32768,"ti":127,"#
            + #""f":-0.25,"d":3.141592653589793,"flag":true,"raw":"AAH/","day":19000,"ts":1700000000123456,"#
            + #""nums":[-1,0,-9223372036854775808],"words":["","two"],"attrs":{"k1":-1e+300,"k2":0.0},"#
            + #""by_id":{"-5":{"label":"neg"},"7":{}},"pos":{"x":2.5,"hist":[{"t":1},{"t":-2}]}}"#)
    }

    @Test func jsonString_escapesStringsAndMarksNonFiniteNumbers() throws {
        let descriptor = try F.schema([
            Column(name: "s", type: .string), Column(name: "d", type: .double), Column(name: "e", type: .float),
        ])
        let json = descriptor.jsonString(of: [.string("a\"b\\c\n\u{1}"), .double(.nan), .float(-.infinity), .int(9)])
        #expect(json == ##"{"s":"a\"b\\c\n\u0001","d":"NaN","e":"-Infinity","#3":9}"##)
    }

    @Test(arguments: [
        ([UInt8](), ""), ([0x66], "Zg=="), ([0x66, 0x6F], "Zm8="), ([0x66, 0x6F, 0x6F], "Zm9v"),
        ([0x66, 0x6F, 0x6F, 0x62, 0x61, 0x72], "Zm9vYmFy"),
    ])
    func jsonString_base64MatchesRFC4648(bytes: [UInt8], expected: String) throws {
        let descriptor = try F.schema([Column(name: "b", type: .binary)])
        #expect(descriptor.jsonString(of: [.bytes(bytes)]) == "{\"b\":\"\(expected)\"}")
    }
}
