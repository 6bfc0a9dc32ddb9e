import AgentCore
import DynamicProtobuf
import Testing
@testable import AgentServices

/// Re-basing an encoded row: columns fed by `received_at` move, everything else stays.
@Suite struct ClockRebaseTests {
    static let columns = [
        Column(name: "received", type: .timestamp),
        Column(name: "received_text", type: .string),
        Column(name: "event_time", type: .timestamp),
        Column(name: "value", type: .double),
        Column(name: "synced", type: .boolean),
    ]
    static let mappings = [
        ColumnMapping(column: columns[0], source: .receivedAt),
        ColumnMapping(column: columns[1], source: .receivedAt),
        ColumnMapping(column: columns[2], source: .jsonPath(try! JSONPath(parsing: "$.ts")), defaultSource: .receivedAt),
        ColumnMapping(column: columns[3], source: .jsonPath(try! JSONPath(parsing: "$.value"))),
        ColumnMapping(column: columns[4], source: .clockSynced),
    ]
    static let old: Int64 = 60_123_456
    static let new: Int64 = 1_796_326_400_123_456

    let descriptor = try! MessageDescriptor(schema: TableSchema(tableName: "main.iot.readings", columns: Self.columns))

    @Test func receivedAtColumnsAndAUsedDefaultMove() throws {
        let payload = try descriptor.encode([
            .int(Self.old), .string(Timestamps.rfc3339(microseconds: Self.old)), .int(Self.old), .double(21.5), .bool(false),
        ])
        let rebased = try #require(ClockMonitor.rebased(
            payload, descriptor: descriptor, mappings: Self.mappings, from: Self.old, to: Self.new))
        #expect(try descriptor.decode(rebased) == [
            .int(Self.new), .string("2026-12-03T19:33:20.123456Z"), .int(Self.new), .double(21.5), .bool(false),
        ])
    }

    @Test func aSensorTimeFromThePayloadStays() throws {
        let sensor: Int64 = 1_796_326_399_000_000
        let payload = try descriptor.encode([.int(Self.old), nil, .int(sensor), .double(1), .bool(false)])
        let rebased = try #require(ClockMonitor.rebased(
            payload, descriptor: descriptor, mappings: Self.mappings, from: Self.old, to: Self.new))
        #expect(try descriptor.decode(rebased) == [.int(Self.new), nil, .int(sensor), .double(1), .bool(false)])
    }

    @Test func nothingToMoveIsNil() throws {
        let payload = try descriptor.encode([nil, nil, .int(5), .double(1), .bool(true)])
        #expect(ClockMonitor.rebased(payload, descriptor: descriptor, mappings: Self.mappings, from: Self.old, to: Self.new) == nil)
    }

    @Test func jsonRecordsAreRewrittenInTheirText() throws {
        let values: [ProtoValue?] = [
            .int(Self.old), .string(Timestamps.rfc3339(microseconds: Self.old)), .int(1_796_326_399_000_000), .double(0.1),
            .bool(false),
        ]
        let payload = Array(descriptor.jsonString(of: values).utf8)
        let rebased = try #require(ClockMonitor.rebasedJSON(payload, mappings: Self.mappings, from: Self.old, to: Self.new))
        var expected = values
        expected[0] = .int(Self.new)
        expected[1] = .string("2026-12-03T19:33:20.123456Z")
        #expect(String(decoding: rebased, as: UTF8.self) == descriptor.jsonString(of: expected))
        // A longer number that merely starts with the old one is not the old value.
        let longer = Array(#"{"received":601234567}"#.utf8)
        #expect(ClockMonitor.rebasedJSON(longer, mappings: Self.mappings, from: Self.old, to: Self.new) == nil)
    }
}
