import Glibc

/// The two clocks the package reads directly (`clock_gettime`), where `ContinuousClock` does not
/// fit: C APIs that want raw numbers (poll timeouts, condition-variable deadlines) and stamps in
/// the units SQLite stores.
public enum SystemClocks {
    /// Wall-clock microseconds since the Unix epoch (CLOCK_REALTIME): steps with the system clock.
    public static func wallMicros() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000_000 + Int64(time.tv_nsec) / 1000
    }

    /// CLOCK_MONOTONIC nanoseconds: for durations and deadlines; never steps.
    public static func monotonicNanos() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
