import Foundation
import Testing
@testable import AgentCore

@Suite struct SummaryTests {
    @Test func rendersTheSpecExample() throws {
        let summary = try decode(.specExample()).summary()
        #expect(summary == """
            agent    gateway_id=gw-berlin-01 data_dir=/var/lib/zerobus-edge log_level=info
            mqtt     mqtt://127.0.0.1:1883 protocol=v3.1.1 client_id=zerobus-edge qos=1 clean_session=false keepalive=30s username=edge password=***
            zerobus  https://1234.zerobus.us-west-2.cloud.databricks.com auth=oauth client_id=sp-client client_secret=*** \
            workspace_url=https://dbc-1234.cloud.databricks.com
                     ca_file=(system store) proxy=(none)
            buffer   max_bytes=512 MiB max_age=7d on_full=drop_oldest sync=normal
                     quarantine_max_bytes=32 MiB quarantine_max_entries=10000
            retry    initial_backoff=500ms max_backoff=30s
            health   interval=10s mqtt_topic=zerobus-edge/gw-berlin-01/status file=/run/zerobus-edge/health.json \
            http_listen=127.0.0.1:9464 table=(none)

            routes
              sensors/+/+  ->  main.iot.readings

            table main.iot.readings  format=json streams=1 batch_max_records=1000 batch_max_bytes=4 MiB linger=100ms drain=live_first
              device_id   string     <- topic[1]
              metric      string     <- topic[2]
              value       double     <- $.value
              unit        string     <- $.unit  (optional)
              event_time  timestamp  <- $.ts  (default received_at)
              gateway_id  string     <- gateway_id
              record_id   string     <- record_id

            """)
        for secret in ["mqtt-secret", "oauth-secret"] {
            #expect(!summary.contains(secret))
        }
    }

    @Test func masksTokensAndListsEveryRoute() throws {
        var fixture = minimalFixture()
        fixture.update("zerobus", "token", "${ZEROBUS_TOKEN}")
        fixture.update("table", "topics", ["sensors/#", "plant/+/temp"])
        fixture.tableArrayElement("table")
        fixture.set("name", "main.shop.orders")
        fixture.set("topics", ["orders/+"])
        fixture.set("descriptor", "/etc/zerobus-edge/schemas/orders.descriptor")
        fixture.set("message", "table_Orders")
        let summary = try decode(fixture, environment: ["ZEROBUS_TOKEN": "tok-123"]).summary()
        #expect(!summary.contains("tok-123"))
        #expect(summary.contains("zerobus  http://127.0.0.1:50051 auth=token token=***\n"))
        #expect(summary.contains("""
            routes
              sensors/#     ->  main.iot.readings
              plant/+/temp  ->  main.iot.readings
              orders/+      ->  main.shop.orders

            """))
        #expect(summary.contains("""
            table main.shop.orders  format=json streams=1 batch_max_records=1000 batch_max_bytes=4 MiB linger=100ms drain=live_first
              descriptor=/etc/zerobus-edge/schemas/orders.descriptor message=table_Orders (fields filled from JSON keys of the same name)

            """))
    }
}

@Suite struct LoadTests {
    @Test func missingFileIsOneErrorNamingThePath() {
        let path = "/nonexistent-\(UInt64.random(in: 0...UInt64.max))/agent.toml"
        #expect(throws: ConfigErrors([ConfigError(file: path, line: nil, keyPath: "", message: "cannot open: No such file or directory")])) {
            try AgentConfiguration.load(path: path, environment: [:])
        }
    }

    @Test func readsWholeFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("config-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("agent.toml")
        let content = (0..<20_000).map { "# line \($0) – ü\n" }.joined()
        try Data(content.utf8).write(to: file)
        #expect(try AgentConfiguration.readFile(file.path) == Array(content.utf8))
        #expect(throws: AgentConfiguration.FileReadError.self) { try AgentConfiguration.readFile(directory.path) }

        let invalid = directory.appendingPathComponent("latin1.toml")
        try Data([0x23, 0x20, 0xE9, 0x0A]).write(to: invalid)
        #expect(throws: ConfigErrors([ConfigError(file: invalid.path, line: nil, keyPath: "", message: "the file is not valid UTF-8")])) {
            try AgentConfiguration.load(path: invalid.path, environment: [:])
        }
    }

    @Test func hostNameAndEnvironment() {
        let hostName = AgentConfiguration.currentHostName()
        #expect(!hostName.isEmpty)
        #expect(hostName == ProcessInfo.processInfo.hostName || ProcessInfo.processInfo.hostName.hasPrefix(hostName))
        let environment = AgentConfiguration.processEnvironment()
        #expect(environment["PATH"] == ProcessInfo.processInfo.environment["PATH"])
        #expect(environment.count == ProcessInfo.processInfo.environment.count)
    }
}
