import TOML
import Testing

/// The example configuration of SPEC.md §3, copied verbatim.
let specExampleConfig = #"""
        [agent]
        gateway_id = "gw-berlin-01"          # default: host name
        data_dir   = "/var/lib/zerobus-edge" # SQLite ring lives here
        log_level  = "info"                  # error|warn|info|debug|trace

        [mqtt]
        url           = "mqtt://127.0.0.1:1883"   # mqtts:// for TLS
        client_id     = "zerobus-edge"            # default "zerobus-edge-<gateway_id>"
        clean_session = false
        qos           = 1
        keepalive_s   = 30
        username      = ""
        password      = "${MQTT_PASSWORD}"
        ca_file       = ""                        # for mqtts; also cert_file/key_file for mTLS

        [zerobus]
        endpoint        = "https://<workspace-id>.zerobus.<region>.cloud.databricks.com"
        workspace_url   = "https://<workspace>.cloud.databricks.com"   # OAuth token endpoint host
        client_id       = "${DATABRICKS_CLIENT_ID}"
        client_secret   = "${DATABRICKS_CLIENT_SECRET}"
        # token         = "${ZEROBUS_TOKEN}"     # static bearer token instead of OAuth
        ca_file         = ""                     # extra trust anchors; default system store
        proxy           = ""                     # http://host:port CONNECT proxy; default from https_proxy/no_proxy

        [buffer]
        max_bytes = "512MiB"
        max_age   = "7d"
        on_full   = "drop_oldest"               # or "pause"
        sync      = "normal"                    # SQLite synchronous: normal | full

        [retry]
        initial_backoff_ms = 500
        max_backoff_ms     = 30000

        [health]
        interval_s  = 10
        mqtt_topic  = "zerobus-edge/{gateway_id}/status"   # retained JSON; LWT publishes {"state":"offline"}
        file        = "/run/zerobus-edge/health.json"
        http_listen = "127.0.0.1:9464"                     # /healthz /readyz /metrics; "" disables
        table       = ""                                    # optional Zerobus table for health rows

        [[table]]
        name              = "main.iot.readings"             # catalog.schema.table
        topics            = ["sensors/+/+"]
        format            = "json"                          # json | value | protobuf
        batch_max_records = 1000
        batch_max_bytes   = "4MiB"
        linger_ms         = 100
        streams           = 1
        columns = [
          { name = "device_id",  type = "string",    from = "topic[1]" },
          { name = "metric",     type = "string",    from = "topic[2]" },
          { name = "value",      type = "double",    from = "$.value" },
          { name = "unit",       type = "string",    from = "$.unit",  optional = true },
          { name = "event_time", type = "timestamp", from = "$.ts",    default = "received_at" },
          { name = "gateway_id", type = "string",    from = "gateway_id" },
          { name = "record_id",  type = "string",    from = "record_id" },
        ]
        # Instead of columns: descriptor = "/etc/zerobus-edge/schemas/orders.descriptor"
        # and message = "table_Orders" (a file written by Databricks' schema generator);
        # JSON fields then map to descriptor fields by name.
        """#

@Suite("TOML: the SPEC.md example configuration")
struct TOMLSpecExampleTests {
    let doc = parseValid(specExampleConfig)

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
