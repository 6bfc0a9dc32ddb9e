import DynamicProtobuf
import ZerobusClient

/// A small table used by the integration tests: id, device, value, tags, a nested struct.
enum TestRows {
    static let table = "main.iot.readings"

    static let descriptor: MessageDescriptor = {
        let schema = TableSchema(tableName: table, columns: [
            Column(name: "id", type: .bigint, nullable: false),
            Column(name: "device", type: .string),
            Column(name: "value", type: .double),
            Column(name: "tags", type: .array(.string)),
            Column(name: "location", type: .struct([
                Column(name: "lat", type: .double),
                Column(name: "lon", type: .double),
            ])),
        ])
        // A fixed schema that compiles; a failure here is a bug in the test itself.
        return try! MessageDescriptor(schema: schema)
    }()

    static var format: RecordFormat { .proto(descriptor: descriptor.serializedDescriptorProto()) }

    static func row(_ id: Int) -> [UInt8] {
        let values: [ProtoValue?] = [
            .int(Int64(id)),
            .string("device-\(id % 7)"),
            .double(Double(id) * 0.5),
            .list([.string("t\(id % 3)")]),
            .message([.double(52.5), .double(13.4)]),
        ]
        return try! descriptor.encode(values)
    }

    static func batches(count: Int, batchSize: Int, startingAt start: Int = 0) -> [[[UInt8]]] {
        stride(from: start, to: start + count, by: batchSize).map { first in
            (first..<min(first + batchSize, start + count)).map(row)
        }
    }

    /// The ids of acked records as the emulator decoded them (int64 arrive as JSON strings or numbers).
    static func ids(of records: [[String: Any]]) -> [Int] {
        records.compactMap { record in
            if let text = record["id"] as? String { return Int(text) }
            return record["id"] as? Int
        }
    }
}
