/// The backfill cap (`backfill_max_rows_per_s`): a token bucket on the monotonic clock, so a
/// wall-clock step (NTP, a manual `date`) neither stalls the backlog nor lets it burst.
///
/// It holds at most one second of rows, so a lane that was idle cannot later send more than the
/// cap allows over any one-second window plus that second's worth.
public struct TokenBucket: Sendable, Equatable {
    public let ratePerSecond: Int
    public var capacity: Int { ratePerSecond }
    private var tokens: Double
    private var updated: ContinuousClock.Instant

    /// Starts full: the first second of a drain may send `ratePerSecond` rows at once.
    public init(ratePerSecond: Int, now: ContinuousClock.Instant) {
        precondition(ratePerSecond > 0, "a cap of 0 means no bucket")
        self.ratePerSecond = ratePerSecond
        tokens = Double(ratePerSecond)
        updated = now
    }

    /// Whole rows that may be sent at `now`.
    public mutating func available(at now: ContinuousClock.Instant) -> Int {
        refill(now)
        return Int(tokens)
    }

    /// Spends `rows` (never below zero: a caller only takes what `available` allowed).
    public mutating func take(_ rows: Int, at now: ContinuousClock.Instant) {
        refill(now)
        tokens = max(0, tokens - Double(rows))
    }

    /// How long until `rows` (at most `capacity`) are available; zero when they are now.
    public func wait(for rows: Int, at now: ContinuousClock.Instant) -> Duration {
        var copy = self
        copy.refill(now)
        let missing = Double(min(rows, capacity)) - copy.tokens
        guard missing > 0 else { return .zero }
        return .nanoseconds(Int64((missing / Double(ratePerSecond) * 1e9).rounded(.up)))
    }

    private mutating func refill(_ now: ContinuousClock.Instant) {
        guard now > updated else { return }
        let elapsed = updated.duration(to: now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        tokens = min(Double(capacity), tokens + seconds * Double(ratePerSecond))
        updated = now
    }
}
