import Foundation
import GRPCTransport
import Testing
import ZerobusClient

/// Failures injected by the emulator: the client recovers without loss where the protocol
/// allows it, and surfaces the rest once.
@Suite(.serialized) struct RecoveryTests {
    private func fastConfiguration() -> StreamConfiguration {
        var configuration = StreamConfiguration()
        configuration.recovery = RecoveryPolicy(
            enabled: true, backoff: BackoffPolicy(initial: .milliseconds(50), maximum: .milliseconds(500)), maxAttempts: 10)
        configuration.ackTimeout = .seconds(1)
        configuration.flushTimeout = .seconds(30)
        return configuration
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
        // A generous close deadline: the client rotates as soon as its in-flight requests are
        // acked; 300 ms was sometimes too short on a loaded 2-core machine, which turned the
        // rotation into a recovery (the case the deadline exists for, tested on its own).
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
        var configuration = fastConfiguration()
        configuration.ackTimeout = .milliseconds(400)
        configuration.flushTimeout = .seconds(2)
        configuration.recovery.maxAttempts = nil
        let stream = try await openStream(emulator, configuration: configuration)
        try await ingestAll(stream, count: 1000)

        await #expect(throws: ZerobusError.self) { try await stream.flush() }
        #expect(await stream.statistics.recoveries >= 1)

        try await emulator.setFaults(["withhold_acks": false])
        try await stream.flush()
        try await stream.close()
        #expect(try distinctIDs(emulator) == Array(0..<1000))
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
        var configuration = fastConfiguration()
        configuration.recovery.maxAttempts = 3
        let stream = try await openStream(emulator, configuration: configuration)
        try await emulator.setFaults(["fail_create_with_status": 14, "unavailable_after_records": 1])
        try await stream.ingest(TestRows.row(1))
        await #expect(throws: ZerobusError.self) { try await stream.flush() }
        #expect(await stream.failure?.code == .grpcStatus(.unavailable))
        #expect(await stream.unackedBatches() == [[TestRows.row(1)]])
        let stats = try await emulator.stats()
        #expect(stats["opens"] as? Int == 4)  // the first RPC plus three failed reopen attempts
    }
}
