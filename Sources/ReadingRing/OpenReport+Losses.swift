extension OpenReport {
    /// Rows this start-up found lost to damaged or missing state (an upper bound where the
    /// damage hides the exact figure), and one line saying what happened; nil when nothing was
    /// lost. Health shows it, so an operator who reads no logs still learns of it.
    public var losses: (rows: Int, summary: String)? {
        var rows = 0
        var parts: [String] = []
        if let salvage {
            let lost = salvage.rowsLost.map { "\($0) lost" } ?? "an unknown number lost"
            parts.append("damaged buffer file salvaged: \(salvage.rowsKept) rows kept, \(lost)")
            rows += salvage.rowsLost ?? 0
        } else if movedAsideTo != nil {
            parts.append("unreadable buffer file moved aside; started empty")
        }
        if journalDamagedRegions > 0 {
            parts.append("intake journal damaged: at least \(journalDamagedRegions) records lost")
            rows += journalDamagedRegions
        }
        if let missing {
            parts.append("\(missing.exact ? "" : "up to ")\(missing.rows) rows of the previous run missing")
            rows += missing.rows
        }
        return parts.isEmpty ? nil : (rows, parts.joined(separator: "; "))
    }
}
