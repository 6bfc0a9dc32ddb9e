/// Decides the agent's `HealthState` from one report and the report of the previous health
/// interval. The `state` field of the input is ignored; the verdict is meant to be written
/// into it.
///
/// The rule, in order:
/// 0. **unconfigured** when the configuration still holds the shipped placeholders
///    (`unconfiguredReason`): nothing is sent at all, whatever the links do.
/// 1. **offline** when Zerobus is not connected and either it has been unreachable for at
///    least `offlineAfterSeconds` (`zerobus.offline_for_s`), or MQTT is down as well.
///    Readings are not reaching the cloud (and maybe not even the agent).
/// 2. **degraded** when any of these holds:
///    - MQTT is not connected (no new readings are taken; the backlog may still drain);
///    - Zerobus is not connected, for less than `offlineAfterSeconds` (a reconnect in progress);
///    - `buffer.fill_ratio` is above `degradedFillRatio` (drops or a pause are near);
///    - `buffer.dropped_total` grew since the previous report (readings are being lost);
///    - `zerobus.reconnects_total` grew since the previous report (link errors are recent);
///    - Zerobus is connected, rows were buffered in both reports, and no table's
///      `acked_total` advanced (the backlog is stuck although the link looks up);
///    - `config_error` is set (a reload was refused: the agent runs an older configuration
///      than the file on disk).
/// 3. **online** otherwise: both connections up, the backlog small and draining, nothing lost.
///
/// Without a previous report (the first interval) the rules that compare counters do not
/// apply. Quarantined rows do not change the state: poison data is a property of the data,
/// not of the agent, and is visible through the `quarantined_total` counters.
public struct HealthStateRule: Sendable, Hashable {
    /// How long Zerobus may be unreachable before the agent reports `offline` (default 60 s,
    /// longer than a normal reconnect with backoff, so stream rotations stay `degraded`).
    public var offlineAfterSeconds: Int
    /// Fill ratio above which the agent reports `degraded` (default 0.8).
    public var degradedFillRatio: Double

    public init(offlineAfterSeconds: Int = 60, degradedFillRatio: Double = 0.8) {
        self.offlineAfterSeconds = offlineAfterSeconds
        self.degradedFillRatio = degradedFillRatio
    }

    /// The state and the reasons for it, in words suitable for a log line; `reasons` is empty
    /// for `online`.
    public struct Verdict: Sendable, Hashable {
        public var state: HealthState
        public var reasons: [String]

        public init(state: HealthState, reasons: [String]) {
            self.state = state
            self.reasons = reasons
        }
    }

    /// - Parameter unconfiguredReason: `AgentConfiguration.unconfiguredReason`.
    public func evaluate(_ report: HealthReport, previous: HealthReport?, unconfiguredReason: String? = nil) -> Verdict {
        if let unconfiguredReason { return Verdict(state: .unconfigured, reasons: [unconfiguredReason]) }
        let zerobus = report.zerobus
        if !zerobus.connected {
            if zerobus.offlineForSeconds >= offlineAfterSeconds {
                return Verdict(state: .offline, reasons: ["Zerobus unreachable for \(zerobus.offlineForSeconds) s"])
            }
            if !report.mqtt.connected {
                return Verdict(state: .offline, reasons: ["MQTT and Zerobus disconnected"])
            }
        }

        var reasons: [String] = []
        if !report.mqtt.connected {
            reasons.append("MQTT disconnected")
        }
        if !zerobus.connected {
            reasons.append("Zerobus disconnected for \(zerobus.offlineForSeconds) s")
        }
        if report.configError != nil {
            reasons.append("configuration reload refused")
        }
        if report.buffer.fillRatio > degradedFillRatio {
            reasons.append("buffer \(HealthFormatting.oneDecimal(report.buffer.fillRatio * 100)) % full")
        }
        if let previous {
            let dropped = report.buffer.droppedTotal - previous.buffer.droppedTotal
            if dropped > 0 {
                reasons.append("\(dropped) rows dropped since the last report")
            }
            let reconnects = zerobus.reconnectsTotal - previous.zerobus.reconnectsTotal
            if reconnects > 0 {
                reasons.append("\(reconnects) Zerobus reconnects since the last report")
            }
            if zerobus.connected, report.buffer.rows > 0, previous.buffer.rows > 0,
               !HealthReadiness.acksProgressed(report, since: previous)
            {
                reasons.append("no acks since the last report with \(report.buffer.rows) rows buffered")
            }
        }
        return Verdict(state: reasons.isEmpty ? .online : .degraded, reasons: reasons)
    }
}
