import Foundation
import ReadingRing
import Testing

@Suite struct ReadingRingQuarantineTests {
    @Test func rejectedAndUnmappableRoundTrip() throws {
        let dir = try TemporaryDirectory()
        let (ring, _) = try ReadingRing.open(dir.configuration())
        let d = try ring.descriptorID(table: "t", descriptor: descriptorBytes(1))
        try mustStore(ring, (0..<10).map { row($0, table: "t", descriptor: d) })
        let rows = try allPending(ring, table: "t")
        #expect(try ring.quarantine(rowIDs: [rows[2].id, rows[3].id], reason: "INVALID_ARGUMENT: x") == 2)
        let rawID = try ring.quarantineUnmappable(
            table: "t", topic: "sensors/a/temp", payload: Array("not json".utf8), reason: "bad JSON at 0",
            receivedAt: 42)

        // Other rows keep flowing.
        #expect(try allPending(ring, table: "t").map(\.recordID) == rows.map(\.recordID).filter {
            $0 != "rec-2" && $0 != "rec-3"
        })
        let listed = try ring.quarantineList(limit: 10)
        #expect(listed.map(\.kind) == [.rejected, .rejected, .unmappable])
        #expect(listed[0].recordID == "rec-2" && listed[0].descriptorID == d && listed[0].payload == rows[2].payload)
        #expect(listed[0].receivedAt == rows[2].receivedAt && listed[0].reason == "INVALID_ARGUMENT: x")
        #expect(listed[2].topic == "sensors/a/temp" && listed[2].payload == Array("not json".utf8))
        #expect(listed[2].id == rawID && listed[2].descriptorID == nil && listed[2].receivedAt == 42)
        #expect(try ring.quarantineList(limit: 1).count == 1)

        var stats = try ring.stats()
        #expect(stats.quarantinedTotal == 3 && stats.quarantineRows == 3 && stats.rows == 8)

        // Retry one rejected row: take it out and append it again with its own descriptor.
        let taken = try ring.quarantineTake(ids: [listed[0].id])
        #expect(taken == [listed[0]])
        let retry = NewRow(table: taken[0].table, descriptorID: taken[0].descriptorID!, recordID: taken[0].recordID!,
                           receivedAt: taken[0].receivedAt, payload: taken[0].payload)
        try mustStore(ring, [retry])
        #expect(try allPending(ring, table: "t").last?.recordID == "rec-2")

        #expect(try ring.quarantinePurge() == 2)
        #expect(try ring.quarantineList().isEmpty)
        #expect(try ring.quarantineTake().isEmpty)
        stats = try ring.stats()
        #expect(stats.quarantineRows == 0 && stats.quarantinedTotal == 3)
    }

    @Test func garbageFileIsMovedAsideAndAFreshRingStarts() throws {
        let dir = try TemporaryDirectory()
        let garbage = Data((0..<16384).map { UInt8(truncatingIfNeeded: $0 &* 7919) })
        try garbage.write(to: URL(fileURLWithPath: dir.ringPath))
        try Data("stale wal".utf8).write(to: URL(fileURLWithPath: dir.ringPath + "-wal"))

        let (ring, report) = try ReadingRing.open(dir.configuration())
        let moved = try #require(report.movedAsideTo)
        #expect(moved.hasPrefix(dir.ringPath + ".corrupt-"))
        #expect(report.corruptionReason?.isEmpty == false)
        #expect(FileManager.default.contents(atPath: moved) == garbage)  // kept for the operator
        #expect(FileManager.default.contents(atPath: moved + "-wal") == Data("stale wal".utf8))

        let d = try ring.descriptorID(table: "t", descriptor: descriptorBytes(1))
        try mustStore(ring, [row(1, table: "t", descriptor: d)])
        #expect(try ring.stats().rows == 1)
    }

    @Test func damagedPagesAreDetectedByQuickCheckAndTheRestIsSalvaged() throws {
        let dir = try TemporaryDirectory()
        do {
            let (ring, _) = try ReadingRing.open(dir.configuration())
            let d = try ring.descriptorID(table: "t", descriptor: descriptorBytes(1))
            try mustStore(ring, (0..<2000).map { row($0, table: "t", descriptor: d) })
            try ring.close()
        }
        // Keep the valid header (page 1) but scribble over a run of pages behind it.
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: dir.ringPath))
        try handle.seek(toOffset: 4096 * 3)
        handle.write(Data(repeating: 0xA5, count: 4096 * 20))
        try handle.close()

        let (ring, report) = try ReadingRing.open(dir.configuration())
        #expect(report.movedAsideTo != nil)
        let salvage = try #require(report.salvage)
        #expect(report.rows == salvage.rowsKept && salvage.rowsKept < 2000)
        #expect(try ring.stats().rows == report.rows)
    }
}
