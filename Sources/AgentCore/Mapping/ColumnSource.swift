/// Where a column's value comes from (the `from` / `default` of a column in agent.toml).
public enum ColumnSource: Sendable, Hashable, CustomStringConvertible {
    /// `topic[i]`: a level of the topic name, 0-based; negative counts from the end (`topic[-1]` = last).
    case topicSegment(Int)
    /// `$.a.b[0]`: a value inside the JSON payload (or `$`, the whole value of a `format = "value"` payload).
    case jsonPath(JSONPath)
    /// `payload`: the whole payload, as text for string columns and as bytes for binary columns.
    case payload
    /// `received_at`: when the agent received the message.
    case receivedAt
    /// `clock_synced`: false when the agent's wall clock was untrusted as the message arrived
    /// (see `ClockJudge`): its `received_at` was then re-based later, or could not be.
    case clockSynced
    /// `gateway_id`: the configured gateway id.
    case gatewayID
    /// `topic`: the full topic name.
    case topic
    /// `record_id`: the reading's unique id, stable across resends.
    case recordID
    /// `{ const = … }`: a literal.
    case constant(JSONValue)
    /// `@`, `@.a.b`: inside the element of a table's `explode` path that this row was made from.
    case element(JSONPath)
    /// `@key`: that element's key (exploding an object) or its 0-based index (exploding an array).
    case elementKey
    /// `unmapped`: the members of the row's object (the element when exploded, else `$`) that no
    /// `$.key…`/`@.key…` source of the table reads, as one object; null when there are none. Into a
    /// string column this is JSON text: a rescue column, so fields the schema lacks are kept.
    case unmapped
    /// `mqtt.content_type`, `mqtt.user_property.<name>`, …: an MQTT v5 property of the message.
    case messageProperty(MessagePropertyField)

    /// Parses the textual forms; `.constant` comes from a `{ const = … }` table instead.
    public init(parsing text: String) throws(ColumnSourceError) {
        switch text {
        case "payload": self = .payload
        case "received_at": self = .receivedAt
        case "clock_synced": self = .clockSynced
        case "gateway_id": self = .gatewayID
        case "topic": self = .topic
        case "record_id": self = .recordID
        case "@key": self = .elementKey
        case "unmapped": self = .unmapped
        default:
            if text.hasPrefix("@") {
                do {
                    self = .element(try JSONPath(parsing: "$" + text.dropFirst()))
                } catch {
                    throw ColumnSourceError(source: text, message: error.message)
                }
            } else if text.hasPrefix("$") {
                do {
                    self = .jsonPath(try JSONPath(parsing: text))
                } catch {
                    throw ColumnSourceError(source: text, message: error.message)
                }
            } else if text.hasPrefix(MessagePropertyField.prefix) {
                guard let field = MessagePropertyField(parsing: text.dropFirst(MessagePropertyField.prefix.count)) else {
                    throw ColumnSourceError(
                        source: text,
                        message: "expected mqtt.content_type, mqtt.response_topic, mqtt.user_property.<name> or mqtt.message_expiry_s"
                    )
                }
                self = .messageProperty(field)
            } else if text.hasPrefix("topic[") && text.hasSuffix("]") {
                let inner = text.dropFirst("topic[".count).dropLast()
                guard let index = Int(inner), !inner.hasPrefix("+") else {
                    throw ColumnSourceError(source: text, message: "'\(inner)' is not a topic level index")
                }
                self = .topicSegment(index)
            } else {
                throw ColumnSourceError(
                    source: text,
                    message: "expected topic[i], a JSON path like $.value (or @.value in an exploded table), payload, "
                        + "received_at, clock_synced, gateway_id, topic, record_id or unmapped"
                )
            }
        }
    }

    public var description: String {
        switch self {
        case .topicSegment(let index): "topic[\(index)]"
        case .jsonPath(let path): path.description
        case .payload: "payload"
        case .receivedAt: "received_at"
        case .clockSynced: "clock_synced"
        case .gatewayID: "gateway_id"
        case .topic: "topic"
        case .recordID: "record_id"
        case .constant(let value): "{ const = \(value.compactText) }"
        case .element(let path): "@" + path.description.dropFirst()
        case .elementKey: "@key"
        case .unmapped: "unmapped"
        case .messageProperty(let field): field.description
        }
    }
}

public struct ColumnSourceError: Error, Sendable, Hashable, CustomStringConvertible {
    public var source: String
    public var message: String
    public var description: String { "invalid source '\(source)': \(message)" }
}
