import AgentCore
import Glibc
import Logging
import ReadingRing

/// Untrusted stamps kept in the ring (`clock_notes`), so a restart within the same boot can
/// still re-base rows stamped before it. Saved once a second: a kill -9 loses at most the last
/// second's notes, and those rows stay flagged with their untrusted time.
extension ClockMonitor {
    func saveNotes() {
        let notes = withState { state -> [ClockNote] in
            defer { state.unsaved = [] }
            return state.unsaved.compactMap { id in
                state.untrusted[id].map { note in
                    ClockNote(recordID: id, mono: note.mono, rows: note.rows, receivedAt: note.wall, bootID: bootID)
                }
            }
        }
        do {
            try ring.saveClockNotes(notes)
        } catch {
            logger.error("cannot keep untrusted stamps in the ring", metadata: ["error": "\(error)"])
        }
    }

    /// Loads notes of this boot; drops those of another (their rows keep their time). True when
    /// rows of an earlier run wait for a re-base.
    static func restoreNotes(ring: ReadingRing, bootID: String, into state: inout State, logger: Logger) -> Bool {
        guard let notes = try? ring.clockNotes(), !notes.isEmpty else { return false }
        let (current, stale) = (notes.filter { $0.bootID == bootID }, notes.filter { $0.bootID != bootID })
        for note in current {
            state.untrusted[note.recordID] = (note.mono, note.receivedAt, note.rows)
            state.rowsUnsynced += note.rows
            state.stamps = min(state.stamps?.lowerBound ?? note.receivedAt, note.receivedAt)
                ... max(state.stamps?.upperBound ?? note.receivedAt, note.receivedAt)
        }
        if !stale.isEmpty {
            state.rowsNotRebased += stale.reduce(0) { $0 + $1.rows }
            try? ring.removeClockNotes(stale.map(\.recordID))
            logger.warning("rows stamped by an untrusted clock before a reboot cannot be re-based; they keep their time",
                           metadata: ["rows": "\(stale.reduce(0) { $0 + $1.rows })"])
        }
        return !current.isEmpty
    }

    static func readBootID() -> String {
        guard let bytes = FileBytes.read("/proc/sys/kernel/random/boot_id") else { return "unknown" }
        return String(decoding: bytes, as: UTF8.self).trimmingWhitespace
    }
}

private extension String {
    var trimmingWhitespace: String {
        String(self.filter { !$0.isWhitespace })
    }
}
