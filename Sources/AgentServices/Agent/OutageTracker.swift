import ReadingRing

/// When the cloud link's outages begin and end, from what each health refresh sees; pure, so it
/// is tested without a clock or a ring (`OutageTrackerTests`).
///
/// - An outage begins when no stream has been connected for `minimumMicros` (shorter gaps are
///   reconnects, counted in `reconnects_total`), at the moment the link went down; it ends at the
///   first refresh that sees the link up again.
/// - Rows buffered and dropped are differences of the ring's persistent figures (row ids handed
///   out, the drop counters) against their values at the last refresh before the outage, so they
///   are exact to within one health interval of traffic.
/// - An outage still open when the agent stopped is resumed by the next start: the agent's own
///   downtime is part of it (the cloud was not reached then either).
struct OutageTracker {
    static let minimumMicros: Int64 = 5_000_000

    /// The figures an outage's counts are differences against.
    struct Figures: Equatable {
        var rowsEverBuffered: Int64
        var droppedTotal: Int64
    }

    private(set) var open: OutageRecord?
    /// At the last refresh with the link up (or, when resuming, what the open outage already had).
    private var base: Figures?

    init(resuming records: [OutageRecord], now figures: Figures) {
        if let last = records.last, last.end == nil {
            open = last
            base = Figures(
                rowsEverBuffered: figures.rowsEverBuffered - last.rowsBuffered,
                droppedTotal: figures.droppedTotal - last.rowsDropped)
        } else {
            base = figures
        }
    }

    /// The record to save when an outage began, grew or ended; nil when nothing changed.
    mutating func observe(connected: Bool, downSince: Int64?, now: Int64, figures: Figures) -> OutageRecord? {
        if connected {
            defer { base = figures }
            guard var record = open else { return nil }
            update(&record, figures)
            record.end = now
            open = nil
            return record
        }
        if open == nil {
            guard let downSince, now - downSince >= Self.minimumMicros else { return nil }
            open = OutageRecord(start: downSince, end: nil, rowsBuffered: 0, rowsDropped: 0)
        }
        guard var record = open else { return nil }
        update(&record, figures)
        open = record
        return record
    }

    private func update(_ record: inout OutageRecord, _ figures: Figures) {
        let base = base ?? figures
        record.rowsBuffered = max(0, figures.rowsEverBuffered - base.rowsEverBuffered)
        record.rowsDropped = max(0, figures.droppedTotal - base.droppedTotal)
    }
}
