import ReadingRing
import Testing

/// What the clock re-base needs of the ring: the newest stamp, a hold on uploads, and
/// rewriting rows in place.
@Suite struct ReadingRingClockTests {
    @Test func holdHidesPendingRowsUntilReleased() throws {
        let dir = try TemporaryDirectory()
        let (ring, _) = try ReadingRing.open(dir.configuration())
        #expect(try ring.newestReceivedAt() == nil)
        let table = try ring.descriptorID(table: "main.a", descriptor: descriptorBytes(1))
        _ = try ring.append((0..<3).map { row($0, table: "main.a", descriptor: table) })
        #expect(try ring.newestReceivedAt() == testEpoch + 2)
        ring.holdUploads(true)
        #expect(try ring.pending(table: "main.a", after: 0, maxRecords: 10, maxBytes: 1 << 20).isEmpty)
        ring.holdUploads(false)
        #expect(try ring.pending(table: "main.a", after: 0, maxRecords: 10, maxBytes: 1 << 20).count == 3)
    }

    @Test func rewriteKeepsIdsAndOrder() throws {
        let dir = try TemporaryDirectory()
        let (ring, _) = try ReadingRing.open(dir.configuration())
        let table = try ring.descriptorID(table: "main.a", descriptor: descriptorBytes(1))
        _ = try ring.append((0..<5).map { row($0, table: "main.a", descriptor: table, receivedAt: 60_000_000) })
        let before = try ring.lastRowID()
        _ = try ring.append([row(9, table: "main.a", descriptor: table)])
        // Only rows after `before` and stamped in the range are candidates.
        #expect(try ring.rows(after: before, stampedIn: 0...100_000_000).isEmpty)
        let candidates = try ring.rows(after: 0, stampedIn: 0...100_000_000)
        #expect(candidates.map(\.recordID) == (0..<5).map { "rec-\($0)" })
        #expect(candidates.allSatisfy { $0.table == "main.a" })
        // Batches continue after the last id of the previous one.
        let first = try ring.rows(after: 0, stampedIn: 0...100_000_000, limit: 2)
        let next = try ring.rows(after: first.last!.id, stampedIn: 0...100_000_000, limit: 2)
        #expect((first + next).map(\.recordID) == ["rec-0", "rec-1", "rec-2", "rec-3"])
        let changed = try ring.rewrite(candidates.map { ($0.id, $0.receivedAt + 1_000, [7]) } + [(id: 999, receivedAt: 1, payload: [])])
        #expect(changed == 5)
        let pending = try ring.pending(table: "main.a", after: 0, maxRecords: 10, maxBytes: 1 << 20)
        #expect(pending.map(\.id) == candidates.map(\.id) + [before + 1])
        #expect(pending.prefix(5).allSatisfy { $0.receivedAt == 60_000_000 + Int64($0.recordID.dropFirst(4))! + 1_000 && $0.payload == [7] })
    }

    @Test func trustedMarkOnlyMovesForwardAndNotesRoundTrip() throws {
        let dir = try TemporaryDirectory()
        do {
            let (ring, _) = try ReadingRing.open(dir.configuration())
            #expect(try ring.trustedClockMark() == nil)
            try ring.saveTrustedClockMark(2_000)
            try ring.saveTrustedClockMark(1_000)
            let notes = [
                ClockNote(recordID: "a", mono: 5, rows: 2, receivedAt: 60, bootID: "boot-1"),
                ClockNote(recordID: "b", mono: 6, rows: 1, receivedAt: 61, bootID: "boot-1"),
            ]
            try ring.saveClockNotes(notes)
            try ring.close()
        }
        let (ring, _) = try ReadingRing.open(dir.configuration())
        #expect(try ring.trustedClockMark() == 2_000)
        #expect(try ring.clockNotes().sorted { $0.recordID < $1.recordID }.map(\.recordID) == ["a", "b"])
        #expect(try ring.clockNotes().first { $0.recordID == "a" } == ClockNote(recordID: "a", mono: 5, rows: 2, receivedAt: 60, bootID: "boot-1"))
        try ring.removeClockNotes(["a"])
        #expect(try ring.clockNotes().map(\.recordID) == ["b"])
    }
}
