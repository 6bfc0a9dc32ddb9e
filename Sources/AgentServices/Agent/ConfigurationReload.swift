import AgentCore
import Logging
import Mosquitto
import ReadingRing

/// SIGHUP: read the file again and apply what changed (`ConfigurationDiff`), keeping the ring
/// open and every buffered row where it is.
///
/// Everything that can fail (the file, descriptors, the MQTT options, the Zerobus endpoint) is
/// prepared before anything changes, so an invalid file changes nothing: the agent keeps the
/// configuration it has and shows `config_error` until a reload succeeds. A valid file is
/// applied in the order that loses nothing: intake routes first (rows of new or changed tables
/// are stored with their new descriptor from the next message on; rows already buffered keep
/// theirs), then the uplinks of what changed, then the MQTT client if its options changed.
extension AgentRuntime {
    /// The file as `check-config` sees it, with every problem as a `ConfigError`.
    public static func loadConfiguration(path: String) throws(ConfigErrors) -> AgentConfiguration {
        let configuration = try AgentConfiguration.load(
            path: path, environment: AgentConfiguration.processEnvironment(), checkFiles: true,
            parseCertificates: certificateFileProblem)
        do {
            try validateTables(configuration)
            try validateReferencedFiles(configuration)
        } catch {
            throw ConfigErrors(error.message.split(separator: "\n").map {
                ConfigError(file: path, line: nil, keyPath: "", message: String($0))
            })
        }
        return configuration
    }

    /// What a reload builds before it changes anything.
    private struct Prepared {
        var routes: [Intake.Route]
        /// Only when `[zerobus]` or `[retry]` changed.
        var factory: UplinkFactory?
        /// Only when the MQTT options or the subscriptions changed.
        var mqtt: MQTTClient?
    }

    func reloadConfiguration(path: String) async {
        logger.notice("SIGHUP: reloading the configuration", metadata: ["file": "\(path)"])
        let loaded: AgentConfiguration
        do {
            loaded = try Self.loadConfiguration(path: path)
        } catch {
            refuseReload(error)
            return
        }
        let old = configuration.value
        // The running agent uses the resolved data directory: compare like with like.
        let resolved = (try? DataDirectory.resolve(loaded, create: false)) ?? loaded
        let diff = ConfigurationDiff(from: old, to: resolved)
        let new = ConfigurationDiff.applicable(old: old, new: resolved)
        let prepared: Prepared
        do {
            prepared = try prepare(new, diff: diff, removedFilters: Self.filters(old).subtracting(Self.filters(new)))
        } catch {
            refuseReload(ConfigErrors([ConfigError(file: path, line: nil, keyPath: "", message: error.message)]))
            return
        }

        configuration.withLock { $0 = new }
        configError.withLock { $0 = nil }
        for key in diff.needsRestart {
            logger.warning("configuration key changed, takes effect at the next restart; the running value is kept",
                           metadata: ["key": "\(key)"])
        }
        if diff.logLevelChanged, let level = LoggingBootstrap.level(named: new.agent.logLevel.rawValue) {
            LoggingBootstrap.runtimeLevel.level = level
        }
        intake.replaceRoutes(prepared.routes)
        await replaceUplinks(routes: prepared.routes, diff: diff, factory: prepared.factory)
        if let client = prepared.mqtt { replaceMQTT(with: client) }
        if diff.healthChanged, old.health.httpListen != new.health.httpListen { health.restartServer() }
        if diff.healthChanged { health.configurationChanged() }
        logger.notice("configuration reloaded", metadata: ["changes": "\(diff.summary)"])
    }

    private func prepare(
        _ new: AgentConfiguration, diff: ConfigurationDiff, removedFilters: Set<String>
    ) throws(AgentError) -> Prepared {
        let routes = try Self.routes(new, ring: ring)
        let factory = diff.zerobusConnectionChanged ? try UplinkFactory(configuration: new, logger: logger) : nil
        var mqtt: MQTTClient?
        if diff.mqttConnectionChanged || diff.subscriptionsChanged {
            // Filters of removed tables are unsubscribed: a persistent session keeps them otherwise.
            mqtt = try Self.mqttClient(
                new, intake: intake, state: mqttState, logger: logger, unsubscribe: removedFilters.sorted())
        }
        return Prepared(routes: routes, factory: factory, mqtt: mqtt)
    }

    private static func filters(_ configuration: AgentConfiguration) -> Set<String> {
        Set(configuration.tables.flatMap { $0.topics.map(\.text) })
    }

    /// Logs every problem by file and line and shows them in health; nothing else changes.
    private func refuseReload(_ errors: ConfigErrors) {
        for error in errors.errors {
            logger.error("configuration reload refused: \(error)")
        }
        logger.error("configuration reload refused: still running with the previous configuration",
                     metadata: ["errors": "\(errors.errors.count)"])
        let now = ReadingRing.now() / 1_000_000
        configError.withLock { current in
            current = HealthReport.ConfigErrorStatus(
                message: "reload refused: the configuration file is invalid; running with the previous configuration",
                errors: errors.errors.map(\.description), since: current?.since ?? now)
        }
    }

    /// Restarts the uplinks of changed tables (all of them after a Zerobus change), starts those
    /// of added tables, and keeps those of removed tables draining (`removedAt`).
    private func replaceUplinks(routes: [Intake.Route], diff: ConfigurationDiff, factory newFactory: UplinkFactory?) async {
        if let newFactory { uplinkFactory.withLock { $0 = newFactory } }
        let factory = uplinkFactory.value
        let reconnectAll = newFactory != nil
        let current = uplinks.value
        let now = ReadingRing.now()
        var stopping: [UplinkEntry] = []
        /// The new list, with the tables whose uplink (re)starts once the old ones have stopped.
        var plan: [(entry: UplinkEntry?, table: CompiledTable, removedAt: Int64?)] = []
        let configured = Set(routes.map(\.table.name))
        let changed = Set(diff.changedTables)
        let healthName = healthRows?.table.name

        for route in routes {
            let name = route.table.name
            let existing = current.first { $0.name == name }
            if let existing, existing.removedAt == nil, !reconnectAll, !changed.contains(name) {
                plan.append((existing, existing.table, nil))
                continue
            }
            if let existing { stopping.append(existing) }
            plan.append((nil, route.table, nil))
        }
        for entry in current where !configured.contains(entry.name) && entry.name != healthName {
            // Removed now or by an earlier reload: keeps draining what is buffered.
            let removedAt = entry.removedAt ?? now
            if reconnectAll {
                stopping.append(entry)
                plan.append((nil, entry.table, removedAt))
            } else {
                var kept = entry
                kept.removedAt = removedAt
                plan.append((kept, entry.table, removedAt))
            }
        }
        if let health = current.first(where: { $0.name == healthName }) {
            if reconnectAll { stopping.append(health) }
            plan.append((reconnectAll ? nil : health, health.table, nil))
        }

        if !stopping.isEmpty, await !UplinkEntry.stop(stopping, within: .seconds(5)) {
            logger.warning("reload: in-flight batches not acknowledged in time; they are sent again by the new uplinks")
        }
        let entries = plan.map { step in
            var entry = step.entry ?? UplinkEntry.start(step.table, factory: factory, ring: ringAccess)
            entry.removedAt = step.removedAt
            return entry
        }
        uplinks.withLock { $0 = entries }
    }

    /// A clean DISCONNECT of the old client (what it has not handled stays with the broker's
    /// session), then the new one connects; a paused intake stays paused.
    private func replaceMQTT(with client: MQTTClient) {
        mqtt.value.stop()
        if mqttState.withLock({ $0.paused }) { client.pause() }
        mqtt.withLock { $0 = client }
        do {
            try client.start()
        } catch {
            logger.error("MQTT client failed to start", metadata: ["error": "\(error)"])
        }
    }
}
