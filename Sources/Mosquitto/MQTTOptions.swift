/// Everything the client needs to connect, built by the agent from its `[mqtt]` configuration.
/// MQTT 3.1.1 unless `protocolVersion` says v5.
public struct MQTTOptions: Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// Set for `mqtts://`; nil for plain TCP.
    public var tls: MQTTTLS?
    public var clientID: String
    /// false (the default) keeps a persistent session: the broker queues QoS 1 messages while
    /// the client is away and remembers its subscriptions.
    public var cleanSession: Bool
    /// v3.1.1 (default) or v5. Under v5 deliveries carry their properties (`MQTTDelivery.properties`)
    /// and shared subscriptions (`$share/<group>/<filter>`) are available.
    public var protocolVersion: MQTTProtocolVersion = .v311
    /// MQTT v5 only: the Session Expiry Interval sent on CONNECT when `cleanSession` is false.
    /// Under v5, "clean start = false" alone does not keep a session: without this property
    /// the broker discards the session (subscriptions and queued messages) at disconnect, so
    /// readings published while the agent is down would be lost. The default, 0xFFFFFFFF,
    /// means "never expires" (the broker's own limit, mosquitto's persistent_client_expiration,
    /// still applies). With `cleanSession` true nothing is sent (0: ends with the connection).
    public var sessionExpiryInterval: UInt32 = .max
    /// Seconds; 0 disables keepalive, otherwise libmosquitto requires at least 5.
    public var keepalive: Int
    public var username: String?
    /// Never logged and never part of an error or `description`.
    public var password: String?
    public var subscriptions: [MQTTSubscription]
    /// Last will, published by the broker if the connection dies without a clean DISCONNECT.
    public var will: MQTTWill?
    /// Capped exponential backoff between connection attempts: the n-th consecutive failure
    /// waits min · 2ⁿ⁻¹ capped at max, randomised to 50–100 % of that (never below min), so
    /// gateways restarted together do not reconnect in lockstep. Reset by a successful CONNACK.
    public var reconnectDelayMin: Duration
    public var reconnectDelayMax: Duration
    /// Subscribe on the first CONNACK after `start()` even when the broker kept the session.
    /// false (default): subscribe only when the broker reports no session (sessionPresent 0),
    /// so a restart does not make the broker re-send retained messages; but filters added to
    /// the configuration since the session was created are then not subscribed.
    public var subscribeOnFirstConnect: Bool
    /// Filters to unsubscribe on the first CONNACK after `start()`: ones the agent no longer
    /// wants, which a persistent session would otherwise keep delivering (and queueing).
    public var unsubscribeOnFirstConnect: [String] = []

    public init(
        host: String,
        port: Int = 1883,
        tls: MQTTTLS? = nil,
        clientID: String,
        cleanSession: Bool = false,
        keepalive: Int = 30,
        username: String? = nil,
        password: String? = nil,
        subscriptions: [MQTTSubscription] = [],
        will: MQTTWill? = nil,
        reconnectDelayMin: Duration = .milliseconds(500),
        reconnectDelayMax: Duration = .seconds(30),
        subscribeOnFirstConnect: Bool = false
    ) {
        self.host = host
        self.port = port
        self.tls = tls
        self.clientID = clientID
        self.cleanSession = cleanSession
        self.keepalive = keepalive
        self.username = username
        self.password = password
        self.subscriptions = subscriptions
        self.will = will
        self.reconnectDelayMin = reconnectDelayMin
        self.reconnectDelayMax = reconnectDelayMax
        self.subscribeOnFirstConnect = subscribeOnFirstConnect
    }

    /// For logs: the broker address and client id, never the password.
    public var description: String {
        let scheme = tls == nil ? "mqtt" : "mqtts"
        let user = username.map { " user=\($0)" } ?? ""
        return "\(scheme)://\(host):\(port) protocol=\(protocolVersion.rawValue) client_id=\(clientID) clean_session=\(cleanSession)\(user)"
    }
}

/// The MQTT protocol version spoken to the broker.
public enum MQTTProtocolVersion: String, Sendable, Hashable, CaseIterable {
    case v311 = "v3.1.1"
    case v5
}

public struct MQTTTLS: Sendable {
    /// PEM trust anchors for the broker certificate; nil trusts the system store (/etc/ssl/certs).
    public var caFile: String?
    /// Client certificate and key (PEM) for mutual TLS; both or neither.
    public var certFile: String?
    public var keyFile: String?
    /// Accept any broker certificate and host name. For tests and emergencies only.
    public var insecureSkipVerify: Bool

    public init(caFile: String?, certFile: String? = nil, keyFile: String? = nil, insecureSkipVerify: Bool = false) {
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
        self.insecureSkipVerify = insecureSkipVerify
    }
}

public struct MQTTSubscription: Sendable, Hashable {
    public var filter: String
    public var qos: Int

    public init(filter: String, qos: Int = 1) {
        self.filter = filter
        self.qos = qos
    }
}

public struct MQTTWill: Sendable {
    public var topic: String
    public var payload: [UInt8]
    public var qos: Int
    public var retain: Bool

    public init(topic: String, payload: [UInt8], qos: Int = 1, retain: Bool = true) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
    }
}

/// One message from the broker, copied out of libmosquitto's buffers.
public struct MQTTMessage: Sendable {
    public var topic: String
    public var payload: [UInt8]
    public var qos: Int
    /// true when the broker delivered a stored retained message (e.g. right after subscribing).
    public var retained: Bool
    /// The packet id on this connection (0 for QoS 0). Not unique across reconnects.
    public var mid: Int32
    /// MQTT v5 properties; empty under MQTT 3.1.1.
    public var properties: MQTTProperties = MQTTProperties()
}

public enum MQTTEvent: Sendable, Equatable {
    /// CONNACK accepted. `sessionPresent` false means the broker had no session for this client
    /// id (first start, clean session, or a broker restart without persistence); the client
    /// then subscribes again by itself.
    case connected(sessionPresent: Bool)
    /// The connection ended; the client reconnects by itself unless paused or stopped.
    case disconnected(reason: String)
    /// The broker granted every subscription sent after a CONNACK.
    case subscribed
    /// A connection attempt failed, the broker refused it, or a subscription was rejected.
    /// The client keeps retrying connections with backoff.
    case error(String)
}
