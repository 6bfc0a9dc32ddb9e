import Testing
@testable import AgentServices

/// `WakeSignal`: no lost wake-ups, broadcast, deadline, cancellation. Waits are bounded by
/// generous deadlines so that a broken signal fails (returns false) instead of hanging.
@Suite struct WakeSignalTests {
    @Test func aSignalBetweenReadingAndWaitingIsNotLost() async {
        let signal = WakeSignal()
        let seen = signal.generation
        signal.signal()
        #expect(await signal.wait(after: seen, timeout: .seconds(10)))
    }

    @Test func withoutASignalTheDeadlineEndsTheWait() async {
        let signal = WakeSignal()
        #expect(await signal.wait(after: signal.generation, timeout: .milliseconds(20)) == false)
    }

    @Test func oneSignalWakesEveryWaiter() async {
        let signal = WakeSignal()
        let seen = signal.generation
        let waiters = (0..<3).map { _ in Task { await signal.wait(after: seen, timeout: .seconds(10)) } }
        await waitUntil { signal.waiterCount == 3 }
        signal.signal()
        for waiter in waiters { #expect(await waiter.value) }
        #expect(signal.waiterCount == 0)
    }

    @Test func cancellationEndsAWaitWithoutADeadline() async {
        let signal = WakeSignal()
        let seen = signal.generation
        let waiter = Task { await signal.wait(after: seen) }
        await waitUntil { signal.waiterCount == 1 }
        waiter.cancel()
        await waiter.value
        #expect(signal.waiterCount == 0)
        #expect(signal.generation == seen)
    }
}

/// Yields until `condition` holds (no sleeps: the other task only needs to be scheduled).
func waitUntil(_ condition: () -> Bool) async {
    while !condition() { await Task.yield() }
}
