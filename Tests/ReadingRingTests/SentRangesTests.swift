import ReadingRing
import SQLite
import Testing

/// Sent ranges: what a run put on the wire survives a reopen (a kill -9 leaves it unacked), stale
/// ranges go once their rows are gone, and resends add to the persistent `resent` counter.
@Suite struct SentRangesTests {
    @Test func sentRangesSurviveAReopenAndGoOnceTheirRowsAreAcked() throws {
        let dir = try TemporaryDirectory()
        do {
            let (ring, _) = try ReadingRing.open(dir.configuration())
            let a = try ring.descriptorID(table: "a", descriptor: descriptorBytes(1))
            let b = try ring.descriptorID(table: "b", descriptor: descriptorBytes(1))
            let ids = try mustStore(ring, (0..<30).map { row($0, table: $0 < 20 ? "a" : "b", descriptor: $0 < 20 ? a : b) })
            let first = ids.lowerBound
            try ring.recordSent(table: "a", ids: first...(first + 9), resent: 0)
            try ring.recordSent(table: "a", ids: (first + 10)...(first + 19), resent: 4)
            try ring.recordSent(table: "b", ids: (first + 20)...(first + 29), resent: 0)
            // The first batch of "a" was acked; the second was on the wire when the process died.
            #expect(try ring.remove(ids: Array(first...(first + 9))) == 10)
            try ring.countResent(table: "b", rows: 3)
            try ring.close()
        }
        let (ring, _) = try ReadingRing.open(dir.configuration())
        let pendingA = try allPending(ring, table: "a").map(\.id)
        #expect(try ring.sentRanges(table: "a") == [pendingA.first!...pendingA.last!])
        #expect(try ring.sentRanges(table: "b").count == 1)
        #expect(try ring.sentRanges(table: "unknown").isEmpty)

        let stats = try ring.stats()
        #expect(stats.ledger.resent == 7)
        #expect(stats.tables.first { $0.name == "a" }?.ledger.resent == 4)
        #expect(stats.tables.first { $0.name == "b" }?.ledger.resent == 3)

        // Dropped or acked, a range's rows are gone and so is the range.
        #expect(try ring.remove(ids: pendingA) == 10)
        #expect(try ring.sentRanges(table: "a").isEmpty)
    }

    @Test func rangesArePrunedAsBatchesAreSentSoTheTableStaysSmall() throws {
        let dir = try TemporaryDirectory()
        let (ring, _) = try ReadingRing.open(dir.configuration())
        let a = try ring.descriptorID(table: "a", descriptor: descriptorBytes(1))
        // 200 batches sent and acked one by one: pruning every 64 inserts keeps at most 64 + 1.
        for n in 0..<200 {
            let ids = try mustStore(ring, [row(n, table: "a", descriptor: a)])
            try ring.recordSent(table: "a", ids: ids.lowerBound...ids.lowerBound, resent: 0)
            _ = try ring.remove(ids: [ids.lowerBound])
        }
        let reader = try SQLiteConnection(path: dir.configuration().path, flags: [.readOnly])
        let count = try reader.prepare("SELECT count(*) FROM sent_ranges")
        #expect(try count.step() == .row && count.int64(0) <= 64)
        try reader.close()
        #expect(try ring.sentRanges(table: "a").isEmpty)
    }
}
