import Foundation
import GRPCTransport
import TestSupport
import Testing
@testable import ZerobusClient

/// Failures injected by the emulator: the client recovers without loss where the protocol
/// allows it, and surfaces the rest once.
@Suite(.serialized) struct RecoveryTests {
    /// Time on `clock` stands still unless a test advances it: no deadline expires because the
    /// machine is slow, and the tests about deadlines step through them without waiting. The
    /// backoff is zero so a reconnect never waits on a clock nobody advances.
    private func fastConfiguration(_ clock: ManualClock = ManualClock()) -> StreamConfiguration {
        var configuration = StreamConfiguration()
        configuration.clock = clock
        configuration.recovery = RecoveryPolicy(
            enabled: true, backoff: BackoffPolicy(initial: .zero, maximum: .zero), maxAttempts: 10)
        configuration.ackTimeout = .seconds(1)
        configuration.flushTimeout = .seconds(30)
        return configuration
    }

    /// Flushes in a task of its own, returned once the stream holds the flush's waiter: its
    /// deadline is then fixed on the clock before the test moves time. The actor takes the
    /// waiter within a few turns, so this yields rather than sleeps.
    private func startFlush(_ stream: ZerobusStream) async -> Task<Void, any Error> {
        let flushing = Task { try await stream.flush() }
        while await stream.offsetWaiters.isEmpty { await Task.yield() }
        return flushing
    }

    /// A backoff of exactly `delay` (no jitter), for tests that step through it.
    private func fixedBackoff(_ delay: Duration) -> BackoffPolicy {
        BackoffPolicy(initial: delay, maximum: delay, jitter: false)
    }

    private func openStream(
        _ emulator: Emulator, configuration: StreamConfiguration? = nil, tls: Bool = false
    ) async throws -> ZerobusStream {
        let client = try ZerobusClient(endpoint: tls ? emulator.tlsURL : emulator.grpcURL, transport: emulator.transport)
        return try await client.createStream(
            table: TestRows.table, format: TestRows.format, headers: BearerTokenProvider(token: "t"),
            configuration: configuration ?? fastConfiguration())
    }

    private func ingestAll(_ stream: ZerobusStream, count: Int, batchSize: Int = 100) async throws {
        for batch in TestRows.batches(count: count, batchSize: batchSize) {
            try await stream.ingest(batch: batch)
        }
    }

    /// Acked ids, deduplicated in first-seen order (a resend after a lost ack may duplicate).
    private func distinctIDs(_ emulator: Emulator) throws -> [Int] {
        var seen = Set<Int>()
        return TestRows.ids(of: try emulator.records(table: TestRows.table)).filter { seen.insert($0).inserted }
    }

    @Test(arguments: [false, true])
    func unavailableMidStreamRecoversWithoutLossInOrder(tls: Bool) async throws {
        let emulator = try Emulator(["--fault", "unavailable_after_records=2500"])
        defer { emulator.stop() }
        let stream = try await openStream(emulator, tls: tls)
        try await ingestAll(stream, count: 10_000)
        try await stream.flush()
        let statistics = await stream.statistics
        try await stream.close()

        #expect(statistics.recoveries == 1)
        #expect(try distinctIDs(emulator) == Array(0..<10_000))
        let stats = try await emulator.stats()
        #expect(stats["opens"] as? Int == 2)
        // The request that reached record 2,500 was on the wire unacked, so it was resent; every
        // duplicate the server kept is among the records counted as resent.
        #expect(statistics.recordsResent >= 100)
        let duplicates = try emulator.records(table: TestRows.table).count - 10_000
        #expect(duplicates <= statistics.recordsResent)
    }

    @Test func closeStreamSignalRotatesToANewRPC() async throws {
        // The client's close deadline runs on the manual clock, which this test never advances,
        // so the client always rotates on its acks however loaded the machine. The emulator
        // ends the old RPC after the duration in real time, so that stays generous: 300 ms was
        // sometimes too short on a loaded 2-core machine, turning the rotation into a recovery.
        let emulator = try Emulator([
            "--fault", "close_signal_after_records=3000", "--fault", "close_signal_duration_ms=5000",
        ])
        defer { emulator.stop() }
        let stream = try await openStream(emulator)
        try await ingestAll(stream, count: 10_000)
        try await stream.flush()
        // Whatever was still in flight when the signal came may have been acked on the old RPC;
        // records ingested now can only travel on the new one.
        for batch in TestRows.batches(count: 100, batchSize: 10, startingAt: 10_000) {
            try await stream.ingest(batch: batch)
        }
        try await stream.flush()
        let statistics = await stream.statistics
        try await stream.close()

        #expect(statistics.rotations == 1)
        #expect(statistics.recoveries == 0)
        #expect(try distinctIDs(emulator) == Array(0..<10_100))
        let stats = try await emulator.stats()
        #expect(stats["close_signals"] as? Int == 1)
        #expect(stats["creates"] as? Int == 2)
    }

    @Test func missingAcksTimeOutAndTheStreamRecoversOnceAcksFlowAgain() async throws {
        let emulator = try Emulator(["--fault", "withhold_acks=true"])
        defer { emulator.stop() }
        let clock = ManualClock()
        var configuration = fastConfiguration(clock)
        configuration.ackTimeout = .milliseconds(400)
        configuration.flushTimeout = .seconds(2)
        configuration.recovery.backoff = fixedBackoff(.seconds(5))
        configuration.recovery.maxAttempts = nil
        let stream = try await openStream(emulator, configuration: configuration)
        try await ingestAll(stream, count: 1000)
        let flushing = await startFlush(stream)

        // Half the ack timeout passes: the timer checks, and nothing happens.
        await clock.sleepers(atLeast: 1)
        clock.advance(by: .milliseconds(200))
        await clock.sleepers(atLeast: 1)  // the timer has checked and sleeps again
        #expect(await stream.statistics.recoveries == 0)

        // Past it, the stream recovers; its reopen is refused once, so it then waits out its backoff.
        try await emulator.setFaults(["fail_create_with_status": 14, "fail_create_times": 1])
        clock.advance(by: .milliseconds(300))
        await clock.sleepers(atLeast: 2)  // the timer, and the backoff before the next reopen
        #expect(await stream.statistics.recoveries == 1)

        // The flush deadline passes while the stream still waits to reconnect.
        clock.advance(by: .milliseconds(1600))
        let error = await #expect(throws: ZerobusError.self) { try await flushing.value }
        #expect(error?.code == .flushTimeout)

        // Acks flow again once the emulator has finished with the abandoned RPC (a loaded
        // emulator may still be reading its requests, and would store them out of order);
        // the backoff ends and the new RPC resends every unacked request.
        while try await emulator.stats()["active_streams"] as? Int != 0 { await Task.yield() }
        try await emulator.setFaults(["withhold_acks": false])
        clock.advance(by: .seconds(5))
        try await stream.flush()
        try await stream.close()
        #expect(await stream.statistics.recoveries == 1)
        #expect(try distinctIDs(emulator) == Array(0..<1000))
        let stats = try await emulator.stats()
        #expect(stats["creates"] as? Int == 2)
    }

    @Test func nonRetryableStatusAtCreateSurfacesOnceWithoutRetries() async throws {
        let emulator = try Emulator(["--fault", "fail_create_with_status=5"])
        defer { emulator.stop() }
        let error = await #expect(throws: ZerobusError.self) { _ = try await openStream(emulator) }
        #expect(error?.code == .grpcStatus(.notFound))
        #expect(error?.isRetryable == false)
        let stats = try await emulator.stats()
        #expect(stats["opens"] as? Int == 1)
    }

    @Test func nonRetryableStatusMidStreamFailsTheStreamAndReturnsUnackedRecords() async throws {
        let emulator = try Emulator(["--fault", "fail_status_after_records=[500,3]"])
        defer { emulator.stop() }
        let stream = try await openStream(emulator)
        var thrown: (any Error)?
        do {
            try await ingestAll(stream, count: 2000)
            try await stream.flush()
        } catch {
            thrown = error
        }
        let error = try #require(thrown as? ZerobusError)
        #expect(error.code == .grpcStatus(.invalidArgument))
        #expect(await stream.failure == error)

        // Acked plus unacked is everything that was ingested, with nothing duplicated.
        let acked = TestRows.ids(of: try emulator.records(table: TestRows.table))
        let unacked = await stream.unackedBatches().flatMap { $0 }
        let ingested = Int(await stream.statistics.recordsQueued)
        #expect(acked.count + unacked.count == ingested)
        #expect(acked == Array(0..<acked.count))
        #expect(unacked.first == TestRows.row(acked.count))
        let stats = try await emulator.stats()
        #expect(stats["opens"] as? Int == 1)
        await #expect(throws: ZerobusError.self) { try await stream.close() }
    }

    @Test func recoveryGivesUpAfterItsAttemptBudget() async throws {
        let emulator = try Emulator()
        defer { emulator.stop() }
        let clock = ManualClock()
        var configuration = fastConfiguration(clock)
        configuration.recovery.backoff = fixedBackoff(.seconds(1))
        configuration.recovery.maxAttempts = 3
        let stream = try await openStream(emulator, configuration: configuration)
        try await emulator.setFaults(["fail_create_with_status": 14, "unavailable_after_records": 1])
        try await stream.ingest(TestRows.row(1))
        let flushing = await startFlush(stream)
        // Three reopen attempts with a backoff between each two, waited out on the clock.
        for _ in 0..<2 {
            await clock.sleepers(atLeast: 2)  // the timer, and the backoff
            clock.advance(by: .seconds(1))
        }
        await #expect(throws: ZerobusError.self) { try await flushing.value }
        #expect(await stream.failure?.code == .grpcStatus(.unavailable))
        #expect(await stream.unackedBatches() == [[TestRows.row(1)]])
        let stats = try await emulator.stats()
        #expect(stats["opens"] as? Int == 4)  // the first RPC plus three failed reopen attempts
    }
}
