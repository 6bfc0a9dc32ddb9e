import TOML
import Testing
@testable import AgentCore

/// The configuration decoder over real TOML text (needs the TOML parser).
@Suite struct AgentTOMLFileTests {
    static let specText = """
        [agent]
        gateway_id = "gw-berlin-01"          # default: host name
        data_dir   = "/var/lib/zerobus-edge" # SQLite ring lives here
        log_level  = "info"                  # error|warn|info|debug|trace

        [mqtt]
        url           = "mqtt://127.0.0.1:1883"   # mqtts:// for TLS
        client_id     = "zerobus-edge"            # default "zerobus-edge-<gateway_id>"
        clean_session = false
        qos           = 1
        keepalive_s   = 30
        username      = ""
        password      = "${MQTT_PASSWORD}"
        ca_file       = ""                        # for mqtts; also cert_file/key_file for mTLS

        [zerobus]
        endpoint        = "https://1234.zerobus.us-west-2.cloud.databricks.com"
        workspace_url   = "https://dbc-1234.cloud.databricks.com"   # OAuth token endpoint host
        client_id       = "${DATABRICKS_CLIENT_ID}"
        client_secret   = "${DATABRICKS_CLIENT_SECRET}"
        # token         = "${ZEROBUS_TOKEN}"     # static bearer token instead of OAuth
        ca_file         = ""                     # extra trust anchors; default system store
        proxy           = ""                     # http://host:port CONNECT proxy; default from https_proxy/no_proxy

        [buffer]
        max_bytes = "512MiB"
        max_age   = "7d"
        on_full   = "drop_oldest"               # or "pause"
        sync      = "normal"                    # SQLite synchronous: normal | full

        [retry]
        initial_backoff_ms = 500
        max_backoff_ms     = 30000

        [health]
        interval_s  = 10
        mqtt_topic  = "zerobus-edge/{gateway_id}/status"   # retained JSON; LWT publishes {"state":"offline"}
        file        = "/run/zerobus-edge/health.json"
        http_listen = "127.0.0.1:9464"                     # /healthz /readyz /metrics; "" disables
        table       = ""                                    # optional Zerobus table for health rows

        [[table]]
        name              = "main.iot.readings"             # catalog.schema.table
        topics            = ["sensors/+/+"]
        format            = "json"                          # json | value | protobuf
        batch_max_records = 1000
        batch_max_bytes   = "4MiB"
        linger_ms         = 100
        streams           = 1
        columns = [
          { name = "device_id",  type = "string",    from = "topic[1]" },
          { name = "metric",     type = "string",    from = "topic[2]" },
          { name = "value",      type = "double",    from = "$.value" },
          { name = "unit",       type = "string",    from = "$.unit",  optional = true },
          { name = "event_time", type = "timestamp", from = "$.ts",    default = "received_at" },
          { name = "gateway_id", type = "string",    from = "gateway_id" },
          { name = "record_id",  type = "string",    from = "record_id" },
        ]
        """

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
