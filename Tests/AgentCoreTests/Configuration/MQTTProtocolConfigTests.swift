import TOML
import Testing
@testable import AgentCore

/// `mqtt.protocol`, and what only v5 allows: `$share/…` topics and `mqtt.*` sources.
@Suite struct MQTTProtocolConfigTests {
    /// Line 5 is `protocol = …`, line 11 `topics`, lines 13–14 the two columns.
    private static func text(protocol line: String, topic: String = "$share/edge/sensors/+/+") -> String {
        """
        [agent]
        gateway_id = "gw-1"
        [mqtt]
        url = "mqtt://127.0.0.1:1883"
        \(line)
        [zerobus]
        endpoint = "http://127.0.0.1:50051"
        token = "t"
        [[table]]
        name = "main.iot.a"
        topics = ["\(topic)"]
        columns = [
          { name = "site", type = "string", from = "mqtt.user_property.site", default = "mqtt.content_type" },
          { name = "value", type = "double", from = "$.value" },
        ]
        """
    }

    private func decode(_ text: String) throws(ConfigErrors) -> AgentConfiguration {
        let toml: TOMLTable
        do { toml = try TOML.parse(text) } catch { fatalError("fixture does not parse: \(error)") }
        return try AgentConfiguration(toml: toml, environment: [:], hostName: "host", file: "agent.toml")
    }

    private func errors(_ text: String) -> [String] {
        do {
            _ = try decode(text)
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    @Test func v5AcceptsSharedSubscriptionsAndPropertySources() throws {
        let config = try decode(Self.text(protocol: #"protocol = "v5""#))
        #expect(config.mqtt.protocolVersion == .v5)
        let filter = try #require(config.tables.first?.topics.first)
        #expect(filter.text == "$share/edge/sensors/+/+" && filter.shareGroup == "edge")
        #expect(filter.matches("sensors/d1/temp"))
        #expect(config.summary().contains("protocol=v5"))
        #expect(config.summary().contains("<- mqtt.user_property.site  (default mqtt.content_type)"))
    }

    @Test func v311IsTheDefaultAndRejectsV5FeaturesByKeyAndLine() {
        let expected = [
            #"agent.toml:11: table[0].topics[0]: the shared subscription "$share/edge/sensors/+/+" needs mqtt.protocol = "v5" (MQTT 3.1.1 has no shared subscriptions)"#,
            #"agent.toml:13: table[0].columns[0].from: mqtt.user_property.site needs mqtt.protocol = "v5" (MQTT 3.1.1 messages carry no properties)"#,
            #"agent.toml:13: table[0].columns[0].default: mqtt.content_type needs mqtt.protocol = "v5" (MQTT 3.1.1 messages carry no properties)"#,
        ]
        #expect(errors(Self.text(protocol: "")) == expected)
        #expect(errors(Self.text(protocol: #"protocol = "v3.1.1""#)) == expected)
    }

    @Test func v311KeepsOrdinaryTopicsWorking() throws {
        let text = Self.text(protocol: "", topic: "sensors/+/+")
            .replacing(#"from = "mqtt.user_property.site", default = "mqtt.content_type""#, with: #"from = "topic[1]""#)
        let config = try decode(text)
        #expect(config.mqtt.protocolVersion == .v311)
        #expect(config.summary().contains("protocol=v3.1.1"))
    }

    @Test func anUnknownProtocolIsOneErrorNotAFlood() {
        #expect(errors(Self.text(protocol: #"protocol = "5""#)) == [
            #"agent.toml:5: mqtt.protocol: invalid value "5", expected one of "v3.1.1", "v5""#
        ])
    }

    @Test func changingTheProtocolOnReloadReconnects() throws {
        let before = try decode(Self.text(protocol: #"protocol = "v5""#))
        var after = before
        after.mqtt.protocolVersion = .v311
        let diff = ConfigurationDiff(from: before, to: after)
        #expect(diff.mqttConnectionChanged)
        #expect(!diff.subscriptionsChanged && diff.changedTables.isEmpty)
    }
}
