import Foundation
import ReadingRing
import Testing

@Suite struct ReadingRingRowsTests {
    @Test func appendPendingRemoveKeepOrderPerTable() throws {
        let dir = try TemporaryDirectory()
        let (ring, report) = try ReadingRing.open(dir.configuration())
        #expect(report.movedAsideTo == nil && report.rows == 0)
        let a = try ring.descriptorID(table: "main.a", descriptor: descriptorBytes(1))
        let b = try ring.descriptorID(table: "main.b", descriptor: descriptorBytes(1))
        #expect(a != b)  // same bytes, different tables: separate descriptors

        var lastID: Int64 = 0
        for n in 0..<30 {
            let outcome = try ring.append([row(n, table: n % 3 == 0 ? "main.b" : "main.a", descriptor: n % 3 == 0 ? b : a)])
            guard case .stored(let ids, 0) = outcome, ids.count == 1 else {
                Issue.record("unexpected \(outcome)")
                return
            }
            #expect(ids.lowerBound > lastID)
            lastID = ids.lowerBound
        }
        let rowsA = try allPending(ring, table: "main.a")
        let rowsB = try allPending(ring, table: "main.b")
        #expect(rowsA.map(\.recordID) == (0..<30).filter { $0 % 3 != 0 }.map { "rec-\($0)" })
        #expect(rowsB.map(\.recordID) == stride(from: 0, to: 30, by: 3).map { "rec-\($0)" })
        #expect(rowsA.allSatisfy { $0.descriptorID == a })
        #expect(rowsA[0].payload == payload(1, size: 200))
        #expect(rowsA[0].receivedAt == testEpoch + 1)

        // Ack the first half of table a by id list, table b by range.
        let ackedA = rowsA.prefix(10).map(\.id)
        #expect(try ring.remove(ids: ackedA + [999_999]) == 10)
        #expect(try ring.remove(table: "main.b", range: rowsB[0].id...rowsB[4].id) == 5)
        #expect(try allPending(ring, table: "main.a").map(\.id) == rowsA.dropFirst(10).map(\.id))
        #expect(try allPending(ring, table: "main.b").map(\.id) == rowsB.dropFirst(5).map(\.id))
        // A cursor after acked rows only sees newer ones.
        let after = try ring.pending(table: "main.a", after: rowsA[12].id, maxRecords: 100, maxBytes: 1 << 20)
        #expect(after.map(\.id) == rowsA.dropFirst(13).map(\.id))

        let stats = try ring.stats()
        #expect(stats.rows == 15)
        #expect(stats.tables.map(\.name) == ["main.a", "main.b"])
        #expect(stats.tables.map(\.ackedTotal) == [10, 5])
        #expect(stats.tables.map(\.rows) == [10, 5])
        #expect(try ring.pending(table: "unknown", after: 0, maxRecords: 10, maxBytes: 100).isEmpty)
    }

    @Test func batchesSplitAtDescriptorChangeAndLimits() throws {
        let dir = try TemporaryDirectory()
        let (ring, _) = try ReadingRing.open(dir.configuration())
        let v1 = try ring.descriptorID(table: "t", descriptor: descriptorBytes(1))
        let v2 = try ring.descriptorID(table: "t", descriptor: descriptorBytes(2))
        #expect(try ring.descriptorID(table: "t", descriptor: descriptorBytes(1)) == v1)  // dedup by content
        // 5 rows with v1, then 5 with v2 (a config change with a backlog), then 5 with v1 again.
        try mustStore(ring, (0..<5).map { row($0, table: "t", descriptor: v1, size: 100) })
        try mustStore(ring, (5..<10).map { row($0, table: "t", descriptor: v2, size: 100) })
        try mustStore(ring, (10..<15).map { row($0, table: "t", descriptor: v1, size: 100) })

        var cursor: Int64 = 0
        var batches: [[String]] = []
        while case let batch = try ring.pending(table: "t", after: cursor, maxRecords: 4, maxBytes: 1 << 20),
              let last = batch.last {
            #expect(Set(batch.map(\.descriptorID)).count == 1)
            batches.append(batch.map(\.recordID))
            cursor = last.id
        }
        #expect(batches.map(\.count) == [4, 1, 4, 1, 4, 1])
        #expect(batches[1] == ["rec-4"] && batches[2].first == "rec-5")

        // maxBytes: 250 bytes of payload hold two 100-byte rows.
        #expect(try ring.pending(table: "t", after: 0, maxRecords: 100, maxBytes: 250).count == 2)
        // A single row larger than maxBytes still comes, so it cannot block the table.
        #expect(try ring.pending(table: "t", after: 0, maxRecords: 100, maxBytes: 10).count == 1)

        #expect(try ring.descriptor(id: v2) == descriptorBytes(2))
        #expect(throws: RingError.unknownDescriptor(id: 12345, table: nil)) { try ring.descriptor(id: 12345) }
        #expect(throws: RingError.unknownDescriptor(id: v1, table: "other")) {
            try mustStore(ring, [row(99, table: "other", descriptor: v1)])
        }
    }

    @Test func reopenKeepsRowsCountersAndDescriptors() throws {
        let dir = try TemporaryDirectory()
        var lastID: Int64 = 0
        do {
            let (ring, _) = try ReadingRing.open(dir.configuration())
            let d = try ring.descriptorID(table: "t", descriptor: descriptorBytes(7))
            try mustStore(ring, (0..<100).map { row($0, table: "t", descriptor: d) })
            let rows = try allPending(ring, table: "t")
            try ring.remove(ids: rows.prefix(40).map(\.id))
            try ring.quarantine(rowIDs: [rows[40].id], reason: "INVALID_ARGUMENT: bad row")
            lastID = rows.last!.id
            try ring.close()
            #expect(throws: RingError.closed) { try ring.stats() }
        }
        let (ring, report) = try ReadingRing.open(dir.configuration())
        #expect(report.rows == 59 && report.quarantineRows == 1)
        let stats = try ring.stats()
        #expect(stats.tables.first?.ackedTotal == 40)
        #expect(stats.quarantinedTotal == 1)
        let rows = try allPending(ring, table: "t")
        #expect(rows.first?.recordID == "rec-41" && rows.count == 59)
        #expect(try ring.descriptor(id: rows[0].descriptorID) == descriptorBytes(7))
        #expect(try ring.descriptorID(table: "t", descriptor: descriptorBytes(7)) == rows[0].descriptorID)
        // Ids continue after the largest one present.
        let d = rows[0].descriptorID
        guard case .stored(let ids, _) = try ring.append([row(500, table: "t", descriptor: d)]) else {
            Issue.record("append failed")
            return
        }
        #expect(ids.lowerBound > lastID)
    }

    /// What is on disk after kill -9 is the database file plus the WAL as they are while the
    /// writer is still open (the page cache survives the process). Copy exactly that, without
    /// closing the ring, and recover from the copy.
    @Test func crashSnapshotHoldsEveryCommittedRow() throws {
        let dir = try TemporaryDirectory()
        let (ring, _) = try ReadingRing.open(dir.configuration())
        let d = try ring.descriptorID(table: "t", descriptor: descriptorBytes(1))
        for n in 0..<3000 { try mustStore(ring, [row(n, table: "t", descriptor: d, size: 120)]) }
        let rows = try allPending(ring, table: "t")
        try ring.remove(ids: rows.prefix(500).map(\.id))
        #expect(fileSize(dir.ringPath + "-wal") > 0)  // the snapshot really includes a live WAL

        let crash = try TemporaryDirectory()
        for suffix in ["", "-wal"] {
            try FileManager.default.copyItem(atPath: dir.ringPath + suffix, toPath: crash.ringPath + suffix)
        }
        let (recovered, report) = try ReadingRing.open(crash.configuration())
        #expect(report.movedAsideTo == nil)
        let survivors = try allPending(recovered, table: "t")
        #expect(survivors.map(\.recordID) == (500..<3000).map { "rec-\($0)" })
        #expect(survivors.last?.payload == payload(2999, size: 120))
        #expect(try recovered.stats().tables.first?.ackedTotal == 500)
        // The original is still fine too.
        #expect(try ring.stats().rows == 2500)
    }

    @Test func fileIsCreatedPrivate() throws {
        let dir = try TemporaryDirectory()
        let (ring, _) = try ReadingRing.open(dir.configuration())
        let d = try ring.descriptorID(table: "t", descriptor: descriptorBytes(1))
        try mustStore(ring, [row(1, table: "t", descriptor: d)])
        for suffix in ["", "-wal"] {
            let mode = try FileManager.default.attributesOfItem(atPath: dir.ringPath + suffix)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(suffix)")
        }
    }

    @Test func configurationBelowOneMiBIsRejected() throws {
        let dir = try TemporaryDirectory()
        #expect(throws: RingError.self) { try ReadingRing.open(dir.configuration(maxBytes: 512 << 10)) }
        #expect(!FileManager.default.fileExists(atPath: dir.ringPath))
    }
}
