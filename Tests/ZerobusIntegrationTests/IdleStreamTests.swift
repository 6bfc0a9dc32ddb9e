import TestSupport
import Testing
@testable import ZerobusClient

/// An idle stream (everything acked, nobody waiting) sets no timer: a gateway whose sensors are
/// quiet should sleep, not wake every few milliseconds per table.
@Suite(.serialized) struct IdleStreamTests {
    private func timerRunning(_ stream: ZerobusStream) async -> Bool {
        await stream.tickTask != nil
    }

    /// The timer ends at its first tick with no deadline pending: lets that tick come and
    /// waits for the timer to end.
    private func expectTimerStops(_ stream: ZerobusStream, _ clock: ManualClock) async throws {
        let timer = try #require(await stream.tickTask, "time stood still, so the timer has not ticked yet")
        await clock.sleepers(atLeast: 1)
        clock.advance(by: .milliseconds(250))  // the longest tick interval
        await timer.value
        #expect(await !timerRunning(stream))
    }

    @Test func theTimerStopsOnceEverythingIsAckedAndStartsWithTheNextRequest() async throws {
        let emulator = try Emulator()
        defer { emulator.stop() }
        let clock = ManualClock()
        var configuration = StreamConfiguration()
        configuration.clock = clock
        let client = try ZerobusClient(endpoint: emulator.grpcURL, transport: emulator.transport)
        let stream = try await client.createStream(
            table: TestRows.table, format: TestRows.format, headers: BearerTokenProvider(token: "t"),
            configuration: configuration)
        for batch in TestRows.batches(count: 100, batchSize: 10) { try await stream.ingest(batch: batch) }
        try await stream.flush()
        try await expectTimerStops(stream, clock)

        // Sending starts the ack deadline again, and its timer with it.
        for batch in TestRows.batches(count: 10, batchSize: 10, startingAt: 100) { try await stream.ingest(batch: batch) }
        #expect(await timerRunning(stream), "a request in flight must have its ack deadline watched")
        try await stream.flush()
        try await expectTimerStops(stream, clock)
        try await stream.close()
        #expect(TestRows.ids(of: try emulator.records(table: TestRows.table)) == Array(0..<110))
    }
}
