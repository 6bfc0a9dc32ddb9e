import Logging
import ReadingRing
import Testing
@testable import AgentServices

/// `RingAccess`: the intake's journal appends are drained on the ring's thread and wake the
/// subscribers once rows are in SQLite; reads and removals wake nobody.
@Suite struct RingAccessTests {
    private func openJournaled(_ dir: TemporaryDirectory) throws -> ReadingRing {
        try ReadingRing.open(RingConfiguration(path: dir.path + "/buffer.db", intakeJournal: true)).0
    }

    private func reading(_ n: Int, descriptor: Int64) -> NewRow {
        NewRow(table: "t", descriptorID: descriptor, recordID: "r\(n)", receivedAt: ReadingRing.now(), payload: [UInt8(n)])
    }

    @Test func journaledRowsAreDrainedAndSignalledWithoutPolling() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let ring = try openJournaled(dir)
        let access = try RingAccess(ring: ring, logger: Logger(label: "test"))
        let descriptor = try await access.perform { try $0.descriptorID(table: "t", descriptor: [1, 2, 3]) }
        let rowsArrived = WakeSignal()
        access.changes.subscribe(rowsArrived)
        // The first check after subscribing sets the mark; it is not a change of rows.
        _ = try await access.perform { try $0.pending(table: "t", after: 0, maxRecords: 10, maxBytes: 1 << 20) }
        let seen = rowsArrived.generation
        for n in 0..<3 {
            #expect(try ring.journal([reading(n, descriptor: descriptor)], delivery: nil) == .accepted)
            access.journalAppended()
        }
        #expect(await rowsArrived.wait(after: seen, timeout: .seconds(10)))
        let rows = try await access.perform { try $0.pending(table: "t", after: 0, maxRecords: 10, maxBytes: 1 << 20) }
        #expect(rows.map(\.recordID) == ["r0", "r1", "r2"])  // one drain took all three

        let afterDrain = rowsArrived.generation
        _ = try await access.perform { try $0.remove(ids: rows.map(\.id)) }
        #expect(rowsArrived.generation == afterDrain)
        access.stop()
        try ring.close()
    }

    @Test func rowsAppendedThroughPerformSignalToo() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let ring = try openJournaled(dir)
        let access = try RingAccess(ring: ring, logger: Logger(label: "test"))
        let descriptor = try await access.perform { try $0.descriptorID(table: "t", descriptor: [1]) }
        let rowsArrived = WakeSignal()
        access.changes.subscribe(rowsArrived)
        let seen = rowsArrived.generation
        _ = try await access.perform { try $0.append([reading(1, descriptor: descriptor)]) }
        #expect(rowsArrived.generation != seen)
        access.changes.unsubscribe(rowsArrived)
        let unsubscribed = rowsArrived.generation
        _ = try await access.perform { try $0.append([reading(2, descriptor: descriptor)]) }
        #expect(rowsArrived.generation == unsubscribed)
        access.stop()
        try ring.close()
    }
}
