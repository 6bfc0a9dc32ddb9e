import ReadingRing
import Testing

/// What the uplink sizes a backlog drain with: the newest row id and a per-table count by id range.
@Suite struct ReadingRingCountTests {
    @Test func testCount_whenRowsAreAckedAndTablesInterleave_countsOnlyTheTablesBufferedRowsInTheRange() throws {
        let dir = try TemporaryDirectory()
        let (ring, _) = try ReadingRing.open(dir.configuration())
        #expect(try ring.newestRowID() == 0)
        let a = try ring.descriptorID(table: "main.a", descriptor: descriptorBytes(1))
        let b = try ring.descriptorID(table: "main.b", descriptor: descriptorBytes(1))
        let ids = try mustStore(ring, (0..<20).map { row($0, table: $0 % 2 == 0 ? "main.a" : "main.b", descriptor: $0 % 2 == 0 ? a : b) })
        #expect(try ring.newestRowID() == ids.upperBound - 1)
        #expect(try ring.count(table: "main.a", ids: 0...Int64.max) == 10)
        #expect(try ring.count(table: "main.a", ids: ids.lowerBound...(ids.lowerBound + 9)) == 5)
        #expect(try ring.count(table: "unknown", ids: 0...Int64.max) == 0)
        let pending = try allPending(ring, table: "main.a")
        try ring.remove(ids: pending.prefix(4).map(\.id))
        #expect(try ring.count(table: "main.a", ids: 0...Int64.max) == 6)
        #expect(try ring.newestRowID() == ids.upperBound - 1, "acks never lower the newest id")
    }
}
