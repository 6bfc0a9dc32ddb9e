import EdgeSupport
import Glibc

/// A value guarded by a pthread mutex, with a condition variable to wait for changes to it.
///
/// `Synchronization.Mutex` has no condition variable, and the network thread must sleep
/// between reconnect attempts yet wake at once when `stop()` or `resume()` is called.
///
/// `@unchecked Sendable`: `value` is read and written only while `mutex` is held, and the
/// pthread objects are heap-allocated so they never move.
final class Monitor<Value>: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var value: Value

    init(_ value: Value) {
        self.value = value
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` with the lock held, then wakes every waiter so it re-checks its condition.
    func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        pthread_mutex_lock(mutex)
        defer {
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
        return body(&value)
    }

    /// Blocks until `isReady` holds or the monotonic deadline (from `deadline`, re-read after
    /// every wake-up; nil means none) has passed, then runs `body` with the lock still held.
    func wait<Result>(
        until isReady: (Value) -> Bool,
        deadline: (Value) -> MonotonicInstant?,
        then body: (inout Value) -> Result
    ) -> Result {
        pthread_mutex_lock(mutex)
        defer {
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
        while !isReady(value) {
            if let limit = deadline(value) {
                if MonotonicInstant.now >= limit { break }
                var until = limit.timespec
                pthread_cond_timedwait(condition, mutex, &until)
            } else {
                pthread_cond_wait(condition, mutex)
            }
        }
        return body(&value)
    }
}

/// Nanoseconds on CLOCK_MONOTONIC, the clock the condition variable waits on.
struct MonotonicInstant: Comparable, Sendable {
    var nanoseconds: UInt64

    static var now: MonotonicInstant {
        MonotonicInstant(nanoseconds: SystemClocks.monotonicNanos())
    }

    static func < (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }

    func advanced(by duration: Duration) -> MonotonicInstant {
        MonotonicInstant(nanoseconds: nanoseconds + duration.wholeNanoseconds)
    }

    var timespec: Glibc.timespec {
        Glibc.timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
    }
}

extension Duration {
    /// Whole nanoseconds, clamped at zero (negative durations mean "now").
    var wholeNanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        if seconds < 0 { return 0 }
        return UInt64(seconds) * 1_000_000_000 + UInt64(max(attoseconds, 0) / 1_000_000_000)
    }
}
