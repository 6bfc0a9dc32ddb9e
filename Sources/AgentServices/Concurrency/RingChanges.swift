import ReadingRing
import Synchronization

/// Tells the uplinks that the ring may hold rows they have not seen, so they wait for this
/// instead of polling `pending`.
///
/// Budget: no wake-up while nothing changes (issue 12). One check after each piece of ring
/// work compares a cheap mark (the newest row id, and whether uploads are held), and signals
/// every subscriber only when it moved: acks and reads never wake anyone.
final class RingChanges: Sendable {
    private struct Mark: Equatable {
        var newestRowID: Int64?
        var uploadsHeld: Bool
    }

    private struct State {
        var mark: Mark?
        var subscribers: [ObjectIdentifier: WakeSignal] = [:]
    }

    private let state = Mutex(State())

    init() {}

    func subscribe(_ signal: WakeSignal) {
        state.withLock { $0.subscribers[ObjectIdentifier(signal)] = signal }
    }

    func unsubscribe(_ signal: WakeSignal) {
        state.withLock { _ = $0.subscribers.removeValue(forKey: ObjectIdentifier(signal)) }
    }

    /// Signals every subscriber if rows were added (or uploads released) since the last check.
    /// Blocks briefly on the ring's mutex: call from the ring's thread.
    func check(_ ring: ReadingRing) {
        let mark = Mark(newestRowID: try? ring.newestRowID(), uploadsHeld: ring.uploadsAreHeld)
        let subscribers = state.withLock { state -> [WakeSignal] in
            guard state.mark != mark else { return [] }
            state.mark = mark
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.signal() }
    }
}
