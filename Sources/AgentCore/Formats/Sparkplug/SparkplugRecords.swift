/// Sparkplug B messages → one JSON document per metric (`format = "sparkplug_b"`), each the `$`
/// of its row. The keys (absent when the message has no such fact):
///
/// | key | what |
/// |---|---|
/// | `group`, `edge_node`, `device` | from the topic; `device` only for D… messages |
/// | `message_type` | `NBIRTH`, `NDATA`, `DBIRTH`, `DDATA`, `NDEATH`, `DDEATH` (`NCMD`, `DCMD` if configured) |
/// | `name`, `alias` | the metric's name (from the BIRTH when the metric carries only its alias), its alias |
/// | `datatype` | the Sparkplug name (`Int32`, `Double`, `String`, …; the BIRTH's when omitted) |
/// | `value` | see `SparkplugValues`; null when `is_null` |
/// | `long_value`, `double_value`, `boolean_value`, `string_value` | `value` again, only under the key of its kind (integers and DateTime: long and double; Float/Double: double; Boolean; String/Text/UUID) |
/// | `timestamp` | the metric's ms since the epoch, else the payload's |
/// | `payload_timestamp`, `seq`, `uuid` | the payload's |
/// | `is_historical`, `is_transient`, `is_null` | booleans, false when absent |
/// | `properties` | object: property name → value; `metadata`: object of the MetaData fields |
///
/// A death with no metrics (a DDEATH) is one document without `name` and `value`.
public enum SparkplugRecords {
    public static func decode(
        topic: String, payload: UnsafeBufferPointer<UInt8>, aliases: SparkplugAliasBook
    ) throws(MappingError) -> SparkplugMessage {
        let parsed = try SparkplugTopic.parse(topic)
        guard case .message(let sparkplugTopic) = parsed else { return SparkplugMessage(topic: parsed) }
        let decoded: SparkplugPayload
        do {
            decoded = try SparkplugPayload.decode(payload)
        } catch {
            throw MappingError(kind: .invalidPayload, reason: "malformed Sparkplug B payload: \(error.reason)")
        }
        var builder = DocumentBuilder(topic: sparkplugTopic, payload: decoded, aliases: aliases)
        return try builder.build()
    }
}

/// A decoded message: its documents, and for a BIRTH the definitions it declares.
public struct SparkplugMessage: Sendable {
    public var topic: SparkplugTopic.Parsed
    public var documents: [JSONValue] = []
    /// Set for NBIRTH/DBIRTH: apply to the alias book (`SparkplugAliasBook.replace`) and persist.
    public var birth: (scope: SparkplugAliasBook.Scope, definitions: [SparkplugAliasBook.Definition])?

    /// The rows a table with `options` makes of this message: none for STATE, none for deaths
    /// with `sparkplug_death = "ignore"`, none for commands unless `sparkplug_commands = "row"`.
    public func documents(for options: SparkplugOptions) -> [JSONValue] {
        guard case .message(let topic) = topic else { return [] }
        if topic.messageType.isDeath, options.death == .ignore { return [] }
        if topic.messageType.isCommand, options.commands == .ignore { return [] }
        return documents
    }
}

private struct DocumentBuilder {
    let topic: SparkplugTopic
    let payload: SparkplugPayload
    let aliases: SparkplugAliasBook
    /// The keys every document of the message shares, in document order.
    let head: [JSONObject.Member]

    init(topic: SparkplugTopic, payload: SparkplugPayload, aliases: SparkplugAliasBook) {
        self.topic = topic
        self.payload = payload
        self.aliases = aliases
        var head: [JSONObject.Member] = [
            .init(key: "group", value: .string(topic.group)),
            .init(key: "edge_node", value: .string(topic.edgeNode)),
        ]
        if let device = topic.device { head.append(.init(key: "device", value: .string(device))) }
        head.append(.init(key: "message_type", value: .string(topic.messageType.rawValue)))
        self.head = head
    }

    mutating func build() throws(MappingError) -> SparkplugMessage {
        var message = SparkplugMessage(topic: .message(topic))
        let type = topic.messageType
        if type.isDeath && payload.metrics.isEmpty {
            message.documents = [.object(JSONObject(head + tail(timestamp: nil)))]
            return message
        }
        var definitions: [SparkplugAliasBook.Definition] = []
        var declared: Set<UInt64> = []
        message.documents.reserveCapacity(payload.metrics.count)
        for (index, metric) in payload.metrics.enumerated() {
            let resolved: SparkplugAliasBook.Definition?
            do throws(MappingError) {
                resolved = try resolve(metric)
            } catch {
                throw MappingError(
                    kind: error.kind,
                    reason: "\(type.rawValue) metric \(index + 1) of \(payload.metrics.count): \(error.reason)")
            }
            if type.isBirth, let resolved {
                if let alias = resolved.alias, !declared.insert(alias).inserted {
                    throw MappingError(kind: .invalidPayload, reason: "\(type.rawValue) declares alias \(alias) twice")
                }
                definitions.append(resolved)
            }
            message.documents.append(try document(metric, resolved))
        }
        if type.isBirth { message.birth = (topic.scope, definitions) }
        return message
    }

    /// The metric's name, alias and datatype: from the metric itself, completed from the BIRTH.
    /// nil only for a command whose alias is unknown (commands are not ours to validate).
    private func resolve(_ metric: SparkplugMetric) throws(MappingError) -> SparkplugAliasBook.Definition? {
        if topic.messageType.isBirth {
            guard let name = metric.name else {
                throw MappingError(kind: .invalidPayload, reason: "a BIRTH metric has no name")
            }
            return .init(name: name, alias: metric.alias, datatype: metric.datatype ?? 0)
        }
        let scope = topic.scope
        if let name = metric.name {
            let known = aliases.definition(name: name, in: scope)
            return .init(name: name, alias: metric.alias ?? known?.alias, datatype: metric.datatype ?? known?.datatype ?? 0)
        }
        guard let alias = metric.alias else {
            throw MappingError(kind: .invalidPayload, reason: "metric has neither name nor alias")
        }
        guard let known = aliases.definition(alias: alias, in: scope) else {
            if topic.messageType.isCommand { return nil }
            let birth = topic.device == nil ? "NBIRTH" : "DBIRTH"
            let why = aliases.hasBirth(scope) ? "is not declared by the \(birth)" : "cannot be resolved: no \(birth) seen"
            throw MappingError(
                kind: .missingValue,
                reason: "unknown alias \(alias): \(why) for \(topic.group)/\(topic.edgeNode)\(topic.device.map { "/" + $0 } ?? "")")
        }
        return .init(name: known.name, alias: alias, datatype: metric.datatype ?? known.datatype)
    }

    private func document(_ metric: SparkplugMetric, _ resolved: SparkplugAliasBook.Definition?) throws(MappingError) -> JSONValue {
        let datatype = SparkplugDataType(wire: resolved?.datatype ?? metric.datatype)
        var members = head
        members.reserveCapacity(head.count + 12)
        if let name = resolved?.name ?? metric.name { members.append(.init(key: "name", value: .string(name))) }
        if let alias = resolved?.alias ?? metric.alias {
            members.append(.init(key: "alias", value: SparkplugValues.integer(alias, datatype: .uint64)))
        }
        members.append(.init(key: "datatype", value: .string(datatype.name)))
        let value: JSONValue
        do {
            value = metric.isNull ? .null : try SparkplugValues.json(metric.value, datatype: datatype)
        } catch {
            throw MappingError(kind: .invalidPayload, reason: "metric \(resolved?.name ?? "?"): \(error.reason)")
        }
        members.append(.init(key: "value", value: value))
        Self.appendTyped(value, datatype: datatype, to: &members)
        members += tail(timestamp: metric.timestamp)
        members.append(.init(key: "is_historical", value: .bool(metric.isHistorical)))
        members.append(.init(key: "is_transient", value: .bool(metric.isTransient)))
        members.append(.init(key: "is_null", value: .bool(metric.isNull)))
        if let properties = metric.properties {
            do {
                members.append(.init(key: "properties", value: try SparkplugValues.json(properties)))
            } catch {
                throw MappingError(kind: .invalidPayload, reason: "metric \(resolved?.name ?? "?") properties: \(error.reason)")
            }
        }
        if let metadata = metric.metadata { members.append(.init(key: "metadata", value: Self.json(metadata))) }
        return .object(JSONObject(members))
    }

    /// The value again under a key for its kind, so that a table whose metrics have mixed types
    /// can give each kind its own (optional) column: one `double` column alone would refuse a
    /// message as soon as one of its metrics is a String.
    private static func appendTyped(_ value: JSONValue, datatype: SparkplugDataType, to members: inout [JSONObject.Member]) {
        switch (datatype, value) {
        case (.int8, .number), (.int16, .number), (.int32, .number), (.int64, .number), (.uint8, .number),
            (.uint16, .number), (.uint32, .number), (.uint64, .number), (.dateTime, .number):
            members.append(.init(key: "long_value", value: value))
            members.append(.init(key: "double_value", value: value))
        case (.uint64, .string):
            members.append(.init(key: "double_value", value: value))
        case (.float, _), (.double, _):
            members.append(.init(key: "double_value", value: value))
        case (.boolean, .bool):
            members.append(.init(key: "boolean_value", value: value))
        case (.string, .string), (.text, .string), (.uuid, .string):
            members.append(.init(key: "string_value", value: value))
        default:
            break
        }
    }

    /// `timestamp` (the metric's, else the payload's), `payload_timestamp`, `seq`, `uuid`.
    private func tail(timestamp: UInt64?) -> [JSONObject.Member] {
        var members: [JSONObject.Member] = []
        if let time = timestamp ?? payload.timestamp {
            members.append(.init(key: "timestamp", value: SparkplugValues.integer(time, datatype: .uint64)))
        }
        if let time = payload.timestamp {
            members.append(.init(key: "payload_timestamp", value: SparkplugValues.integer(time, datatype: .uint64)))
        }
        if let seq = payload.seq { members.append(.init(key: "seq", value: SparkplugValues.integer(seq, datatype: .uint64))) }
        if let uuid = payload.uuid { members.append(.init(key: "uuid", value: .string(uuid))) }
        return members
    }

    private static func json(_ metadata: SparkplugMetaData) -> JSONValue {
        var members: [JSONObject.Member] = []
        func add(_ key: String, _ value: JSONValue?) { if let value { members.append(.init(key: key, value: value)) } }
        add("is_multi_part", metadata.isMultiPart.map(JSONValue.bool))
        add("content_type", metadata.contentType.map(JSONValue.string))
        add("size", metadata.size.map { SparkplugValues.integer($0, datatype: .uint64) })
        add("seq", metadata.seq.map { SparkplugValues.integer($0, datatype: .uint64) })
        add("file_name", metadata.fileName.map(JSONValue.string))
        add("file_type", metadata.fileType.map(JSONValue.string))
        add("md5", metadata.md5.map(JSONValue.string))
        add("description", metadata.description.map(JSONValue.string))
        return .object(JSONObject(members))
    }
}
