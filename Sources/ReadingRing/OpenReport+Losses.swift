extension OpenReport {
    /// Rows this start-up found lost to damaged or missing state (an upper bound where the
    /// damage hides the exact figure), and one line saying what happened; nil when nothing was
    /// lost. Health shows it, so an operator who reads no logs still learns of it.
    /// `damagedFiles`: state files found damaged (ring, journal files, a WAL or file cut short).
    public var losses: (rows: Int, summary: String, damagedFiles: Int)? {
        var files = 0
        var rows = 0
        var parts: [String] = []
        if let salvage {
            let lost = salvage.rowsLost.map { "\($0) lost" } ?? "an unknown number lost"
            parts.append("damaged buffer file salvaged: \(salvage.rowsKept) rows kept, \(lost)")
            rows += salvage.rowsLost ?? 0
            files += 1
        } else if movedAsideTo != nil {
            parts.append("unreadable buffer file moved aside; started empty")
            files += 1
        }
        if journalDamagedRegions > 0 {
            let aside = journalMovedAsideTo.isEmpty ? "" : " (damaged file kept as \(journalMovedAsideTo.joined(separator: ", ")))"
            parts.append("intake journal damaged: at least \(journalDamagedRegions) records lost\(aside)")
            rows += journalDamagedRegions
            files += max(journalMovedAsideTo.count, 1)
        }
        if let missing {
            parts.append("\(missing.exact ? "" : "up to ")\(missing.rows) rows of the previous run missing")
            rows += missing.rows
            files += 1
        }
        return parts.isEmpty ? nil : (rows, parts.joined(separator: "; "), files)
    }
}
