import DynamicProtobuf
import EdgeSupport

/// Turns one MQTT message into one table row: values aligned with the table's columns, converted
/// to each column's type (see `ValueCoercion` for the rules). Built once per table from the
/// configuration and called for every message, so it holds no per-message state.
public struct RowMapper: Sendable {
    /// 10 MiB (the Zerobus request cap) minus 64 KiB of headroom for framing and batch overhead.
    public static let defaultMaxPayloadBytes = 10 * 1024 * 1024 - 64 * 1024

    public enum Output: Sendable, Hashable {
        /// Values aligned with `mappings`; nil = null.
        case row([ProtoValue?])
        /// A message holding several readings (`explode`, `csv`, `influx`): one row each, in
        /// message order, with their own `record_id`s (see `MappedRow`). May be empty.
        case rows([MappedRow])
        /// `format = "protobuf"`: the payload, already an encoded row, passed through.
        case encoded([UInt8])
    }

    /// One of several rows made from one message.
    public struct MappedRow: Sendable, Hashable {
        /// `<message record_id>.<index>`: stable across resends because the message's id is stored
        /// with its rows, and distinct from every other message's ids.
        public var recordID: String
        public var values: [ProtoValue?]
    }

    /// At most this many rows from one message (a journal record holds up to 65,535 rows across
    /// all tables); more is quarantined, not truncated.
    public static let maxRowsPerMessage = 10_000

    public let mappings: [ColumnMapping]
    public let format: PayloadFormat
    public let options: PayloadOptions
    public let maxPayloadBytes: Int
    private let usesTopicLevels: Bool
    /// The top-level keys the table's paths read (of the element when exploded): `unmapped`
    /// collects the others.
    private let mappedKeys: Set<String>

    public init(
        mappings: [ColumnMapping], format: PayloadFormat, options: PayloadOptions = PayloadOptions(),
        maxPayloadBytes: Int = RowMapper.defaultMaxPayloadBytes
    ) {
        self.mappings = mappings
        self.format = format
        self.options = options
        self.maxPayloadBytes = maxPayloadBytes
        self.usesTopicLevels = mappings.contains { mapping in
            if case .topicSegment = mapping.source { return true }
            if case .topicSegment = mapping.defaultSource { return true }
            return false
        }
        var keys = Set<String>()
        for source in mappings.flatMap({ [$0.source, $0.defaultSource] }) {
            switch source {
            case .jsonPath(let path) where options.explode == nil, .element(let path):
                if case .key(let key)? = path.components.first { keys.insert(key) }
            default: break
            }
        }
        self.mappedKeys = keys
    }

    /// A mapper for a table defined by a descriptor file rather than `columns`: each descriptor field
    /// is filled from the top-level JSON key of the same name. A missing key is null when the field is
    /// nullable (proto2 `optional`) and an error when it is not (`required`).
    public init(
        descriptorFields fields: [Column], format: PayloadFormat, options: PayloadOptions = PayloadOptions(),
        maxPayloadBytes: Int = RowMapper.defaultMaxPayloadBytes
    ) {
        self.init(
            mappings: fields.map { field in
                let path = JSONPath([.key(field.name)])
                return ColumnMapping(
                    column: field, source: options.explode == nil ? .jsonPath(path) : .element(path), optional: field.nullable)
            },
            format: format,
            options: options,
            maxPayloadBytes: maxPayloadBytes
        )
    }

    /// True when a message may become several rows (each with a derived `record_id`).
    public var makesSeveralRows: Bool { format.isLineOriented || format == .sparkplugB || options.explode != nil }

    public func map(topic: String, payload: [UInt8], context: MessageContext) throws(MappingError) -> Output {
        // Protobuf passes the array through as is (no copy); everything else reads the bytes.
        if format == .protobuf, !payload.isEmpty, payload.count <= maxPayloadBytes { return .encoded(payload) }
        return try payload.withUnsafeBufferPointer { (bytes) throws(MappingError) -> Output in
            try map(topic: topic, payloadBytes: bytes, context: context)
        }
    }

    /// As `map(topic:payload:context:)`, on bytes the caller owns for the call (the MQTT
    /// client's buffer): only what the row keeps is copied, so a big payload is not duplicated.
    public func map(topic: String, payloadBytes payload: UnsafeBufferPointer<UInt8>, context: MessageContext) throws(MappingError) -> Output {
        if payload.isEmpty { throw MappingError(kind: .emptyPayload, reason: "empty payload") }
        if payload.count > maxPayloadBytes {
            throw MappingError(
                kind: .payloadTooLarge,
                reason: "payload too large: \(payload.count) bytes (max \(maxPayloadBytes))"
            )
        }
        let document: JSONValue
        switch format {
        case .protobuf:
            return .encoded(Array(payload))
        case .json:
            do {
                document = try JSONParser.parse(payload)
            } catch {
                throw MappingError(kind: .invalidPayload, reason: error.description)
            }
        case .value:
            document = try RowMapper.bareValue(payload)
        case .csv:
            let records = try CSVRecords.parse(payload, options: options.csv)
            return try mapRows(topic: topic, payload: payload, documents: records, context: context)
        case .influx:
            let records = try InfluxLines.parse(payload, precision: options.influxPrecision)
            return try mapRows(topic: topic, payload: payload, documents: records, context: context)
        case .sparkplugB:
            // Without the aliases of earlier BIRTHs: the intake and `quarantine retry` decode
            // with them themselves (`SparkplugIntake`) and call `mapRows`.
            let message = try SparkplugRecords.decode(topic: topic, payload: payload, aliases: SparkplugAliasBook())
            return try mapRows(topic: topic, payload: payload, documents: message.documents(for: options.sparkplug), context: context)
        }
        if let explode = options.explode {
            return try mapExploded(topic: topic, payload: payload, document: document, path: explode, context: context)
        }
        let message = MessageView(
            topic: topic, topicLevels: usesTopicLevels ? TopicLevels.split(topic) : [], payload: payload,
            document: document, element: nil, mappedKeys: mappedKeys, context: context)
        return .row(try row(for: message))
    }

    /// Rows for readings a caller decoded itself (one document per row, each the `$` of its row):
    /// the line-oriented formats, and decoders that keep state between messages.
    public func mapRows(
        topic: String, payload: UnsafeBufferPointer<UInt8>, documents: [JSONValue], context: MessageContext
    ) throws(MappingError) -> Output {
        try mapEach(documents.map { (document: $0, element: nil) }, topic: topic, payload: payload, context: context) { index in
            "reading \(index + 1) of \(documents.count)"
        }
    }

    /// The `record_id` of row `index` of a message whose own id is `message`.
    public static func recordID(message: String, index: Int) -> String {
        message + "." + String(index)
    }

    private func mapExploded(
        topic: String, payload: UnsafeBufferPointer<UInt8>, document: JSONValue, path: JSONPath, context: MessageContext
    ) throws(MappingError) -> Output {
        let elements: [(key: JSONValue, value: JSONValue)]
        switch path.evaluate(document) {
        case .array(let items)?:
            elements = items.enumerated().map { (.number(JSONNumber(integer: Int64($0.offset))), $0.element) }
        case .object(let object)?:
            elements = object.members.map { (.string($0.key), $0.value) }
        case let other?:
            throw MappingError(kind: .wrongType, reason: "explode \(path): expected an array or object, got \(other.typeName)")
        case nil:
            throw MappingError(kind: .missingValue, reason: "explode \(path): missing")
        }
        return try mapEach(elements.map { (document: document, element: $0) }, topic: topic, payload: payload, context: context) {
            index in "\(path)[\(elements[index].key.compactText)]"
        }
    }

    /// One row per reading, row `i` with record id `<message id>.<i>`; a failing reading refuses
    /// the message, its error prefixed with `describe(i)`.
    private func mapEach(
        _ readings: [(document: JSONValue, element: (key: JSONValue, value: JSONValue)?)],
        topic: String, payload: UnsafeBufferPointer<UInt8>, context: MessageContext, describe: (Int) -> String
    ) throws(MappingError) -> Output {
        try checkRowCount(readings.count)
        let levels = usesTopicLevels ? TopicLevels.split(topic) : []
        var rows: [MappedRow] = []
        rows.reserveCapacity(readings.count)
        for (index, reading) in readings.enumerated() {
            var rowContext = context
            rowContext.recordID = Self.recordID(message: context.recordID, index: index)
            let message = MessageView(
                topic: topic, topicLevels: levels, payload: payload, document: reading.document,
                element: reading.element, mappedKeys: mappedKeys, context: rowContext)
            do {
                rows.append(MappedRow(recordID: rowContext.recordID, values: try row(for: message)))
            } catch {
                throw MappingError(kind: error.kind, reason: "\(describe(index)): \(error.reason)")
            }
        }
        return .rows(rows)
    }

    private func checkRowCount(_ count: Int) throws(MappingError) {
        guard count <= Self.maxRowsPerMessage else {
            throw MappingError(
                kind: .payloadTooLarge, reason: "\(count) readings in one message (at most \(Self.maxRowsPerMessage))")
        }
    }

    private func row(for message: MessageView) throws(MappingError) -> [ProtoValue?] {
        var row: [ProtoValue?] = []
        row.reserveCapacity(mappings.count)
        for mapping in mappings {
            row.append(try value(for: mapping, in: message))
        }
        return row
    }

    private func value(for mapping: ColumnMapping, in message: MessageView) throws(MappingError) -> ProtoValue? {
        var resolved = message.resolve(mapping.source)
        if resolved == nil, let fallback = mapping.defaultSource { resolved = message.resolve(fallback) }
        guard let resolved else {
            if mapping.optional { return nil }
            throw MappingError(kind: .missingValue, reason: "column '\(mapping.column.name)': \(mapping.source) missing")
        }
        do throws(CoercionFailure) {
            switch resolved {
            case .json(let value):
                return try ValueCoercion.coerce(value, to: mapping.column.type)
            case .microseconds(let micros):
                return try RowMapper.coerceTime(micros, to: mapping.column.type)
            case .payload(let bytes):
                if mapping.column.type == .binary { return .bytes(Array(bytes)) }
                guard let text = UTF8Validation.string(bytes) else {
                    throw CoercionFailure(kind: .wrongType, message: "payload is not valid UTF-8 text")
                }
                return try ValueCoercion.coerce(.string(text), to: mapping.column.type)
            }
        } catch {
            throw MappingError(kind: error.kind, reason: "column '\(mapping.column.name)\(error.path)': \(error.message)")
        }
    }

    /// `received_at` into a column: µs for timestamp/bigint, days for date, RFC 3339 text for string.
    /// What a `received_at` of `micros` becomes in a column of `type` (nil: it cannot fill one),
    /// so that a re-base finds and replaces exactly what intake wrote.
    public static func receivedAtValue(_ micros: Int64, for type: ColumnType) -> ProtoValue? {
        try? coerceTime(micros, to: type)
    }

    static func coerceTime(_ micros: Int64, to type: ColumnType) throws(CoercionFailure) -> ProtoValue {
        switch type {
        case .timestamp, .bigint: return .int(micros)
        case .date: return .int(micros >= 0 ? micros / 86_400_000_000 : (micros + 1) / 86_400_000_000 - 1)
        case .string: return .string(Timestamps.rfc3339(microseconds: micros))
        default: throw CoercionFailure(kind: .wrongType, message: "received_at cannot fill a column of this type")
        }
    }

    /// A `format = "value"` payload: surrounding whitespace trimmed, a JSON number if it is one,
    /// otherwise the text itself (quotes included — it is a bare value, not JSON).
    static func bareValue(_ bytes: UnsafeBufferPointer<UInt8>) throws(MappingError) -> JSONValue {
        var start = 0
        var end = bytes.count
        while start < end && ValueCoercion.isSpace(bytes[start]) { start += 1 }
        while end > start && ValueCoercion.isSpace(bytes[end - 1]) { end -= 1 }
        if start == end { throw MappingError(kind: .emptyPayload, reason: "empty payload") }
        let trimmed = UnsafeBufferPointer(rebasing: bytes[start..<end])
        if let number = JSONParser.parseNumber(trimmed) { return .number(number) }
        guard let text = UTF8Validation.string(trimmed) else {
            throw MappingError(kind: .invalidPayload, reason: "payload is not valid UTF-8 text")
        }
        return .string(text)
    }
}

/// One message as the column sources see it.
private struct MessageView {
    enum Resolved {
        case json(JSONValue)
        case microseconds(Int64)
        case payload(UnsafeBufferPointer<UInt8>)
    }

    let topic: String
    let topicLevels: [Substring]
    /// Valid for the `map` call only, like the view itself.
    let payload: UnsafeBufferPointer<UInt8>
    let document: JSONValue
    /// The exploded element this row is made from (its key or index, and its value).
    let element: (key: JSONValue, value: JSONValue)?
    let mappedKeys: Set<String>
    let context: MessageContext

    /// The source's value, or nil when it has none (absent key, JSON null, missing topic level).
    func resolve(_ source: ColumnSource) -> Resolved? {
        switch source {
        case .jsonPath(let path):
            guard let value = path.evaluate(document) else { return nil }
            if case .null = value { return nil }
            return .json(value)
        case .topicSegment(let index):
            let resolved = index < 0 ? topicLevels.count + index : index
            guard resolved >= 0 && resolved < topicLevels.count else { return nil }
            return .json(.string(String(topicLevels[resolved])))
        case .payload: return .payload(payload)
        case .receivedAt: return .microseconds(context.receivedAtMicros)
        case .clockSynced: return .json(.bool(context.clockSynced))
        case .gatewayID: return .json(.string(context.gatewayID))
        case .topic: return .json(.string(topic))
        case .recordID: return .json(.string(context.recordID))
        case .messageProperty(let field): return context.properties.value(of: field).map(Resolved.json)
        case .constant(let value):
            if case .null = value { return nil }
            return .json(value)
        case .element(let path):
            guard let element, let value = path.evaluate(element.value) else { return nil }
            if case .null = value { return nil }
            return .json(value)
        case .elementKey:
            return element.map { .json($0.key) }
        case .unmapped:
            guard case .object(let object) = element?.value ?? document else { return nil }
            let rest = object.members.filter { !mappedKeys.contains($0.key) }
            return rest.isEmpty ? nil : .json(.object(JSONObject(rest)))
        }
    }
}
