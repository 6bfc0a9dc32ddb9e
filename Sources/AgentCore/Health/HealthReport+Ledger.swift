extension HealthReport {
    /// `"dropped"` and `"quarantined"` (additive to SPEC §5), in `buffer` and in each table:
    /// every row lost or set aside, by reason, kept in the ring across restarts. Nothing is
    /// dropped without a count here and a log line saying how many and why.
    /// ```json
    /// "dropped":{"full":0,"aged_out":12,"purged":0},"quarantined":{"unmappable":3,"rejected":1},
    /// "resent_total":250
    /// ```
    /// `resent_total` is not a loss but the other half of the aftermath: rows put on the wire
    /// again after a reconnect or restart. Every duplicate in the cloud is among them.
    public struct Ledger: Sendable, Hashable {
        /// `dropped.full`: oldest rows deleted to stay within `max_bytes` (`on_full = "drop_oldest"`).
        public var droppedFull: Int
        /// `dropped.aged_out`: rows older than `max_age`.
        public var droppedAgedOut: Int
        /// `dropped.purged`: rows an operator discarded (`buffer purge`).
        public var droppedPurged: Int
        /// `quarantined.unmappable`: payloads that could not be mapped to a row.
        public var quarantinedUnmappable: Int
        /// `quarantined.rejected`: rows the server refused.
        public var quarantinedRejected: Int
        /// `resent_total`: rows sent again (after a stream failure, or left unacked by a restart).
        public var resent: Int

        public init(
            droppedFull: Int = 0, droppedAgedOut: Int = 0, droppedPurged: Int = 0,
            quarantinedUnmappable: Int = 0, quarantinedRejected: Int = 0, resent: Int = 0
        ) {
            self.resent = resent
            self.droppedFull = droppedFull
            self.droppedAgedOut = droppedAgedOut
            self.droppedPurged = droppedPurged
            self.quarantinedUnmappable = quarantinedUnmappable
            self.quarantinedRejected = quarantinedRejected
        }

        /// (JSON key, reason, value) of each drop reason, in document order.
        var drops: [(String, Int)] { [("full", droppedFull), ("aged_out", droppedAgedOut), ("purged", droppedPurged)] }
        var quarantines: [(String, Int)] { [("unmappable", quarantinedUnmappable), ("rejected", quarantinedRejected)] }

        func write(to json: inout HealthJSONWriter) {
            json.key("dropped"); json.beginObject()
            for (key, value) in drops { json.key(key); json.int(value) }
            json.endObject()
            json.key("quarantined"); json.beginObject()
            for (key, value) in quarantines { json.key(key); json.int(value) }
            json.endObject()
            json.key("resent_total"); json.int(resent)
        }
    }
}
