import Logging
import ReadingRing

/// The ring for async code: every call runs on the ring's own thread (`ThreadExecutor`), one at
/// a time, never on the cooperative pool (see `ReadingRing`, "Threads"). `ReadingRing` keeps
/// its synchronous API; this is only where its calls run.
///
/// The thread also moves the intake journal into SQLite (`journalAppended` → one drain a short
/// linger later, however many messages arrived meanwhile), and after every piece of work tells
/// `changes` subscribers when rows were added.
actor RingAccess {
    /// How long a drain waits after the first message journaled since the last drain: long
    /// enough to gather a burst into one transaction, short enough that rows show at once.
    static let drainLingerMilliseconds: Int64 = 20
    /// After a failed drain (records stay in the journal, durable).
    static let drainRetryMilliseconds: Int64 = 1000

    nonisolated let ring: ReadingRing
    nonisolated let changes: RingChanges
    private nonisolated let executor: ThreadExecutor

    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    init(ring: ReadingRing, logger: Logger) throws(AgentSystemError) {
        self.ring = ring
        let drainer = JournalDrainer(ring: ring, logger: logger)
        let changes = RingChanges()
        self.changes = changes
        executor = try ThreadExecutor {
            let drained = drainer.drain()
            changes.check(ring)
            return drained ? nil : Self.drainRetryMilliseconds
        }
        try executor.start(name: "ring")
    }

    /// Runs `body` on the ring's thread.
    func perform<T: Sendable>(_ body: @Sendable (ReadingRing) throws -> T) throws -> T {
        defer { changes.check(ring) }
        return try body(ring)
    }

    /// `perform` for bodies that cannot fail.
    func perform<T: Sendable>(_ body: @Sendable (ReadingRing) -> T) -> T {
        defer { changes.check(ring) }
        return body(ring)
    }

    /// Runs `body` on the ring's thread every `milliseconds` until the calling task is
    /// cancelled. The thread's own poll timeout is the timer, so a round wakes that one thread
    /// and nothing else (a `Task.sleep` loop woke the dispatch timer thread and two pool threads).
    nonisolated func repeating(everyMilliseconds milliseconds: Int64, _ body: @escaping @Sendable (ReadingRing) -> Void) async {
        let ring = ring, changes = changes
        executor.setTick(everyMilliseconds: milliseconds) {
            body(ring)
            changes.check(ring)
        }
        let never = WakeSignal()
        await never.wait(after: never.generation)  // returns when cancelled
        executor.setTick(everyMilliseconds: 0, nil)
    }

    /// Called by the intake (MQTT thread) after each journal append.
    nonisolated func journalAppended() {
        executor.schedule(afterMilliseconds: Self.drainLingerMilliseconds)
    }

    /// The thread runs the calls already queued and ends; no more drains (what is still
    /// journaled is drained by `ReadingRing.close`). Call once nothing awaits the ring any more.
    nonisolated func stop() {
        executor.stop()
    }
}
