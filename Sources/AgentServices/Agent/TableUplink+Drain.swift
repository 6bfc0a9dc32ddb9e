import AgentCore
import ReadingRing

/// Choosing each lane's next batch, and the backlog drain after an outage (see `BacklogDrain`).
extension TableUplink {
    enum Next {
        case batch(Batch)
        /// Nothing to send yet: a batch is still lingering, the backfill cap is spent (for that
        /// long at most), or the lane has no work until woken (nil).
        case wait(Duration?)
    }

    /// Requeued work first (the lane's own queue), then what the drain plan gives this lane.
    /// Callers hold the claim (see `TableUplink.acquireClaim`): this awaits the ring.
    func nextBatch(lane: Int) async throws -> Next {
        guard !stopping else { return .wait(nil) }
        let name = table.name
        if earlierRuns == nil { earlierRuns = try await ring.perform { try $0.sentRanges(table: name) } }
        let isLiveLane = lane == liveLane
        if isLiveLane, !liveRequeued.isEmpty { return .batch(taken(liveRequeued.removeFirst())) }
        // While the link is down the live lane claims nothing: rows that arrive then are backlog
        // when it returns (`linkCameUp`), not a queue of old rows in front of the next live ones.
        // It looks again at `watchLink`'s pace; this polls only during an outage in a drain.
        if isLiveLane, !linkWasUp { return .wait(.milliseconds(100)) }
        if !isLiveLane {
            if !requeued.isEmpty { return .batch(taken(requeued.removeFirst())) }
            // Left by the live lane of a drain that has ended.
            if !plan.isDraining, !liveRequeued.isEmpty { return .batch(taken(liveRequeued.removeFirst())) }
        }
        // Each pass either returns or drops one exhausted span, so this ends.
        while true {
            switch plan.source(for: isLiveLane ? .live : .general) {
            case .none:
                return .wait(nil)
            case .live(let after):
                let next = try await liveBatch(after: after, lane: lane)
                if case .batch(let batch) = next { plan.claimedLive(through: batch.rows[batch.rows.count - 1].id) }
                return next
            case .backlog(let span):
                var limit = table.batching.maxRecords
                if var capped = bucket {
                    let now = clock.now
                    let wanted = min(limit, capped.capacity)
                    let available = capped.available(at: now)
                    bucket = capped
                    guard available >= wanted else { return .wait(capped.wait(for: wanted, at: now)) }
                    limit = min(limit, available)
                }
                let maxBytes = table.batching.maxBytes
                let rows = try await ring.perform { [limit] in
                    try $0.pending(table: name, after: span.after, maxRecords: limit, maxBytes: maxBytes)
                }.prefix { $0.id <= span.through }
                guard let last = rows.last else {
                    plan.claimedBacklog(through: span.through)
                    continue
                }
                plan.claimedBacklog(through: last.id)
                bucket?.take(rows.count, at: clock.now)
                // Backlog rows are old already: no lingering for a fuller batch.
                return .batch(taken(Batch(rows: Array(rows), probe: false, backlog: true)))
            }
        }
    }

    /// Counts a backlog batch leaving the books until it is in flight or requeued again.
    private func taken(_ batch: Batch) -> Batch {
        if batch.backlog { backlogInTransit += 1 }
        return batch
    }

    /// Live rows after `after`, once a batch is full or its first row has lingered: for its age
    /// by `received_at`, or on the monotonic clock since this lane first saw it, whichever is
    /// longer. `received_at` is wall-clock time: an NTP step back on a gateway without an RTC
    /// would hold batches for as long as the step; a step forward only sends one early.
    private func liveBatch(after: Int64, lane: Int) async throws -> Next {
        let batching = table.batching
        let name = table.name
        let rows = try await ring.perform {
            try $0.pending(table: name, after: after, maxRecords: batching.maxRecords, maxBytes: batching.maxBytes)
        }
        // No rows: the next drain (or append) that adds some wakes the lane.
        guard let first = rows.first else { return .wait(nil) }
        let full = rows.count >= batching.maxRecords
            || rows.reduce(0, { $0 + $1.payload.count }) * 10 >= batching.maxBytes * 9
        let now = clock.now
        if lingerStart[lane]?.rowID != first.id { lingerStart[lane] = (first.id, now) }
        let lingeredFor = max(now - lingerStart[lane]!.since, .microseconds(ReadingRing.now() - first.receivedAt))
        guard full || lingeredFor >= batching.linger else {
            return .wait(batching.linger - lingeredFor)
        }
        lingerStart[lane] = nil
        return .batch(Batch(rows: rows, probe: false))
    }

    // MARK: - The drain

    /// Watches the general lanes' streams, so that an outage is seen while the lanes wait with
    /// full windows. Streams recover by themselves, so their state is polled; 100 ms is well
    /// below any outage worth a drain. The one poll left in an idle uplink.
    func watchLink() async {
        while !stopping && !Task.isCancelled {
            await acquireClaim()
            for lane in 0..<generalLanes {
                let up = if let stream = streams[lane] { await stream.isOpen } else { false }
                await observe(lane: lane, up: up)
            }
            releaseClaim()
            finishDrainIfDone()
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// The link is up while any general lane's stream is open. When it comes up (the first
    /// time, or after an outage) the rows buffered meanwhile become the backlog. Lanes call this
    /// before each claim too: with fast acks a lane could otherwise hand out the whole backlog
    /// as live rows before the next poll. Callers hold the claim.
    func observe(lane: Int, up: Bool) async {
        if noteLane(lane, up: up) { await linkCameUp() }
    }

    /// Records one lane's link state; true when the link (any general lane) just came up.
    func noteLane(_ lane: Int, up: Bool) -> Bool {
        guard lane < generalLanes else { return false }
        laneUp[lane] = up
        let linkUp = laneUp.contains(true)
        defer { linkWasUp = linkUp }
        return linkUp && !linkWasUp
    }

    private func linkCameUp() async {
        let name = table.name
        do {
            let newest = try await ring.perform { try $0.newestRowID() }
            guard newest > plan.liveCursor else { return }
            let liveCursor = plan.liveCursor
            let unclaimed = try await ring.perform { try $0.count(table: name, ids: (liveCursor + 1)...newest) }
            let wasDraining = plan.isDraining
            // Rows the next batch carries anyway (a blip, a stream rotation) need no drain.
            guard plan.linkUp(newestRowID: newest, worthDraining: unclaimed > table.batching.maxRecords) else { return }
            markClaimedAsBacklog()
            if wasDraining {
                progress?.add(unclaimed)
                logger.info("link back during a drain: backlog extended", metadata: [
                    "table": "\(table.name)", "rows": "\(unclaimed)",
                ])
                return
            }
            // Rows claimed before the outage and still unacked are backlog too.
            let initial = try await ring.perform { try $0.count(table: name, ids: 0...newest) }
            progress = DrainProgress(initialRows: initial)
            let cap = table.batching.backfillMaxRowsPerSecond
            bucket = cap > 0 ? TokenBucket(ratePerSecond: cap, now: clock.now) : nil
            // The live lane waits for a drain to start.
            wake.signal()
            logger.info("link up: draining the backlog", metadata: [
                "table": "\(table.name)", "rows": "\(initial)", "drain": "\(plan.order.rawValue)",
                "backfill_max_rows_per_s": "\(cap)",
            ])
        } catch {
            logger.error("cannot size the backlog; rows keep flowing in order", metadata: [
                "table": "\(table.name)", "error": "\(error)",
            ])
        }
    }

    /// Everything handed to lanes so far is older than the rows after the new boundary.
    private func markClaimedAsBacklog() {
        for lane in inflight.indices {
            for index in inflight[lane].indices { inflight[lane][index].batch.backlog = true }
        }
        for index in requeued.indices { requeued[index].backlog = true }
        for index in liveRequeued.indices { liveRequeued[index].backlog = true }
    }

    func finishDrainIfDone() {
        guard plan.isDraining else { return }
        let outstanding = backlogInTransit
            + inflight.reduce(0) { $0 + $1.filter(\.batch.backlog).count }
            + requeued.filter(\.backlog).count + liveRequeued.filter(\.backlog).count
        guard plan.finish(outstandingBacklog: outstanding) else { return }
        logger.info("backlog drained", metadata: [
            "table": "\(table.name)", "rows": "\(progress?.initialRows ?? 0)",
        ])
        progress = nil
        bucket = nil
        wake.signal()  // the live lane closes its stream
    }

    /// The drain's health figures; counts the backlog rows still in the ring (acked ones are
    /// gone, and so are rows `max_age` dropped: those count as progress, and as aged-out drops).
    func backlogStatus() async -> HealthReport.Backlog? {
        guard plan.isDraining else { return nil }
        let name = table.name, boundary = plan.boundary
        let remaining = (try? await ring.perform { try $0.count(table: name, ids: 0...boundary) }) ?? 0
        guard plan.isDraining, var progress else { return nil }
        progress.record(remaining: remaining, at: clock.now)
        self.progress = progress
        return HealthReport.Backlog(
            rows: remaining, initialRows: progress.initialRows, progress: progress.progress(remaining: remaining),
            etaSeconds: progress.etaSeconds)
    }
}
