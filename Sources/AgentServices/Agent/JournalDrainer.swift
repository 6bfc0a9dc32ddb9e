import Logging
import ReadingRing
import Synchronization

/// Moves the intake journal into SQLite, on the ring's thread (`RingAccess` schedules it a
/// short linger after the MQTT thread journals a message). If the drain falls behind, the MQTT
/// thread drains inline (see `ReadingRing.journal`), so the journal stays bounded either way.
final class JournalDrainer: Sendable {
    private let ring: ReadingRing
    private let logger: Logger
    private let failing = Atomic<Bool>(false)

    init(ring: ReadingRing, logger: Logger) {
        self.ring = ring
        self.logger = logger
    }

    /// Drains once; false when it failed (the records stay journaled, durable; retry later).
    func drain() -> Bool {
        do {
            try ring.drainJournal()
            if failing.exchange(false, ordering: .relaxed) { logger.notice("intake journal drains into the buffer again") }
            return true
        } catch {
            // Logged once per streak.
            if !failing.exchange(true, ordering: .relaxed) {
                logger.error("cannot move the intake journal into the buffer", metadata: ["error": "\(error)"])
            }
            return false
        }
    }
}
