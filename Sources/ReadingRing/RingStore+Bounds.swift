import SQLite

extension RingStore {
    /// See `ReadingRing.enforceBounds(now:)`. Every step is its own small transaction.
    func enforceBounds(now: Int64) throws -> TrimReport {
        var report = TrimReport()
        let perStep = try rowsFitting(configuration.stepBytes)

        // 1. Age, walking from the head in id (= arrival) order.
        let (cutoff, overflow) = now.subtractingReportingOverflow(configuration.maxAgeMicros)
        if !overflow {
            let bound = try firstRowNotOlderThan.withReset { statement -> Int64 in
                try statement.bind(cutoff, at: 1)
                return try statement.step() == .row ? statement.int64(0) : Int64.max
            }
            while true {
                let count = try write { try deleteOldestRows(limit: perStep, before: bound, reason: CounterName.droppedAgedOut) }
                report.droppedByAge += count
                if count < perStep { break }
            }
        }

        // 2. Size: readings over their budget (a lowered max_bytes). Quarantine entries are
        //    never deleted to make room for readings, nor readings for quarantine entries.
        while try rowLiveBytes() > configuration.dataBudgetBytes {
            let rows = try write { try trimToDataBudget(maxSteps: 1) }
            report.droppedBySize += rows
            if rows == 0 { break }
        }

        // 3. The quarantine within its own bound (a lowered bound, or entries from before).
        if mirror.quarantineRows > configuration.quarantineMaxEntries || mirror.quarantineBytes > configuration.quarantineBudgetBytes {
            report.quarantineDropped += try write { try enforceQuarantineBound() }
        }

        // 4. Give free pages back to the file system, keeping a small reserve for new rows.
        //    Each incremental_vacuum relocates at most `stepPages` pages (plus parents and
        //    pointer-map pages), so its WAL stays within the step budget.
        let stepPages = max(configuration.stepBytes / pageSize / 2, 8)
        let reservePages = stepPages
        while true {
            let free = try pages().free
            guard free > reservePages else { break }
            let count = min(stepPages, free - reservePages)
            try db.execute("PRAGMA incremental_vacuum(\(count))")
            report.vacuumedPages += Int(count)
        }

        // 5. Checkpoint so the file really shrinks (the truncation is applied at checkpoint)
        //    and the WAL goes back to zero.
        let walBytes = RingDatabase.fileSize(configuration.path + "-wal")
        if report.vacuumedPages > 0 || walBytes > configuration.walBudgetBytes {
            report.checkpointed = try checkpoint()
        }
        report.bytesOnDisk = bytesOnDisk()
        return report
    }

    /// `wal_checkpoint(TRUNCATE)`: copies the WAL into the database, truncates the WAL to zero
    /// and applies pending database truncation. Returns false if a reader kept it from finishing.
    @discardableResult
    func checkpoint() throws -> Bool {
        let statement = try db.prepare("PRAGMA wal_checkpoint(TRUNCATE)")
        guard try statement.step() == .row else { return false }
        return statement.int64(0) == 0
    }

    func stats(now: Int64) throws -> RingStats {
        let live = try liveBytes()
        let disk = bytesOnDisk()
        let oldest = try oldestReceivedAt.withReset { statement -> Int64? in
            try statement.step() == .row ? statement.int64(0) : nil
        }
        var names = Set(mirror.tableIDs.keys)
        names.formUnion(mirror.counters.keys)
        var tables: [RingStats.Table] = []
        for name in names.sorted() {
            let rows = mirror.tableIDs[name].flatMap { mirror.rowsByTable[$0] } ?? 0
            var tableOldest: Int64?
            if rows > 0, let tableID = mirror.tableIDs[name] {
                tableOldest = try oldestReceivedAtOfTable.withReset { statement -> Int64? in
                    try statement.bind(tableID, at: 1)
                    return try statement.step() == .row ? statement.int64(0) : nil
                }
            }
            let counters = mirror.counters[name] ?? .init()
            tables.append(RingStats.Table(
                name: name, rows: rows, oldestAgeSeconds: tableOldest.map { Self.age(of: $0, now: now) },
                droppedTotal: counters.dropped, ackedTotal: counters.acked, quarantinedTotal: counters.quarantined,
                ledger: counters.ledger))
        }
        return RingStats(
            rows: mirror.totalRows,
            bytesOnDisk: disk,
            liveBytes: live,
            maxBytes: configuration.maxBytes,
            fillRatio: Double(disk) / Double(configuration.maxBytes),
            oldestAgeSeconds: oldest.map { Self.age(of: $0, now: now) },
            droppedTotal: mirror.counters.values.reduce(0) { $0 + $1.dropped },
            quarantinedTotal: mirror.counters.values.reduce(0) { $0 + $1.quarantined },
            quarantineDroppedTotal: mirror.counters.values.reduce(0) { $0 + $1.quarantineDropped },
            ledger: mirror.counters.values.reduce(LossLedger()) { $0 + $1.ledger },
            quarantineRows: mirror.quarantineRows,
            quarantineBytes: mirror.quarantineBytes,
            isFull: (try rowLiveBytes()) + (try averageRowBytes()) > configuration.fullBytes,
            tables: tables)
    }

    private static func age(of receivedAt: Int64, now: Int64) -> Double {
        max(Double(now - receivedAt) / 1_000_000, 0)
    }
}
