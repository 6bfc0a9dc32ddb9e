import Testing
@testable import AgentCore

/// `drain` and `backfill_max_rows_per_s` of a `[[table]]` (see config/agent.toml).
@Suite struct DrainConfigurationTests {
    @Test func testDefaults_areLiveFirstWithoutACap() throws {
        let table = try decode(minimalFixture()).tables[0]
        #expect(table.drain == .liveFirst)
        #expect(table.backfillMaxRowsPerSecond == 0)
    }

    @Test func testDecoding_whenSet_takesFifoAndTheCap() throws {
        var fixture = minimalFixture()
        fixture.set("drain", "fifo")
        fixture.set("backfill_max_rows_per_s", 2500)
        let table = try decode(fixture).tables[0]
        #expect(table.drain == .fifo)
        #expect(table.backfillMaxRowsPerSecond == 2500)
        #expect(try decode(fixture).summary().contains("linger=100ms drain=fifo backfill_max_rows_per_s=2500\n"))
    }

    /// Lines 10 and 11 follow the minimal fixture's nine.
    @Test func testErrors_nameKeyAndLine() {
        var fixture = minimalFixture()
        fixture.set("drain", "lifo")
        fixture.set("backfill_max_rows_per_s", -1)
        #expect(errorLines(fixture) == [
            #"agent.toml:10: table[0].drain: invalid value "lifo", expected one of "live_first", "fifo""#,
            "agent.toml:11: table[0].backfill_max_rows_per_s: must be between 0 and 10000000, got -1",
        ])
        var wrongTypes = minimalFixture()
        wrongTypes.set("drain", true)
        wrongTypes.set("backfill_max_rows_per_s", "fast")
        #expect(errorLines(wrongTypes) == [
            "agent.toml:10: table[0].drain: expected a string, got a boolean",
            "agent.toml:11: table[0].backfill_max_rows_per_s: expected an integer, got a string",
        ])
    }

    @Test func testReload_whenTheDrainChanges_restartsTheTablesUplink() throws {
        let before = try decode(minimalFixture())
        var fixture = minimalFixture()
        fixture.set("drain", "fifo")
        let after = try decode(fixture)
        #expect(ConfigurationDiff(from: before, to: after).changedTables == ["main.iot.readings"])
    }
}
