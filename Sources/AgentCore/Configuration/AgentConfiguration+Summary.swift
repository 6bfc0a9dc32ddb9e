extension AgentConfiguration {
    /// A human-readable rendering of the resolved configuration for `zerobus-edge check-config`:
    /// every section with defaults applied, the topic → table routes, and each table's columns.
    /// Secrets (MQTT password, OAuth client secret, token) are shown as `***`.
    public func summary() -> String {
        var lines: [String] = []
        let masked: (String?) -> String = { $0 == nil ? "(none)" : "***" }
        let shown: (String?) -> String = { $0 ?? "(none)" }

        lines.append("agent    gateway_id=\(agent.gatewayID) data_dir=\(agent.dataDirectory) log_level=\(agent.logLevel.rawValue)")
        lines.append("mqtt     \(mqtt.broker.url) protocol=\(mqtt.protocolVersion.rawValue) client_id=\(mqtt.clientID) qos=\(mqtt.qos) clean_session=\(mqtt.cleanSession) "
            + "keepalive=\(mqtt.keepAliveSeconds)s username=\(shown(mqtt.username)) password=\(masked(mqtt.password))")
        if mqtt.broker.useTLS {
            lines.append("         ca_file=\(mqtt.caFile ?? "(system store)") cert_file=\(shown(mqtt.certFile)) key_file=\(shown(mqtt.keyFile))")
        }
        let auth: String
        switch zerobus.auth {
        case .oauth(let clientID, _, let workspaceURL):
            auth = "auth=oauth client_id=\(clientID) client_secret=*** workspace_url=\(workspaceURL.url)"
        case .token:
            auth = "auth=token token=***"
        case .notLoaded:
            auth = "auth=(not loaded)"
        }
        lines.append("zerobus  \(zerobus.endpoint.url) \(auth)")
        var proxy = zerobus.proxy?.url ?? "(none)"
        if !zerobus.noProxy.isEmpty { proxy += " no_proxy=" + zerobus.noProxy.joined(separator: ",") }
        lines.append("         ca_file=\(zerobus.caFile ?? "(system store)") proxy=\(proxy)")
        lines.append("buffer   max_bytes=\(ConfigValueParsing.formatBytes(buffer.maxBytes)) "
            + "max_age=\(ConfigValueParsing.formatDuration(buffer.maxAge)) on_full=\(buffer.onFull.rawValue) sync=\(buffer.sync.rawValue)")
        lines.append("         quarantine_max_bytes=\(ConfigValueParsing.formatBytes(buffer.quarantineMaxBytes)) "
            + "quarantine_max_entries=\(buffer.quarantineMaxEntries)")
        lines.append("retry    initial_backoff=\(ConfigValueParsing.formatDuration(retry.initialBackoff)) "
            + "max_backoff=\(ConfigValueParsing.formatDuration(retry.maxBackoff))")
        lines.append("health   interval=\(ConfigValueParsing.formatDuration(health.interval)) mqtt_topic=\(shown(health.mqttTopic)) "
            + "file=\(shown(health.file)) http_listen=\(shown(health.httpListen?.description)) table=\(shown(health.table?.description))")

        lines.append("")
        lines.append("routes")
        let routes = tables.flatMap { table in table.topics.map { ($0.text, table.name.description) } }
        let filterWidth = routes.map(\.0.count).max() ?? 0
        for (filter, table) in routes {
            lines.append("  \(filter.padded(to: filterWidth))  ->  \(table)")
        }

        for table in tables {
            lines.append("")
            lines.append("table \(table.name)  format=\(table.format.rawValue) streams=\(table.streams) "
                + "batch_max_records=\(table.batchMaxRecords) batch_max_bytes=\(ConfigValueParsing.formatBytes(Int64(table.batchMaxBytes))) "
                + "linger=\(ConfigValueParsing.formatDuration(table.linger)) drain=\(table.drain.rawValue)"
                + (table.backfillMaxRowsPerSecond > 0 ? " backfill_max_rows_per_s=\(table.backfillMaxRowsPerSecond)" : ""))
            if let shape = table.payloadShapeSummary { lines.append("  " + shape) }
            switch table.schema {
            case .descriptor(let path, let message):
                lines.append("  descriptor=\(path) message=\(message) (fields filled from JSON keys of the same name)")
            case .columns(let mappings):
                let nameWidth = mappings.map(\.column.name.count).max() ?? 0
                let typeWidth = mappings.map { $0.column.type.description.count }.max() ?? 0
                for mapping in mappings {
                    var line = "  \(mapping.column.name.padded(to: nameWidth))  "
                        + "\(mapping.column.type.description.padded(to: typeWidth))  <- \(mapping.source)"
                    if let fallback = mapping.defaultSource { line += "  (default \(fallback))" }
                    if mapping.optional { line += "  (optional)" }
                    lines.append(line)
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension TableConfiguration {
    /// How a message becomes rows and travels, when that is not one JSON/value row as protobuf.
    var payloadShapeSummary: String? {
        var parts: [String] = []
        if let explode = payloadOptions.explode { parts.append("explode=\(explode) (one row per element; @ reads the element)") }
        switch format {
        case .csv:
            let csv = payloadOptions.csv
            var text = "csv delimiter=\"\(Character(UnicodeScalar(csv.delimiter)))\" header=\(csv.header)"
            if !csv.columns.isEmpty { text += " columns=\(csv.columns.joined(separator: ","))" }
            parts.append(text + " (one row per line)")
        case .influx:
            parts.append("influx precision=\(payloadOptions.influxPrecision.rawValue) (one row per line)")
        case .sparkplugB:
            parts.append("sparkplug_b death=\(payloadOptions.sparkplug.death.rawValue) "
                + "commands=\(payloadOptions.sparkplug.commands.rawValue) (one row per metric)")
        default: break
        }
        if recordType != .proto { parts.append("record_type=\(recordType.rawValue)") }
        return parts.isEmpty ? nil : parts.joined(separator: "  ")
    }
}

extension String {
    fileprivate func padded(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
