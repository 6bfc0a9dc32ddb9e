@testable import AgentServices
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// The group the agent runs its jobs in (`AgentRuntime.serviceGroup`): the order services stop
/// in, what starts a shutdown, and the bound that cuts off a service that does not stop.
@Suite struct AgentLifecycleTests {
    @Test func triggeredShutdown_stopsServicesInReverseOrder() async throws {
        let log = EventLog()
        let (started, starts) = AsyncStream.makeStream(of: String.self)
        let names = ["ring", "health", "uplinks", "intake"]
        let group = AgentRuntime.serviceGroup(
            names.map { StopsGracefully(name: $0, log: log, started: starts) }, logger: Self.logger)

        async let running: Void = group.run()
        await Self.waitForStarts(names.count, of: started)
        await group.triggerGracefulShutdown()
        try await running

        #expect(log.events == ["stopped intake", "stopped uplinks", "stopped health", "stopped ring"])
    }

    /// What `SignalService` does on SIGTERM: it returns, and the others stop, newest first.
    @Test func lastServiceReturning_shutsTheOthersDownInReverseOrder() async throws {
        let log = EventLog()
        let (started, starts) = AsyncStream.makeStream(of: String.self)
        let (signals, signal) = AsyncStream.makeStream(of: Void.self)
        let group = AgentRuntime.serviceGroup([
            StopsGracefully(name: "ring", log: log, started: starts),
            StopsGracefully(name: "intake", log: log, started: starts),
            EndsOnSignal(signals: signals, log: log),
        ], logger: Self.logger)

        async let running: Void = group.run()
        await Self.waitForStarts(2, of: started)
        #expect(log.events.isEmpty)
        signal.yield()
        try await running

        #expect(log.events == ["signal", "stopped intake", "stopped ring"])
    }

    @Test(.timeLimit(.minutes(1)))
    func serviceIgnoringShutdown_isCancelledAtTheBound_withTheServicesBeforeIt() async throws {
        let log = EventLog()
        let (started, starts) = AsyncStream.makeStream(of: String.self)
        let bound = Duration.milliseconds(300)
        let group = AgentRuntime.serviceGroup([
            StopsGracefully(name: "ring", log: log, started: starts),
            IgnoresShutdown(log: log, started: starts),
            StopsGracefully(name: "intake", log: log, started: starts),
        ], bound: bound, logger: Self.logger)

        async let running: Void = group.run()
        await Self.waitForStarts(3, of: started)
        let shutdownBegan = ContinuousClock.now
        await group.triggerGracefulShutdown()
        try await running
        let took = ContinuousClock.now - shutdownBegan

        #expect(log.events.first == "stopped intake")
        // Past the bound the group cancels whatever is left, all at once.
        #expect(Set(log.events.dropFirst()) == ["cancelled stubborn", "cancelled ring"])
        #expect(took >= bound)
        #expect(took < .seconds(30))
    }

    private static let logger = Logger(label: "lifecycle-test")

    private static func waitForStarts(_ count: Int, of started: AsyncStream<String>) async {
        var iterator = started.makeAsyncIterator()
        for _ in 0..<count { _ = await iterator.next() }
    }
}

/// What the services did, in the order they did it.
private final class EventLog: Sendable {
    private let entries = Mutex<[String]>([])
    var events: [String] { entries.withLock { $0 } }
    func append(_ event: String) { entries.withLock { $0.append(event) } }
}

/// Runs until its turn to stop comes, as the agent's services do.
private struct StopsGracefully: Service {
    let name: String
    let log: EventLog
    let started: AsyncStream<String>.Continuation

    func run() async {
        started.yield(name)
        do {
            try await gracefulShutdown()
            log.append("stopped \(name)")
        } catch {
            log.append("cancelled \(name)")
        }
    }
}

/// A job that goes on regardless of a graceful shutdown, like an uplink whose server never acks.
private struct IgnoresShutdown: Service {
    let log: EventLog
    let started: AsyncStream<String>.Continuation

    func run() async {
        started.yield("stubborn")
        try? await Task.sleep(for: .seconds(3600))
        log.append(Task.isCancelled ? "cancelled stubborn" : "finished stubborn")
    }
}

/// Returns at the first element of `signals`, as `SignalService` does at SIGTERM.
private struct EndsOnSignal: StartsShutdown {
    let signals: AsyncStream<Void>
    let log: EventLog

    func run() async {
        for await _ in signals {
            log.append("signal")
            return
        }
    }
}
