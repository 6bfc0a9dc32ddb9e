import DynamicProtobuf
import Testing

@Suite struct ColumnTypeParserTests {
    @Test(arguments: [
        ("string", ColumnType.string), ("STRING", .string), ("varchar(20)", .string), ("char( 3 )", .string),
        ("variant", .string),
        ("int", .int), ("Integer", .int), ("bigint", .bigint), ("LONG", .bigint),
        ("smallint", .smallint), ("short", .smallint), ("tinyint", .tinyint), ("byte", .tinyint),
        ("float", .float), ("real", .float), ("double", .double), ("boolean", .boolean), ("binary", .binary),
        ("date", .date), ("timestamp", .timestamp), ("TIMESTAMP_NTZ", .timestamp), ("timestamp_ltz", .timestamp),
        ("  bigint  ", .bigint),
    ])
    func parse_whenScalar(text: String, expected: ColumnType) throws {
        #expect(try ColumnType(parsing: text) == expected)
    }

    @Test func parse_whenNestedCollections() throws {
        #expect(try ColumnType(parsing: "array<string>") == .array(.string))
        #expect(try ColumnType(parsing: "ARRAY < BIGINT >") == .array(.bigint))
        #expect(try ColumnType(parsing: "map<string, double>") == .map(key: .string, value: .double))
        #expect(
            try ColumnType(parsing: "map<string,array<struct<x:int>>>")
                == .map(key: .string, value: .array(.struct([Column(name: "x", type: .int)]))))
        #expect(
            try ColumnType(parsing: "struct<a:int,b:array<string>>")
                == .struct([Column(name: "a", type: .int), Column(name: "b", type: .array(.string))]))
    }

    @Test func parse_whenStructFieldsUseDDLForms() throws {
        let parsed = try ColumnType(parsing: "STRUCT< `odd name`: INT NOT NULL, b STRING COMMENT 'the b, really', `x``y`:date >")
        #expect(
            parsed
                == .struct([
                    Column(name: "odd name", type: .int, nullable: false),
                    Column(name: "b", type: .string),
                    Column(name: "x`y", type: .date),
                ]))
    }

    @Test(arguments: [
        "string", "array<map<string,struct<a:int,b:array<binary>>>>", "struct<a:int NOT NULL,`b c`:timestamp>",
        "map<bigint,boolean>", "struct<`x``y`:array<tinyint>,z:smallint>",
    ])
    func description_roundTrips(text: String) throws {
        let parsed = try ColumnType(parsing: text)
        #expect(parsed.description == text)
        #expect(try ColumnType(parsing: parsed.description) == parsed)
    }

    @Test func parse_whenDecimal_explainsAndLocates() {
        #expect {
            try ColumnType(parsing: "array<decimal(10, 2)>")
        } throws: { error in
            let parseError = error as? ColumnTypeParseError
            return parseError?.column == 7
                && parseError?.description
                    == "unsupported type 'decimal(10, 2)': decimal has no Zerobus protobuf mapping "
                    + "(use double, or string for exact values) at column 7 of \"array<decimal(10, 2)>\""
        }
    }

    @Test(arguments: [
        ("strin", "unknown type 'strin' at column 1 of \"strin\""),
        ("array<int", "expected '>' after the array element type, found the end at column 10 of \"array<int\""),
        ("map<string>", "expected ',' after the map key type, found '>' at column 11 of \"map<string>\""),
        ("struct<>", "struct needs at least one field at column 8 of \"struct<>\""),
        ("struct<a:int,a:string>", "duplicate struct field 'a' at column 14 of \"struct<a:int,a:string>\""),
        ("int extra", "unexpected 'extra' after the type at column 5 of \"int extra\""),
        ("interval", "unsupported type 'interval': no Zerobus protobuf mapping at column 1 of \"interval\""),
        ("struct<`a:int>", "unterminated backquoted field name at column 8 of \"struct<`a:int>\""),
        ("", "expected a type name at column 1 of \"\""),
        ("struct<a:int NOT>", "expected NULL after NOT at column 14 of \"struct<a:int NOT>\""),
    ])
    func parse_whenInvalid_saysWhatAndWhere(text: String, message: String) {
        #expect {
            try ColumnType(parsing: text)
        } throws: { error in
            (error as? ColumnTypeParseError)?.description == message
        }
    }

    /// 100k nested arrays (or 20k nested structs) overflowed the stack of the recursive parser
    /// (SIGSEGV in check-config); now the nesting is limited and the error says where.
    @Test func parse_whenNestedTooDeep_failsInsteadOfCrashing() {
        let arrays = String(repeating: "array<", count: 100_000) + "int" + String(repeating: ">", count: 100_000)
        let structs = String(repeating: "struct<a:", count: 20_000) + "int" + String(repeating: ">", count: 20_000)
        let limit = ColumnType.maximumNesting
        for (text, column) in [(arrays, 6 * limit + 1), (structs, 9 * limit + 1)] {
            #expect {
                try ColumnType(parsing: text)
            } throws: { error in
                let parseError = error as? ColumnTypeParseError
                return parseError?.reason == "types nested more than 64 levels deep are not supported"
                    && parseError?.column == column
            }
        }
    }

    @Test func parse_atTheNestingLimit_succeeds() throws {
        let limit = ColumnType.maximumNesting
        let text = String(repeating: "array<", count: limit - 1) + "map<string,int>" + String(repeating: ">", count: limit - 1)
        var type = try ColumnType(parsing: text)
        for _ in 1..<limit {
            guard case .array(let element) = type else { Issue.record("expected an array"); return }
            type = element
        }
        #expect(type == .map(key: .string, value: .int))
    }
}
