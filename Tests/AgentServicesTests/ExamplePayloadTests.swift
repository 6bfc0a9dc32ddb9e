import TOML
import AgentCore
import Testing

@testable import AgentServices

/// The payloads that examples/*.toml describe in their comments become rows with those configs.
@Suite struct ExamplePayloadTests {
    static let root: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/AgentServicesTests/ExamplePayloadTests.swift
        return parts.joined(separator: "/")
    }()

    static let secrets = [
        "DATABRICKS_CLIENT_ID": "id", "DATABRICKS_CLIENT_SECRET": "secret", "MQTT_PASSWORD": "pw", "ZEROBUS_TOKEN": "t",
    ]

    /// The example's tables, compiled as `run` would, with the descriptor path pointed at examples/schemas.
    static func tables(_ example: String) throws -> [CompiledTable] {
        let bytes = try #require(FileBytes.read("\(root)/examples/\(example)"))
        let text = String(decoding: bytes, as: UTF8.self)
            .replacing("/etc/zerobus-edge/schemas/", with: "\(root)/examples/schemas/")
        let configuration = try AgentConfiguration(
            toml: try TOML.parse(text), environment: secrets, hostName: "gw", file: example)
        return try configuration.tables.map { table throws(AgentError) in try CompiledTable(table) }
    }

    /// Maps and encodes one message; returns the decoded row as JSON for spot checks.
    static func row(_ example: String, topic: String, payload: String) throws -> String {
        let table = try #require(try tables(example).first { $0.matches(topic: topic) })
        let context = MessageContext(receivedAtMicros: 1_777_636_800_000_000, gatewayID: "gw", recordID: "r-1")
        guard case .row(let values) = try table.mapper.map(topic: topic, payload: Array(payload.utf8), context: context)
        else {
            Issue.record("expected a row")
            return ""
        }
        let encoded = try table.descriptor.encode(values)
        return table.descriptor.jsonString(of: try table.descriptor.decode(encoded))
    }

    @Test func jsonPerDevice() throws {
        let json = try Self.row("json-per-device.toml", topic: "factory/press-07/telemetry", payload: """
            {"ts":"2026-05-01T12:00:00.250Z","temp_c":71.5,"humidity":38,"status":"running","vibration":{"x":0.02,"y":0.01,"z":0.4}}
            """)
        #expect(json.contains(#""device_id":"press-07""#))
        #expect(json.contains(#""z":0.4"#))
    }

    @Test func topicPerMetric() throws {
        let json = try Self.row("topic-per-metric.toml", topic: "sensors/boiler-1/pressure", payload: "1.82")
        #expect(json.contains(#""metric":"pressure""#) && json.contains(#""value":1.82"#))
    }

    @Test func descriptorTable() throws {
        let json = try Self.row("descriptor-table.toml", topic: "machines/cnc-12/events", payload: """
            {"machine_id":"cnc-12","event_time":1777636800250000,"event_type":"tool_change","spindle_rpm":0,
             "running":false,"alarms":["T14 worn"],"location":{"line":"A","station":4},
             "temperatures":{"spindle":41.5,"coolant":22.0}}
            """)
        #expect(json.contains(#""machine_id":"cnc-12""#) && json.contains(#""station":4"#))
    }

    @Test func multiTable() throws {
        #expect(try Self.tables("multi-table-health.toml").count == 3)
        let reading = try Self.row(
            "multi-table-health.toml", topic: "plant/A/sensors/p1", payload: #"{"v":3.2,"unit":"bar","t":1777636800}"#)
        #expect(reading.contains(#""sensor":"p1""#))
        let alarm = try Self.row("multi-table-health.toml", topic: "plant/A/alarms", payload: """
            {"code":"E42","severity":2,"text":"overpressure","at":"2026-05-01T12:00:00Z"}
            """)
        #expect(alarm.contains(#""code":"E42""#))
        let energy = try Self.row("multi-table-health.toml", topic: "meters/m1/kwh", payload: "123456.7")
        #expect(energy.contains(#""meter":"m1""#))
    }

    @Test func mqttsClientCert() throws {
        let json = try Self.row("mqtts-client-cert.toml", topic: "substation/14/bay-3/measurements", payload: """
            {"u_kv":110.2,"i_a":312.5,"phase_angles":[0.0,120.1,239.8],"flags":{"breaker_closed":true},"ts":"2026-05-01T12:00:00.125Z"}
            """)
        #expect(json.contains(#""bay":"bay-3""#))
    }
}
