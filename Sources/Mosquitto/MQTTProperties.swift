import CMosquitto
import Glibc

/// The MQTT v5 properties of a delivered PUBLISH that the agent can map into columns. Under
/// MQTT 3.1.1 (which has no properties) every field is empty.
public struct MQTTProperties: Sendable, Hashable {
    /// Content Type (e.g. `application/json`), as the publisher set it.
    public var contentType: String?
    /// Response Topic, for request/response exchanges.
    public var responseTopic: String?
    /// User Properties in the order they arrived; a name may occur more than once.
    public var userProperties: [MQTTUserProperty]
    /// Message Expiry Interval as the broker forwarded it: the seconds *remaining* of the
    /// publisher's interval (the broker subtracts the time it held the message). nil: none set.
    public var messageExpiryInterval: UInt32?

    public init(
        contentType: String? = nil, responseTopic: String? = nil, userProperties: [MQTTUserProperty] = [],
        messageExpiryInterval: UInt32? = nil
    ) {
        self.contentType = contentType
        self.responseTopic = responseTopic
        self.userProperties = userProperties
        self.messageExpiryInterval = messageExpiryInterval
    }

    /// True under MQTT 3.1.1 and for a v5 message without any of these properties.
    public var isEmpty: Bool {
        contentType == nil && responseTopic == nil && userProperties.isEmpty && messageExpiryInterval == nil
    }

    /// The value of the first user property called `name`.
    public func userProperty(_ name: String) -> String? {
        userProperties.first { $0.name == name }?.value
    }

    /// Copies the properties out of libmosquitto's list, which is freed after the callback.
    /// Walks the list once; other properties (topic alias, subscription id, …) are skipped.
    init(_ list: OpaquePointer?) {
        self.init()
        var property = list
        while let current = property {
            switch mosquitto_property_identifier(current) {
            case Int32(MQTT_PROP_CONTENT_TYPE.rawValue):
                contentType = Self.string(current, Int32(MQTT_PROP_CONTENT_TYPE.rawValue))
            case Int32(MQTT_PROP_RESPONSE_TOPIC.rawValue):
                responseTopic = Self.string(current, Int32(MQTT_PROP_RESPONSE_TOPIC.rawValue))
            case Int32(MQTT_PROP_MESSAGE_EXPIRY_INTERVAL.rawValue):
                var seconds: UInt32 = 0
                if mosquitto_property_read_int32(current, Int32(MQTT_PROP_MESSAGE_EXPIRY_INTERVAL.rawValue), &seconds, false) != nil {
                    messageExpiryInterval = seconds
                }
            case Int32(MQTT_PROP_USER_PROPERTY.rawValue):
                if let pair = Self.pair(current) { userProperties.append(pair) }
            default:
                break
            }
            property = mosquitto_property_next(current)
        }
    }

    /// Reads `current` itself (skip_first false finds it first); libmosquitto hands out a
    /// malloc'd copy, freed here.
    private static func string(_ current: OpaquePointer, _ identifier: Int32) -> String? {
        var value: UnsafeMutablePointer<CChar>?
        guard mosquitto_property_read_string(current, identifier, &value, false) != nil, let value else {
            return nil
        }
        defer { free(value) }
        return String(cString: value)
    }

    private static func pair(_ current: OpaquePointer) -> MQTTUserProperty? {
        var name: UnsafeMutablePointer<CChar>?
        var value: UnsafeMutablePointer<CChar>?
        let found = mosquitto_property_read_string_pair(
            current, Int32(MQTT_PROP_USER_PROPERTY.rawValue), &name, &value, false)
        defer {
            free(name)
            free(value)
        }
        guard found != nil, let name, let value else { return nil }
        return MQTTUserProperty(name: String(cString: name), value: String(cString: value))
    }
}

/// One MQTT v5 User Property: a UTF-8 name/value pair chosen by the publisher.
public struct MQTTUserProperty: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
