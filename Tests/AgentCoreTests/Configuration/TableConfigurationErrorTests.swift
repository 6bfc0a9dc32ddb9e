import Testing
@testable import AgentCore

/// `[[table]]` and column problems; line numbers refer to `TOMLFixture.specExample()`
/// (`[[table]]` on line 34, `columns = [` on line 42, column i on line 43 + i).
@Suite struct TableConfigurationErrorTests {
    private func specErrors(_ edit: (inout TOMLFixture) -> Void) -> [String] {
        var fixture = TOMLFixture.specExample()
        edit(&fixture)
        return errorLines(fixture)
    }

    private func columnErrors(_ columns: [TOMLFixture.Value], format: String = "json") -> [String] {
        specErrors {
            $0.update("table", "columns", .array(columns), multiline: true)
            $0.update("table", "format", .string(format))
        }
    }

    @Test func columnProblemsAreAllReportedWithTheirLines() {
        #expect(columnErrors([
            column("device_id", "decimal(10,2)", "topic[1]"),
            column("metric", "strng", "topic[2]"),
            column("value", "double", "$..value"),
            column("ok", "double", "$.value"),
            column("OK", "string", "$.other"),
            column("flag", "boolean", "received_at"),
            .table([("name", "n"), ("type", "int"), ("from", .table([("const", "abc")]))]),
            column("bad name", "string", "topic"),
            "oops",
            .table([("name", "incomplete")]),
            .table([("name", "number_source"), ("type", "int"), ("from", 42)]),
            .table([("name", "c"), ("type", "int"), ("from", .table([("constant", 1)]))]),
            column("when", "timestamp", "$.t", ("default", "now")),
        ]) == [
            "agent.toml:43: table[0].columns[0].type: unsupported type 'decimal(10,2)': decimal has no Zerobus protobuf mapping (use double, or string for exact values)",
            "agent.toml:44: table[0].columns[1].type: unknown type 'strng'",
            "agent.toml:45: table[0].columns[2].from: invalid source '$..value': recursive descent '..' is not supported",
            "agent.toml:47: table[0].columns[4].name: duplicate column 'OK' (also columns[3])",
            "agent.toml:48: table[0].columns[5].from: received_at can only fill timestamp, bigint, date or string columns",
            #"agent.toml:49: table[0].columns[6].from: constant does not fit the column type: expected an integer for int, got string "abc""#,
            #"agent.toml:50: table[0].columns[7].name: "bad name" is not a column name: use letters, digits and underscores"#,
            "agent.toml:51: table[0].columns[8]: expected a table { name = …, type = …, from = … }, got a string",
            "agent.toml:52: table[0].columns[9].type: missing required key",
            "agent.toml:52: table[0].columns[9].from: missing required key",
            #"agent.toml:53: table[0].columns[10].from: expected a source such as "$.value" or { const = … }, got an integer"#,
            "agent.toml:54: table[0].columns[11].from: expected { const = <value> }",
            "agent.toml:54: table[0].columns[11].from.constant: unknown key",
            "agent.toml:55: table[0].columns[12].default: invalid source 'now': expected topic[i], a JSON path like $.value (or @.value in an exploded table), payload, received_at, clock_synced, gateway_id, topic, record_id or unmapped",
        ])
    }

    /// The type parser recursed without limit: 100k nested arrays crashed check-config (SIGSEGV).
    @Test func deeplyNestedTypesAreAnErrorNotACrash() {
        let deep = String(repeating: "array<", count: 100_000) + "int" + String(repeating: ">", count: 100_000)
        #expect(columnErrors([column("deep", deep, "$.deep")])
            == ["agent.toml:43: table[0].columns[0].type: types nested more than 64 levels deep are not supported"])
    }

    @Test func valueFormatOnlyHasTheRoot() {
        #expect(columnErrors([column("v", "double", "$"), column("w", "double", "$.value")], format: "value")
            == [#"agent.toml:44: table[0].columns[1].from: format = "value" payloads hold a single value; select it with "$""#])
    }

    @Test func tableProblems() {
        #expect(specErrors { $0.update("table", "name", "main.iot") }
            == [#"agent.toml:35: table[0].name: "main.iot" is not a table name: expected catalog.schema.table (letters, digits, underscores)"#])
        #expect(specErrors { $0.update("table", "name", "main.iot.read-ings") }
            == [#"agent.toml:35: table[0].name: "main.iot.read-ings" is not a table name: expected catalog.schema.table (letters, digits, underscores)"#])
        #expect(specErrors { $0.update("table", "topics", ["a/#/b", "ok/+", "x+"]) } == [
            "agent.toml:36: table[0].topics[0]: invalid topic filter 'a/#/b': '#' must be the last level of a topic filter",
            "agent.toml:36: table[0].topics[2]: invalid topic filter 'x+': wildcards '+' and '#' must occupy a whole level",
        ])
        #expect(specErrors { $0.update("table", "topics", []) } == ["agent.toml:36: table[0].topics: needs at least one topic filter"])
        #expect(specErrors { $0.update("table", "columns", []) } == ["agent.toml:42: table[0].columns: needs at least one column"])
        #expect(specErrors { $0.update("table", "columns", nil) }
            == ["agent.toml:34: table[0].columns: missing: define columns, or descriptor + message"])
        #expect(specErrors { $0.update("table", "format", "protobuf") }
            == [#"agent.toml:37: table[0].format: format = "protobuf" needs descriptor + message (the schema the payloads were encoded with)"#])
        #expect(specErrors { $0.rename("table", "streams", to: "descriptor"); $0.update("table", "descriptor", "/x.desc") }
            == ["agent.toml:42: table[0].columns: use either columns or descriptor + message, not both"])
        #expect(specErrors {
            $0.update("table", "columns", nil)
            $0.rename("table", "streams", to: "descriptor")
            $0.update("table", "descriptor", "/x.desc")
        } == ["agent.toml:34: table[0].message: descriptor and message go together"])
    }

    @Test func tablesNeedUniqueNames() {
        var fixture = TOMLFixture.specExample()
        fixture.tableArrayElement("table")
        fixture.set("name", "main.iot.readings")
        fixture.set("topics", ["more/#"])
        fixture.set("columns", [column("v", "string", "payload")])
        #expect(errorLines(fixture) == ["agent.toml:52: table[1].name: table main.iot.readings is already defined by table[0]"])
    }

    @Test func tableMustBeAnArrayOfTables() {
        var fixture = minimalFixture()
        fixture.update(nil, "table", .table([("name", "a.b.c")]))
        #expect(errorLines(fixture) == ["agent.toml:4: table: expected one or more [[table]] sections, got a table"])
    }

    @Test func gatewayIDs() {
        #expect(specErrors { $0.update("agent", "gateway_id", "gw/1") }
            == [#"agent.toml:2: agent.gateway_id: "gw/1" is not usable: use letters, digits, '.', '_' and '-' only"#])
        var fixture = minimalFixture()
        fixture.section("agent")
        fixture.set("log_level", "debug")
        #expect(throws: ConfigErrors([ConfigError(
            file: "agent.toml", line: 10, column: 1, keyPath: "agent.gateway_id",
            message: #"the host name "my host" is not usable as gateway_id; set gateway_id"#
        )])) { try decode(fixture, hostName: "my host") }
    }

    @Test func everyErrorIsCollectedInFileOrder() {
        var fixture = TOMLFixture.specExample()
        fixture.update("table", "streams", 0)
        fixture.update("mqtt", "qos", 5)
        fixture.rename("buffer", "sync", to: "synk")
        fixture.update("table", "columns", [column("v", "decimal", "$.v")], multiline: true)
        fixture.update("agent", "log_level", "loud")
        let expected = [
            #"agent.toml:4: agent.log_level: invalid value "loud", expected one of "error", "warn", "info", "debug", "trace""#,
            "agent.toml:9: mqtt.qos: must be 1 or 2 (QoS 0 messages are not kept by the broker while the agent is offline)",
            "agent.toml:24: buffer.synk: unknown key (did you mean 'sync'?)",
            "agent.toml:41: table[0].streams: must be between 1 and 16, got 0",
            "agent.toml:43: table[0].columns[0].type: unsupported type 'decimal': decimal has no Zerobus protobuf mapping (use double, or string for exact values)",
        ]
        #expect(errorLines(fixture, environment: [:]).filter { !$0.contains("environment variable") } == expected)
        do {
            _ = try decode(fixture)
            Issue.record("decoding should fail")
        } catch {
            #expect(error.description == expected.joined(separator: "\n"))
            #expect(error.errors[3] == ConfigError(
                file: "agent.toml", line: 41, column: 11, keyPath: "table[0].streams", message: "must be between 1 and 16, got 0"
            ))
        }
    }
}
