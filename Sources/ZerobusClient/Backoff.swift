/// Capped exponential backoff with full jitter: the n-th delay (n from 0) is drawn uniformly
/// from `0 ... min(maximum, initial * 2^n)`. Pure: the caller supplies the randomness and does
/// the sleeping, so tests can step the schedule with jitter off.
public struct BackoffPolicy: Sendable, Hashable {
    public var initial: Duration
    public var maximum: Duration
    /// Full jitter spreads reconnect storms of many gateways; switch it off only in tests.
    public var jitter: Bool

    public init(initial: Duration = .milliseconds(500), maximum: Duration = .seconds(30), jitter: Bool = true) {
        self.initial = initial
        self.maximum = max(maximum, initial)
        self.jitter = jitter
    }

    /// The ceiling of the delay before retry number `attempt` (0-based).
    public func ceiling(attempt: Int) -> Duration {
        let initialMs = Self.milliseconds(initial)
        let maximumMs = Self.milliseconds(maximum)
        // 2^attempt overflows quickly; past 40 doublings every sane policy is at its cap.
        let shift = min(max(attempt, 0), 40)
        let (grown, overflow) = initialMs.multipliedReportingOverflow(by: Int64(1) << shift)
        return .milliseconds(overflow ? maximumMs : min(grown, maximumMs))
    }

    /// The delay before retry number `attempt`, with `unitRandom` in `0 ..< 1`.
    public func delay(attempt: Int, unitRandom: Double) -> Duration {
        let ceilingMs = Self.milliseconds(ceiling(attempt: attempt))
        guard jitter else { return .milliseconds(ceilingMs) }
        let fraction = min(max(unitRandom, 0), 1)
        return .milliseconds(Int64((Double(ceilingMs) * fraction).rounded(.down)))
    }

    public func delay(attempt: Int) -> Duration {
        delay(attempt: attempt, unitRandom: Double.random(in: 0..<1))
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

/// How a stream recovers from retryable failures.
public struct RecoveryPolicy: Sendable, Hashable {
    /// Off: the first failure is terminal (the caller gets the unacked records back).
    public var enabled: Bool
    public var backoff: BackoffPolicy
    /// Failed reconnect attempts allowed per recovery episode; `nil` retries forever.
    public var maxAttempts: Int?

    public init(enabled: Bool = true, backoff: BackoffPolicy = BackoffPolicy(), maxAttempts: Int? = 5) {
        self.enabled = enabled
        self.backoff = backoff
        self.maxAttempts = maxAttempts
    }

    /// Never give up while the process runs: what an unattended agent wants.
    public static func forever(backoff: BackoffPolicy = BackoffPolicy()) -> RecoveryPolicy {
        RecoveryPolicy(enabled: true, backoff: backoff, maxAttempts: nil)
    }

    /// Whether failed attempt number `failures` (1-based) may be followed by another.
    public func allowsAnotherAttempt(afterFailures failures: Int) -> Bool {
        guard enabled else { return false }
        guard let maxAttempts else { return true }
        return failures < maxAttempts
    }
}
