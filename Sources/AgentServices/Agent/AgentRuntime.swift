import AgentCore
import Glibc
import Logging
import Mosquitto
import ReadingRing
import Synchronization
import ZerobusClient

/// The daemon: MQTT intake → ring → one uplink per table, plus health, bounds and systemd.
///
/// Start order: ring, uplinks, health, then MQTT intake; shutdown goes the other way: intake
/// stops first, uplinks flush what is in flight (bounded), health writes its final document,
/// the ring closes last and keeps the rest for the next start (`AgentLifecycle.swift`).
public final class AgentRuntime: Sendable {
    public static let version = "0.1.0"

    /// The configuration in force: the one started with, then each valid reload's.
    let configuration: Shared<AgentConfiguration>
    let logger: Logger
    let ring: ReadingRing
    let intake: Intake
    let uplinks = Shared<[UplinkEntry]>([])
    let uplinkFactory: Shared<UplinkFactory>
    /// Replaced (not reconfigured) when a reload changes the connection or the topics.
    let mqtt: Shared<MQTTClient>
    let health: HealthPublisher
    let healthRows: HealthRows?
    /// The ring's own thread: every async ring call, and the intake journal's drain.
    let ringAccess: RingAccess
    /// Set while the file on disk is one a reload refused.
    let configError = Shared<HealthReport.ConfigErrorStatus?>(nil)
    /// Held while the daemon runs: one owner per ring; the CLI hands writes to it.
    let dataDirectoryLock: DataDirectoryLock
    let mqttState = Shared(MQTTLinkState())
    let pauseIntake = PauseSwitch()
    private let heapTrimmer = IdleHeapTrimmer()

    struct MQTTLinkState: Sendable {
        var connected = false
        var paused = false
    }

    /// Builds everything; nothing runs until `run`.
    public init(configuration: AgentConfiguration, logger: Logger) throws(AgentError) {
        let configured = configuration.agent.dataDirectory
        // Everything below (lock, ring, journal, health rows, CLI requests) uses the real path.
        let configuration = try DataDirectory.resolve(configuration, create: true)
        self.configuration = Shared(configuration)
        self.logger = logger
        logger.info("data directory", metadata: [
            "path": "\(configuration.agent.dataDirectory)", "configured": "\(configured)",
        ])
        dataDirectoryLock = try DataDirectoryLock.acquireForDaemon(dataDirectory: configuration.agent.dataDirectory)
        let ring = try Self.openRing(configuration, logger: logger, ownsDataDirectory: true)
        self.ring = ring
        let ringAccess: RingAccess
        do {
            ringAccess = try RingAccess(ring: ring, logger: logger)
        } catch {
            throw AgentError("cannot start the buffer's thread: \(error)")
        }
        self.ringAccess = ringAccess

        let routes = try Self.routes(configuration, ring: ring)
        healthRows = try configuration.health.table.map { table throws(AgentError) in
            try HealthRows(name: table.description, ring: ring)
        }
        uplinkFactory = Shared(try UplinkFactory(configuration: configuration, logger: logger))
        let recordIDs = RecordIDGenerator(gatewayID: configuration.agent.gatewayID, startMicros: ReadingRing.now())

        let pauseIntake = pauseIntake
        intake = Intake(
            routes: routes, ring: ring, gatewayID: configuration.agent.gatewayID,
            recordIDs: recordIDs, clock: ClockMonitor(
                ring: ring, holdLimitSeconds: configuration.agent.clockHoldSeconds, logger: logger),
            logger: logger, onFull: { pauseIntake.trigger() }, onJournaled: { ringAccess.journalAppended() })
        mqtt = Shared(try Self.mqttClient(configuration, intake: intake, state: mqttState, logger: logger))
        let mqttStateRef = mqttState
        let mqttRef = mqtt
        pauseIntake.set {
            mqttStateRef.withLock { $0.paused = true }
            logger.warning("buffer full (on_full = pause): pausing MQTT intake")
            mqttRef.value.pause()
        }
        health = HealthPublisher(
            configuration: self.configuration, ring: ringAccess, uplinks: uplinks, intake: intake,
            healthRows: healthRows, recordIDs: recordIDs, configError: configError,
            mqttConnected: { mqttStateRef.withLock { $0.connected } }, logger: logger)
    }

    /// Each table compiled, with its descriptor registered in the ring (rows refer to it by id).
    static func routes(_ configuration: AgentConfiguration, ring: ReadingRing) throws(AgentError) -> [Intake.Route] {
        var routes: [Intake.Route] = []
        for table in configuration.tables {
            let compiled = try CompiledTable(table)
            do {
                let id = try ring.descriptorID(table: compiled.name, descriptor: compiled.registeredBytes)
                routes.append(Intake.Route(table: compiled, descriptorID: id))
            } catch {
                throw AgentError("cannot register the descriptor of \(compiled.name): \(error)")
            }
        }
        return routes
    }

    /// A client (not started) that hands every message to `intake` and tracks the link in `state`.
    static func mqttClient(
        _ configuration: AgentConfiguration, intake: Intake, state: Shared<MQTTLinkState>, logger: Logger,
        unsubscribe: [String] = []
    ) throws(AgentError) -> MQTTClient {
        do {
            return try MQTTClient(
                options: MQTTSettings.options(configuration, unsubscribe: unsubscribe),
                onDelivery: { intake.handle($0) },
                onEvent: { event in
                    switch event {
                    case .connected(let sessionPresent):
                        intake.connected()
                        state.withLock { $0.connected = true }
                        logger.info("MQTT connected", metadata: ["session_present": "\(sessionPresent)"])
                    case .disconnected(let reason):
                        state.withLock { $0.connected = false }
                        logger.warning("MQTT disconnected", metadata: ["reason": "\(reason)"])
                    case .subscribed:
                        logger.info("MQTT subscribed")
                    case .error(let message):
                        logger.warning("MQTT error", metadata: ["error": "\(message)"])
                    }
                })
        } catch {
            throw AgentError("mqtt: \(error)")
        }
    }

    /// Runs until SIGTERM/SIGINT arrives on `signals`. SIGHUP reloads the configuration from
    /// `configPath` (see `reloadConfiguration`; without a path it is only logged); the ring
    /// stays open throughout. The jobs run as one `ServiceGroup` (see `AgentLifecycle.swift`).
    public func run(signals: TrappedSignals, configPath: String? = nil) async throws(AgentError) {
        let notifier = SystemdNotifier.fromProcessEnvironment()
        try health.startServer()
        // Before the group: health's first document and a first reload already see every uplink.
        startUplinks()
        if let reason = configuration.value.unconfiguredReason {
            // An unedited install: the placeholders cannot authenticate, so the uplinks do
            // not run at all (no token requests, see UplinkFactory.delivers); readings are
            // buffered until the real values arrive (a reload of the endpoint, or a restart).
            logger.warning("unconfigured: readings are buffered, nothing is sent", metadata: ["reason": "\(reason)"])
        }
        let group = Self.serviceGroup(
            services(signals: signals, configPath: configPath, notifier: notifier), logger: logger)
        var failure: AgentError?
        do {
            try await group.run()
        } catch {
            failure = AgentError("\(error)")
        }
        // Last, after every service ended, also when the shutdown bound cancelled them together.
        ringAccess.stop()
        try? ring.close()
        if let failure { throw failure }
        logger.info("stopped")
    }

    private func startUplinks() {
        let factory = uplinkFactory.value
        let tables = intake.currentRoutes.map(\.table) + (healthRows.map { [$0.table] } ?? [])
        let unconfigured = unconfiguredTablesWithRows(configured: Set(tables.map(\.name)))
        let startedAt = ReadingRing.now()
        uplinks.withLock {
            $0 = tables.map { UplinkEntry.start($0, factory: factory, ring: ringAccess) }
            // Before the health table, as a reload orders them.
            $0.insert(contentsOf: unconfigured.map { table in
                var entry = UplinkEntry.start(table, factory: factory, ring: ringAccess)
                entry.removedAt = startedAt
                return entry
            }, at: intake.currentRoutes.count)
        }
    }

    func startIntake() {
        do {
            try mqtt.value.start()
        } catch {
            logger.error("MQTT client failed to start", metadata: ["error": "\(error)"])
        }
    }

    /// The retained status says offline while the link is still up, then nothing new comes in;
    /// what the journal holds is in the ring before the uplinks' last flush.
    func stopIntake() async {
        publishStatus(health.offlineDocument())
        mqtt.value.stop()
        let intake = intake
        _ = await ringAccess.perform { ring in
            _ = try? ring.drainJournal()
            return intake.writeHeld()
        }
    }

    /// Every second: bounds of the ring, and resuming a paused intake once there is room.
    func housekeeping() async {
        // All of it is SQLite work (re-base, checkpoint, vacuum): on the ring's thread.
        await ringAccess.repeating(everyMilliseconds: 1000) { _ in
            let roomAgain = self.ringHousekeeping()
            self.heapTrimmer.tick(messages: self.intake.counters.messages)
            if roomAgain, self.mqttState.withLock({ $0.paused }) {
                self.mqttState.withLock { $0.paused = false }
                self.logger.info("buffer has room again: resuming MQTT intake")
                self.mqtt.value.resume()
            }
        }
    }

    /// One round of `housekeeping`'s ring work; true when no rows are held any more.
    private func ringHousekeeping() -> Bool {
        let tables = Dictionary(intake.currentRoutes.map { ($0.table.name, $0.table) }, uniquingKeysWith: { $1 })
        let now = intake.clock.tick(tables: tables)
        do {
            _ = try ring.enforceBounds(now: now)
            let drops = try ring.takeUnreportedDrops()
            if drops.droppedTotal > 0 {
                logger.warning("rows dropped from the buffer", metadata: [
                    "rows": "\(drops.droppedTotal)", "full": "\(drops.droppedFull)",
                    "aged_out": "\(drops.droppedAgedOut)", "purged": "\(drops.droppedPurged)",
                ])
            }
        } catch {
            logger.error("cannot enforce buffer bounds", metadata: ["error": "\(error)"])
        }
        handleRequests()
        retireDrainedUplinks()
        return intake.writeHeld()
    }

    /// `quarantine retry|purge` and `buffer purge` from the CLI, run here because this process owns the ring.
    private func handleRequests() {
        let requests: [ReadingRing.Request]
        do {
            requests = try ring.takeRequests()
        } catch {
            logger.error("cannot read CLI requests from the buffer", metadata: ["error": "\(error)"])
            return
        }
        let tool = QuarantineTool(configuration: configuration.value, ring: ring)
        for request in requests {
            let result = tool.executeForRequest(request.command)
            logger.notice("\(request.command) (requested by the CLI)", metadata: ["result": "\(result)"])
            do {
                try ring.completeRequest(request.id, result: result)
            } catch {
                logger.error("cannot store the result of a CLI request", metadata: ["error": "\(error)"])
            }
        }
    }

    func publishStatus(_ document: String) {
        guard let topic = configuration.value.health.mqttTopic else { return }
        try? mqtt.value.publish(topic: topic, payload: Array(document.utf8), qos: 1, retain: true)
    }

    /// `ownsDataDirectory`: this process holds the data-directory lock, so it replays (and, as
    /// the daemon, writes) the intake journal; a CLI beside a running daemon must not touch it.
    static func openRing(
        _ configuration: AgentConfiguration, logger: Logger, ownsDataDirectory: Bool
    ) throws(AgentError) -> ReadingRing {
        let buffer = configuration.buffer
        let ringConfiguration = RingConfiguration(
            path: configuration.agent.dataDirectory + "/buffer.db", maxBytes: buffer.maxBytes, maxAge: buffer.maxAge,
            onFull: buffer.onFull == .pause ? .pause : .dropOldest, sync: buffer.sync == .full ? .full : .normal,
            quarantineMaxBytes: buffer.quarantineMaxBytes, quarantineMaxEntries: buffer.quarantineMaxEntries,
            intakeJournal: ownsDataDirectory)
        do {
            let (ring, report) = try ReadingRing.open(ringConfiguration)
            if let moved = report.movedAsideTo, let salvage = report.salvage {
                logger.error("buffer file was damaged: the readable rows were copied into a new buffer and the damaged file moved aside", metadata: [
                    "moved_to": "\(moved)", "reason": "\(report.corruptionReason ?? "")",
                    "rows_kept": "\(salvage.rowsKept)", "rows_lost": "\(salvage.rowsLost.map(String.init) ?? "unknown")",
                    "quarantine_kept": "\(salvage.quarantineKept)",
                ])
            } else if let moved = report.movedAsideTo {
                logger.error("buffer file was unreadable and has been moved aside; starting with an empty buffer", metadata: [
                    "moved_to": "\(moved)", "reason": "\(report.corruptionReason ?? "")",
                ])
            }
            if let missing = report.missing {
                logger.error("the buffer holds less than the previous run left behind", metadata: [
                    "rows_lost": "\(missing.exact ? "" : "up to ")\(missing.rows)", "detail": "\(missing.detail)",
                ])
            }
            if report.journalRecordsReplayed > 0 {
                logger.info("intake journal replayed into the buffer", metadata: ["records": "\(report.journalRecordsReplayed)"])
            }
            if report.journalDamagedRegions > 0 {
                logger.error("intake journal was damaged: records in the damaged stretches are lost, intact records after them were replayed", metadata: [
                    "damaged_stretches": "\(report.journalDamagedRegions)", "damaged_bytes": "\(report.journalDamagedBytes)",
                    "lost_records_at_least": "\(report.journalDamagedRegions)",
                    "moved_to": "\(report.journalMovedAsideTo.joined(separator: ","))",
                ])
            }
            if report.journalTornTailBytes > 0 {
                logger.warning("intake journal ends in an incomplete record (a write cut short by a crash or power cut; it was never acknowledged, the broker redelivers it)", metadata: [
                    "bytes": "\(report.journalTornTailBytes)",
                ])
            }
            if !report.journalIgnoredFiles.isEmpty {
                logger.warning("files named like intake journal files but not written by this agent were left alone", metadata: [
                    "files": "\(report.journalIgnoredFiles.joined(separator: ","))",
                ])
            }
            if report.rows > 0 { logger.info("resuming with buffered rows", metadata: ["rows": "\(report.rows)"]) }
            return ring
        } catch {
            throw AgentError("cannot open the buffer \(ringConfiguration.path): \(error)")
        }
    }
}

/// Lets the intake ask for a pause before the MQTT client that pauses exists (the client is
/// built with the intake as its delivery target). Not lifecycle: a `ServiceGroup` starts and
/// stops services, it has no way for one to throttle another while both run.
final class PauseSwitch: Sendable {
    private let action = Shared<(@Sendable () -> Void)?>(nil)
    func set(_ newAction: @escaping @Sendable () -> Void) { action.withLock { $0 = newAction } }
    func trigger() { action.value?() }
}
