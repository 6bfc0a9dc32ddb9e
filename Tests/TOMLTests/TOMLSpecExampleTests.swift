import TOML
import TestSupport
import Testing

@Suite("TOML: the SPEC.md example configuration")
struct TOMLSpecExampleTests {
    let doc = parseValid(SpecExample.configuration)

    @Test func sectionsAppearInSourceOrder() {
        #expect(doc.keys == ["agent", "mqtt", "zerobus", "buffer", "retry", "health", "table"])
        #expect(node(doc, "mqtt")?.position == pos(6, 1))
        #expect(node(doc, "health")?.keyPosition == pos(35, 2))
    }

    @Test func scalarValuesAndTheirPositions() {
        #expect(value(doc, "agent", "gateway_id") == .string("gw-berlin-01"))
        #expect(node(doc, "agent", "gateway_id")?.keyPosition == pos(2, 1))
        #expect(node(doc, "agent", "gateway_id")?.position == pos(2, 14))
        #expect(value(doc, "mqtt", "url") == .string("mqtt://127.0.0.1:1883"))
        #expect(node(doc, "mqtt", "url")?.position == pos(7, 17))
        #expect(value(doc, "mqtt", "clean_session") == .boolean(false))
        #expect(value(doc, "mqtt", "qos") == .integer(1))
        #expect(value(doc, "mqtt", "password") == .string("${MQTT_PASSWORD}"))
        #expect(value(doc, "zerobus", "client_secret") == .string("${DATABRICKS_CLIENT_SECRET}"))
        #expect(value(doc, "zerobus", "token") == nil)  // commented out
        #expect(value(doc, "buffer", "max_bytes") == .string("512MiB"))
        #expect(value(doc, "retry", "max_backoff_ms") == .integer(30000))
        #expect(value(doc, "health", "table") == .string(""))
        #expect(value(doc, "health", "http_listen") == .string("127.0.0.1:9464"))
    }

    @Test func tableArrayWithInlineColumnTables() {
        let tables = value(doc, "table")?.arrayValue
        #expect(tables?.count == 1)
        #expect(node(doc, "table", 0)?.position == pos(42, 1))
        #expect(value(doc, "table", 0, "name") == .string("main.iot.readings"))
        #expect(value(doc, "table", 0, "topics") == .array([TOMLNode(value: .string("sensors/+/+"), position: pos(44, 22))]))
        #expect(value(doc, "table", 0, "batch_max_records") == .integer(1000))

        let columns = value(doc, "table", 0, "columns")?.arrayValue ?? []
        #expect(columns.map { $0.value.tableValue?["name"]?.value.stringValue } == [
            "device_id", "metric", "value", "unit", "event_time", "gateway_id", "record_id",
        ])
        #expect(columns.map(\.position.line) == Array(51...57))
        #expect(value(doc, "table", 0, "columns", 2, "from") == .string("$.value"))
        #expect(node(doc, "table", 0, "columns", 2, "from")?.keyPosition == pos(53, 46))
        #expect(node(doc, "table", 0, "columns", 2, "from")?.position == pos(53, 53))
        #expect(value(doc, "table", 0, "columns", 3, "optional") == .boolean(true))
        #expect(node(doc, "table", 0, "columns", 3, "optional")?.keyPosition == pos(54, 64))
        #expect(node(doc, "table", 0, "columns", 3, "optional")?.position == pos(54, 75))
        #expect(value(doc, "table", 0, "columns", 4, "default") == .string("received_at"))
        #expect(value(doc, "table", 0, "columns", 0)?.tableValue?.keys == ["name", "type", "from"])
    }
}
