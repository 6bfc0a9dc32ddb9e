import AgentCore
import Testing

/// Clock histories a gateway without an RTC lives through, fed as (wall, monotonic) pairs.
@Suite struct ClockJudgeTests {
    static let second: Int64 = 1_000_000
    static let floor: Int64 = ClockJudge.buildDateFloorMicros
    /// A plausible "now": a day after the floor.
    static let now: Int64 = floor + 86_400 * second

    @Test func plausibleClockAtStartIsSynced() {
        var judge = ClockJudge(floor: Self.floor, newestStamp: Self.now - 60 * Self.second, wall: Self.now, mono: 5 * Self.second)
        #expect(judge.state == .synced)
        #expect(judge.observe(wall: Self.now + 10 * Self.second, mono: 15 * Self.second) == [])
        #expect(judge.state == .synced)
    }

    @Test func bootAt1970IsUnsyncedThenTheStepTrustsItAgain() {
        var judge = ClockJudge(floor: Self.floor, newestStamp: nil, wall: 3 * Self.second, mono: 3 * Self.second)
        #expect(judge.state == .unsynced)
        #expect(judge.reason == .beforeBuildDate)
        // Time passes at 1970: still untrusted, no step.
        #expect(judge.observe(wall: 63 * Self.second, mono: 63 * Self.second) == [])
        #expect(!judge.isTrusted)
        // NTP steps the clock to now.
        let events = judge.observe(wall: Self.now, mono: 64 * Self.second)
        #expect(events == [.step(micros: Self.now - 63 * Self.second - Self.second), .trusted])
        #expect(judge.state == .stepped)
        #expect(judge.reason == nil)
        // A row stamped at monotonic 10 s happened 54 s before the step.
        #expect(judge.wallTime(ofMono: 10 * Self.second) == Self.now - 54 * Self.second)
    }

    @Test func bootAtLastSavedTimeBehindTheRingThenStepForward() {
        // fake-hwclock saved an hour before the last rows were stamped.
        let newest = Self.now - 3600 * Self.second
        let saved = newest - 3600 * Self.second
        var judge = ClockJudge(floor: Self.floor, newestStamp: newest, wall: saved, mono: Self.second)
        #expect(judge.state == .unsynced)
        #expect(judge.reason == .behindNewestStamp)
        let events = judge.observe(wall: Self.now, mono: 2 * Self.second)
        #expect(events.contains(.trusted))
        #expect(judge.state == .stepped)
    }

    @Test func bootAtLastShutdownTimeIsBelievedUntilItSteps() {
        // Saved at shutdown, so it is not behind the ring: nothing shows it is wrong until the step.
        let newest = Self.now - 3600 * Self.second
        var judge = ClockJudge(floor: Self.floor, newestStamp: newest, wall: newest + Self.second, mono: Self.second)
        #expect(judge.state == .synced)
        #expect(judge.observe(wall: Self.now, mono: 2 * Self.second) == [.step(micros: Self.now - newest - 2 * Self.second)])
        #expect(judge.state == .stepped)
        #expect(judge.isTrusted)
    }

    @Test func slewsAndJitterAreNotSteps() {
        var judge = ClockJudge(floor: Self.floor, newestStamp: nil, wall: Self.now, mono: 0)
        // 500 ppm over an hour is 1.8 s of drift between the clocks: within the slew allowance.
        let hour = 3600 * Self.second
        #expect(judge.observe(wall: Self.now + hour + 1_800_000, mono: hour) == [])
        // 0.9 s of jitter within a second: below the base tolerance.
        #expect(judge.observe(wall: Self.now + hour + 1_800_000 + Self.second + 900_000, mono: hour + Self.second) == [])
        #expect(judge.state == .synced)
        #expect(judge.lastStepMicros == nil)
    }

    @Test func justOverTheToleranceIsAStep() {
        var judge = ClockJudge(floor: Self.floor, newestStamp: nil, wall: Self.now, mono: 0)
        #expect(judge.observe(wall: Self.now + Self.second + 1_100_000, mono: Self.second) == [.step(micros: 1_100_000)])
        #expect(judge.state == .stepped)
    }

    @Test func stepBackwardsIsUntrustedUntilTimeCatchesUp() {
        var judge = ClockJudge(floor: Self.floor, newestStamp: nil, wall: Self.now, mono: 0)
        let back: Int64 = 30 * Self.second
        #expect(judge.observe(wall: Self.now + Self.second - back, mono: Self.second)
            == [.step(micros: -back), .untrusted(.behindNewestStamp)])
        #expect(judge.state == .unsynced)
        // Still behind the newest trusted stamp 20 s later.
        #expect(judge.observe(wall: Self.now + 21 * Self.second - back, mono: 21 * Self.second) == [])
        // Past it again: trusted, and labelled stepped because a step was seen.
        #expect(judge.observe(wall: Self.now + 40 * Self.second - back, mono: 40 * Self.second) == [.trusted])
        #expect(judge.state == .stepped)
    }

    @Test func stepWithinUntrustedTimeStaysUntrusted() {
        // 1970 → the saved time of a clock still behind the ring → NTP.
        let newest = Self.now - 600 * Self.second
        var judge = ClockJudge(floor: Self.floor, newestStamp: newest, wall: 0, mono: Self.second)
        #expect(judge.observe(wall: newest - 3600 * Self.second, mono: 2 * Self.second).first == .step(micros: newest - 3600 * Self.second - Self.second))
        #expect(judge.state == .unsynced)
        #expect(judge.reason == .behindNewestStamp)
        #expect(judge.observe(wall: Self.now, mono: 3 * Self.second).last == .trusted)
        #expect(judge.wallTime(ofMono: 2 * Self.second) == Self.now - Self.second)
    }
}
