extension HealthReport {
    /// Multi-line text for `zerobus-edge status` (without `--json`), for example:
    /// ```
    /// zerobus-edge 0.1.0 on gw-berlin-01
    /// State:       degraded since 2026-05-28T20:26:40Z
    /// MQTT:        connected, 123 messages received
    /// Zerobus:     disconnected, offline for 5m 12s, 4 reconnects, last ack 2026-05-28T20:21:28Z
    ///              last error: UNAVAILABLE: connection refused
    /// Backlog:     40312 rows, 7.7 MiB of 512.0 MiB (1.5 % full), oldest 5m 11s
    /// Dropped:     0 rows
    /// Quarantined: 2 rows
    /// Config:      reload refused, still running with the previous configuration (since …Z)
    ///              /etc/zerobus-edge/agent.toml:12: mqtt.qos: must be 1 or 2, got 0
    /// Tables:
    ///   main.iot.readings  40000 rows  998877 acked  1500.0 rows/s  0 dropped  2 quarantined
    ///                      draining backlog: 30000 of 52000 rows left (42.3 % done, done in ~17s)
    /// ```
    /// Ends with a newline.
    public func humanSummary() -> String {
        var lines = ["zerobus-edge \(version) on \(gatewayID)"]
        lines.append("State:       \(state.rawValue) since \(ISO8601UTC.format(epochSeconds: since))")
        lines.append("MQTT:        \(mqtt.connected ? "connected" : "disconnected"), "
            + "\(mqtt.messagesTotal) messages received")

        var link = [zerobus.connected ? "connected" : "disconnected"]
        if !zerobus.connected {
            link.append("offline for \(HealthFormatting.duration(seconds: zerobus.offlineForSeconds))")
        }
        link.append("\(zerobus.reconnectsTotal) reconnects")
        link.append("last ack " + (zerobus.lastAckAt.map { ISO8601UTC.format(epochSeconds: $0) } ?? "never"))
        lines.append("Zerobus:     " + link.joined(separator: ", "))
        if let lastError = zerobus.lastError {
            lines.append("             last error: \(HealthFormatting.singleLine(lastError))")
        }

        var backlog = "Backlog:     \(buffer.rows) rows, \(HealthFormatting.bytes(buffer.bytes)) of "
            + "\(HealthFormatting.bytes(buffer.maxBytes)) (\(HealthFormatting.oneDecimal(buffer.fillRatio * 100)) % full)"
        if buffer.rows > 0 {
            backlog += ", oldest \(HealthFormatting.duration(seconds: buffer.oldestAgeSeconds))"
        }
        lines.append(backlog)
        lines.append("Dropped:     \(buffer.droppedTotal) rows" + Self.reasons(buffer.ledger.drops))
        lines.append("Quarantined: \(buffer.quarantinedTotal) rows" + Self.reasons(buffer.ledger.quarantines))
        lines.append("Resent:      \(buffer.ledger.resent) rows (sent again after a reconnect or restart)")
        if let recovery = buffer.startRecovery { lines.append("At start:    \(recovery)") }
        for (index, outage) in outages.reversed().enumerated() {
            lines.append((index == 0 ? "Outages:     " : "             ")
                + "\(ISO8601UTC.format(epochSeconds: outage.start)) for \(HealthFormatting.duration(seconds: outage.durationSeconds))"
                + (outage.end == nil ? " (ongoing)" : "")
                + ": \(outage.rowsBuffered) rows buffered, \(outage.rowsDropped) dropped")
        }
        if let clockSummary { lines.append(clockSummary) }
        if let configError {
            lines.append("Config:      \(HealthFormatting.singleLine(configError.message)) "
                + "(since \(ISO8601UTC.format(epochSeconds: configError.since)))")
            for error in configError.errors { lines.append("             \(HealthFormatting.singleLine(error))") }
        }

        if tables.isEmpty {
            lines.append("Tables:      none")
        } else {
            lines.append("Tables:")
            let nameWidth = tables.map(\.name.count).max() ?? 0
            for table in tables {
                let padding = String(repeating: " ", count: nameWidth - table.name.count)
                lines.append("  \(table.name)\(padding)  \(table.rows) rows  \(table.ackedTotal) acked  "
                    + "\(HealthFormatting.oneDecimal(table.ratePerSecond)) rows/s  "
                    + "\(table.droppedTotal) dropped  \(table.quarantinedTotal) quarantined")
                if let backlog = table.backlog {
                    let eta = backlog.etaSeconds.map { ", done in ~" + HealthFormatting.duration(seconds: $0) } ?? ""
                    lines.append("  \(String(repeating: " ", count: nameWidth))  draining backlog: "
                        + "\(backlog.rows) of \(backlog.initialRows) rows left "
                        + "(\(HealthFormatting.oneDecimal(backlog.progress * 100)) % done\(eta))")
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// ` (full 3, aged_out 12)`: the non-zero reasons, or nothing.
    private static func reasons(_ counts: [(String, Int)]) -> String {
        let shown = counts.filter { $0.1 > 0 }.map { "\($0.0) \($0.1)" }
        return shown.isEmpty ? "" : " (" + shown.joined(separator: ", ") + ")"
    }
}

/// Number and duration formatting for people, without Foundation.
enum HealthFormatting {
    /// `42s`, `5m 12s`, `2h 03m`, `3d 04h`.
    static func duration(seconds: Int) -> String {
        let seconds = max(0, seconds)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        switch seconds {
        case ..<60: return "\(seconds)s"
        case ..<3600: return "\(seconds / 60)m \(two(seconds % 60))s"
        case ..<86_400: return "\(seconds / 3600)h \(two(seconds / 60 % 60))m"
        default: return "\(seconds / 86_400)d \(two(seconds / 3600 % 24))h"
        }
    }

    /// `512 B`, `7.7 KiB`, `512.0 MiB`, `1.5 GiB` (binary units, one decimal).
    static func bytes(_ count: Int) -> String {
        let units = ["KiB", "MiB", "GiB", "TiB"]
        guard count >= 1024 else { return "\(count) B" }
        var value = Double(count) / 1024
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return "\(oneDecimal(value)) \(units[unit])"
    }

    /// One digit after the point, rounded half away from zero: `1.5`, `1500.0`, `0.0`.
    static func oneDecimal(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
        guard abs(value) < 1e15 else { return value.description }
        let tenths = Int64((value * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        return "\(sign)\(tenths.magnitude / 10).\(tenths.magnitude % 10)"
    }

    /// Error texts can span lines; the summary keeps them on one.
    static func singleLine(_ text: String) -> String {
        String(text.unicodeScalars.map { $0 == "\n" || $0 == "\r" ? " " : Character($0) })
    }
}
