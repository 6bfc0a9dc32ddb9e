import Foundation
@testable import ReadingRing
import Testing

/// Damaged or missing state files, as a hostile test found them: the readable rows are
/// salvaged, and a start that finds less than the previous run left says so.
@Suite struct RingDamageTests {
    /// The ring as the daemon opens it: it owns the data directory (journal and state file).
    private func owned(_ dir: TemporaryDirectory) -> RingConfiguration {
        var configuration = dir.configuration()
        configuration.intakeJournal = true
        return configuration
    }

    private func fill(_ dir: TemporaryDirectory, rows: Int) throws -> Int64 {
        let (ring, _) = try ReadingRing.open(owned(dir))
        let d = try ring.descriptorID(table: "t", descriptor: descriptorBytes(1))
        for start in stride(from: 0, to: rows, by: 500) {
            try mustStore(ring, (start..<min(start + 500, rows)).map { row($0, table: "t", descriptor: d) })
        }
        try ring.close()
        return d
    }

    private func overwrite(_ path: String, at offset: UInt64, with bytes: Data) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try handle.seek(toOffset: offset)
        handle.write(bytes)
        try handle.close()
    }

    /// Acceptance of the hardening issue: a ring of 20k rows damaged in the middle keeps ≥ 90 %,
    /// and says how many were lost.
    @Test func aRingDamagedInTheMiddleKeepsItsReadableRows() throws {
        let dir = try TemporaryDirectory()
        let d = try fill(dir, rows: 20_000)
        let size = fileSize(dir.ringPath)
        try overwrite(dir.ringPath, at: UInt64(size / 2 / 4096 * 4096), with: Data(repeating: 0xA5, count: 4096 * 24))

        let (ring, report) = try ReadingRing.open(owned(dir))
        let salvage = try #require(report.salvage)
        let moved = try #require(report.movedAsideTo)
        #expect(FileManager.default.fileExists(atPath: moved))  // kept for the operator
        #expect(salvage.rowsKept >= 18_000 && salvage.rowsKept < 20_000)
        #expect(salvage.rowsListed == 20_000 && salvage.rowsLost == 20_000 - salvage.rowsKept)
        #expect(report.losses?.rows == salvage.rowsLost)
        // Every kept row is intact, in order, with its own descriptor; the ring works on.
        let kept = try allPending(ring, table: "t")
        #expect(kept.count == salvage.rowsKept)
        for stored in kept {
            let n = Int(stored.recordID.dropFirst(4))!
            #expect(stored.payload == payload(n, size: 200) && stored.descriptorID == d && stored.id == Int64(n + 1))
        }
        #expect(kept.first?.recordID == "rec-0" && kept.last?.recordID == "rec-19999")
        let ids = try mustStore(ring, [row(20_000, table: "t", descriptor: d)])
        #expect(ids.lowerBound == 20_001)
        #expect(try ring.stats().rows == salvage.rowsKept + 1)
    }

    @Test func aZeroLengthDatabaseIsReportedAsLoss() throws {
        let dir = try TemporaryDirectory()
        _ = try fill(dir, rows: 1000)
        #expect(truncate(dir.ringPath, 0) == 0)
        let (_, report) = try ReadingRing.open(owned(dir))
        let missing = try #require(report.missing)
        #expect(missing.rows == 1000 && missing.exact == false)
        #expect(report.losses?.rows == 1000)
    }

    @Test(arguments: ["deleted", "garbage"])
    func aLostWALIsReportedAsLoss(wal: String) throws {
        let dir = try TemporaryDirectory()
        let (ring, _) = try ReadingRing.open(owned(dir))
        let d = try ring.descriptorID(table: "t", descriptor: descriptorBytes(1))
        try ring.checkpoint()
        try mustStore(ring, (0..<300).map { row($0, table: "t", descriptor: d) })
        try ring.enforceBounds()  // the daemon does this every second; it records the state
        // What a crash leaves, then the WAL lost or garbled.
        let crash = try TemporaryDirectory()
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) where name.hasPrefix("buffer.db") {
            try FileManager.default.copyItem(atPath: dir.path + "/" + name, toPath: crash.path + "/" + name)
        }
        #expect(fileSize(crash.ringPath + "-wal") > 0)
        if wal == "deleted" {
            try FileManager.default.removeItem(atPath: crash.ringPath + "-wal")
        } else {
            try overwrite(crash.ringPath + "-wal", at: 0, with: Data(repeating: 0x5A, count: 64))
        }
        var configuration = owned(crash)
        configuration.path = crash.ringPath
        let (_, report) = try ReadingRing.open(configuration)
        let missing = try #require(report.missing)
        #expect(missing.rows == 300 && !missing.exact)
    }

    @Test func aCleanStopLeavesNoWALAndNoAlarm() throws {
        let dir = try TemporaryDirectory()
        _ = try fill(dir, rows: 5000)
        #expect(fileSize(dir.ringPath + "-wal") == 0)
        let (ring, report) = try ReadingRing.open(owned(dir))
        #expect(report.missing == nil && report.losses == nil && report.rows == 5000)
        // Acked rows are not missing rows: the high-water mark outlives them.
        #expect(try ring.remove(table: "t", range: 1...5000) == 5000)
        try ring.close()
        let (_, again) = try ReadingRing.open(owned(dir))
        #expect(again.missing == nil && again.rows == 0)
    }

    @Test func aSalvageACrashInterruptedIsFinishedAtTheNextOpen() throws {
        let dir = try TemporaryDirectory()
        _ = try fill(dir, rows: 100)
        // The copy was complete (renamed to .salvaged) but the damaged file was still in place.
        try FileManager.default.copyItem(atPath: dir.ringPath, toPath: dir.ringPath + ".salvaged")
        try overwrite(dir.ringPath, at: 0, with: Data(repeating: 0, count: 4096))
        let (ring, report) = try ReadingRing.open(owned(dir))
        #expect(report.movedAsideTo != nil && report.rows == 100)
        #expect(!FileManager.default.fileExists(atPath: dir.ringPath + ".salvaged"))
        #expect(try ring.stats().rows == 100)
    }
}
