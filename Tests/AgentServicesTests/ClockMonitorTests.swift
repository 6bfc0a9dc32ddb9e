import AgentCore
import Logging
import ReadingRing
import Testing
@testable import AgentServices

/// `ClockMonitor` on a real ring and the machine's real clocks (which are synced here).
@Suite struct ClockMonitorTests {
    @Test func aSyncedClockStampsTrustedAndHoldsNothing() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let (ring, _) = try ReadingRing.open(RingConfiguration(path: dir.path + "/buffer.db"))
        let monitor = ClockMonitor(ring: ring, logger: Logger(label: "test"))
        let stamp = monitor.stamp()
        #expect(stamp.trusted)
        #expect(monitor.snapshot.state == .synced)
        let boundsNow = monitor.tick(tables: [:])
        #expect(!ring.uploadsAreHeld)
        #expect(boundsNow >= stamp.wall)
        // The first tick saves the trusted-clock mark.
        #expect(try ring.trustedClockMark() != nil)
        try ring.close()
    }

    @Test func notesOfThisBootAreRestoredOthersCountedAsLost() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let (ring, _) = try ReadingRing.open(RingConfiguration(path: dir.path + "/buffer.db"))
        let boot = ClockMonitor.readBootID()
        #expect(boot.count == 36)
        try ring.saveClockNotes([
            ClockNote(recordID: "mine", mono: 10, rows: 2, receivedAt: 60_000_000, bootID: boot),
            ClockNote(recordID: "old", mono: 10, rows: 3, receivedAt: 61_000_000, bootID: "another-boot"),
        ])
        let monitor = ClockMonitor(ring: ring, logger: Logger(label: "test"))
        let snapshot = monitor.snapshot
        #expect(snapshot.rowsUnsynced == 2)
        #expect(snapshot.rowsNotRebased == 3)
        #expect(snapshot.uploadsHeld)  // until the restored rows are re-based
        #expect(try ring.clockNotes().map(\.recordID) == ["mine"])
        // Trusted clock, rows gone from the ring: the tick settles the notes and releases uploads.
        _ = monitor.tick(tables: [:])
        #expect(!ring.uploadsAreHeld)
        #expect(monitor.snapshot.rowsNotRebased == 5)
        #expect(try ring.clockNotes().isEmpty)
        try ring.close()
    }
}
