import DynamicProtobuf
import Testing
@testable import AgentCore

/// Maps `{"v": <json>}` into one column named `v` of `type`.
func mapSingle(_ type: ColumnType, _ json: String) throws(MappingError) -> ProtoValue? {
    let mapper = RowMapper(
        mappings: [ColumnMapping(column: Column(name: "v", type: type), source: .jsonPath(JSONPath([.key("v")])))],
        format: .json
    )
    let context = MessageContext(receivedAtMicros: 0, gatewayID: "gw", recordID: "r")
    guard case .row(let row) = try mapper.map(topic: "t", payload: Array("{\"v\": \(json)}".utf8), context: context)
    else { return nil }
    return row[0]
}

@Suite struct ValueCoercionTests {
    @Test(arguments: [
        ("\"abc\"", "abc"),
        ("21.5", "21.5"),
        ("42", "42"),
        ("-0", "0"),
        ("1e300", "1e+300"),
        ("true", "true"),
        ("false", "false"),
        (#"{"a": [1, "x"], "b": null}"#, #"{"a":[1,"x"],"b":null}"#),
        ("[1, 2]", "[1,2]"),
    ])
    func string(json: String, expected: String) throws {
        #expect(try mapSingle(.string, json) == .string(expected))
    }

    @Test(arguments: [
        (ColumnType.tinyint, "127", Int64(127)), (.tinyint, "-128", -128),
        (.smallint, "32767", 32767), (.smallint, "-32768", -32768),
        (.int, "2147483647", 2_147_483_647), (.int, "-2147483648", -2_147_483_648),
        (.bigint, "9223372036854775807", Int64.max), (.bigint, "-9223372036854775808", Int64.min),
        (.int, "21.0", 21), (.int, "1e3", 1000), (.int, "\"42\"", 42), (.int, "\" -7 \"", -7),
        (.bigint, "\"9007199254740993\"", 9_007_199_254_740_993),
    ])
    func integers(type: ColumnType, json: String, expected: Int64) throws {
        #expect(try mapSingle(type, json) == .int(expected))
    }

    @Test(arguments: [
        (ColumnType.tinyint, "128", "column 'v': number 128 out of range for tinyint"),
        (.tinyint, "-129", "column 'v': number -129 out of range for tinyint"),
        (.smallint, "32768", "column 'v': number 32768 out of range for smallint"),
        (.int, "2147483648", "column 'v': number 2147483648 out of range for int"),
        (.int, "\"3000000000\"", "column 'v': string \"3000000000\" out of range for int"),
        (.bigint, "9223372036854775808", "column 'v': number 9.223372036854776e+18 out of range for bigint"),
        (.bigint, "1e19", "column 'v': number 1e+19 out of range for bigint"),
    ])
    func integerRanges(type: ColumnType, json: String, reason: String) {
        #expect(throws: MappingError(kind: .outOfRange, reason: reason)) { try mapSingle(type, json) }
    }

    @Test(arguments: [
        (ColumnType.int, "21.5", "column 'v': number 21.5 is not an integer (int)"),
        (.bigint, "\"21.5\"", "column 'v': string \"21.5\" is not an integer (bigint)"),
        (.int, "\"abc\"", "column 'v': expected an integer for int, got string \"abc\""),
        (.int, "true", "column 'v': expected an integer for int, got boolean true"),
        (.smallint, "[1]", "column 'v': expected an integer for smallint, got array"),
        (.double, "\"warm\"", "column 'v': expected a number for double, got string \"warm\""),
        (.double, "{}", "column 'v': expected a number for double, got object"),
        (.boolean, "\"yes\"", "column 'v': expected true/false for boolean, got string \"yes\""),
        (.boolean, "2", "column 'v': expected true/false for boolean, got number 2"),
        (.binary, "12", "column 'v': expected a string for binary, got number 12"),
        (.date, "\"2024-02-30\"", "column 'v': expected a date YYYY-MM-DD, got string \"2024-02-30\""),
        (.date, "1.5", "column 'v': expected a whole number of days for date, got number 1.5"),
        (.timestamp, "\"noon\"", "column 'v': expected an ISO 8601 timestamp or epoch number, got string \"noon\""),
        (.timestamp, "true", "column 'v': expected an ISO 8601 timestamp or epoch number, got boolean true"),
        (.array(.int), "1", "column 'v': expected an array, got number 1"),
        (.map(key: .string, value: .int), "[]", "column 'v': expected an object for a map, got array"),
        (.struct([Column(name: "a", type: .int)]), "\"x\"", "column 'v': expected an object, got string \"x\""),
    ])
    func wrongTypes(type: ColumnType, json: String, reason: String) {
        #expect(throws: MappingError(kind: .wrongType, reason: reason)) { try mapSingle(type, json) }
    }

    @Test func longStringsAreTruncatedInErrors() {
        let long = String(repeating: "x", count: 100)
        #expect(throws: MappingError(
            kind: .wrongType,
            reason: "column 'v': expected a number for double, got string \"\(String(repeating: "x", count: 40))…\""
        )) { try mapSingle(.double, "\"\(long)\"") }
    }

    @Test func floatingPoint() throws {
        #expect(try mapSingle(.double, "21.5") == .double(21.5))
        #expect(try mapSingle(.double, "7") == .double(7))
        #expect(try mapSingle(.double, "\"-3.25\"") == .double(-3.25))
        #expect(try mapSingle(.double, "\"Infinity\"") == .double(.infinity))
        #expect(try mapSingle(.double, "\"-inf\"") == .double(-.infinity))
        guard case .double(let nan) = try mapSingle(.double, "\"NaN\"") else { Issue.record("not a double"); return }
        #expect(nan.isNaN)
        #expect(try mapSingle(.float, "0.1") == .float(0.1))
        #expect(try mapSingle(.float, "3.4e38") == .float(3.4e38))
        #expect(throws: MappingError(kind: .outOfRange, reason: "column 'v': number 1e+39 out of range for float")) {
            try mapSingle(.float, "1e39")
        }
    }

    /// Decided for the hardening issue: strings naming NaN and infinities are accepted for float
    /// and double only (JSON cannot carry them as numbers); every other type refuses them.
    @Test func nanAndInfinityStringsOnlyForFloatingPointColumns() throws {
        #expect(try mapSingle(.float, "\"inf\"") == .float(.infinity))
        #expect(try mapSingle(.float, "\"-Infinity\"") == .float(-.infinity))
        guard case .float(let nan) = try mapSingle(.float, "\"nan\"") else { Issue.record("not a float"); return }
        #expect(nan.isNaN)
        #expect(throws: MappingError(kind: .wrongType, reason: #"column 'v': expected a number for double, got string "infinite""#)) {
            try mapSingle(.double, "\"infinite\"")
        }
        for type in [ColumnType.int, .bigint, .timestamp, .date, .boolean] {
            #expect(throws: MappingError.self) { try mapSingle(type, "\"NaN\"") }
            #expect(throws: MappingError.self) { try mapSingle(type, "\"inf\"") }
        }
    }

    /// A non-zero reading must not silently become 0: 1e-400 (double) and 1e-50 (float) are
    /// quarantined; subnormal doubles keep their value.
    @Test func underflowIsAnError() throws {
        #expect(throws: MappingError(
            kind: .invalidPayload, reason: "invalid JSON at byte 6: number 1e-400 is too small for a double (it would read as 0)"
        )) { try mapSingle(.double, "1e-400") }
        #expect(throws: MappingError(kind: .outOfRange, reason: "column 'v': number 1e-50 out of range for float")) {
            try mapSingle(.float, "1e-50")
        }
        #expect(try mapSingle(.double, "5e-324") == .double(.leastNonzeroMagnitude))
        #expect(try mapSingle(.float, "0") == .float(0))
        #expect(try mapSingle(.float, "-0.0") == .float(-0.0))
    }

    /// Decided for the hardening issue: a payload with a duplicated key is quarantined, naming it.
    @Test func duplicateKeysQuarantineThePayload() {
        let mapper = RowMapper(
            mappings: [ColumnMapping(column: Column(name: "v", type: .double), source: .jsonPath(JSONPath([.key("v")])))],
            format: .json)
        let context = MessageContext(receivedAtMicros: 0, gatewayID: "gw", recordID: "r")
        #expect(throws: MappingError(kind: .invalidPayload, reason: #"invalid JSON at byte 9: duplicate key "v" in object"#)) {
            try mapper.map(topic: "t", payload: Array(#"{"v": 1, "v": 2}"#.utf8), context: context)
        }
    }

    @Test func booleans() throws {
        #expect(try mapSingle(.boolean, "true") == .bool(true))
        #expect(try mapSingle(.boolean, "false") == .bool(false))
        #expect(try mapSingle(.boolean, "\"true\"") == .bool(true))
        #expect(try mapSingle(.boolean, "\"FALSE\"") == .bool(false))
        #expect(try mapSingle(.boolean, "1") == .bool(true))
        #expect(try mapSingle(.boolean, "0") == .bool(false))
    }

    @Test func binary() throws {
        #expect(try mapSingle(.binary, "\"hé\"") == .bytes([0x68, 0xC3, 0xA9]))
    }

    @Test func dates() throws {
        #expect(try mapSingle(.date, "\"2024-02-29\"") == .int(19_782))
        #expect(try mapSingle(.date, "19782") == .int(19_782))
        #expect(try mapSingle(.date, "-1") == .int(-1))
        #expect(throws: MappingError(kind: .outOfRange, reason: "column 'v': number 3000000000 out of range for date")) {
            try mapSingle(.date, "3000000000")
        }
    }

    @Test(arguments: [
        ("\"2024-02-29T12:34:56Z\"", Int64(1_709_210_096_000_000)),
        ("\"2024-02-29T14:34:56.250+02:00\"", 1_709_210_096_250_000),
        ("\"2024-02-29 12:34:56\"", 1_709_210_096_000_000),
        ("1709210096", 1_709_210_096_000_000),
        ("1709210096.5", 1_709_210_096_500_000),
        ("1709210096123", 1_709_210_096_123_000),
        ("1709210096123456", 1_709_210_096_123_456),
        ("\"1709210096\"", 1_709_210_096_000_000),
        ("99999999999", 99_999_999_999_000_000),
        ("100000000000", 100_000_000_000_000),
        ("99999999999999", 99_999_999_999_999_000),
        ("100000000000000", 100_000_000_000_000),
    ])
    func timestamps(json: String, micros: Int64) throws {
        #expect(try mapSingle(.timestamp, json) == .int(micros))
    }

    @Test func arrays() throws {
        #expect(try mapSingle(.array(.double), "[1, 2.5, \"3\"]") == .list([.double(1), .double(2.5), .double(3)]))
        #expect(try mapSingle(.array(.array(.int)), "[[1], []]") == .list([.list([.int(1)]), .list([])]))
        #expect(throws: MappingError(kind: .wrongType, reason: "column 'v[1]': arrays cannot hold null elements")) {
            try mapSingle(.array(.int), "[1, null]")
        }
        #expect(throws: MappingError(kind: .outOfRange, reason: "column 'v[2]': number 300 out of range for tinyint")) {
            try mapSingle(.array(.tinyint), "[1, 2, 300]")
        }
    }

    @Test func structs() throws {
        let type = ColumnType.struct([
            Column(name: "x", type: .double),
            Column(name: "label", type: .string),
            Column(name: "id", type: .bigint, nullable: false),
            Column(name: "tags", type: .array(.string)),
        ])
        #expect(try mapSingle(type, #"{"x": 1.5, "id": 7, "extra": 1, "tags": ["a"]}"#)
            == .message([.double(1.5), nil, .int(7), .list([.string("a")])]))
        #expect(try mapSingle(type, #"{"x": null, "label": 3, "id": "8"}"#) == .message([nil, .string("3"), .int(8), nil]))
        #expect(throws: MappingError(kind: .missingValue, reason: "column 'v.id': missing")) {
            try mapSingle(type, #"{"x": 1}"#)
        }
        #expect(throws: MappingError(kind: .wrongType, reason: "column 'v.tags[0]': arrays cannot hold null elements")) {
            try mapSingle(type, #"{"id": 1, "tags": [null]}"#)
        }
        let nested = ColumnType.array(.struct([Column(name: "p", type: .struct([Column(name: "q", type: .int)]))]))
        #expect(throws: MappingError(kind: .wrongType, reason: "column 'v[1].p.q': number 0.5 is not an integer (int)")) {
            try mapSingle(nested, #"[{"p": {"q": 1}}, {"p": {"q": 0.5}}]"#)
        }
    }

    @Test func maps() throws {
        #expect(try mapSingle(.map(key: .string, value: .double), #"{"a": 1, "b": "2.5"}"#) == .map([
            ProtoValue.MapEntry(key: .string("a"), value: .double(1)),
            ProtoValue.MapEntry(key: .string("b"), value: .double(2.5)),
        ]))
        #expect(try mapSingle(.map(key: .int, value: .boolean), #"{"1": true, "-2": false}"#) == .map([
            ProtoValue.MapEntry(key: .int(1), value: .bool(true)),
            ProtoValue.MapEntry(key: .int(-2), value: .bool(false)),
        ]))
        #expect(throws: MappingError(kind: .wrongType, reason: #"column 'v["x"]': expected an integer for int, got string "x""#)) {
            try mapSingle(.map(key: .int, value: .int), #"{"x": 1}"#)
        }
        #expect(throws: MappingError(kind: .wrongType, reason: #"column 'v["a"]': maps cannot hold null values"#)) {
            try mapSingle(.map(key: .string, value: .int), #"{"a": null}"#)
        }
    }
}
