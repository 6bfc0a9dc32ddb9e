import Testing
@testable import AgentCore

/// `agent.clock_hold_s`: how long uploads wait for an untrusted clock.
@Suite struct ClockHoldConfigTests {
    private func fixture(_ value: Int64?) -> TOMLFixture {
        var fixture = minimalFixture()
        fixture.section("agent")
        if let value { fixture.set("clock_hold_s", .integer(value)) }
        return fixture
    }

    @Test func defaultsToTenMinutesAndTakesAValue() throws {
        #expect(try decode(fixture(nil), environment: [:]).agent.clockHoldSeconds == 600)
        #expect(try decode(fixture(0), environment: [:]).agent.clockHoldSeconds == 0)
        #expect(try decode(fixture(30), environment: [:]).agent.clockHoldSeconds == 30)
    }

    @Test func negativeIsAnError() {
        do {
            _ = try decode(fixture(-1), environment: [:])
            Issue.record("expected an error")
        } catch {
            #expect(error.errors.map(\.description).contains { $0.contains("agent.clock_hold_s") })
        }
    }

    @Test func aReloadKeepsTheRunningValue() throws {
        let old = try decode(fixture(600), environment: [:])
        let new = try decode(fixture(5), environment: [:])
        #expect(ConfigurationDiff(from: old, to: new).needsRestart == ["agent.clock_hold_s"])
        #expect(ConfigurationDiff.applicable(old: old, new: new).agent.clockHoldSeconds == 600)
    }
}
