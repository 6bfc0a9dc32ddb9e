import Logging
import ReadingRing

/// Tables removed from the configuration whose rows are still buffered keep draining: by a
/// reload (their uplink keeps running) and across a restart (an uplink is started for every
/// table with buffered rows). Their uplink ends once the rows are gone. Purging them
/// deliberately: `zerobus-edge buffer purge --table NAME`.
extension AgentRuntime {
    /// Tables with buffered rows that no configured table (nor the health table) sends.
    func unconfiguredTablesWithRows(configured: Set<String>) -> [CompiledTable] {
        guard let stats = try? ring.stats() else { return [] }
        var tables: [CompiledTable] = []
        for table in stats.tables where table.rows > 0 && !configured.contains(table.name) {
            do {
                guard let oldest = try ring.pending(table: table.name, after: 0, maxRecords: 1, maxBytes: 1).first
                else { continue }
                tables.append(try CompiledTable(draining: table.name, registeredBytes: try ring.descriptor(id: oldest.descriptorID)))
                logger.warning("table not in the configuration has buffered rows: draining them", metadata: [
                    "table": "\(table.name)", "rows": "\(table.rows)",
                ])
            } catch {
                logger.error("table not in the configuration has buffered rows that cannot be sent", metadata: [
                    "table": "\(table.name)", "rows": "\(table.rows)", "error": "\(error)",
                ])
            }
        }
        return tables
    }

    /// Ends the uplinks of removed tables once their buffered rows are gone. A short grace after
    /// the removal covers rows still in the intake journal (drained within tens of ms). Runs on
    /// the ring's thread (housekeeping).
    func retireDrainedUplinks() {
        let now = ReadingRing.now()
        for entry in uplinks.value {
            guard let removedAt = entry.removedAt, now - removedAt >= 2_000_000, !intake.isHolding else { continue }
            guard let rows = try? ring.pending(table: entry.name, after: 0, maxRecords: 1, maxBytes: 1), rows.isEmpty
            else { continue }
            let retired = uplinks.withLock { entries in
                guard let index = entries.firstIndex(where: { $0.uplink === entry.uplink }) else { return false }
                entries.remove(at: index)
                return true
            }
            guard retired else { continue }
            logger.notice("removed table drained; its uplink ends", metadata: ["table": "\(entry.name)"])
            // Not awaited: housekeeping (bounds, resuming a paused intake) must not wait on a flush.
            Task { await UplinkEntry.stop([entry], within: .seconds(5)) }
        }
    }
}
