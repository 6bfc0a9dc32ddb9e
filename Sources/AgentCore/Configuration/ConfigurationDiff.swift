/// What a configuration reload (SIGHUP) changes, decided from the running and the new
/// configuration alone, so the agent restarts only the parts that changed.
///
/// - Tables are matched by name. A table whose columns, mapping, format, batching or streams
///   changed is *changed*: its intake route is rebuilt and its uplink restarted (rows already
///   buffered keep the descriptor they were encoded with). A topic change alone only changes
///   the subscriptions.
/// - A *removed* table's buffered rows keep draining (the agent decides how; not this value).
/// - `[mqtt]` keys, `health.mqtt_topic` (the will) or `[retry]` changed: the MQTT client reconnects.
///   `[zerobus]` or `[retry]` changed: every uplink reconnects.
/// - What the ring or the agent's identity is built from (`agent.data_dir`, `agent.gateway_id`,
///   `[buffer]`, `health.table`) only changes at the next start: listed in `needsRestart`, and
///   `applicable(old:new:)` keeps the running values for them.
public struct ConfigurationDiff: Sendable, Hashable {
    /// In the new configuration only, in its order.
    public var addedTables: [String] = []
    /// In the running configuration only, in its order.
    public var removedTables: [String] = []
    /// In both, with anything but `topics` changed.
    public var changedTables: [String] = []
    /// In both, with other `topics` (routing changes; the subscriptions may not).
    public var retopicedTables: [String] = []
    /// The set of topic filters subscribed at the broker differs.
    public var subscriptionsChanged = false
    /// The MQTT client must reconnect with new options.
    public var mqttConnectionChanged = false
    /// Every uplink must reconnect with new Zerobus settings.
    public var zerobusConnectionChanged = false
    /// `health.interval_s`, `file`, `mqtt_topic` or `http_listen` differ.
    public var healthChanged = false
    public var logLevelChanged = false
    /// Dotted keys whose new values wait for the next start.
    public var needsRestart: [String] = []

    public init(from old: AgentConfiguration, to new: AgentConfiguration) {
        let oldTables = Dictionary(old.tables.map { ($0.name.description, $0) }, uniquingKeysWith: { first, _ in first })
        let newNames = Set(new.tables.map(\.name.description))
        for table in new.tables {
            let name = table.name.description
            guard let before = oldTables[name] else {
                addedTables.append(name)
                continue
            }
            var withOldTopics = table
            withOldTopics.topics = before.topics
            if withOldTopics != before { changedTables.append(name) }
            if table.topics != before.topics { retopicedTables.append(name) }
        }
        removedTables = old.tables.map(\.name.description).filter { !newNames.contains($0) }
        subscriptionsChanged = Self.topicFilters(old) != Self.topicFilters(new)

        mqttConnectionChanged = old.mqtt != new.mqtt || old.retry != new.retry
            || old.health.mqttTopic != new.health.mqttTopic
        zerobusConnectionChanged = old.zerobus != new.zerobus || old.retry != new.retry
        var oldHealth = old.health
        oldHealth.table = new.health.table
        healthChanged = oldHealth != new.health
        logLevelChanged = old.agent.logLevel != new.agent.logLevel

        let buffer = [
            ("max_bytes", old.buffer.maxBytes != new.buffer.maxBytes),
            ("max_age", old.buffer.maxAge != new.buffer.maxAge),
            ("on_full", old.buffer.onFull != new.buffer.onFull),
            ("sync", old.buffer.sync != new.buffer.sync),
            ("quarantine_max_bytes", old.buffer.quarantineMaxBytes != new.buffer.quarantineMaxBytes),
            ("quarantine_max_entries", old.buffer.quarantineMaxEntries != new.buffer.quarantineMaxEntries),
        ]
        if old.agent.dataDirectory != new.agent.dataDirectory { needsRestart.append("agent.data_dir") }
        if old.agent.gatewayID != new.agent.gatewayID { needsRestart.append("agent.gateway_id") }
        if old.agent.clockHoldSeconds != new.agent.clockHoldSeconds { needsRestart.append("agent.clock_hold_s") }
        needsRestart += buffer.filter(\.1).map { "buffer.\($0.0)" }
        if old.health.table != new.health.table { needsRestart.append("health.table") }
    }

    /// Nothing to do: the file was saved unchanged (or changed only in what waits for a restart).
    public var isEmpty: Bool {
        addedTables.isEmpty && removedTables.isEmpty && changedTables.isEmpty && retopicedTables.isEmpty
            && !subscriptionsChanged
            && !mqttConnectionChanged && !zerobusConnectionChanged && !healthChanged && !logLevelChanged
    }

    /// `new`, with the running values kept for the keys that wait for the next start.
    public static func applicable(old: AgentConfiguration, new: AgentConfiguration) -> AgentConfiguration {
        var result = new
        result.agent.dataDirectory = old.agent.dataDirectory
        result.agent.gatewayID = old.agent.gatewayID
        result.agent.clockHoldSeconds = old.agent.clockHoldSeconds
        result.buffer = old.buffer
        result.health.table = old.health.table
        return result
    }

    /// The filters the agent subscribes to (see `MQTTSettings`): one per distinct text.
    static func topicFilters(_ configuration: AgentConfiguration) -> Set<String> {
        Set(configuration.tables.flatMap { $0.topics.map(\.text) })
    }

    /// One line for the log, e.g. `added main.iot.a; changed main.iot.b; MQTT reconnects`.
    public var summary: String {
        var parts: [String] = []
        if !addedTables.isEmpty { parts.append("added \(addedTables.joined(separator: ", "))") }
        if !changedTables.isEmpty { parts.append("changed \(changedTables.joined(separator: ", "))") }
        if !removedTables.isEmpty { parts.append("removed \(removedTables.joined(separator: ", ")) (buffered rows keep draining)") }
        if !retopicedTables.isEmpty { parts.append("new topics for \(retopicedTables.joined(separator: ", "))") }
        if subscriptionsChanged { parts.append("subscriptions changed") }
        if mqttConnectionChanged { parts.append("MQTT connection changed") }
        if zerobusConnectionChanged { parts.append("Zerobus connection changed") }
        if healthChanged { parts.append("health settings changed") }
        if logLevelChanged { parts.append("log level changed") }
        return parts.isEmpty ? "no changes" : parts.joined(separator: "; ")
    }
}
