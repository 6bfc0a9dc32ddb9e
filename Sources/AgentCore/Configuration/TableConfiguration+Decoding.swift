import TOML
import DynamicProtobuf

extension TableConfiguration {
    /// Decodes every `[[table]]`; at least one is required and names must be unique.
    static func decodeAll(_ root: TableReader, required: Bool = true) -> [TableConfiguration] {
        let diagnostics = root.diagnostics
        guard let node = root.node("table") else {
            if !required { return [] }
            root.report("table", "no [[table]] defined; at least one table is needed")
            return []
        }
        guard case .array(let elements) = node.value, !elements.isEmpty else {
            root.reportWrongType("table", expected: "one or more [[table]] sections", node: node)
            return []
        }
        var tables: [TableConfiguration] = []
        var firstIndexByName: [TableName: Int] = [:]
        for (index, element) in elements.enumerated() {
            let path = "table[\(index)]"
            guard case .table(let table) = element.value else {
                diagnostics.report(path, at: element.position, "expected a table, got \(article(element.value.typeName)) \(element.value.typeName)")
                continue
            }
            let reader = TableReader(table: table, path: path, position: element.position, diagnostics: diagnostics)
            guard let decoded = decode(reader) else { continue }
            if let first = firstIndexByName[decoded.name] {
                reader.report("name", "table \(decoded.name) is already defined by table[\(first)]")
                continue
            }
            firstIndexByName[decoded.name] = index
            tables.append(decoded)
        }
        return tables
    }

    private static func decode(_ reader: TableReader) -> TableConfiguration? {
        var name: TableName?
        if let text = reader.requiredString("name") {
            name = TableName(parsing: text)
            if name == nil {
                reader.report("name", "\"\(text)\" is not a table name: expected catalog.schema.table (letters, digits, underscores)")
            }
        }
        let topics = decodeTopics(reader)
        let format = reader.choice("format", default: PayloadFormat.json)
        let batchMaxRecords = reader.integer("batch_max_records", default: 1000, range: 1...100_000)
        let batchMaxBytes = reader.byteSize(
            "batch_max_bytes", default: 4 << 20, range: 1...Int64(RowMapper.defaultMaxPayloadBytes)
        )
        let linger = reader.integer("linger_ms", default: 100, range: 0...60_000)
        let streams = reader.integer("streams", default: 1, range: 1...16)
        let drain = reader.choice("drain", default: DrainOrder.liveFirst)
        let backfillCap = reader.integer("backfill_max_rows_per_s", default: 0, range: 0...10_000_000)
        let options = decodePayloadOptions(reader, format: format)
        let recordType = reader.choice("record_type", default: RecordType.proto)
        if recordType == .json && format == .protobuf {
            reader.report("record_type", "record_type = \"json\" needs rows the agent maps; format = \"protobuf\" payloads are sent as they are")
        }
        let schema = decodeSchema(reader, format: format, exploded: options?.explode != nil)
        reader.finish()
        guard let name, let topics, let schema, let options else { return nil }
        var table = TableConfiguration(
            name: name, topics: topics, format: format, batchMaxRecords: Int(batchMaxRecords),
            batchMaxBytes: Int(batchMaxBytes), linger: .milliseconds(linger), streams: Int(streams), schema: schema
        )
        table.payloadOptions = options
        table.recordType = recordType
        table.drain = drain
        table.backfillMaxRowsPerSecond = Int(backfillCap)
        return table
    }

    private static func decodeTopics(_ reader: TableReader) -> [TopicFilter]? {
        let elements: [TOMLNode]
        switch reader.array("topics") {
        case .absent:
            reader.report("topics", "missing required key")
            return nil
        case .invalid: return nil
        case .value(let nodes): elements = nodes
        }
        if elements.isEmpty {
            reader.report("topics", "needs at least one topic filter")
            return nil
        }
        var filters: [TopicFilter] = []
        for (index, element) in elements.enumerated() {
            let path = reader.keyPath("topics") + "[\(index)]"
            guard case .string(let raw) = element.value else {
                reader.diagnostics.report(path, at: element.position, "expected a string, got \(article(element.value.typeName)) \(element.value.typeName)")
                continue
            }
            guard let text = reader.diagnostics.interpolate(raw, keyPath: path, at: element.position) else { continue }
            do {
                filters.append(try TopicFilter(text))
            } catch {
                reader.diagnostics.report(path, at: element.position, error.description)
            }
        }
        return filters.count == elements.count ? filters : nil
    }

    private static func decodeSchema(_ reader: TableReader, format: PayloadFormat, exploded: Bool) -> Schema? {
        let columns = reader.array("columns")
        let descriptor = reader.optionalString("descriptor", unsetMeansEmpty: false)
        let message = reader.optionalString("message", unsetMeansEmpty: false)
        if case .absent = columns {
            guard descriptor != nil || message != nil else {
                reader.report("columns", "missing: define columns, or descriptor + message")
                return nil
            }
            guard let descriptor, let message else {
                reader.report(descriptor == nil ? "descriptor" : "message", "descriptor and message go together")
                return nil
            }
            return .descriptor(path: descriptor, message: message)
        }
        if descriptor != nil || message != nil {
            reader.report("columns", "use either columns or descriptor + message, not both")
            return nil
        }
        if format == .protobuf {
            reader.report("format", "format = \"protobuf\" needs descriptor + message (the schema the payloads were encoded with)")
            return nil
        }
        guard case .value(let elements) = columns else { return nil }
        if elements.isEmpty {
            reader.report("columns", "needs at least one column")
            return nil
        }
        var mappings: [ColumnMapping] = []
        var firstIndexByName: [String: Int] = [:]
        for (index, element) in elements.enumerated() {
            let path = reader.keyPath("columns") + "[\(index)]"
            guard case .table(let table) = element.value else {
                reader.diagnostics.report(path, at: element.position, "expected a table { name = …, type = …, from = … }, got \(article(element.value.typeName)) \(element.value.typeName)")
                continue
            }
            let columnReader = TableReader(table: table, path: path, position: element.position, diagnostics: reader.diagnostics)
            guard let mapping = ColumnMapping.decode(columnReader, format: format, exploded: exploded) else { continue }
            let folded = mapping.column.name.lowercased()
            if let first = firstIndexByName[folded] {
                columnReader.report("name", "duplicate column '\(mapping.column.name)' (also columns[\(first)])")
                continue
            }
            firstIndexByName[folded] = index
            mappings.append(mapping)
        }
        return mappings.count == elements.count ? .columns(mappings) : nil
    }
}
