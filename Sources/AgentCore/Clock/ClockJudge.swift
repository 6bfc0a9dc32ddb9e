/// Whether the wall clock can be believed, judged from pairs of (wall, monotonic) readings.
///
/// A gateway without an RTC boots at 1970, or at the time it last saved, and steps forward when
/// NTP syncs. The judge calls the clock untrusted while it reads before `floor` (the build date:
/// no real clock is older than the binary) or behind the newest time already stamped (the ring's
/// newest row at start, then every trusted stamp since: real time does not run backwards). It
/// sees steps as changes of `wall − monotonic`: the kernel slews both clocks alike, so only a
/// step (settimeofday, NTP's step mode) changes the difference; the tolerance still allows
/// 1 s plus 500 ppm (the kernel's slew limit) of the monotonic time since the last reading.
///
/// States: `synced` (trusted, no step seen in this run), `unsynced` (untrusted), `stepped`
/// (trusted again, after a step was seen in this run; kept until restart so that operators see
/// that it happened). Pure value: the caller reads the clocks and feeds them in.
public struct ClockJudge: Sendable, Equatable {
    public enum State: String, Sendable {
        case synced, unsynced, stepped
    }

    /// Why the clock is untrusted.
    public enum Reason: String, Sendable {
        case beforeBuildDate = "before_build_date"
        case behindNewestStamp = "behind_newest_stamp"
    }

    public enum Event: Sendable, Equatable {
        /// `wall − monotonic` changed by `micros` (positive: the clock jumped forward).
        case step(micros: Int64)
        case untrusted(Reason)
        /// Trusted again: rows stamped while untrusted can be re-based on `offset` now.
        case trusted
    }

    /// Below this, the kernel's clock reading jitter; above, a step (plus the slew allowance).
    public static let stepToleranceMicros: Int64 = 1_000_000
    /// The kernel slews at most 500 ppm (adjtimex), so a slew never exceeds this share of time.
    public static let slewPartsPerMillion: Int64 = 500

    public private(set) var state: State
    public private(set) var reason: Reason?
    /// `wall − monotonic` at the last reading, µs: monotonic time plus this is wall time.
    public private(set) var offset: Int64
    /// Monotonic time (µs) of the last state change, so reports can state it in trusted wall time.
    public private(set) var changedAtMono: Int64
    /// The last step seen, µs (nil: none in this run).
    public private(set) var lastStepMicros: Int64?
    private let floor: Int64
    /// The newest wall time known to be real: trusted stamps only (and the ring's newest row).
    private var newestTrusted: Int64
    private var lastMono: Int64

    public var isTrusted: Bool { state != .unsynced }

    /// - Parameters:
    ///   - floor: µs since the epoch no real clock is behind (the build date).
    ///   - newestStamp: the newest `received_at` already in the ring, if any.
    public init(floor: Int64, newestStamp: Int64?, wall: Int64, mono: Int64) {
        self.floor = floor
        newestTrusted = max(newestStamp ?? floor, floor)
        offset = wall - mono
        lastMono = mono
        changedAtMono = mono
        state = .synced
        if let reason = implausibility(wall) {
            state = .unsynced
            self.reason = reason
        } else {
            newestTrusted = max(newestTrusted, wall)
        }
    }

    /// Feeds one reading; returns what changed (usually nothing: one subtraction and comparisons).
    public mutating func observe(wall: Int64, mono: Int64) -> [Event] {
        let newOffset = wall - mono
        let elapsed = max(mono - lastMono, 0)
        let tolerance = Self.stepToleranceMicros + elapsed / 1_000_000 * Self.slewPartsPerMillion
        let jump = newOffset - offset
        lastMono = mono
        offset = newOffset
        var events: [Event] = []
        let stepped = abs(jump) > tolerance
        if stepped {
            lastStepMicros = jump
            events.append(.step(micros: jump))
        }
        let problem = implausibility(wall)
        switch (isTrusted, problem) {
        case (true, let reason?):
            state = .unsynced
            self.reason = reason
            changedAtMono = mono
            events.append(.untrusted(reason))
        case (true, nil):
            if stepped, state != .stepped {
                state = .stepped
                changedAtMono = mono
            }
        case (false, let reason?):
            self.reason = reason
        case (false, nil):
            state = lastStepMicros == nil ? .synced : .stepped
            reason = nil
            changedAtMono = mono
            events.append(.trusted)
        }
        if isTrusted { newestTrusted = max(newestTrusted, wall) }
        return events
    }

    /// Wall time (µs) of a monotonic instant, by the current offset: right once trusted.
    public func wallTime(ofMono mono: Int64) -> Int64 { offset + mono }

    private func implausibility(_ wall: Int64) -> Reason? {
        if wall < floor { return .beforeBuildDate }
        if wall < newestTrusted - Self.stepToleranceMicros { return .behindNewestStamp }
        return nil
    }
}
