import AgentCore
import Testing

@Suite struct HealthStateRuleTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var current: HealthReport
        var previous: HealthReport?
        var expected: HealthState
        var reason: String?
        var testDescription: String { name }
    }

    static let baseline = HealthFixtures.report()

    static let cases: [Case] = [
        Case(name: "all connected, first interval", current: baseline, previous: nil, expected: .online),
        Case(name: "all connected, acks progressing", current: HealthFixtures.report(acked: 999_000),
             previous: baseline, expected: .online),
        Case(name: "all connected, backlog empty without acks", current: HealthFixtures.report(rows: 0),
             previous: HealthFixtures.report(rows: 0), expected: .online),
        Case(name: "MQTT down", current: HealthFixtures.report(mqttConnected: false), previous: nil,
             expected: .degraded, reason: "MQTT disconnected"),
        Case(name: "Zerobus down briefly",
             current: HealthFixtures.report(zerobusConnected: false, offlineFor: 59), previous: nil,
             expected: .degraded, reason: "Zerobus disconnected for 59 s"),
        Case(name: "Zerobus down for the threshold",
             current: HealthFixtures.report(zerobusConnected: false, offlineFor: 60), previous: nil,
             expected: .offline, reason: "Zerobus unreachable for 60 s"),
        Case(name: "both down", current: HealthFixtures.report(mqttConnected: false, zerobusConnected: false),
             previous: nil, expected: .offline, reason: "MQTT and Zerobus disconnected"),
        Case(name: "buffer over 80 %", current: HealthFixtures.report(fillRatio: 0.81), previous: nil,
             expected: .degraded, reason: "buffer 81.0 % full"),
        Case(name: "buffer at 80 %", current: HealthFixtures.report(fillRatio: 0.8), previous: nil,
             expected: .online),
        Case(name: "drops since last report", current: HealthFixtures.report(dropped: 10, acked: 999_000),
             previous: HealthFixtures.report(dropped: 7), expected: .degraded,
             reason: "3 rows dropped since the last report"),
        Case(name: "old drops only", current: HealthFixtures.report(dropped: 7, acked: 999_000),
             previous: HealthFixtures.report(dropped: 7), expected: .online),
        Case(name: "reconnects since last report", current: HealthFixtures.report(reconnects: 6, acked: 999_000),
             previous: baseline, expected: .degraded, reason: "2 Zerobus reconnects since the last report"),
        Case(name: "connected but acks stalled", current: baseline, previous: baseline, expected: .degraded,
             reason: "no acks since the last report with 40312 rows buffered"),
    ]

    @Test(arguments: cases)
    func evaluate(_ testCase: Case) {
        let verdict = HealthStateRule().evaluate(testCase.current, previous: testCase.previous)
        #expect(verdict.state == testCase.expected)
        if let reason = testCase.reason {
            #expect(verdict.reasons.contains(reason), "\(verdict.reasons)")
        } else {
            #expect(verdict.reasons.isEmpty, "\(verdict.reasons)")
        }
    }

    @Test func evaluate_ignoresTheStateFieldOfItsInput() {
        let verdict = HealthStateRule().evaluate(HealthFixtures.report(state: .offline), previous: nil)
        #expect(verdict.state == .online)
    }

    @Test func evaluate_whenThresholdsConfigured_usesThem() {
        let rule = HealthStateRule(offlineAfterSeconds: 300, degradedFillRatio: 0.5)
        let briefOutage = HealthFixtures.report(zerobusConnected: false, offlineFor: 120)
        #expect(rule.evaluate(briefOutage, previous: nil).state == .degraded)
        #expect(rule.evaluate(HealthFixtures.report(fillRatio: 0.6), previous: nil).state == .degraded)
    }

    /// Placeholders left in the configuration outrank every link verdict: nothing is sent at all.
    @Test func evaluate_whenUnconfigured_isUnconfiguredWithTheReason() {
        let reason = "zerobus.client_id still holds the shipped placeholder (see check-config)"
        for report in [Self.baseline, HealthFixtures.report(mqttConnected: false, zerobusConnected: false, offlineFor: 600)] {
            let verdict = HealthStateRule().evaluate(report, previous: Self.baseline, unconfiguredReason: reason)
            #expect(verdict == .init(state: .unconfigured, reasons: [reason]))
        }
    }
}

@Suite struct HealthReadinessTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var current: HealthReport
        var previous: HealthReport?
        var ready: Bool
        var reason: String?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "MQTT down", current: HealthFixtures.report(mqttConnected: false, rows: 0), previous: nil,
             ready: false, reason: "MQTT disconnected"),
        Case(name: "empty backlog, Zerobus down", current: HealthFixtures.report(zerobusConnected: false, rows: 0),
             previous: nil, ready: true),
        Case(name: "first interval, backlog, Zerobus up", current: HealthFixtures.report(), previous: nil,
             ready: true),
        Case(name: "first interval, backlog, Zerobus down",
             current: HealthFixtures.report(zerobusConnected: false, rows: 5), previous: nil, ready: false,
             reason: "5 rows buffered and Zerobus disconnected"),
        Case(name: "backlog shrinking", current: HealthFixtures.report(zerobusConnected: false, rows: 90),
             previous: HealthFixtures.report(rows: 100), ready: true),
        Case(name: "backlog growing, acks progressing", current: HealthFixtures.report(rows: 110, acked: 1_000_000),
             previous: HealthFixtures.report(rows: 100), ready: true),
        Case(name: "backlog flat, no acks", current: HealthFixtures.report(rows: 100),
             previous: HealthFixtures.report(rows: 100), ready: false,
             reason: "100 rows buffered and no acks since the last report"),
        Case(name: "backlog growing, Zerobus down",
             current: HealthFixtures.report(zerobusConnected: false, offlineFor: 30, rows: 120),
             previous: HealthFixtures.report(rows: 100), ready: false,
             reason: "120 rows buffered and Zerobus disconnected for 30 s"),
    ]

    @Test func evaluate_whenUnconfigured_isNotReadyWithTheReason() {
        var report = HealthFixtures.report(rows: 0)
        report.state = .unconfigured
        report.zerobus.lastError = "unconfigured: zerobus.endpoint still holds the shipped placeholder"
        #expect(HealthReadiness.evaluate(report, previous: nil)
            == .notReady("unconfigured: zerobus.endpoint still holds the shipped placeholder"))
    }

    @Test(arguments: cases)
    func evaluate(_ testCase: Case) {
        let readiness = HealthReadiness.evaluate(testCase.current, previous: testCase.previous)
        #expect(readiness.isReady == testCase.ready)
        #expect(readiness.reason == testCase.reason)
    }
}
