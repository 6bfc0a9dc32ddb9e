import Synchronization

/// "Something changed: look again", for tasks that would otherwise poll.
///
/// Budget: an idle gateway must not wake at all (issue 12: ≤ 5 context switches per second for
/// the whole process), so waiters sleep until `signal` or their own deadline, never on a tick.
///
/// A generation counter makes it free of lost wake-ups: read `generation`, look at the state,
/// then `wait(after:)` that generation; a `signal` in between makes the wait return at once.
/// Every waiter wakes on a signal (a broadcast), and a wake-up may be spurious: waiters look
/// again and wait again. Cancellation ends a wait.
final class WakeSignal: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var nextWaiter = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    init() {}

    /// The number of signals so far.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// Wakes every current waiter, and any later `wait(after:)` of an older generation.
    func signal() {
        let waiters = state.withLock { state in
            state.generation &+= 1
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the generation differs from `seen` (at once if it already does), or the
    /// task is cancelled.
    func wait(after seen: UInt64) async {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    // Checked under the lock: a cancel handler that already ran found nothing to resume.
                    if state.generation != seen || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    /// `wait(after:)`, or until `timeout` has passed (monotonic); nil waits without a deadline.
    /// True when it returned for a signal (or cancellation), false for the deadline.
    @discardableResult
    func wait(after seen: UInt64, timeout: Duration?) async -> Bool {
        guard let timeout else {
            await wait(after: seen)
            return true
        }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await self.wait(after: seen)
                return true
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first || generation != seen
        }
    }

    /// Tasks waiting now (for tests).
    var waiterCount: Int { state.withLock { $0.waiters.count } }
}
