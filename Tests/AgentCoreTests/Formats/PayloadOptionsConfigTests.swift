import TOML
import Testing
@testable import AgentCore

/// `explode`, `csv_*` and `influx_precision` in agent.toml: decoded, and refused with file:line.
@Suite struct PayloadOptionsConfigTests {
    private func load(_ table: String) throws(ConfigErrors) -> AgentConfiguration {
        let text = """
            [zerobus]
            endpoint = "http://127.0.0.1:50051"
            token = "t"
            [[table]]
            name = "main.iot.readings"
            topics = ["plant/#"]
            \(table)
            """
        let root: TOMLTable
        do { root = try TOML.parse(text) } catch { fatalError("\(error)") }
        return try AgentConfiguration(toml: root, environment: [:], hostName: "h", file: "agent.toml")
    }

    private func errors(_ table: String) -> [String] {
        do {
            _ = try load(table)
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    @Test func decodesTheOptions() throws {
        let csv = try load("""
            format = "csv"
            csv_delimiter = ";"
            csv_columns = ["ts", "v"]
            columns = [{ name = "v", type = "double", from = "$.v" }]
            """)
        #expect(csv.tables[0].payloadOptions.csv == CSVOptions(delimiter: UInt8(ascii: ";"), header: false, columns: ["ts", "v"]))
        let exploded = try load("""
            explode = "$.readings"
            columns = [{ name = "v", type = "double", from = "@.v" }, { name = "k", type = "string", from = "@key" }]
            """)
        #expect(exploded.tables[0].payloadOptions.explode == (try JSONPath(parsing: "$.readings")))
        let influx = try load("""
            format = "influx"
            influx_precision = "s"
            columns = [{ name = "m", type = "string", from = "$.measurement" }]
            """)
        #expect(influx.tables[0].payloadOptions.influxPrecision == .seconds)
    }

    @Test func refusesOptionsOfAnotherFormatAndElementSourcesWithoutExplode() {
        #expect(errors("""
            format = "csv"
            explode = "$.r"
            influx_precision = "ms"
            csv_delimiter = "ab"
            columns = [{ name = "v", type = "double", from = "@.v" }]
            """) == [
                "agent.toml:8: table[0].explode: only applies to format = \"json\" (this table is \"csv\")",
                "agent.toml:9: table[0].influx_precision: only applies to format = \"influx\" (this table is \"csv\")",
                "agent.toml:10: table[0].csv_delimiter: must be one ASCII character other than a quote or line break, got \"ab\"",
                "agent.toml:11: table[0].columns[0].from: @ sources read the element of an exploded message; set explode = \"$.path\" on the table first",
            ])
        #expect(errors("""
            explode = "$..r"
            columns = [{ name = "v", type = "double", from = "$.v" }]
            """) == ["agent.toml:7: table[0].explode: invalid JSON path '$..r': recursive descent '..' is not supported"])
    }
}
