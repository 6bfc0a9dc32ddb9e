import TOML
import Testing
@testable import AgentCore

/// What a reload restarts, from two configurations.
@Suite struct ConfigurationDiffTests {
    static let base = """
        [agent]
        gateway_id = "gw-1"
        data_dir = "/var/lib/zerobus-edge"
        log_level = "info"
        [mqtt]
        url = "mqtt://127.0.0.1:1883"
        [zerobus]
        endpoint = "http://127.0.0.1:50051"
        token = "t"
        [health]
        interval_s = 10
        [[table]]
        name = "main.iot.a"
        topics = ["a/+"]
        columns = [{ name = "value", type = "double", from = "$.value" }]
        [[table]]
        name = "main.iot.b"
        topics = ["b/#"]
        columns = [{ name = "value", type = "double", from = "$.value" }]
        """

    private func config(_ text: String) throws -> AgentConfiguration {
        try AgentConfiguration(toml: try TOML.parse(text), environment: [:], hostName: "host")
    }

    private func diff(to text: String) throws -> ConfigurationDiff {
        ConfigurationDiff(from: try config(Self.base), to: try config(text))
    }

    private func edited(_ target: String, _ replacement: String) -> String {
        guard let range = Self.base.firstRange(of: target) else { fatalError("'\(target)' not in the base text") }
        return Self.base.replacingCharacters(in: range, with: replacement)
    }

    @Test func theSameFileChangesNothing() throws {
        let result = try diff(to: Self.base)
        #expect(result.isEmpty)
        #expect(result.needsRestart.isEmpty)
        #expect(result.summary == "no changes")
    }

    @Test func anAddedTableIsAddedAndSubscribed() throws {
        let result = try diff(to: Self.base + """

            [[table]]
            name = "main.iot.c"
            topics = ["c/+"]
            columns = [{ name = "value", type = "double", from = "$.value" }]
            """)
        #expect(result.addedTables == ["main.iot.c"])
        #expect(result.removedTables.isEmpty && result.changedTables.isEmpty)
        #expect(result.subscriptionsChanged)
        #expect(!result.mqttConnectionChanged && !result.zerobusConnectionChanged)
    }

    @Test func aRemovedTableIsRemovedAndUnsubscribed() throws {
        let withoutB = String(Self.base[..<Self.base.firstRange(of: "[[table]]\nname = \"main.iot.b\"")!.lowerBound])
        let result = try diff(to: withoutB)
        #expect(result.removedTables == ["main.iot.b"])
        #expect(result.addedTables.isEmpty && result.changedTables.isEmpty)
        #expect(result.subscriptionsChanged)
    }

    @Test func aChangedColumnChangesOnlyThatTable() throws {
        let result = try diff(to: edited(
            "name = \"main.iot.b\"\ntopics = [\"b/#\"]\ncolumns = [{ name = \"value\", type = \"double\"",
            "name = \"main.iot.b\"\ntopics = [\"b/#\"]\ncolumns = [{ name = \"value\", type = \"string\""))
        #expect(result.changedTables == ["main.iot.b"])
        #expect(!result.subscriptionsChanged && !result.mqttConnectionChanged && !result.zerobusConnectionChanged)
    }

    @Test func batchingAndStreamsChangeTheTable() throws {
        let result = try diff(to: edited("topics = [\"a/+\"]", "topics = [\"a/+\"]\nstreams = 2\nlinger_ms = 5"))
        #expect(result.changedTables == ["main.iot.a"])
    }

    @Test func aTopicChangeAloneOnlyChangesSubscriptions() throws {
        let result = try diff(to: edited("topics = [\"a/+\"]", "topics = [\"a/+\", \"z/+\"]"))
        #expect(result.changedTables.isEmpty)
        #expect(result.retopicedTables == ["main.iot.a"])
        #expect(result.subscriptionsChanged)
        #expect(!result.mqttConnectionChanged)
    }

    @Test func movingATopicBetweenTablesKeepsTheSubscriptions() throws {
        let result = try diff(to: edited("topics = [\"a/+\"]", "topics = [\"a/+\", \"b/#\"]"))
        #expect(!result.subscriptionsChanged)
        #expect(result.retopicedTables == ["main.iot.a"])
        #expect(!result.isEmpty, "the routes change although the subscriptions do not")
    }

    @Test func mqttKeysReconnectOnlyMQTT() throws {
        let result = try diff(to: edited("url = \"mqtt://127.0.0.1:1883\"", "url = \"mqtt://127.0.0.1:1884\""))
        #expect(result.mqttConnectionChanged)
        #expect(!result.zerobusConnectionChanged)
        #expect(result.changedTables.isEmpty)
    }

    @Test func zerobusKeysReconnectOnlyTheUplinks() throws {
        let result = try diff(to: edited("token = \"t\"", "token = \"u\""))
        #expect(result.zerobusConnectionChanged)
        #expect(!result.mqttConnectionChanged)
    }

    @Test func retryReconnectsBoth() throws {
        let result = try diff(to: Self.base + "\n[retry]\ninitial_backoff_ms = 100\n")
        #expect(result.zerobusConnectionChanged && result.mqttConnectionChanged)
    }

    @Test func healthAndLogLevelChangeInPlace() throws {
        let result = try diff(to: edited("interval_s = 10", "interval_s = 2")
            .replacingOccurrences(of: "log_level = \"info\"", with: "log_level = \"debug\""))
        #expect(result.healthChanged && result.logLevelChanged)
        #expect(!result.mqttConnectionChanged && !result.zerobusConnectionChanged)
        #expect(result.summary == "health settings changed; log level changed")
    }

    @Test func theStatusTopicIsTheWillSoMQTTReconnects() throws {
        let result = try diff(to: edited("interval_s = 10", "interval_s = 10\nmqtt_topic = \"x/status\""))
        #expect(result.healthChanged && result.mqttConnectionChanged)
    }

    @Test func ringAndIdentityKeysWaitForARestartAndKeepTheirRunningValues() throws {
        let text = edited("gateway_id = \"gw-1\"", "gateway_id = \"gw-2\"")
            .replacingOccurrences(of: "data_dir = \"/var/lib/zerobus-edge\"", with: "data_dir = \"/srv/ring\"")
            + "\n[buffer]\nmax_bytes = \"64MiB\"\non_full = \"pause\"\n"
        let old = try config(Self.base)
        let new = try config(text)
        let result = ConfigurationDiff(from: old, to: new)
        // quarantine_max_bytes follows max_bytes (its default is max_bytes/16).
        #expect(result.needsRestart == [
            "agent.data_dir", "agent.gateway_id", "buffer.max_bytes", "buffer.on_full", "buffer.quarantine_max_bytes",
        ])
        let applied = ConfigurationDiff.applicable(old: old, new: new)
        #expect(applied.agent.gatewayID == "gw-1" && applied.agent.dataDirectory == "/var/lib/zerobus-edge")
        #expect(applied.buffer == old.buffer)
        #expect(ConfigurationDiff(from: old, to: applied).needsRestart.isEmpty)
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard let range = firstRange(of: target) else { fatalError("'\(target)' not found") }
        return replacingCharacters(in: range, with: replacement)
    }
}
