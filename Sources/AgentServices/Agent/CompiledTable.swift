import AgentCore
import DynamicProtobuf
import EdgeSupport
import Glibc
import ReadingRing

/// One `[[table]]` made ready for the data path: its routes, its row mapper and the
/// descriptor rows are encoded with (registered in the ring, so buffered rows keep it).
struct CompiledTable: Sendable {
    /// How rows are grouped into requests and spread over streams.
    struct Batching: Sendable {
        var maxRecords: Int
        var maxBytes: Int
        var linger: Duration
        var streams: Int
        /// After an outage: live rows first on a lane of their own, or strict row order.
        var drain: DrainOrder = .fifo
        /// Backlog rows per second at most while a backlog drains; 0 = no cap.
        var backfillMaxRowsPerSecond = 0
    }

    let name: String
    let topics: [TopicFilter]
    let batching: Batching
    let mapper: RowMapper
    let descriptor: MessageDescriptor
    let descriptorBytes: [UInt8]
    /// `record_type`: rows are encoded as protobuf, or as JSON objects keyed by column name.
    let recordType: RecordType
    /// What the ring registers for this table's rows (see `RegisteredSchema`).
    var registeredBytes: [UInt8] { RegisteredSchema.bytes(descriptor: descriptorBytes, recordType: recordType) }

    /// Builds the descriptor from the configured columns or the `.descriptor` file.
    init(_ configuration: TableConfiguration) throws(AgentError) {
        name = configuration.name.description
        topics = configuration.topics
        recordType = configuration.recordType
        batching = Batching(
            maxRecords: configuration.batchMaxRecords, maxBytes: configuration.batchMaxBytes,
            linger: configuration.linger, streams: configuration.streams, drain: configuration.drain,
            backfillMaxRowsPerSecond: configuration.backfillMaxRowsPerSecond)
        switch configuration.schema {
        case .columns(let mappings):
            let schema = TableSchema(tableName: name, columns: mappings.map(\.column))
            do {
                descriptor = try MessageDescriptor(schema: schema)
            } catch {
                throw AgentError("table \(name): \(error)")
            }
            mapper = configuration.rowMapper() ?? RowMapper(mappings: mappings, format: configuration.format)
        case .descriptor(let path, let message):
            let bytes = try Self.readFile(path, for: name)
            do {
                descriptor = try MessageDescriptor.load(descriptorSet: bytes, messageName: message)
            } catch {
                throw AgentError("table \(name): descriptor \(path): \(error)")
            }
            mapper = configuration.rowMapper()
                ?? RowMapper(
                    descriptorFields: descriptor.fields.map(Self.column(for:)), format: configuration.format,
                    options: configuration.payloadOptions)
        }
        descriptorBytes = descriptor.serializedDescriptorProto()
    }

    /// A table fed by the agent itself (health rows), not by MQTT.
    init(name: String, columns: [Column], batching: Batching) throws(AgentError) {
        self.name = name
        topics = []
        recordType = .proto
        self.batching = batching
        do {
            descriptor = try MessageDescriptor(schema: TableSchema(tableName: name, columns: columns))
        } catch {
            throw AgentError("table \(name): \(error)")
        }
        mapper = RowMapper(mappings: [], format: .json)
        descriptorBytes = descriptor.serializedDescriptorProto()
    }

    /// A table no longer configured whose buffered rows still drain: it has no topics, and the
    /// descriptor of its oldest buffered row opens the first stream (each batch is sent with
    /// its own rows' descriptor anyway).
    init(draining name: String, registeredBytes: [UInt8]) throws(AgentError) {
        let (descriptorBytes, recordType) = RegisteredSchema.parse(registeredBytes)
        self.name = name
        self.recordType = recordType
        topics = []
        batching = Batching(maxRecords: 1000, maxBytes: 4 << 20, linger: .milliseconds(100), streams: 1)
        do {
            descriptor = try MessageDescriptor(serializedDescriptorProto: descriptorBytes)
        } catch {
            throw AgentError("table \(name): the buffered descriptor cannot be read: \(error)")
        }
        mapper = RowMapper(mappings: [], format: .json)
        self.descriptorBytes = descriptorBytes
    }

    func matches(topic: String) -> Bool {
        topics.contains { $0.matches(topic) }
    }

    /// The Unity Catalog view of a protobuf field, so JSON maps onto descriptor-file tables.
    static func column(for field: FieldDescriptor) -> Column {
        func scalar(_ field: FieldDescriptor) -> ColumnType {
            if let message = field.message {
                if field.isMap, message.fields.count == 2 {
                    return .map(key: scalar(message.fields[0]), value: scalar(message.fields[1]))
                }
                return .struct(message.fields.map(column(for:)))
            }
            switch field.type {
            case .string: return .string
            case .bytes: return .binary
            case .double: return .double
            case .float: return .float
            case .bool: return .boolean
            case .int64, .sint64, .sfixed64, .uint64, .fixed64: return .bigint
            default: return .int
            }
        }
        let base = field.columnType ?? scalar(field)
        let type: ColumnType = field.isRepeated && !field.isMap && field.columnType == nil ? .array(base) : base
        return Column(name: field.name, type: type, nullable: !field.isRequired)
    }

    static func readFile(_ path: String, for table: String) throws(AgentError) -> [UInt8] {
        guard let bytes = FileBytes.read(path) else {
            throw AgentError("table \(table): cannot read descriptor file \(path): \(ErrnoText.describe())")
        }
        return bytes
    }
}

/// Whole-file reads with plain stdio (no Foundation).
public enum FileBytes {
    /// The file's bytes, or nil (errno says why) when it cannot be opened.
    public static func read(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return bytes
    }
}

/// A failure of the agent itself (configuration that cannot be put to work, a ring that
/// cannot be opened); the message is for operators.
public struct AgentError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
