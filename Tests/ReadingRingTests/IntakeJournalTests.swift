import Foundation
@testable import ReadingRing
import Testing

/// The intake journal, on real files: framing, torn tails, replay after a crash, generations,
/// the redelivery window and the bounds.
@Suite struct IntakeJournalTests {
    private func journaled(_ dir: TemporaryDirectory, maxBytes: Int64 = 64 << 20,
                           onFull: RingConfiguration.WhenFull = .dropOldest,
                           sync: RingConfiguration.SyncMode = .normal) -> RingConfiguration {
        var configuration = dir.configuration(maxBytes: maxBytes, onFull: onFull)
        configuration.intakeJournal = true
        configuration.sync = sync
        return configuration
    }

    private func journalFiles(_ dir: TemporaryDirectory) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".journal-") }.sorted()
    }

    /// What a kill -9 leaves: the files as they are now, copied while the ring is still open.
    private func crashSnapshot(_ dir: TemporaryDirectory) throws -> TemporaryDirectory {
        let crash = try TemporaryDirectory()
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) where name.hasPrefix("buffer.db") {
            try FileManager.default.copyItem(atPath: dir.path + "/" + name, toPath: crash.path + "/" + name)
        }
        return crash
    }

    private func mustJournal(_ ring: ReadingRing, _ rows: [NewRow], delivery: Delivery? = nil) throws {
        #expect(try ring.journal(rows, delivery: delivery) == .accepted)
    }

    @Test func framesRoundTripAndDamageCostsOnlyTheFramesItHits() throws {
        let record = JournalRecord(
            rows: [.init(tableID: 2, descriptorID: 5, recordID: "gw-1", receivedAt: 123, payload: payload(1, size: 50)),
                   .init(tableID: 3, descriptorID: 6, recordID: "gw-1", receivedAt: 123, payload: [])],
            delivery: Delivery(packetID: 65535, connectionEpoch: -1, contentHash: .min))
        let plain = JournalRecord(rows: [.init(tableID: 1, descriptorID: 1, recordID: "", receivedAt: 0, payload: [9])])
        let bytes = record.encoded() + plain.encoded()
        let decoded = JournalRecord.decodeAll(bytes, from: 0)
        #expect(decoded.map(\.0) == [record, plain])
        #expect(decoded.last?.end == bytes.count)

        // A cut anywhere inside the second frame leaves exactly the first.
        for cut in (record.encoded().count + 1)..<bytes.count {
            #expect(JournalRecord.decodeAll(Array(bytes[0..<cut]), from: 0).map(\.0) == [record])
        }
        // A flipped bit fails the checksum: that frame is lost, reading resumes at the next one.
        var flipped = bytes
        flipped[20] ^= 0x10
        let scan = JournalRecord.scan(flipped, from: 0)
        #expect(scan.records.map(\.0) == [plain])
        #expect(scan.damaged == [0..<record.encoded().count] && scan.tail == nil)
        // Garbage before intact frames is skipped; garbage at the end is the tail.
        let garbage: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0x13]
        #expect(JournalRecord.decodeAll(garbage + bytes, from: 0).map(\.0) == [record, plain])
        #expect(JournalRecord.scan(bytes + garbage, from: 0).tail == bytes.count..<(bytes.count + garbage.count))
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    /// The hostile test of the hardening issue: damage to a journal whose records were already
    /// PUBACKed lost every record after it (2,682 of 3,000 for one flipped byte).
    @Test(arguments: ["flip", "garbage", "truncate"])
    func damageInTheMiddleOfAJournalLosesOnlyTheRecordsItHits(damage: String) throws {
        let dir = try TemporaryDirectory()
        let (ring, _) = try ReadingRing.open(journaled(dir))
        let d = try ring.descriptorID(table: "t", descriptor: descriptorBytes(1))
        for n in 0..<1500 { try mustJournal(ring, [row(n, table: "t", descriptor: d)]) }
        let crash = try crashSnapshot(dir)
        let files = try journalFiles(crash)
        #expect(files.count == 1)
        let path = crash.path + "/" + files[0]
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let middle = bytes.count / 2
        switch damage {
        case "flip": bytes[middle] ^= 0x01
        case "garbage": for index in middle..<(middle + 64) { bytes[index] = UInt8(truncatingIfNeeded: index &* 131) }
        default: bytes = Array(bytes[..<middle])
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let (recovered, report) = try ReadingRing.open(journaled(crash))
        let ids = Set(try allPending(recovered, table: "t").map(\.recordID))
        switch damage {
        case "truncate":
            // Nothing can bring back what was cut off; it is said, and everything before it is kept.
            #expect(report.journalTornTailBytes > 0 && ids.count >= 740)
            #expect(ids == Set((0..<ids.count).map { "rec-\($0)" }))
        default:
            #expect(report.journalDamagedRegions == 1 && report.journalDamagedBytes > 0)
            #expect(ids.count >= 1500 - 2 && ids.count < 1500)
            #expect(ids.contains("rec-0") && ids.contains("rec-1499"))
        }
        #expect(report.journalRecordsReplayed == ids.count)
    }

    @Test func aJournalFileNameBeyondAnyGenerationIsLeftAloneNotACrash() throws {
        let dir = try TemporaryDirectory()
        let (ring, _) = try ReadingRing.open(journaled(dir))
        let d = try ring.descriptorID(table: "t", descriptor: descriptorBytes(1))
        for n in 0..<10 { try mustJournal(ring, [row(n, table: "t", descriptor: d)]) }
        let crash = try crashSnapshot(dir)
        for name in ["buffer.db.journal-9223372036854775807", "buffer.db.journal-+7", "buffer.db.journal-007"] {
            #expect(FileManager.default.createFile(atPath: crash.path + "/" + name, contents: Data([1, 2, 3])))
        }
        let (recovered, report) = try ReadingRing.open(journaled(crash))
        #expect(report.journalRecordsReplayed == 10)
        #expect(report.journalIgnoredFiles == ["buffer.db.journal-+7", "buffer.db.journal-007", "buffer.db.journal-9223372036854775807"])
        #expect(try allPending(recovered, table: "t").count == 10)
        try mustJournal(recovered, [row(10, table: "t", descriptor: d)])
        #expect(try recovered.drainJournal() == 1)
    }

    @Test func journaledRowsAreCountedThenDrainedInOrder() throws {
        let dir = try TemporaryDirectory()
        let (ring, _) = try ReadingRing.open(journaled(dir))
        let d = try ring.descriptorID(table: "t", descriptor: descriptorBytes(1))
        for n in 0..<100 { try mustJournal(ring, [row(n, table: "t", descriptor: d)]) }
        // Journaled rows count in health before they reach SQLite, but the uplink does not see them yet.
        let stats = try ring.stats()
        #expect(stats.rows == 100)
        #expect(stats.tables.first?.rows == 100)
        #expect(stats.oldestAgeSeconds != nil)
        #expect(try allPending(ring, table: "t").isEmpty)
        #expect(try ring.drainJournal() == 100)
        let rows = try allPending(ring, table: "t")
        #expect(rows.map(\.recordID) == (0..<100).map { "rec-\($0)" })
        #expect(rows.map(\.id) == Array(1...100))
        #expect(try ring.stats().rows == 100)
        // A direct append drains first, so ids keep arrival order.
        try mustJournal(ring, [row(100, table: "t", descriptor: d)])
        let ids = try mustStore(ring, [row(101, table: "t", descriptor: d)])
        #expect(ids == 102..<103)
        #expect(try allPending(ring, table: "t").last?.recordID == "rec-101")
        try ring.close()
        #expect(try journalFiles(dir).isEmpty)
    }

    @Test(arguments: [RingConfiguration.SyncMode.normal, .full])
    func aCrashReplaysEveryJournaledRecordOnceAndATornTailIsTheEnd(sync: RingConfiguration.SyncMode) throws {
        let dir = try TemporaryDirectory()
        let (ring, _) = try ReadingRing.open(journaled(dir, sync: sync))
        let d = try ring.descriptorID(table: "t", descriptor: descriptorBytes(1))
        for n in 0..<50 { try mustJournal(ring, [row(n, table: "t", descriptor: d)]) }
        try ring.drainJournal()
        for n in 50..<80 { try mustJournal(ring, [row(n, table: "t", descriptor: d)]) }

        let crash = try crashSnapshot(dir)
        let files = try journalFiles(crash)
        #expect(files.count == 1)
        // The write the crash interrupted: half a frame.
        let torn = JournalRecord(rows: [.init(tableID: 1, descriptorID: d, recordID: "torn", receivedAt: 1, payload: [1, 2, 3])])
            .encoded()
        let handle = try #require(FileHandle(forWritingAtPath: crash.path + "/" + files[0]))
        handle.seekToEndOfFile()
        handle.write(Data(torn.prefix(torn.count - 2)))
        handle.closeFile()

        let (recovered, report) = try ReadingRing.open(journaled(crash, sync: sync))
        #expect(report.journalRecordsReplayed == 30)
        let rows = try allPending(recovered, table: "t")
        #expect(rows.map(\.recordID) == (0..<80).map { "rec-\($0)" })
        #expect(try journalFiles(crash).count == 1)  // only the new, empty generation
        // New records go after the replayed ones, and a second crash replays only those.
        try mustJournal(recovered, [row(80, table: "t", descriptor: d)])
        let again = try crashSnapshot(crash)
        let (second, secondReport) = try ReadingRing.open(journaled(again, sync: sync))
        #expect(secondReport.journalRecordsReplayed == 1)
        #expect(try allPending(second, table: "t").map(\.recordID) == (0..<81).map { "rec-\($0)" })
    }

    @Test func generationsRotateSoTheJournalStaysSmall() throws {
        let dir = try TemporaryDirectory()
        let configuration = journaled(dir, maxBytes: 1 << 20)
        let (ring, _) = try ReadingRing.open(configuration)
        let d = try ring.descriptorID(table: "t", descriptor: descriptorBytes(1))
        var peak: Int64 = 0, generations = Set<String>()
        for n in 0..<5000 {
            try mustJournal(ring, [row(n, table: "t", descriptor: d)])
            let files = try journalFiles(dir)
            generations.formUnion(files)
            peak = max(peak, files.reduce(0) { $0 + fileSize(dir.path + "/" + $1) })
            if n % 37 == 0 { try ring.drainJournal() }
        }
        #expect(generations.count > 10)
        // Drained inline at half the budget: never more than the budget plus one record.
        #expect(peak <= configuration.journalBudgetBytes + 512)
        try ring.drainJournal()
        let stats = try ring.stats()
        #expect(stats.rows + Int(stats.droppedTotal) == 5000)
        #expect(try allPending(ring, table: "t").last?.recordID == "rec-4999")
        #expect(try journalFiles(dir).count == 1)
    }

    @Test func redeliveriesAreRecognisedFromMemoryAndAfterACrash() throws {
        let dir = try TemporaryDirectory()
        let (ring, _) = try ReadingRing.open(journaled(dir))
        let d = try ring.descriptorID(table: "t", descriptor: descriptorBytes(1))
        let mark = Delivery(packetID: 7, connectionEpoch: 100, contentHash: 42)
        try mustJournal(ring, [row(1, table: "t", descriptor: d)], delivery: mark)
        #expect(try ring.isRedelivery(mark) == false)
        #expect(try ring.isRedelivery(Delivery(packetID: 7, connectionEpoch: 200, contentHash: 42)))
        #expect(try ring.isRedelivery(Delivery(packetID: 7, connectionEpoch: 200, contentHash: 41)) == false)

        // Crash before any drain: the mark comes back from the journal.
        let firstCrash = try crashSnapshot(dir)
        let (recovered, _) = try ReadingRing.open(journaled(firstCrash))
        #expect(try recovered.isRedelivery(Delivery(packetID: 7, connectionEpoch: 200, contentHash: 42)))
        // And after a drain, from the deliveries table.
        try ring.drainJournal()
        let secondCrash = try crashSnapshot(dir)
        let (drained, _) = try ReadingRing.open(journaled(secondCrash))
        #expect(try drained.isRedelivery(Delivery(packetID: 7, connectionEpoch: 200, contentHash: 42)))
        #expect(try drained.stats().rows == 1)
    }

    @Test func theWindowFollowsPacketIDsAcrossTheWrap() {
        var window = DeliveryWindow()
        // Packet ids 64000…65535, then 1…1464: the broker wraps after 65535.
        let mids = (0..<3000).map { Int32((64_000 + $0 - 1) % 65535 + 1) }
        for mid in mids { window.record(Delivery(packetID: mid, connectionEpoch: 1, contentHash: Int64(mid))) }
        #expect(mids.last == 1464)
        #expect(window.isRedelivery(Delivery(packetID: 1464, connectionEpoch: 2, contentHash: 1464)))
        #expect(window.isRedelivery(Delivery(packetID: 65000, connectionEpoch: 2, contentHash: 65000)))
        // Far behind the newest id: dropped, so a new message reusing it is not mistaken.
        #expect(window.isRedelivery(Delivery(packetID: 64000, connectionEpoch: 2, contentHash: 64000)) == false)
        #expect(window.isRedelivery(Delivery(packetID: 1464, connectionEpoch: 1, contentHash: 1464)) == false)
    }

    @Test func pauseModeRefusesWhenJournaledRowsWouldNotFit() throws {
        let dir = try TemporaryDirectory()
        let (ring, _) = try ReadingRing.open(journaled(dir, maxBytes: 1 << 20, onFull: .pause))
        let d = try ring.descriptorID(table: "t", descriptor: descriptorBytes(1))
        var accepted = 0
        while try ring.journal([row(accepted, table: "t", descriptor: d, size: 1000)], delivery: nil) == .accepted {
            accepted += 1
            #expect(accepted < 2000)
        }
        try ring.drainJournal()
        let stats = try ring.stats()
        #expect(stats.rows == accepted)
        #expect(stats.droppedTotal == 0)
        #expect(stats.bytesOnDisk <= 1 << 20)
    }

    @Test func aRingWithoutTheJournalLeavesJournalFilesAlone() throws {
        let dir = try TemporaryDirectory()
        let (ring, _) = try ReadingRing.open(journaled(dir))
        let d = try ring.descriptorID(table: "t", descriptor: descriptorBytes(1))
        try mustJournal(ring, [row(1, table: "t", descriptor: d)])
        // A CLI opening the ring beside the daemon must not replay (steal) its journal.
        let (cli, report) = try ReadingRing.open(dir.configuration())
        #expect(report.journalRecordsReplayed == 0)
        #expect(try journalFiles(dir).count == 1)
        #expect(throws: RingError.self) { try cli.journal([row(2, table: "t", descriptor: d)], delivery: nil) }
        try ring.close()
        #expect(try allPending(cli, table: "t").count == 1)
    }
}
