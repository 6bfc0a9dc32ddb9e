import DynamicProtobuf
import Testing
@testable import AgentCore

/// The `clock_synced` column source and the `"clock"` health member.
@Suite struct ClockSyncedSourceTests {
    @Test func clockSyncedFollowsTheContext() throws {
        let mapper = RowMapper(mappings: [
            ColumnMapping(column: Column(name: "synced", type: .boolean), source: try ColumnSource(parsing: "clock_synced")),
            ColumnMapping(column: Column(name: "synced_text", type: .string), source: .clockSynced),
        ], format: .json)
        for synced in [true, false] {
            let context = MessageContext(receivedAtMicros: 60_000_000, gatewayID: "gw", recordID: "r", clockSynced: synced)
            guard case .row(let values) = try mapper.map(topic: "t", payload: Array("{}".utf8), context: context) else {
                Issue.record("expected one row")
                return
            }
            #expect(values == [.bool(synced), .string(synced ? "true" : "false")])
        }
        #expect(ColumnSource.clockSynced.description == "clock_synced")
    }

    @Test func receivedAtValuesMatchWhatIntakeWrites() {
        #expect(RowMapper.receivedAtValue(1_709_210_096_123_456, for: .timestamp) == .int(1_709_210_096_123_456))
        #expect(RowMapper.receivedAtValue(1_709_210_096_123_456, for: .string) == .string("2024-02-29T12:34:56.123456Z"))
        #expect(RowMapper.receivedAtValue(0, for: .boolean) == nil)
    }

    @Test func clockMemberRoundTripsAndShowsInMetricsAndStatus() throws {
        var report = HealthFixtures.report()
        report.clock = HealthReport.ClockStatus(
            state: "stepped", reason: nil, since: 1_796_326_400, lastStepSeconds: 1_796_326_340.5, rowsUnsynced: 20,
            rowsRebased: 19, rowsNotRebased: 1, uploadsHeld: false)
        let json = report.jsonString()
        #expect(json.contains(#""clock":{"state":"stepped","reason":null,"since":"2026-12-03T19:33:20Z","#))
        #expect(try HealthReport.parse(json: json).clock == report.clock)
        let metrics = report.prometheusText()
        #expect(metrics.contains(#"zerobus_edge_clock_state{state="stepped"} 1"#))
        #expect(metrics.contains(#"zerobus_edge_clock_state{state="unsynced"} 0"#))
        #expect(metrics.contains("zerobus_edge_clock_rows_rebased_total 19"))
        #expect(report.humanSummary().contains(
            "Clock:       stepped since 2026-12-03T19:33:20Z, last step 1796326340.5 s, 20 rows unsynced, 19 re-based, 1 not"))
    }

    @Test func reportsWithoutClockParse() throws {
        let report = HealthFixtures.report()
        #expect(!report.jsonString().contains("\"clock\""))
        #expect(try HealthReport.parse(json: report.jsonString()).clock == nil)
    }
}
