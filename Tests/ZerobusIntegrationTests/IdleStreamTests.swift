import Testing
@testable import ZerobusClient

/// An idle stream (everything acked, nobody waiting) sets no timer: a gateway whose sensors are
/// quiet should sleep, not wake every few milliseconds per table.
@Suite(.serialized) struct IdleStreamTests {
    private func timerRunning(_ stream: ZerobusStream) async -> Bool {
        await stream.tickTask != nil
    }

    /// Polls `condition` until it holds or `seconds` pass (the timer ends at its next tick).
    private func eventually(_ seconds: Int, _ condition: () async -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return await condition()
    }

    @Test func theTimerStopsOnceEverythingIsAckedAndStartsWithTheNextRequest() async throws {
        let emulator = try Emulator()
        defer { emulator.stop() }
        let client = try ZerobusClient(endpoint: emulator.grpcURL, transport: emulator.transport)
        let stream = try await client.createStream(
            table: TestRows.table, format: TestRows.format, headers: BearerTokenProvider(token: "t"))
        for batch in TestRows.batches(count: 100, batchSize: 10) { try await stream.ingest(batch: batch) }
        try await stream.flush()
        #expect(try await eventually(5) { await !timerRunning(stream) })

        // Sending starts the ack deadline again, and its timer with it.
        for batch in TestRows.batches(count: 10, batchSize: 10, startingAt: 100) { try await stream.ingest(batch: batch) }
        let running = await timerRunning(stream)
        let acked = await stream.lastAckedOffset == 10
        #expect(running || acked, "a request in flight must have its ack deadline watched")
        try await stream.flush()
        #expect(try await eventually(5) { await !timerRunning(stream) })
        try await stream.close()
        #expect(TestRows.ids(of: try emulator.records(table: TestRows.table)) == Array(0..<110))
    }
}
