/// The MQTT v5 properties of a message that columns can read (`from = "mqtt.…"`). AgentCore
/// does not see the MQTT client: the agent copies them from each delivery. Under MQTT 3.1.1
/// they are all absent, and so is every `mqtt.*` source.
public struct MessageProperties: Sendable, Hashable {
    public var contentType: String?
    public var responseTopic: String?
    /// In arrival order; a name may repeat.
    public var userProperties: [UserProperty]
    /// Seconds left of the publisher's Message Expiry Interval when the broker forwarded it.
    public var messageExpirySeconds: Int64?

    public struct UserProperty: Sendable, Hashable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(
        contentType: String? = nil, responseTopic: String? = nil, userProperties: [UserProperty] = [],
        messageExpirySeconds: Int64? = nil
    ) {
        self.contentType = contentType
        self.responseTopic = responseTopic
        self.userProperties = userProperties
        self.messageExpirySeconds = messageExpirySeconds
    }

    /// The value `field` selects, or nil when the message does not carry it.
    func value(of field: MessagePropertyField) -> JSONValue? {
        switch field {
        case .contentType: contentType.map(JSONValue.string)
        case .responseTopic: responseTopic.map(JSONValue.string)
        case .userProperty(let name): userProperties.first { $0.name == name }.map { .string($0.value) }
        case .messageExpirySeconds: messageExpirySeconds.map { .number(JSONNumber(integer: $0)) }
        }
    }
}

/// Which MQTT v5 property a `mqtt.*` column source reads.
public enum MessagePropertyField: Sendable, Hashable, CustomStringConvertible {
    /// `mqtt.content_type`
    case contentType
    /// `mqtt.response_topic`
    case responseTopic
    /// `mqtt.user_property.<name>`: the first user property with that name.
    case userProperty(String)
    /// `mqtt.message_expiry_s`: the remaining expiry interval in seconds.
    case messageExpirySeconds

    static let prefix = "mqtt."
    private static let userPropertyPrefix = "user_property."

    /// Parses the text after `mqtt.`; nil when it names no known property.
    init?(parsing name: Substring) {
        switch name {
        case "content_type": self = .contentType
        case "response_topic": self = .responseTopic
        case "message_expiry_s": self = .messageExpirySeconds
        default:
            guard name.hasPrefix(Self.userPropertyPrefix) else { return nil }
            let property = name.dropFirst(Self.userPropertyPrefix.count)
            if property.isEmpty { return nil }
            self = .userProperty(String(property))
        }
    }

    public var description: String {
        switch self {
        case .contentType: "mqtt.content_type"
        case .responseTopic: "mqtt.response_topic"
        case .userProperty(let name): "mqtt.user_property.\(name)"
        case .messageExpirySeconds: "mqtt.message_expiry_s"
        }
    }
}
