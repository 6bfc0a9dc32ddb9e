/// A Sparkplug B topic: `spBv1.0/<group>/<message type>/<edge node>[/<device>]`, or a host
/// application's `spBv1.0/STATE/<host>`.
public struct SparkplugTopic: Sendable, Hashable {
    public enum MessageType: String, Sendable, Hashable, CaseIterable {
        case nodeBirth = "NBIRTH", nodeDeath = "NDEATH", nodeData = "NDATA", nodeCommand = "NCMD"
        case deviceBirth = "DBIRTH", deviceDeath = "DDEATH", deviceData = "DDATA", deviceCommand = "DCMD"

        /// Device messages carry a fifth topic level, node messages do not.
        var isDeviceMessage: Bool {
            switch self {
            case .deviceBirth, .deviceDeath, .deviceData, .deviceCommand: true
            default: false
            }
        }

        var isBirth: Bool { self == .nodeBirth || self == .deviceBirth }
        var isDeath: Bool { self == .nodeDeath || self == .deviceDeath }
        var isCommand: Bool { self == .nodeCommand || self == .deviceCommand }
    }

    public enum Parsed: Sendable, Hashable {
        case message(SparkplugTopic)
        /// `spBv1.0/STATE/<host>`: a host application's online state (JSON), not edge data.
        case state(host: String)
    }

    public static let namespace = "spBv1.0"

    public var group: String
    public var messageType: MessageType
    public var edgeNode: String
    public var device: String?

    /// The alias scope of this message: the device's for device messages, else the node's.
    var scope: SparkplugAliasBook.Scope {
        SparkplugAliasBook.Scope(group: group, edgeNode: edgeNode, device: device ?? "")
    }

    public static func parse(_ topic: String) throws(MappingError) -> Parsed {
        let levels = topic.split(separator: "/", omittingEmptySubsequences: false)
        guard levels.first == Substring(namespace) else {
            throw invalid(topic, "the first level is not \(namespace)")
        }
        if levels.count == 3, levels[1] == "STATE" {
            guard !levels[2].isEmpty else { throw invalid(topic, "no host id") }
            return .state(host: String(levels[2]))
        }
        guard levels.count >= 4 else { throw invalid(topic, "expected \(namespace)/<group>/<type>/<edge node>[/<device>]") }
        guard let type = MessageType(rawValue: String(levels[2])) else {
            throw invalid(topic, "unknown message type \"\(levels[2])\"")
        }
        let expected = type.isDeviceMessage ? 5 : 4
        guard levels.count == expected else {
            throw invalid(topic, "\(type.rawValue) topics have \(expected) levels, this one has \(levels.count)")
        }
        guard !levels.contains(where: \.isEmpty) else { throw invalid(topic, "an empty level") }
        return .message(SparkplugTopic(
            group: String(levels[1]), messageType: type, edgeNode: String(levels[3]),
            device: type.isDeviceMessage ? String(levels[4]) : nil))
    }

    private static func invalid(_ topic: String, _ why: String) -> MappingError {
        MappingError(kind: .invalidPayload, reason: "not a Sparkplug B topic: \(topic): \(why)")
    }
}
