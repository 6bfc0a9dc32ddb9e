import AgentCore
import Mosquitto

extension MessageProperties {
    /// The delivery's MQTT v5 properties as the mapping sees them (AgentCore knows no MQTT types).
    init(_ delivered: MQTTProperties) {
        if delivered.isEmpty {
            self.init()
            return
        }
        self.init(
            contentType: delivered.contentType, responseTopic: delivered.responseTopic,
            userProperties: delivered.userProperties.map { UserProperty(name: $0.name, value: $0.value) },
            messageExpirySeconds: delivered.messageExpiryInterval.map(Int64.init))
    }
}

extension AgentConfiguration.MQTTProtocol {
    var clientVersion: MQTTProtocolVersion {
        switch self {
        case .v311: .v311
        case .v5: .v5
        }
    }
}
