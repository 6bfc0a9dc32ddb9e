extension HealthReport {
    /// The report in Prometheus text exposition format 0.0.4 (`GET /metrics`).
    ///
    /// Every metric is prefixed `zerobus_edge_`; counters end in `_total`, everything else is a
    /// gauge. Booleans are gauges of 0/1, the state is one gauge per state label (exactly one of
    /// them 1), per-table figures carry a `table` label, and instants are Unix-seconds gauges
    /// named `…_timestamp_seconds` (the last-ack gauge is absent until the first ack).
    public func prometheusText() -> String {
        var text = PrometheusTextWriter()
        text.family("info", .gauge, "Agent identity; always 1.", [
            ([("gateway_id", gatewayID), ("version", version)], 1),
        ])
        text.family("state", .gauge, "1 for the agent's current state, 0 for the others.",
                    HealthState.allCases.map { ([("state", $0.rawValue)], state == $0 ? 1 : 0) })
        text.gauge("state_since_timestamp_seconds", "Unix time of the last state change.", since)

        text.gauge("mqtt_connected", "1 while the MQTT session is up.", mqtt.connected ? 1 : 0)
        text.counter("mqtt_messages_total", "Messages taken from the broker.", mqtt.messagesTotal)

        text.gauge("zerobus_connected", "1 while a Zerobus stream is open.", zerobus.connected ? 1 : 0)
        if let lastAckAt = zerobus.lastAckAt {
            text.gauge("zerobus_last_ack_timestamp_seconds", "Unix time of the last durability ack.", lastAckAt)
        }
        text.gauge("zerobus_offline_seconds", "Seconds since Zerobus was last connected; 0 while connected.",
                   zerobus.offlineForSeconds)
        text.counter("zerobus_reconnects_total", "Zerobus stream re-creations after a failure.",
                     zerobus.reconnectsTotal)

        text.gauge("config_error", "1 while the last configuration reload was refused (the previous one runs).",
                   configError == nil ? 0 : 1)

        text.gauge("buffer_rows", "Rows buffered on disk awaiting an ack.", buffer.rows)
        text.gauge("buffer_bytes", "Size of the on-disk ring, WAL included.", buffer.bytes)
        text.gauge("buffer_max_bytes", "Configured buffer.max_bytes.", buffer.maxBytes)
        text.family("buffer_fill_ratio", .gauge, "buffer_bytes / buffer_max_bytes.", [([], buffer.fillRatio)])
        text.gauge("buffer_oldest_age_seconds", "Age of the oldest buffered row.", buffer.oldestAgeSeconds)
        text.counter("buffer_dropped_total", "Rows dropped for space or age.", buffer.droppedTotal)
        text.counter("buffer_quarantined_total", "Rows moved to the quarantine.", buffer.quarantinedTotal)
        text.family("buffer_dropped_by_reason_total", .counter, "Rows dropped, by reason (full, aged_out, purged).",
                    buffer.ledger.drops.map { ([("reason", $0.0)], Double($0.1)) })
        text.family("buffer_quarantined_by_reason_total", .counter, "Rows quarantined, by reason (unmappable, rejected).",
                    buffer.ledger.quarantines.map { ([("reason", $0.0)], Double($0.1)) })
        text.counter("buffer_resent_total", "Rows sent again after a reconnect or restart (duplicates are among them).",
                     buffer.ledger.resent)
        text.gauge("buffer_lost_at_start", "Rows this start found lost to damaged or missing state files (upper bound).",
                   buffer.lostAtStart)
        text.gauge("buffer_damaged_files_at_start", "State files this start found damaged (moved aside or salvaged).",
                   buffer.damagedFilesAtStart)

        if let last = outages.last {
            text.gauge("last_outage_duration_seconds", "Duration of the newest outage (so far, while it lasts).",
                       last.durationSeconds)
            text.gauge("last_outage_ongoing", "1 while the newest outage lasts.", last.end == nil ? 1 : 0)
            text.gauge("last_outage_rows_buffered", "Rows buffered during the newest outage.", last.rowsBuffered)
            text.gauge("last_outage_rows_dropped", "Rows dropped during the newest outage.", last.rowsDropped)
        }

        writeClockMetrics(to: &text)

        func perTable(_ value: (TableStatus) -> Double) -> [([(String, String)], Double)] {
            tables.map { ([("table", $0.name)], value($0)) }
        }
        text.family("table_rows", .gauge, "Rows buffered per table.", perTable { Double($0.rows) })
        text.family("table_acked_total", .counter, "Rows acked by Zerobus per table.",
                    perTable { Double($0.ackedTotal) })
        text.family("table_rate_per_second", .gauge, "Acked rows per second over the last interval.",
                    perTable { $0.ratePerSecond })
        text.family("table_dropped_total", .counter, "Rows dropped per table.", perTable { Double($0.droppedTotal) })
        text.family("table_quarantined_total", .counter, "Rows quarantined per table.",
                    perTable { Double($0.quarantinedTotal) })
        text.family("table_dropped_by_reason_total", .counter, "Rows dropped per table, by reason.",
                    tables.flatMap { table in table.ledger.drops.map { ([("table", table.name), ("reason", $0.0)], Double($0.1)) } })
        text.family("table_quarantined_by_reason_total", .counter, "Rows quarantined per table, by reason.",
                    tables.flatMap { table in
                        table.ledger.quarantines.map { ([("table", table.name), ("reason", $0.0)], Double($0.1)) }
                    })
        text.family("table_resent_total", .counter, "Rows sent again per table after a reconnect or restart.",
                    perTable { Double($0.ledger.resent) })
        let draining = tables.compactMap { table in table.backlog.map { (table.name, $0) } }
        text.family("table_backlog_rows", .gauge, "Backlog rows still to deliver after an outage, per table (absent when none drains).",
                    draining.map { ([("table", $0.0)], Double($0.1.rows)) })
        text.family("table_backlog_initial_rows", .gauge, "Backlog rows when the drain began, per table.",
                    draining.map { ([("table", $0.0)], Double($0.1.initialRows)) })
        text.family("table_backlog_progress_ratio", .gauge, "Share of the backlog delivered, 0..1, per table.",
                    draining.map { ([("table", $0.0)], $0.1.progress) })
        text.family("table_backlog_eta_seconds", .gauge, "Seconds until the backlog is delivered at the measured rate.",
                    draining.compactMap { name, backlog in backlog.etaSeconds.map { ([("table", name)], Double($0)) } })
        return text.output
    }
}

/// Writes metric families: a `# HELP` and `# TYPE` line, then one sample line per label set.
struct PrometheusTextWriter {
    enum MetricType: String {
        case counter, gauge
    }

    static let prefix = "zerobus_edge_"

    private(set) var output = ""

    mutating func gauge<N: BinaryInteger>(_ name: String, _ help: String, _ value: N) {
        family(name, .gauge, help, [([], Double(value))])
    }

    mutating func counter<N: BinaryInteger>(_ name: String, _ help: String, _ value: N) {
        family(name, .counter, help, [([], Double(value))])
    }

    /// A family with no samples (e.g. per-table metrics with no tables) is omitted entirely.
    mutating func family(
        _ name: String, _ type: MetricType, _ help: String, _ samples: [([(String, String)], Double)]
    ) {
        guard !samples.isEmpty else { return }
        let fullName = Self.prefix + name
        output += "# HELP \(fullName) \(Self.escapeHelp(help))\n"
        output += "# TYPE \(fullName) \(type.rawValue)\n"
        for (labels, value) in samples {
            output += fullName
            if !labels.isEmpty {
                output += "{"
                output += labels.map { "\($0.0)=\"\(Self.escapeLabelValue($0.1))\"" }.joined(separator: ",")
                output += "}"
            }
            output += " " + Self.format(value) + "\n"
        }
    }

    /// Integral values print without a fraction (`40312`, not `40312.0`); the rest use Swift's
    /// shortest round-tripping form, which Prometheus parses (`0.015`, `1e-05`).
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 9.0e15 { return String(Int64(value)) }
        return value.description
    }

    /// Label values escape backslash, double quote and line feed (exposition format 0.0.4).
    static func escapeLabelValue(_ text: String) -> String {
        var escaped = ""
        // Scalars, not Characters: "\r\n" is one Character and would hide its line feed.
        for character in text.unicodeScalars {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    /// HELP text escapes backslash and line feed.
    static func escapeHelp(_ text: String) -> String {
        var escaped = ""
        // Scalars, not Characters: "\r\n" is one Character and would hide its line feed.
        for character in text.unicodeScalars {
            switch character {
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }
}
