/// The answer of `GET /readyz`: ready only when MQTT is connected and the backlog is draining or
/// empty (SPEC §5), and never while `unconfigured`.
///
/// "Draining" compares the report with the one of the previous health interval:
/// - the backlog is **empty** (`buffer.rows == 0`), or
/// - it **shrank** (`buffer.rows` lower than in the previous report), or
/// - Zerobus is connected and **acks progress** (the sum of the tables' `acked_total` grew).
///
/// Without a previous report (the first interval) a non-empty backlog counts as draining
/// while Zerobus is connected; the next report confirms or refutes it.
public struct HealthReadiness: Sendable, Hashable {
    public var isReady: Bool
    /// Why the agent is not ready (`"MQTT disconnected"`); nil when ready.
    public var reason: String?

    public init(isReady: Bool, reason: String?) {
        self.isReady = isReady
        self.reason = reason
    }

    public static let ready = HealthReadiness(isReady: true, reason: nil)

    public static func notReady(_ reason: String) -> HealthReadiness {
        HealthReadiness(isReady: false, reason: reason)
    }

    /// An `unconfigured` report is never ready: it sends nothing (its reason is in `last_error`).
    public static func evaluate(_ report: HealthReport, previous: HealthReport?) -> HealthReadiness {
        if report.state == .unconfigured { return .notReady(report.zerobus.lastError ?? "unconfigured") }
        guard report.mqtt.connected else { return .notReady("MQTT disconnected") }
        let rows = report.buffer.rows
        if rows == 0 { return .ready }
        guard let previous else {
            return report.zerobus.connected
                ? .ready
                : .notReady("\(rows) rows buffered and Zerobus disconnected")
        }
        if rows < previous.buffer.rows { return .ready }
        if report.zerobus.connected, acksProgressed(report, since: previous) { return .ready }
        if !report.zerobus.connected {
            return .notReady(
                "\(rows) rows buffered and Zerobus disconnected for \(report.zerobus.offlineForSeconds) s")
        }
        return .notReady("\(rows) rows buffered and no acks since the last report")
    }

    /// Whether any rows were acked between the two reports.
    static func acksProgressed(_ report: HealthReport, since previous: HealthReport) -> Bool {
        report.ackedTotal > previous.ackedTotal
    }
}

/// What the health endpoints serve at one moment: the current document and the readiness
/// verdict computed alongside it.
public struct HealthSnapshot: Sendable, Hashable {
    public var report: HealthReport
    public var readiness: HealthReadiness

    public init(report: HealthReport, readiness: HealthReadiness) {
        self.report = report
        self.readiness = readiness
    }
}
