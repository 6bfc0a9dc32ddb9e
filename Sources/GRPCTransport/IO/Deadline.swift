/// A point in time after which a blocking step gives up; `poll` timeouts are derived from it.
struct Deadline {
    private let instant: ContinuousClock.Instant?

    private init(instant: ContinuousClock.Instant?) { self.instant = instant }

    static func after(_ duration: Duration) -> Deadline { Deadline(instant: .now + duration) }

    static let never = Deadline(instant: nil)

    /// The earlier of two deadlines.
    func min(_ other: Deadline) -> Deadline {
        guard let mine = instant else { return other }
        guard let theirs = other.instant else { return self }
        return Deadline(instant: Swift.min(mine, theirs))
    }

    var hasPassed: Bool { instant.map { $0 <= .now } ?? false }

    /// Milliseconds to pass to `poll`: -1 without a deadline, 0 once it has passed (rounded up so
    /// that we never wake a millisecond early and spin).
    var pollTimeoutMilliseconds: Int32 {
        guard let instant else { return -1 }
        let remaining = instant - .now
        if remaining <= .zero { return 0 }
        let (seconds, attoseconds) = remaining.components
        let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: milliseconds)
    }
}
