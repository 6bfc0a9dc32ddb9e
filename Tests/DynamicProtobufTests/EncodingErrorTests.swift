import DynamicProtobuf
import Testing

@Suite struct EncodingErrorTests {
    typealias F = DescriptorFixtures

    static func readings() throws -> MessageDescriptor {
        try F.schema([
            Column(name: "device", type: .string, nullable: false),
            Column(name: "level", type: .tinyint),
            Column(name: "code", type: .smallint),
            Column(name: "count", type: .int),
            Column(name: "readings", type: .struct([
                Column(name: "unit", type: .string, nullable: false),
                Column(name: "tags", type: .map(key: .string, value: .int)),
                Column(name: "points", type: .array(.struct([Column(name: "v", type: .double)]))),
            ])),
            Column(name: "flags", type: .array(.boolean)),
        ])
    }

    /// A valid row with one position replaced.
    static func row(replacing position: Int, with value: ProtoValue?) -> [ProtoValue?] {
        var row: [ProtoValue?] = [
            .string("d"), .int(1), .int(2), .int(3),
            .message([.string("C"), .map([.init(key: .string("a"), value: .int(1))]), .list([.message([.double(1)])])]),
            .list([.bool(true)]),
        ]
        row[position] = value
        return row
    }

    @Test(arguments: [
        (0, nil, "device: required field is missing"),
        (0, ProtoValue.int(1), "device: expected string, got int"),
        (1, .int(128), "level: 128 is out of range for tinyint"),
        (1, .int(-129), "level: -129 is out of range for tinyint"),
        (2, .int(40_000), "code: 40000 is out of range for smallint"),
        (3, .int(2_147_483_648), "count: 2147483648 is out of range for int32"),
        (3, .double(1), "count: expected int32, got double"),
        (4, .string("x"), "readings: expected message Readings, got string"),
        (4, .message([.string("C")]), "readings: expected 3 values (one per field), got 1"),
        (4, .message([nil, nil, nil]), "readings.unit: required field is missing"),
        (4, .message([.string("C"), .map([.init(key: .string("a"), value: .int(1)), .init(key: .string("b"), value: .int(1)),
                                         .init(key: .string("c"), value: .string("x"))]), nil]),
         "readings.tags[2].value: expected int32, got string"),
        (4, .message([.string("C"), .map([.init(key: .int(1), value: .int(1))]), nil]),
         "readings.tags[0].key: expected string, got int"),
        (4, .message([.string("C"), .list([]), nil]), "readings.tags: expected map<string,int32>, got list"),
        (4, .message([.string("C"), nil, .list([.message([.double(1)]), .message([.bool(true)])])]),
         "readings.points[1].v: expected double, got bool"),
        (5, .bool(true), "flags: expected list of bool, got bool"),
        (5, .list([.bool(true), .int(1)]), "flags[1]: expected bool, got int"),
    ])
    func encode_whenRowDoesNotFit_namesTheFieldPath(position: Int, value: ProtoValue?, message: String) throws {
        let descriptor = try Self.readings()
        #expect {
            try descriptor.encode(Self.row(replacing: position, with: value))
        } throws: { error in
            (error as? EncodingError)?.description == message
        }
    }

    @Test func encode_whenValidRow_succeeds() throws {
        // Guards the table above: the unmodified row really is valid.
        let descriptor = try Self.readings()
        #expect(try !descriptor.encode(Self.row(replacing: 1, with: .int(-128))).isEmpty)
    }

    @Test func encode_whenRowHasWrongLength_namesTheMessage() throws {
        let descriptor = try Self.readings()
        #expect(throws: EncodingError(fieldPath: "Row", reason: .wrongValueCount(expected: 6, got: 2))) {
            try descriptor.encode([.string("d"), nil])
        }
    }

    @Test(arguments: [
        (0, ProtoValue.int(-1), "u32: -1 is out of range for uint32"),
        (0, .int(4_294_967_296), "u32: 4294967296 is out of range for uint32"),
        (1, .int(-1), "u64: -1 is out of range for uint64"),
        (2, .int(3), "color: 3 is not a value of enum test.Scalars.Color"),
        (3, .double(1e300), "flt: 1e+300 is out of range for float"),
        (2, .string("RED"), "color: expected enum Color, got string"),
    ])
    func encode_whenProtoTypeRangeViolated_throws(position: Int, value: ProtoValue, message: String) throws {
        let all = try DescriptorFixtures.allScalars()
        let picked = ["u32", "u64", "color", "flt"].map { all.fieldIndex(named: $0)! }
        var row = [ProtoValue?](repeating: nil, count: all.fields.count)
        row[picked[position]] = value
        #expect {
            try all.encode(row)
        } throws: { error in
            (error as? EncodingError)?.description == message
        }
    }
}
