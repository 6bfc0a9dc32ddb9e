import AgentCore
import Testing

/// The per-table `backlog` (additive): present only while a drain runs, in JSON, `/metrics`
/// and `zerobus-edge status`.
@Suite struct HealthReportBacklogTests {
    @Test func testBacklog_whenNoneDrains_isAbsentEverywhere() throws {
        let report = HealthFixtures.report()
        #expect(!report.jsonString().contains("backlog"))
        #expect(!report.prometheusText().contains("backlog"))
        #expect(!report.humanSummary().contains("draining"))
        #expect(try HealthReport.parse(json: report.jsonString()).tables[0].backlog == nil)
    }

    @Test func testBacklog_whenDraining_roundTripsAndShowsInStatusAndMetrics() throws {
        var report = HealthFixtures.report()
        report.tables[0].backlog = HealthReport.Backlog(rows: 30_000, initialRows: 52_000, progress: 0.423, etaSeconds: 17)
        let json = report.jsonString()
        #expect(json.contains(#""backlog":{"rows":30000,"initial_rows":52000,"progress":0.423,"eta_s":17}}"#))
        #expect(try HealthReport.parse(json: json) == report)
        let metrics = report.prometheusText()
        #expect(metrics.contains(#"zerobus_edge_table_backlog_rows{table="main.iot.readings"} 30000"#))
        #expect(metrics.contains(#"zerobus_edge_table_backlog_progress_ratio{table="main.iot.readings"} 0.423"#))
        #expect(metrics.contains(#"zerobus_edge_table_backlog_eta_seconds{table="main.iot.readings"} 17"#))
        #expect(report.humanSummary().contains("draining backlog: 30000 of 52000 rows left (42.3 % done, done in ~17s)"))
    }

    @Test func testBacklog_beforeARateIsKnown_hasANullEta() throws {
        var report = HealthFixtures.report()
        report.tables[0].backlog = HealthReport.Backlog(rows: 60_000, initialRows: 60_000, progress: 0, etaSeconds: nil)
        let json = report.jsonString()
        #expect(json.contains(#""progress":0.0,"eta_s":null}"#))
        #expect(try HealthReport.parse(json: json) == report)
        #expect(!report.prometheusText().contains("backlog_eta"))
        #expect(report.humanSummary().contains("draining backlog: 60000 of 60000 rows left (0.0 % done)\n"))
    }
}
