import Glibc
import Logging
import ReadingRing
import Synchronization

/// Moves the intake journal into SQLite every `interval`, on its own thread: the drain is
/// blocking file and SQLite I/O, which must not run on the cooperative pool. If this thread
/// falls behind, the MQTT thread drains inline (see `ReadingRing.journal`), so the journal
/// stays bounded either way.
final class JournalDrainer: Sendable {
    /// Short enough that the uplink sees rows almost at once, long enough for real batches.
    static let interval: useconds_t = 20_000

    private let ring: ReadingRing
    private let logger: Logger
    private let stopping = Atomic<Bool>(false)
    private let thread = Mutex<NativeThread?>(nil)

    init(ring: ReadingRing, logger: Logger) {
        self.ring = ring
        self.logger = logger
    }

    func start() throws(AgentSystemError) {
        let started = try NativeThread.start(name: "journal drainer") { self.loop() }
        thread.withLock { $0 = started }
    }

    /// Stops after the current drain; what is still journaled is drained by `ReadingRing.close`.
    func stop() {
        stopping.store(true, ordering: .relaxed)
        thread.withLock { $0.take() }?.join()
    }

    private func loop() {
        var failing = false
        while !stopping.load(ordering: .relaxed) {
            usleep(Self.interval)
            do {
                try ring.drainJournal()
                if failing { logger.notice("intake journal drains into the buffer again") }
                failing = false
            } catch {
                // Records stay in the journal (durable) and are retried; logged once per streak.
                if !failing { logger.error("cannot move the intake journal into the buffer", metadata: ["error": "\(error)"]) }
                failing = true
            }
        }
    }
}
