import AgentCore
import DynamicProtobuf
import ReadingRing

/// Periodic health rows for `health.table`: buffered like data, so after an outage the
/// outage itself (offline state, growing backlog) becomes visible in Databricks.
struct HealthRows: Sendable {
    let table: CompiledTable
    let descriptorID: Int64

    static let columns = [
        Column(name: "gateway_id", type: .string),
        Column(name: "reported_at", type: .timestamp),
        Column(name: "state", type: .string),
        Column(name: "mqtt_connected", type: .boolean),
        Column(name: "zerobus_connected", type: .boolean),
        Column(name: "offline_for_s", type: .bigint),
        Column(name: "backlog_rows", type: .bigint),
        Column(name: "backlog_bytes", type: .bigint),
        Column(name: "oldest_age_s", type: .bigint),
        Column(name: "dropped_total", type: .bigint),
        Column(name: "quarantined_total", type: .bigint),
        Column(name: "last_error", type: .string),
        Column(name: "document", type: .string),
    ]

    init(name: String, ring: ReadingRing) throws(AgentError) {
        table = try CompiledTable(
            name: name, columns: Self.columns,
            batching: .init(maxRecords: 100, maxBytes: 1 << 20, linger: .seconds(1), streams: 1))
        do {
            descriptorID = try ring.descriptorID(table: name, descriptor: table.registeredBytes)
        } catch {
            throw AgentError("cannot register the health table descriptor: \(error)")
        }
    }

    func row(for report: HealthReport, at micros: Int64, recordID: String) throws -> NewRow {
        let values: [ProtoValue?] = [
            .string(report.gatewayID), .int(micros), .string(report.state.rawValue),
            .bool(report.mqtt.connected), .bool(report.zerobus.connected), .int(Int64(report.zerobus.offlineForSeconds)),
            .int(Int64(report.buffer.rows)), .int(Int64(report.buffer.bytes)), .int(Int64(report.buffer.oldestAgeSeconds)),
            .int(Int64(report.buffer.droppedTotal)), .int(Int64(report.buffer.quarantinedTotal)),
            report.zerobus.lastError.map { .string($0) }, .string(report.jsonString()),
        ]
        return NewRow(
            table: table.name, descriptorID: descriptorID, recordID: recordID, receivedAt: micros,
            payload: try table.descriptor.encode(values))
    }
}
