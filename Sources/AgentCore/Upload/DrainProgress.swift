/// Progress of one backlog drain for health: how many rows are left of how many, and when it
/// will be done at the rate measured over the recent past.
public struct DrainProgress: Sendable, Equatable {
    /// Rows the backlog held when the drain began, plus rows later reconnects added.
    public private(set) var initialRows: Int
    private struct Sample: Sendable, Equatable {
        var at: ContinuousClock.Instant
        var remaining: Int
    }
    private var samples: [Sample] = []
    /// The drain rate is measured over this much of the recent past: long enough to smooth
    /// batch-sized steps, short enough to follow a changed uplink.
    public static let window: Duration = .seconds(30)

    public init(initialRows: Int) {
        self.initialRows = initialRows
    }

    /// A later reconnect made `rows` more rows backlog.
    public mutating func add(_ rows: Int) {
        initialRows += rows
    }

    /// Notes the rows still to deliver at `now` (taken whenever health asks).
    public mutating func record(remaining: Int, at now: ContinuousClock.Instant) {
        samples.append(Sample(at: now, remaining: remaining))
        // Keep two samples at least, so that a long health interval still yields a rate.
        while samples.count > 2, samples[0].at.duration(to: now) > Self.window { samples.removeFirst() }
    }

    /// 0…1: the share of `initialRows` delivered (or dropped for age) so far.
    public func progress(remaining: Int) -> Double {
        guard initialRows > 0 else { return 1 }
        return min(1, max(0, 1 - Double(remaining) / Double(initialRows)))
    }

    /// Rows per second the backlog shrank by over the window; nil before two samples a second apart.
    public var rowsPerSecond: Double? {
        guard let first = samples.first, let last = samples.last else { return nil }
        let elapsed = first.at.duration(to: last.at)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        guard seconds >= 1 else { return nil }
        return Double(first.remaining - last.remaining) / seconds
    }

    /// Seconds until the backlog is gone at the measured rate; nil while no rate is known or
    /// the backlog is not shrinking.
    public var etaSeconds: Int? {
        guard let remaining = samples.last?.remaining, let rate = rowsPerSecond, rate > 0 else { return nil }
        return Int((Double(remaining) / rate).rounded(.up))
    }
}
