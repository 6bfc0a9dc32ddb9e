import TOML
import AgentCore
import DynamicProtobuf
import Testing

@testable import AgentServices

/// The pure half of `schema pull`: UC JSON → columns block / descriptor, no network.
@Suite struct SchemaPullTests {
    /// Shaped like the real API (and the emulator): extra fields, `type_json`, positions.
    static let readingsJSON = """
        {"name":"readings","catalog_name":"main","schema_name":"iot","full_name":"main.iot.readings",
         "table_type":"MANAGED","columns":[
          {"name":"device_id","type_text":"string","type_name":"STRING","position":0,"nullable":false,
           "type_json":"{\\"name\\":\\"device_id\\",\\"type\\":\\"string\\",\\"nullable\\":false,\\"metadata\\":{}}"},
          {"name":"seq","type_text":"bigint","type_name":"LONG","position":1,"nullable":true},
          {"name":"value","type_text":"double","type_name":"DOUBLE","position":2,"nullable":true},
          {"name":"ts","type_text":"timestamp","type_name":"TIMESTAMP","position":3,"nullable":true},
          {"name":"tags","type_text":"array<string>","type_name":"ARRAY","position":4,"nullable":true},
          {"name":"attrs","type_text":"map<string,double>","type_name":"MAP","position":5,"nullable":true},
          {"name":"loc","type_text":"struct<lat:double,lon:double>","type_name":"STRUCT","position":6,"nullable":true},
          {"name":"at","type_text":"timestamp_ntz","type_name":"TIMESTAMP_NTZ","position":7,
           "type_json":"{\\"name\\":\\"at\\",\\"type\\":\\"timestamp_ntz\\",\\"nullable\\":false,\\"metadata\\":{}}"}
        ]}
        """

    static func readings() throws -> UnityCatalogTable {
        try UnityCatalogTable(json: Array(readingsJSON.utf8), requestedName: "main.iot.readings")
    }

    @Test func parsesColumnsInPositionOrderWithNullability() throws {
        let table = try Self.readings()
        #expect(table.fullName == "main.iot.readings")
        #expect(table.columns.map(\.name) == ["device_id", "seq", "value", "ts", "tags", "attrs", "loc", "at"])
        #expect(table.columns[0].nullable == false)
        #expect(table.columns[1].nullable == true)
        // No `nullable` key: type_json decides.
        #expect(table.columns[7].nullable == false)
    }

    @Test func positionsOrderTheColumns() throws {
        let json = #"{"columns":[{"name":"b","type_text":"int","position":1},{"name":"a","type_text":"int","position":0}]}"#
        let table = try UnityCatalogTable(json: Array(json.utf8), requestedName: "c.s.t")
        #expect(table.columns.map(\.name) == ["a", "b"])
        #expect(table.fullName == "c.s.t")
    }

    @Test func columnsBlockIsTheExpectedTOML() throws {
        let block = try PulledSchema(table: Self.readings()).columnsBlock()
        // Alignment padding aside, one line per column.
        let lines = block.split(separator: "\n").map { line in
            line.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        }
        #expect(lines.first == "# main.iot.readings: 8 columns from Unity Catalog (zerobus-edge schema pull).")
        let rows = Array(lines.drop { $0 != "columns = [" })
        #expect(rows == [
            "columns = [",
            #"{ name = "device_id", type = "string", from = "$.device_id" },"#,
            #"{ name = "seq", type = "bigint", from = "$.seq", optional = true },"#,
            #"{ name = "value", type = "double", from = "$.value", optional = true },"#,
            #"{ name = "ts", type = "timestamp", from = "$.ts", optional = true },"#,
            #"{ name = "tags", type = "array<string>", from = "$.tags", optional = true },"#,
            #"{ name = "attrs", type = "map<string,double>", from = "$.attrs", optional = true },"#,
            #"{ name = "loc", type = "struct<lat:double,lon:double>", from = "$.loc", optional = true },"#,
            #"{ name = "at", type = "timestamp", from = "$.at" }, # timestamp_ntz in Unity Catalog"#,
            "]",
        ])
    }

    /// The printed block, pasted under a [[table]], is a valid agent.toml.
    @Test func columnsBlockIsAcceptedByTheConfigLoader() throws {
        let block = try PulledSchema(table: Self.readings()).columnsBlock()
        let text = """
            [zerobus]
            endpoint = "http://127.0.0.1:1"
            token = "t"
            [[table]]
            name = "main.iot.readings"
            topics = ["sensors/#"]
            \(block)
            """
        let configuration = try AgentConfiguration(toml: try TOML.parse(text), environment: [:], hostName: "gw")
        guard case .columns(let mappings) = configuration.tables[0].schema else {
            Issue.record("expected columns")
            return
        }
        #expect(mappings.map(\.column.name) == ["device_id", "seq", "value", "ts", "tags", "attrs", "loc", "at"])
        #expect(mappings.map(\.optional) == [false, true, true, true, true, true, true, false])
        #expect(mappings[6].column.type == .struct([Column(name: "lat", type: .double), Column(name: "lon", type: .double)]))
        try AgentRuntime.validateTables(configuration)
    }

    /// The descriptor file loads the way a `descriptor = …` table loads it; NOT NULL → required.
    @Test func descriptorSetRoundTrips() throws {
        let pulled = try PulledSchema(table: Self.readings(), messageName: "Reading")
        let loaded = try MessageDescriptor.load(descriptorSet: pulled.descriptorSet(fileName: "readings.proto"), messageName: "Reading")
        #expect(loaded.fields.map(\.name) == ["device_id", "seq", "value", "ts", "tags", "attrs", "loc", "at"])
        #expect(loaded.fields[0].isRequired)
        #expect(!loaded.fields[1].isRequired)
        #expect(loaded.fields[4].isRepeated)
        #expect(loaded.fields[5].isMap)
        #expect(loaded.serializedDescriptorProto() == pulled.descriptor.serializedDescriptorProto())
    }

    @Test func unsupportedTypesNameEveryColumn() throws {
        let table = UnityCatalogTable(fullName: "main.iot.bad", columns: [
            .init(name: "price", typeText: "decimal(10,2)"),
            .init(name: "ok", typeText: "string"),
            .init(name: "span", typeText: "interval day to second"),
        ])
        let error = #expect(throws: SchemaPullError.self) { try PulledSchema(table: table) }
        #expect(error?.kind == .runtime)
        #expect(error?.message.contains("column price (decimal(10,2))") == true)
        #expect(error?.message.contains("column span (interval day to second)") == true)
        #expect(error?.message.contains("column ok") == false)
    }

    @Test func unrepresentableShapesAndNamesAreRuntimeErrors() {
        let nested = UnityCatalogTable(fullName: "c.s.t", columns: [.init(name: "m", typeText: "array<array<int>>")])
        #expect(throws: SchemaPullError.self) { try PulledSchema(table: nested) }
        let oddName = UnityCatalogTable(fullName: "c.s.t", columns: [.init(name: "odd name", typeText: "int")])
        #expect(throws: SchemaPullError.self) { try PulledSchema(table: oddName) }
        let good = UnityCatalogTable(fullName: "c.s.t", columns: [.init(name: "a", typeText: "int")])
        let badMessage = #expect(throws: SchemaPullError.self) { try PulledSchema(table: good, messageName: "a-b") }
        #expect(badMessage?.exitCode == 2)
    }

    @Test func httpFailuresSayWhatHappened() {
        let name = TableName(parsing: "main.iot.nope")!
        let missing = UnityCatalogClient.failure(
            status: 404, body: Array(#"{"error_code":"TABLE_DOES_NOT_EXIST","message":"Table 'main.iot.nope' does not exist."}"#.utf8),
            table: name, url: "u")
        #expect(missing.message.hasPrefix("table main.iot.nope not found in Unity Catalog (TABLE_DOES_NOT_EXIST"))
        #expect(missing.exitCode == 1)
        let denied = UnityCatalogClient.failure(status: 401, body: [], table: name, url: "u")
        #expect(denied.message.contains("rejected the credentials"))
        let other = UnityCatalogClient.failure(status: 503, body: Array("<html>".utf8), table: name, url: "https://w/x")
        #expect(other.message == "Unity Catalog answered HTTP 503 for https://w/x")
    }

    @Test func missingColumnsArrayIsReported() {
        #expect(throws: SchemaPullError.self) { try UnityCatalogTable(json: Array("{}".utf8), requestedName: "c.s.t") }
        #expect(throws: SchemaPullError.self) { try UnityCatalogTable(json: Array("nope".utf8), requestedName: "c.s.t") }
    }
}
