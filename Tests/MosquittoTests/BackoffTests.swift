@testable import Mosquitto
import Testing

/// The reconnect schedule, without any I/O.
@Suite struct BackoffTests {
    private func delays(count: Int, minimum: Duration, maximum: Duration) -> [Duration] {
        var state = ClientState()
        return (0..<count).map { _ in
            let before = MonotonicInstant.now
            state.scheduleRetry(minimum: minimum, maximum: maximum)
            return .nanoseconds(Int64(state.nextAttempt.nanoseconds - before.nanoseconds))
        }
    }

    @Test func doublesFromTheMinimumUpToTheCapWithJitter() {
        for _ in 0..<50 {
            let waits = delays(count: 12, minimum: .milliseconds(500), maximum: .seconds(30))
            let tolerance = Duration.milliseconds(5)  // time spent between the two clock reads
            for (index, wait) in waits.enumerated() {
                let base = min(Duration.milliseconds(500) * (1 << index), .seconds(30))
                let low = max(base / 2, .milliseconds(500))
                #expect(wait >= low, "attempt \(index + 1) waited \(wait), below \(low)")
                #expect(wait <= base + tolerance, "attempt \(index + 1) waited \(wait), above \(base)")
            }
        }
    }

    @Test func hugeAttemptCountsStayAtTheCap() {
        var state = ClientState()
        state.failedAttempts = 10_000
        let before = MonotonicInstant.now
        state.scheduleRetry(minimum: .milliseconds(100), maximum: .seconds(2))
        let wait = state.nextAttempt.nanoseconds - before.nanoseconds
        #expect(wait >= 1_000_000_000 && wait <= 2_005_000_000)
    }
}
