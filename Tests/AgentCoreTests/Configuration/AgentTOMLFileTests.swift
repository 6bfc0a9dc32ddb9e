import TOML
import TestSupport
import Testing
@testable import AgentCore

/// The configuration decoder over real TOML text (needs the TOML parser).
@Suite struct AgentTOMLFileTests {
    /// SPEC.md's example with a real endpoint and workspace in place of its placeholders.
    static let specText = SpecExample.configuration
        .replacingFirst("<workspace-id>.zerobus.<region>", with: "1234.zerobus.us-west-2")
        .replacingFirst("https://<workspace>.cloud", with: "https://dbc-1234.cloud")

    private func decodeText(_ text: String, environment: [String: String] = TOMLFixture.specEnvironment) throws -> AgentConfiguration {
        try AgentConfiguration(toml: try TOML.parse(text), environment: environment, hostName: "edge-host")
    }

    private func errors(_ text: String, environment: [String: String] = TOMLFixture.specEnvironment) throws -> [String] {
        let root = try TOML.parse(text)
        do {
            _ = try AgentConfiguration(toml: root, environment: environment, hostName: "edge-host")
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    /// The SPEC text has `username = ""`: without MQTT_PASSWORD in the environment it is a broker
    /// without authentication.
    @Test func theSpecExampleTextDecodesLikeTheFixture() throws {
        let environment = ["DATABRICKS_CLIENT_ID": "sp-client", "DATABRICKS_CLIENT_SECRET": "oauth-secret"]
        var fixture = TOMLFixture.specExample()
        fixture.update("mqtt", "username", "")
        #expect(try decodeText(Self.specText, environment: environment) == decode(fixture, environment: environment))
    }

    @Test func errorsPointAtTheRealLines() throws {
        var text = Self.specText.replacingFirst("client_id     = \"zerobus-edge\"", with: "clientid      = \"zerobus-edge\"")
        text = text.replacingFirst("type = \"double\",    from = \"$.value\"", with: "type = \"decimal(10,2)\", from = \"$.value\"")
        text = text.replacingFirst("streams           = 1", with: "streams           = 20")
        #expect(try errors(text, environment: ["MQTT_PASSWORD": "pw"]) == [
            "agent.toml:8: mqtt.clientid: unknown key (did you mean 'client_id'?)",
            "agent.toml:13: mqtt.password: set mqtt.username as well",
            "agent.toml:16: zerobus.token: no credentials: set client_id + client_secret (OAuth) or token; "
                + "environment variables 'DATABRICKS_CLIENT_ID', 'DATABRICKS_CLIENT_SECRET' are not set",
            "agent.toml:49: table[0].streams: must be between 1 and 16, got 20",
            "agent.toml:53: table[0].columns[2].type: unsupported type 'decimal(10,2)': decimal has no Zerobus protobuf mapping (use double, or string for exact values)",
        ])
    }

    @Test func constantsFromTOML() throws {
        let text = Self.specText.replacingFirst(
            "{ name = \"record_id\",  type = \"string\",    from = \"record_id\" },",
            with: "{ name = \"record_id\",  type = \"string\",    from = \"record_id\" },\n  { name = \"site\", type = \"struct<a:int,b:array<string>>\", from = { const = { a = 1, b = [\"x\"] } } },"
        )
        let config = try decodeText(text, environment: ["DATABRICKS_CLIENT_ID": "a", "DATABRICKS_CLIENT_SECRET": "b"])
        guard case .columns(let mappings) = config.tables[0].schema else { Issue.record("no columns"); return }
        #expect(mappings.last?.source == .constant(.object(JSONObject([
            .init(key: "a", value: .number(JSONNumber(integer: 1))), .init(key: "b", value: .array([.string("x")])),
        ]))))
    }
}

extension String {
    fileprivate func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = self.firstRange(of: target) else { fatalError("'\(target)' not found") }
        return self.replacingCharacters(in: range, with: replacement)
    }
}
