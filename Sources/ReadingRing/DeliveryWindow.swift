/// The delivery marks of the most recent packet ids, in memory, so the MQTT thread can tell a
/// broker redelivery (see `Delivery`) without a query per message. The `deliveries` table holds
/// the same marks durably (written with their rows); it is loaded at open.
struct DeliveryWindow {
    /// Only the last few packet ids can come back as redeliveries (those committed but not yet
    /// PUBACKed when the process died), so older marks are dropped. Kept, one per packet id,
    /// they would grow to ~1.5 MiB and, being inside the page budget, evict every row of a small
    /// ring; they would also make a reading repeated 65535 ids later look like a redelivery.
    static let size = 2048
    static let pruneInterval = 256

    private var marks: [Int32: (epoch: Int64, hash: Int64)] = [:]
    private var sincePrune = 0

    /// Whether `delivery` repeats a message stored on an earlier connection.
    func isRedelivery(_ delivery: Delivery) -> Bool {
        guard let mark = marks[delivery.packetID] else { return false }
        return mark.epoch < delivery.connectionEpoch && mark.hash == delivery.contentHash
    }

    /// The marks stored in SQLite (already pruned there), at open.
    mutating func load(_ stored: [Delivery]) {
        for mark in stored { marks[mark.packetID] = (mark.connectionEpoch, mark.contentHash) }
    }

    /// Records a stored message's mark (a reused packet id overwrites the older mark).
    mutating func record(_ delivery: Delivery) {
        marks[delivery.packetID] = (delivery.connectionEpoch, delivery.contentHash)
        sincePrune += 1
        guard sincePrune >= Self.pruneInterval else { return }
        sincePrune = 0
        let newest = delivery.packetID
        // Packet ids run 1…65535 and wrap: the same rule as the SQL prune in `RingStore`.
        // In place (no new dictionary): only the ~pruneInterval stale marks are removed.
        let stale = marks.keys.filter { (Int(newest) - Int($0) + 65535) % 65535 > Self.size }
        for key in stale { marks.removeValue(forKey: key) }
    }
}
