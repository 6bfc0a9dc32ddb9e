extension HealthReport {
    /// One of `"outages"` (additive to SPEC §5, after `tables`): the recent periods in which the
    /// cloud could not be reached, oldest first, kept in the ring across restarts.
    /// ```json
    /// "outages":[{"start":"2026-05-28T20:20:00Z","end":"2026-05-28T20:22:00Z","duration_s":120,
    ///             "rows_buffered":60000,"rows_dropped":0}]
    /// ```
    public struct Outage: Sendable, Hashable {
        /// `start`: when the link went down, Unix seconds (ISO-8601 in JSON).
        public var start: Int64
        /// `end`: when it came back; nil (`null`) while the outage lasts.
        public var end: Int64?
        /// `duration_s`: until `end`, or until the report while it lasts.
        public var durationSeconds: Int
        /// `rows_buffered`: rows the ring took in meanwhile.
        public var rowsBuffered: Int
        /// `rows_dropped`: rows dropped meanwhile.
        public var rowsDropped: Int

        public init(start: Int64, end: Int64?, durationSeconds: Int, rowsBuffered: Int, rowsDropped: Int) {
            self.start = start
            self.end = end
            self.durationSeconds = durationSeconds
            self.rowsBuffered = rowsBuffered
            self.rowsDropped = rowsDropped
        }
    }

    /// How many outages the document lists (the newest; the ring keeps a few more).
    public static let outagesShown = 5

    func writeOutages(to json: inout HealthJSONWriter) {
        json.key("outages"); json.beginArray()
        for outage in outages {
            json.beginObject()
            json.key("start"); json.string(ISO8601UTC.format(epochSeconds: outage.start))
            json.key("end"); json.string(outage.end.map { ISO8601UTC.format(epochSeconds: $0) })
            json.key("duration_s"); json.int(outage.durationSeconds)
            json.key("rows_buffered"); json.int(outage.rowsBuffered)
            json.key("rows_dropped"); json.int(outage.rowsDropped)
            json.endObject()
        }
        json.endArray()
    }
}
