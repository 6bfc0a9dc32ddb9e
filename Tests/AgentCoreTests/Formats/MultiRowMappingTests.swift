import DynamicProtobuf
import Testing
@testable import AgentCore

/// Messages that hold several readings: `explode`, CSV and line protocol, through `RowMapper`.
@Suite struct MultiRowMappingTests {
    private let context = MessageContext(receivedAtMicros: 1_700_000_000_000_000, gatewayID: "gw", recordID: "m7")

    private func mapper(_ format: PayloadFormat, _ options: PayloadOptions = PayloadOptions(),
                        _ columns: [(String, ColumnType, String)]) throws -> RowMapper {
        RowMapper(mappings: try columns.map { name, type, source in
            ColumnMapping(column: Column(name: name, type: type), source: try ColumnSource(parsing: source), optional: true)
        }, format: format, options: options)
    }

    private func rows(_ mapper: RowMapper, _ payload: String, topic: String = "plant/line-1") throws(MappingError) -> [RowMapper.MappedRow] {
        guard case .rows(let rows) = try mapper.map(topic: topic, payload: Array(payload.utf8), context: context) else {
            Issue.record("expected several rows")
            return []
        }
        return rows
    }

    @Test func explodesAnArrayKeepingTheMessageAndTheIndex() throws {
        let mapper = try mapper(.json, PayloadOptions(explode: try JSONPath(parsing: "$.readings")), [
            ("device", .string, "$.device"), ("metric", .string, "@.name"), ("value", .double, "@.v"),
            ("index", .int, "@key"), ("record_id", .string, "record_id"),
        ])
        let mapped = try rows(mapper, #"{"device":"press-7","readings":[{"name":"t","v":21.5},{"name":"p","v":1.2}]}"#)
        #expect(mapped.map(\.recordID) == ["m7.0", "m7.1"])
        #expect(mapped.map(\.values) == [
            [.string("press-7"), .string("t"), .double(21.5), .int(0), .string("m7.0")],
            [.string("press-7"), .string("p"), .double(1.2), .int(1), .string("m7.1")],
        ])
    }

    @Test func explodesAnObjectOfMetricToValue() throws {
        let mapper = try mapper(.json, PayloadOptions(explode: try JSONPath(parsing: "$")), [
            ("metric", .string, "@key"), ("value", .double, "@"),
        ])
        let mapped = try rows(mapper, #"{"temp": 21.5, "rh": 40}"#)
        #expect(mapped.map(\.values) == [[.string("temp"), .double(21.5)], [.string("rh"), .double(40)]])
    }

    @Test func explodeRefusesTheWholeMessageWhenOneElementFails() throws {
        let mapper = try mapper(.json, PayloadOptions(explode: try JSONPath(parsing: "$.r")), [("value", .double, "@.v")])
        #expect(throws: MappingError(kind: .wrongType, reason: "$.r[1]: column 'value': expected a number for double, got string \"x\"")) {
            try mapper.map(topic: "t", payload: Array(#"{"r":[{"v":1},{"v":"x"}]}"#.utf8), context: context)
        }
        #expect(throws: MappingError(kind: .wrongType, reason: "explode $.r: expected an array or object, got number")) {
            try mapper.map(topic: "t", payload: Array(#"{"r":5}"#.utf8), context: context)
        }
        #expect(try rows(mapper, #"{"r":[]}"#).isEmpty)
    }

    @Test func csvWithAHeaderQuotingAndCRLF() throws {
        let mapper = try mapper(.csv, PayloadOptions(), [
            ("device", .string, "$.device"), ("value", .double, "$.value"), ("note", .string, "$.note"),
        ])
        let payload = "device,value,note\r\n007,21.5,\"a, \"\"quoted\"\"\nnote\"\r\n\r\nx9,,\n"
        let mapped = try rows(mapper, payload)
        #expect(mapped.map(\.values) == [
            [.string("007"), .double(21.5), .string("a, \"quoted\"\nnote")],
            [.string("x9"), nil, nil],
        ])
        #expect(mapped.map(\.recordID) == ["m7.0", "m7.1"])
    }

    @Test func csvWithConfiguredColumnsAndDelimiter() throws {
        let options = PayloadOptions(csv: CSVOptions(delimiter: UInt8(ascii: ";"), header: false, columns: ["ts", "v"]))
        let mapper = try mapper(.csv, options, [("ts", .timestamp, "$.ts"), ("v", .double, "$.v")])
        let mapped = try rows(mapper, "2024-02-29T12:34:56Z;1.5\n1700000000;2")
        #expect(mapped.map(\.values) == [
            [.int(1_709_210_096_000_000), .double(1.5)],
            [.int(1_700_000_000_000_000), .double(2)],
        ])
    }

    @Test func csvErrorsNameTheLine() throws {
        let mapper = try mapper(.csv, PayloadOptions(), [("a", .string, "$.a")])
        #expect(throws: MappingError(kind: .invalidPayload, reason: "CSV line 3: 3 cells, expected 2 (a,b)")) {
            try mapper.map(topic: "t", payload: Array("a,b\n1,2\n1,2,3\n".utf8), context: context)
        }
        #expect(throws: MappingError(kind: .invalidPayload, reason: "CSV line 2: a quoted cell is not closed")) {
            try mapper.map(topic: "t", payload: Array("a\n\"open\n".utf8), context: context)
        }
        #expect(throws: MappingError(kind: .invalidPayload, reason: "CSV payload is not valid UTF-8 text")) {
            try mapper.map(topic: "t", payload: [0x61, 0x0a, 0xff], context: context)
        }
    }

    @Test func influxLinesWithTagsTypedFieldsAndPrecision() throws {
        let mapper = try mapper(.influx, PayloadOptions(influxPrecision: .milliseconds), [
            ("measurement", .string, "$.measurement"), ("station", .string, "$.tags.station"),
            ("temp", .double, "$.fields.temp"), ("count", .bigint, "$.fields.count"), ("ok", .boolean, "$.fields.ok"),
            ("note", .string, "$.fields.note"), ("ts", .timestamp, "$.timestamp"), ("big", .double, "$.fields.big"),
        ])
        let payload = """
            # a comment
            weather,station=b\\ 7,site=x temp=21.5,count=40i,ok=t,note="a \\"b\\" c" 1700000000123

            weather,station=b8 temp=-3e1,count=7u,ok=FALSE,big=18446744073709551615u
            """
        let mapped = try rows(mapper, payload)
        #expect(mapped.map(\.values) == [
            [.string("weather"), .string("b 7"), .double(21.5), .int(40), .bool(true), .string("a \"b\" c"), .int(1_700_000_000_123_000), nil],
            [.string("weather"), .string("b8"), .double(-30), .int(7), .bool(false), nil, nil, .double(18_446_744_073_709_551_616)],
        ])
    }

    @Test func influxErrorsNameTheLine() throws {
        let mapper = try mapper(.influx, PayloadOptions(), [("m", .string, "$.measurement")])
        #expect(throws: MappingError(
            kind: .invalidPayload,
            reason: "line protocol line 2: field 'v': 'abc' is not a float, integer (…i), unsigned (…u), string or boolean")) {
            try mapper.map(topic: "t", payload: Array("m v=1\nm v=abc".utf8), context: context)
        }
        #expect(throws: MappingError(kind: .invalidPayload, reason: "line protocol line 1: expected a space before the fields")) {
            try mapper.map(topic: "t", payload: Array("m,tag=1".utf8), context: context)
        }
        #expect(throws: MappingError(kind: .invalidPayload, reason: "line protocol line 1: timestamp 'soon' is not an integer")) {
            try mapper.map(topic: "t", payload: Array("m v=1 soon".utf8), context: context)
        }
    }

    @Test func tooManyReadingsInOneMessageAreRefused() throws {
        let mapper = try mapper(.influx, PayloadOptions(), [("m", .string, "$.measurement")])
        let payload = Array(repeating: "m v=1", count: RowMapper.maxRowsPerMessage + 1).joined(separator: "\n")
        #expect(throws: MappingError(kind: .payloadTooLarge, reason: "10001 readings in one message (at most 10000)")) {
            try mapper.map(topic: "t", payload: Array(payload.utf8), context: context)
        }
    }
}
