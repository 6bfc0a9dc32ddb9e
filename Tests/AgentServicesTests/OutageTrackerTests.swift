import ReadingRing
import Testing
@testable import AgentServices

/// `OutageTracker` on made-up observations: no clock, no ring.
@Suite struct OutageTrackerTests {
    private let second: Int64 = 1_000_000

    private func figures(_ rows: Int64, _ dropped: Int64 = 0) -> OutageTracker.Figures {
        OutageTracker.Figures(rowsEverBuffered: rows, droppedTotal: dropped)
    }

    @Test func aShortGapIsAReconnectNotAnOutage() {
        var tracker = OutageTracker(resuming: [], now: figures(0))
        #expect(tracker.observe(connected: true, downSince: nil, now: 10 * second, figures: figures(100)) == nil)
        #expect(tracker.observe(connected: false, downSince: 11 * second, now: 14 * second, figures: figures(150)) == nil)
        #expect(tracker.observe(connected: true, downSince: nil, now: 15 * second, figures: figures(200)) == nil)
        #expect(tracker.open == nil)
    }

    @Test func anOutageBeginsWhenTheLinkWentDownGrowsAndEnds() {
        var tracker = OutageTracker(resuming: [], now: figures(0))
        _ = tracker.observe(connected: true, downSince: nil, now: 10 * second, figures: figures(100))
        let began = tracker.observe(connected: false, downSince: 11 * second, now: 20 * second, figures: figures(190, 0))
        #expect(began == OutageRecord(start: 11 * second, end: nil, rowsBuffered: 90, rowsDropped: 0))
        let grown = tracker.observe(connected: false, downSince: 11 * second, now: 30 * second, figures: figures(290, 4))
        #expect(grown == OutageRecord(start: 11 * second, end: nil, rowsBuffered: 190, rowsDropped: 4))
        let ended = tracker.observe(connected: true, downSince: nil, now: 40 * second, figures: figures(390, 4))
        #expect(ended == OutageRecord(start: 11 * second, end: 40 * second, rowsBuffered: 290, rowsDropped: 4))
        // The next outage counts from the figures of the last refresh with the link up.
        _ = tracker.observe(connected: true, downSince: nil, now: 50 * second, figures: figures(500, 4))
        let next = tracker.observe(connected: false, downSince: 51 * second, now: 60 * second, figures: figures(560, 4))
        #expect(next == OutageRecord(start: 51 * second, end: nil, rowsBuffered: 60, rowsDropped: 0))
    }

    @Test func anOutageOpenAtTheLastStopIsResumed() {
        let stored = [
            OutageRecord(start: 1 * second, end: 5 * second, rowsBuffered: 10, rowsDropped: 0),
            OutageRecord(start: 100 * second, end: nil, rowsBuffered: 300, rowsDropped: 2),
        ]
        var tracker = OutageTracker(resuming: stored, now: figures(1000, 7))
        #expect(tracker.open == stored[1])
        let grown = tracker.observe(connected: false, downSince: 200 * second, now: 201 * second, figures: figures(1050, 7))
        #expect(grown == OutageRecord(start: 100 * second, end: nil, rowsBuffered: 350, rowsDropped: 2))
        let ended = tracker.observe(connected: true, downSince: nil, now: 210 * second, figures: figures(1060, 7))
        #expect(ended?.end == 210 * second && ended?.rowsBuffered == 360)
    }

    @Test func aClosedHistoryStartsNothing() {
        let stored = [OutageRecord(start: 1 * second, end: 5 * second, rowsBuffered: 10, rowsDropped: 0)]
        var tracker = OutageTracker(resuming: stored, now: figures(1000))
        #expect(tracker.open == nil)
        #expect(tracker.observe(connected: true, downSince: nil, now: 10 * second, figures: figures(1000)) == nil)
    }
}
