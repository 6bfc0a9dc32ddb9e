import AgentCore
import Logging
import ReadingRing
import Synchronization

/// Assembles the health document every `health.interval_s` and publishes it: the health file,
/// the retained MQTT status topic, `/healthz` `/readyz` `/metrics`, and the systemd watchdog.
/// It reads only local state, so it keeps telling the truth while the uplink is down.
final class HealthPublisher: Sendable {
    /// The running configuration; a reload replaces it (interval, file, listener take effect then).
    private let configuration: Shared<AgentConfiguration>
    private let ring: RingAccess
    /// Signalled by a reload: the interval may have changed.
    private let reloaded = WakeSignal()
    private let uplinks: Shared<[UplinkEntry]>
    private let intake: Intake
    private let healthRows: HealthRows?
    private let recordIDs: RecordIDGenerator
    private let mqttConnected: @Sendable () -> Bool
    private let configError: Shared<HealthReport.ConfigErrorStatus?>
    private let logger: Logger
    private let latest: Shared<HealthSnapshot>
    private let server: Shared<HealthHTTPServer?>
    private let history: Mutex<History>

    private struct History {
        var previous: HealthReport?
        var stateSince = ReadingRing.now() / 1_000_000
        var everConnected = false
        var outageTracker: OutageTracker
        /// The ring's outages, oldest first, kept in step with what is saved.
        var outages: [OutageRecord]
    }

    init(
        configuration: Shared<AgentConfiguration>, ring: RingAccess, uplinks: Shared<[UplinkEntry]>, intake: Intake,
        healthRows: HealthRows?, recordIDs: RecordIDGenerator, configError: Shared<HealthReport.ConfigErrorStatus?>,
        mqttConnected: @escaping @Sendable () -> Bool, logger: Logger
    ) {
        self.healthRows = healthRows
        self.recordIDs = recordIDs
        self.configuration = configuration
        self.ring = ring
        self.uplinks = uplinks
        self.intake = intake
        self.configError = configError
        self.mqttConnected = mqttConnected
        self.logger = logger
        let settings = configuration.value
        let initial = HealthReport(
            gatewayID: settings.agent.gatewayID, state: .offline, since: ReadingRing.now() / 1_000_000,
            mqtt: .init(connected: false, messagesTotal: 0),
            zerobus: .init(connected: false, lastAckAt: nil, offlineForSeconds: 0, reconnectsTotal: 0, lastError: nil),
            buffer: .init(rows: 0, bytes: 0, maxBytes: Int(settings.buffer.maxBytes), fillRatio: 0, oldestAgeSeconds: 0,
                          droppedTotal: 0, quarantinedTotal: 0),
            tables: [], version: AgentRuntime.version)
        // Once, at start-up, before anything runs: read in place.
        let store = ring.ring
        let outages = (try? store.outages()) ?? []
        history = Mutex(History(
            outageTracker: OutageTracker(resuming: outages, now: Self.figures(
                rowsEverBuffered: (try? store.rowsEverBuffered()) ?? 0, stats: try? store.stats())),
            outages: outages))
        let latest = Shared(HealthSnapshot(report: initial, readiness: .notReady("starting")))
        self.latest = latest
        server = Shared(Self.makeServer(settings.health, latest: latest))
    }

    private static func makeServer(_ health: AgentConfiguration.Health, latest: Shared<HealthSnapshot>) -> HealthHTTPServer? {
        health.httpListen.flatMap { listen in
            (try? HealthListenAddress.parse(listen.description)).flatMap { address in
                address.map { HealthHTTPServer(address: $0, snapshot: { latest.value }) }
            }
        }
    }

    func startServer() throws(AgentError) {
        guard let server = server.value else { return }
        do {
            let port = try server.start()
            logger.info("health endpoint listening", metadata: ["port": "\(port)"])
        } catch {
            throw AgentError("\(error)")
        }
    }

    func stopServer() { server.value?.stop() }

    /// After a reload changed `health.http_listen` (the configuration is already the new one):
    /// the old listener closes first, so the same port can be bound again.
    func restartServer() {
        stopServer()
        server.withLock { $0 = Self.makeServer(configuration.value.health, latest: latest) }
        do {
            try startServer()
        } catch {
            logger.error("health endpoint cannot listen on the reloaded address", metadata: ["error": "\(error)"])
        }
    }

    /// Publishes every interval; pings the systemd watchdog at half its interval. Sleeps in
    /// between (an idle gateway wakes for nothing else here); a reload wakes it to take a new
    /// interval at once.
    func run(notifier: SystemdNotifier, publish: @escaping @Sendable (String) -> Void) async {
        let watchdog = notifier.watchdogInterval.map { $0 / 2 }
        var lastReport: ContinuousClock.Instant?
        while !Task.isCancelled {
            let seen = reloaded.generation
            let interval = configuration.value.health.interval
            if lastReport.map({ ContinuousClock.now >= $0 + interval }) ?? true {
                let snapshot = await refresh()
                writeFile(snapshot.report.jsonString())
                publish(snapshot.report.jsonString())
                await bufferHealthRow(snapshot.report)
                lastReport = ContinuousClock.now
            }
            if watchdog != nil { try? notifier.watchdog() }
            let untilReport = max((lastReport ?? .now) + interval - ContinuousClock.now, .zero)
            await reloaded.wait(after: seen, timeout: min(untilReport, watchdog ?? untilReport))
        }
    }

    /// After a reload: the next report follows the new interval.
    func configurationChanged() {
        reloaded.signal()
    }

    /// Data tables, tables a reload removed that still drain, then the health table: its rows
    /// are in `buffer.rows` too, so the tables add up.
    private var tableNames: [String] {
        uplinks.value.map(\.name)
    }

    /// Builds a fresh report from the ring, the intake and the uplinks.
    @discardableResult
    func refresh() async -> HealthSnapshot {
        let now = ReadingRing.now()
        let configuration = configuration.value
        var statuses: [UplinkStatus] = []
        for entry in uplinks.value { statuses.append(await entry.uplink.currentStatus()) }
        let (stats, rowsEverBuffered) = await ring.perform { ring in
            (try? ring.stats(now: now), (try? ring.rowsEverBuffered()) ?? 0)
        }
        let connected = !statuses.isEmpty && statuses.allSatisfy(\.connected)
        let lastAck = statuses.compactMap(\.lastAckAt).max()
        let downSince = statuses.filter { !$0.connected }.compactMap(\.disconnectedSince).min()
        // Unconfigured, the uplinks never run: the reason is the link's only error.
        let unconfiguredReason = configuration.unconfiguredReason
        let lastError = unconfiguredReason.map { "unconfigured: " + $0 } ?? statuses.compactMap(\.lastError).last

        await trackOutage(connected: connected, downSince: downSince, now: now,
                          figures: Self.figures(rowsEverBuffered: rowsEverBuffered, stats: stats),
                          configured: unconfiguredReason == nil)
        var report = history.withLock { history in
            HealthReport(
                gatewayID: configuration.agent.gatewayID, state: .online, since: history.stateSince,
                mqtt: .init(connected: mqttConnected(), messagesTotal: intake.counters.messages),
                zerobus: .init(
                    connected: connected, lastAckAt: lastAck.map { $0 / 1_000_000 },
                    offlineForSeconds: connected ? 0 : Int(max(0, now - (downSince ?? now)) / 1_000_000),
                    reconnectsTotal: statuses.reduce(0) { $0 + $1.reconnects }, lastError: connected ? nil : lastError),
                buffer: Self.buffer(stats, maxBytes: configuration.buffer.maxBytes, losses: ring.ring.openReport.losses),
                configError: configError.value,
                tables: Self.tables(stats, previous: history.previous, names: tableNames,
                                    backlogs: statuses.map(\.backlog), interval: configuration.health.interval),
                version: AgentRuntime.version)
        }
        report.outages = history.withLock { history in
            history.outages.suffix(HealthReport.outagesShown).map { outage in
                HealthReport.Outage(
                    start: outage.start / 1_000_000, end: outage.end.map { $0 / 1_000_000 },
                    durationSeconds: Int(max(0, (outage.end ?? now) - outage.start) / 1_000_000),
                    rowsBuffered: Int(outage.rowsBuffered), rowsDropped: Int(outage.rowsDropped))
            }
        }
        let clock = intake.clock.snapshot
        report.clock = HealthReport.ClockStatus(
            state: clock.state.rawValue, reason: clock.reason?.rawValue, since: clock.since / 1_000_000,
            lastStepSeconds: clock.lastStepMicros.map { Double($0) / 1_000_000 }, rowsUnsynced: clock.rowsUnsynced,
            rowsRebased: clock.rowsRebased, rowsNotRebased: clock.rowsNotRebased, uploadsHeld: clock.uploadsHeld)
        let snapshot = history.withLock { history -> HealthSnapshot in
            let verdict = HealthStateRule().evaluate(report, previous: history.previous, unconfiguredReason: unconfiguredReason)
            if let previous = history.previous, previous.state != verdict.state {
                history.stateSince = now / 1_000_000
            }
            report.state = verdict.state
            report.since = history.stateSince
            let readiness = HealthReadiness.evaluate(report, previous: history.previous)
            history.previous = report
            return HealthSnapshot(report: report, readiness: readiness)
        }
        latest.withLock { $0 = snapshot }
        return snapshot
    }

    /// Begins, grows or ends the current outage (see `OutageTracker`) and keeps it in the ring.
    /// Not while unconfigured: the uplinks do not run then, which is no outage of the cloud.
    private func trackOutage(
        connected: Bool, downSince: Int64?, now: Int64, figures: OutageTracker.Figures, configured: Bool
    ) async {
        guard configured else { return }
        let changed = history.withLock { history -> OutageRecord? in
            guard let record = history.outageTracker.observe(
                connected: connected, downSince: downSince, now: now, figures: figures) else { return nil }
            if let index = history.outages.lastIndex(where: { $0.start == record.start }) {
                history.outages[index] = record
            } else {
                history.outages.append(record)
                history.outages = Array(history.outages.suffix(ReadingRing.outagesKept))
                logger.warning("the cloud is out of reach: an outage began", metadata: [
                    "since": "\(Timestamps.rfc3339(microseconds: record.start))",
                ])
            }
            if let end = record.end {
                logger.notice("the outage ended", metadata: [
                    "duration_s": "\((end - record.start) / 1_000_000)", "rows_buffered": "\(record.rowsBuffered)",
                    "rows_dropped": "\(record.rowsDropped)",
                ])
            }
            return record
        }
        guard let changed else { return }
        do {
            try await ring.perform { try $0.saveOutage(changed) }
        } catch {
            logger.warning("cannot record the outage in the buffer", metadata: ["error": "\(error)"])
        }
    }

    private static func figures(rowsEverBuffered: Int64, stats: RingStats?) -> OutageTracker.Figures {
        OutageTracker.Figures(rowsEverBuffered: rowsEverBuffered, droppedTotal: stats?.droppedTotal ?? 0)
    }

    private func bufferHealthRow(_ report: HealthReport) async {
        guard let healthRows else { return }
        do {
            let row = try healthRows.row(for: report, at: ReadingRing.now(), recordID: recordIDs.next())
            _ = try await ring.perform { try $0.append([row]) }
        } catch {
            logger.warning("cannot buffer the health row", metadata: ["error": "\(error)"])
        }
    }

    func offlineDocument() -> String {
        #"{"state":"offline","gateway_id":"\#(configuration.value.agent.gatewayID)"}"#
    }

    /// The last document on disk says offline, with the final backlog, once the agent stopped.
    func writeFinal() async {
        var report = await refresh().report
        report.state = .offline
        report.mqtt.connected = false
        report.zerobus.connected = false
        writeFile(report.jsonString())
    }

    private func writeFile(_ document: String) {
        guard let path = configuration.value.health.file else { return }
        do {
            try AtomicFileWriter.write(path: path, contents: document + "\n", mode: 0o644)
        } catch {
            logger.warning("cannot write the health file", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }

    private static func buffer(
        _ stats: RingStats?, maxBytes: Int64, losses: (rows: Int, summary: String, damagedFiles: Int)?
    ) -> HealthReport.BufferStatus {
        guard let stats else {
            var status = HealthReport.BufferStatus(
                rows: 0, bytes: 0, maxBytes: Int(maxBytes), fillRatio: 0, oldestAgeSeconds: 0, droppedTotal: 0, quarantinedTotal: 0,
                lostAtStart: losses?.rows ?? 0, startRecovery: losses?.summary)
            status.damagedFilesAtStart = losses?.damagedFiles ?? 0
            return status
        }
        var status = HealthReport.BufferStatus(
            rows: stats.rows, bytes: Int(stats.bytesOnDisk), maxBytes: Int(stats.maxBytes), fillRatio: stats.fillRatio,
            oldestAgeSeconds: Int(stats.oldestAgeSeconds ?? 0), droppedTotal: Int(stats.droppedTotal),
            quarantinedTotal: Int(stats.quarantinedTotal), lostAtStart: losses?.rows ?? 0, startRecovery: losses?.summary)
        status.ledger = ledger(stats.ledger)
        status.damagedFilesAtStart = losses?.damagedFiles ?? 0
        return status
    }

    private static func tables(
        _ stats: RingStats?, previous: HealthReport?, names: [String], backlogs: [HealthReport.Backlog?],
        interval: Duration
    ) -> [HealthReport.TableStatus] {
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        return names.enumerated().map { index, name in
            let table = stats?.tables.first { $0.name == name }
            let acked = Int(table?.ackedTotal ?? 0)
            let before = previous?.tables.first { $0.name == name }?.ackedTotal ?? acked
            var status = HealthReport.TableStatus(
                name: name, rows: table?.rows ?? 0, ackedTotal: acked,
                ratePerSecond: seconds > 0 ? Double(max(0, acked - before)) / seconds : 0,
                droppedTotal: Int(table?.droppedTotal ?? 0), quarantinedTotal: Int(table?.quarantinedTotal ?? 0))
            if let table { status.ledger = ledger(table.ledger) }
            // Statuses were read from the uplinks in the same order as the names.
            status.backlog = index < backlogs.count ? backlogs[index] : nil
            return status
        }
    }

    private static func ledger(_ ring: LossLedger) -> HealthReport.Ledger {
        HealthReport.Ledger(
            droppedFull: Int(ring.droppedFull), droppedAgedOut: Int(ring.droppedAgedOut), droppedPurged: Int(ring.droppedPurged),
            quarantinedUnmappable: Int(ring.quarantinedUnmappable), quarantinedRejected: Int(ring.quarantinedRejected),
            resent: Int(ring.resent))
    }
}
