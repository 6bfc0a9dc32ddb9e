import Foundation
import ReadingRing
import Testing

@Suite struct ReadingRingBoundsTests {
    @Test func dropOldestCountsPerTableAndKeepsNewest() throws {
        let dir = try TemporaryDirectory()
        let (ring, _) = try ReadingRing.open(dir.configuration(maxBytes: 1 << 20))
        let a = try ring.descriptorID(table: "a", descriptor: descriptorBytes(1))
        let b = try ring.descriptorID(table: "b", descriptor: descriptorBytes(1))
        // ~20k rows of 200 bytes (4 MB) into a 1 MiB ring, alternating tables.
        var droppedSeen = 0
        for n in 0..<20_000 {
            guard case .stored(_, let dropped) = try ring.append([row(n, table: n % 2 == 0 ? "a" : "b",
                                                                       descriptor: n % 2 == 0 ? a : b)]) else {
                Issue.record("drop_oldest never reports full")
                return
            }
            droppedSeen += dropped
        }
        let stats = try ring.stats()
        #expect(stats.droppedTotal > 10_000)
        #expect(Int(stats.droppedTotal) == droppedSeen)
        #expect(stats.rows + Int(stats.droppedTotal) == 20_000)
        let perTable = Dictionary(uniqueKeysWithValues: stats.tables.map { ($0.name, $0) })
        #expect(perTable["a"]!.droppedTotal + perTable["b"]!.droppedTotal == stats.droppedTotal)
        #expect(abs(perTable["a"]!.droppedTotal - perTable["b"]!.droppedTotal) <= 1)
        // The survivors are exactly the newest rows.
        let survivors = try (allPending(ring, table: "a") + allPending(ring, table: "b")).map(\.id).sorted()
        #expect(survivors.count == stats.rows)
        #expect(survivors == Array(survivors.first!...survivors.last!))
        #expect(try allPending(ring, table: "b").last?.recordID == "rec-19999")
        #expect(ringBytesOnDisk(dir.ringPath) <= 1 << 20)
        // Drop counters survive a restart.
        try ring.close()
        let (reopened, _) = try ReadingRing.open(dir.configuration(maxBytes: 1 << 20))
        #expect(try reopened.stats().droppedTotal == stats.droppedTotal)
        #expect(try reopened.stats().ledger.droppedFull == stats.droppedTotal)
        #expect(try reopened.stats().tables.first { $0.name == "a" }?.ledger.droppedFull == perTable["a"]!.droppedTotal)
    }

    @Test func theLedgerCountsEachReasonAndSurvivesARestart() throws {
        let dir = try TemporaryDirectory()
        let (ring, _) = try ReadingRing.open(dir.configuration(maxAge: .seconds(60)))
        let d = try ring.descriptorID(table: "t", descriptor: descriptorBytes(1))
        let p = try ring.descriptorID(table: "purged", descriptor: descriptorBytes(1))
        try mustStore(ring, (0..<10).map { row($0, table: "t", descriptor: d, receivedAt: testEpoch + Int64($0) * 1_000_000) })
        try mustStore(ring, (10..<14).map { row($0, table: "purged", descriptor: p, receivedAt: testEpoch + 100_000_000) })
        // At 65 s, rows received 0…4 s after the epoch are older than max_age (60 s).
        #expect(try ring.enforceBounds(now: testEpoch + 65_000_000).droppedByAge == 5)
        #expect(try ring.purge(table: "purged") == 4)
        let rejected = try ring.pending(table: "t", after: 0, maxRecords: 2, maxBytes: 1 << 20)
        #expect(try ring.quarantine(rowIDs: rejected.map(\.id), reason: "INVALID_ARGUMENT") == 2)
        _ = try ring.quarantineUnmappable(table: "t", topic: "x", payload: [1], reason: "bad", receivedAt: testEpoch)
        try ring.close()
        let (reopened, _) = try ReadingRing.open(dir.configuration(maxAge: .seconds(60)))
        let stats = try reopened.stats(now: testEpoch)
        var expected = LossLedger()
        expected.droppedAgedOut = 5
        expected.droppedPurged = 4
        expected.quarantinedRejected = 2
        expected.quarantinedUnmappable = 1
        #expect(stats.ledger == expected)
        #expect(stats.droppedTotal == 9 && stats.quarantinedTotal == 3)
        #expect(stats.tables.first { $0.name == "purged" }?.ledger.droppedPurged == 4)
        #expect(stats.tables.first { $0.name == "t" }?.ledger.droppedPurged == 0)
    }

    @Test func pauseReturnsFullWithoutWritingAndResumesAfterAcks() throws {
        let dir = try TemporaryDirectory()
        let (ring, _) = try ReadingRing.open(dir.configuration(maxBytes: 1 << 20, onFull: .pause))
        let d = try ring.descriptorID(table: "t", descriptor: descriptorBytes(1))
        var stored = 0
        var n = 0
        while case .stored = try ring.append([row(n, table: "t", descriptor: d)]) {
            stored += 1
            n += 1
            #expect(n < 100_000)
            if n >= 100_000 { return }
        }
        let full = try ring.stats()
        #expect(full.rows == stored && full.droppedTotal == 0 && full.isFull)
        #expect(try ring.append([row(n, table: "t", descriptor: d)]) == .full)
        #expect(try ring.stats().rows == stored)
        #expect(ringBytesOnDisk(dir.ringPath) <= 1 << 20)

        let batch = try ring.pending(table: "t", after: 0, maxRecords: 500, maxBytes: 1 << 20)
        try ring.remove(ids: batch.map(\.id))
        #expect(try ring.stats().isFull == false)
        #expect(try ring.append([row(n, table: "t", descriptor: d)]) != .full)
    }

    @Test func rowsOlderThanMaxAgeAreDroppedAndCounted() throws {
        let dir = try TemporaryDirectory()
        let (ring, _) = try ReadingRing.open(dir.configuration(maxAge: .seconds(60)))
        let d = try ring.descriptorID(table: "t", descriptor: descriptorBytes(1))
        let start = testEpoch
        // One row per second of "receive time", 0…299 s after start.
        try mustStore(ring, (0..<300).map {
            row($0, table: "t", descriptor: d, receivedAt: start + Int64($0) * 1_000_000 - Int64($0))
        })
        let now = start + 300 * 1_000_000
        #expect(try ring.stats(now: now).oldestAgeSeconds == 300)
        let report = try ring.enforceBounds(now: now)
        // Rows received at or after now − 60 s stay: 240…299.
        #expect(report.droppedByAge == 240)
        let left = try allPending(ring, table: "t")
        #expect(left.first?.recordID == "rec-240" && left.count == 60)
        let stats = try ring.stats(now: now)
        #expect(stats.droppedTotal == 240 && stats.tables.first?.droppedTotal == 240)
        #expect(stats.oldestAgeSeconds == 60)
        #expect(try ring.enforceBounds(now: now).droppedByAge == 0)
    }

    /// SIZE BOUND: 100k rows of 200 bytes (20 MB) through a 2 MiB ring. After every append the
    /// database file plus its WAL, as stat() sees them, stay within max_bytes (documented slack 0).
    @Test func diskUseNeverExceedsMaxBytes() throws {
        let dir = try TemporaryDirectory()
        let maxBytes: Int64 = 2 << 20
        let (ring, _) = try ReadingRing.open(dir.configuration(maxBytes: maxBytes))
        let d = try ring.descriptorID(table: "t", descriptor: descriptorBytes(1))
        var peak: Int64 = 0, peakDB: Int64 = 0, peakWAL: Int64 = 0
        var n = 0
        while n < 100_000 {
            // Mostly single rows (the MQTT path), every 10th append a batch of 50.
            let count = n % 10 == 0 ? 50 : 1
            try mustStore(ring, (n..<(n + count)).map { row($0, table: "t", descriptor: d) })
            n += count
            peak = max(peak, ringBytesOnDisk(dir.ringPath))
            peakDB = max(peakDB, fileSize(dir.ringPath))
            peakWAL = max(peakWAL, fileSize(dir.ringPath + "-wal"))
            if n % 1000 < count { try ring.enforceBounds() }
        }
        print("size bound: max_bytes \(maxBytes), peak db+wal \(peak) (\(100 * peak / maxBytes)% of cap; peak db \(peakDB), peak wal \(peakWAL))")
        #expect(peak <= maxBytes)
        let rows = try allPending(ring, table: "t")
        #expect(rows.last?.recordID == "rec-99999")
        #expect(rows.count > 3000)  // the ring is actually used, not trimmed to nothing
        #expect(rows.map(\.id) == Array(rows.first!.id...rows.last!.id))
        let stats = try ring.stats()
        #expect(stats.rows + Int(stats.droppedTotal) == 100_000)
        #expect(stats.fillRatio <= 1)
    }

    /// DRAIN: fill a 20 MiB ring, then ack everything in batches of 1000 (the backlog after an
    /// outage). The WAL must never balloon past the cap, and afterwards both files shrink.
    @Test func drainShrinksFilesWithoutWALBalloon() throws {
        let dir = try TemporaryDirectory()
        let maxBytes: Int64 = 20 << 20
        let (ring, _) = try ReadingRing.open(dir.configuration(maxBytes: maxBytes))
        let d = try ring.descriptorID(table: "t", descriptor: descriptorBytes(1))
        var n = 0
        while try ring.stats().droppedTotal == 0 {
            try mustStore(ring, (n..<(n + 100)).map { row($0, table: "t", descriptor: d) })
            n += 100
        }
        let filled = ringBytesOnDisk(dir.ringPath)
        #expect(filled > maxBytes * 3 / 4 && filled <= maxBytes)

        var peakWAL: Int64 = 0, peakTotal: Int64 = 0, acks = 0
        var cursor: Int64 = 0
        while case let batch = try ring.pending(table: "t", after: cursor, maxRecords: 1000, maxBytes: 4 << 20),
              let last = batch.last {
            #expect(try ring.remove(table: "t", range: batch.first!.id...last.id) == batch.count)
            cursor = last.id
            acks += 1
            if acks % 10 == 0 { try ring.enforceBounds() }
            peakWAL = max(peakWAL, fileSize(dir.ringPath + "-wal"))
            peakTotal = max(peakTotal, ringBytesOnDisk(dir.ringPath))
        }
        try ring.enforceBounds()
        let stats = try ring.stats()
        let dbAfter = fileSize(dir.ringPath), walAfter = fileSize(dir.ringPath + "-wal")
        print("drain: filled \(filled) B, \(acks) acks, peak WAL \(peakWAL), peak total \(peakTotal), after: db \(dbAfter) wal \(walAfter)")
        #expect(stats.rows == 0 && stats.tables.first?.ackedTotal == Int64(n) - stats.droppedTotal)
        #expect(peakTotal <= maxBytes)
        #expect(peakWAL <= min(maxBytes / 8, 4 << 20) * 3 / 2)
        #expect(dbAfter < 1 << 20)
        #expect(walAfter == 0)
    }

    /// stats() must stay cheap on a big backlog: no scans. 1M rows, then time it.
    @Test func statsStayCheapWithOneMillionRows() throws {
        let dir = try TemporaryDirectory()
        let (ring, _) = try ReadingRing.open(dir.configuration(maxBytes: 1 << 30))
        let d1 = try ring.descriptorID(table: "a", descriptor: descriptorBytes(1))
        let d2 = try ring.descriptorID(table: "b", descriptor: descriptorBytes(1))
        var fillClock = ContinuousClock.now
        for chunk in 0..<1000 {
            let base = chunk * 1000
            try mustStore(ring, (base..<(base + 1000)).map {
                row($0, table: $0 % 4 == 0 ? "b" : "a", descriptor: $0 % 4 == 0 ? d2 : d1, size: 24)
            })
        }
        let fill = ContinuousClock.now - fillClock
        let clock = ContinuousClock()
        var stats = try ring.stats()
        let statsTime = try clock.measure { for _ in 0..<100 { stats = try ring.stats() } } / 100
        let boundsTime = try clock.measure { try ring.enforceBounds() }
        try ring.close()
        fillClock = .now
        let (reopened, report) = try ReadingRing.open(dir.configuration(maxBytes: 1 << 30))
        let openTime = ContinuousClock.now - fillClock
        print("1M rows: fill \(fill) (1000-row appends), stats() \(statsTime), idle enforceBounds \(boundsTime), reopen \(openTime)")
        #expect(stats.rows == 1_000_000)
        #expect(stats.tables.map(\.rows) == [750_000, 250_000])
        #expect(report.rows == 1_000_000)
        #expect(try reopened.stats().rows == 1_000_000)
        #expect(statsTime < .milliseconds(5))
        #expect(boundsTime < .milliseconds(200))
    }

    @Test func loweredMaxBytesIsEnforcedAtOpen() throws {
        let dir = try TemporaryDirectory()
        do {
            let (ring, _) = try ReadingRing.open(dir.configuration(maxBytes: 8 << 20))
            let d = try ring.descriptorID(table: "t", descriptor: descriptorBytes(1))
            for chunk in 0..<200 {
                try mustStore(ring, (chunk * 100..<(chunk + 1) * 100).map { row($0, table: "t", descriptor: d) })
            }
            try ring.close()
        }
        #expect(fileSize(dir.ringPath) > 3 << 20)
        let (ring, report) = try ReadingRing.open(dir.configuration(maxBytes: 2 << 20))
        let stats = try ring.stats()
        #expect(ringBytesOnDisk(dir.ringPath) <= 2 << 20)
        #expect(stats.droppedTotal > 0 && report.rows == stats.rows)
        #expect(try allPending(ring, table: "t").last?.recordID == "rec-19999")
    }

    @Test func quarantineCannotCrowdOutRows() throws {
        let dir = try TemporaryDirectory()
        let (ring, _) = try ReadingRing.open(dir.configuration(maxBytes: 1 << 20))
        let d = try ring.descriptorID(table: "t", descriptor: descriptorBytes(1))
        try mustStore(ring, (0..<100).map { row($0, table: "t", descriptor: d) })
        // 400 KB of poison: six times the quarantine's default bound (max_bytes / 16 = 64 KiB).
        for n in 0..<1000 {
            try ring.quarantineUnmappable(table: "t", topic: "x", payload: payload(n, size: 400), reason: "bad",
                                          receivedAt: testEpoch)
        }
        let stats = try ring.stats()
        #expect(stats.quarantineDroppedTotal > 0)
        #expect(stats.quarantineRows == 1000 - Int(stats.quarantineDroppedTotal))
        #expect(stats.quarantineBytes <= 64 << 10)
        #expect(stats.rows == 100 && stats.droppedTotal == 0)  // good rows untouched
        // Its own oldest entries went first.
        #expect(try ring.quarantineList(limit: 1).first?.payload == payload(Int(stats.quarantineDroppedTotal), size: 400))
    }

    /// The hostile test of the hardening issue: a full ring, then junk. Junk used to trim rows
    /// before the quarantine's cap applied; now readings and quarantine have separate budgets.
    @Test(arguments: [RingConfiguration.WhenFull.dropOldest, .pause])
    func junkNeverEvictsReadingsOfAFullRing(onFull: RingConfiguration.WhenFull) throws {
        let dir = try TemporaryDirectory()
        let (ring, _) = try ReadingRing.open(dir.configuration(maxBytes: 2 << 20, onFull: onFull))
        let d = try ring.descriptorID(table: "t", descriptor: descriptorBytes(1))
        var n = 0
        while try !ring.stats().isFull {
            guard case .stored = try ring.append((n..<(n + 50)).map { row($0, table: "t", descriptor: d) }) else { break }
            n += 50
        }
        try ring.enforceBounds()
        let before = try ring.stats()
        let headBefore = try allPending(ring, table: "t").first?.recordID
        for junk in 0..<3000 {
            try ring.quarantineUnmappable(
                table: "t", topic: "x", payload: payload(junk, size: 300 + junk % 700), reason: "invalid JSON", receivedAt: testEpoch)
        }
        try ring.enforceBounds()
        let after = try ring.stats()
        #expect(after.rows == before.rows && after.droppedTotal == before.droppedTotal)
        #expect(try allPending(ring, table: "t").first?.recordID == headBefore)
        #expect(after.quarantineDroppedTotal > 0 && after.quarantineBytes <= (2 << 20) / 16)
        #expect(ringBytesOnDisk(dir.ringPath) <= 2 << 20)
    }

    @Test func hugeJunkIsKeptAsAPrefixAndNeverEvictsReadings() throws {
        let dir = try TemporaryDirectory()
        let (ring, _) = try ReadingRing.open(dir.configuration(maxBytes: 64 << 20))
        let d = try ring.descriptorID(table: "t", descriptor: descriptorBytes(1))
        try mustStore(ring, (0..<5000).map { row($0, table: "t", descriptor: d) })
        let huge = 10_380_000
        for n in 0..<8 {
            try ring.quarantineUnmappable(table: "t", topic: "junk", payload: payload(n, size: huge),
                                          reason: "invalid JSON at byte 0", receivedAt: testEpoch)
        }
        try ring.enforceBounds()
        let stats = try ring.stats()
        #expect(stats.rows == 5000 && stats.droppedTotal == 0)
        #expect(stats.quarantineRows == 8 && stats.quarantineDroppedTotal == 0)
        let entries = try ring.quarantineList(limit: 10)
        #expect(entries.allSatisfy { $0.payload.count == 64 << 10 })
        #expect(entries[3].payload == Array(payload(3, size: huge).prefix(64 << 10)))
        #expect(entries[0].reason == "invalid JSON at byte 0 [payload of \(huge) bytes; only its first 65536 bytes are kept]")
    }

    @Test func quarantineKeepsToItsEntryBound() throws {
        let dir = try TemporaryDirectory()
        var configuration = dir.configuration()
        configuration.quarantineMaxEntries = 100
        let (ring, _) = try ReadingRing.open(configuration)
        let d = try ring.descriptorID(table: "t", descriptor: descriptorBytes(1))
        try mustStore(ring, (0..<10).map { row($0, table: "t", descriptor: d) })
        for n in 0..<250 {
            try ring.quarantineUnmappable(table: "t", topic: "x", payload: payload(n, size: 20), reason: "bad", receivedAt: testEpoch)
        }
        // Rejected rows count against the same bound.
        let rows = try allPending(ring, table: "t")
        #expect(try ring.quarantine(rowIDs: [rows[0].id], reason: "INVALID_ARGUMENT") == 1)
        let stats = try ring.stats()
        #expect(stats.quarantineRows == 100 && stats.quarantineDroppedTotal == 151 && stats.rows == 9)
        let entries = try ring.quarantineList(limit: 200)
        #expect(entries.first?.payload == payload(151, size: 20))
        #expect(entries.last?.kind == .rejected && entries.last?.recordID == "rec-0")
    }

    @Test func quarantineBoundIsValidated() throws {
        let dir = try TemporaryDirectory()
        var configuration = dir.configuration(maxBytes: 4 << 20)
        configuration.quarantineMaxBytes = 2 << 20
        #expect(throws: RingError.self) { try ReadingRing.open(configuration) }
        configuration.quarantineMaxBytes = 1 << 20
        configuration.quarantineMaxEntries = 0
        #expect(throws: RingError.self) { try ReadingRing.open(configuration) }
    }

    /// Single-row appends (one transaction each), as the MQTT thread's inline drain does, keep
    /// every row in both sync modes. Their speed is the agent benchmark's business, not a test's.
    @Test(arguments: [RingConfiguration.SyncMode.normal, .full])
    func singleRowAppendsKeepEveryRow(sync: RingConfiguration.SyncMode) throws {
        let dir = try TemporaryDirectory()
        var configuration = dir.configuration()
        configuration.sync = sync
        let (ring, _) = try ReadingRing.open(configuration)
        let d = try ring.descriptorID(table: "t", descriptor: descriptorBytes(1))
        let rows = (0..<2_000).map { row($0, table: "t", descriptor: d) }
        for single in rows { try mustStore(ring, [single]) }
        #expect(try ring.stats().rows == rows.count)
        #expect(try ring.pending(table: "t", after: 0, maxRecords: 5_000, maxBytes: 1 << 30).map(\.id) == Array(1...Int64(rows.count)))
    }
}
