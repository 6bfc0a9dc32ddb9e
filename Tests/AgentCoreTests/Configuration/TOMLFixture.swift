import TOML
@testable import AgentCore

/// Builds `TOMLTable` values the way the TOML parser would produce them for a file written line by
/// line, so configuration tests can check line numbers without depending on the parser.
/// Each `section`/`tableArrayElement`/`set` call is one line of the imagined file (a multi-line array
/// puts each element on its own line), starting at line 1.
struct TOMLFixture {
    indirect enum Value {
        case string(String)
        case integer(Int64)
        case float(Double)
        case boolean(Bool)
        case array([Value])
        case table([(String, Value)])
    }

    private var root: [(key: String, node: TOMLNode)] = []
    private var current: Target = .root
    private var line = 0

    private enum Target {
        case root
        case section(String)
        case arrayElement(String)
    }

    /// `[name]`
    mutating func section(_ name: String) {
        line += 1
        root.append((name, TOMLNode(value: .table(TOMLTable(entries: [])), position: TOMLPosition(line: line, column: 1),
                                    keyPosition: TOMLPosition(line: line, column: 2))))
        current = .section(name)
    }

    /// `[[name]]`
    mutating func tableArrayElement(_ name: String) {
        line += 1
        let element = TOMLNode(value: .table(TOMLTable(entries: [])), position: TOMLPosition(line: line, column: 1),
                               keyPosition: TOMLPosition(line: line, column: 3))
        if let index = root.firstIndex(where: { $0.key == name }), case .array(var elements) = root[index].node.value {
            elements.append(element)
            root[index].node.value = .array(elements)
        } else {
            root.append((name, TOMLNode(value: .array([element]), position: TOMLPosition(line: line, column: 1),
                                        keyPosition: TOMLPosition(line: line, column: 3))))
        }
        current = .arrayElement(name)
    }

    /// `key = value`, or with `multiline` an array whose elements sit on the following lines.
    mutating func set(_ key: String, _ value: Value, multiline: Bool = false) {
        line += 1
        let keyLine = line
        let valueColumn = key.count + 4
        let node: TOMLNode
        if multiline, case .array(let elements) = value {
            let nodes = elements.map { element -> TOMLNode in
                line += 1
                return makeNode(element, line: line, column: 3)
            }
            line += 1  // closing bracket
            node = TOMLNode(value: .array(nodes), position: TOMLPosition(line: keyLine, column: valueColumn),
                            keyPosition: TOMLPosition(line: keyLine, column: 1))
        } else {
            var made = makeNode(value, line: keyLine, column: valueColumn)
            made.keyPosition = TOMLPosition(line: keyLine, column: 1)
            node = made
        }
        insert(key, node)
    }

    private mutating func insert(_ key: String, _ node: TOMLNode) {
        switch current {
        case .root:
            root.append((key, node))
        case .section(let name):
            let index = root.lastIndex { $0.key == name }!
            guard case .table(var table) = root[index].node.value else { fatalError("not a table") }
            table.entries.append((key, node))
            root[index].node.value = .table(table)
        case .arrayElement(let name):
            let index = root.lastIndex { $0.key == name }!
            guard case .array(var elements) = root[index].node.value,
                  case .table(var table) = elements[elements.count - 1].value else { fatalError("not an array of tables") }
            table.entries.append((key, node))
            elements[elements.count - 1].value = .table(table)
            root[index].node.value = .array(elements)
        }
    }

    private func makeNode(_ value: Value, line: Int, column: Int) -> TOMLNode {
        let position = TOMLPosition(line: line, column: column)
        switch value {
        case .string(let text): return TOMLNode(value: .string(text), position: position)
        case .integer(let number): return TOMLNode(value: .integer(number), position: position)
        case .float(let number): return TOMLNode(value: .float(number), position: position)
        case .boolean(let flag): return TOMLNode(value: .boolean(flag), position: position)
        case .array(let elements):
            return TOMLNode(value: .array(elements.map { makeNode($0, line: line, column: column + 1) }), position: position)
        case .table(let entries):
            let nodes = entries.map { entry -> (key: String, node: TOMLNode) in
                var node = makeNode(entry.1, line: line, column: column + 2)
                node.keyPosition = TOMLPosition(line: line, column: column + 2)
                return (entry.0, node)
            }
            return TOMLNode(value: .table(TOMLTable(entries: nodes)), position: position)
        }
    }

    /// Replaces the value of `key` in the first `[section]` (or `[[section]]` element) of that name,
    /// keeping its line (a `multiline` array's elements go on the following lines); removes the key
    /// when `value` is nil. `section` nil edits a top-level key.
    mutating func update(_ section: String?, _ key: String, _ value: Value?, multiline: Bool = false, element: Int = 0) {
        func replacement(for old: TOMLNode, _ value: Value) -> TOMLNode {
            var node: TOMLNode
            if multiline, case .array(let elements) = value {
                let nodes = elements.enumerated().map { makeNode($1, line: old.position.line + 1 + $0, column: 3) }
                node = TOMLNode(value: .array(nodes), position: old.position)
            } else {
                node = makeNode(value, line: old.position.line, column: old.position.column)
            }
            node.keyPosition = old.keyPosition
            return node
        }
        func edit(_ table: inout TOMLTable) {
            guard let entryIndex = table.entries.firstIndex(where: { $0.key == key }) else { fatalError("no key \(key)") }
            guard let value else {
                table.entries.remove(at: entryIndex)
                return
            }
            table.entries[entryIndex].node = replacement(for: table.entries[entryIndex].node, value)
        }
        guard let section else {
            let index = root.firstIndex { $0.key == key }!
            root[index].node = replacement(for: root[index].node, value!)
            return
        }
        let index = root.firstIndex { $0.key == section }!
        switch root[index].node.value {
        case .table(var table):
            edit(&table)
            root[index].node.value = .table(table)
        case .array(var elements):
            guard case .table(var table) = elements[element].value else { fatalError("not a table") }
            edit(&table)
            elements[element].value = .table(table)
            root[index].node.value = .array(elements)
        default:
            fatalError("not a section")
        }
    }

    /// Renames `key` in the first `[section]` (or `[[section]]` element) of that name, keeping its line;
    /// `section` nil renames a top-level key.
    mutating func rename(_ section: String?, _ key: String, to newKey: String, element: Int = 0) {
        guard let section else {
            let index = root.firstIndex { $0.key == key }!
            root[index].key = newKey
            return
        }
        let index = root.firstIndex { $0.key == section }!
        func edit(_ table: inout TOMLTable) {
            let entryIndex = table.entries.firstIndex { $0.key == key }!
            table.entries[entryIndex].key = newKey
        }
        switch root[index].node.value {
        case .table(var table):
            edit(&table)
            root[index].node.value = .table(table)
        case .array(var elements):
            guard case .table(var table) = elements[element].value else { fatalError("not a table") }
            edit(&table)
            elements[element].value = .table(table)
            root[index].node.value = .array(elements)
        default:
            fatalError("not a section")
        }
    }

    var table: TOMLTable { TOMLTable(entries: root) }
    /// The line the next call will produce.
    var nextLine: Int { line + 1 }
}

extension TOMLFixture.Value: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, ExpressibleByArrayLiteral {
    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int64) { self = .integer(value) }
    init(booleanLiteral value: Bool) { self = .boolean(value) }
    init(floatLiteral value: Double) { self = .float(value) }
    init(arrayLiteral elements: TOMLFixture.Value...) { self = .array(elements) }
}

/// `{ name = …, type = …, from = … }` with extra keys appended.
func column(_ name: String, _ type: String, _ from: String, _ extra: (String, TOMLFixture.Value)...) -> TOMLFixture.Value {
    .table([("name", .string(name)), ("type", .string(type)), ("from", .string(from))] + extra)
}

extension TOMLFixture {
    /// The SPEC.md §3 example: [agent] lines 1–4, [mqtt] 5–13 (password line 12), [zerobus] 14–19,
    /// [buffer] 20–24, [retry] 25–27, [health] 28–33, [[table]] 34–50 (topics line 36, streams 41,
    /// `columns = [` line 42 with the seven columns on lines 43–49).
    static func specExample() -> TOMLFixture {
        var fixture = TOMLFixture()
        fixture.section("agent")
        fixture.set("gateway_id", "gw-berlin-01")
        fixture.set("data_dir", "/var/lib/zerobus-edge")
        fixture.set("log_level", "info")
        fixture.section("mqtt")
        fixture.set("url", "mqtt://127.0.0.1:1883")
        fixture.set("client_id", "zerobus-edge")
        fixture.set("clean_session", false)
        fixture.set("qos", 1)
        fixture.set("keepalive_s", 30)
        fixture.set("username", "edge")
        fixture.set("password", "${MQTT_PASSWORD}")
        fixture.set("ca_file", "")
        fixture.section("zerobus")
        fixture.set("endpoint", "https://1234.zerobus.us-west-2.cloud.databricks.com")
        fixture.set("workspace_url", "https://dbc-1234.cloud.databricks.com")
        fixture.set("client_id", "${DATABRICKS_CLIENT_ID}")
        fixture.set("client_secret", "${DATABRICKS_CLIENT_SECRET}")
        fixture.set("ca_file", "")
        fixture.section("buffer")
        fixture.set("max_bytes", "512MiB")
        fixture.set("max_age", "7d")
        fixture.set("on_full", "drop_oldest")
        fixture.set("sync", "normal")
        fixture.section("retry")
        fixture.set("initial_backoff_ms", 500)
        fixture.set("max_backoff_ms", 30000)
        fixture.section("health")
        fixture.set("interval_s", 10)
        fixture.set("mqtt_topic", "zerobus-edge/{gateway_id}/status")
        fixture.set("file", "/run/zerobus-edge/health.json")
        fixture.set("http_listen", "127.0.0.1:9464")
        fixture.set("table", "")
        fixture.tableArrayElement("table")
        fixture.set("name", "main.iot.readings")
        fixture.set("topics", ["sensors/+/+"])
        fixture.set("format", "json")
        fixture.set("batch_max_records", 1000)
        fixture.set("batch_max_bytes", "4MiB")
        fixture.set("linger_ms", 100)
        fixture.set("streams", 1)
        fixture.set("columns", [
            column("device_id", "string", "topic[1]"),
            column("metric", "string", "topic[2]"),
            column("value", "double", "$.value"),
            column("unit", "string", "$.unit", ("optional", true)),
            column("event_time", "timestamp", "$.ts", ("default", "received_at")),
            column("gateway_id", "string", "gateway_id"),
            column("record_id", "string", "record_id"),
        ], multiline: true)
        return fixture
    }

    static let specEnvironment = [
        "MQTT_PASSWORD": "mqtt-secret",
        "DATABRICKS_CLIENT_ID": "sp-client",
        "DATABRICKS_CLIENT_SECRET": "oauth-secret",
    ]
}
