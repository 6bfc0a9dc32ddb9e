import AgentCore
import DynamicProtobuf
import ReadingRing

/// Re-basing rows stamped while the clock was untrusted: new time = trusted wall time of the
/// monotonic instant each row was stamped at. The ring's `received_at` changes, and so does every
/// column the payload got from `received_at` (as `from` or as `default`).
extension ClockMonitor {
    func rebase(tables: [String: CompiledTable]) {
        // Every row noted so far is journaled; draining puts it in SQLite where it can be rewritten.
        do {
            try ring.drainJournal()
        } catch {
            logger.error("clock re-base: cannot drain the intake journal", metadata: ["error": "\(error)"])
            return
        }
        let (noted, stamps, offset) = withState { ($0.untrusted, $0.stamps, $0.judge.offset) }
        guard let stamps, !noted.isEmpty else { return }
        var descriptors: [Int64: (MessageDescriptor, RecordType)?] = [:]
        do {
            var count = 0
            var after = runStartRowID
            // In batches: an hour of untrusted rows must not be read into memory at once.
            while true {
                let batch = try ring.rows(after: after, stampedIn: stamps, limit: Self.rebaseBatchRows)
                var rewritten: [(id: Int64, receivedAt: Int64, payload: [UInt8])] = []
                for row in batch {
                    guard let mono = noted[row.recordID]?.mono else { continue }
                    let receivedAt = offset + mono
                    if descriptors[row.descriptorID] == nil { descriptors[row.descriptorID] = descriptor(row.descriptorID) }
                    var payload = row.payload
                    if let (descriptor, recordType) = descriptors[row.descriptorID] ?? nil,
                       let mappings = tables[row.table]?.mapper.mappings {
                        payload = (recordType == .proto
                            ? Self.rebased(row.payload, descriptor: descriptor, mappings: mappings, from: row.receivedAt, to: receivedAt)
                            : Self.rebasedJSON(row.payload, mappings: mappings, from: row.receivedAt, to: receivedAt))
                            ?? row.payload
                    }
                    rewritten.append((row.id, receivedAt, payload))
                }
                count += try ring.rewrite(rewritten)
                guard let last = batch.last, batch.count == Self.rebaseBatchRows else { break }
                after = last.id
            }
            // Rows noted but not found were sent or dropped meanwhile (or held in memory by a full
            // ring in pause mode): they keep their time.
            let missed = max(noted.values.reduce(0) { $0 + $1.rows } - count, 0)
            try? ring.removeClockNotes(Array(noted.keys))
            withState { state in
                for id in noted.keys { state.untrusted[id] = nil }
                state.rowsRebased += count
                state.rowsNotRebased += missed
                if state.untrusted.isEmpty { state.stamps = nil }
            }
            logger.info("rows stamped while the wall clock was untrusted were re-based", metadata: [
                "rows_rebased": "\(count)", "rows_not_rebased": "\(missed)",
            ])
        } catch {
            logger.error("clock re-base failed; retried in a second", metadata: ["error": "\(error)"])
        }
    }

    private func descriptor(_ id: Int64) -> (MessageDescriptor, RecordType)? {
        guard let registered = try? ring.descriptor(id: id) else { return nil }
        let (bytes, recordType) = RegisteredSchema.parse(registered)
        guard let descriptor = try? MessageDescriptor(serializedDescriptorProto: bytes) else { return nil }
        return (descriptor, recordType)
    }

    /// The payload with each `received_at`-fed top-level column that still holds the old time set
    /// to the new one; nil when nothing changes or the payload cannot be decoded.
    static func rebased(
        _ payload: [UInt8], descriptor: MessageDescriptor, mappings: [ColumnMapping], from old: Int64, to new: Int64
    ) -> [UInt8]? {
        guard var values = try? descriptor.decode(payload) else { return nil }
        var changed = false
        for mapping in mappings where mapping.source == .receivedAt || mapping.defaultSource == .receivedAt {
            guard let position = descriptor.fields.firstIndex(where: { $0.name == mapping.column.name }),
                  let oldValue = RowMapper.receivedAtValue(old, for: mapping.column.type),
                  values[position] == oldValue,
                  let newValue = RowMapper.receivedAtValue(new, for: mapping.column.type) else { continue }
            values[position] = newValue
            changed = true
        }
        guard changed else { return nil }
        return try? descriptor.encode(values)
    }

    /// The same for a `record_type = "json"` row (compact JSON from `MessageDescriptor.jsonString`):
    /// the member `"<column>":<old value>` is replaced in the text, so nothing else is re-rendered.
    static func rebasedJSON(_ payload: [UInt8], mappings: [ColumnMapping], from old: Int64, to new: Int64) -> [UInt8]? {
        var bytes = payload
        var changed = false
        for mapping in mappings where mapping.source == .receivedAt || mapping.defaultSource == .receivedAt {
            guard let oldValue = RowMapper.receivedAtValue(old, for: mapping.column.type).flatMap(jsonText),
                  let newValue = RowMapper.receivedAtValue(new, for: mapping.column.type).flatMap(jsonText) else { continue }
            let prefix = "\"\(mapping.column.name)\":"
            // A value ends at `,` or `}`: 601 must not match the start of 6012.
            for end in [",", "}"] {
                let pattern = Array((prefix + oldValue + end).utf8)
                guard let start = firstIndex(of: pattern, in: bytes) else { continue }
                bytes.replaceSubrange(start..<(start + pattern.count), with: Array((prefix + newValue + end).utf8))
                changed = true
                break
            }
        }
        return changed ? bytes : nil
    }

    private static func firstIndex(of pattern: [UInt8], in bytes: [UInt8]) -> Int? {
        guard !pattern.isEmpty, bytes.count >= pattern.count else { return nil }
        for start in 0...(bytes.count - pattern.count) where bytes[start] == pattern[0] {
            if bytes[start..<(start + pattern.count)].elementsEqual(pattern) { return start }
        }
        return nil
    }

    /// Integers and RFC 3339 text (no characters JSON escapes), as `jsonString` writes them.
    private static func jsonText(_ value: ProtoValue) -> String? {
        switch value {
        case .int(let integer): String(integer)
        case .string(let text): "\"\(text)\""
        default: nil
        }
    }
}
