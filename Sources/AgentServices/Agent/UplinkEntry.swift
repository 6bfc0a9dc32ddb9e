import ReadingRing

/// One running uplink, the table it sends and the task it runs in. The agent keeps them in
/// order: configured tables, tables a reload removed that still drain their buffered rows, the
/// health table. Each runs in its own task so that a reload can start and end one alone.
struct UplinkEntry: Sendable {
    let table: CompiledTable
    let uplink: TableUplink
    let task: Task<Void, Never>
    /// When a reload removed the table (µs): it keeps draining, and retires once its rows are gone.
    var removedAt: Int64?

    var name: String { table.name }

    static func start(_ table: CompiledTable, factory: UplinkFactory, ring: RingAccess) -> UplinkEntry {
        let uplink = factory.uplink(for: table, ring: ring)
        guard factory.delivers else { return UplinkEntry(table: table, uplink: uplink, task: Task {}) }
        return UplinkEntry(table: table, uplink: uplink, task: Task { await uplink.run() })
    }

    /// Asks each uplink to stop, then waits (bounded) for in-flight batches to be acked; those
    /// still unacked after `limit` are abandoned by aborting the streams (the rows stay in the
    /// ring and are sent again by whichever uplink takes the table next, or after a restart),
    /// and the task is cancelled. Returns false when something had to be abandoned.
    @discardableResult
    static func stop(_ entries: [UplinkEntry], within limit: Duration) async -> Bool {
        for entry in entries { await entry.uplink.stop() }
        if await idle(entries, within: limit) { return true }
        for entry in entries { await entry.uplink.abortStreams() }
        _ = await idle(entries, within: .seconds(2))
        for entry in entries { entry.task.cancel() }
        return false
    }

    /// Waits for the lanes to end (each uplink wakes this as a lane ends), or for `limit`.
    private static func idle(_ entries: [UplinkEntry], within limit: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for entry in entries { await entry.uplink.untilIdle() }
                return !Task.isCancelled
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            if first { return true }
            for entry in entries where await entry.uplink.isBusy { return false }
            return true
        }
    }
}
