import AgentCore

/// Reports for the health tests: a healthy baseline that each test bends one figure of.
enum HealthFixtures {
    static func report(
        state: HealthState = .online,
        mqttConnected: Bool = true,
        zerobusConnected: Bool = true,
        offlineFor: Int = 0,
        reconnects: Int = 4,
        rows: Int = 40_312,
        fillRatio: Double = 0.015,
        dropped: Int = 0,
        acked: Int = 998_877
    ) -> HealthReport {
        HealthReport(
            gatewayID: "gw-berlin-01",
            state: state,
            since: 1_780_000_000,
            mqtt: .init(connected: mqttConnected, messagesTotal: 123),
            zerobus: .init(
                connected: zerobusConnected,
                lastAckAt: 1_780_000_300,
                offlineForSeconds: offlineFor,
                reconnectsTotal: reconnects,
                lastError: zerobusConnected ? nil : "UNAVAILABLE: connection refused"
            ),
            buffer: .init(
                rows: rows, bytes: 8_123_456, maxBytes: 536_870_912, fillRatio: fillRatio, oldestAgeSeconds: 311,
                droppedTotal: dropped, quarantinedTotal: 2
            ),
            tables: [
                .init(name: "main.iot.readings", rows: rows, ackedTotal: acked, ratePerSecond: 1500.0,
                      droppedTotal: dropped, quarantinedTotal: 2),
            ],
            version: "0.1.0"
        )
    }
}
