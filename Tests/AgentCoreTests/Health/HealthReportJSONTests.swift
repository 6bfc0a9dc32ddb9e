import AgentCore
import Testing

@Suite struct HealthReportJSONTests {
    @Test func jsonString_whenBaseline_matchesSpecFieldNamesAndOrder() {
        let json = HealthFixtures.report(zerobusConnected: false, offlineFor: 312).jsonString()
        #expect(json.hasPrefix(#"{"gateway_id":"gw-berlin-01","state":"online","since":"2026-05-28T20:26:40Z","#))
        #expect(json.contains(#""mqtt":{"connected":true,"messages_total":123}"#))
        #expect(json.contains(
            #""zerobus":{"connected":false,"last_ack_at":"2026-05-28T20:31:40Z","offline_for_s":312,"#
                + #""reconnects_total":4,"last_error":"UNAVAILABLE: connection refused"}"#))
        #expect(json.contains(
            #""buffer":{"rows":40312,"bytes":8123456,"max_bytes":536870912,"fill_ratio":0.015,"oldest_age_s":311,"#
                + #""dropped_total":0,"quarantined_total":2,"dropped":{"full":0,"aged_out":0,"purged":0},"#
                + #""quarantined":{"unmappable":0,"rejected":0},"resent_total":0,"lost_at_start":0,"start_recovery":null,"damaged_files_at_start":0}"#))
        #expect(json.contains(
            #""tables":[{"name":"main.iot.readings","rows":40312,"acked_total":998877,"rate_per_s":1500.0,"#))
        #expect(json.hasSuffix(#"],"version":"0.1.0"}"#))
        // Compact: no line breaks, no space after a key's colon or between members.
        #expect(!json.contains("\n") && !json.contains(#"": "#) && !json.contains(#", ""#))
    }

    @Test func ledgerByReasonRoundTripsAndOlderDocumentsReadAsZeros() throws {
        var report = HealthFixtures.report()
        report.buffer.ledger = HealthReport.Ledger(
            droppedFull: 3, droppedAgedOut: 12, droppedPurged: 1, quarantinedUnmappable: 2, quarantinedRejected: 5,
            resent: 250)
        report.tables[0].ledger = HealthReport.Ledger(droppedAgedOut: 12, quarantinedRejected: 5, resent: 250)
        let json = report.jsonString()
        #expect(json.contains(
            #""dropped":{"full":3,"aged_out":12,"purged":1},"quarantined":{"unmappable":2,"rejected":5},"resent_total":250"#))
        #expect(try HealthReport.parse(json: json) == report)
        let older = json.replacingAll(
            #","dropped":{"full":3,"aged_out":12,"purged":1},"quarantined":{"unmappable":2,"rejected":5},"resent_total":250"#, "")
            .replacingAll(#","dropped":{"full":0,"aged_out":12,"purged":0},"quarantined":{"unmappable":0,"rejected":5},"resent_total":250"#, "")
        #expect(!older.contains(#""dropped":"#))
        #expect(try HealthReport.parse(json: older).buffer.ledger == HealthReport.Ledger())
        #expect(report.humanSummary().contains("Dropped:     0 rows (full 3, aged_out 12, purged 1)"))
        #expect(report.prometheusText().contains(#"zerobus_edge_buffer_dropped_by_reason_total{reason="aged_out"} 12"#))
        #expect(report.humanSummary().contains("Resent:      250 rows"))
        #expect(report.prometheusText().contains("zerobus_edge_buffer_resent_total 250"))
        #expect(report.prometheusText().contains(#"zerobus_edge_table_resent_total{table="main.iot.readings"} 250"#))
        #expect(report.prometheusText().contains(
            #"zerobus_edge_table_quarantined_by_reason_total{table="main.iot.readings",reason="rejected"} 5"#))
    }

    @Test func outagesRoundTripAndShowInStatusAndMetrics() throws {
        var report = HealthFixtures.report()
        #expect(report.jsonString().contains(#""outages":[],"version""#))
        report.outages = [
            HealthReport.Outage(start: 1_780_000_000, end: 1_780_000_120, durationSeconds: 120, rowsBuffered: 60_000, rowsDropped: 0),
            HealthReport.Outage(start: 1_780_001_000, end: nil, durationSeconds: 30, rowsBuffered: 900, rowsDropped: 3),
        ]
        let json = report.jsonString()
        #expect(json.contains(#""outages":[{"start":"2026-05-28T20:26:40Z","end":"2026-05-28T20:28:40Z","duration_s":120,"#
            + #""rows_buffered":60000,"rows_dropped":0},{"start":"2026-05-28T20:43:20Z","end":null,"duration_s":30,"#))
        #expect(try HealthReport.parse(json: json) == report)
        #expect(report.humanSummary().contains("Outages:     2026-05-28T20:43:20Z for 30s (ongoing): 900 rows buffered, 3 dropped"))
        #expect(report.prometheusText().contains("zerobus_edge_last_outage_ongoing 1"))
        #expect(report.prometheusText().contains("zerobus_edge_last_outage_rows_dropped 3"))
    }

    @Test func jsonString_whenNoAckAndNoError_writesNull() {
        var report = HealthFixtures.report()
        report.zerobus.lastAckAt = nil
        report.zerobus.lastError = nil
        #expect(report.jsonString().contains(#""last_ack_at":null,"#))
        #expect(report.jsonString().contains(#""last_error":null}"#))
    }

    @Test func jsonString_whenStringsNeedEscaping_escapesThem() {
        var report = HealthFixtures.report()
        report.zerobus.lastError = "say \"hi\"\\\n\t\u{01} ü €"
        #expect(report.jsonString().contains(#""last_error":"say \"hi\"\\\n\t\u0001 ü €""#))
    }

    @Test(arguments: [
        HealthFixtures.report(),
        HealthFixtures.report(state: .offline, zerobusConnected: false, offlineFor: 3600, fillRatio: 1e-05),
        {
            var report = HealthFixtures.report(state: .degraded, mqttConnected: false)
            report.zerobus.lastAckAt = nil
            report.zerobus.lastError = "quote \" backslash \\ newline \n emoji 🚀 nul \u{0}"
            report.tables.append(.init(name: "main.iot.\"odd\"", rows: 0, ackedTotal: 0, ratePerSecond: 0.125))
            report.gatewayID = "gw ü"
            report.buffer.lostAtStart = 318
            report.buffer.startRecovery = "damaged buffer file salvaged: 19682 rows kept, 318 lost"
            return report
        }(),
        {
            var report = HealthFixtures.report()
            report.tables = []
            return report
        }(),
    ])
    func parse_whenOwnOutput_roundTrips(report: HealthReport) throws {
        let parsed = try HealthReport.parse(json: report.jsonString())
        #expect(parsed == report)
    }

    @Test func parse_whenPrettyPrintedWithUnknownKeysAndNoPerTableCounters_reads() throws {
        let json = """
            {
              "gateway_id": "gw-1", "state": "degraded", "since": "2026-05-28T22:26:40+02:00",
              "future_field": {"nested": [1, 2.5e3, null, true]},
              "mqtt": {"connected": false, "messages_total": 7},
              "zerobus": {"connected": true, "last_ack_at": null, "offline_for_s": 0,
                          "reconnects_total": 1, "last_error": "caf\\u00e9 \\ud83d\\ude80"},
              "buffer": {"rows": 1, "bytes": 2, "max_bytes": 3, "fill_ratio": 0.5, "oldest_age_s": 4,
                         "dropped_total": 5, "quarantined_total": 6},
              "tables": [{"name": "t", "rows": 1, "acked_total": 9, "rate_per_s": 2}],
              "version": "0.2.0"
            }
            """
        let report = try HealthReport.parse(json: json)
        #expect(report.gatewayID == "gw-1")
        #expect(report.state == .degraded)
        #expect(report.since == 1_780_000_000)
        #expect(report.zerobus.lastAckAt == nil)
        #expect(report.zerobus.lastError == "café 🚀")
        #expect(report.tables == [.init(name: "t", rows: 1, ackedTotal: 9, ratePerSecond: 2)])
        #expect(report.buffer.quarantinedTotal == 6)
    }

    @Test(arguments: [
        (#"{"state":"offline"}"#, "health document: gateway_id: missing"),
        ("not json", "health document: invalid JSON at byte 0: invalid literal, expected 'null'"),
        ("?", "health document: invalid JSON at byte 0: unexpected character '?', expected a value"),
        (#"{"gateway_id":"g","state":"sleepy"}"#, #"health document: state: unknown value "sleepy""#),
        ("[1]", "health document: document: expected an object"),
        (#"{"a":1} x"#, "health document: invalid JSON at byte 8: unexpected character 'x' after the JSON value"),
    ])
    func parse_whenInvalid_namesTheProblem(json: String, message: String) {
        #expect {
            _ = try HealthReport.parse(json: json)
        } throws: { error in
            (error as? HealthDocumentError)?.description == message
        }
    }

    @Test func parse_whenFieldHasWrongType_namesTheFieldPath() {
        let json = HealthFixtures.report().jsonString()
            .replacing(#""offline_for_s":0"#, with: #""offline_for_s":"soon""#, maxReplacements: 1)
        #expect(throws: HealthDocumentError("zerobus.offline_for_s: expected an integer")) {
            _ = try HealthReport.parse(json: json)
        }
    }
}

@Suite struct HealthReportConfigErrorTests {
    @Test func configError_isNullUntilAReloadIsRefused() {
        #expect(HealthFixtures.report().jsonString().contains(#""config_error":null,"tables":["#))
    }

    @Test func configError_roundTripsWithEveryLine() throws {
        var report = HealthFixtures.report()
        report.configError = .init(
            message: "reload refused", errors: ["agent.toml:3: mqtt.qos: must be 1 or 2", "agent.toml:9: x: y"],
            since: 1_780_000_000)
        let json = report.jsonString()
        #expect(json.contains(#""config_error":{"message":"reload refused","errors":["agent.toml:3: mqtt.qos: must be 1 or 2","agent.toml:9: x: y"],"since":"#))
        #expect(try HealthReport.parse(json: json) == report)
        #expect(report.humanSummary().contains("agent.toml:3: mqtt.qos: must be 1 or 2"))
        #expect(report.prometheusText().contains("zerobus_edge_config_error 1"))
        #expect(HealthStateRule().evaluate(report, previous: nil).reasons.contains("configuration reload refused"))
    }
}

private extension String {
    func replacingAll(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
