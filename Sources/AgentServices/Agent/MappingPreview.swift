import AgentCore
import DynamicProtobuf
import ReadingRing

/// `zerobus-edge map`: what one example message becomes in a table, without a broker, a ring or
/// the cloud, so an operator can try a mapping before deploying it. The rows are shown as the
/// emulator and `quarantine list` show them (JSON keyed by column); a refusal is the reason the
/// running agent would put in the quarantine.
public enum MappingPreview {
    public struct Refused: Error, CustomStringConvertible {
        public let description: String
    }

    /// One line per row: `<record_id> <row as JSON>`, after a line naming the table, its format
    /// and record type, and a note when the topic matches none of the table's filters.
    public static func preview(
        configuration: AgentConfiguration, table name: String, topic: String, payload: [UInt8]
    ) throws -> String {
        guard let tableConfiguration = configuration.tables.first(where: { $0.name.description == name }) else {
            let known = configuration.tables.map(\.name.description).joined(separator: ", ")
            throw Refused(description: "no table \(name) in the configuration (tables: \(known))")
        }
        let table = try CompiledTable(tableConfiguration)
        var lines = ["table \(table.name)  format=\(tableConfiguration.format.rawValue) record_type=\(table.recordType.rawValue)"]
        if !table.matches(topic: topic) {
            let filters = table.topics.map(\.description).joined(separator: ", ")
            lines.append("note: topic \(topic) matches none of the table's topics (\(filters)); the agent would not route it here")
        }
        let context = MessageContext(
            receivedAtMicros: ReadingRing.now(), gatewayID: configuration.agent.gatewayID,
            recordID: "\(configuration.agent.gatewayID)-example-1")
        let rows: [CompiledTable.EncodedRow]
        do {
            rows = try table.encode(try table.mapper.map(topic: topic, payload: payload, context: context), recordID: context.recordID)
        } catch let error as MappingError {
            throw Refused(description: "quarantined: \(error.reason)")
        } catch {
            throw Refused(description: "quarantined: \(error)")
        }
        if rows.isEmpty { lines.append("no rows (the message holds no readings)") }
        for row in rows {
            lines.append("\(row.recordID) \(try render(row.payload, of: table))")
        }
        return lines.joined(separator: "\n")
    }

    private static func render(_ payload: [UInt8], of table: CompiledTable) throws -> String {
        switch table.recordType {
        case .json: return String(decoding: payload, as: UTF8.self)
        case .proto: return table.descriptor.jsonString(of: try table.descriptor.decode(payload))
        }
    }
}
