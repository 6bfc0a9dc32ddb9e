import AgentCore
import Testing

@Suite struct HealthReportSummaryTests {
    @Test func humanSummary_whenOfflineWithBacklog_showsEveryFigure() {
        var report = HealthFixtures.report(state: .offline, zerobusConnected: false, offlineFor: 312)
        report.tables.append(.init(name: "main.iot.events", rows: 0, ackedTotal: 12, ratePerSecond: 0))
        let expected = """
            zerobus-edge 0.1.0 on gw-berlin-01
            State:       offline since 2026-05-28T20:26:40Z
            MQTT:        connected, 123 messages received
            Zerobus:     disconnected, offline for 5m 12s, 4 reconnects, last ack 2026-05-28T20:31:40Z
                         last error: UNAVAILABLE: connection refused
            Backlog:     40312 rows, 7.7 MiB of 512.0 MiB (1.5 % full), oldest 5m 11s
            Dropped:     0 rows
            Quarantined: 2 rows
            Resent:      0 rows (sent again after a reconnect or restart)
            Tables:
              main.iot.readings  40312 rows  998877 acked  1500.0 rows/s  0 dropped  2 quarantined
              main.iot.events    0 rows  12 acked  0.0 rows/s  0 dropped  0 quarantined

            """
        #expect(report.humanSummary() == expected)
    }

    @Test func humanSummary_whenConnectedAndEmpty_omitsOfflineAndOldest() {
        var report = HealthFixtures.report(rows: 0)
        report.zerobus.lastAckAt = nil
        report.buffer.bytes = 512
        report.tables = []
        let summary = report.humanSummary()
        #expect(summary.contains("Zerobus:     connected, 4 reconnects, last ack never\n"))
        #expect(summary.contains("Backlog:     0 rows, 512 B of 512.0 MiB (1.5 % full)\n"))
        #expect(summary.contains("Tables:      none\n"))
        #expect(!summary.contains("last error"))
    }

    @Test func humanSummary_whenLongOutage_usesHoursAndDays() {
        let report = HealthFixtures.report(zerobusConnected: false, offlineFor: 3 * 86_400 + 4 * 3600 + 5)
        #expect(report.humanSummary().contains("offline for 3d 04h"))
        let hours = HealthFixtures.report(zerobusConnected: false, offlineFor: 2 * 3600 + 3 * 60)
        #expect(hours.humanSummary().contains("offline for 2h 03m"))
    }
}
