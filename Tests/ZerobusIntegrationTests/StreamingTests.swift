import Foundation
import GRPCTransport
import Testing
import ZerobusClient

/// ZerobusClient against the local emulator over both transports: everything sent arrives
/// decoded, in order, and acks reach the caller.
@Suite(.serialized) struct StreamingTests {
    enum Transport: String, CaseIterable { case tls, h2c }

    private func client(_ emulator: Emulator, _ transport: Transport) throws -> ZerobusClient {
        try ZerobusClient(endpoint: transport == .tls ? emulator.tlsURL : emulator.grpcURL, transport: emulator.transport)
    }

    @Test(arguments: Transport.allCases)
    func hundredThousandRowsInBatchesArriveDecodedAndInOrder(transport: Transport) async throws {
        let emulator = try Emulator()
        defer { emulator.stop() }
        let stream = try await client(emulator, transport).createStream(
            table: TestRows.table, format: TestRows.format, headers: BearerTokenProvider(token: "t"))

        let batches = TestRows.batches(count: 100_000, batchSize: 500)
        var lastOffset: Int64 = -1
        for batch in batches {
            lastOffset = try await stream.ingest(batch: batch) ?? lastOffset
        }
        #expect(lastOffset == Int64(batches.count - 1))
        try await stream.flush()
        #expect(await stream.lastAckedOffset == lastOffset)
        let statistics = await stream.statistics
        #expect(statistics.recordsAcked == 100_000)
        try await stream.close()

        let records = try emulator.records(table: TestRows.table)
        #expect(TestRows.ids(of: records) == Array(0..<100_000))
        let sample = try #require(records.dropFirst(4321).first)
        #expect(sample["device"] as? String == "device-\(4321 % 7)")
        #expect(sample["value"] as? Double == 4321 * 0.5)
        #expect(sample["tags"] as? [String] == ["t\(4321 % 3)"])
        #expect((sample["location"] as? [String: Any])?["lat"] as? Double == 52.5)
    }

    @Test func singleRecordsAndWaitForOffset() async throws {
        let emulator = try Emulator()
        defer { emulator.stop() }
        let stream = try await client(emulator, .h2c).createStream(
            table: TestRows.table, format: TestRows.format, headers: BearerTokenProvider(token: "t"))
        var offsets: [Int64] = []
        for id in 0..<50 { offsets.append(try await stream.ingest(TestRows.row(id))) }
        #expect(offsets == Array(0..<50))
        try await stream.waitForOffset(49)
        #expect(await stream.lastAckedOffset == 49)
        try await stream.close()
        #expect(TestRows.ids(of: try emulator.records(table: TestRows.table)) == Array(0..<50))
    }

    @Test func jsonRecords() async throws {
        let emulator = try Emulator()
        defer { emulator.stop() }
        let stream = try await client(emulator, .tls).createStream(
            table: "main.iot.events", format: .json, headers: BearerTokenProvider(token: "t"))
        try await stream.ingest(json: #"{"id": 1, "kind": "boot"}"#)
        try await stream.ingest(jsonBatch: [#"{"id": 2}"#, #"{"id": 3}"#])
        try await stream.close()
        let records = try emulator.records(table: "main.iot.events")
        #expect(records.compactMap { $0["id"] as? Int } == [1, 2, 3])
        #expect(records.first?["kind"] as? String == "boot")
    }

    @Test func oversizedRequestIsRejectedBeforeSending() async throws {
        let emulator = try Emulator()
        defer { emulator.stop() }
        let stream = try await client(emulator, .h2c).createStream(
            table: TestRows.table, format: TestRows.format, headers: BearerTokenProvider(token: "t"))
        let big = [UInt8](repeating: 0x41, count: 6 * 1024 * 1024)
        await #expect(throws: ZerobusError.self) { try await stream.ingest(batch: [big, big]) }
        // The stream stays usable.
        try await stream.ingest(TestRows.row(7))
        try await stream.close()
        #expect(TestRows.ids(of: try emulator.records(table: TestRows.table)) == [7])
    }

    @Test func ingestAfterCloseFails() async throws {
        let emulator = try Emulator()
        defer { emulator.stop() }
        let stream = try await client(emulator, .h2c).createStream(
            table: TestRows.table, format: TestRows.format, headers: BearerTokenProvider(token: "t"))
        try await stream.close()
        try await stream.close()  // idempotent
        await #expect(throws: ZerobusError.self) { try await stream.ingest(TestRows.row(1)) }
    }
}
