import AgentCore
import DynamicProtobuf

extension CompiledTable {
    /// One row ready for the ring: its `record_id` and its protobuf bytes.
    struct EncodedRow {
        var recordID: String
        var payload: [UInt8]
    }

    /// The mapper's output for one message, encoded for this table's descriptor. A message of
    /// several readings is all or nothing: one row that cannot be encoded refuses the message.
    /// Pre-encoded protobuf is checked to parse against the descriptor before it is accepted.
    func encode(_ output: RowMapper.Output, recordID: String) throws(IntakeError) -> [EncodedRow] {
        switch output {
        case .row(let values):
            return [EncodedRow(recordID: recordID, payload: try encode(values))]
        case .rows(let rows):
            var encoded: [EncodedRow] = []
            encoded.reserveCapacity(rows.count)
            for row in rows {
                encoded.append(EncodedRow(recordID: row.recordID, payload: try encode(row.values)))
            }
            return encoded
        case .encoded(let bytes):
            do {
                _ = try descriptor.decode(bytes)
            } catch {
                throw IntakeError(description: "payload is not a valid \(descriptor.name) message: \(error)")
            }
            return [EncodedRow(recordID: recordID, payload: bytes)]
        }
    }

    private func encode(_ values: [ProtoValue?]) throws(IntakeError) -> [UInt8] {
        // Keyed by column name, timestamps as µs and dates as days since the epoch, bytes as
        // base64: the JSON Zerobus reads for those column types.
        if recordType == .json { return Array(descriptor.jsonString(of: values).utf8) }
        do {
            return try descriptor.encode(values)
        } catch {
            throw IntakeError(description: "cannot encode row: \(error)")
        }
    }
}

struct IntakeError: Error, CustomStringConvertible {
    let description: String
}
