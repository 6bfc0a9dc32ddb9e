import Glibc
import Synchronization

/// A serial executor whose jobs run one at a time on one dedicated thread, plus one timed
/// action (`schedule`) and one periodic `tick` run on the same thread between jobs.
///
/// Why: the ring's SQLite work (fdatasync, checkpoints, vacuum) blocks, and on a 2-core gateway
/// the cooperative pool has two threads; one slow SD-card write there stalls every actor,
/// including the streams that must process acks. Actors whose `unownedExecutor` is this one run
/// on this thread instead, and async callers just `await` them.
///
/// Budget: while idle the thread sleeps in `poll(2)` on a pipe with no timeout (no wake-ups);
/// a job or a schedule writes one byte only when the thread is asleep, so a burst of jobs costs
/// one wake-up. Timeouts are relative, hence monotonic: a wall-clock step changes nothing.
final class ThreadExecutor: SerialExecutor {
    private struct State {
        var jobs: [UnownedJob] = []
        var nextJob = 0
        /// Monotonic milliseconds at which `action` is due; nil when nothing is scheduled.
        var due: Int64?
        /// The periodic tick: its body, period and next run (monotonic milliseconds).
        var tick: (body: @Sendable () -> Void, period: Int64, next: Int64)?
        /// The thread is in (or about to enter) poll: the next enqueue must write the pipe.
        var sleeping = false
        var stopping = false
        /// The thread has left its loop.
        var finished = false
    }

    private let state = Mutex(State())
    private let lifecycle = Mutex<NativeThread?>(nil)
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let action: @Sendable () -> Int64?
    private let runningThread = Mutex<pthread_t?>(nil)

    /// `action` runs on the thread when a `schedule` falls due; it returns the milliseconds
    /// after which to run again (a retry), or nil.
    init(action: @escaping @Sendable () -> Int64? = { nil }) throws(AgentSystemError) {
        guard let pipe = makePipe(nonBlocking: true) else {
            throw AgentSystemError.posix("cannot create the executor's wake pipe", errno)
        }
        (wakeRead, wakeWrite) = pipe
        self.action = action
    }

    deinit {
        closeDescriptor(wakeRead)
        closeDescriptor(wakeWrite)
    }

    func start(name: String) throws(AgentSystemError) {
        let thread = try NativeThread.start(name: name) { self.loop() }
        lifecycle.withLock { $0 = thread }
    }

    /// Runs the jobs already queued, then ends the thread. Jobs enqueued later run on the
    /// calling thread of `enqueue` (only during shutdown; see `enqueue`).
    func stop() {
        wake { $0.stopping = true }
        lifecycle.withLock { $0.take() }?.join()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let queued = wake { state -> Bool in
            guard !state.finished else { return false }
            state.jobs.append(job)
            return true
        }
        // Only after `stop`, which callers reach once nothing runs here any more: better on the
        // caller's thread than never (a job left queued would hang its task for good).
        if !queued { job.runSynchronously(on: asUnownedSerialExecutor()) }
    }

    /// Runs `action` on the thread once `milliseconds` from now, unless it is already scheduled
    /// (then the earlier time stands: callers coalesce into one run).
    func schedule(afterMilliseconds milliseconds: Int64) {
        let due = monotonicMilliseconds() + milliseconds
        wake { state in
            if state.due == nil { state.due = due }
        }
    }

    /// Runs `body` on the thread at once, then every `milliseconds` (nil: no more ticks). The
    /// poll timeout is the timer: no other thread wakes for it.
    func setTick(everyMilliseconds milliseconds: Int64, _ body: (@Sendable () -> Void)?) {
        let next = monotonicMilliseconds()
        wake { state in
            state.tick = body.map { ($0, milliseconds, next) }
        }
    }

    /// Changes the state and writes the pipe if the thread sleeps.
    @discardableResult
    private func wake<T>(_ change: (inout State) -> T) -> T {
        let (result, sleeping) = state.withLock { state -> (T, Bool) in
            let result = change(&state)
            defer { state.sleeping = false }
            return (result, state.sleeping)
        }
        if sleeping {
            var byte: UInt8 = 1
            _ = write(wakeWrite, &byte, 1)
        }
        return result
    }

    private enum Step {
        case run(UnownedJob)
        case act
        case tick(@Sendable () -> Void)
        case sleep(timeout: Int32)
        case exit
    }

    /// True on the executor's thread (while it runs).
    var isCurrentThread: Bool {
        runningThread.withLock { thread in thread.map { pthread_equal($0, pthread_self()) != 0 } ?? false }
    }

    /// Lets `assumeIsolated` work in code the thread runs outside a job (the action).
    func checkIsolated() {
        precondition(isCurrentThread, "not on the executor's thread")
    }

    private func loop() {
        runningThread.withLock { $0 = pthread_self() }
        defer { runningThread.withLock { $0 = nil } }
        while true {
            switch nextStep() {
            case .run(let job):
                job.runSynchronously(on: asUnownedSerialExecutor())
            case .act:
                if let again = action() { schedule(afterMilliseconds: again) }
            case .tick(let body):
                body()
            case .sleep(let timeout):
                var descriptor = pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)
                _ = poll(&descriptor, 1, timeout)
                var sink = [UInt8](repeating: 0, count: 64)
                while read(wakeRead, &sink, sink.count) > 0 {}
                state.withLock { $0.sleeping = false }
            case .exit:
                return
            }
        }
    }

    /// A due action or tick goes before queued jobs, so a busy queue cannot starve them.
    private func nextStep() -> Step {
        state.withLock { state in
            let now = monotonicMilliseconds()
            if let due = state.due, now >= due {
                state.due = nil
                return .act
            }
            if let tick = state.tick, now >= tick.next {
                // The next period starts now: a slow round delays, never bunches, the next.
                state.tick!.next = now + tick.period
                return .tick(tick.body)
            }
            if state.nextJob < state.jobs.count {
                let job = state.jobs[state.nextJob]
                state.nextJob += 1
                if state.nextJob == state.jobs.count {
                    state.jobs.removeAll(keepingCapacity: true)
                    state.nextJob = 0
                }
                return .run(job)
            }
            if state.stopping {
                state.finished = true
                return .exit
            }
            state.sleeping = true
            let wakeAt = [state.due, state.tick?.next].compactMap { $0 }.min()
            let timeout = wakeAt.map { Int32(clamping: max($0 - now, 0)) } ?? -1
            return .sleep(timeout: timeout)
        }
    }
}
