import DynamicProtobuf
import Testing
@testable import AgentCore

@Suite struct RowMapperTests {
    private let context = MessageContext(
        receivedAtMicros: 1_709_210_096_123_456,
        gatewayID: "gw-berlin-01",
        recordID: "0f5c-0001"
    )

    private func mapping(
        _ name: String, _ type: ColumnType, _ source: String, default fallback: String? = nil, optional: Bool = false
    ) throws -> ColumnMapping {
        ColumnMapping(
            column: Column(name: name, type: type),
            source: try ColumnSource(parsing: source),
            defaultSource: try fallback.map { (text) throws(ColumnSourceError) -> ColumnSource in
                try ColumnSource(parsing: text)
            },
            optional: optional
        )
    }

    private func row(_ mapper: RowMapper, topic: String, _ payload: String) throws(MappingError) -> [ProtoValue?] {
        switch try mapper.map(topic: topic, payload: Array(payload.utf8), context: context) {
        case .row(let values): return values
        case .encoded, .rows: return []
        }
    }

    /// The example table of SPEC.md §3.
    private func specMapper() throws -> RowMapper {
        RowMapper(mappings: [
            try mapping("device_id", .string, "topic[1]"),
            try mapping("metric", .string, "topic[2]"),
            try mapping("value", .double, "$.value"),
            try mapping("unit", .string, "$.unit", optional: true),
            try mapping("event_time", .timestamp, "$.ts", default: "received_at"),
            try mapping("gateway_id", .string, "gateway_id"),
            try mapping("record_id", .string, "record_id"),
        ], format: .json)
    }

    @Test func mapsTheSpecExample() throws {
        let values = try row(try specMapper(), topic: "sensors/dev7/temperature",
                             #"{"value": 21.5, "unit": "C", "ts": "2024-02-29T12:34:56Z"}"#)
        #expect(values == [
            .string("dev7"), .string("temperature"), .double(21.5), .string("C"),
            .int(1_709_210_096_000_000), .string("gw-berlin-01"), .string("0f5c-0001"),
        ])
    }

    @Test func defaultsAndOptionalColumns() throws {
        let values = try row(try specMapper(), topic: "sensors/dev7/temperature", #"{"value": 3, "unit": null}"#)
        #expect(values[3] == nil)
        #expect(values[4] == .int(1_709_210_096_123_456))
    }

    @Test func missingRequiredValue() throws {
        #expect(throws: MappingError(kind: .missingValue, reason: "column 'value': $.value missing")) {
            try row(try specMapper(), topic: "sensors/dev7/temperature", #"{"val": 3}"#)
        }
        #expect(throws: MappingError(kind: .missingValue, reason: "column 'value': $.value missing")) {
            try row(try specMapper(), topic: "sensors/dev7/temperature", #"{"value": null}"#)
        }
        #expect(throws: MappingError(kind: .missingValue, reason: "column 'metric': topic[2] missing")) {
            try row(try specMapper(), topic: "sensors/dev7", #"{"value": 1}"#)
        }
    }

    @Test func topicAndMetadataSources() throws {
        let mapper = RowMapper(mappings: [
            try mapping("topic", .string, "topic"),
            try mapping("last", .string, "topic[-1]"),
            try mapping("empty_level", .string, "topic[1]"),
            try mapping("received", .timestamp, "received_at"),
            try mapping("received_ms", .bigint, "received_at"),
            try mapping("received_text", .string, "received_at"),
            try mapping("received_day", .date, "received_at"),
            try mapping("numeric_level", .int, "topic[2]"),
            ColumnMapping(column: Column(name: "site", type: .string), source: .constant(.string("berlin"))),
            ColumnMapping(column: Column(name: "factor", type: .double), source: .constant(.number(JSONNumber(integer: 2)))),
        ], format: .json)
        let values = try row(mapper, topic: "a//42/x", "{}")
        #expect(values == [
            .string("a//42/x"), .string("x"), .string(""), .int(1_709_210_096_123_456), .int(1_709_210_096_123_456),
            .string("2024-02-29T12:34:56.123456Z"), .int(19_782), .int(42), .string("berlin"), .double(2),
        ])
    }

    @Test func receivedAtCannotFillABoolean() throws {
        let mapper = RowMapper(mappings: [try mapping("flag", .boolean, "received_at")], format: .json)
        #expect(throws: MappingError(kind: .wrongType, reason: "column 'flag': received_at cannot fill a column of this type")) {
            try row(mapper, topic: "t", "{}")
        }
    }

    @Test func payloadSource() throws {
        let mapper = RowMapper(mappings: [
            try mapping("raw", .binary, "payload"),
            try mapping("text", .string, "payload"),
        ], format: .json)
        #expect(try row(mapper, topic: "t", #"{"a":1}"#) == [.bytes(Array(#"{"a":1}"#.utf8)), .string(#"{"a":1}"#)])
    }

    @Test func valueFormat() throws {
        let mapper = RowMapper(mappings: [
            try mapping("value", .double, "$"),
            try mapping("text", .string, "$"),
            try mapping("device", .string, "topic[1]"),
            try mapping("missing", .string, "$.field", optional: true),
        ], format: .value)
        #expect(try row(mapper, topic: "plc/line1/speed", " 21.5\n") == [.double(21.5), .string("21.5"), .string("line1"), nil])
        #expect(try row(mapper, topic: "plc/line1/speed", "-3") == [.double(-3), .string("-3"), .string("line1"), nil])
        #expect(throws: MappingError(kind: .wrongType, reason: "column 'value': expected a number for double, got string \"ON\"")) {
            try row(mapper, topic: "plc/line1/state", "ON")
        }
        let textMapper = RowMapper(mappings: [try mapping("state", .string, "$"), try mapping("on", .boolean, "$")], format: .value)
        #expect(try row(textMapper, topic: "t", "true\r\n") == [.string("true"), .bool(true)])
        let quoted = RowMapper(mappings: [try mapping("state", .string, "$")], format: .value)
        #expect(try row(quoted, topic: "t", "\"quoted\"") == [.string("\"quoted\"")])
        #expect(throws: MappingError(kind: .emptyPayload, reason: "empty payload")) { try row(mapper, topic: "t", "  \n") }
        #expect(throws: MappingError(kind: .invalidPayload, reason: "payload is not valid UTF-8 text")) {
            try mapper.map(topic: "t", payload: [0xFF, 0xFE], context: context)
        }
    }

    @Test func protobufFormatPassesThrough() throws {
        let mapper = RowMapper(mappings: [], format: .protobuf)
        #expect(try mapper.map(topic: "t", payload: [0x08, 0x96, 0x01], context: context) == .encoded([0x08, 0x96, 0x01]))
        #expect(throws: MappingError(kind: .emptyPayload, reason: "empty payload")) {
            try mapper.map(topic: "t", payload: [], context: context)
        }
    }

    @Test func payloadErrors() throws {
        let mapper = try specMapper()
        #expect(throws: MappingError(kind: .emptyPayload, reason: "empty payload")) { try row(mapper, topic: "t", "") }
        #expect(throws: MappingError(kind: .invalidPayload, reason: "invalid JSON at byte 11: unexpected end of input in object")) {
            try row(mapper, topic: "a/b/c", #"{"value": 1"#)
        }
        let small = RowMapper(mappings: mapper.mappings, format: .json, maxPayloadBytes: 8)
        #expect(throws: MappingError(kind: .payloadTooLarge, reason: "payload too large: 9 bytes (max 8)")) {
            try row(small, topic: "a/b/c", #"{"v": 10}"#)
        }
        #expect(RowMapper.defaultMaxPayloadBytes == 10_420_224)
    }

    @Test func descriptorFieldsMapByName() throws {
        let mapper = RowMapper(descriptorFields: [
            Column(name: "order_id", type: .bigint, nullable: false),
            Column(name: "note", type: .string),
            Column(name: "items", type: .array(.struct([Column(name: "sku", type: .string)]))),
        ], format: .json)
        #expect(try row(mapper, topic: "t", #"{"order_id": 12, "items": [{"sku": "A1"}]}"#)
            == [.int(12), nil, .list([.message([.string("A1")])])])
        #expect(throws: MappingError(kind: .missingValue, reason: "column 'order_id': $.order_id missing")) {
            try row(mapper, topic: "t", #"{"note": "x"}"#)
        }
    }

    @Test func columnSourceParsing() throws {
        #expect(try ColumnSource(parsing: "topic[1]") == .topicSegment(1))
        #expect(try ColumnSource(parsing: "topic[-1]") == .topicSegment(-1))
        #expect(try ColumnSource(parsing: "$.value") == .jsonPath(JSONPath([.key("value")])))
        #expect(try ColumnSource(parsing: "$") == .jsonPath(.root))
        #expect(try ColumnSource(parsing: "payload") == .payload)
        #expect(try ColumnSource(parsing: "received_at") == .receivedAt)
        #expect(try ColumnSource(parsing: "gateway_id") == .gatewayID)
        #expect(try ColumnSource(parsing: "topic") == .topic)
        #expect(try ColumnSource(parsing: "record_id") == .recordID)
        #expect(throws: ColumnSourceError(source: "topic[x]", message: "'x' is not a topic level index")) {
            try ColumnSource(parsing: "topic[x]")
        }
        #expect(throws: ColumnSourceError(source: "$..a", message: "recursive descent '..' is not supported")) {
            try ColumnSource(parsing: "$..a")
        }
        #expect(throws: ColumnSourceError(
            source: "value",
            message: "expected topic[i], a JSON path like $.value (or @.value in an exploded table), payload, received_at, clock_synced, gateway_id, topic, record_id or unmapped"
        )) { try ColumnSource(parsing: "value") }
        for text in ["topic[2]", "$.a[0]['b c']", "payload", "received_at", "gateway_id", "topic", "record_id"] {
            #expect(try ColumnSource(parsing: text).description == text)
        }
        #expect(ColumnSource.constant(.string("x")).description == #"{ const = "x" }"#)
    }
}
