import Testing
@testable import AgentCore

/// `schema pull` loads a file with only `[zerobus]`; the daemon and check-config still need tables.
@Suite struct ConnectionOnlyConfigTests {
    func zerobusOnly(workspace: Bool) -> TOMLFixture {
        var fixture = TOMLFixture()
        fixture.section("zerobus")
        fixture.set("endpoint", "http://127.0.0.1:50051")
        fixture.set("token", "static-token")
        if workspace { fixture.set("workspace_url", "https://dbc-1.cloud.databricks.com/") }
        return fixture
    }

    @Test func tablesMayBeOmittedWhenNotRequired() throws {
        let config = try AgentConfiguration(
            toml: zerobusOnly(workspace: true).table, environment: [:], hostName: "gw", requireTables: false)
        #expect(config.tables.isEmpty)
        // Kept with a static token too: it is the Unity Catalog host.
        #expect(config.zerobus.workspaceURL?.host == "dbc-1.cloud.databricks.com")
    }

    @Test func tablesAreStillRequiredByDefault() {
        #expect(errorLines(zerobusOnly(workspace: false)) == ["agent.toml: table: no [[table]] defined; at least one table is needed"])
    }

    @Test func workspaceURLIsOptionalWithAToken() throws {
        let config = try AgentConfiguration(
            toml: zerobusOnly(workspace: false).table, environment: [:], hostName: "gw", requireTables: false)
        #expect(config.zerobus.workspaceURL == nil)
    }
}
