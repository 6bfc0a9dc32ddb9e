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

    /// Asks each uplink to stop, then waits (bounded) for each task to end, which it does once
    /// its in-flight batches are acked; those still unacked after `limit`, or when the waiting
    /// task is cancelled, are abandoned by aborting the streams (the rows stay in the ring and
    /// are sent again by whichever uplink takes the table next, or after a restart), and the
    /// tasks are cancelled. Returns once every task ended; false when something was abandoned.
    @discardableResult
    static func stop(_ entries: [UplinkEntry], within limit: Duration) async -> Bool {
        for entry in entries { await entry.uplink.stop() }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for entry in entries { await entry.task.value }
                return true
            }
            group.addTask {
                // Cancelled by the group below once the tasks ended, or with the caller.
                try? await Task.sleep(for: limit)
                return false
            }
            let flushed = await group.next() ?? false
            if !flushed {
                for entry in entries { await entry.uplink.abortStreams() }
                for entry in entries { entry.task.cancel() }
            }
            group.cancelAll()
            return flushed
        }
    }
}
