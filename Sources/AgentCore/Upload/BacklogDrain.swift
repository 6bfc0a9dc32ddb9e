/// Which of one table's buffered rows are *backlog* and which are *live*, and how far each has
/// been handed to the uplink's lanes. A value with no I/O: the uplink owns one, asks it what a
/// lane may take next, and tells it what was taken.
///
/// When the cloud link comes back (and at the first connection after a start) every row not
/// yet handed out, up to the newest row in the ring at that moment, becomes backlog; rows that
/// arrive later are live. Row ids only grow, so "backlog" is a set of id spans and "live" is
/// everything after `liveCursor`.
///
/// Invariants:
/// - Every row id is handed out once per plan: spans and `liveCursor` never overlap, and a span
///   only shrinks from its low end as rows are claimed.
/// - `fifo` hands out rows in id order: no live row while unclaimed backlog remains.
/// - `liveFirst` never puts a live row on a general lane while a drain lasts (it would queue
///   behind backlog on that lane's stream); the live lane carries them.
public struct BacklogDrain: Sendable, Equatable {
    /// Rows with `after < id <= through`, not yet claimed.
    public struct Span: Sendable, Equatable {
        public var after: Int64
        public var through: Int64
    }

    /// What a lane may claim next.
    public enum Source: Sendable, Equatable {
        /// Rows of the first backlog span (limited by the backfill cap).
        case backlog(Span)
        /// Rows after `liveCursor`.
        case live(after: Int64)
        /// Nothing now: wait (a live-first general lane whose backlog is all claimed but not all
        /// acked, or the live lane when no drain runs).
        case none
    }

    public enum Lane: Sendable, Equatable {
        /// One of the table's `streams` lanes.
        case general
        /// The extra lane of `live_first` that only runs while a drain lasts.
        case live
    }

    public let order: DrainOrder
    /// The highest id claimed as live (or, before any drain, claimed at all).
    public private(set) var liveCursor: Int64
    /// Unclaimed backlog, oldest first.
    public private(set) var spans: [Span] = []
    /// True from a reconnect that found backlog until `finish` saw it all delivered.
    public private(set) var isDraining = false
    /// The newest row id that is backlog (the boundary of the latest reconnect).
    public private(set) var boundary: Int64 = 0

    public init(order: DrainOrder, cursor: Int64 = 0) {
        self.order = order
        liveCursor = cursor
    }

    /// The link came up with `newestRowID` the newest row in the ring: the rows after
    /// `liveCursor` up to it become backlog. `worthDraining` is the caller's verdict that they
    /// are more than the next batch would carry anyway (a blip needs no second stream).
    /// Returns whether a drain runs.
    @discardableResult
    public mutating func linkUp(newestRowID: Int64, worthDraining: Bool) -> Bool {
        guard newestRowID > liveCursor else { return isDraining }
        guard worthDraining || isDraining else { return false }
        spans.append(Span(after: liveCursor, through: newestRowID))
        liveCursor = newestRowID
        boundary = newestRowID
        isDraining = true
        return true
    }

    /// What `lane` may take next.
    public func source(for lane: Lane) -> Source {
        guard isDraining else { return lane == .general ? .live(after: liveCursor) : .none }
        switch (order, lane) {
        case (.liveFirst, .live): return .live(after: liveCursor)
        case (.liveFirst, .general): return spans.first.map { .backlog($0) } ?? .none
        case (.fifo, .general): return spans.first.map { .backlog($0) } ?? .live(after: liveCursor)
        case (.fifo, .live): return .none
        }
    }

    /// Rows of the first span up to `id` were claimed (`id` at or past its end exhausts it; a
    /// query that found no row left in it passes `through`).
    public mutating func claimedBacklog(through id: Int64) {
        guard !spans.isEmpty else { return }
        if id >= spans[0].through {
            spans.removeFirst()
        } else {
            spans[0].after = max(spans[0].after, id)
        }
    }

    public mutating func claimedLive(through id: Int64) {
        liveCursor = max(liveCursor, id)
    }

    /// Ends the drain once every backlog row is claimed and none of them is still unacked
    /// (`outstandingBacklog`: backlog batches in flight or waiting to be resent). Returns true
    /// when it ended now.
    public mutating func finish(outstandingBacklog: Int) -> Bool {
        guard isDraining, spans.isEmpty, outstandingBacklog == 0 else { return false }
        isDraining = false
        return true
    }
}
