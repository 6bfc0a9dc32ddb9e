import AgentCore
import Glibc
import Logging
import ReadingRing
import Synchronization

/// The agent's view of its wall clock (`ClockJudge`), the rows stamped while it was untrusted,
/// and their re-base once it is trusted again (see README "Clocks").
///
/// Intake stamps through `stamp()` (one lock and two vDSO clock reads per message); the
/// housekeeping loop calls `tick` once a second, which also notices a step while no messages
/// arrive, re-bases, and holds uploads while untrusted rows wait for their re-base.
final class ClockMonitor: Sendable {
    struct Stamp {
        var wall: Int64
        var mono: Int64
        var trusted: Bool
    }

    struct Snapshot: Sendable {
        var state: ClockJudge.State
        var reason: ClockJudge.Reason?
        /// When the state last changed, in today's best wall time (µs).
        var since: Int64
        var lastStepMicros: Int64?
        var rowsUnsynced: Int
        var rowsRebased: Int
        var rowsNotRebased: Int
        var uploadsHeld: Bool
    }

    struct State {
        var judge: ClockJudge
        /// Record id → boottime and wall µs of its stamp and its row count (a message can feed several
        /// tables under one record id), for rows stamped while untrusted and not yet re-based.
        var untrusted: [String: (mono: Int64, wall: Int64, rows: Int)] = [:]
        /// The untrusted `received_at`s written, so the re-base reads only those rows.
        var stamps: ClosedRange<Int64>?
        var rowsUnsynced = 0
        var rowsRebased = 0
        var rowsNotRebased = 0
        /// Monotonic µs when the clock last became untrusted (for the hold limit).
        var untrustedSince: Int64?
        /// Record ids noted since the last `tick` saved notes to the ring.
        var unsaved: [String] = []
        /// Boottime µs when the trusted clock mark was last saved.
        var markSavedAt: Int64?
    }

    /// Uploads wait at most this long for an untrusted clock (`agent.clock_hold_s`): a gateway
    /// whose clock never syncs must still deliver (flagged, with its unsynced times).
    let holdLimitMicros: Int64
    /// Remembered untrusted record ids at most (~100 bytes each, so ~25 MB): beyond, rows stay
    /// flagged with their untrusted time (counted as not re-based).
    static let maxTracked = 250_000
    /// Rows read per step of a re-base.
    static let rebaseBatchRows = 5_000

    private let state: Mutex<State>
    let ring: ReadingRing
    let logger: Logger
    /// Re-bases look at rows after this id only: those of this run, or all when notes of an
    /// earlier run in this boot were found.
    let runStartRowID: Int64
    /// `/proc/sys/kernel/random/boot_id`: boottime instants of another boot mean nothing.
    let bootID: String

    init(ring: ReadingRing, holdLimitSeconds: Int = 600, logger: Logger) {
        holdLimitMicros = Int64(holdLimitSeconds) * 1_000_000
        self.ring = ring
        self.logger = logger
        bootID = Self.readBootID()
        let (wall, mono) = Self.readClocks()
        let marks = [try? ring.newestReceivedAt(), try? ring.trustedClockMark()].compactMap { $0 }
        let judge = ClockJudge(floor: ClockJudge.buildDateFloorMicros, newestStamp: marks.max(), wall: wall, mono: mono)
        var initial = State(judge: judge)
        let restored = Self.restoreNotes(ring: ring, bootID: bootID, into: &initial, logger: logger)
        runStartRowID = restored ? 0 : (try? ring.lastRowID()) ?? 0
        if restored { ring.holdUploads(true) }
        if !judge.isTrusted {
            initial.untrustedSince = mono
            ring.holdUploads(true)
            logger.warning("wall clock untrusted: rows are flagged clock_synced = false and held for a re-base", metadata: [
                "reason": "\(judge.reason?.rawValue ?? "")", "wall_clock": "\(Timestamps.rfc3339(microseconds: wall))",
            ])
        }
        state = Mutex(initial)
    }

    /// CLOCK_BOOTTIME, not CLOCK_MONOTONIC: both are slewed like the wall clock and never
    /// stepped, but MONOTONIC stops while the system is suspended, which would look like a step.
    static func readClocks() -> (wall: Int64, mono: Int64) {
        var wall = timespec(), mono = timespec()
        clock_gettime(CLOCK_REALTIME, &wall)
        clock_gettime(CLOCK_BOOTTIME, &mono)
        return (Int64(wall.tv_sec) * 1_000_000 + Int64(wall.tv_nsec) / 1000,
                Int64(mono.tv_sec) * 1_000_000 + Int64(mono.tv_nsec) / 1000)
    }

    /// The time to stamp a message with, and whether it can be believed.
    func stamp() -> Stamp {
        let (wall, mono) = Self.readClocks()
        let (events, trusted) = state.withLock { state in
            let events = state.judge.observe(wall: wall, mono: mono)
            if !events.isEmpty { Self.apply(events, mono: mono, to: &state, ring: ring) }
            return (events, state.judge.isTrusted)
        }
        if !events.isEmpty { log(events, wall: wall) }
        return Stamp(wall: wall, mono: mono, trusted: trusted)
    }

    /// After an untrusted stamp's rows were journaled (not before: `tick` must find them in the ring).
    func noteUntrusted(recordIDs: [String], stamp: Stamp) {
        state.withLock { state in
            state.rowsUnsynced += recordIDs.count
            guard state.untrusted.count + recordIDs.count <= Self.maxTracked else {
                state.rowsNotRebased += recordIDs.count
                return
            }
            for id in recordIDs {
                if state.untrusted[id] == nil { state.unsaved.append(id) }
                state.untrusted[id, default: (stamp.mono, stamp.wall, 0)].rows += 1
            }
            state.stamps = min(state.stamps?.lowerBound ?? stamp.wall, stamp.wall)...max(state.stamps?.upperBound ?? stamp.wall, stamp.wall)
        }
    }

    /// Once a second: notice a change, re-base when trusted, hold or release uploads. Returns the
    /// wall time read (µs) for the age bound: read before any re-base, so a step that happens
    /// after it cannot age out rows not yet re-based.
    func tick(tables: [String: CompiledTable]) -> Int64 {
        let reading = stamp()
        saveNotes()
        saveMark(reading)
        let (trusted, pending, untrustedFor) = state.withLock { state in
            (state.judge.isTrusted, !state.untrusted.isEmpty, state.untrustedSince.map { reading.mono - $0 })
        }
        if trusted, pending { rebase(tables: tables) }
        let stillPending = state.withLock { !$0.untrusted.isEmpty }
        if !trusted, let untrustedFor, untrustedFor >= holdLimitMicros {
            if ring.uploadsAreHeld {
                ring.holdUploads(false)
                logger.warning("wall clock still untrusted: sending rows with clock_synced = false and unsynced times",
                               metadata: ["held_s": "\(untrustedFor / 1_000_000)"])
            }
        } else {
            ring.holdUploads(!trusted || stillPending)
        }
        // Rows still waiting for their re-base carry untrusted (1970) times: the age bound must
        // not take them for old, so it measures from the oldest of them until they are re-based.
        let oldestWaiting = state.withLock { $0.untrusted.isEmpty ? nil : $0.stamps?.lowerBound }
        return min(reading.wall, oldestWaiting ?? reading.wall)
    }

    func withState<T>(_ body: (inout State) -> T) -> T {
        state.withLock { body(&$0) }
    }

    /// Once a minute while trusted (a write a second would wear flash for nothing): a clock that
    /// comes back more than a minute behind it is then seen as untrusted even with an empty ring.
    private func saveMark(_ reading: Stamp) {
        guard reading.trusted else { return }
        let due = state.withLock { state -> Bool in
            guard reading.mono - (state.markSavedAt ?? .min / 2) >= Self.markIntervalMicros else { return false }
            state.markSavedAt = reading.mono
            return true
        }
        if due { try? ring.saveTrustedClockMark(reading.wall) }
    }

    static let markIntervalMicros: Int64 = 60 * 1_000_000

    var snapshot: Snapshot {
        let (wall, mono) = Self.readClocks()
        return state.withLock { state in
            Snapshot(
                state: state.judge.state, reason: state.judge.reason,
                since: wall - (mono - state.judge.changedAtMono), lastStepMicros: state.judge.lastStepMicros,
                rowsUnsynced: state.rowsUnsynced, rowsRebased: state.rowsRebased, rowsNotRebased: state.rowsNotRebased,
                uploadsHeld: ring.uploadsAreHeld)
        }
    }

    private static func apply(_ events: [ClockJudge.Event], mono: Int64, to state: inout State, ring: ReadingRing) {
        for event in events {
            switch event {
            case .untrusted:
                state.untrustedSince = mono
                ring.holdUploads(true)
            case .trusted:
                state.untrustedSince = nil
            case .step:
                break
            }
        }
    }

    private func log(_ events: [ClockJudge.Event], wall: Int64) {
        for event in events {
            switch event {
            case .step(let micros):
                logger.notice("wall clock stepped", metadata: [
                    "step_s": "\(Double(micros) / 1_000_000)", "wall_clock": "\(Timestamps.rfc3339(microseconds: wall))",
                ])
            case .untrusted(let reason):
                logger.warning("wall clock untrusted: rows are flagged clock_synced = false and held for a re-base",
                               metadata: ["reason": "\(reason.rawValue)", "wall_clock": "\(Timestamps.rfc3339(microseconds: wall))"])
            case .trusted:
                logger.info("wall clock trusted again", metadata: ["wall_clock": "\(Timestamps.rfc3339(microseconds: wall))"])
            }
        }
    }
}
