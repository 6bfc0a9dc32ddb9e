/// Texts from the product contract (SPEC.md) that tests in several targets read.
public enum SpecExample {
    /// The example configuration of SPEC.md §3, copied verbatim.
    public static let configuration = #"""
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
}
