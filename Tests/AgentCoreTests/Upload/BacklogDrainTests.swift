import Testing
@testable import AgentCore

@Suite struct BacklogDrainTests {
    typealias Span = BacklogDrain.Span

    @Test func testSource_whenNoDrain_generalLanesTakeLiveRowsAndTheLiveLaneIdles() {
        let plan = BacklogDrain(order: .liveFirst, cursor: 7)
        #expect(plan.source(for: .general) == .live(after: 7))
        #expect(plan.source(for: .live) == .none)
        #expect(!plan.isDraining)
    }

    @Test func testLinkUp_whenWorthDraining_makesUnclaimedRowsBacklogAndLaterRowsLive() {
        var plan = BacklogDrain(order: .liveFirst, cursor: 100)
        let started = plan.linkUp(newestRowID: 60_100, worthDraining: true)
        #expect(started)
        #expect(plan.isDraining && plan.boundary == 60_100)
        #expect(plan.source(for: .general) == .backlog(Span(after: 100, through: 60_100)))
        #expect(plan.source(for: .live) == .live(after: 60_100))
    }

    @Test func testLinkUp_whenABlip_startsNoDrain() {
        var plan = BacklogDrain(order: .liveFirst, cursor: 100)
        let blip = plan.linkUp(newestRowID: 150, worthDraining: false)
        #expect(!blip)
        #expect(plan.source(for: .general) == .live(after: 100), "the few rows go out with the next batch")
        let stale = plan.linkUp(newestRowID: 50, worthDraining: true)
        #expect(!stale, "nothing newer than what was claimed")
    }

    @Test func testClaims_walkTheSpanAndExhaustIt() {
        var plan = BacklogDrain(order: .liveFirst, cursor: 0)
        plan.linkUp(newestRowID: 3000, worthDraining: true)
        plan.claimedBacklog(through: 1000)
        #expect(plan.source(for: .general) == .backlog(Span(after: 1000, through: 3000)))
        plan.claimedLive(through: 3500)
        #expect(plan.source(for: .live) == .live(after: 3500))
        plan.claimedBacklog(through: 3000)
        #expect(plan.spans.isEmpty)
        #expect(plan.source(for: .general) == .none, "live-first: no live row behind the backlog still in flight")
    }

    @Test func testFinish_waitsForEveryBacklogBatchToBeAcked() {
        var plan = BacklogDrain(order: .liveFirst, cursor: 0)
        plan.linkUp(newestRowID: 3000, worthDraining: true)
        let early = plan.finish(outstandingBacklog: 0)
        #expect(!early, "unclaimed backlog remains")
        plan.claimedBacklog(through: 3000)
        let unacked = plan.finish(outstandingBacklog: 2)
        #expect(!unacked)
        let done = plan.finish(outstandingBacklog: 0)
        #expect(done)
        #expect(!plan.isDraining)
        #expect(plan.source(for: .general) == .live(after: 3000))
        #expect(plan.source(for: .live) == .none)
    }

    @Test func testFifo_sendsTheBacklogBeforeAnyLiveRow() {
        var plan = BacklogDrain(order: .fifo, cursor: 10)
        plan.linkUp(newestRowID: 5000, worthDraining: true)
        #expect(plan.source(for: .general) == .backlog(Span(after: 10, through: 5000)))
        #expect(plan.source(for: .live) == .none, "fifo has no live lane")
        plan.claimedBacklog(through: 5000)
        #expect(plan.source(for: .general) == .live(after: 5000))
    }

    /// A second outage during a drain: the live rows claimed meanwhile stay claimed, the rows
    /// buffered during the second outage join the backlog behind the first span.
    @Test func testLinkUp_duringADrain_appendsASpanWithoutReclaimingRows() {
        var plan = BacklogDrain(order: .liveFirst, cursor: 0)
        plan.linkUp(newestRowID: 1000, worthDraining: true)
        plan.claimedBacklog(through: 400)
        plan.claimedLive(through: 1200)
        let extended = plan.linkUp(newestRowID: 1300, worthDraining: false)
        #expect(extended, "a running drain takes any new rows")
        #expect(plan.spans == [Span(after: 400, through: 1000), Span(after: 1200, through: 1300)])
        #expect(plan.boundary == 1300)
        #expect(plan.source(for: .live) == .live(after: 1300))
        plan.claimedBacklog(through: 1000)
        #expect(plan.source(for: .general) == .backlog(Span(after: 1200, through: 1300)))
    }
}

@Suite struct TokenBucketTests {
    let start = ContinuousClock.now

    @Test func testAvailable_startsWithOneSecondOfRowsAndRefillsAtTheRate() {
        var bucket = TokenBucket(ratePerSecond: 2000, now: start)
        let full = bucket.available(at: start)
        #expect(full == 2000)
        bucket.take(2000, at: start)
        let empty = bucket.available(at: start)
        #expect(empty == 0)
        let quarter = bucket.available(at: start + .milliseconds(250))
        #expect(quarter == 500)
        let capped = bucket.available(at: start + .seconds(10))
        #expect(capped == 2000, "holds one second at most")
    }

    @Test func testWait_isTheTimeUntilEnoughRowsRefilled() {
        var bucket = TokenBucket(ratePerSecond: 1000, now: start)
        bucket.take(1000, at: start)
        #expect(bucket.wait(for: 500, at: start) == .milliseconds(500))
        #expect(bucket.wait(for: 5000, at: start) == .seconds(1), "never waits for more than it can hold")
        #expect(bucket.wait(for: 100, at: start + .milliseconds(100)) == .zero)
    }

    @Test func testRate_overManySecondsIsTheCap() {
        var bucket = TokenBucket(ratePerSecond: 300, now: start)
        var sent = 0
        var now = start
        for _ in 0..<1000 {  // a lane asking every 10 ms for 10 s
            let rows = min(bucket.available(at: now), 100)
            bucket.take(rows, at: now)
            sent += rows
            now += .milliseconds(10)
        }
        #expect(sent >= 300 * 10 && sent <= 300 * 11, "\(sent) rows in 10 s at 300/s (+1 s burst)")
    }
}

@Suite struct DrainProgressTests {
    let start = ContinuousClock.now

    @Test func testEta_followsTheMeasuredRate() {
        var progress = DrainProgress(initialRows: 60_000)
        progress.record(remaining: 60_000, at: start)
        #expect(progress.etaSeconds == nil, "no rate from one sample")
        progress.record(remaining: 50_000, at: start + .seconds(5))
        #expect(progress.rowsPerSecond == 2000)
        #expect(progress.etaSeconds == 25)
        #expect(progress.progress(remaining: 50_000) > 0.16 && progress.progress(remaining: 50_000) < 0.17)
    }

    @Test func testEta_isNilWhileTheBacklogDoesNotShrink() {
        var progress = DrainProgress(initialRows: 100)
        progress.record(remaining: 100, at: start)
        progress.record(remaining: 100, at: start + .seconds(3))
        #expect(progress.etaSeconds == nil)
    }

    @Test func testRate_forgetsSamplesOlderThanTheWindow() {
        var progress = DrainProgress(initialRows: 100_000)
        progress.record(remaining: 100_000, at: start)
        progress.record(remaining: 99_000, at: start + .seconds(60))  // stalled for a minute
        progress.record(remaining: 89_000, at: start + .seconds(65))  // then 2000/s
        #expect(progress.rowsPerSecond == 2000)
    }

    @Test func testAdd_growsTheTotalSoProgressStaysHonest() {
        var progress = DrainProgress(initialRows: 1000)
        progress.add(1000)
        #expect(progress.initialRows == 2000)
        #expect(progress.progress(remaining: 1500) == 0.25)
        #expect(DrainProgress(initialRows: 0).progress(remaining: 0) == 1)
    }
}
