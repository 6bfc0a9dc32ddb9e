/// Why a health document could not be read back.
public struct HealthDocumentError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { "health document: \(message)" }
}

extension HealthReport {
    /// The compact JSON document of SPEC §5, keys in the order shown there. Timestamps are
    /// ISO-8601 UTC with `Z`; absent `last_ack_at` / `last_error` are `null`.
    public func jsonString() -> String {
        var json = HealthJSONWriter()
        json.beginObject()
        json.key("gateway_id"); json.string(gatewayID)
        json.key("state"); json.string(state.rawValue)
        json.key("since"); json.string(ISO8601UTC.format(epochSeconds: since))

        json.key("mqtt"); json.beginObject()
        json.key("connected"); json.bool(mqtt.connected)
        json.key("messages_total"); json.int(mqtt.messagesTotal)
        json.endObject()

        json.key("zerobus"); json.beginObject()
        json.key("connected"); json.bool(zerobus.connected)
        json.key("last_ack_at"); json.string(zerobus.lastAckAt.map { ISO8601UTC.format(epochSeconds: $0) })
        json.key("offline_for_s"); json.int(zerobus.offlineForSeconds)
        json.key("reconnects_total"); json.int(zerobus.reconnectsTotal)
        json.key("last_error"); json.string(zerobus.lastError)
        json.endObject()

        json.key("buffer"); json.beginObject()
        json.key("rows"); json.int(buffer.rows)
        json.key("bytes"); json.int(buffer.bytes)
        json.key("max_bytes"); json.int(buffer.maxBytes)
        json.key("fill_ratio"); json.double(buffer.fillRatio)
        json.key("oldest_age_s"); json.int(buffer.oldestAgeSeconds)
        json.key("dropped_total"); json.int(buffer.droppedTotal)
        json.key("quarantined_total"); json.int(buffer.quarantinedTotal)
        buffer.ledger.write(to: &json)
        json.key("lost_at_start"); json.int(buffer.lostAtStart)
        json.key("start_recovery"); json.string(buffer.startRecovery)
        json.key("damaged_files_at_start"); json.int(buffer.damagedFilesAtStart)
        json.endObject()

        json.key("config_error")
        if let configError {
            json.beginObject()
            json.key("message"); json.string(configError.message)
            json.key("errors"); json.beginArray()
            for error in configError.errors { json.string(error) }
            json.endArray()
            json.key("since"); json.string(ISO8601UTC.format(epochSeconds: configError.since))
            json.endObject()
        } else {
            json.null()
        }

        json.key("tables"); json.beginArray()
        for table in tables {
            json.beginObject()
            json.key("name"); json.string(table.name)
            json.key("rows"); json.int(table.rows)
            json.key("acked_total"); json.int(table.ackedTotal)
            json.key("rate_per_s"); json.double(table.ratePerSecond)
            json.key("dropped_total"); json.int(table.droppedTotal)
            json.key("quarantined_total"); json.int(table.quarantinedTotal)
            table.ledger.write(to: &json)
            if let backlog = table.backlog {
                json.key("backlog"); json.beginObject()
                json.key("rows"); json.int(backlog.rows)
                json.key("initial_rows"); json.int(backlog.initialRows)
                json.key("progress"); json.double(backlog.progress)
                json.key("eta_s")
                if let eta = backlog.etaSeconds { json.int(eta) } else { json.null() }
                json.endObject()
            }
            json.endObject()
        }
        json.endArray()

        writeOutages(to: &json)
        writeClock(to: &json)
        json.key("version"); json.string(version)
        json.endObject()
        return json.output
    }

    /// Reads a document written by `jsonString()` (for `zerobus-edge status`).
    ///
    /// Every SPEC §5 field is required; unknown keys are ignored so older readers accept newer
    /// documents; the additive per-table counters default to 0 when missing.
    public static func parse(json: String) throws(HealthDocumentError) -> HealthReport {
        let root: JSONValue
        do {
            root = try JSONParser.parse(Array(json.utf8))
        } catch {
            throw HealthDocumentError(error.description)
        }
        let document = try Fields(root, path: "")
        // Fields are read in document order, so the first problem reported is the first one in the file.
        let gatewayID = try document.string("gateway_id")
        let stateName = try document.string("state")
        guard let state = HealthState(rawValue: stateName) else {
            throw HealthDocumentError("state: unknown value \"\(stateName)\"")
        }
        let mqtt = try document.object("mqtt")
        let zerobus = try document.object("zerobus")
        let buffer = try document.object("buffer")
        var bufferStatus = BufferStatus(
            rows: try buffer.int("rows"),
            bytes: try buffer.int("bytes"),
            maxBytes: try buffer.int("max_bytes"),
            fillRatio: try buffer.double("fill_ratio"),
            oldestAgeSeconds: try buffer.int("oldest_age_s"),
            droppedTotal: try buffer.int("dropped_total"),
            quarantinedTotal: try buffer.int("quarantined_total"),
            lostAtStart: buffer.isAbsentOrNull("lost_at_start") ? 0 : try buffer.int("lost_at_start"),
            startRecovery: buffer.isAbsentOrNull("start_recovery") ? nil : try buffer.string("start_recovery")
        )
        bufferStatus.ledger = try buffer.ledger()
        bufferStatus.damagedFilesAtStart = try buffer.intOrZero("damaged_files_at_start")
        let configError = try document.isAbsentOrNull("config_error")
            ? nil : document.object("config_error").configError()
        var report = HealthReport(
            gatewayID: gatewayID,
            state: state,
            since: try document.timestamp("since"),
            mqtt: MQTTStatus(connected: try mqtt.bool("connected"), messagesTotal: try mqtt.int("messages_total")),
            zerobus: ZerobusStatus(
                connected: try zerobus.bool("connected"),
                lastAckAt: zerobus.isAbsentOrNull("last_ack_at") ? nil : try zerobus.timestamp("last_ack_at"),
                offlineForSeconds: try zerobus.int("offline_for_s"),
                reconnectsTotal: try zerobus.int("reconnects_total"),
                lastError: zerobus.isAbsentOrNull("last_error") ? nil : try zerobus.string("last_error")
            ),
            buffer: bufferStatus,
            configError: configError,
            tables: try document.objects("tables").map { table throws(HealthDocumentError) in
                var status = TableStatus(
                    name: try table.string("name"),
                    rows: try table.int("rows"),
                    ackedTotal: try table.int("acked_total"),
                    ratePerSecond: try table.double("rate_per_s"),
                    droppedTotal: table.isAbsentOrNull("dropped_total") ? 0 : try table.int("dropped_total"),
                    quarantinedTotal: table.isAbsentOrNull("quarantined_total")
                        ? 0 : try table.int("quarantined_total")
                )
                status.ledger = try table.ledger()
                if !table.isAbsentOrNull("backlog") {
                    let backlog = try table.object("backlog")
                    status.backlog = Backlog(
                        rows: try backlog.int("rows"), initialRows: try backlog.int("initial_rows"),
                        progress: try backlog.double("progress"),
                        etaSeconds: backlog.isAbsentOrNull("eta_s") ? nil : try backlog.int("eta_s"))
                }
                return status
            },
            version: try document.string("version")
        )
        if !document.isAbsentOrNull("outages") {
            report.outages = try document.objects("outages").map { outage throws(HealthDocumentError) in
                HealthReport.Outage(
                    start: try outage.timestamp("start"),
                    end: outage.isAbsentOrNull("end") ? nil : try outage.timestamp("end"),
                    durationSeconds: try outage.int("duration_s"),
                    rowsBuffered: try outage.int("rows_buffered"),
                    rowsDropped: try outage.int("rows_dropped"))
            }
        }
        if !document.isAbsentOrNull("clock") {
            let clock = try document.object("clock")
            report.clock = HealthReport.ClockStatus(
                state: try clock.string("state"),
                reason: clock.isAbsentOrNull("reason") ? nil : try clock.string("reason"),
                since: try clock.timestamp("since"),
                lastStepSeconds: clock.isAbsentOrNull("last_step_s") ? nil : try clock.double("last_step_s"),
                rowsUnsynced: try clock.intOrZero("rows_unsynced_total"),
                rowsRebased: try clock.intOrZero("rows_rebased_total"),
                rowsNotRebased: try clock.intOrZero("rows_not_rebased_total"),
                uploadsHeld: clock.isAbsentOrNull("uploads_held") ? false : try clock.bool("uploads_held"))
        }
        return report
    }
}

/// Typed access to the members of one JSON object, with error messages that name the field
/// path (`zerobus.offline_for_s: expected an integer`).
private struct Fields {
    let members: JSONObject
    let path: String

    init(_ value: JSONValue, path: String) throws(HealthDocumentError) {
        guard case .object(let members) = value else {
            throw HealthDocumentError("\(path.isEmpty ? "document" : path): expected an object")
        }
        self.members = members
        self.path = path
    }

    private func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private func member(_ key: String) throws(HealthDocumentError) -> JSONValue {
        guard let value = members[key] else { throw HealthDocumentError("\(name(key)): missing") }
        return value
    }

    /// Optional fields may be missing or `null`.
    func isAbsentOrNull(_ key: String) -> Bool {
        switch members[key] {
        case .none, .null?: return true
        default: return false
        }
    }

    func string(_ key: String) throws(HealthDocumentError) -> String {
        guard case .string(let text) = try member(key) else {
            throw HealthDocumentError("\(name(key)): expected a string")
        }
        return text
    }

    func bool(_ key: String) throws(HealthDocumentError) -> Bool {
        guard case .bool(let flag) = try member(key) else {
            throw HealthDocumentError("\(name(key)): expected true or false")
        }
        return flag
    }

    func int(_ key: String) throws(HealthDocumentError) -> Int {
        guard case .number(let number) = try member(key), let integer = number.integer,
              let value = Int(exactly: integer)
        else {
            throw HealthDocumentError("\(name(key)): expected an integer")
        }
        return value
    }

    func double(_ key: String) throws(HealthDocumentError) -> Double {
        guard case .number(let number) = try member(key) else {
            throw HealthDocumentError("\(name(key)): expected a number")
        }
        return number.double
    }

    func timestamp(_ key: String) throws(HealthDocumentError) -> Int64 {
        let text = try string(key)
        guard let seconds = ISO8601UTC.parseEpochSeconds(text) else {
            throw HealthDocumentError("\(name(key)): expected an ISO-8601 timestamp, got \"\(text)\"")
        }
        return seconds
    }

    func strings(_ key: String) throws(HealthDocumentError) -> [String] {
        guard case .array(let elements) = try member(key) else {
            throw HealthDocumentError("\(name(key)): expected an array")
        }
        var result: [String] = []
        for element in elements {
            guard case .string(let text) = element else { throw HealthDocumentError("\(name(key)): expected strings") }
            result.append(text)
        }
        return result
    }

    /// `dropped` / `quarantined` by reason; absent (a document of an older agent) reads as zeros.
    func ledger() throws(HealthDocumentError) -> HealthReport.Ledger {
        var ledger = HealthReport.Ledger()
        if !isAbsentOrNull("dropped") {
            let dropped = try object("dropped")
            ledger.droppedFull = try dropped.intOrZero("full")
            ledger.droppedAgedOut = try dropped.intOrZero("aged_out")
            ledger.droppedPurged = try dropped.intOrZero("purged")
        }
        if !isAbsentOrNull("quarantined") {
            let quarantined = try object("quarantined")
            ledger.quarantinedUnmappable = try quarantined.intOrZero("unmappable")
            ledger.quarantinedRejected = try quarantined.intOrZero("rejected")
        }
        ledger.resent = try intOrZero("resent_total")
        return ledger
    }

    func intOrZero(_ key: String) throws(HealthDocumentError) -> Int {
        isAbsentOrNull(key) ? 0 : try int(key)
    }

    func configError() throws(HealthDocumentError) -> HealthReport.ConfigErrorStatus {
        HealthReport.ConfigErrorStatus(
            message: try string("message"), errors: try strings("errors"), since: try timestamp("since"))
    }

    func object(_ key: String) throws(HealthDocumentError) -> Fields {
        try Fields(try member(key), path: name(key))
    }

    func objects(_ key: String) throws(HealthDocumentError) -> [Fields] {
        guard case .array(let elements) = try member(key) else {
            throw HealthDocumentError("\(name(key)): expected an array")
        }
        var result: [Fields] = []
        for (offset, element) in elements.enumerated() {
            result.append(try Fields(element, path: "\(name(key))[\(offset)]"))
        }
        return result
    }
}
