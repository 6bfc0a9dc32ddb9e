import AgentCore
import Testing

@Suite struct HealthReportPrometheusTests {
    private func lines(_ report: HealthReport) -> [Substring] {
        report.prometheusText().split(separator: "\n", omittingEmptySubsequences: false)
    }

    @Test func prometheusText_whenCounter_hasHelpTypeAndTotalSuffix() {
        let lines = lines(HealthFixtures.report())
        let index = lines.firstIndex(of: "# TYPE zerobus_edge_mqtt_messages_total counter")
        #expect(index != nil)
        if let index {
            #expect(lines[index - 1].hasPrefix("# HELP zerobus_edge_mqtt_messages_total "))
            #expect(lines[index + 1] == "zerobus_edge_mqtt_messages_total 123")
        }
        #expect(lines.contains("zerobus_edge_zerobus_reconnects_total 4"))
        #expect(lines.contains("zerobus_edge_buffer_dropped_total 0"))
        #expect(lines.contains("zerobus_edge_buffer_quarantined_total 2"))
    }

    @Test func prometheusText_whenGauges_writesValuesAndBooleansAsZeroOne() {
        let lines = lines(HealthFixtures.report(mqttConnected: true, zerobusConnected: false, offlineFor: 312))
        #expect(lines.contains("# TYPE zerobus_edge_buffer_rows gauge"))
        #expect(lines.contains("zerobus_edge_buffer_rows 40312"))
        #expect(lines.contains("zerobus_edge_buffer_max_bytes 536870912"))
        #expect(lines.contains("zerobus_edge_buffer_fill_ratio 0.015"))
        #expect(lines.contains("zerobus_edge_buffer_oldest_age_seconds 311"))
        #expect(lines.contains("zerobus_edge_mqtt_connected 1"))
        #expect(lines.contains("zerobus_edge_zerobus_connected 0"))
        #expect(lines.contains("zerobus_edge_zerobus_offline_seconds 312"))
        #expect(lines.contains("zerobus_edge_zerobus_last_ack_timestamp_seconds 1780000300"))
        #expect(lines.contains("zerobus_edge_state_since_timestamp_seconds 1780000000"))
    }

    @Test func prometheusText_whenStateDegraded_setsOnlyThatStateLabel() {
        let lines = lines(HealthFixtures.report(state: .degraded))
        #expect(lines.contains(#"zerobus_edge_state{state="online"} 0"#))
        #expect(lines.contains(#"zerobus_edge_state{state="degraded"} 1"#))
        #expect(lines.contains(#"zerobus_edge_state{state="offline"} 0"#))
        #expect(lines.contains(#"zerobus_edge_info{gateway_id="gw-berlin-01",version="0.1.0"} 1"#))
    }

    @Test func prometheusText_whenTables_labelsEachSampleAndEscapesLabelValues() {
        var report = HealthFixtures.report()
        report.tables.append(.init(name: "weird\\name\"with\nnewline", rows: 3, ackedTotal: 5, ratePerSecond: 0.5,
                                   droppedTotal: 1, quarantinedTotal: 0))
        let lines = lines(report)
        #expect(lines.contains(#"zerobus_edge_table_rows{table="main.iot.readings"} 40312"#))
        #expect(lines.contains(#"zerobus_edge_table_acked_total{table="main.iot.readings"} 998877"#))
        #expect(lines.contains(#"zerobus_edge_table_rate_per_second{table="main.iot.readings"} 1500"#))
        #expect(lines.contains(#"zerobus_edge_table_rate_per_second{table="weird\\name\"with\nnewline"} 0.5"#))
        #expect(lines.contains(#"zerobus_edge_table_dropped_total{table="weird\\name\"with\nnewline"} 1"#))
        // One HELP/TYPE pair per family, however many tables.
        #expect(lines.filter { $0 == "# TYPE zerobus_edge_table_rows gauge" }.count == 1)
    }

    @Test func prometheusText_whenNoAckYetAndNoTables_omitsThoseFamilies() {
        var report = HealthFixtures.report()
        report.zerobus.lastAckAt = nil
        report.tables = []
        let text = report.prometheusText()
        #expect(!text.contains("last_ack"))
        #expect(!text.contains("zerobus_edge_table_"))
    }

    @Test func prometheusText_everyLineIsCommentOrWellFormedSample() {
        let lines = lines(HealthFixtures.report())
        #expect(lines.last == "")  // text ends with a line feed
        for line in lines.dropLast() {
            if line.hasPrefix("#") {
                #expect(line.hasPrefix("# HELP zerobus_edge_") || line.hasPrefix("# TYPE zerobus_edge_"))
            } else {
                #expect(line.hasPrefix("zerobus_edge_"))
                let value = line.split(separator: " ").last.map(String.init) ?? ""
                #expect(Double(value) != nil, "sample value of \(line)")
            }
        }
    }

    @Test func prometheusText_counterNamesEndInTotalAndGaugesDoNot() {
        for line in lines(HealthFixtures.report()) where line.hasPrefix("# TYPE ") {
            let parts = line.split(separator: " ")
            let name = parts[2]
            let type = parts[3]
            #expect((type == "counter") == name.hasSuffix("_total"), "\(line)")
        }
    }
}
