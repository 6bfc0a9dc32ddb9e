import TOML
import Testing
@testable import AgentCore

/// `format = "sparkplug_b"` and its keys in agent.toml.
@Suite struct SparkplugConfigurationTests {
    private func load(_ table: String) throws -> AgentConfiguration {
        let text = """
            [zerobus]
            endpoint = "http://127.0.0.1:50051"
            token = "t"
            [[table]]
            name = "main.ot.metrics"
            topics = ["spBv1.0/#"]
            \(table)
            columns = [{ name = "metric", type = "string", from = "$.name", optional = true }]
            """
        return try AgentConfiguration(toml: try TOML.parse(text), environment: [:], hostName: "gw")
    }

    private func errors(_ table: String) -> [String] {
        do {
            _ = try load(table)
            return []
        } catch let error as ConfigErrors {
            return error.errors.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    @Test func theFormatAndItsOptionsDecodeWithTheirDefaults() throws {
        let defaults = try #require(try load(#"format = "sparkplug_b""#).tables.first)
        #expect(defaults.format == .sparkplugB)
        #expect(defaults.payloadOptions.sparkplug == SparkplugOptions(death: .row, commands: .ignore))
        let chosen = try #require(try load("""
            format = "sparkplug_b"
            sparkplug_death = "ignore"
            sparkplug_commands = "row"
            """).tables.first)
        #expect(chosen.payloadOptions.sparkplug == SparkplugOptions(death: .ignore, commands: .row))
        #expect(chosen.rowMapper()?.makesSeveralRows == true)
    }

    @Test func wrongValuesAndKeysOfOtherFormatsAreErrorsWithTheirLines() {
        #expect(errors("""
            format = "sparkplug_b"
            sparkplug_death = "drop"
            """) == [#"agent.toml:8: table[0].sparkplug_death: invalid value "drop", expected one of "row", "ignore""#])
        #expect(errors(#"sparkplug_commands = "row""#)
            == [#"agent.toml:7: table[0].sparkplug_commands: only applies to format = "sparkplug_b" (this table is "json")"#])
        #expect(errors(#"format = "sparkplugb""#).first?.contains(#""sparkplug_b""#) == true)
    }
}
