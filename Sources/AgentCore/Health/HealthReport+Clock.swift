extension HealthReport {
    /// `"clock"` (additive to SPEC §5, after `outages`): whether the wall clock that stamps
    /// `received_at` can be believed (see `ClockJudge` and README "Clocks").
    /// ```json
    /// "clock":{"state":"stepped","reason":null,"since":"2026-12-03T19:40:00Z","last_step_s":1796325600.0,
    ///          "rows_unsynced_total":42,"rows_rebased_total":42,"rows_not_rebased_total":0,"uploads_held":false}
    /// ```
    public struct ClockStatus: Sendable, Hashable {
        /// `state`: `synced`, `unsynced` or `stepped` (`ClockJudge.State`).
        public var state: String
        /// `reason`: why `unsynced` (`before_build_date`, `behind_newest_stamp`); else null.
        public var reason: String?
        /// `since`: when `state` last changed, Unix seconds, in the current clock's terms.
        public var since: Int64
        /// `last_step_s`: the last step seen in this run (negative: backwards); null for none.
        public var lastStepSeconds: Double?
        /// `rows_unsynced_total`: rows stamped while the clock was untrusted (this run).
        public var rowsUnsynced: Int
        /// `rows_rebased_total`: of those, rows whose `received_at` was re-based.
        public var rowsRebased: Int
        /// `rows_not_rebased_total`: of those, rows that keep their untrusted time.
        public var rowsNotRebased: Int
        /// `uploads_held`: uploads wait for the clock (and the re-base) right now.
        public var uploadsHeld: Bool

        public init(
            state: String, reason: String?, since: Int64, lastStepSeconds: Double?, rowsUnsynced: Int,
            rowsRebased: Int, rowsNotRebased: Int, uploadsHeld: Bool
        ) {
            self.state = state
            self.reason = reason
            self.since = since
            self.lastStepSeconds = lastStepSeconds
            self.rowsUnsynced = rowsUnsynced
            self.rowsRebased = rowsRebased
            self.rowsNotRebased = rowsNotRebased
            self.uploadsHeld = uploadsHeld
        }
    }

    func writeClock(to json: inout HealthJSONWriter) {
        guard let clock else { return }
        json.key("clock"); json.beginObject()
        json.key("state"); json.string(clock.state)
        json.key("reason"); json.string(clock.reason)
        json.key("since"); json.string(ISO8601UTC.format(epochSeconds: clock.since))
        json.key("last_step_s")
        if let step = clock.lastStepSeconds { json.double(step) } else { json.null() }
        json.key("rows_unsynced_total"); json.int(clock.rowsUnsynced)
        json.key("rows_rebased_total"); json.int(clock.rowsRebased)
        json.key("rows_not_rebased_total"); json.int(clock.rowsNotRebased)
        json.key("uploads_held"); json.bool(clock.uploadsHeld)
        json.endObject()
    }

    func writeClockMetrics(to text: inout PrometheusTextWriter) {
        guard let clock else { return }
        text.family("clock_state", .gauge, "1 for the wall clock's current state (synced, unsynced, stepped).",
                    ["synced", "unsynced", "stepped"].map { ([("state", $0)], $0 == clock.state ? 1 : 0) })
        text.counter("clock_rows_unsynced_total", "Rows stamped while the wall clock was untrusted.", clock.rowsUnsynced)
        text.counter("clock_rows_rebased_total", "Untrusted rows whose received_at was re-based.", clock.rowsRebased)
        text.counter("clock_rows_not_rebased_total", "Untrusted rows that keep their untrusted time.", clock.rowsNotRebased)
        text.gauge("clock_uploads_held", "1 while uploads wait for the wall clock.", clock.uploadsHeld ? 1 : 0)
    }

    /// The `Clock:` line of `zerobus-edge status`.
    var clockSummary: String? {
        guard let clock else { return nil }
        var line = "Clock:       \(clock.state)"
        if let reason = clock.reason { line += " (\(reason))" }
        line += " since \(ISO8601UTC.format(epochSeconds: clock.since))"
        if let step = clock.lastStepSeconds { line += ", last step \(HealthFormatting.oneDecimal(step)) s" }
        if clock.rowsUnsynced > 0 {
            line += ", \(clock.rowsUnsynced) rows unsynced, \(clock.rowsRebased) re-based, \(clock.rowsNotRebased) not"
        }
        if clock.uploadsHeld { line += "; uploads held" }
        return line
    }
}
