import TOML
import Testing
@testable import AgentCore

/// The shipped config/agent.toml: its placeholders make the agent `unconfigured`, and commands
/// that need no secrets read it without the credentials' environment.
@Suite struct ShippedConfigTests {
    static let path = String(#filePath[..<#filePath.range(of: "/Tests/")!.lowerBound]) + "/config/agent.toml"

    func load(_ environment: [String: String] = [:], readCredentials: Bool = true) throws -> AgentConfiguration {
        try AgentConfiguration.load(path: Self.path, environment: environment, hostName: "gw", readCredentials: readCredentials)
    }

    /// The line of `key = ` in the shipped file, so the test follows edits of its comments.
    func line(of key: String) throws -> Int {
        let lines = String(decoding: try AgentConfiguration.readFile(Self.path), as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false)
        return try #require(lines.firstIndex { $0.hasPrefix(key + " ") || $0.hasPrefix(key + "=") }) + 1
    }

    @Test func unsetCredentialsLeaveEveryPlaceholderWarnedAboutByKeyAndLine() throws {
        let configuration = try load()
        #expect(configuration.placeholders.map(\.keyPath)
            == ["zerobus.endpoint", "zerobus.workspace_url", "zerobus.client_id", "zerobus.client_secret"])
        #expect(try configuration.placeholders.map(\.line) == [
            line(of: "endpoint"), line(of: "workspace_url"), line(of: "client_id"), line(of: "client_secret"),
        ])
        let clientID = try #require(configuration.placeholders.first { $0.keyPath == "zerobus.client_id" })
        #expect(clientID.warningDescription == "\(Self.path):\(try line(of: "client_id")): zerobus.client_id: warning: "
            + "still the shipped placeholder \"not-set\" ('DATABRICKS_CLIENT_ID' is unset or empty): "
            + "put the credentials in /etc/default/zerobus-edge (the service's environment; check with it: "
            + "sudo sh -c 'set -a; . /etc/default/zerobus-edge; zerobus-edge check-config')")
        #expect(configuration.unconfiguredReason == "zerobus.endpoint, zerobus.workspace_url, zerobus.client_id, "
            + "zerobus.client_secret still hold the shipped placeholders (see check-config)")
    }

    @Test func anEmptyVariableIsStillThePlaceholder() throws {
        let configuration = try load(["DATABRICKS_CLIENT_ID": "sp", "DATABRICKS_CLIENT_SECRET": ""])
        #expect(configuration.placeholders.map(\.keyPath) == ["zerobus.endpoint", "zerobus.workspace_url", "zerobus.client_secret"])
    }

    @Test func realValuesLeaveNoPlaceholder() throws {
        let configuration = try decode(.specExample())
        #expect(configuration.placeholders.isEmpty)
        #expect(configuration.unconfiguredReason == nil)
    }

    /// With a static token the workspace URL is not needed to deliver; the token placeholder is.
    @Test func aTokenPlaceholderCountsAndTheWorkspaceURLDoesNot() throws {
        let text = """
            [zerobus]
            endpoint = "http://127.0.0.1:50051"
            workspace_url = "\(ShippedPlaceholders.workspaceURL)"
            token = "${ZEROBUS_TOKEN:-not-set}"
            [[table]]
            name = "main.iot.readings"
            topics = ["a"]
            columns = [{ name = "v", type = "double", from = "$.v" }]
            """
        let configuration = try AgentConfiguration(toml: try TOML.parse(text), environment: [:], hostName: "gw")
        #expect(configuration.placeholders.map(\.keyPath) == ["zerobus.token"])
        #expect(configuration.placeholders.map(\.line) == [4])
    }

    /// `status` and `quarantine` in a shell without the service's environment (issue: "environment
    /// variable 'X' is not set" for `${X}` without a fallback).
    @Test func credentialsWithoutFallbackAreNotReadWhenNotNeeded() throws {
        let text = """
            [agent]
            data_dir = "/var/lib/x"
            [mqtt]
            username = "${MQTT_USER}"
            password = "${MQTT_PASSWORD}"
            [zerobus]
            endpoint = "https://1234.zerobus.us-west-2.cloud.databricks.com"
            workspace_url = "https://dbc-1.cloud.databricks.com"
            client_id = "${DATABRICKS_CLIENT_ID}"
            client_secret = "${DATABRICKS_CLIENT_SECRET}"
            [[table]]
            name = "main.iot.readings"
            topics = ["a"]
            columns = [{ name = "v", type = "double", from = "$.v" }]
            """
        let root = try TOML.parse(text)
        let withoutSecrets = try AgentConfiguration(toml: root, environment: [:], hostName: "gw", readCredentials: false)
        #expect(withoutSecrets.zerobus.auth == .notLoaded)
        #expect(withoutSecrets.mqtt.username == nil && withoutSecrets.mqtt.password == nil)
        #expect(withoutSecrets.tables.count == 1 && withoutSecrets.agent.dataDirectory == "/var/lib/x")
        // Even when the variables are set, a command that needs none does not read them.
        let ignored = try AgentConfiguration(
            toml: root, environment: ["DATABRICKS_CLIENT_ID": "a", "DATABRICKS_CLIENT_SECRET": "b"], hostName: "gw",
            readCredentials: false)
        #expect(ignored.zerobus.auth == .notLoaded)
        // run and check-config still need them.
        #expect(throws: ConfigErrors.self) { _ = try AgentConfiguration(toml: root, environment: [:], hostName: "gw") }
    }

    /// Only credentials are spared: a non-secret key with an unset variable is still an error, and
    /// a credential of the wrong type still names its line.
    @Test func otherKeysAreStillChecked() throws {
        let text = """
            [agent]
            data_dir = "${STATE_DIR}"
            [zerobus]
            endpoint = "http://127.0.0.1:50051"
            client_secret = 7
            [[table]]
            name = "main.iot.readings"
            topics = ["a"]
            columns = [{ name = "v", type = "double", from = "$.v" }]
            """
        let root = try TOML.parse(text)
        do {
            _ = try AgentConfiguration(toml: root, environment: [:], hostName: "gw", readCredentials: false)
            Issue.record("expected errors")
        } catch {
            #expect(error.errors.map(\.description) == [
                "agent.toml:2: agent.data_dir: environment variable 'STATE_DIR' is not set",
                "agent.toml:5: zerobus.client_secret: expected a string, got an integer",
            ])
        }
    }
}
