import DynamicProtobuf
import Testing
@testable import AgentCore

func decode(
    _ fixture: TOMLFixture,
    environment: [String: String] = TOMLFixture.specEnvironment,
    hostName: String = "edge-host"
) throws(ConfigErrors) -> AgentConfiguration {
    try AgentConfiguration(toml: fixture.table, environment: environment, hostName: hostName, file: "agent.toml")
}

/// The error lines `decode` reports for `fixture`, or [] when it decodes.
func errorLines(_ fixture: TOMLFixture, environment: [String: String] = TOMLFixture.specEnvironment) -> [String] {
    do {
        _ = try decode(fixture, environment: environment)
        return []
    } catch {
        return error.errors.map(\.description)
    }
}

/// The smallest valid file: lines 1 [zerobus], 2 endpoint, 3 token, 4 [[table]], 5 name, 6 topics,
/// 7 `columns = [`, 8 one column, 9 `]`.
func minimalFixture() -> TOMLFixture {
    var fixture = TOMLFixture()
    fixture.section("zerobus")
    fixture.set("endpoint", "http://127.0.0.1:50051")
    fixture.set("token", "static-token")
    fixture.tableArrayElement("table")
    fixture.set("name", "main.iot.readings")
    fixture.set("topics", ["sensors/#"])
    fixture.set("columns", [column("value", "double", "$.value")], multiline: true)
    return fixture
}

@Suite struct ConfigurationDecodingTests {
    @Test func decodesTheSpecExample() throws {
        let config = try decode(.specExample())
        #expect(config.agent == AgentConfiguration.Agent(gatewayID: "gw-berlin-01", dataDirectory: "/var/lib/zerobus-edge", logLevel: .info))
        #expect(config.mqtt.broker == ServiceAddress(url: "mqtt://127.0.0.1:1883", useTLS: false, host: "127.0.0.1", port: 1883))
        #expect(config.mqtt.clientID == "zerobus-edge")
        #expect(config.mqtt.qos == 1)
        #expect(config.mqtt.cleanSession == false)
        #expect(config.mqtt.keepAliveSeconds == 30)
        #expect(config.mqtt.username == "edge")
        #expect(config.mqtt.password == "mqtt-secret")
        #expect(config.mqtt.caFile == nil)
        #expect(config.zerobus.endpoint.host == "1234.zerobus.us-west-2.cloud.databricks.com")
        #expect(config.zerobus.endpoint.port == 443)
        #expect(config.zerobus.endpoint.useTLS)
        #expect(config.zerobus.auth == .oauth(
            clientID: "sp-client", clientSecret: "oauth-secret",
            workspaceURL: ServiceAddress(url: "https://dbc-1234.cloud.databricks.com", useTLS: true, host: "dbc-1234.cloud.databricks.com", port: 443)
        ))
        #expect(config.buffer == AgentConfiguration.Buffer(maxBytes: 512 << 20, maxAge: .seconds(604_800), onFull: .dropOldest, sync: .normal,
            quarantineMaxBytes: 32 << 20, quarantineMaxEntries: 10_000))
        #expect(config.retry == AgentConfiguration.Retry(initialBackoff: .milliseconds(500), maxBackoff: .seconds(30)))
        #expect(config.health == AgentConfiguration.Health(
            interval: .seconds(10), mqttTopic: "zerobus-edge/gw-berlin-01/status", file: "/run/zerobus-edge/health.json",
            httpListen: HostPort(host: "127.0.0.1", port: 9464), table: nil
        ))
        #expect(config.tables.count == 1)
        let table = config.tables[0]
        #expect(table.name.description == "main.iot.readings")
        #expect(table.topics == [try TopicFilter("sensors/+/+")])
        #expect(table.format == .json)
        #expect(table.batchMaxRecords == 1000)
        #expect(table.batchMaxBytes == 4 << 20)
        #expect(table.linger == .milliseconds(100))
        #expect(table.streams == 1)
        #expect(table.schema == .columns([
            ColumnMapping(column: Column(name: "device_id", type: .string), source: .topicSegment(1)),
            ColumnMapping(column: Column(name: "metric", type: .string), source: .topicSegment(2)),
            ColumnMapping(column: Column(name: "value", type: .double), source: .jsonPath(JSONPath([.key("value")]))),
            ColumnMapping(column: Column(name: "unit", type: .string), source: .jsonPath(JSONPath([.key("unit")])), optional: true),
            ColumnMapping(column: Column(name: "event_time", type: .timestamp), source: .jsonPath(JSONPath([.key("ts")])),
                          defaultSource: .receivedAt),
            ColumnMapping(column: Column(name: "gateway_id", type: .string), source: .gatewayID),
            ColumnMapping(column: Column(name: "record_id", type: .string), source: .recordID),
        ]))
    }

    @Test func theDecodedTableMapsMessages() throws {
        let config = try decode(.specExample())
        let mapper = try #require(config.tables[0].rowMapper())
        let output = try mapper.map(
            topic: "sensors/dev1/temp", payload: Array(#"{"value": 21.5}"#.utf8),
            context: MessageContext(receivedAtMicros: 7, gatewayID: config.agent.gatewayID, recordID: "r1")
        )
        #expect(output == .row([.string("dev1"), .string("temp"), .double(21.5), nil, .int(7), .string("gw-berlin-01"), .string("r1")]))
    }

    @Test func defaults() throws {
        let config = try decode(minimalFixture(), environment: [:], hostName: "edge-host")
        #expect(config.agent == AgentConfiguration.Agent(gatewayID: "edge-host", dataDirectory: "/var/lib/zerobus-edge", logLevel: .info))
        #expect(config.mqtt == AgentConfiguration.MQTT(
            broker: ServiceAddress(url: "mqtt://127.0.0.1:1883", useTLS: false, host: "127.0.0.1", port: 1883),
            clientID: "zerobus-edge-edge-host", cleanSession: false, qos: 1, keepAliveSeconds: 30,
            username: nil, password: nil, caFile: nil, certFile: nil, keyFile: nil
        ))
        #expect(config.zerobus.auth == .token("static-token"))
        #expect(config.zerobus.endpoint == ServiceAddress(url: "http://127.0.0.1:50051", useTLS: false, host: "127.0.0.1", port: 50051))
        #expect(config.zerobus.proxy == nil)
        #expect(config.buffer == AgentConfiguration.Buffer(maxBytes: 536_870_912, maxAge: .seconds(7 * 86_400), onFull: .dropOldest, sync: .normal,
            quarantineMaxBytes: 32 << 20, quarantineMaxEntries: 10_000))
        #expect(config.retry == AgentConfiguration.Retry(initialBackoff: .milliseconds(500), maxBackoff: .milliseconds(30_000)))
        #expect(config.health == AgentConfiguration.Health(
            interval: .seconds(10), mqttTopic: "zerobus-edge/edge-host/status", file: "/run/zerobus-edge/health.json",
            httpListen: HostPort(host: "127.0.0.1", port: 9464), table: nil
        ))
        let table = config.tables[0]
        #expect(table.format == .json && table.batchMaxRecords == 1000 && table.batchMaxBytes == 4_194_304)
        #expect(table.linger == .milliseconds(100) && table.streams == 1)
    }

    @Test func clientIDDefaultFollowsTheConfiguredGatewayID() throws {
        var fixture = minimalFixture()
        fixture.section("agent")
        fixture.set("gateway_id", "gw-7")
        let config = try decode(fixture)
        #expect(config.mqtt.clientID == "zerobus-edge-gw-7")
        #expect(config.health.mqttTopic == "zerobus-edge/gw-7/status")
    }

    @Test func emptyStringsDisableOptionalFeatures() throws {
        var fixture = minimalFixture()
        fixture.section("health")
        fixture.set("mqtt_topic", "")
        fixture.set("file", "")
        fixture.set("http_listen", "")
        fixture.set("table", "main.ops.health")
        let health = try decode(fixture).health
        #expect(health.mqttTopic == nil && health.file == nil && health.httpListen == nil)
        #expect(health.table?.description == "main.ops.health")
    }

    @Test func otherValues() throws {
        var fixture = minimalFixture()
        fixture.section("mqtt")
        fixture.set("url", "mqtts://broker.local")
        fixture.set("qos", 2)
        fixture.set("ca_file", "/etc/ssl/ca.pem")
        fixture.set("cert_file", "/etc/zerobus-edge/client.pem")
        fixture.set("key_file", "/etc/zerobus-edge/client.key")
        fixture.section("buffer")
        fixture.set("max_bytes", 1_073_741_824)
        fixture.set("max_age", "1h30m")
        fixture.set("on_full", "pause")
        fixture.set("sync", "full")
        fixture.section("health")
        fixture.set("http_listen", "[::1]:0")
        let config = try decode(fixture)
        #expect(config.mqtt.broker == ServiceAddress(url: "mqtts://broker.local", useTLS: true, host: "broker.local", port: 8883))
        #expect(config.mqtt.qos == 2)
        #expect(config.mqtt.certFile == "/etc/zerobus-edge/client.pem")
        #expect(config.buffer == AgentConfiguration.Buffer(maxBytes: 1 << 30, maxAge: .seconds(5400), onFull: .pause, sync: .full,
            quarantineMaxBytes: 64 << 20, quarantineMaxEntries: 10_000))
        #expect(config.health.httpListen == HostPort(host: "::1", port: 0))
        #expect(config.health.httpListen?.description == "[::1]:0")
    }

    @Test func descriptorTables() throws {
        var fixture = minimalFixture()
        fixture.tableArrayElement("table")
        fixture.set("name", "main.shop.orders")
        fixture.set("topics", ["orders/+"])
        fixture.set("descriptor", "/etc/zerobus-edge/schemas/orders.descriptor")
        fixture.set("message", "table_Orders")
        fixture.tableArrayElement("table")
        fixture.set("name", "main.shop.raw")
        fixture.set("topics", ["raw/#"])
        fixture.set("format", "protobuf")
        fixture.set("descriptor", "/etc/zerobus-edge/schemas/raw.descriptor")
        fixture.set("message", "table_Raw")
        let config = try decode(fixture)
        #expect(config.tables[1].schema == .descriptor(path: "/etc/zerobus-edge/schemas/orders.descriptor", message: "table_Orders"))
        #expect(config.tables[1].rowMapper() == nil)
        #expect(config.tables[2].rowMapper()?.format == .protobuf)
    }

    @Test func constantsAndTOMLValues() throws {
        var fixture = minimalFixture()
        fixture.update("table", "columns", [
            column("value", "double", "$.value"),
            .table([("name", "site"), ("type", "string"), ("from", .table([("const", "${SITE}")]))]),
            .table([("name", "factor"), ("type", "double"), ("from", .table([("const", 2.5)]))]),
            .table([("name", "tags"), ("type", "array<int>"), ("from", .table([("const", [1, 2])]))]),
            .table([("name", "fallback"), ("type", "bigint"), ("from", "$.n"), ("default", .table([("const", 0)]))]),
        ])
        let config = try decode(fixture, environment: ["SITE": "berlin"])
        guard case .columns(let mappings) = config.tables[0].schema else { Issue.record("no columns"); return }
        #expect(mappings[1].source == .constant(.string("berlin")))
        #expect(mappings[2].source == .constant(.number(JSONNumber(double: 2.5))))
        #expect(mappings[3].source == .constant(.array([.number(JSONNumber(integer: 1)), .number(JSONNumber(integer: 2))])))
        #expect(mappings[4].defaultSource == .constant(.number(JSONNumber(integer: 0))))
    }

    @Test func environmentProxy() throws {
        let environment = ["https_proxy": "http://proxy.corp:3128/", "no_proxy": "localhost, .internal.corp"]
        let zerobus = try decode(minimalFixture(), environment: environment).zerobus
        #expect(zerobus.proxy == ServiceAddress(url: "http://proxy.corp:3128", useTLS: false, host: "proxy.corp", port: 3128))
        #expect(zerobus.noProxy == ["localhost", ".internal.corp"])
        #expect(zerobus.proxy(forHost: "1234.zerobus.us-west-2.cloud.databricks.com") == zerobus.proxy)
        #expect(zerobus.proxy(forHost: "api.internal.corp") == nil)
        #expect(zerobus.proxy(forHost: "LOCALHOST") == nil)

        var fixture = TOMLFixture()
        fixture.section("zerobus")
        fixture.set("endpoint", "https://ws.zerobus.example.com")
        fixture.set("token", "t")
        fixture.set("proxy", "http://explicit:8080")
        fixture.tableArrayElement("table")
        fixture.set("name", "a.b.c")
        fixture.set("topics", ["x"])
        fixture.set("columns", [column("v", "string", "payload")])
        let explicit = try decode(fixture, environment: environment).zerobus
        #expect(explicit.proxy?.host == "explicit")
        #expect(explicit.proxy(forHost: "api.internal.corp")?.host == "explicit")
    }
}
