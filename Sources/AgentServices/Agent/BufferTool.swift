import AgentCore
import DynamicProtobuf
import ReadingRing

/// `zerobus-edge buffer stats|export|verify`: the ring seen read-only (`RingInspector`), so
/// they run as root or as the service user, with the daemon running or stopped, and change
/// nothing. Rows are decoded with the descriptor each was buffered with, not the current one.
public struct BufferTool {
    let inspector: RingInspector
    public let path: String

    public init(configuration: AgentConfiguration) throws {
        let configuration = try DataDirectory.resolve(configuration, create: false)
        path = configuration.agent.dataDirectory + "/buffer.db"
        do {
            inspector = try RingInspector(path: path)
        } catch {
            throw AgentError("cannot open \(path) read-only: \(error)")
        }
    }

    // MARK: stats

    public func statsText() throws -> String {
        let tables = try inspector.summary()
        let rows = tables.reduce(0) { $0 + $1.rows }
        let bytes = tables.reduce(Int64(0)) { $0 + $1.bytes }
        var lines = ["\(path): \(rows) rows pending, \(bytes) bytes, \(tables.count) tables"]
        for table in tables {
            lines.append("  \(table.name)  rows=\(table.rows) bytes=\(table.bytes) "
                + "oldest=\(table.oldest.map(Timestamps.rfc3339(microseconds:)) ?? "-") "
                + "newest=\(table.newest.map(Timestamps.rfc3339(microseconds:)) ?? "-") descriptors=\(table.descriptors)")
        }
        return lines.joined(separator: "\n")
    }

    public func statsJSON() throws -> String {
        let tables = try inspector.summary()
        func time(_ micros: Int64?) -> String { micros.map { JSONValue.quoted(Timestamps.rfc3339(microseconds: $0)) } ?? "null" }
        let entries = tables.map { table in
            "{\"name\":\(JSONValue.quoted(table.name)),\"rows\":\(table.rows),\"bytes\":\(table.bytes),"
                + "\"oldest\":\(time(table.oldest)),\"newest\":\(time(table.newest)),\"descriptors\":\(table.descriptors)}"
        }
        return "{\"path\":\(JSONValue.quoted(path)),\"rows\":\(tables.reduce(0) { $0 + $1.rows }),"
            + "\"bytes\":\(tables.reduce(Int64(0)) { $0 + $1.bytes }),\"tables\":[\(entries.joined(separator: ","))]}"
    }

    // MARK: export

    public enum ExportFormat: String, Sendable, CaseIterable {
        case jsonl, csv
    }

    public struct ExportSelection: Sendable {
        public var table: String?
        /// `received_at` bounds, µs since the epoch, inclusive.
        public var since: Int64?
        public var until: Int64?
        /// Adds `_table`, `_record_id` and `_received_at` to each JSON object (or CSV line).
        public var withMetadata: Bool

        public init(table: String? = nil, since: Int64? = nil, until: Int64? = nil, withMetadata: Bool = false) {
            self.table = table
            self.since = since
            self.until = until
            self.withMetadata = withMetadata
        }
    }

    /// Writes every selected pending row through `emit`, one line each (CSV: a header first).
    /// Returns the number of rows. CSV needs one table, whose columns make the header (the
    /// union over its descriptors, in order of first use).
    @discardableResult
    public func export(_ selection: ExportSelection, format: ExportFormat, emit: (String) -> Void) throws -> Int {
        var decoder = RowRenderer()
        var count = 0
        switch format {
        case .jsonl:
            try inspector.pendingRows(table: selection.table, since: selection.since, until: selection.until) { row in
                var object = try decoder.object(of: row)
                if selection.withMetadata { object = Self.metadata(of: row) + object }
                emit(JSONValue.object(JSONObject(object)).compactText)
                count += 1
            }
        case .csv:
            guard let table = selection.table else { throw AgentError("--format csv needs --table (one table, one header)") }
            var header: [String] = selection.withMetadata ? ["_table", "_record_id", "_received_at"] : []
            try inspector.pendingRows(table: table, since: selection.since, until: selection.until) { row in
                for name in try decoder.columns(of: row) where !header.contains(name) { header.append(name) }
            }
            emit(header.map(Self.csvCell).joined(separator: ","))
            try inspector.pendingRows(table: table, since: selection.since, until: selection.until) { row in
                var object = try decoder.object(of: row)
                if selection.withMetadata { object = Self.metadata(of: row) + object }
                let values = JSONObject(object)
                emit(header.map { name in
                    switch values[name] {
                    case nil, .null?: ""
                    case .string(let text)?: Self.csvCell(text)
                    case let value?: Self.csvCell(value.compactText)
                    }
                }.joined(separator: ","))
                count += 1
            }
        }
        return count
    }

    private static func metadata(of row: RingInspector.PendingRow) -> [JSONObject.Member] {
        [
            JSONObject.Member(key: "_table", value: .string(row.table)),
            JSONObject.Member(key: "_record_id", value: .string(row.recordID)),
            JSONObject.Member(key: "_received_at", value: .string(Timestamps.rfc3339(microseconds: row.receivedAt))),
        ]
    }

    /// RFC 4180: quoted when it holds a comma, quote or line break; quotes doubled.
    static func csvCell(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
    }

    // MARK: verify

    /// The report of `buffer verify` and whether everything is sound.
    public func verify() throws -> (report: String, sound: Bool) {
        let result = try inspector.verify()
        var lines = ["\(path): SQLite integrity_check: " + (result.integrity == ["ok"] ? "ok" : "FAILED")]
        if result.integrity != ["ok"] { lines += result.integrity.prefix(20).map { "  " + $0 } }
        if result.journals.isEmpty { lines.append("intake journal: no files (everything applied)") }
        for journal in result.journals {
            var line = "\(journal.path): \(journal.bytes) bytes, \(journal.records) intact records (\(journal.rows) rows), "
                + "\(journal.unapplied) not yet applied"
            if journal.damaged.isEmpty {
                line += ", checksums ok"
            } else {
                let stretches = journal.damaged.prefix(5).map { "\($0.lowerBound)..<\($0.upperBound)" }.joined(separator: ", ")
                line += ", DAMAGED: \(journal.damaged.count) stretches that are no intact record (bytes \(stretches)); "
                    + "the messages there are lost"
            }
            if journal.incompleteTail > 0 {
                line += "; \(journal.incompleteTail) bytes at the end are a write cut short (never acknowledged to the broker)"
            }
            lines.append(line)
        }
        lines.append(result.isSound ? "verdict: sound" : "verdict: problems found")
        return (lines.joined(separator: "\n"), result.isSound)
    }
}

/// Pending rows → JSON objects keyed by column, with a cache of parsed descriptors.
private struct RowRenderer {
    private var descriptors: [[UInt8]: MessageDescriptor] = [:]

    mutating func object(of row: RingInspector.PendingRow) throws -> [JSONObject.Member] {
        let (descriptorBytes, recordType) = RegisteredSchema.parse(row.registeredDescriptor)
        let text: [UInt8]
        switch recordType {
        case .json:
            text = row.payload
        case .proto:
            let descriptor = try self.descriptor(descriptorBytes, table: row.table)
            do {
                text = Array(descriptor.jsonString(of: try descriptor.decode(row.payload)).utf8)
            } catch {
                throw AgentError("row \(row.recordID) of \(row.table) does not decode with its descriptor: \(error)")
            }
        }
        guard case .object(let object) = try? JSONParser.parse(text) else {
            throw AgentError("row \(row.recordID) of \(row.table) is not a JSON object")
        }
        return object.members
    }

    mutating func columns(of row: RingInspector.PendingRow) throws -> [String] {
        let (descriptorBytes, _) = RegisteredSchema.parse(row.registeredDescriptor)
        return try descriptor(descriptorBytes, table: row.table).fields.map(\.name)
    }

    private mutating func descriptor(_ bytes: [UInt8], table: String) throws -> MessageDescriptor {
        if let known = descriptors[bytes] { return known }
        do {
            let descriptor = try MessageDescriptor(serializedDescriptorProto: bytes)
            descriptors[bytes] = descriptor
            return descriptor
        } catch {
            throw AgentError("a buffered descriptor of \(table) cannot be read: \(error)")
        }
    }
}

