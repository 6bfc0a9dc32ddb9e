import Testing
@testable import AgentCore

/// Line numbers refer to `TOMLFixture.specExample()` (see its doc comment) or `minimalFixture()`.
@Suite struct ConfigurationErrorTests {
    private func specErrors(_ edit: (inout TOMLFixture) -> Void, environment: [String: String] = TOMLFixture.specEnvironment) -> [String] {
        var fixture = TOMLFixture.specExample()
        edit(&fixture)
        return errorLines(fixture, environment: environment)
    }

    @Test func unknownKeysNameTheLineAndSuggestTheClosestKey() {
        #expect(specErrors { $0.rename("mqtt", "client_id", to: "clientid") }
            == ["agent.toml:7: mqtt.clientid: unknown key (did you mean 'client_id'?)"])
        #expect(specErrors { $0.rename("health", "interval_s", to: "Interval_S") }
            == ["agent.toml:29: health.Interval_S: unknown key (did you mean 'interval_s'?)"])
        #expect(specErrors { $0.rename(nil, "health", to: "heath") }
            == ["agent.toml:28: heath: unknown key (did you mean 'health'?)"])
        #expect(specErrors { $0.rename("agent", "log_level", to: "verbosity") }
            == ["agent.toml:4: agent.verbosity: unknown key"])
        #expect(specErrors { $0.rename("table", "topics", to: "tpoics") } == [
            "agent.toml:34: table[0].topics: missing required key",
            "agent.toml:36: table[0].tpoics: unknown key (did you mean 'topics'?)",
        ])
        #expect(specErrors {
            $0.update("table", "columns", [
                column("device_id", "string", "topic[1]"),
                .table([("name", "value"), ("type", "double"), ("fromm", "$.value")]),
            ], multiline: true)
        } == [
            "agent.toml:44: table[0].columns[1].from: missing required key",
            "agent.toml:44: table[0].columns[1].fromm: unknown key (did you mean 'from'?)",
        ])
    }

    @Test func wrongTypes() {
        #expect(specErrors { $0.update("mqtt", "qos", "1") } == ["agent.toml:9: mqtt.qos: expected an integer, got a string"])
        #expect(specErrors { $0.update("mqtt", "clean_session", 1) }
            == ["agent.toml:8: mqtt.clean_session: expected true or false, got an integer"])
        #expect(specErrors { $0.update("table", "topics", "sensors/+/+") }
            == ["agent.toml:36: table[0].topics: expected an array, got a string"])
        #expect(specErrors { $0.update("table", "streams", 1.5) }
            == ["agent.toml:41: table[0].streams: expected an integer, got a float"])
        #expect(specErrors { $0.update("buffer", "max_bytes", true) }
            == ["agent.toml:21: buffer.max_bytes: expected a size such as \"4MiB\", got a boolean"])
        #expect(specErrors { $0.update("table", "topics", ["a/b", 7]) }
            == ["agent.toml:36: table[0].topics[1]: expected a string, got an integer"])
        #expect(specErrors { $0.update(nil, "mqtt", "mqtt://x") }
            == ["agent.toml:5: mqtt: expected a table ([mqtt]), got a string"])
    }

    @Test func valuesOutOfRange() {
        #expect(specErrors { $0.update("mqtt", "qos", 0) }
            == ["agent.toml:9: mqtt.qos: must be 1 or 2 (QoS 0 messages are not kept by the broker while the agent is offline)"])
        #expect(specErrors { $0.update("mqtt", "keepalive_s", 1) }
            == ["agent.toml:10: mqtt.keepalive_s: must be between 5 and 65535, got 1"])
        #expect(specErrors { $0.update("table", "streams", 17) }
            == ["agent.toml:41: table[0].streams: must be between 1 and 16, got 17"])
        #expect(specErrors { $0.update("table", "batch_max_records", 0) }
            == ["agent.toml:38: table[0].batch_max_records: must be between 1 and 100000, got 0"])
        #expect(specErrors { $0.update("table", "batch_max_bytes", "11MiB") }
            == ["agent.toml:39: table[0].batch_max_bytes: must be at most 10176 KiB, got 11 MiB"])
        #expect(specErrors { $0.update("table", "batch_max_bytes", "10176KiB") } == [])
        // A ring must hold a few of the largest rows a table accepts (see Buffer.minimumMaxBytes).
        #expect(specErrors { $0.update("buffer", "max_bytes", "64KiB") }
            == ["agent.toml:21: buffer.max_bytes: must be at least 40 MiB, got 64 KiB (4 × the largest accepted payload, 10176 KiB)"])
        #expect(specErrors { $0.update("buffer", "max_bytes", "39MiB") }
            == ["agent.toml:21: buffer.max_bytes: must be at least 40 MiB, got 39 MiB (4 × the largest accepted payload, 10176 KiB)"])
        #expect(specErrors { $0.update("buffer", "max_bytes", "40MiB") } == [])
        #expect(AgentConfiguration.Buffer.minimumMaxBytes >= 4 * Int64(RowMapper.defaultMaxPayloadBytes))
        #expect(specErrors { $0.update("buffer", "max_bytes", "512 parsecs") }
            == [#"agent.toml:21: buffer.max_bytes: invalid size "512 parsecs" (examples: "4MiB", "512MiB", "1GB", 1048576)"#])
        #expect(specErrors { $0.update("buffer", "max_age", "0s") } == ["agent.toml:22: buffer.max_age: must be at least 1s"])
        #expect(specErrors { $0.update("buffer", "max_age", "7 days") }
            == [#"agent.toml:22: buffer.max_age: invalid duration "7 days" (examples: "7d", "12h", "30m", "45s", "500ms")"#])
        #expect(specErrors { $0.update("retry", "max_backoff_ms", 100) }
            == ["agent.toml:27: retry.max_backoff_ms: must be at least initial_backoff_ms (500)"])
        #expect(specErrors { $0.update("table", "linger_ms", -1) }
            == ["agent.toml:40: table[0].linger_ms: must be between 0 and 60000, got -1"])
    }

    @Test func enumerations() {
        #expect(specErrors { $0.update("agent", "log_level", "verbose") }
            == [#"agent.toml:4: agent.log_level: invalid value "verbose", expected one of "error", "warn", "info", "debug", "trace""#])
        #expect(specErrors { $0.update("buffer", "on_full", "block") }
            == [#"agent.toml:23: buffer.on_full: invalid value "block", expected one of "drop_oldest", "pause""#])
        #expect(specErrors { $0.update("buffer", "sync", "off") }
            == [#"agent.toml:24: buffer.sync: invalid value "off", expected one of "normal", "full""#])
        #expect(specErrors { $0.update("table", "format", "xml") }
            == [#"agent.toml:37: table[0].format: invalid value "xml", expected one of "json", "value", "protobuf", "csv", "influx", "sparkplug_b""#])
    }

    @Test func unsetEnvironmentVariablesNameKeyAndLine() {
        #expect(specErrors { $0.update("table", "topics", ["sensors/${SITE}/+"]) }
            == ["agent.toml:36: table[0].topics[0]: environment variable 'SITE' is not set"])
        #expect(specErrors { $0.update("mqtt", "url", "mqtt://${BROKER}:1883") }
            == ["agent.toml:6: mqtt.url: environment variable 'BROKER' is not set"])
        #expect(specErrors { $0.update("table", "columns", [column("v", "string", "$.${FIELD}")]) }
            == ["agent.toml:42: table[0].columns[0].from: environment variable 'FIELD' is not set"])
    }

    /// In keys where "" means "not set" (credentials, optional files) an unset variable reads as "";
    /// the shipped example's `password = "${MQTT_PASSWORD}"` must work for brokers without auth.
    @Test func unsetVariablesInOptionalKeysReadAsEmpty() throws {
        var fixture = TOMLFixture.specExample()
        fixture.update("mqtt", "username", "${MQTT_USERNAME}")
        fixture.update("mqtt", "ca_file", "${MQTT_CA_FILE}")
        let config = try decode(fixture, environment: ["DATABRICKS_CLIENT_ID": "id", "DATABRICKS_CLIENT_SECRET": "secret"])
        #expect(config.mqtt.username == nil && config.mqtt.password == nil && config.mqtt.caFile == nil)

        #expect(specErrors({ _ in }, environment: ["DATABRICKS_CLIENT_ID": "id"])
            == ["agent.toml:18: zerobus.client_secret: required with client_id; environment variable 'DATABRICKS_CLIENT_SECRET' is not set"])
        #expect(specErrors({ _ in }, environment: [:]) == [
            "agent.toml:14: zerobus.token: no credentials: set client_id + client_secret (OAuth) or token; "
                + "environment variables 'DATABRICKS_CLIENT_ID', 'DATABRICKS_CLIENT_SECRET' are not set",
        ])
        #expect(specErrors({ $0.update("mqtt", "username", "${MQTT_USERNAME}") }, environment: TOMLFixture.specEnvironment)
            == ["agent.toml:12: mqtt.password: set mqtt.username as well; environment variable 'MQTT_USERNAME' is not set"])
        #expect(specErrors({ $0.update("zerobus", "workspace_url", "${WORKSPACE}") }, environment: TOMLFixture.specEnvironment)
            == ["agent.toml:16: zerobus.workspace_url: required with client_id + client_secret (the OAuth token endpoint host); "
                + "environment variable 'WORKSPACE' is not set"])
    }

    @Test func urls() {
        #expect(specErrors { $0.update("mqtt", "url", "http://broker:1883") }
            == ["agent.toml:6: mqtt.url: unsupported scheme 'http', expected mqtt:// or mqtts://"])
        #expect(specErrors { $0.update("mqtt", "url", "127.0.0.1:1883") }
            == ["agent.toml:6: mqtt.url: missing scheme: write mqtt:// or mqtts://host[:port]"])
        #expect(specErrors { $0.update("mqtt", "url", "mqtt://user:pw@broker") }
            == ["agent.toml:6: mqtt.url: credentials do not belong in the URL; use the username/password keys"])
        #expect(specErrors { $0.update("mqtt", "url", "mqtt://broker/x") }
            == ["agent.toml:6: mqtt.url: expected mqtt:// or mqtts://host[:port] without a path"])
        #expect(specErrors { $0.update("mqtt", "url", "mqtt://broker:99999") }
            == ["agent.toml:6: mqtt.url: invalid host or port"])
        // Port 0 parsed, and every connection then failed after start-up.
        #expect(specErrors { $0.update("zerobus", "endpoint", "https://1.zerobus.example.com:0") }
            == ["agent.toml:15: zerobus.endpoint: port 0 cannot be connected to; use 1 to 65535"])
        #expect(specErrors { $0.update("zerobus", "endpoint", "https://[:::1]:443") }
            == ["agent.toml:15: zerobus.endpoint: invalid host or port"])
        #expect(specErrors { $0.update("zerobus", "endpoint", "https://[fd00::1]:443") } == [])
        #expect(specErrors { $0.update("mqtt", "url", "mqtt://broker:0") }
            == ["agent.toml:6: mqtt.url: port 0 cannot be connected to; use 1 to 65535"])
        #expect(specErrors { $0.update("mqtt", "ca_file", "/etc/ca.pem") }
            == ["agent.toml:13: mqtt.ca_file: only used with an mqtts:// url"])
        #expect(specErrors { $0.update("zerobus", "endpoint", "grpc://x") }
            == ["agent.toml:15: zerobus.endpoint: unsupported scheme 'grpc', expected https:// or http://"])
        #expect(specErrors { $0.update("zerobus", "endpoint", nil) } == ["agent.toml:14: zerobus.endpoint: missing required key"])
        let listenHint = #"(write a numeric address and port such as "127.0.0.1:9464" or "[::1]:9464", or "" to disable)"#
        #expect(specErrors { $0.update("health", "http_listen", "9464") }
            == ["agent.toml:32: health.http_listen: expected host:port " + listenHint])
        // The health server binds numeric addresses only (inet_pton): check-config used to pass
        // these, and run then had no listener (a host name) or failed to start (a leading zero).
        #expect(specErrors { $0.update("health", "http_listen", "myhost.lan:9464") }
            == [#"agent.toml:32: health.http_listen: "myhost.lan" is not a numeric IPv4 address or localhost "# + listenHint])
        #expect(specErrors { $0.update("health", "http_listen", "01.1.1.1:9464") }
            == [#"agent.toml:32: health.http_listen: "01.1.1.1" is not a numeric IPv4 address or localhost "# + listenHint])
        #expect(specErrors { $0.update("health", "http_listen", "[fe80::1::2]:9464") }
            == [#"agent.toml:32: health.http_listen: "fe80::1::2" is not an IPv6 address "# + listenHint])
        #expect(specErrors { $0.update("health", "mqtt_topic", "status/#") }
            == [#"agent.toml:30: health.mqtt_topic: "status/#" is not a valid topic name (no '+' or '#')"#])
    }

    /// libmosquitto refuses these client ids, so `run` failed at start-up after check-config said OK.
    @Test func mqttClientIDMustBeUsableByMosquitto() {
        #expect(specErrors { $0.update("mqtt", "client_id", .string(String(repeating: "c", count: 70_000))) }
            == ["agent.toml:7: mqtt.client_id: is 70000 bytes long; MQTT allows at most 65535"])
        #expect(specErrors { $0.update("mqtt", "client_id", .string(String(repeating: "c", count: 65_535))) } == [])
        #expect(specErrors { $0.update("mqtt", "client_id", "gw\u{1}1") }
            == ["agent.toml:7: mqtt.client_id: must not contain control characters"])
        #expect(specErrors { $0.update("mqtt", "username", "op\u{85}") }
            == ["agent.toml:11: mqtt.username: must not contain control characters"])
    }

    /// Health rows and data rows have different schemas: one table cannot take both.
    @Test func healthTableMustNotBeADataTable() {
        #expect(specErrors { $0.update("health", "table", "main.iot.readings") }
            == ["agent.toml:33: health.table: main.iot.readings is also a data table (table[0]); health rows need a table of their own"])
        #expect(specErrors { $0.update("health", "table", "main.iot.health") } == [])
    }

    @Test func missingSectionHasNoLine() {
        var fixture = TOMLFixture()
        fixture.tableArrayElement("table")
        fixture.set("name", "a.b.c")
        fixture.set("topics", ["t"])
        fixture.set("columns", [column("v", "string", "payload")])
        #expect(errorLines(fixture) == [
            "agent.toml: zerobus.endpoint: missing required key",
            "agent.toml: zerobus.token: no credentials: set client_id + client_secret (OAuth) or token",
        ])
        #expect(errorLines(TOMLFixture()) == [
            "agent.toml: zerobus.endpoint: missing required key",
            "agent.toml: zerobus.token: no credentials: set client_id + client_secret (OAuth) or token",
            "agent.toml: table: no [[table]] defined; at least one table is needed",
        ])
    }

    @Test func authentication() {
        #expect(specErrors { $0.rename("zerobus", "ca_file", to: "token"); $0.update("zerobus", "token", "abc") }
            == ["agent.toml:19: zerobus.token: set either token or client_id + client_secret, not both"])
        #expect(specErrors { $0.update("zerobus", "client_secret", "") }
            == ["agent.toml:18: zerobus.client_secret: required with client_id"])
        #expect(specErrors { $0.update("zerobus", "workspace_url", nil) }
            == ["agent.toml:14: zerobus.workspace_url: required with client_id + client_secret (the OAuth token endpoint host)"])
        #expect(specErrors { $0.update("zerobus", "client_id", ""); $0.update("zerobus", "client_secret", "") }
            == ["agent.toml:14: zerobus.token: no credentials: set client_id + client_secret (OAuth) or token"])
    }
}
