import Logging
import ServiceLifecycle
import UnixSignals

/// The agent's jobs as one `ServiceGroup`. It starts them in this order and, on SIGTERM/SIGINT,
/// shuts them down gracefully one after another in the reverse order:
///
/// 1. `Housekeeping`: bounds of the ring, CLI requests, resuming a paused intake.
/// 2. `HealthService`: health file, MQTT status, HTTP endpoint, systemd watchdog. It outlives the
///    uplinks so the watchdog is fed while they flush and the final document has the final backlog.
/// 3. `UplinksService`: every table's uplink flushes what is in flight.
/// 4. `IntakeService`: MQTT intake, stopped first (then the journal is drained into the ring).
/// 5. `SignalService`: SIGHUP reloads; SIGTERM/SIGINT end it, which starts the shutdown.
///
/// The whole graceful shutdown is bounded (`shutdownBound`): past it the group cancels what is
/// left, which aborts the uplinks' streams (their rows stay in the ring). The ring is not a
/// service: it is opened before the group and closed after it, so it closes last even when the
/// bound cancelled the rest all at once.
extension AgentRuntime {
    /// How long a graceful shutdown may take before what is left is cancelled.
    static let shutdownBound: Duration = .seconds(5)

    /// A group running `services` with the agent's shutdown bound. No signals of its own:
    /// `SignalService` ends the group, from signals trapped when the process started.
    static func serviceGroup(
        _ services: [any Service], bound: Duration = shutdownBound, logger: Logger
    ) -> ServiceGroup {
        var configuration = ServiceGroupConfiguration(
            services: services.map { service in
                var entry = ServiceGroupConfiguration.ServiceConfiguration(service: service)
                // Otherwise a service that returns cancels the group, an error (exit code 1).
                if service is any StartsShutdown { entry.successTerminationBehavior = .gracefullyShutdownGroup }
                return entry
            }, logger: logger)
        configuration.maximumGracefulShutdownDuration = bound
        return ServiceGroup(configuration: configuration)
    }

    func services(signals: TrappedSignals, configPath: String?, notifier: SystemdNotifier) -> [any Service] {
        [
            Housekeeping(runtime: self),
            HealthService(runtime: self, notifier: notifier),
            UplinksService(uplinks: uplinks, logger: logger),
            IntakeService(runtime: self, notifier: notifier),
            SignalService(runtime: self, signals: signals, configPath: configPath),
        ]
    }
}

/// Runs the housekeeping loop until the shutdown reaches it, i.e. after the uplinks stopped.
struct Housekeeping: Service {
    let runtime: AgentRuntime

    func run() async {
        await cancelWhenGracefulShutdown { await runtime.housekeeping() }
    }
}

/// Publishes health until the shutdown reaches it, then writes the final (offline) document.
struct HealthService: Service {
    let runtime: AgentRuntime
    let notifier: SystemdNotifier

    func run() async {
        let runtime = runtime
        let notifier = notifier
        await cancelWhenGracefulShutdown {
            await runtime.health.run(notifier: notifier, publish: { runtime.publishStatus($0) })
        }
        await runtime.health.writeFinal()
        runtime.health.stopServer()
    }
}

/// Every uplink as one service, for two reasons: a reload starts and ends uplinks while the
/// agent runs, and a service added to a running group would be shut down before the intake;
/// and the group shuts services down one after another, where the uplinks flush together.
struct UplinksService: Service {
    let uplinks: Shared<[UplinkEntry]>
    let logger: Logger

    func run() async {
        // Throws when the group was cancelled instead: the stop below then aborts at once.
        try? await gracefulShutdown()
        // The group's bound normally cancels this wait first; this one bounds it on its own.
        if await !UplinkEntry.stop(uplinks.value, within: AgentRuntime.shutdownBound) {
            // A server that does not ack must not hold the shutdown: the ring keeps those rows.
            logger.warning("in-flight batches not acknowledged in time; they stay buffered for the next start")
        }
    }
}

/// Starts MQTT intake (and tells systemd the agent is ready); stops it first at shutdown.
struct IntakeService: Service {
    let runtime: AgentRuntime
    let notifier: SystemdNotifier

    func run() async {
        runtime.startIntake()
        try? notifier.ready()
        let tables = runtime.intake.currentRoutes.count + (runtime.healthRows == nil ? 0 : 1)
        runtime.logger.info("zerobus-edge running", metadata: [
            "version": "\(AgentRuntime.version)", "tables": "\(tables)",
            "gateway_id": "\(runtime.configuration.value.agent.gatewayID)",
        ])
        try? await gracefulShutdown()
        try? notifier.stopping()
        await runtime.stopIntake()
    }
}

/// A service whose end is the agent's normal way to stop: the group then shuts down gracefully.
protocol StartsShutdown: Service {}

/// SIGHUP reloads the configuration (one reload at a time, none once the shutdown began);
/// SIGTERM or SIGINT ends this service, and with it the group, gracefully.
struct SignalService: StartsShutdown {
    let runtime: AgentRuntime
    let signals: TrappedSignals
    let configPath: String?

    func run() async {
        for await signal in signals.sequence.cancelOnGracefulShutdown() {
            guard signal == .sighup else {
                runtime.logger.info("stopping", metadata: ["signal": "\(signal)"])
                return
            }
            if let configPath {
                await runtime.reloadConfiguration(path: configPath)
            } else {
                runtime.logger.notice("SIGHUP: no configuration file to reload")
            }
        }
    }
}
