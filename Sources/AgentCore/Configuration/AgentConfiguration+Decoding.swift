import TOML
extension AgentConfiguration {
    public static let defaultPath = "/etc/zerobus-edge/agent.toml"

    /// Decodes and validates a parsed agent.toml. Every problem is collected; if there is any, all of
    /// them are thrown together, in file order.
    ///
    /// - Parameters:
    ///   - environment: variables for `${VAR}` interpolation and `https_proxy`/`no_proxy`.
    ///   - hostName: the default `agent.gateway_id`.
    ///   - file: how errors name the file.
    ///   - requireTables: false for commands that only need the connection settings
    ///     (`schema pull`), so a config without `[[table]]` is accepted.
    ///   - readCredentials: false for commands that need no secrets (`status`, `quarantine`):
    ///     `mqtt.username`/`password` and `zerobus.client_id`/`client_secret`/`token` are then not
    ///     interpolated or checked, so they work in a shell without those variables; the
    ///     result's auth is `.notLoaded`.
    public init(
        toml root: TOMLTable,
        environment: [String: String],
        hostName: String,
        file: String = "agent.toml",
        requireTables: Bool = true,
        readCredentials: Bool = true
    ) throws(ConfigErrors) {
        let diagnostics = ConfigDiagnostics(file: file, environment: environment, readsCredentials: readCredentials)
        let reader = TableReader(table: root, path: "", position: nil, diagnostics: diagnostics)
        let agent = Self.decodeAgent(reader.section("agent"), hostName: hostName)
        let mqtt = Self.decodeMQTT(reader.section("mqtt"), gatewayID: agent.gatewayID)
        let zerobus = Self.decodeZerobus(reader.section("zerobus"))
        let buffer = Self.decodeBuffer(reader.section("buffer"))
        let retry = Self.decodeRetry(reader.section("retry"))
        let health = Self.decodeHealth(reader.section("health"), gatewayID: agent.gatewayID)
        let tables = TableConfiguration.decodeAll(reader, required: requireTables)
        Self.checkProtocolFeatures(root, protocolVersion: mqtt.protocolVersion, diagnostics: diagnostics)
        if let healthTable = health.table, let index = tables.firstIndex(where: { $0.name == healthTable }) {
            // The ring and the server know rows by table name: health rows and data rows, with
            // different schemas, would be mixed in one table and one of the two rejected.
            diagnostics.report("health.table", at: root["health"]?.value.tableValue?["table"]?.position,
                               "\(healthTable) is also a data table (table[\(index)]); health rows need a table of their own")
        }
        reader.finish()
        if !diagnostics.errors.isEmpty { throw ConfigErrors(diagnostics.sortedErrors) }
        self.init(
            agent: agent, mqtt: mqtt, zerobus: zerobus, buffer: buffer, retry: retry, health: health, tables: tables,
            placeholders: diagnostics.warnings)
    }

    private static func decodeAgent(_ reader: TableReader, hostName: String) -> Agent {
        let gatewayID: String
        switch reader.string("gateway_id") {
        case .value(let text):
            gatewayID = text
            if !isUsableGatewayID(text) {
                reader.report("gateway_id", "\"\(text)\" is not usable: use letters, digits, '.', '_' and '-' only")
            }
        case .absent:
            gatewayID = hostName
            if !isUsableGatewayID(hostName) {
                reader.report("gateway_id", "the host name \"\(hostName)\" is not usable as gateway_id; set gateway_id")
            }
        case .invalid:
            gatewayID = hostName
        }
        let dataDirectory = reader.string("data_dir", default: "/var/lib/zerobus-edge")
        if dataDirectory.isEmpty { reader.report("data_dir", "must not be empty") }
        let logLevel = reader.choice("log_level", default: LogLevel.info)
        let clockHold = reader.integer("clock_hold_s", default: 600, range: 0...86_400)
        reader.finish()
        return Agent(gatewayID: gatewayID, dataDirectory: dataDirectory, logLevel: logLevel, clockHoldSeconds: Int(clockHold))
    }

    static func isUsableGatewayID(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 128 && text.utf8.allSatisfy { byte in
            isASCIILetter(byte) || isASCIIDigit(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: ".")
        }
    }

    private static func decodeMQTT(_ reader: TableReader, gatewayID: String) -> MQTT {
        let defaultBroker = ServiceAddress(url: "mqtt://127.0.0.1:1883", useTLS: false, host: "127.0.0.1", port: 1883)
        var broker = defaultBroker
        switch reader.address("url", required: false, schemes: [("mqtt", false, 1883), ("mqtts", true, 8883)]) {
        case .value(let address): broker = address
        case .absent:
            if reader.table["url"] != nil { reader.report("url", "must not be empty") }
        case .invalid: break
        }
        let protocolVersion = reader.choice("protocol", default: MQTTProtocol.v311)
        let clientID = reader.string("client_id", default: "zerobus-edge-\(gatewayID)")
        if clientID.isEmpty { reader.report("client_id", "must not be empty (a persistent session needs a fixed client id)") }
        if let problem = mqttStringProblem(clientID) { reader.report("client_id", problem) }
        let cleanSession = reader.bool("clean_session", default: false)
        let qos = reader.integer(
            "qos", default: 1, range: 1...2,
            rangeHint: "must be 1 or 2 (QoS 0 messages are not kept by the broker while the agent is offline)"
        )
        let keepAlive = reader.integer("keepalive_s", default: 30, range: 5...65_535)
        var (username, password): (String?, String?) = (nil, nil)
        if reader.diagnostics.readsCredentials {
            (username, password) = (reader.optionalString("username"), reader.optionalString("password"))
        } else {
            reader.skipCredential("username")
            reader.skipCredential("password")
        }
        if let username, let problem = mqttStringProblem(username) { reader.report("username", problem) }
        if let password, password.utf8.count > 65_535 {
            reader.report("password", "is \(password.utf8.count) bytes long; MQTT allows at most 65535")
        }
        if password != nil && username == nil {
            reader.report("password", "set mqtt.username as well" + reader.unsetVariablesNote("username"))
        }
        let caFile = reader.optionalString("ca_file")
        let certFile = reader.optionalString("cert_file")
        let keyFile = reader.optionalString("key_file")
        if (certFile == nil) != (keyFile == nil) {
            reader.report(certFile == nil ? "key_file" : "cert_file", "cert_file and key_file go together (mutual TLS)")
        }
        if !broker.useTLS {
            for (key, value) in [("ca_file", caFile), ("cert_file", certFile), ("key_file", keyFile)] where value != nil {
                reader.report(key, "only used with an mqtts:// url")
            }
        }
        reader.finish()
        return MQTT(
            broker: broker, protocolVersion: protocolVersion, clientID: clientID, cleanSession: cleanSession, qos: Int(qos),
            keepAliveSeconds: Int(keepAlive), username: username, password: password,
            caFile: caFile, certFile: certFile, keyFile: keyFile
        )
    }

    /// Why libmosquitto would refuse `text` as an MQTT string (it then fails at start-up, not
    /// here): MQTT strings carry a 16-bit length, and mosquitto rejects control characters.
    static func mqttStringProblem(_ text: String) -> String? {
        if text.utf8.count > 65_535 { return "is \(text.utf8.count) bytes long; MQTT allows at most 65535" }
        if text.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) {
            return "must not contain control characters"
        }
        return nil
    }

    private static func decodeZerobus(_ reader: TableReader) -> Zerobus {
        let httpSchemes: [(scheme: String, useTLS: Bool, defaultPort: Int)] = [("https", true, 443), ("http", false, 80)]
        var endpoint = ServiceAddress(url: "", useTLS: true, host: "", port: 443)
        if case .value(let address) = reader.address("endpoint", required: true, schemes: httpSchemes) { endpoint = address }
        let workspaceURL = reader.address("workspace_url", required: false, unsetMeansEmpty: true, schemes: httpSchemes)
        var workspaceAddress: ServiceAddress?
        if case .value(let address) = workspaceURL { workspaceAddress = address }
        let auth = decodeAuthentication(reader, workspaceURL: workspaceURL)
        var workspaceForPlaceholders: String?
        if case .oauth = auth { workspaceForPlaceholders = workspaceAddress?.url }
        ShippedPlaceholders.check(
            reader, endpoint: endpoint.url, workspaceURL: workspaceForPlaceholders,
            credentials: credentialValues(auth))
        let caFile = reader.optionalString("ca_file")
        let proxy = reader.proxy()
        reader.finish()
        return Zerobus(
            endpoint: endpoint,
            auth: auth, workspaceURL: workspaceAddress, caFile: caFile, proxy: proxy.address, noProxy: proxy.noProxy
        )
    }

    /// `client_id` + `client_secret` (OAuth, needs `workspace_url`) or `token`; problems are
    /// reported and read as an empty token.
    private static func decodeAuthentication(
        _ reader: TableReader, workspaceURL: TableReader.Lookup<ServiceAddress>
    ) -> Authentication {
        guard reader.diagnostics.readsCredentials else {
            for key in ["client_id", "client_secret", "token"] { reader.skipCredential(key) }
            return .notLoaded
        }
        let credentials = (reader.nonEmptyString("client_id"), reader.nonEmptyString("client_secret"), reader.nonEmptyString("token"))
        var auth = Authentication.token("")
        switch credentials {
        case (.invalid, _, _), (_, .invalid, _), (_, _, .invalid):
            break  // already reported; any further verdict would be a guess
        case (.absent, .absent, .value(let token)):
            auth = .token(token)
        case (_, _, .value):
            reader.report("token", "set either token or client_id + client_secret, not both")
        case (.value(let clientID), .value(let clientSecret), .absent):
            switch workspaceURL {
            case .value(let address): auth = .oauth(clientID: clientID, clientSecret: clientSecret, workspaceURL: address)
            case .absent:
                reader.report("workspace_url", "required with client_id + client_secret (the OAuth token endpoint host)"
                    + reader.unsetVariablesNote("workspace_url"))
            case .invalid: break
            }
        case (.value, .absent, .absent):
            reader.report("client_secret", "required with client_id" + reader.unsetVariablesNote("client_secret"))
        case (.absent, .value, .absent):
            reader.report("client_id", "required with client_secret" + reader.unsetVariablesNote("client_id"))
        case (.absent, .absent, .absent):
            reader.report("token", "no credentials: set client_id + client_secret (OAuth) or token"
                + reader.unsetVariablesNote("client_id", "client_secret", "token"))
        }
        return auth
    }

    /// The credential values by key, for `ShippedPlaceholders.check`.
    private static func credentialValues(_ auth: Authentication) -> [(key: String, value: String?)] {
        switch auth {
        case .oauth(let clientID, let clientSecret, _): [("client_id", clientID), ("client_secret", clientSecret)]
        case .token(let token): [("token", token)]
        case .notLoaded: []
        }
    }

    private static func decodeBuffer(_ reader: TableReader) -> Buffer {
        var maxBytes = reader.byteSize("max_bytes", default: 512 << 20, range: 1...Int64.max)
        if maxBytes < Buffer.minimumMaxBytes {
            reader.report("max_bytes", "must be at least \(ConfigValueParsing.formatBytes(Buffer.minimumMaxBytes)), "
                + "got \(ConfigValueParsing.formatBytes(maxBytes)) (4 × the largest accepted payload, "
                + "\(ConfigValueParsing.formatBytes(Int64(RowMapper.defaultMaxPayloadBytes))))")
            maxBytes = Buffer.minimumMaxBytes
        }
        let maxAge = reader.duration("max_age", default: .seconds(7 * 86_400), minimum: .seconds(1))
        let onFull = reader.choice("on_full", default: OnFull.dropOldest)
        let sync = reader.choice("sync", default: SyncMode.normal)
        // The quarantine's own bound, reserved out of max_bytes: junk never evicts readings.
        let quarantineMaxBytes = reader.byteSize(
            "quarantine_max_bytes", default: max(maxBytes / 16, 16 << 10), range: (16 << 10)...max(maxBytes / 4, 16 << 10))
        let quarantineMaxEntries = Int(reader.integer("quarantine_max_entries", default: 10_000, range: 1...10_000_000))
        reader.finish()
        return Buffer(
            maxBytes: maxBytes, maxAge: maxAge, onFull: onFull, sync: sync,
            quarantineMaxBytes: quarantineMaxBytes, quarantineMaxEntries: quarantineMaxEntries)
    }

    private static func decodeRetry(_ reader: TableReader) -> Retry {
        let initial = reader.integer("initial_backoff_ms", default: 500, range: 1...3_600_000)
        var maximum = reader.integer("max_backoff_ms", default: 30_000, range: 1...86_400_000)
        if maximum < initial {
            reader.report("max_backoff_ms", "must be at least initial_backoff_ms (\(initial))")
            maximum = initial
        }
        reader.finish()
        return Retry(initialBackoff: .milliseconds(initial), maxBackoff: .milliseconds(maximum))
    }

    private static func decodeHealth(_ reader: TableReader, gatewayID: String) -> Health {
        let interval = reader.integer("interval_s", default: 10, range: 1...3600)
        var mqttTopic: String? = reader.string("mqtt_topic", default: "zerobus-edge/{gateway_id}/status")
        if mqttTopic == "" { mqttTopic = nil }
        mqttTopic = mqttTopic.map { $0.replacingPlaceholder("{gateway_id}", with: gatewayID) }
        if let topic = mqttTopic, !TopicLevels.isValidTopicName(topic) {
            reader.report("mqtt_topic", "\"\(topic)\" is not a valid topic name (no '+' or '#')")
        }
        let fileText = reader.string("file", default: "/run/zerobus-edge/health.json")
        let file = fileText.isEmpty ? nil : fileText
        var httpListen: HostPort?
        // Parsed the way the health server parses it: a host name passed here once and the agent
        // then ran without a health listener (the server accepts numeric addresses only).
        do {
            httpListen = try HealthListenAddress.parse(reader.string("http_listen", default: "127.0.0.1:9464"))
                .map { HostPort(host: $0.host, port: $0.port) }
        } catch {
            reader.report("http_listen", "\(error.reason) (write a numeric address and port such as "
                + "\"127.0.0.1:9464\" or \"[::1]:9464\", or \"\" to disable)")
        }
        var table: TableName?
        if let name = reader.optionalString("table") {
            table = TableName(parsing: name)
            if table == nil { reader.report("table", "\"\(name)\" is not a table name catalog.schema.table") }
        }
        reader.finish()
        return Health(interval: .seconds(interval), mqttTopic: mqttTopic, file: file, httpListen: httpListen, table: table)
    }
}

extension TableReader {
    /// A sub-table that may be absent: absent (or mistyped, reported) sections read as empty, so
    /// every key takes its default.
    func section(_ key: String) -> TableReader {
        table(key) ?? TableReader(table: TOMLTable(entries: []), path: keyPath(key), position: nil, diagnostics: diagnostics)
    }

    /// A URL key: `.absent` when the key is missing or "" (a missing required key is reported and
    /// `.invalid`), `.invalid` when malformed (reported).
    func address(
        _ key: String,
        required: Bool,
        unsetMeansEmpty: Bool = false,
        schemes: [(scheme: String, useTLS: Bool, defaultPort: Int)]
    ) -> Lookup<ServiceAddress> {
        let text: String
        switch string(key, unsetMeansEmpty: unsetMeansEmpty) {
        case .value(let value): text = value
        case .invalid: return .invalid
        case .absent:
            if required {
                report(key, "missing required key")
                return .invalid
            }
            return .absent
        }
        if text.isEmpty {
            if required {
                report(key, "must not be empty")
                return .invalid
            }
            return .absent
        }
        switch ConfigValueParsing.serviceAddress(text, schemes: schemes) {
        case .success(let address): return .value(address)
        case .failure(let problem):
            let accepted = schemes.map { "\($0.scheme)://" }.joined(separator: " or ")
            switch problem {
            case .missingScheme: report(key, "missing scheme: write \(accepted)host[:port]")
            case .unsupportedScheme(let scheme): report(key, "unsupported scheme '\(scheme)', expected \(accepted)")
            case .credentialsInURL: report(key, "credentials do not belong in the URL; use the username/password keys")
            case .hasPath: report(key, "expected \(accepted)host[:port] without a path")
            case .badHost: report(key, "invalid host or port")
            case .portZero: report(key, "port 0 cannot be connected to; use 1 to 65535")
            }
            return .invalid
        }
    }

    /// `zerobus.proxy`, falling back to `https_proxy`/`HTTPS_PROXY` and `no_proxy`/`NO_PROXY`.
    func proxy() -> (address: ServiceAddress?, noProxy: [String]) {
        let schemes: [(scheme: String, useTLS: Bool, defaultPort: Int)] = [("http", false, 80)]
        switch address("proxy", required: false, unsetMeansEmpty: true, schemes: schemes) {
        case .value(let explicit): return (explicit, [])
        case .invalid: return (nil, [])
        case .absent: break
        }
        let environment = diagnostics.environment
        guard let fromEnvironment = [environment["https_proxy"], environment["HTTPS_PROXY"]].compactMap({ $0 })
            .first(where: { !$0.isEmpty })
        else { return (nil, []) }
        let noProxy = (environment["no_proxy"] ?? environment["NO_PROXY"] ?? "")
            .split(separator: ",").map { String($0.trimmingASCIISpaces()).lowercased() }.filter { !$0.isEmpty }
        switch ConfigValueParsing.serviceAddress(fromEnvironment.hasSuffix("/") ? String(fromEnvironment.dropLast()) : fromEnvironment, schemes: schemes) {
        case .success(let address): return (address, noProxy)
        case .failure:
            report("proxy", "the https_proxy environment variable is not an http://host:port URL; set zerobus.proxy")
            return (nil, noProxy)
        }
    }
}

extension String {
    func replacingPlaceholder(_ placeholder: String, with value: String) -> String {
        split(separator: placeholder, omittingEmptySubsequences: false).joined(separator: value)
    }
}
