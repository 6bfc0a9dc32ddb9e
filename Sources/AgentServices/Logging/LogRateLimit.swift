/// At most `burst` log lines per `window` for one kind of event; the rest are counted and the
/// count rides on the next line let through. A junk flood (50k bad payloads) must not become
/// 50k warning lines in journald: the quarantine and its counters keep every detail, the log
/// only has to say that it is happening and how often.
struct LogRateLimit {
    let burst: Int
    let window: Duration
    private var windowStart: ContinuousClock.Instant?
    private var linesInWindow = 0
    private var suppressed = 0

    init(burst: Int = 10, window: Duration = .seconds(60)) {
        self.burst = burst
        self.window = window
    }

    /// Nil when this line is to be suppressed; otherwise how many lines were suppressed
    /// since the last one let through (0 for none).
    mutating func admit(now: ContinuousClock.Instant = .now) -> Int? {
        if let start = windowStart, now - start < window, linesInWindow >= burst {
            suppressed += 1
            return nil
        }
        if windowStart.map({ now - $0 >= window }) ?? true {
            windowStart = now
            linesInWindow = 0
        }
        linesInWindow += 1
        defer { suppressed = 0 }
        return suppressed
    }
}
