import AgentCore
import GRPCTransport
import Logging
import Mosquitto
import ReadingRing
import ZerobusClient

/// Builds the Zerobus side from the configuration: one client, one credentials provider
/// (shared, so OAuth tokens are cached across tables' streams), one uplink per table.
struct UplinkFactory: Sendable {
    let client: ZerobusClient
    let headers: any HeadersProvider
    let streamConfiguration: StreamConfiguration
    let backoff: BackoffPolicy
    let logger: Logger
    /// False while the configuration still holds the shipped placeholders ("unconfigured"):
    /// its uplinks are created for health but never run, so nothing contacts the token
    /// endpoint or Zerobus with credentials that cannot work.
    let delivers: Bool

    init(configuration: AgentConfiguration, logger: Logger) throws(AgentError) {
        let zerobus = configuration.zerobus
        var transport = TransportOptions()
        transport.extraCAFile = zerobus.caFile
        transport.userAgent = "zerobus-edge/\(AgentRuntime.version)"
        transport.proxy = zerobus.proxy(forHost: zerobus.endpoint.host).map { .url($0.url) } ?? .none
        do {
            client = try ZerobusClient(endpoint: zerobus.endpoint.url, transport: transport, logger: logger)
        } catch {
            throw AgentError("zerobus.endpoint: \(error)")
        }
        switch zerobus.auth {
        case .token(let token):
            headers = BearerTokenProvider(token: token)
        case .oauth(let clientID, let clientSecret, let workspaceURL):
            var tokenTransport = transport
            tokenTransport.proxy = zerobus.proxy(forHost: workspaceURL.host).map { .url($0.url) } ?? .none
            headers = OAuthTokenProvider(
                workspaceURL: workspaceURL.url, zerobusEndpoint: zerobus.endpoint.url, clientID: clientID,
                clientSecret: clientSecret, transport: tokenTransport)
        case .notLoaded:
            throw AgentError("zerobus: the credentials were not loaded (the configuration was read for a command that needs none)")
        }
        backoff = BackoffPolicy(initial: configuration.retry.initialBackoff, maximum: configuration.retry.maxBackoff)
        var streamConfiguration = StreamConfiguration()
        // Connection loss and retryable statuses are ridden out inside the stream, forever.
        streamConfiguration.recovery = .forever(backoff: backoff)
        streamConfiguration.maxInflightRequests = TableUplink.maxInflightBatches * 2
        self.streamConfiguration = streamConfiguration
        self.logger = logger
        delivers = configuration.unconfiguredReason == nil
    }

    func uplink(for table: CompiledTable, ring: RingAccess) -> TableUplink {
        TableUplink(
            table: table, ring: ring, client: client, headers: headers, streamConfiguration: streamConfiguration,
            backoff: backoff, logger: logger)
    }
}

/// `[mqtt]` → libmosquitto options; the will publishes `{"state":"offline"}` on the status topic.
enum MQTTSettings {
    /// `unsubscribe`: filters a reload removed (sent once, after the first connect).
    static func options(_ configuration: AgentConfiguration, unsubscribe: [String] = []) -> MQTTOptions {
        let mqtt = configuration.mqtt
        var subscriptions: [MQTTSubscription] = []
        for table in configuration.tables {
            for filter in table.topics where !subscriptions.contains(where: { $0.filter == filter.text }) {
                subscriptions.append(MQTTSubscription(filter: filter.text, qos: mqtt.qos))
            }
        }
        let tls = mqtt.broker.useTLS
            ? MQTTTLS(caFile: mqtt.caFile, certFile: mqtt.certFile, keyFile: mqtt.keyFile)
            : nil
        let will = configuration.health.mqttTopic.map {
            MQTTWill(topic: $0, payload: Array(#"{"state":"offline"}"#.utf8), qos: 1, retain: true)
        }
        var options = MQTTOptions(
            host: mqtt.broker.host, port: mqtt.broker.port, tls: tls, clientID: mqtt.clientID,
            cleanSession: mqtt.cleanSession, keepalive: mqtt.keepAliveSeconds, username: mqtt.username,
            password: mqtt.password, subscriptions: subscriptions, will: will,
            reconnectDelayMin: configuration.retry.initialBackoff, reconnectDelayMax: configuration.retry.maxBackoff,
            subscribeOnFirstConnect: true)
        options.unsubscribeOnFirstConnect = unsubscribe
        options.protocolVersion = mqtt.protocolVersion.clientVersion
        return options
    }
}
